using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class BackupManifestTests
{
    internal static BackupManifest Sample() => new()
    {
        Tool = "CenateBackup 0.1.0",
        Database = "maestro_cenate",
        Stamp = "20260301_063000",
        StartedAt = new DateTimeOffset(2026, 3, 1, 6, 30, 0, TimeSpan.Zero),
        CompletedAt = new DateTimeOffset(2026, 3, 1, 6, 41, 12, 345, TimeSpan.Zero),
        Complete = true,
        SnapshotId = "00000003-0000001B-1",
        Source = new ManifestSource
        {
            Mode = "Container",
            Container = "postgres_cenate",
            Host = null,
            Port = 5432,
            User = "cenate",
            ServerVersion = "15.18 (Debian 15.18-0+deb12u1)",
            ServerVersionNum = 150018,
            PgDumpVersion = "15.18",
        },
        RowCounts = new SortedDictionary<string, long>(StringComparer.Ordinal)
        {
            ["public.asegurados"] = 12_345_678_901L,
            ["public.citas"] = 0,
        },
        Files =
        {
            new ManifestFile
            {
                Name = "maestro_cenate_20260301_063000.dump",
                Kind = BackupFileKind.Dump,
                Size = 5_000_000_000L,
                Sha256 = new string('a', 64),
                Compression = "gzip",
                CompressionLevel = 6,
                DataOnly = false,
                Tables = { },
                CompletedAt = new DateTimeOffset(2026, 3, 1, 6, 41, 12, TimeSpan.Zero),
            },
            new ManifestFile
            {
                Name = "asegurados_20260301_063000.csv.gz",
                Kind = BackupFileKind.Csv,
                Size = 42,
                Sha256 = new string('b', 64),
                Compression = "none",
                CompressionLevel = 0,
                DataOnly = true,
                Tables = { "public.asegurados", "public.citas" },
                CompletedAt = new DateTimeOffset(2026, 3, 1, 6, 42, 0, TimeSpan.Zero),
            },
        },
        Verification = new ManifestVerification
        {
            Level = "Read",
            At = new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero),
            Passed = false,
            Problems = { "Truncated: x.dump: the archive ends early" },
        },
    };

    [Fact]
    public void JsonRoundTrip_KeepsEveryField()
    {
        var original = Sample();
        var back = BackupManifest.Parse(original.ToJson(), "test");

        Assert.Equal(original.FormatVersion, back.FormatVersion);
        Assert.Equal(original.Tool, back.Tool);
        Assert.Equal(original.Database, back.Database);
        Assert.Equal(original.Stamp, back.Stamp);
        Assert.Equal(original.StartedAt, back.StartedAt);
        Assert.Equal(original.CompletedAt, back.CompletedAt);
        Assert.True(back.Complete);
        Assert.Equal(original.SnapshotId, back.SnapshotId);

        Assert.Equal("Container", back.Source.Mode);
        Assert.Equal("postgres_cenate", back.Source.Container);
        Assert.Null(back.Source.Host);
        Assert.Equal(5432, back.Source.Port);
        Assert.Equal("cenate", back.Source.User);
        Assert.Equal("15.18 (Debian 15.18-0+deb12u1)", back.Source.ServerVersion);
        Assert.Equal(150018, back.Source.ServerVersionNum);
        Assert.Equal("15.18", back.Source.PgDumpVersion);

        Assert.Equal(original.RowCounts.ToList(), back.RowCounts.ToList());
        Assert.Equal(12_345_678_901L, back.RowCounts["public.asegurados"]);

        Assert.Equal(2, back.Files.Count);
        for (var i = 0; i < 2; i++)
        {
            var a = original.Files[i];
            var b = back.Files[i];
            Assert.Equal(a.Name, b.Name);
            Assert.Equal(a.Kind, b.Kind);
            Assert.Equal(a.Size, b.Size);
            Assert.Equal(a.Sha256, b.Sha256);
            Assert.Equal(a.Compression, b.Compression);
            Assert.Equal(a.CompressionLevel, b.CompressionLevel);
            Assert.Equal(a.DataOnly, b.DataOnly);
            Assert.Equal(a.Tables, b.Tables);
            Assert.Equal(a.CompletedAt, b.CompletedAt);
        }

        Assert.NotNull(back.Verification);
        Assert.Equal("Read", back.Verification!.Level);
        Assert.Equal(original.Verification!.At, back.Verification.At);
        Assert.False(back.Verification.Passed);
        Assert.Equal(original.Verification.Problems, back.Verification.Problems);

        // And serialising again gives the same text.
        Assert.Equal(original.ToJson(), back.ToJson());
    }

    [Fact]
    public void RoundTrip_OfAnIncompleteManifest_KeepsNulls()
    {
        var m = new BackupManifest { Database = "db", Stamp = "20260301_063000", Complete = false };
        var back = BackupManifest.Parse(m.ToJson(), "t");
        Assert.False(back.Complete);
        Assert.Null(back.CompletedAt);
        Assert.Null(back.Verification);
        Assert.Null(back.SnapshotId);
        Assert.Empty(back.Files);
        Assert.Empty(back.RowCounts);
    }

    /// <summary>Documents the manifest format (README): camelCase names, enums as strings, nulls written.</summary>
    [Fact]
    public void Json_Format_IsDocumented()
    {
        var json = Sample().ToJson();
        Assert.Contains("\"formatVersion\": 1", json);
        Assert.Contains("\"tool\": \"CenateBackup 0.1.0\"", json);
        Assert.Contains("\"database\": \"maestro_cenate\"", json);
        Assert.Contains("\"stamp\": \"20260301_063000\"", json);
        Assert.Contains("\"startedAt\": \"2026-03-01T06:30:00+00:00\"", json);
        Assert.Contains("\"completedAt\": \"2026-03-01T06:41:12.345+00:00\"", json);
        Assert.Contains("\"complete\": true", json);
        Assert.Contains("\"snapshotId\": \"00000003-0000001B-1\"", json);
        Assert.Contains("\"source\": {", json);
        Assert.Contains("\"mode\": \"Container\"", json);
        Assert.Contains("\"container\": \"postgres_cenate\"", json);
        Assert.Contains("\"host\": null", json);
        Assert.Contains("\"port\": 5432", json);
        Assert.Contains("\"user\": \"cenate\"", json);
        // System.Text.Json's default encoder writes '+' (and any non-ASCII letter) as a \uXXXX escape: valid JSON, same value.
        Assert.Contains("\"serverVersion\": \"15.18 (Debian 15.18-0+deb12u1)\"", json);
        using (var doc = JsonDocument.Parse(json))
        {
            Assert.Equal("15.18 (Debian 15.18-0+deb12u1)", doc.RootElement.GetProperty("source").GetProperty("serverVersion").GetString());
        }
        Assert.Contains("\"serverVersionNum\": 150018", json);
        Assert.Contains("\"pgDumpVersion\": \"15.18\"", json);
        // Row-count keys are table names, not properties: they are not camel-cased.
        Assert.Contains("\"rowCounts\": {", json);
        Assert.Contains("\"public.asegurados\": 12345678901", json);
        Assert.Contains("\"files\": [", json);
        Assert.Contains("\"name\": \"maestro_cenate_20260301_063000.dump\"", json);
        Assert.Contains("\"kind\": \"Dump\"", json);
        Assert.Contains("\"kind\": \"Csv\"", json);
        Assert.Contains("\"size\": 5000000000", json);
        Assert.Contains("\"sha256\": \"" + new string('a', 64) + "\"", json);
        Assert.Contains("\"compression\": \"gzip\"", json);
        Assert.Contains("\"compressionLevel\": 6", json);
        Assert.Contains("\"dataOnly\": true", json);
        Assert.Contains("\"tables\": [", json);
        Assert.Contains("\"verification\": {", json);
        Assert.Contains("\"level\": \"Read\"", json);
        Assert.Contains("\"passed\": false", json);
        Assert.Contains("\"problems\": [", json);

        // No PascalCase names leak out.
        Assert.DoesNotContain("\"FormatVersion\"", json);
        Assert.DoesNotContain("\"Files\"", json);

        // Row counts are sorted by table name (ordinal), whatever order they were added in.
        Assert.True(json.IndexOf("public.asegurados", StringComparison.Ordinal) < json.IndexOf("public.citas", StringComparison.Ordinal));
    }

    [Fact]
    public void Json_NeverHasAPasswordField()
    {
        var json = Sample().ToJson();
        Assert.DoesNotContain("password", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secret", json, StringComparison.OrdinalIgnoreCase);
        using var doc = JsonDocument.Parse(json);
        var sourceProps = doc.RootElement.GetProperty("source").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(new[] { "mode", "container", "host", "port", "user", "serverVersion", "serverVersionNum", "pgDumpVersion", "encoding", "timeZone" }, sourceProps);
    }

    [Fact]
    public void Json_TopLevelProperties_AreExactlyTheDocumentedOnes()
    {
        using var doc = JsonDocument.Parse(Sample().ToJson());
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(new[] { "formatVersion", "tool", "database", "stamp", "startedAt", "completedAt", "complete", "kind", "source", "snapshotId", "rowCounts", "files", "catalog", "verification", "copy", "rowDropAcknowledgements", "base" }, names);
    }

    [Fact]
    public void Parse_AcceptsAHandWrittenVersion1Manifest()
    {
        const string json = """
        {
          "formatVersion": 1,
          "tool": "x",
          "database": "maestro_cenate",
          "stamp": "20260301_063000",
          "startedAt": "2026-03-01T01:30:00-05:00",
          "complete": true,
          "files": [ { "name": "maestro_cenate_20260301_063000.dump", "kind": "Dump", "size": 10, "sha256": "ab" } ]
        }
        """;
        var m = BackupManifest.Parse(json, "hand.json");
        Assert.Equal("maestro_cenate", m.Database);
        Assert.Equal(BackupFileKind.Dump, Assert.Single(m.Files).Kind);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 6, 30, 0, TimeSpan.Zero), m.StartedAt.ToUniversalTime());
    }

    private static string Valid(string filesJson = "[]", string formatVersion = "1", string database = "\"db\"", string stamp = "\"20260301_063000\"") =>
        $$"""{ "formatVersion": {{formatVersion}}, "database": {{database}}, "stamp": {{stamp}}, "files": {{filesJson}} }""";

    public static IEnumerable<object[]> InvalidManifests() => new[]
    {
        new object[] { "not json" },
        new object[] { "{ \"formatVersion\": 1, " },
        new object[] { "" },
        new object[] { "   " },
        new object[] { "null" },
        new object[] { "[]" },
        new object[] { "42" },
        new object[] { Valid(formatVersion: "0") },
        new object[] { Valid(formatVersion: "-1") },
        new object[] { Valid(formatVersion: "2") },
        new object[] { Valid(formatVersion: "99") },
        new object[] { Valid(formatVersion: "\"1\"") },
        new object[] { Valid(database: "\"\"") },
        new object[] { Valid(database: "null") },
        new object[] { """{ "formatVersion": 1, "stamp": "20260301_063000" }""" },
        new object[] { Valid(stamp: "\"2026-03-01\"") },
        new object[] { Valid(stamp: "\"20261301_063000\"") },
        new object[] { Valid(stamp: "\"\"") },
        new object[] { Valid(stamp: "null") },
        new object[] { """{ "formatVersion": 1, "database": "db" }""" },
        new object[] { Valid(filesJson: """[ { "name": "../escape.dump", "kind": "Dump" } ]""") },
        new object[] { Valid(filesJson: """[ { "name": "..", "kind": "Dump" } ]""") },
        new object[] { Valid(filesJson: """[ { "name": "sub/x.dump", "kind": "Dump" } ]""") },
        new object[] { Valid(filesJson: """[ { "name": "/etc/passwd", "kind": "Dump" } ]""") },
        new object[] { Valid(filesJson: """[ { "name": "..\\..\\x.dump", "kind": "Dump" } ]""") },
        new object[] { Valid(filesJson: """[ { "name": "sub\\x.dump", "kind": "Dump" } ]""") },
        new object[] { Valid(filesJson: """[ { "name": "", "kind": "Dump" } ]""") },
        new object[] { Valid(filesJson: """[ { "name": null, "kind": "Dump" } ]""") },
        new object[] { Valid(filesJson: """[ { "kind": "Dump" } ]""") },
        new object[] { Valid(filesJson: """[ { "name": "ok.dump", "kind": "Tarball" } ]""") },
        new object[] { Valid(filesJson: """[ { "name": "ok.dump", "size": "big" } ]""") },
    };

    [Theory]
    [MemberData(nameof(InvalidManifests))]
    public void Parse_Rejects_WithManifestInvalid(string json)
    {
        var ex = Assert.Throws<CenateException>(() => BackupManifest.Parse(json, "bad.manifest.json"));
        Assert.Equal(ErrorIds.ManifestInvalid, ex.ErrorId);
        Assert.Equal(CenateErrorKind.InvalidData, ex.Kind);
        Assert.Equal("bad.manifest.json", ex.Target);
        Assert.Contains("bad.manifest.json", ex.Message);
    }

    /// <summary>
    /// Parse promises ManifestInvalid "on anything malformed"; a null file list (or a null entry) must not
    /// escape as a NullReferenceException (FindManifestFor only catches CenateException).
    /// </summary>
    [Theory]
    [InlineData("null")]
    [InlineData("[ null ]")]
    public void Parse_NullFileList_IsManifestInvalid_NotNullReference(string filesJson)
    {
        var ex = Record.Exception(() => BackupManifest.Parse(Valid(filesJson: filesJson), "bad.manifest.json"));
        var cenate = Assert.IsType<CenateException>(ex);
        Assert.Equal(ErrorIds.ManifestInvalid, cenate.ErrorId);
    }

    /// <summary>
    /// Members that the model declares non-nullable must not come back null from Parse: either the manifest is
    /// rejected as ManifestInvalid or the member is usable (callers such as listing and verification dereference them).
    /// </summary>
    [Theory]
    [InlineData("\"source\": null,")]
    [InlineData("\"rowCounts\": null,")]
    [InlineData("\"tool\": null,")]
    public void Parse_NullSubObjects_AreRejected_OrNeverNull(string member)
    {
        var json = "{ " + member + " \"formatVersion\": 1, \"database\": \"db\", \"stamp\": \"20260301_063000\", \"files\": [] }";
        BackupManifest m;
        try
        {
            m = BackupManifest.Parse(json, "x");
        }
        catch (CenateException ex)
        {
            Assert.Equal(ErrorIds.ManifestInvalid, ex.ErrorId);
            return;
        }
        Assert.NotNull(m.Source);
        Assert.NotNull(m.RowCounts);
        Assert.NotNull(m.Tool);
    }

    [Fact]
    public void Parse_NullTablesOfAFile_AreRejected_OrNeverNull()
    {
        var json = """{ "formatVersion": 1, "database": "db", "stamp": "20260301_063000", "files": [ { "name": "a.dump", "tables": null, "sha256": null } ] }""";
        BackupManifest m;
        try
        {
            m = BackupManifest.Parse(json, "x");
        }
        catch (CenateException ex)
        {
            Assert.Equal(ErrorIds.ManifestInvalid, ex.ErrorId);
            return;
        }
        Assert.NotNull(m.Files[0].Tables);
        Assert.NotNull(m.Files[0].Sha256);
    }

    [Fact]
    public void Parse_InvalidJson_KeepsTheJsonExceptionAsInner()
    {
        var ex = Assert.Throws<CenateException>(() => BackupManifest.Parse("{ nope", "x"));
        Assert.IsAssignableFrom<JsonException>(ex.InnerException);
    }

    [Fact]
    public void Parse_AcceptsPlainFileNamesWithDots()
    {
        var m = BackupManifest.Parse(Valid(filesJson: """[ { "name": "a..b_20260301_063000.sql.gz", "kind": "Sql" } ]"""), "x");
        Assert.Equal("a..b_20260301_063000.sql.gz", Assert.Single(m.Files).Name);
    }

    [Fact]
    public void Load_MissingFile_IsPathNotFound()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<CenateException>(() => BackupManifest.Load(dir.File("nope.manifest.json")));
        Assert.Equal(ErrorIds.PathNotFound, ex.ErrorId);
    }

    [Fact]
    public void Save_ThenLoad_RoundTrips_LeavesNoPartial_Mode0600()
    {
        using var dir = new TempDirectory();
        var path = dir.File("maestro_cenate_20260301_063000.manifest.json");
        var m = Sample();
        m.Save(path);

        Assert.True(File.Exists(path));
        Assert.False(File.Exists(path + ".partial"));
        Assert.Equal(new[] { path }, Directory.GetFiles(dir.Path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        var back = BackupManifest.Load(path);
        Assert.Equal(m.ToJson(), back.ToJson());
        // UTF-8 without a byte-order mark, so other tools read it as plain JSON.
        var bytes = File.ReadAllBytes(path);
        Assert.Equal((byte)'{', bytes[0]);
    }

    [Fact]
    public void Save_OverwritesAnExistingManifest()
    {
        using var dir = new TempDirectory();
        var path = dir.File("db_20260301_063000.manifest.json");
        var m = new BackupManifest { Database = "db", Stamp = "20260301_063000", Complete = false };
        m.Save(path);
        Assert.False(BackupManifest.Load(path).Complete);

        m.Complete = true;
        m.CompletedAt = new DateTimeOffset(2026, 3, 1, 7, 0, 0, TimeSpan.Zero);
        m.Save(path);

        var back = BackupManifest.Load(path);
        Assert.True(back.Complete);
        Assert.Equal(m.CompletedAt, back.CompletedAt);
        Assert.False(File.Exists(path + ".partial"));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Save_OverALongerManifest_LeavesNoTrailingBytes()
    {
        using var dir = new TempDirectory();
        var path = dir.File("db_20260301_063000.manifest.json");
        File.WriteAllText(path, Sample().ToJson() + new string(' ', 10_000) + "garbage");
        var small = new BackupManifest { Database = "db", Stamp = "20260301_063000" };
        small.Save(path);
        Assert.Equal(small.ToJson(), File.ReadAllText(path));
    }

    [Fact]
    public void Save_ReplacesALooseModeFileWithA0600One()
    {
        if (OperatingSystem.IsWindows()) return;
        using var dir = new TempDirectory();
        var path = dir.File("db_20260301_063000.manifest.json");
        File.WriteAllText(path, "{}");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        new BackupManifest { Database = "db", Stamp = "20260301_063000" }.Save(path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    /// <summary>A "&lt;manifest&gt;.partial" symlink planted in the directory must not make Save write through it.</summary>
    [Fact]
    public void Save_DoesNotWriteThroughAPlantedPartialSymlink()
    {
        if (OperatingSystem.IsWindows()) return;
        using var dir = new TempDirectory();
        using var elsewhere = new TempDirectory();
        var victim = elsewhere.File("victim.txt");
        File.WriteAllText(victim, "precious");
        var path = dir.File("db_20260301_063000.manifest.json");
        File.CreateSymbolicLink(path + ".partial", victim);

        try { new BackupManifest { Database = "db", Stamp = "20260301_063000" }.Save(path); }
        catch (CenateException) { /* refusing is fine too */ }

        Assert.Equal("precious", File.ReadAllText(victim));
        if (File.Exists(path)) Assert.Null(new FileInfo(path).LinkTarget);
    }

    [Fact]
    public void Save_IntoAMissingDirectory_IsACenateException_AndLeavesNothing()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "missing", "db_20260301_063000.manifest.json");
        var ex = Record.Exception(() => new BackupManifest { Database = "db", Stamp = "20260301_063000" }.Save(path));
        var cenate = Assert.IsType<CenateException>(ex);
        Assert.Equal(ErrorIds.WriteFailed, cenate.ErrorId);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}
