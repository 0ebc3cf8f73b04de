using System;
using System.IO;
using System.Linq;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Plan;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>The environment file: its line format, the names it may set, and who may have written it.</summary>
public class EnvironmentFileTests
{
    private const string Secret = "s3cr3t-Very-Long-Value";

    [Fact]
    public void Parse_ReadsNameValueLines_SkipsBlankAndComments()
    {
        var text = "# secrets\r\n\nPGPASSWORD=" + Secret + "\n  # indented comment\nCENATE_SMTP_PASSWORD='a=b c'\n"
            + "DOCKER_HOST=unix:///run/docker.sock\nPGPASSFILE=\"/etc/cenate/pgpass\"\nPGUSER=\n";
        var vars = EnvironmentFile.Parse(text, "/e");
        Assert.Equal(new[] { "PGPASSWORD", "CENATE_SMTP_PASSWORD", "DOCKER_HOST", "PGPASSFILE", "PGUSER" },
            vars.Select(v => v.Key));
        Assert.Equal(new[] { Secret, "a=b c", "unix:///run/docker.sock", "/etc/cenate/pgpass", "" },
            vars.Select(v => v.Value));
    }

    [Theory]
    [InlineData("PATH=/tmp/evil", 1)]
    [InlineData("LD_PRELOAD=/tmp/evil.so", 1)]
    [InlineData("HOME=/tmp", 1)]
    [InlineData("export PGPASSWORD=" + Secret, 1)]
    [InlineData("# ok\nPGPASSWORD " + Secret, 2)]
    [InlineData("\n\n" + Secret, 3)]
    [InlineData("pgpassword=" + Secret, 1)]
    [InlineData("CENATE_=" + Secret, 1)]
    [InlineData("=" + Secret, 1)]
    public void Parse_RefusesOtherNamesAndShapes_NamingTheLine_NeverTheValue(string text, int line)
    {
        var ex = Assert.Throws<CenateException>(() => EnvironmentFile.Parse(text, "/etc/cenate/cenate.env"));
        Assert.Equal(ErrorIds.EnvironmentFileInvalid, ex.ErrorId);
        Assert.Contains($"line {line}", ex.Message);
        Assert.DoesNotContain(Secret, ex.Message);
        Assert.DoesNotContain(Secret, ex.RecommendedAction ?? "");
    }

    [Fact]
    public void Read_RefusesAFileOthersMayRead_ALink_AndADirectory()
    {
        if (OperatingSystem.IsWindows()) return;
        using var dir = new TempDirectory();
        var file = dir.File("cenate.env");
        System.IO.File.WriteAllText(file, "PGPASSWORD=" + Secret + "\n");
        foreach (var mode in new[] { "644", "640", "604", "620", "602", "610" })
        {
            System.IO.File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32(mode, 8));
            var ex = Assert.Throws<CenateException>(() => EnvironmentFile.Read(file));
            Assert.Equal(ErrorIds.EnvironmentFileInsecure, ex.ErrorId);
            Assert.DoesNotContain(Secret, ex.Message);
        }
        System.IO.File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(Secret, EnvironmentFile.Read(file).Single().Value);
        System.IO.File.SetUnixFileMode(file, UnixFileMode.UserRead);
        Assert.Single(EnvironmentFile.Read(file));
        var link = dir.File("link.env");
        System.IO.File.CreateSymbolicLink(link, file);
        Assert.Equal(ErrorIds.EnvironmentFileInsecure, Assert.Throws<CenateException>(() =>
            EnvironmentFile.Read(link)).ErrorId);
        var sub = dir.File("sub");
        Directory.CreateDirectory(sub);
        Assert.Equal(ErrorIds.EnvironmentFileInsecure, Assert.Throws<CenateException>(() =>
            EnvironmentFile.Read(sub)).ErrorId);
        Assert.Equal(ErrorIds.EnvironmentFileInvalid, Assert.Throws<CenateException>(() =>
            EnvironmentFile.Read(dir.File("missing.env"))).ErrorId);
    }

    [Fact]
    public void Locate_PrefersTheSystemdCredential()
    {
        using var dir = new TempDirectory();
        var before = Environment.GetEnvironmentVariable("CREDENTIALS_DIRECTORY");
        try
        {
            Environment.SetEnvironmentVariable("CREDENTIALS_DIRECTORY", dir.Path);
            Assert.Equal("/etc/cenate/cenate.env", EnvironmentFile.Locate("/etc/cenate/cenate.env"));
            System.IO.File.WriteAllText(dir.File("cenate.env"), "");
            Assert.Equal(dir.File("cenate.env"), EnvironmentFile.Locate("/etc/cenate/cenate.env"));
            Assert.Equal(dir.File("cenate.env"), EnvironmentFile.Locate(null));
        }
        finally
        {
            Environment.SetEnvironmentVariable("CREDENTIALS_DIRECTORY", before);
        }
    }
}
