using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Drift;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Issue 21 §1: thresholds, which tables are critical, and the pure comparison of two sets' counts.</summary>
public class RowDriftTests
{
    [Theory]
    [InlineData("2%", 0.02)]
    [InlineData("0.5 %", 0.005)]
    [InlineData(" 2.5% ", 0.025)]
    [InlineData("0%", 0.0)]
    [InlineData("100%", 1.0)]
    public void Percent_WithPercentSign_IsAFraction(string text, double expected)
    {
        Assert.True(RowDropThreshold.TryParsePercent(text, out var fraction));
        Assert.Equal(expected, fraction, 12);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("0.02")]
    [InlineData("%")]
    [InlineData("")]
    [InlineData("-1%")]
    [InlineData("+2%")]
    [InlineData("100.5%")]
    [InlineData("2e1%")]
    [InlineData("2%%")]
    [InlineData("2,5%")]
    [InlineData("NaN%")]
    [InlineData("Infinity%")]
    [InlineData(null)]
    public void Percent_BareNumberOrNonsense_IsRefused(string? text) =>
        Assert.False(RowDropThreshold.TryParsePercent(text, out _));

    [Theory]
    // before, after, percent, count, exceeded
    [InlineData(1000, 980, 0.02, null, false)]   // exactly 2%: equal passes
    [InlineData(1000, 979, 0.02, null, true)]    // 2.1%
    [InlineData(1000, 977, 0.023, null, false)]  // exactly 2.3%: no floating-point rounding makes it fail
    [InlineData(3000, 2931, 0.023, null, false)] // 69 = 2.3% of 3000
    [InlineData(3000, 2930, 0.023, null, true)]
    [InlineData(1000, 1500, 0.0, null, false)]   // growth never fails, even at 0%
    [InlineData(1000, 1000, 0.0, null, false)]
    [InlineData(1000, 999, 0.0, null, true)]     // 0%: any drop
    [InlineData(1000, 900, null, 100L, false)]   // exactly 100 rows
    [InlineData(1000, 899, null, 100L, true)]
    [InlineData(4000000, 3999000, 0.02, 500L, true)]  // within the share, beyond the count: ANY limit
    [InlineData(1000, 970, 0.02, 500L, true)]          // beyond the share, within the count
    [InlineData(0, 0, 0.0, null, false)]
    [InlineData(1000, 0, 1.0, null, false)]      // 100%: even emptying passes
    public void Threshold_FailsWhenAnyLimitIsExceeded(long before, long after, double? percent, long? count,
        bool exceeded) =>
        Assert.Equal(exceeded, new RowDropThreshold(percent, count).Exceeded(before, after));

    [Fact]
    public void Threshold_Text() {
        Assert.Equal("2%", new RowDropThreshold(0.02, null).ToString());
        Assert.Equal("0.5%", new RowDropThreshold(0.005, null).ToString());
        Assert.Equal("1000 rows", new RowDropThreshold(null, 1000).ToString());
        Assert.Equal("2% or 1000 rows", new RowDropThreshold(0.02, 1000).ToString());
    }

    [Fact]
    public void Policy_Default_IsAseguradosInAnySchema_Only()
    {
        var policy = RowDropPolicy.Default(RowDropThreshold.Default);
        Assert.NotNull(policy.ThresholdFor("public.asegurados"));
        Assert.NotNull(policy.ThresholdFor("historico.asegurados"));
        Assert.Null(policy.ThresholdFor("public.asegurados_old"));
        Assert.Null(policy.ThresholdFor("public.Asegurados"));   // ordinal
        Assert.Null(policy.ThresholdFor("public.citas"));
        Assert.Null(policy.ThresholdFor("asegurados.citas"));    // the schema is not the table
    }

    [Fact]
    public void Policy_TableAndSettings_SettingsWinAndExactBeatsBare()
    {
        var perTable = new Dictionary<string, RowDropThreshold>(StringComparer.Ordinal)
        {
            ["public.citas"] = new(0.05, 1000),
            ["asegurados"] = new(0.10, null),
            ["public.asegurados"] = new(0.01, null),
        };
        var policy = new RowDropPolicy(new RowDropThreshold(0.02, null), new[] { "public.medicos", "asegurados" },
            perTable);
        Assert.Equal(new RowDropThreshold(0.01, null), policy.ThresholdFor("public.asegurados"));
        Assert.Equal(new RowDropThreshold(0.10, null), policy.ThresholdFor("otro.asegurados"));
        Assert.Equal(new RowDropThreshold(0.05, 1000), policy.ThresholdFor("public.citas"));
        Assert.Equal(new RowDropThreshold(0.02, null), policy.ThresholdFor("public.medicos"));
        Assert.Null(policy.ThresholdFor("otro.medicos"));   // schema-qualified names only match that schema
    }

