using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Verification;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class VerificationServiceTests
{
    private const string Stamp = "20260301_063000";

    private static byte[] Gzip(string text)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(Encoding.UTF8.GetBytes(text));
        return ms.ToArray();
    }

    private static ManifestFile Entry(string name, BackupFileKind kind, byte[] content) => new()
    {
        Name = name,
        Kind = kind,
        Size = content.Length,
        Sha256 = Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant(),
        CompletedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>A set with one .sql.gz and one .csv.gz (no tool is needed to read those).</summary>
    private static (string ManifestPath, string SqlPath, string CsvPath) WriteSet(TempDirectory dir, string database = "maestro_cenate", bool complete = true)
    {
        var sql = Gzip(string.Concat(Enumerable.Repeat("INSERT INTO asegurados VALUES (1, 'x');\n", 5000)));
        var csv = Gzip("id,name\n1,x\n2,y\n");
        var sqlName = BackupNaming.PlainDumpFile(database, null, Stamp);
        var csvName = BackupNaming.CsvFile(database, "asegurados", Stamp);
        File.WriteAllBytes(dir.File(sqlName), sql);
        File.WriteAllBytes(dir.File(csvName), csv);
        var m = new BackupManifest
        {
            Database = database,
            Stamp = Stamp,
            StartedAt = DateTimeOffset.UtcNow,
            Complete = complete,
            Files = { Entry(sqlName, BackupFileKind.Sql, sql), Entry(csvName, BackupFileKind.Csv, csv) },
        };
        var manifestPath = dir.File(BackupNaming.ManifestFile(database, Stamp));
        m.Save(manifestPath);
        return (manifestPath, dir.File(sqlName), dir.File(csvName));
    }

    private static Task<VerificationReport> Verify(string path, VerificationLevel level) =>
        VerificationService.VerifyPathAsync(path, level, new RestoreToolOptions(), NullReporter.Instance, CancellationToken.None);

    // ---- FindManifestFor ----

    [Fact]
    public void FindManifestFor_FindsTheManifestListingTheFile_SkippingADamagedOne()
    {
        using var dir = new TempDirectory();
        var (manifest, sql, csv) = WriteSet(dir);
        File.WriteAllText(dir.File("other_20260101_000000.manifest.json"), "{ this is not json");
        File.WriteAllText(dir.File("empty_20260101_000000.manifest.json"), "");
        File.WriteAllText(dir.File("future_20260101_000000.manifest.json"), """{ "formatVersion": 99, "database": "x", "stamp": "20260101_000000", "files": [] }""");

        Assert.Equal(manifest, BackupSetLocator.FindManifestFor(sql));
        Assert.Equal(manifest, BackupSetLocator.FindManifestFor(csv));
    }

    [Fact]
    public void FindManifestFor_PicksTheRightSetAmongSeveral()
    {
        using var dir = new TempDirectory();
        var (m1, sql1, _) = WriteSet(dir, "db_one");
        var (m2, sql2, _) = WriteSet(dir, "db_two");
        Assert.Equal(m1, BackupSetLocator.FindManifestFor(sql1));
        Assert.Equal(m2, BackupSetLocator.FindManifestFor(sql2));
    }

    [Fact]
    public void FindManifestFor_UnlistedFile_IsNull()
    {
        using var dir = new TempDirectory();
        WriteSet(dir);
        var lone = dir.File("lone_20260301_063000.sql.gz");
        File.WriteAllBytes(lone, Gzip("x"));
        Assert.Null(BackupSetLocator.FindManifestFor(lone));
    }

    [Fact]
    public void FindManifestFor_IgnoresPartialManifests()
    {
        using var dir = new TempDirectory();
        var (manifest, sql, _) = WriteSet(dir);
        File.Move(manifest, manifest + ".partial");
        Assert.Null(BackupSetLocator.FindManifestFor(sql));
    }

    /// <summary>A damaged manifest of another set ("files": null) must not break the search for this file's manifest.</summary>
    [Fact]
    public void FindManifestFor_SurvivesAManifestWithANullFileList()
    {
        using var dir = new TempDirectory();
        var (manifest, sql, _) = WriteSet(dir);
        File.WriteAllText(dir.File("broken_20260101_000000.manifest.json"),
            """{ "formatVersion": 1, "database": "broken", "stamp": "20260101_000000", "files": null }""");
        var lone = dir.File("lone_20260301_063000.sql.gz");
        File.WriteAllBytes(lone, Gzip("x"));

        var ex = Record.Exception(() =>
        {
            Assert.Equal(manifest, BackupSetLocator.FindManifestFor(sql));
            Assert.Null(BackupSetLocator.FindManifestFor(lone));
        });
        Assert.Null(ex);
    }

    // ---- VerifyPathAsync at Checksum level (no tools) ----

    [Fact]
    public async Task Checksum_GoodSet_Passes_AndRecordsTheVerificationInTheManifest()
    {
        using var dir = new TempDirectory();
        var (manifest, sql, csv) = WriteSet(dir);

        var report = await Verify(manifest, VerificationLevel.Checksum);

        Assert.True(report.Passed, string.Join("; ", report.Problems));
        Assert.Empty(report.Problems);
        Assert.Equal(new[] { Path.GetFileName(sql), Path.GetFileName(csv) }, report.Files);
        Assert.Equal(new[] { "sha256 " + Path.GetFileName(sql), "sha256 " + Path.GetFileName(csv) }, report.Checks);
        Assert.Equal("maestro_cenate", report.Database);
        Assert.Equal(Stamp, report.Stamp);
        Assert.Equal(manifest, report.ManifestPath);

        var saved = BackupManifest.Load(manifest);
        Assert.NotNull(saved.Verification);
        Assert.True(saved.Verification!.Passed);
        Assert.Equal("Checksum", saved.Verification.Level);
        Assert.Empty(saved.Verification.Problems);
        Assert.False(File.Exists(manifest + ".partial"));
    }

    [Fact]
    public async Task Checksum_FlippedByte_IsChecksumMismatch_AndRecordedAsFailed()
    {
        using var dir = new TempDirectory();
        var (manifest, sql, _) = WriteSet(dir);
        var bytes = File.ReadAllBytes(sql);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(sql, bytes);

        var report = await Verify(manifest, VerificationLevel.Checksum);

        Assert.False(report.Passed);
        var p = Assert.Single(report.Problems);
        Assert.Equal(ProblemKind.ChecksumMismatch, p.Kind);
        Assert.Equal(Path.GetFileName(sql), p.File);
        var saved = BackupManifest.Load(manifest).Verification!;
        Assert.False(saved.Passed);
        Assert.Contains(saved.Problems, s => s.StartsWith("ChecksumMismatch: " + Path.GetFileName(sql), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Checksum_TruncatedFile_IsTruncated()
    {
        using var dir = new TempDirectory();
        var (manifest, sql, _) = WriteSet(dir);
        var bytes = File.ReadAllBytes(sql);
        File.WriteAllBytes(sql, bytes[..(bytes.Length - 10)]);

        var report = await Verify(manifest, VerificationLevel.Checksum);

        Assert.False(report.Passed);
        Assert.Contains(report.Problems, p => p.Kind == ProblemKind.Truncated && p.File == Path.GetFileName(sql));
        Assert.Contains(report.Problems, p => p.Kind == ProblemKind.ChecksumMismatch);
    }

    [Fact]
    public async Task Checksum_LongerFile_IsSizeMismatch()
    {
        using var dir = new TempDirectory();
        var (manifest, _, csv) = WriteSet(dir);
        File.AppendAllText(csv, "extra");

        var report = await Verify(manifest, VerificationLevel.Checksum);

        Assert.False(report.Passed);
        Assert.Contains(report.Problems, p => p.Kind == ProblemKind.SizeMismatch && p.File == Path.GetFileName(csv));
    }

    [Fact]
    public async Task Checksum_MissingFile_IsMissing()
    {
        using var dir = new TempDirectory();
        var (manifest, sql, _) = WriteSet(dir);
        File.Delete(sql);

        var report = await Verify(manifest, VerificationLevel.Checksum);

        Assert.False(report.Passed);
        var p = Assert.Single(report.Problems);
        Assert.Equal(ProblemKind.Missing, p.Kind);
        Assert.Equal(Path.GetFileName(sql), p.File);
    }

    [Fact]
    public async Task Checksum_IncompleteSet_DoesNotPass()
    {
        using var dir = new TempDirectory();
        var (manifest, _, _) = WriteSet(dir, complete: false);

        var report = await Verify(manifest, VerificationLevel.Checksum);

        Assert.False(report.Passed);
        Assert.Contains(report.Problems, p => p.Kind == ProblemKind.Incomplete);
    }

    [Fact]
    public async Task Checksum_OfOneFile_UsesItsSetsManifest_ChecksOnlyThatFile_AndLeavesTheManifestAlone()
    {
        using var dir = new TempDirectory();
        var (manifest, sql, csv) = WriteSet(dir);
        File.AppendAllText(csv, "damage elsewhere");
        var before = File.ReadAllText(manifest);

        var report = await Verify(sql, VerificationLevel.Checksum);

        Assert.True(report.Passed, string.Join("; ", report.Problems));
        Assert.Equal(manifest, report.ManifestPath);
        Assert.Equal(new[] { Path.GetFileName(sql) }, report.Files);
        Assert.Equal(before, File.ReadAllText(manifest));
    }

    [Fact]
    public async Task MissingPath_IsPathNotFound()
    {
        using var dir = new TempDirectory();
        var ex = await Record.ExceptionAsync(() => Verify(dir.File("nope.manifest.json"), VerificationLevel.Checksum));
        var cenate = Assert.IsType<CenateException>(ex);
        Assert.Equal(ErrorIds.PathNotFound, cenate.ErrorId);
    }

    [Fact]
    public async Task DamagedManifest_IsManifestInvalid()
    {
        using var dir = new TempDirectory();
        var path = dir.File("db_20260301_063000.manifest.json");
        File.WriteAllText(path, "{ broken");
        var ex = await Record.ExceptionAsync(() => Verify(path, VerificationLevel.Checksum));
        var cenate = Assert.IsType<CenateException>(ex);
        Assert.Equal(ErrorIds.ManifestInvalid, cenate.ErrorId);
        Assert.Equal("{ broken", File.ReadAllText(path));
    }

    /// <summary>
    /// A file no manifest lists, checked at Checksum level: nothing can be checked (no checksum is known and
    /// no read runs), so the verification must not report Passed.
    /// </summary>
    [Fact]
    public async Task Checksum_LoneFileWithoutManifest_DoesNotPass_BecauseNothingWasChecked()
    {
        using var dir = new TempDirectory();
        var lone = dir.File("lone_20260301_063000.sql.gz");
        File.WriteAllBytes(lone, Encoding.UTF8.GetBytes("this is not even gzip"));

        var report = await Verify(lone, VerificationLevel.Checksum);

        Assert.Null(report.ManifestPath);
        Assert.Contains(report.Problems, p => p.Kind == ProblemKind.ManifestMissing);
        Assert.Empty(report.Checks);
        Assert.False(report.Passed, "no check ran, yet the report says Passed");
    }

    // ---- Read level on gzip files (no tools needed) ----

    [Fact]
    public async Task Read_GoodGzipSet_Passes()
    {
        using var dir = new TempDirectory();
        var (manifest, sql, csv) = WriteSet(dir);
        var report = await Verify(manifest, VerificationLevel.Read);
        Assert.True(report.Passed, string.Join("; ", report.Problems));
        Assert.Contains("gzip read " + Path.GetFileName(sql), report.Checks);
        Assert.Contains("gzip read " + Path.GetFileName(csv), report.Checks);
        Assert.Equal("Read", BackupManifest.Load(manifest).Verification!.Level);
    }

    [Fact]
    public async Task A_Passed_Lower_Level_Keeps_The_Stronger_Record_But_A_Failure_Replaces_It()
    {
        using var dir = new TempDirectory();
        var (manifest, _, csv) = WriteSet(dir);
        Assert.True((await Verify(manifest, VerificationLevel.Read)).Passed);
        var checksum = await Verify(manifest, VerificationLevel.Checksum);
        Assert.True(checksum.Passed);
        Assert.Contains(checksum.Checks, c => c.StartsWith("the manifest keeps its earlier Read verification", StringComparison.Ordinal));
        Assert.Equal("Read", BackupManifest.Load(manifest).Verification!.Level);
        // A failure at any level is recorded: a damaged set must not look verified.
        File.AppendAllText(csv, "x");
        Assert.False((await Verify(manifest, VerificationLevel.Checksum)).Passed);
        var recorded = BackupManifest.Load(manifest).Verification!;
        Assert.Equal("Checksum", recorded.Level);
        Assert.False(recorded.Passed);
    }

    [Fact]
    public async Task Read_LoneValidGzip_Passes_WithManifestMissingNoted()
    {
        using var dir = new TempDirectory();
        var lone = dir.File("lone_20260301_063000.csv.gz");
        File.WriteAllBytes(lone, Gzip("id\n1\n"));
        var report = await Verify(lone, VerificationLevel.Read);
        Assert.True(report.Passed);
        Assert.Equal(ProblemKind.ManifestMissing, Assert.Single(report.Problems).Kind);
        Assert.Contains("gzip read lone_20260301_063000.csv.gz", report.Checks);
    }

    [Fact]
    public async Task Read_LoneNonGzip_IsUnreadable()
    {
        using var dir = new TempDirectory();
        var lone = dir.File("lone_20260301_063000.sql.gz");
        File.WriteAllBytes(lone, Encoding.UTF8.GetBytes("CREATE TABLE t (id int);\n"));
        var report = await Verify(lone, VerificationLevel.Read);
        Assert.False(report.Passed);
        Assert.Contains(report.Problems, p => p.Kind == ProblemKind.Unreadable);
    }

    [Fact]
    public async Task Read_LoneEmptyGzip_IsUnreadable()
    {
        using var dir = new TempDirectory();
        var lone = dir.File("lone_20260301_063000.sql.gz");
        File.WriteAllBytes(lone, Array.Empty<byte>());
        var report = await Verify(lone, VerificationLevel.Read);
        Assert.False(report.Passed);
        Assert.Contains(report.Problems, p => p.Kind == ProblemKind.Unreadable);
    }

    /// <summary>Without a manifest, only the read can notice that a .sql.gz was cut short.</summary>
    [Fact]
    public async Task Read_LoneTruncatedGzip_IsTruncated()
    {
        using var dir = new TempDirectory();
        var lone = dir.File("lone_20260301_063000.sql.gz");
        var full = Gzip(string.Concat(Enumerable.Range(0, 50_000).Select(i => $"INSERT INTO t VALUES ({i});\n")));
        File.WriteAllBytes(lone, full[..(full.Length / 2)]);
        var report = await Verify(lone, VerificationLevel.Read);
        Assert.False(report.Passed, "a gzip file cut in half passed the Read verification");
        Assert.Contains(report.Problems, p => p.Kind == ProblemKind.Truncated);
    }

    [Fact]
    public async Task Read_GzipWithoutTrailer_IsTruncated()
    {
        using var dir = new TempDirectory();
        var lone = dir.File("lone_20260301_063000.sql.gz");
        var full = Gzip("hello world\n");
        File.WriteAllBytes(lone, full[..(full.Length - 8)]); // CRC32 and ISIZE missing
        var report = await Verify(lone, VerificationLevel.Read);
        Assert.False(report.Passed, "a gzip file without its trailer passed the Read verification");
        Assert.Contains(report.Problems, p => p.Kind is ProblemKind.Truncated or ProblemKind.Unreadable);
    }

    /// <summary>-WhatIf (recordVerification: false): the set is verified, the manifest is not touched, byte for byte.</summary>
    [Fact]
    public async Task Checksum_WithoutRecording_VerifiesButLeavesTheManifestUnchanged()
    {
        using var dir = new TempDirectory();
        var (manifest, _, _) = WriteSet(dir);
        var before = await File.ReadAllBytesAsync(manifest);
        var mtime = File.GetLastWriteTimeUtc(manifest);

        var report = await VerificationService.VerifyPathAsync(manifest, VerificationLevel.Read, new RestoreToolOptions(), NullReporter.Instance, CancellationToken.None, recordVerification: false);

        Assert.True(report.Passed, string.Join("; ", report.Problems));
        Assert.False(report.Recorded);
        Assert.Equal(before, await File.ReadAllBytesAsync(manifest));
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(manifest));
        Assert.Null(BackupManifest.Load(manifest).Verification);
    }

    /// <summary>The record is written into the manifest as it is on disk at that moment: a set removed meanwhile stays removed.</summary>
    [Fact]
    public async Task Checksum_Recorded_IsSaid_AndNoPartialIsLeft()
    {
        using var dir = new TempDirectory();
        var (manifest, _, _) = WriteSet(dir);
        var report = await Verify(manifest, VerificationLevel.Checksum);
        Assert.True(report.Recorded);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.partial"));
    }

    /// <summary>A set written before the database was in every name ("asegurados_&lt;stamp&gt;.csv.gz") still verifies and records.</summary>
    [Fact]
    public async Task OldStyleNames_StillVerify_AndRecord()
    {
        using var dir = new TempDirectory();
        var csv = Gzip("id,name\n1,x\n2,y\n");
        var sql = Gzip("COPY public.asegurados (id, name) FROM stdin;\n1\tx\n\\.\n");
        var csvName = "asegurados_" + Stamp + ".csv.gz";
        var sqlName = "asegurados_" + Stamp + ".sql.gz";
        File.WriteAllBytes(dir.File(csvName), csv);
        File.WriteAllBytes(dir.File(sqlName), sql);
        var m = new BackupManifest { Database = "maestro_cenate", Stamp = Stamp, StartedAt = DateTimeOffset.UtcNow, Complete = true,
            Files = { Entry(csvName, BackupFileKind.Csv, csv), Entry(sqlName, BackupFileKind.Sql, sql) } };
        var manifestPath = dir.File(BackupNaming.ManifestFile("maestro_cenate", Stamp));
        m.Save(manifestPath);

        var report = await Verify(manifestPath, VerificationLevel.Read);

        Assert.True(report.Passed, string.Join("; ", report.Problems));
        Assert.Equal(new[] { csvName, sqlName }, report.Files);
        Assert.True(report.Recorded);
        Assert.Equal(manifestPath, BackupSetLocator.FindManifestFor(dir.File(csvName)));
    }
}
