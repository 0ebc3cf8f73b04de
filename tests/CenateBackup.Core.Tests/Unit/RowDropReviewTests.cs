using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Drift;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Retention;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// Issue 21 review: an acknowledgement counts only for the drop it was made for; text read back from a manifest is
/// shown escaped; retention refuses critical tables no set counts.
/// </summary>
public class RowDropReviewTests
{
    private static readonly RowDropPolicy Policy = RowDropPolicy.Default(RowDropThreshold.Default);

    private static Dictionary<string, long> Counts(long asegurados) =>
        new(StringComparer.Ordinal) { ["public.asegurados"] = asegurados, ["public.citas"] = 5 };

    private static ManifestRowDropAcknowledgement Real() => new()
    {
        Table = "public.asegurados", BeforeStamp = "20261001_020000", Before = 1000, After = 900, Reason = "purge",
        By = "ana", At = new DateTimeOffset(2026, 10, 3, 9, 0, 0, TimeSpan.Zero),
    };

    private static RowDriftComparison Judge(params ManifestRowDropAcknowledgement[] acks) => RowDriftCheck.Compare(
        "20261001_020000", Counts(1000), "20261002_020000", Counts(900), Policy, true, acks);

    public static TheoryData<string> Forgeries => new()
    {
        "table only", "other beforeStamp", "other before", "other after", "no reason", "no by", "no at",
        "other table",
    };

    private static ManifestRowDropAcknowledgement Forge(string how)
    {
        var a = Real();
        switch (how)
        {
            case "table only": return new ManifestRowDropAcknowledgement { Table = "public.asegurados" };
            case "other beforeStamp": a.BeforeStamp = "20260930_020000"; break;
            case "other before": a.Before = 1001; break;
            case "other after": a.After = 901; break;
            case "no reason": a.Reason = " "; break;
            case "no by": a.By = ""; break;
            case "no at": a.At = default; break;
            case "other table": a.Table = "public.citas"; break;
        }
        return a;
    }

    [Theory]
    [MemberData(nameof(Forgeries))]
    public void AnAcknowledgementThatDoesNotMatchTheDrop_IsIgnored_WithACheckLine(string how)
    {
        var r = Judge(Forge(how));
        var d = Assert.Single(r.Drifts, x => x.Table == "public.asegurados");
        Assert.Equal((true, false, true), (d.Exceeded, d.Acknowledged, d.IsProblem));
        Assert.Null(d.AcknowledgedReason);
        if (how != "other table")
        {
            Assert.Contains("public.asegurados: an acknowledgement in 20261002_020000 that does not match the drop "
                + "(1000 rows at 20261001_020000, 900 at 20261002_020000) was ignored", r.Notes);
        }
    }

    [Fact]
    public void TheMatchingAcknowledgement_Counts_EvenAfterAForgedOne()
    {
        var r = Judge(Real(), Forge("table only"));
        Assert.True(Assert.Single(r.Drifts).Acknowledged);
        Assert.DoesNotContain(r.Notes, n => n.Contains("was ignored", StringComparison.Ordinal));
    }

    [Fact]
    public void Retention_AForgedAcknowledgement_DoesNotReleaseTheSetBeforeTheDrop()
    {
        var t0 = new DateTimeOffset(2026, 10, 1, 2, 0, 0, TimeSpan.Zero);
        RetentionCandidate Set(int day, long rows, params ManifestRowDropAcknowledgement[] acks) => new(
            $"/b/m_{day}", "maestro_cenate", t0.AddDays(day), true, true)
        {
            RowCounts = Counts(rows), Stamp = t0.AddDays(day).ToString("yyyyMMdd_HHmmss",
                System.Globalization.CultureInfo.InvariantCulture), RowDropAcknowledgements = acks,
        };
        var policy = new RetentionPolicy { KeepDaily = 1, KeepWeekly = 0, KeepMonthly = 0, MinimumKeep = 1,
            RowDrop = Policy };
        var now = t0.AddDays(90);
        var newest = new RetentionCandidate("/b/newest", "maestro_cenate", now.AddHours(-1), true, true);
        var forged = RetentionPlanner.Plan(new[] { Set(0, 1000), Set(1, 900, Forge("table only")), newest }, policy,
            now);
        Assert.Equal(RetentionRule.BeforeRowDrop, forged.Single(d => d.Candidate.Id == "/b/m_0").Rule);
        var real = RetentionPlanner.Plan(new[] { Set(0, 1000), Set(1, 900, Real()), newest }, policy, now);
        Assert.Equal(RetentionRule.Expired, real.Single(d => d.Candidate.Id == "/b/m_0").Rule);
    }