    [Fact]
    public void Policy_SettingsOnly_WatchesOnlyTheNamedTables()
    {
        var perTable = new Dictionary<string, RowDropThreshold> { ["public.citas"] = new(0.05, null) };
        var policy = new RowDropPolicy(null, null, perTable);
        Assert.Null(policy.ThresholdFor("public.asegurados"));
        Assert.NotNull(policy.ThresholdFor("public.citas"));
    }

    private static SortedDictionary<string, long> Counts(params (string Table, long Rows)[] rows)
    {
        var d = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (t, r) in rows) d[t] = r;
        return d;
    }

    [Fact]
    public void Compare_DropBeyondThreshold_NamesTableCountsStampsAndPercent()
    {
        var result = RowDriftCheck.Compare("20261129_020000", Counts(("public.asegurados", 4000000), ("public.citas",
            10)),
            "20261130_020000", Counts(("public.asegurados", 3880000), ("public.citas", 1)),
            RowDropPolicy.Default(RowDropThreshold.Default), true);
        var d = Assert.Single(result.Drifts);   // citas is not critical
        Assert.True(d.Exceeded);
        Assert.True(d.IsProblem);
        Assert.Equal(-120000, d.Difference);
        Assert.Equal(3.0, d.DropPercent, 9);
        Assert.Equal("public.asegurados: 4000000 rows at 20261129_020000, 3880000 at 20261130_020000: "
            + "120000 fewer (3.00%), "
            + "more than 2%", d.Describe());
    }

    [Fact]
    public void Compare_GrowthAndSmallChurn_Pass()
    {
        var policy = RowDropPolicy.Default(RowDropThreshold.Default);
        var growth = RowDriftCheck.Compare("a", Counts(("public.asegurados", 1000)), "b", Counts(("public.asegurados",
            5000)), policy, true);
        Assert.False(Assert.Single(growth.Drifts).Exceeded);
        Assert.Equal(4000, growth.Drifts[0].Difference);
        Assert.Equal(0, growth.Drifts[0].DropPercent);
        var churn = RowDriftCheck.Compare("a", Counts(("public.asegurados", 100000)), "b",
            Counts(("public.asegurados", 99000)), policy, true);
        Assert.False(Assert.Single(churn.Drifts).Exceeded);
    }

    [Fact]
    public void Compare_TableVanished_IsADropToZero_InAFullSet_AndSkippedInAPartialOne()
    {
        var policy = RowDropPolicy.Default(RowDropThreshold.Default);
        var full = RowDriftCheck.Compare("a", Counts(("public.asegurados", 1000)), "b", Counts(("public.citas", 5)),
            policy, true);
        var d = Assert.Single(full.Drifts);
        Assert.Equal((1000L, 0L, true), (d.Before, d.After, d.Exceeded));
        Assert.Equal(100, d.DropPercent);
        var partial = RowDriftCheck.Compare("a", Counts(("public.asegurados", 1000)), "b", Counts(("public.citas",
            5)), policy, false);
        Assert.Empty(partial.Drifts);
        Assert.Contains(partial.Notes, n => n.Contains("public.asegurados",
            StringComparison.Ordinal) && n.Contains("not compared", StringComparison.Ordinal));
    }

    [Fact]
    public void Compare_AbsentBefore_IsGrowth_AbsentFromBoth_IsANote()
    {
        var policy = new RowDropPolicy(RowDropThreshold.AnyDrop, new[] { "asegurados", "public.ghost" });
        var r = RowDriftCheck.Compare("a", Counts(("public.citas", 1)), "b", Counts(("public.asegurados", 7)), policy,
            true);
        var d = Assert.Single(r.Drifts);
        Assert.Equal((0L, 7L, false), (d.Before, d.After, d.Exceeded));
        Assert.Contains(r.Notes, n => n.StartsWith("public.ghost: in neither", StringComparison.Ordinal));
    }

    [Fact]
    public void Compare_Acknowledged_IsReportedButNotAProblem()
    {
        var acks = new[] { new ManifestRowDropAcknowledgement { Table = "public.asegurados", Before = 1000, After = 900,
            BeforeStamp = "a", Reason = "purge", By = "ana", At = DateTimeOffset.UnixEpoch } };
        var r = RowDriftCheck.Compare("a", Counts(("public.asegurados", 1000)), "b", Counts(("public.asegurados", 900)),
            RowDropPolicy.Default(RowDropThreshold.Default), true, acks);
        var d = Assert.Single(r.Drifts);
        Assert.True(d.Exceeded);
        Assert.True(d.Acknowledged);
        Assert.False(d.IsProblem);
        Assert.Equal("purge", d.AcknowledgedReason);
        Assert.Equal("ana", d.AcknowledgedBy);
        Assert.Equal(DateTimeOffset.UnixEpoch, d.AcknowledgedAt);
        Assert.Contains(r.Notes, n => n.EndsWith("acknowledged by ana at 1970-01-01 00:00:00Z: purge",
            StringComparison.Ordinal));
    }

    [Fact]
    public void Settings_RowDropKey_PerTableThresholds_OtherKeysIgnored()
    {
        var data = new Hashtable
        {
            ["SmtpServer"] = "relay", ["Anything"] = 1,
            ["rowdrop"] = new Hashtable { ["public.asegurados"] = "2%",
                ["public.citas"] = new Hashtable { ["MaxRowDrop"] = "5%", ["MaxRowDropCount"] = 1000 } },
        };
        var t = RowDropSettings.FromData(data, "s.psd1")!;
        Assert.Equal(new RowDropThreshold(0.02, null), t["public.asegurados"]);
        Assert.Equal(new RowDropThreshold(0.05, 1000), t["public.citas"]);
        Assert.Null(RowDropSettings.FromData(new Hashtable { ["SmtpServer"] = "x" }, "s.psd1"));
    }

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Settings_BadValues_AreSettingsInvalidNamingTheKey(object value, string key)
    {
        var ex = Assert.Throws<CenateException>(() => RowDropSettings.FromData(new Hashtable { ["RowDrop"] = value },
            "s.psd1"));
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    public static IEnumerable<object[]> BadSettings() => new[]
    {
        new object[] { new Hashtable { ["public.asegurados"] = 2 }, "RowDrop.public.asegurados" },
        new object[] { new Hashtable { ["public.asegurados"] = "2" }, "RowDrop.public.asegurados" },
        new object[] { new Hashtable { ["public.asegurados"] = "200%" }, "RowDrop.public.asegurados" },
        new object[] { new Hashtable { ["t"] = new Hashtable { ["MaxRowDropCount"] = -1 } },
            "RowDrop.t.MaxRowDropCount" },
        new object[] { new Hashtable { ["t"] = new Hashtable { ["MaxRowDropCount"] = "1000" } },
            "RowDrop.t.MaxRowDropCount" },
        new object[] { new Hashtable { ["t"] = new Hashtable { ["Max"] = "2%" } }, "RowDrop.t" },
        new object[] { new Hashtable { ["t"] = new Hashtable() }, "RowDrop.t" },
        new object[] { "2%", "RowDrop" },
        new object[] { new Hashtable(), "RowDrop" },
    };

    [Fact]
    public void AlertSettings_IgnoreTheRowDropKey_ButStillRefuseOtherUnknownKeys()
    {
        var settings = AlertSettings.FromData(new Hashtable { ["SmtpServer"] = "relay",
            ["RowDrop"] = new Hashtable { ["a"] = "2%" } }, "s");
        Assert.Equal("relay", settings.SmtpServer);
        var ex = Assert.Throws<CenateException>(() => AlertSettings.FromData(new Hashtable { ["RowDrops"] = "x" },
            "s"));
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
    }
}

