using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Retention;
using Xunit;
using static CenateBackup.Core.Tests.Unit.RetentionCalendar;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// The safety rules (minimum keep, backups stopped, no verified set), a set dated in the future and partial sets beside
/// the full ones: hand-made inputs whose expected plan can be recounted on paper. The helpers are in
/// RetentionPlannerTests.cs.
/// </summary>
public partial class RetentionPlannerTests
{
    // ---- Safety rules ----

    [Fact]
    public void IncompleteNewestSet_IsNotCountedAmongTheMinimumKeep()
    {
        var sets = new[]
        {
            Set("e", "db", "2025-01-10T02:00Z", complete: false, verified: false),
            Set("d", "db", "2025-01-09T02:00Z", complete: false, verified: true), // "verified" but incomplete: not good
            Set("c", "db", "2025-01-08T02:00Z"),
            Set("b", "db", "2025-01-07T02:00Z", verified: false),
            Set("a2", "db", "2025-01-06T02:00Z"),
            Set("a1", "db", "2025-01-05T02:00Z"),
            Set("a0", "db", "2025-01-04T02:00Z"),
        };
        var now = DateTimeOffset.Parse("2026-06-01T00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var plan = RetentionPlanner.Plan(sets, new RetentionPolicy { Force = true, KeepWeekly = 0, KeepMonthly = 0 }, now);
        RetentionAssert.WellFormed(sets, plan);
        Assert.Equal(new[] { "e", "d", "c", "b", "a2", "a1", "a0" }, plan.Select(d => d.Candidate.Id));
        Assert.Equal(new[] { "c", "a2", "a1" }, plan.Where(d => d.Rule == RetentionRule.MinimumKeep).Select(d => d.Candidate.Id));
        Assert.Equal(new[] { "e", "d", "b", "a0" }, plan.Where(d => !d.Keep).Select(d => d.Candidate.Id));
    }

    [Fact]
    public void IncompleteNewestSet_DoesNotProveBackupsAreRunning()
    {
        // Newest set 2025-12-31 14:00 (incomplete) is 1 d 13 h old, but the newest good one (02:00) is 2 d 1 h old.
        var (_, plan) = PlanLima("2026-01-02T03:00");
        Assert.All(plan, d => Assert.Equal(RetentionRule.BackupsStopped, d.Rule));
        Assert.All(plan, d => Assert.True(d.Keep));
        // A minute before 02:00 the newest good set is just under 2 days old: not stopped.
        var (_, earlier) = PlanLima("2026-01-02T01:59");
        Assert.DoesNotContain(earlier, d => d.Rule == RetentionRule.BackupsStopped);
        Assert.Contains(earlier, d => !d.Keep);
    }

    [Fact]
    public void NoVerifiedSetAtAll_KeepsEverything_EvenWithForce()
    {
        var now = At(Lima, "2025-12-31T15:00");
        var sets = Generate(Lima).Until(now).Select(s => s with { Verified = false }).ToList();
        sets.Add(Set("verified-but-incomplete", DefaultDatabase, "2020-01-01T00:00Z", complete: false, verified: true));
        foreach (var force in new[] { false, true })
        {
            var plan = RetentionPlanner.Plan(sets, new RetentionPolicy { TimeZone = Lima, Force = force }, now);
            RetentionAssert.WellFormed(sets, plan);
            Assert.All(plan, d =>
            {
                Assert.True(d.Keep);
                Assert.Equal(RetentionRule.NoVerifiedSet, d.Rule);
            });
        }
    }

    [Fact]
    public void BackupsStopped45DaysAgo_NothingGoes_AndWithForceTheNewestThreeGoodSetsStay()
    {
        var now = At(Lima, "2025-12-31T15:00");
        var sets = Generate(Lima).Until(now.AddDays(-45)); // the last set is Sunday 2025-11-16 14:00
        Assert.Equal(Id("2025-11-16T14:00"), sets.MaxBy(s => s.Time)!.Id);

        var plan = RetentionPlanner.Plan(sets, LimaPolicy, now);
        RetentionAssert.WellFormed(sets, plan);
        Assert.All(plan, d =>
        {
            Assert.True(d.Keep);
            Assert.Equal(RetentionRule.BackupsStopped, d.Rule);
            Assert.Contains("45 days", d.Reason);
        });

        var forced = RetentionPlanner.Plan(sets, LimaPolicy with { Force = true }, now);
        RetentionAssert.WellFormed(sets, forced);
        var counts = RetentionAssert.CountByRule(forced);
        Assert.Equal(new[] { "2025-11-16T14:00", "2025-11-16T02:00", "2025-11-15T14:00" }, forced.LocalTimesWith(RetentionRule.MinimumKeep, Lima));
        Assert.Equal(0, counts.Count(RetentionRule.Daily)); // nothing is younger than 45 days
        // Weeks 40..45 (week 46's newest set is a MinimumKeep one).
        Assert.Equal(new[] { "2025-11-09T02:00", "2025-11-02T14:00", "2025-10-26T14:00", "2025-10-19T14:00", "2025-10-12T14:00", "2025-10-05T14:00" },
            forced.LocalTimesWith(RetentionRule.Weekly, Lima));
        // Months Jan..Oct 2025 (November's newest set is a MinimumKeep one; December 2024's is 365 d 1 h old).
        Assert.Equal(10, counts.Count(RetentionRule.Monthly));
        Assert.Equal(19, forced.Count(d => d.Keep));
        Assert.Equal(sets.Count - 19, counts.Count(RetentionRule.Expired));
    }

    [Fact]
    public void MinimumKeep_HoldsWhateverTheWindows()
    {
        var now = At(Lima, "2025-12-31T15:00");
        var sets = Generate(Lima).Until(At(Lima, "2024-03-01T00:00")); // stopped almost two years ago
        var plan = RetentionPlanner.Plan(sets, new RetentionPolicy { TimeZone = Lima, Force = true, KeepDaily = 0, KeepWeekly = 0, KeepMonthly = 0, MinimumKeep = 5 }, now);
        RetentionAssert.WellFormed(sets, plan);
        Assert.Equal(new[] { "2024-02-29T14:00", "2024-02-29T02:00", "2024-02-28T14:00", "2024-02-28T02:00", "2024-02-27T14:00" },
            plan.Where(d => d.Keep).Select(d => LocalText(Lima, d.Candidate.Time)));
        Assert.All(plan.Where(d => d.Keep), d => Assert.Equal(RetentionRule.MinimumKeep, d.Rule));
    }

    // ---- A set dated in the future (wrong clock on some host) must not switch the safety rules off ----

    [Fact]
    public void FutureDatedSet_DoesNotProveBackupsRun_NorTakeAMinimumKeepPlace()
    {
        var now = DateTimeOffset.Parse("2026-03-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var sets = new List<RetentionCandidate>();
        for (var i = 0; i < 60; i++) sets.Add(Set($"old{i}", "db", now.AddDays(-45 - i).ToString("o")));
        sets.Add(Set("future", "db", now.AddDays(365).ToString("o")));
        var plan = RetentionPlanner.Plan(sets, new RetentionPolicy(), now);
        Assert.All(plan, d => Assert.True(d.Keep));
        Assert.All(plan, d => Assert.Equal(RetentionRule.BackupsStopped, d.Rule));

        var forced = RetentionPlanner.Plan(sets, new RetentionPolicy { Force = true }, now);
        var minimum = forced.Where(d => d.Rule == RetentionRule.MinimumKeep).Select(d => d.Candidate.Id).OrderBy(x => x).ToArray();
        Assert.Equal(new[] { "old0", "old1", "old2" }, minimum);
        Assert.True(forced.Single(d => d.Candidate.Id == "future").Keep);
    }

    [Fact]
    public void A_Few_Minutes_Of_Clock_Skew_Still_Counts()
    {
        var now = DateTimeOffset.Parse("2026-03-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var sets = new List<RetentionCandidate> { Set("skewed", "db", now.AddMinutes(5).ToString("o")) };
        for (var i = 0; i < 40; i++) sets.Add(Set($"old{i}", "db", now.AddDays(-40 - i).ToString("o")));
        var plan = RetentionPlanner.Plan(sets, new RetentionPolicy(), now);
        Assert.Equal(RetentionRule.MinimumKeep, plan.Single(d => d.Candidate.Id == "skewed").Rule);
        Assert.Contains(plan, d => !d.Keep);
    }

    // ---- Partial sets (chosen tables, data only, exports only) beside the full ones ----

    [Fact]
    public void OldDailyScript_TwoSetsPerRun_KeepsTheFullDumpsForEveryWeekAndMonth()
    {
        // The old routine: every run a full dump, then a data-only set of asegurados 20 s later (newer, verified).
        var now = At(Lima, "2025-12-31T15:00");
        var sets = Generate(Lima, mixed: true).Until(now);
        var plan = RetentionPlanner.Plan(sets, LimaPolicy, now);
        RetentionAssert.WellFormed(sets, plan);

        // Exactly the same full sets stand for weeks and months as in the calendar without partial sets.
        var fullOnly = RetentionPlanner.Plan(sets.Where(s => s.Full).ToList(), LimaPolicy, now);
        Assert.Equal(fullOnly.LocalTimesWith(RetentionRule.Weekly, Lima), plan.LocalTimesWith(RetentionRule.Weekly, Lima));
        Assert.Equal(fullOnly.LocalTimesWith(RetentionRule.Monthly, Lima), plan.LocalTimesWith(RetentionRule.Monthly, Lima));
        Assert.Equal(9, plan.Count(d => d.Rule == RetentionRule.Weekly));
        Assert.Equal(10, plan.Count(d => d.Rule == RetentionRule.Monthly));
        Assert.All(plan.Where(d => d.Rule is RetentionRule.Weekly or RetentionRule.Monthly or RetentionRule.MinimumKeep or RetentionRule.Daily),
            d => Assert.True(d.Candidate.Full, $"{d.Candidate.Id} is partial but kept as {d.Rule}"));
        // Full dumps older than 30 days survive (the data loss this fixes: none did).
        Assert.Equal(19, plan.Count(d => d.Keep && d.Candidate.Full && now - d.Candidate.Time > TimeSpan.FromDays(30)));
        // MinimumKeep holds the newest three good FULL sets, although newer partial sets exist.
        Assert.Equal(new[] { "2025-12-31T02:00", "2025-12-30T14:00", "2025-12-30T02:00" }, plan.LocalTimesWith(RetentionRule.MinimumKeep, Lima));
        // Partial sets: kept 30 days, none older.
        Assert.All(plan.Where(d => !d.Candidate.Full && now - d.Candidate.Time > TimeSpan.FromDays(30)), d => Assert.Equal(RetentionRule.Expired, d.Rule));
        Assert.Equal(RetentionRule.Partial, plan.For(Id("2025-12-31T14:00") + "#data").Rule);
        Assert.Equal(RetentionRule.Partial, plan.For(Id("2025-12-02T08:00") + "#csv").Rule);
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2025-12-01T08:00") + "#csv").Rule);
    }

    [Fact]
    public void PartialSet_NeverOutlivesTheFullSetItCameWith()
    {
        // Partial sets kept 60 days, full sets only 30 days daily: the data-only set of an expired full set goes with it,
        // a CSV export set taken with no full set near it stays for its 60 days.
        var policy = LimaPolicy with { KeepPartial = 60 };
        var now = At(Lima, "2025-12-31T15:00");
        var sets = Generate(Lima, mixed: true).Until(now);
        var plan = RetentionPlanner.Plan(sets, policy, now);
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2025-11-20T02:00")).Rule);
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2025-11-20T02:00") + "#data").Rule);
        Assert.Contains("goes", plan.For(Id("2025-11-20T02:00") + "#data").Reason);
        Assert.Equal(RetentionRule.Weekly, plan.For(Id("2025-11-16T14:00")).Rule);
        Assert.Equal(RetentionRule.Partial, plan.For(Id("2025-11-16T14:00") + "#data").Rule);
        Assert.Equal(RetentionRule.Partial, plan.For(Id("2025-11-20T08:00") + "#csv").Rule);
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2025-10-31T08:00") + "#csv").Rule);
    }

    [Fact]
    public void ExportSets_NeitherFillMinimumKeep_NorProveBackupsRun()
    {
        // One good full set 40 days old, then only CSV export sets: the full set is the only dump and must stay.
        var sets = new List<RetentionCandidate>
        {
            Set("full", "db", "2026-01-01T02:00:00Z"),
            Set("csv1", "db", "2026-02-09T08:00:00Z") with { Full = false },
            Set("csv2", "db", "2026-02-10T08:00:00Z") with { Full = false },
            Set("csv3", "db", "2026-02-10T09:00:00Z") with { Full = false },
        };
        var now = DateTimeOffset.Parse("2026-02-10T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var plan = RetentionPlanner.Plan(sets, new RetentionPolicy(), now);
        Assert.All(plan, d => Assert.Equal(RetentionRule.BackupsStopped, d.Rule));
        var forced = RetentionPlanner.Plan(sets, new RetentionPolicy { Force = true }, now);
        Assert.Equal(RetentionRule.MinimumKeep, forced.For("full").Rule);
        Assert.All(forced.Where(d => d.Candidate.Id != "full"), d => Assert.Equal(RetentionRule.Partial, d.Rule));
        // Only partial sets: no full set proves anything, so nothing goes, whatever their age.
        var onlyCsv = sets.Skip(1).Select(s => s with { Time = s.Time.AddDays(-100) }).ToList();
        Assert.All(RetentionPlanner.Plan(onlyCsv, new RetentionPolicy { Force = true }, now), d => Assert.Equal(RetentionRule.NoVerifiedSet, d.Rule));
    }
}
