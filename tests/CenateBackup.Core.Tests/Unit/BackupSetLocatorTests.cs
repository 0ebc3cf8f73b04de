using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Placing a path in its set: a file of a set, the manifest, a foreign file, a damaged manifest; hashes; records.</summary>
public class BackupSetLocatorTests
{
    private const string Stamp = "20260301_063000";

    private static ManifestFile Entry(string name, BackupFileKind kind, byte[] content) => new()
    {
        Name = name,
        Kind = kind,
        Size = content.Length,
        Sha256 = Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant(),
        CompletedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>A set of a dump and a CSV; returns the manifest's path.</summary>
    private static string WriteSet(TempDirectory dir, string database)
    {
        var dump = Encoding.ASCII.GetBytes("PGDMP not really");
        var csv = Encoding.ASCII.GetBytes("id\n1\n");
        var dumpName = BackupNaming.DumpFile(database, Stamp);
        var csvName = BackupNaming.CsvFile(database, "asegurados", Stamp);
        File.WriteAllBytes(dir.File(dumpName), dump);
        File.WriteAllBytes(dir.File(csvName), csv);
        var m = new BackupManifest
        {
            Database = database,
            Stamp = Stamp,
            StartedAt = DateTimeOffset.UtcNow,
            Complete = true,
            Files = { Entry(dumpName, BackupFileKind.Dump, dump), Entry(csvName, BackupFileKind.Csv, csv) },
        };
        var path = dir.File(BackupNaming.ManifestFile(database, Stamp));
        m.Save(path);
        return path;
    }

    [Fact]
    public void Locate_FileOfASet_GivesItsManifestEntryAndKind()
    {
        using var dir = new TempDirectory();
        var manifest = WriteSet(dir, "db_a");
        var other = WriteSet(dir, "db_b");
        var csv = dir.File(BackupNaming.CsvFile("db_a", "asegurados", Stamp));

        var member = BackupSetLocator.Locate(csv);

        Assert.Equal(csv, member.Path);
        Assert.Equal(manifest, member.ManifestPath);
        Assert.NotEqual(other, member.ManifestPath);
        Assert.Equal("db_a", member.Manifest!.Database);
        Assert.Equal(Path.GetFileName(csv), member.Entry!.Name);
        Assert.Equal(BackupFileKind.Csv, member.Kind);
        Assert.False(member.IsManifest);
    }

    [Fact]
    public void Locate_KindComesFromTheEntry_NotFromTheName()
    {
        using var dir = new TempDirectory();
        var manifestPath = WriteSet(dir, "db_a");
        // A plain SQL dump is named .sql.gz like an export; its entry says what it is.
        var name = BackupNaming.PlainDumpFile("db_a", null, Stamp);
        File.WriteAllText(dir.File(name), "x");
        var m = BackupManifest.Load(manifestPath);
        m.Files.Add(Entry(name, BackupFileKind.Dump, Encoding.ASCII.GetBytes("x")));
        m.Save(manifestPath);

        Assert.Equal(BackupFileKind.Sql, BackupSetLocator.KindOf(name));
        Assert.Equal(BackupFileKind.Dump, BackupSetLocator.Locate(dir.File(name)).Kind);
    }

    [Fact]
    public void Locate_TheManifest_IsTheWholeSet()
    {
        using var dir = new TempDirectory();
        var manifest = WriteSet(dir, "db_a");
        var member = BackupSetLocator.Locate(manifest);
        Assert.True(member.IsManifest);
        Assert.Equal(manifest, member.ManifestPath);
        Assert.Null(member.Entry);
        Assert.Null(member.Kind);
        Assert.Equal(2, member.Manifest!.Files.Count);
    }

    [Theory]
    [InlineData("maestro_cenate_20260301_063000.dump", BackupFileKind.Dump)]
    [InlineData("maestro_cenate_20260301_063000.asegurados.csv.gz", BackupFileKind.Csv)]
    [InlineData("export.csv", BackupFileKind.Csv)]
    [InlineData("maestro_cenate_20260301_063000.sql.gz", BackupFileKind.Sql)]
    public void Locate_ForeignFile_HasNoSet_AndItsNameSaysItsKind(string name, BackupFileKind kind)
    {
        using var dir = new TempDirectory();
        WriteSet(dir, "db_a");
        File.WriteAllText(dir.File(name), "x");
        var member = BackupSetLocator.Locate(dir.File(name));
        Assert.Null(member.ManifestPath);
        Assert.Null(member.Manifest);
        Assert.Null(member.Entry);
        Assert.Equal(kind, member.Kind);
    }

    [Fact]
    public void Locate_FileOfASetInAnotherDirectory_IsForeignHere()
    {
        using var dir = new TempDirectory();
        using var elsewhere = new TempDirectory();
        WriteSet(dir, "db_a");
        var name = BackupNaming.CsvFile("db_a", "asegurados", Stamp);
        File.Copy(dir.File(name), elsewhere.File(name));
        Assert.Null(BackupSetLocator.Locate(elsewhere.File(name)).ManifestPath);
    }

    [Fact]
    public void Locate_FileWhoseManifestIsDamaged_HasNoSet_AndTheDamagedManifestItselfIsRefused()
    {
        using var dir = new TempDirectory();
        var manifest = WriteSet(dir, "db_a");
        var text = File.ReadAllText(manifest);
        File.WriteAllText(manifest, text[..(text.Length / 2)]);
        var csv = dir.File(BackupNaming.CsvFile("db_a", "asegurados", Stamp));

        var member = BackupSetLocator.Locate(csv);
        Assert.Null(member.ManifestPath);
        Assert.Null(member.Entry);
        Assert.Equal(BackupFileKind.Csv, member.Kind);

        var ex = Assert.Throws<CenateException>(() => BackupSetLocator.Locate(manifest));
        Assert.Equal(ErrorIds.ManifestInvalid, ex.ErrorId);
    }

    [Fact]
    public async Task Sha256Async_IsTheSha256OfTheBytes()
    {
        using var dir = new TempDirectory();
        var bytes = new byte[3 << 20];
        new Random(13).NextBytes(bytes);
        File.WriteAllBytes(dir.File("data.bin"), bytes);
        var expected = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
        Assert.Equal(expected, await BackupSetLocator.Sha256Async(dir.File("data.bin"), CancellationToken.None));
    }

    [Fact]
    public void RecordVerification_WritesTheRecord_OrKeepsThePreviousOne_AndNeverRecreatesARemovedSet()
    {
        using var dir = new TempDirectory();
        var manifest = WriteSet(dir, "db_a");
        var drill = new ManifestVerification { Level = "Restore", At = DateTimeOffset.UtcNow.AddDays(-1), Passed = true };
        var written = BackupSetLocator.RecordVerification(manifest, drill, _ => false);
        Assert.True(written.Recorded);
        Assert.Equal("Restore", BackupManifest.Load(manifest).Verification!.Level);

        var checksum = new ManifestVerification { Level = "Checksum", At = DateTimeOffset.UtcNow, Passed = true };
        var kept = BackupSetLocator.RecordVerification(manifest, checksum, previous => previous.Level == "Restore");
        Assert.False(kept.Recorded);
        Assert.True(kept.Exists);
        Assert.Equal("Restore", kept.Kept!.Level);
        Assert.Equal("Restore", BackupManifest.Load(manifest).Verification!.Level);
        // The rest of the manifest is as it was.
        Assert.Equal(2, BackupManifest.Load(manifest).Files.Count);

        File.Delete(manifest);
        var gone = BackupSetLocator.RecordVerification(manifest, checksum, _ => false);
        Assert.False(gone.Exists);
        Assert.False(gone.Recorded);
        Assert.False(File.Exists(manifest));
    }
}