/// <summary>Which set a drift is measured from.</summary>
public class RowDriftPreviousSetTests
{
    private static CatalogEntry Entry(string database, string stamp, bool complete = true, bool full = true,
        bool missing = false)
    {
        var manifest = new BackupManifest
        {
            Database = database, Stamp = stamp, Complete = complete,
            Files =
            {
                full ? new ManifestFile { Name = $"{database}_{stamp}.dump", Kind = BackupFileKind.Dump }
                    : new ManifestFile
                    {
                        Name = $"asegurados_{stamp}.csv.gz", Kind = BackupFileKind.Csv, DataOnly = true,
                    },
            },
        };
        return new CatalogEntry($"/b/{database}_{stamp}.manifest.json", manifest,
            missing ? new[] { manifest.Files[0].Name } : Array.Empty<string>());
    }

    [Fact]
    public void PreviousFullSet_IsTheNewestCompleteFullSetOfTheDatabase_TakenEarlier()
    {
        var sets = new[]
        {
            Entry("db", "20261127_020000"),
            Entry("db", "20261128_020000"),
            Entry("db", "20261128_120000", complete: false),
            Entry("db", "20261128_140000", full: false),
            Entry("db", "20261128_160000", missing: true),
            Entry("otra", "20261128_180000"),
            Entry("db", "20261129_020000"),
            Entry("db", "20261130_020000"),
        };
        BackupNaming.TryParseStamp("20261129_020000", out var t);
        var previous = RowDriftCheck.PreviousFullSet(sets, "db", t);
        Assert.Equal("20261128_020000", previous!.Manifest.Stamp);
        BackupNaming.TryParseStamp("20261127_020000", out var first);
        Assert.Null(RowDriftCheck.PreviousFullSet(sets, "db", first));
    }
}
