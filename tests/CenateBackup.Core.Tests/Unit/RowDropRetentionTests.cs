using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Drift;
using CenateBackup.Core.Retention;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// Issue 21 §1: retention keeps the last full set before an unacknowledged drop (rule BeforeRowDrop).
/// </summary>
public class RowDropRetentionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 31, 12, 0, 0, TimeSpan.Zero);
    // Daily windows only (30 days), so a set past them is Expired unless the drop rule keeps it.
    private static readonly RetentionPolicy Plain = new() { KeepWeekly = 0, KeepMonthly = 0 };
    private static readonly RetentionPolicy Protected =
        Plain with { RowDrop = RowDropPolicy.Default(RowDropThreshold.Default) };

    /// <summary>
    /// A daily full set <paramref name="daysAgo"/> days ago (02:00 UTC) holding <paramref name="asegurados"/> rows.
    /// </summary>
    private static RetentionCandidate Set(int daysAgo, long? asegurados, bool complete = true, bool verified = true,
        bool full = true,
        params string[] acknowledged)
    {
        var time = new DateTimeOffset(Now.Date.AddDays(-daysAgo).AddHours(2), TimeSpan.Zero);
        var stamp = time.UtcDateTime.ToString("yyyyMMdd_HHmmss", System.Globalization.CultureInfo.InvariantCulture);
        return new RetentionCandidate($"/b/maestro_cenate_{stamp}.manifest.json", "maestro_cenate", time, complete,
            verified, full)
        {
            RowCounts = asegurados is null ? new Dictionary<string, long> { ["public.citas"] = 5 }
                : new Dictionary<string, long> { ["public.asegurados"] = asegurados.Value, ["public.citas"] = 5 },
            // As written by hand: the table alone. Such a record silences nothing (see History for real ones).
            RowDropAcknowledgements = acknowledged.Select(t => new ManifestRowDropAcknowledgement { Table = t })
                .ToList(),
            Stamp = stamp,
        };
    }

    /// <summary>What Confirm-CenateRowDrop records for the drop of asegurados from <paramref name="before"/>.</summary>
    private static ManifestRowDropAcknowledgement Ack(string table, RetentionCandidate before, long from, long to) =>
        new()
        {
            Table = table, BeforeStamp = before.Stamp!, Before = from, After = to, Reason = "purge", By = "ana",
            At = Now,
        };

    /// <summary>
    /// Daily sets from 60 days ago to today; the drop happens at <paramref name="dropDay"/> days ago.
    /// </summary>
    private static List<RetentionCandidate> History(int dropDay, long before, long after,
        params string[] acknowledged)
    {
        var sets = Enumerable.Range(0, 61).Select(d => Set(d, d > dropDay ? before : after)).ToList();
        var i = sets.FindIndex(s => s.Time.Date == Now.Date.AddDays(-dropDay));
        sets[i] = sets[i] with
        {
            RowDropAcknowledgements = acknowledged.Select(t => Ack(t, sets[i + 1], before, after)).ToList(),
        };
        return sets;
    }

    private static RetentionDecision For(IEnumerable<RetentionDecision> plan, int daysAgo) =>
        plan.Single(d => d.Candidate.Time.Date == Now.Date.AddDays(-daysAgo));

    [Fact]
    public void DropBeyondThreshold_KeepsTheSetBeforeIt_PastItsWindow_WithTheReason()
    {
        var plan = RetentionPlanner.Plan(History(45, 4000000, 3880000), Protected, Now);
        var kept = For(plan, 46);
        Assert.True(kept.Keep);
        Assert.Equal(RetentionRule.BeforeRowDrop, kept.Rule);
        Assert.Equal("last full set before public.asegurados fell from 4000000 to 3880000 rows (3.00%) "
            + "at 20261116_020000; "
            + "kept until Confirm-CenateRowDrop -Stamp 20261116_020000 acknowledges it", kept.Reason);
        // Only that one: its older neighbours and the set after the drop follow the ordinary rules.
        Assert.Single(plan, d => d.Rule == RetentionRule.BeforeRowDrop);
        Assert.False(For(plan, 47).Keep);
        Assert.False(For(plan, 45).Keep);
    }

    [Fact]
    public void WithoutThePolicy_NothingChanges()
    {
        var plan = RetentionPlanner.Plan(History(45, 4000000, 3880000), Plain, Now);
        Assert.DoesNotContain(plan, d => d.Rule == RetentionRule.BeforeRowDrop);
        Assert.False(For(plan, 46).Keep);
    }

    [Fact]
    public void Acknowledged_ReleasesTheSet()
    {
        var plan = RetentionPlanner.Plan(History(45, 4000000, 3880000, "public.asegurados"), Protected, Now);
        Assert.DoesNotContain(plan, d => d.Rule == RetentionRule.BeforeRowDrop);
        Assert.Equal(RetentionRule.Expired, For(plan, 46).Rule);
    }

    [Fact]
    public void AcknowledgingAnotherTable_DoesNotRelease()
    {
        var plan = RetentionPlanner.Plan(History(45, 4000000, 3880000, "public.citas"), Protected, Now);
        Assert.Equal(RetentionRule.BeforeRowDrop, For(plan, 46).Rule);
    }

    [Theory]
    [InlineData(4000000, 4100000)]   // growth
    [InlineData(4000000, 3960000)]   // 1% churn
    [InlineData(4000000, 3920000)]   // exactly 2%
    public void GrowthAndSmallDrops_KeepNothingExtra(long before, long after)
    {
        var plan = RetentionPlanner.Plan(History(45, before, after), Protected, Now);
        Assert.DoesNotContain(plan, d => d.Rule == RetentionRule.BeforeRowDrop);
    }

    [Fact]
    public void TableVanished_IsADrop()
    {
        var sets = History(45, 4000000, 4000000);
        var i = sets.FindIndex(s => s.Time.Date == Now.Date.AddDays(-45));
        sets[i] = Set(45, null);
        var plan = RetentionPlanner.Plan(sets, Protected, Now);
        Assert.Equal(RetentionRule.BeforeRowDrop, For(plan, 46).Rule);
        Assert.Contains("fell from 4000000 to 0 rows (100.00%)", For(plan, 46).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PartialSets_AreNeitherComparedNorProtected()
    {
        var sets = History(45, 4000000, 4000000);
        // A partial (exports) set with few rows between two full sets, 40 days old: not a drop of the full sets'
        // series.
        sets.Add(Set(40, 10, full: false) with { Id = "/b/asegurados_partial.manifest.json" });
        var plan = RetentionPlanner.Plan(sets, Protected, Now);
        Assert.DoesNotContain(plan, d => d.Rule == RetentionRule.BeforeRowDrop);
    }

    [Fact]
    public void IncompleteSets_AreSkipped_ThePairIsTheCompleteSetsAroundThem()
    {
        var sets = History(45, 4000000, 3000000);
        var i = sets.FindIndex(s => s.Time.Date == Now.Date.AddDays(-46));
        sets[i] = Set(46, 4000000, complete: false);
        var plan = RetentionPlanner.Plan(sets, Protected, Now);
        Assert.NotEqual(RetentionRule.BeforeRowDrop, For(plan, 46).Rule);
        Assert.Equal(RetentionRule.BeforeRowDrop, For(plan, 47).Rule);
        // An incomplete set's low count starts no drop either.
        var sets2 = History(45, 4000000, 4000000);
        sets2[sets2.FindIndex(s => s.Time.Date == Now.Date.AddDays(-45))] = Set(45, 5, complete: false);
        Assert.DoesNotContain(RetentionPlanner.Plan(sets2, Protected, Now), d => d.Rule == RetentionRule.BeforeRowDrop);
    }

    [Fact]
    public void UnverifiedSetBeforeTheDrop_IsStillKept()
    {
        var sets = History(45, 4000000, 3000000);
        sets[sets.FindIndex(s => s.Time.Date == Now.Date.AddDays(-46))] = Set(46, 4000000, verified: false);
        Assert.Equal(RetentionRule.BeforeRowDrop, For(RetentionPlanner.Plan(sets, Protected, Now), 46).Rule);
    }

    [Fact]
    public void NeverTurnsAKeepIntoARemove()
    {
        var random = new Random(21);
        for (var run = 0; run < 200; run++)
        {
            var sets = Enumerable.Range(0, 400).Where(_ => random.NextDouble() < 0.7)
                .Select(d => Set(d, random.NextDouble() < 0.1 ? null : random.Next(900, 1000),
                    complete: random.NextDouble() < 0.9,
                    verified: random.NextDouble() < 0.9, full: random.NextDouble() < 0.85,
                    acknowledged: random.NextDouble() < 0.2 ? new[] { "public.asegurados" } : Array.Empty<string>()))
                .ToList();
            var policy = new RetentionPolicy { KeepDaily = random.Next(0, 40), KeepWeekly = random.Next(0, 100),
                MinimumKeep = random.Next(1, 4) };
            var without = RetentionPlanner.Plan(sets, policy, Now).ToDictionary(d => d.Candidate.Id);
            var with = RetentionPlanner.Plan(sets, policy with { RowDrop = Protected.RowDrop }, Now);
            foreach (var d in with)
            {
                var before = without[d.Candidate.Id];
                if (before.Keep) Assert.Equal((true, before.Rule), (d.Keep, d.Rule));
                else if (d.Keep) Assert.True(d.Rule is RetentionRule.BeforeRowDrop or RetentionRule.Partial,
                    d.Rule.ToString());
            }
        }
    }
}
