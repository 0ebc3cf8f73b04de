using System;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class OffsiteLocationTests
{
    private static string Resolve(string p) => p.StartsWith('/') ? p : "/home/admin/" + p;

    [Theory]
    [InlineData("gdrive-crypt:cenate", "gdrive-crypt", "cenate")]
    [InlineData("usb crypt:backups/cenate/", "usb crypt", "backups/cenate")]
    [InlineData("s3:bucket/dir", "s3", "bucket/dir")]
    [InlineData("sftp:/srv/abs/path", "sftp", "/srv/abs/path")]
    [InlineData("nas:", "nas", "")]
    [InlineData("my.remote_1:x", "my.remote_1", "x")]
    public void RemotesAreNameColonPath(string text, string remote, string path)
    {
        var l = OffsiteLocation.Parse(text, Resolve);
        Assert.True(l.IsRemote);
        Assert.Equal(remote, l.Remote!.Remote);
        Assert.Equal(path, l.Remote.Path);
        Assert.Null(l.Directory);
    }

    [Theory]
    [InlineData("/mnt/backup-externo/cenate", "/mnt/backup-externo/cenate")]
    [InlineData("backups", "/home/admin/backups")]
    [InlineData("/mnt/odd:name", "/mnt/odd:name")]
    [InlineData("./x:y", "/home/admin/./x:y")]
    [InlineData("C:\\backups", "/home/admin/C:\\backups")]
    public void EverythingElseIsADirectory(string text, string directory)
    {
        var l = OffsiteLocation.Parse(text, Resolve);
        Assert.False(l.IsRemote);
        Assert.Equal(directory, l.Directory);
    }

    [Fact]
    public void ADriveOfTheShellIsAPath()
    {
        var l = OffsiteLocation.Parse("Temp:/x", p => "/tmp/x", name => name == "Temp");
        Assert.False(l.IsRemote);
        Assert.Equal("/tmp/x", l.Directory);
    }

    [Theory]
    [InlineData(":sftp,host=127.0.0.1,pass=SECRETVALUE:dir")]
    [InlineData(":local:/tmp")]
    [InlineData("sftp,pass=SECRETVALUE:dir")]
    [InlineData("gdrive,token='{\"access_token\":\"SECRETVALUE\"}':x")]
    public void ConnectionStringsAreRefusedWithoutEchoingTheirOptions(string text)
    {
        var ex = Assert.Throws<CenateException>(() => OffsiteLocation.Parse(text, Resolve));
        Assert.Equal(ErrorIds.RemoteSpecRefused, ex.ErrorId);
        Assert.DoesNotContain("SECRETVALUE", ex.Message);
        Assert.DoesNotContain("SECRETVALUE", ex.Target?.ToString() ?? "");
    }

    [Theory]
    [InlineData("/srv/b/maestro_cenate_20261101_020000.manifest.json", "maestro_cenate_20261101_020000.manifest.json")]
    [InlineData("remote:dir/maestro_cenate_20261101_020000.dump", "maestro_cenate_20261101_020000.dump")]
    [InlineData("remote:maestro_cenate_20261101_020000.dump", "maestro_cenate_20261101_020000.dump")]
    public void FileNameOfAStorePath(string path, string name) => Assert.Equal(name, BackupNaming.FileNameOf(path));

    [Fact]
    public void TheCopysManifestRecordsTheCheckAtTheDestinationAndKeepsTheSourcesRecord()
    {
        var source = new BackupManifest
        {
            Database = "maestro_cenate",
            Stamp = "20261101_020000",
            Complete = true,
            Files = { new ManifestFile { Name = "maestro_cenate_20261101_020000.dump", Size = 10, Sha256 = new string('a', 64) } },
            Verification = new ManifestVerification { Level = "Restore", Passed = true, At = DateTimeOffset.UtcNow.AddHours(-3) },
        };
        var copy = OffsiteSetCopier.CopyManifest(source, "/srv/backups", "read back", TimeSpan.FromSeconds(2.5), "/mnt/usb/cenate");
        Assert.Equal("/mnt/usb/cenate", copy.Verification!.Location);
        Assert.True(copy.Verification.MadeAt("/mnt/usb/cenate/"));
        Assert.False(copy.Verification.MadeAt("/srv/backups"));
        Assert.True(new ManifestVerification().MadeAt("/anywhere"));
        Assert.Equal("Checksum", copy.Verification!.Level);
        Assert.True(copy.Verification.Passed);
        Assert.Equal("/srv/backups", copy.Copy!.From);
        Assert.Equal("read back", copy.Copy.Method);
        Assert.Equal("Restore", copy.Copy.SourceVerification!.Level);
        // The source manifest itself is untouched, and the files and counts travel as they are.
        Assert.Equal("Restore", source.Verification.Level);
        Assert.Null(source.Copy);
        Assert.Equal(source.Files[0].Sha256, copy.Files[0].Sha256);
        Assert.True(OffsiteSyncPlanner.SameFiles(source, copy));
        var reread = BackupManifest.Parse(copy.ToJson(), "copy");
        Assert.Equal("/srv/backups", reread.Copy!.From);
    }

    [Theory]
    [InlineData("maestro_cenate_20261101_020000.dump", true)]
    [InlineData("asegurados_20261101_020000.csv.gz", true)]
    [InlineData("", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("../x_20261101_020000.dump", false)]
    [InlineData("a\\b", false)]
    [InlineData("*_20261101_020000.*", false)]
    [InlineData("x?.dump", false)]
    [InlineData("x[1].dump", false)]
    [InlineData("line\nbreak.dump", false)]
    [InlineData(" lead.dump", false)]
    [InlineData("trail.dump ", false)]
    public void ManifestFileNamesMustBePlain(string name, bool plain)
    {
        Assert.Equal(plain, BackupNaming.IsPlainFileName(name));
        var json = new BackupManifest
        {
            Database = "maestro_cenate", Stamp = "20261101_020000", Tool = "t",
            Files = { new ManifestFile { Name = name, Sha256 = new string('a', 64) } },
        }.ToJson();
        if (plain) Assert.Equal(name, BackupManifest.Parse(json, "m").Files[0].Name);
        else Assert.Equal(ErrorIds.ManifestInvalid, Assert.Throws<CenateException>(() => BackupManifest.Parse(json, "m")).ErrorId);
    }
}
