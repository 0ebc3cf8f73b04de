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
        Assert.Equal("asegurados_20260301_063000.sql.gz", BackupNaming.SqlFile("asegurados", s));
        Assert.Equal("asegurados_20260301_063000.csv.gz", BackupNaming.CsvFile("asegurados", s));
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
        foreach (var name in new[] { BackupNaming.DumpFile(hostile, s), BackupNaming.SqlFile(hostile, s), BackupNaming.CsvFile(hostile, s), BackupNaming.ManifestFile(hostile, s) })
        {
            Assert.DoesNotContain('/', name);
            Assert.DoesNotContain('\\', name);
            Assert.DoesNotContain('\0', name);
            Assert.Equal(name, Path.GetFileName(name));
            Assert.NotEqual("..", name);
            Assert.StartsWith(BackupNaming.Safe(hostile) + "_" + s, name, StringComparison.Ordinal);
        }
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