    [Theory]
    [InlineData("ok\u001b[2Jgone", "ok\\u{001B}[2Jgone")]
    [InlineData("two\nlines", "two\\u{000A}lines")]
    [InlineData("abc\u202Efed", "abc\\u{202E}fed")]
    [InlineData("zero\u200Bwidth", "zero\\u{200B}width")]
    [InlineData("tag\U000E0041", "tag\\u{E0041}")]
    [InlineData("plain ñandú", "plain ñandú")]
    public void AcknowledgementText_IsShownEscaped(string raw, string shown)
    {
        var a = Real();
        a.Reason = raw;
        a.By = raw;
        var r = Judge(a);
        var d = Assert.Single(r.Drifts);
        Assert.Equal((shown, shown), (d.AcknowledgedReason, d.AcknowledgedBy));
        var note = Assert.Single(r.Notes);
        Assert.DoesNotContain(note, c => char.IsControl(c) || char.GetUnicodeCategory(c)
            is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.Surrogate);
    }

    [Theory]
    [InlineData("abc\u202Efed")]
    [InlineData("zero\u200Bwidth")]
    [InlineData("tag\U000E0041")]
    [InlineData("bell\u0007")]
    public void Reason_WithControlOrFormatCharacters_IsRefused(string reason) =>
        Assert.Throws<ArgumentException>(() => RowDropAcknowledger.RequireReason(reason));

    [Fact]
    public void Reason_WithALoneSurrogate_IsRefused_AndShownByItsCode()
    {
        var lone = "lone" + (char)0xD800;
        Assert.Throws<ArgumentException>(() => RowDropAcknowledger.RequireReason(lone));
        Assert.Equal("lone\\u{D800}", UntrustedText.Escape(lone));
    }

    [Fact]
    public void Coverage_WarnsForEachUncountedName_RefusesWhenNoneIsCounted()
    {
        var counted = new List<IReadOnlyDictionary<string, long>?> { Counts(1000) };
        var warnings = new List<string>();
        var mixed = new RowDropPolicy(RowDropThreshold.Default, new[] { "asegurados", "citsa" });
        RowDropCoverage.Require(mixed, counted, true, null, warnings.Add);
        Assert.Equal(new[] { RowDropCoverage.NotCounted("citsa") }, warnings);
        Assert.Contains("counted in no set: sets record counts only for New-CenateDump's -CriticalTable tables "
            + "(default asegurados)", warnings[0], StringComparison.Ordinal);

        var none = new RowDropPolicy(RowDropThreshold.Default, new[] { "citsa" });
        var ex = Assert.Throws<CenateException>(() => RowDropCoverage.Require(none, counted, true, null, _ => { }));
        Assert.Equal(ErrorIds.TableNotInBackup, ex.ErrorId);
        var settings = new RowDropPolicy(null, null,
            new Dictionary<string, RowDropThreshold> { ["public.citsa"] = RowDropThreshold.Default });
        ex = Assert.Throws<CenateException>(() =>
            RowDropCoverage.Require(settings, counted, false, "/s.psd1", _ => { }));
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
        // No complete full set yet: nothing to judge the names by, so nothing is refused.
        RowDropCoverage.Require(none, new List<IReadOnlyDictionary<string, long>?>(), true, null, _ => { });
    }

    [Fact]
    public void SettingsErrors_EndWithOneFullStop()
    {
        var data = new System.Collections.Hashtable
        {
            ["RowDrop"] = new System.Collections.Hashtable { ["asegurados"] = "2,5%" },
        };
        var ex = Assert.Throws<CenateException>(() => RowDropSettings.FromData(data, "/s.psd1"));
        Assert.EndsWith(").", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("..", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the decimal separator is a dot", ex.Message, StringComparison.Ordinal);
    }
}
