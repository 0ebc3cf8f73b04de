using System;
using System.IO;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class BackupNamingTests
{
    [Fact]
    public void Stamp_IsUtc_WhateverTheOffset()
    {
        Assert.Equal("20260301_063000", BackupNaming.Stamp(DateTimeOffset.Parse("2026-03-01T01:30:00-05:00")));
        Assert.Equal("20260301_063000", BackupNaming.Stamp(DateTimeOffset.Parse("2026-03-01T06:30:00+00:00")));
        Assert.Equal("20260301_063000", BackupNaming.Stamp(DateTimeOffset.Parse("2026-03-01T12:00:00+05:30")));
    }

    [Fact]
    public void Stamp_CrossesTheDateLineInUtc()
    {
        // 23:59:59 in Lima on 31 Dec is already 1 Jan in UTC.
        Assert.Equal("20270101_045959", BackupNaming.Stamp(new DateTimeOffset(2026, 12, 31, 23, 59, 59, TimeSpan.FromHours(-5))));
    }

    [Fact]
    public void Stamp_UsesInvariantDigitsAnd24Hours()
    {
        Assert.Equal("20260102_230405", BackupNaming.Stamp(new DateTimeOffset(2026, 1, 2, 23, 4, 5, TimeSpan.Zero)));
    }

    [Fact]
    public void TryParseStamp_RoundTrips_ToUtc()
    {
        var time = DateTimeOffset.Parse("2026-03-01T01:30:00-05:00");
        var stamp = BackupNaming.Stamp(time);
        Assert.True(BackupNaming.TryParseStamp(stamp, out var back));
        Assert.Equal(TimeSpan.Zero, back.Offset);
        Assert.Equal(time.UtcDateTime, back.UtcDateTime);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 6, 30, 0, TimeSpan.Zero), back);
        Assert.Equal(stamp, BackupNaming.Stamp(back));
    }

    [Fact]
    public void TryParseStamp_DropsSubSeconds_ButStaysInTheSameSecond()
    {
        var time = new DateTimeOffset(2026, 3, 1, 6, 30, 0, 999, TimeSpan.Zero);
        Assert.True(BackupNaming.TryParseStamp(BackupNaming.Stamp(time), out var back));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 6, 30, 0, TimeSpan.Zero), back);
    }

    [Theory]
    [InlineData("")]
    [InlineData("2026030_063000")]
    [InlineData("20260301063000")]
    [InlineData("20260301-063000")]
    [InlineData("20261301_063000")] // month 13
    [InlineData("20260230_063000")] // 30 February
    [InlineData("20260301_246000")] // hour 24
    [InlineData("20260301_063060")] // second 60
    [InlineData(" 20260301_063000")]
    [InlineData("20260301_063000 ")]
    [InlineData("2026-03-01T06:30:00Z")]
    [InlineData("../../etc")]
    public void TryParseStamp_RejectsInvalid(string stamp)
    {
        Assert.False(BackupNaming.TryParseStamp(stamp, out _));
    }

    [Fact]
    public void TryParseStamp_Null_IsFalseNotAnException()
    {
        Assert.False(BackupNaming.TryParseStamp(null!, out _));
    }

    [Fact]
    public void FileNames()
    {
        const string s = "20260301_063000";
        Assert.Equal("maestro_cenate_20260301_063000.dump", BackupNaming.DumpFile("maestro_cenate", s));
        Assert.Equal("maestro_cenate_20260301_063000.sql.gz", BackupNaming.PlainDumpFile("maestro_cenate", null, s));
        Assert.Equal("maestro_cenate_20260301_063000.asegurados.sql.gz", BackupNaming.PlainDumpFile("maestro_cenate", "asegurados", s));
        Assert.Equal("maestro_cenate_20260301_063000.asegurados.data.sql.gz", BackupNaming.TableSqlFile("maestro_cenate", "asegurados", s));
        Assert.Equal("maestro_cenate_20260301_063000.asegurados.csv.gz", BackupNaming.CsvFile("maestro_cenate", "asegurados", s));
        Assert.Equal("maestro_cenate_20260301_063000.asegurados.csv", BackupNaming.PlainCsvFile("maestro_cenate", "asegurados", s));
        Assert.Equal("maestro_cenate_20260301_063000.manifest.json", BackupNaming.ManifestFile("maestro_cenate", s));
    }

    [Theory]
    [InlineData("maestro_cenate", "maestro_cenate")]
    [InlineData("My-DB.v2", "My-DB.v2")]
    [InlineData("my db", "my_db")]
    [InlineData("a/b", "a_b")]
    [InlineData("a\\b", "a_b")]
    [InlineData("it's \"quoted\"", "it_s__quoted_")]
    [InlineData("../../etc/passwd", ".._.._etc_passwd")]
    [InlineData("x:y*z?<>|", "x_y_z____")]
    [InlineData("tab\there\nnewline", "tab_here_newline")]
    [InlineData("señor", "se_or")]
    [InlineData("", "")]
    public void Safe_ReplacesUnsafeCharacters(string input, string expected)
    {
        Assert.Equal(expected, BackupNaming.Safe(input));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("..")]
    [InlineData("/abs/path")]
    [InlineData("C:\\Windows\\x")]
    [InlineData("a b\0c")]
    public void FileNames_NeverEscapeTheDirectory(string hostile)
    {
        const string s = "20260301_063000";
        foreach (var name in new[] { BackupNaming.DumpFile(hostile, s), BackupNaming.PlainDumpFile(hostile, null, s), BackupNaming.PlainDumpFile("db", hostile, s),
                     BackupNaming.TableSqlFile(hostile, hostile, s), BackupNaming.CsvFile(hostile, hostile, s), BackupNaming.PlainCsvFile("db", hostile, s), BackupNaming.ManifestFile(hostile, s) })
        {
            Assert.DoesNotContain('/', name);
            Assert.DoesNotContain('\\', name);
            Assert.DoesNotContain('\0', name);
            Assert.Equal(name, Path.GetFileName(name));
            Assert.NotEqual("..", name);
            Assert.True(name.StartsWith(BackupNaming.Safe(hostile) + "_" + s + ".", StringComparison.Ordinal) || name.StartsWith("db_" + s + ".", StringComparison.Ordinal), name);
        }
    }

    /// <summary>
    /// Every file of every set is named "&lt;database&gt;_&lt;stamp&gt;.…": files of two databases (or two tables) of one
    /// stamp never share a name, even when the names contain '_' (the old "&lt;table&gt;_&lt;stamp&gt;.csv.gz" of two
    /// databases collided, and "&lt;database&gt;_&lt;table&gt;_&lt;stamp&gt;" would collide for a_b/c and a/b_c).
    /// </summary>
    [Fact]
    public void FileNames_OfDifferentSetsAndTables_NeverCollide()
    {
        const string s = "20260301_063000";
        var pairs = new[] { ("a_b", "c"), ("a", "b_c"), ("a", "b"), ("a_b_c", "d"), ("maestro_cenate", "asegurados"), ("otra_db", "asegurados"),
            ("db.x", "t"), ("db", "x.t"), ("db_20260301_063000", "t") };
        var seen = new System.Collections.Generic.Dictionary<string, (string, string, string)>(StringComparer.Ordinal);
        foreach (var (db, table) in pairs)
        {
            void Add(string kind, string name)
            {
                Assert.False(seen.TryGetValue(name, out var other), $"{kind} of {db}/{table} and {other} are both named {name}");
                seen[name] = (kind, db, table);
            }
            Add("csv", BackupNaming.CsvFile(db, table, s));
            Add("plain csv", BackupNaming.PlainCsvFile(db, table, s));
            Add("table sql", BackupNaming.TableSqlFile(db, table, s));
            Add("plain dump of the table", BackupNaming.PlainDumpFile(db, table, s));
            // Every file is recognised as its own database's, with its stamp.
            Assert.True(BackupNaming.TryMatchSetFile(BackupNaming.CsvFile(db, table, s), db, out var stamp));
            Assert.Equal(s, stamp);
        }
        foreach (var db in new[] { "a_b", "a", "maestro_cenate", "db" })
        {
            seen.TryAdd(BackupNaming.DumpFile(db, s), ("dump", db, ""));
            Assert.DoesNotContain(BackupNaming.PlainDumpFile(db, null, s), seen.Keys);
            Assert.DoesNotContain(BackupNaming.ManifestFile(db, s), seen.Keys);
        }
    }

    [Theory]
    [InlineData("maestro_cenate_20260301_063000.dump", "maestro_cenate", true, "20260301_063000")]
    [InlineData("maestro_cenate_20260301_063000.asegurados.csv.gz", "maestro_cenate", true, "20260301_063000")]
    [InlineData("maestro_cenate_20260301_063000.dump.0a1b2c3d4e5f.partial", "maestro_cenate", true, "20260301_063000")]
    [InlineData("maestro_cenate_20260301_063000.manifest.json", "maestro_cenate", true, "20260301_063000")]
    [InlineData("maestro_cenate_20260301_063000.dump", "maestro", false, "")]        // another database's prefix
    [InlineData("maestro_cenate_20260301_063000.dump", "cenate", false, "")]
    [InlineData("otra_db_20260301_063000.dump", "maestro_cenate", false, "")]
    [InlineData("asegurados_20260301_063000.csv.gz", "maestro_cenate", false, "")]    // an old-style export name
    [InlineData("maestro_cenate_20261301_063000.dump", "maestro_cenate", false, "")]  // month 13
    [InlineData("maestro_cenate_20260301_063000", "maestro_cenate", false, "")]
    [InlineData("maestro_cenate_20260301_063000.", "maestro_cenate", false, "")]
    [InlineData("maestro_cenate_20260301_0630001.dump", "maestro_cenate", false, "")]
    [InlineData("maestro_cenate_backup.txt", "maestro_cenate", false, "")]
    [InlineData(".cenate.lock", "maestro_cenate", false, "")]
    [InlineData("_20260301_063000.dump", "", false, "")]
    public void TryMatchSetFile_KnowsItsDatabaseAndStamp(string fileName, string database, bool expected, string expectedStamp)
    {
        Assert.Equal(expected, BackupNaming.TryMatchSetFile(fileName, database, out var stamp));
        Assert.Equal(expectedStamp, stamp);
    }

    [Theory]
    [InlineData("maestro_cenate_20260301_063000.manifest.json", "maestro_cenate", "20260301_063000")]
    [InlineData("db_20260301_063000.manifest.json", "db", "20260301_063000")]
    [InlineData("a_b_c_d_20260301_063000.manifest.json", "a_b_c_d", "20260301_063000")]
    // A database name that itself looks like it ends with a stamp: the last stamp is the set's.
    [InlineData("db_20250101_000000_20260301_063000.manifest.json", "db_20250101_000000", "20260301_063000")]
    [InlineData("my-db.v2_20260301_063000.manifest.json", "my-db.v2", "20260301_063000")]
    public void MatchManifest_ExtractsDatabaseAndStamp(string fileName, string db, string stamp)
    {
        var m = BackupNaming.MatchManifest(fileName);
        Assert.True(m.Success);
        Assert.Equal(db, m.Groups["db"].Value);
        Assert.Equal(stamp, m.Groups["stamp"].Value);
    }

    [Fact]
    public void MatchManifest_RoundTripsManifestFile()
    {
        var name = BackupNaming.ManifestFile("maestro_cenate", BackupNaming.Stamp(DateTimeOffset.Parse("2026-03-01T01:30:00-05:00")));
        var m = BackupNaming.MatchManifest(name);
        Assert.True(m.Success);
        Assert.Equal("maestro_cenate", m.Groups["db"].Value);
        Assert.True(BackupNaming.TryParseStamp(m.Groups["stamp"].Value, out var t));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 6, 30, 0, TimeSpan.Zero), t);
    }

    [Theory]
    [InlineData("maestro_cenate_20260301_063000.manifest.json.partial")]
    [InlineData("maestro_cenate_20260301_063000.dump")]
    [InlineData("maestro_cenate_20260301_063000.sql.gz")]
    [InlineData("_20260301_063000.manifest.json")]
    [InlineData("maestro_cenate_2026031_063000.manifest.json")]
    [InlineData("maestro_cenate-20260301_063000.manifest.json")]
    [InlineData("maestro_cenate_20260301_063000.manifest.json.bak")]
    [InlineData("20260301_063000.manifest.json")]
    public void MatchManifest_RejectsOtherFiles(string fileName)
    {
        Assert.False(BackupNaming.MatchManifest(fileName).Success);
    }
}
