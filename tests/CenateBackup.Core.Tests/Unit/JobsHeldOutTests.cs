using System;
using System.Collections;
using System.IO;
using System.Linq;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Plan;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// The plan's runtime as an admin at 3 AM and an attacker use it: environment files as people really write them (and
/// files that are not environment files at all), secrets that reach a message without a key before them, and settings
/// whose directories overlap.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class JobsHeldOutTests
{
    private const string Secret = "Zq9-held-out-Secret";
    private const string SettingsFile = "/etc/cenate/cenate.psd1";

    [Theory]
    [InlineData("PGPASSWORD = " + Secret + "\n")]
    [InlineData("PGPASSWORD=" + Secret + "  \r\n")]
    [InlineData("\uFEFFPGPASSWORD=" + Secret + "\r\n")]
    [InlineData("PGPASSWORD=\"" + Secret + "\"\r\n")]
    [InlineData("\tPGPASSWORD\t=\t'" + Secret + "'\n")]
    public void Parse_AcceptsBlanksQuotesCrlfAndABom_TheValueIsExactlyTheSecret(string text)
    {
        var vars = EnvironmentFile.Parse(text, "/e");
        Assert.Equal("PGPASSWORD", Assert.Single(vars).Key);
        Assert.Equal(Secret, vars[0].Value);
    }

    [Fact]
    public void Parse_QuotesKeepBlanksInsideTheValue()
    {
        Assert.Equal(" a b ", EnvironmentFile.Parse("PGPASSWORD=' a b '", "/e")[0].Value);
    }

    [Theory]
    [InlineData("PGPASSWORD=one\nPGPASSWORD=" + Secret, 2)]
    [InlineData("PGPASSWORD=" + Secret + "\r\nCENATE_X=1\r\nPGPASSWORD =" + Secret, 3)]
    [InlineData("export PGPASSWORD=" + Secret, 1)]
    [InlineData("DOCKER_HOST=tcp://10.0.0.5:2375", 1)]
    [InlineData("DOCKER_HOST=tcp://docker.example.com:2376", 1)]
    [InlineData("DOCKER_HOST=ssh://root@10.0.0.5", 1)]
    [InlineData("# x\nDOCKER_HOST=tcp://user:" + Secret + "@127.0.0.1:2375", 2)]
    [InlineData("DOCKER_HOST=not a uri", 1)]
    public void Parse_RefusesDuplicatesExportAndForeignDockerHosts_NamingTheLine_NeverTheValue(string text, int line)
    {
        var ex = Assert.Throws<CenateException>(() => EnvironmentFile.Parse(text, "/etc/cenate/cenate.env"));
        Assert.Equal(ErrorIds.EnvironmentFileInvalid, ex.ErrorId);
        Assert.Contains($"line {line}:", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, ex.Message + ex.RecommendedAction, StringComparison.Ordinal);
        Assert.DoesNotContain("10.0.0.5", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DOCKER_HOST=unix:///var/run/docker.sock")]
    [InlineData("DOCKER_HOST=unix:///run/user/1000/docker.sock")]
    [InlineData("DOCKER_HOST=tcp://127.0.0.1:2375")]
    [InlineData("DOCKER_HOST=tcp://localhost:2375")]
    [InlineData("DOCKER_HOST=tcp://[::1]:2375")]
    [InlineData("DOCKER_HOST=")]
    [InlineData("PGPASSWORD_X=1\nPGHOST=127.0.0.1")]
    public void Parse_AcceptsLocalDockerEndpointsAndOtherPgNames(string text)
    {
        Assert.NotEmpty(EnvironmentFile.Parse(text, "/e"));
    }

    [Fact]
    public void Read_RefusesAHugeFile_WithoutLoadingIt()
    {
        var dir = Directory.CreateTempSubdirectory("cenate-heldout-");
        try
        {
            var path = Path.Combine(dir.FullName, "cenate.env");
            File.WriteAllText(path, "PGPASSWORD=" + Secret + "\n" + new string('#', 5 * 1024 * 1024) + "\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var ex = Assert.Throws<CenateException>(() => EnvironmentFile.Read(path));
            Assert.Equal(ErrorIds.EnvironmentFileInvalid, ex.ErrorId);
            Assert.Contains("larger than 64 KB", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/null")]
    [InlineData("/proc/self/environ")]
    public void Read_RefusesDevicesAndProcFiles_AtOnce(string path)
    {
        var started = DateTime.UtcNow;
        var ex = Assert.Throws<CenateException>(() => EnvironmentFile.Read(path));
        Assert.True(ex.ErrorId is ErrorIds.EnvironmentFileInsecure or ErrorIds.EnvironmentFileInvalid, ex.ErrorId);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async System.Threading.Tasks.Task Read_RefusesAFifo_WithoutHanging()
    {
        var dir = Directory.CreateTempSubdirectory("cenate-heldout-");
        try
        {
            var path = Path.Combine(dir.FullName, "cenate.env");
            using (var mk = System.Diagnostics.Process.Start("mkfifo", new[] { "-m", "600", path })!)
                mk.WaitForExit();
            Assert.True(File.Exists(path));
            var task = System.Threading.Tasks.Task.Run(() => Assert.Throws<CenateException>(
                () => EnvironmentFile.Read(path)));
            var done = await System.Threading.Tasks.Task.WhenAny(task,
                System.Threading.Tasks.Task.Delay(TimeSpan.FromSeconds(10)));
            Assert.True(done == task, "reading a FIFO hung");
            var ex = await task;
            Assert.Equal(ErrorIds.EnvironmentFileInsecure, ex.ErrorId);
            Assert.Contains("nothing was loaded", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void Redact_MasksAKnownSecretWithoutAKeyBeforeIt_ButNotShortOnes()
    {
        const string password = "bare-Secret-7731";
        Assert.Contains(password, AlertRedactor.Redact($"authentication failed: {password} rejected"),
            StringComparison.Ordinal);
        AlertRedactor.AddSecret(password);
        AlertRedactor.AddSecret("ab");
        var text = AlertRedactor.Redact($"authentication failed: {password} rejected (ab)");
        Assert.DoesNotContain(password, text, StringComparison.Ordinal);
        Assert.Contains("***", text, StringComparison.Ordinal);
        Assert.Contains("(ab)", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PGPASSWORD", true)]
    [InlineData("CENATE_SMTP_PASSWORD", true)]
    [InlineData("CENATE_WEBHOOK_TOKEN", true)]
    [InlineData("PGUSER", false)]
    [InlineData("DOCKER_HOST", false)]
    public void IsSecretName(string name, bool secret) => Assert.Equal(secret, EnvironmentFile.IsSecretName(name));

    [Theory]
    [InlineData("/", null, null)]
    [InlineData("/backups/cenate", "/backups/cenate", null)]
    [InlineData("/backups/cenate", "/backups/cenate/logs", null)]
    [InlineData("/backups/cenate", null, "/backups")]
    [InlineData("/backups/cenate", null, "/backups/cenate/")]
    [InlineData("/var", null, null)]
    public void Settings_RefuseARootBackupPath_AndLogOrStateOverlappingIt(string path, string? log, string? state)
    {
        var data = new Hashtable { ["Path"] = path };
        if (log is not null) data["LogPath"] = log;
        if (state is not null) data["StatePath"] = state;
        var ex = Assert.Throws<CenateException>(() => PlanSettings.FromData(data, SettingsFile, home: "/home/b"));
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
    }

    [Fact]
    public void Settings_AcceptSiblingDirectories_AndAPrefixThatIsNotAParent()
    {
        var data = new Hashtable
        {
            ["Path"] = "/srv/cenate", ["LogPath"] = "/srv/cenate-logs", ["StatePath"] = "/srv/cenate-state",
        };
        var s = PlanSettings.FromData(data, SettingsFile, home: "/home/b");
        Assert.Equal("/srv/cenate-logs", s.LogPath);
    }

    [Fact]
    public void Settings_KeysInAnotherCase_AndNumbersForText_AreReadOrRefusedByName()
    {
        var s = PlanSettings.FromData(new Hashtable { ["path"] = "/backups/cenate", ["DATABASEPORT"] = 5433 },
            SettingsFile, home: "/home/b");
        Assert.Equal(5433, s.Port);
        var ex = Assert.Throws<CenateException>(() => PlanSettings.FromData(
            new Hashtable { ["Path"] = "/b", ["Retention"] = new Hashtable { ["Daily"] = 3, ["Dayly"] = 4 } },
            SettingsFile, home: "/home/b"));
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
        Assert.Contains("Dayly", ex.Message, StringComparison.Ordinal);
    }
}
