using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Drift;
using CenateBackup.Core.Retention;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// Issue 21 §1: the open-drop search the monitor reports and retention's BeforeRowDrop protects (one search for both).
/// </summary>
public class RowDropHistoryTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 31, 12, 0, 0, TimeSpan.Zero);
    private static readonly RowDropPolicy Policy = RowDropPolicy.Default(RowDropThreshold.Default);

    /// <summary>A daily full set <paramref name="daysAgo"/> days ago with its asegurados count.</summary>
    private static RowDropPoint Point(int daysAgo, long asegurados, string? ackReason = null, long ackBefore = 0)
    {
        var time = new DateTimeOffset(Now.Date.AddDays(-daysAgo).AddHours(2), TimeSpan.Zero);
        var stamp = time.UtcDateTime.ToString("yyyyMMdd_HHmmss", System.Globalization.CultureInfo.InvariantCulture);
        var acks = ackReason is null ? null : new[]
        {
            new ManifestRowDropAcknowledgement
            {
                Table = "public.asegurados", Reason = ackReason, By = "ana", At = Now.AddDays(-1),
                Before = ackBefore, After = asegurados,
                BeforeStamp = time.AddDays(-1).UtcDateTime.ToString("yyyyMMdd_HHmmss",
                    System.Globalization.CultureInfo.InvariantCulture),
            },
        };
        return new RowDropPoint($"/b/maestro_cenate_{stamp}.manifest.json", time, stamp,
            new Dictionary<string, long> { ["public.asegurados"] = asegurados, ["public.citas"] = 5 }, acks);
    }

    private static IReadOnlyList<RowDropStep<RowDropPoint>> Find(params RowDropPoint[] sets) =>
        RowDropHistory.Find(sets.Reverse(), p => p, Policy);

    /// <summary>The same sets as retention candidates (old enough that only BeforeRowDrop can keep them).</summary>
    private static IReadOnlyList<RetentionDecision> Plan(params RowDropPoint[] sets) => RetentionPlanner.Plan(
        sets.Select(p => new RetentionCandidate(p.Id, "maestro_cenate", p.Time, true, true)
        {
            RowCounts = p.RowCounts,
            RowDropAcknowledgements = p.Acknowledgements?.ToList(),
            Stamp = p.Stamp,
        }).Append(new RetentionCandidate("/b/newest", "maestro_cenate", Now.AddHours(-2), true, true)),
        new RetentionPolicy { KeepDaily = 1, KeepWeekly = 0, KeepMonthly = 0, MinimumKeep = 1, RowDrop = Policy }, Now);

    private static IEnumerable<string> KeptBeforeDrop(IReadOnlyList<RetentionDecision> plan) => plan
        .Where(d => d.Rule == RetentionRule.BeforeRowDrop).Select(d => d.Candidate.Stamp!);

    [Fact]
    public void TwoDrops_OneAcknowledged_OnlyTheOtherIsOpen_AndRetentionKeepsOnlyItsSet()
    {
        var sets = new[]
        {
            Point(40, 1000), Point(39, 900, "purge of duplicates", 1000), Point(38, 900), Point(37, 800),
        };
        var steps = Find(sets);
        Assert.Equal(2, steps.Count);
        Assert.Equal((sets[0], sets[1]), (steps[0].Before, steps[0].After));
        Assert.Empty(steps[0].Open);
        var acked = Assert.Single(steps[0].Drops);
        Assert.True(acked.Acknowledged);
        Assert.Equal(("purge of duplicates", "ana"), (acked.AcknowledgedReason, acked.AcknowledgedBy));
        Assert.Contains(steps[0].Notes, n => n.EndsWith(
            "acknowledged by ana at 2026-12-30 12:00:00Z: purge of duplicates", StringComparison.Ordinal));
        Assert.Equal((sets[2], sets[3]), (steps[1].Before, steps[1].After));
        var open = Assert.Single(steps[1].Open);
        Assert.Equal((900L, 800L, -100L, sets[2].Stamp, sets[3].Stamp),
            (open.Before, open.After, open.Difference, open.BeforeStamp, open.AfterStamp));
        Assert.Equal(new[] { sets[2].Stamp }, KeptBeforeDrop(Plan(sets)));
    }

    [Fact]
    public void DropThenGrowth_TheDropStaysOpen_GrowthDoesNotCloseIt()
    {
        var sets = new[] { Point(40, 1000), Point(39, 900), Point(38, 1000), Point(37, 1100) };
        var step = Assert.Single(Find(sets));
        Assert.Equal((sets[0], sets[1]), (step.Before, step.After));
        Assert.Equal(-100L, Assert.Single(step.Open).Difference);
        Assert.Equal(new[] { sets[0].Stamp }, KeptBeforeDrop(Plan(sets)));
    }

    [Fact]
    public void PreDropSetDeleted_NothingToReport()
    {
        // The set before the drop is gone: the sets left never dropped between themselves.
        var sets = new[] { Point(39, 900), Point(38, 900), Point(37, 950) };
        Assert.Empty(Find(sets));
        Assert.Empty(KeptBeforeDrop(Plan(sets)));
    }

    [Fact]
    public void ChurnWithinThreshold_AndSetsWithoutCounts_AreNotDrops()
    {
        var noCounts = Point(38, 0) with { RowCounts = null };
        var sets = new[] { Point(40, 1000), Point(39, 990), noCounts, Point(37, 500) };
        // 1% churn passes; the set without counts is never compared, so 39 → 37 is not a pair either.
        Assert.Empty(Find(sets));
    }
}
