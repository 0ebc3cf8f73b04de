using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Retention;
using Xunit;
using static CenateBackup.Core.Tests.Unit.RetentionCalendar;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// Hand-checked expectations over the generated calendar (see RetentionCalendar for what it contains) and over
/// small hand-made inputs. Every number here can be recounted with a paper calendar.
/// </summary>
public partial class RetentionPlannerTests
{
    private static readonly RetentionPolicy LimaPolicy = new() { TimeZone = Lima };

    private static (List<RetentionCandidate> Sets, IReadOnlyList<RetentionDecision> Plan) PlanLima(string nowLocal, RetentionPolicy? policy = null, bool late = false)
    {
        var now = At(Lima, nowLocal);
        var sets = Generate(Lima, late: late).Until(now);
        var plan = RetentionPlanner.Plan(sets, policy ?? LimaPolicy, now);
        RetentionAssert.WellFormed(sets, plan);
        return (sets, plan);
    }

    private static RetentionCandidate Set(string id, string database, string utc, bool complete = true, bool verified = true) =>
        new(id, database, DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), complete, verified);

    // ---- The plan's policy at the end of the calendar (now = 2025-12-31 15:00 Lima) ----

    [Fact]
    public void EndOf2025_Lima_RuleCountsAreTheHandCountedOnes()
    {
        var (sets, plan) = PlanLima("2025-12-31T15:00");
        var counts = RetentionAssert.CountByRule(plan);

        // 731 days - 10 outage days - 37 weekend days of 2024-06, 2024-11, 2025-02, 2025-08 = 684 days, 2 sets each.
        Assert.Equal(1368, sets.Count);
        // The newest set (2025-12-31 14:00) is incomplete, so the newest three good sets are the next three.
        Assert.Equal(new[] { "2025-12-31T02:00", "2025-12-30T14:00", "2025-12-30T02:00" }, plan.LocalTimesWith(RetentionRule.MinimumKeep, Lima));
        // At most 30 days old = from 2025-12-01 15:00: 2025-12-02 02:00 .. 2025-12-31 14:00 = 30 days x 2 = 60 sets,
        // good or not, less the 3 MinimumKeep ones. 2025-12-01 14:00 is 30 d 1 h old.
        Assert.Equal(57, counts.Count(RetentionRule.Daily));
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2025-12-01T14:00")).Rule);
        Assert.Equal(RetentionRule.Daily, plan.For(Id("2025-12-02T02:00")).Rule);
        // Weeks whose newest good set is 30..90 days old (from 2025-10-02 15:00): ISO weeks 40..48 of 2025.
        Assert.Equal(new[]
        {
            "2025-11-30T14:00", // W48
            "2025-11-22T14:00", // W47: both Sunday sets are bad, so Saturday represents it
            "2025-11-16T14:00", // W46
            "2025-11-09T02:00", // W45: Sunday 14:00 was never verified
            "2025-11-02T14:00", // W44
            "2025-10-26T14:00", // W43
            "2025-10-19T14:00", // W42
            "2025-10-12T14:00", // W41
            "2025-10-05T14:00", // W40 (87 d 1 h old); W39's Sunday 2025-09-28 is 94 days old
        }, plan.LocalTimesWith(RetentionRule.Weekly, Lima));
        // Months whose newest good set is at most 365 days old and not already kept as a weekly set.
        Assert.Equal(new[]
        {
            "2025-10-31T14:00",
            "2025-09-30T02:00", // 14:00 on 2025-09-30 was never verified
            "2025-08-29T14:00", // August 2025 has no weekend sets and ends on a Sunday
            "2025-07-31T14:00",
            "2025-06-30T14:00",
            "2025-05-31T14:00",
            "2025-04-30T14:00",
            "2025-03-31T14:00",
            "2025-02-28T14:00",
            "2025-01-31T14:00",
        }, plan.LocalTimesWith(RetentionRule.Monthly, Lima));
        // December 2024's newest set is 365 days and 1 hour old: just outside the monthly window.
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2024-12-31T14:00")).Rule);
        Assert.Equal(3 + 57 + 9 + 10, plan.Count(d => d.Keep));
        Assert.Equal(1368 - 79, counts.Count(RetentionRule.Expired));
        Assert.Equal(0, counts.Count(RetentionRule.Yearly));
    }

    [Fact]
    public void DailyWindow_KeepsEverySet_GoodOrNot()
    {
        var (_, plan) = PlanLima("2025-12-31T15:00");
        var incomplete = plan.For(Id("2025-12-07T02:00"));
        Assert.False(incomplete.Candidate.Complete);
        Assert.Equal(RetentionRule.Daily, incomplete.Rule);
        var unverified = plan.For(Id("2025-12-13T14:00"));
        Assert.False(unverified.Candidate.Verified);
        Assert.Equal(RetentionRule.Daily, unverified.Rule);
        var newestIncomplete = plan.For(Id("2025-12-31T14:00"));
        Assert.Equal(RetentionRule.Daily, newestIncomplete.Rule);
        Assert.Same(newestIncomplete, plan[0]);
    }

    [Fact]
    public void WeekWhoseNewestSetIsUnverified_IsRepresentedByItsNewestVerifiedSet()
    {
        var (_, plan) = PlanLima("2025-12-31T15:00");
        var sunday14 = plan.For(Id("2025-11-09T14:00"));
        Assert.False(sunday14.Keep);
        Assert.Equal(RetentionRule.Expired, sunday14.Rule);
        Assert.Contains("never verified", sunday14.Reason);
        Assert.Equal(RetentionRule.Weekly, plan.For(Id("2025-11-09T02:00")).Rule);
        Assert.Contains("2025-W45", plan.For(Id("2025-11-09T02:00")).Reason);

        // Sunday 2025-11-23: 02:00 never verified, 14:00 incomplete; Saturday 14:00 represents ISO week 47.
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2025-11-23T02:00")).Rule);
        var incomplete = plan.For(Id("2025-11-23T14:00"));
        Assert.Equal(RetentionRule.Expired, incomplete.Rule);
        Assert.Contains("incomplete", incomplete.Reason);
        Assert.Equal(RetentionRule.Weekly, plan.For(Id("2025-11-22T14:00")).Rule);
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2025-11-22T02:00")).Rule);
    }

    [Fact]
    public void MonthWhoseLastSetIsUnverified_IsRepresentedByItsNewestVerifiedSet()
    {
        var (_, plan) = PlanLima("2025-12-31T15:00");
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2025-09-30T14:00")).Rule);
        Assert.Equal(RetentionRule.Monthly, plan.For(Id("2025-09-30T02:00")).Rule);
        Assert.Contains("2025-09", plan.For(Id("2025-09-30T02:00")).Reason);
    }

    // ---- Leap day, ISO week-year, month ends ----

    [Fact]
    public void LeapDay_IsFebruary2024sNewestGoodSet()
    {
        var (_, plan) = PlanLima("2024-12-31T15:00");
        Assert.Equal(RetentionRule.Monthly, plan.For(Id("2024-02-29T14:00")).Rule);
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2024-02-29T02:00")).Rule);
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2024-02-28T14:00")).Rule);
        // Every month Jan..Nov 2024 has one Monthly set (December's newest is a MinimumKeep one). November 2024
        // has no weekend sets and ends on a Saturday; its Friday 29th is not the newest of ISO week 48 (Sunday 1 Dec is).
        Assert.Equal(new[]
        {
            "2024-11-29T14:00", "2024-10-31T14:00", "2024-09-30T14:00", "2024-08-31T14:00", "2024-07-31T14:00",
            "2024-06-28T14:00", // June 2024 has no weekend sets and ends on a Sunday
            "2024-05-31T02:00", // 14:00 on 2024-05-31 was never verified
            "2024-04-30T14:00", "2024-03-31T14:00", "2024-02-29T14:00", "2024-01-31T14:00",
        }, plan.LocalTimesWith(RetentionRule.Monthly, Lima));
    }

    [Fact]
    public void LeapDaySet_LeavesTheMonthlyWindowExactlyAfter365Days()
    {
        // 2024-02-29 14:00 -> 2025-02-28 14:00 is 365 days (2024-02-29 .. 2025-02-28 crosses no other 29 Feb).
        Assert.Equal(RetentionRule.Monthly, PlanLima("2025-02-28T13:00").Plan.For(Id("2024-02-29T14:00")).Rule); // 364 d 23 h
        Assert.Equal(RetentionRule.Expired, PlanLima("2025-02-28T15:00").Plan.For(Id("2024-02-29T14:00")).Rule); // 365 d 1 h
    }

    [Fact]
    public void LastDaysOfDecember2024_BelongToIsoWeek1Of2025()
    {
        // 2024-12-30 (Mon) and 2024-12-31 (Tue) are in 2025-W01, whose newest set is Sunday 2025-01-05 14:00.
        var (_, plan) = PlanLima("2025-03-01T15:00");
        var w01 = plan.For(Id("2025-01-05T14:00"));
        Assert.Equal(RetentionRule.Weekly, w01.Rule);
        Assert.Contains("2025-W01", w01.Reason);
        var w52 = plan.For(Id("2024-12-29T14:00"));
        Assert.Equal(RetentionRule.Weekly, w52.Rule);
        Assert.Contains("2024-W52", w52.Reason);
        // 2024-12-31 14:00 is not W01's newest set, but it is December's.
        Assert.Equal(RetentionRule.Monthly, plan.For(Id("2024-12-31T14:00")).Rule);
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2024-12-30T14:00")).Rule);
    }

    // ---- Time zones: weeks, months and years follow the zone's calendar ----

    [Fact]
    public void WeekAndMonthKeys_FollowTheZone()
    {
        // 23:30 on 31 March 2025 in Madrid is 21:30 UTC: March either way.
        Assert.Equal("2025-03", RetentionPlanner.MonthKey(At(Madrid, "2025-03-31T23:30"), Madrid));
        Assert.Equal(new DateTimeOffset(2025, 3, 31, 21, 30, 0, TimeSpan.Zero), At(Madrid, "2025-03-31T23:30"));
        // 00:30 on 1 April 2025 in Madrid is still 31 March in UTC, but it is April in Madrid.
        Assert.Equal("2025-04", RetentionPlanner.MonthKey(At(Madrid, "2025-04-01T00:30"), Madrid));
        Assert.Equal("2025-03", RetentionPlanner.MonthKey(At(Madrid, "2025-04-01T00:30"), TimeZoneInfo.Utc));
        // Sunday 23:30 in Lima is Monday 04:30 UTC: still the Sunday's ISO week in Lima.
        Assert.Equal("2025-W45", RetentionPlanner.WeekKey(At(Lima, "2025-11-09T23:30"), Lima));
        Assert.Equal("2025-W46", RetentionPlanner.WeekKey(At(Lima, "2025-11-09T23:30"), TimeZoneInfo.Utc));
        // Monday 00:30 in Madrid is Sunday 23:30 UTC: the new ISO week in Madrid.
        Assert.Equal("2025-W46", RetentionPlanner.WeekKey(At(Madrid, "2025-11-10T00:30"), Madrid));
        Assert.Equal("2025-W45", RetentionPlanner.WeekKey(At(Madrid, "2025-11-10T00:30"), TimeZoneInfo.Utc));
        // New Year's Eve 23:30 in Lima is 2025 in UTC but 2024-W01 of ISO 2025 and month 2024-12 in Lima.
        Assert.Equal("2024-12", RetentionPlanner.MonthKey(At(Lima, "2024-12-31T23:30"), Lima));
        Assert.Equal("2025-W01", RetentionPlanner.WeekKey(At(Lima, "2024-12-31T23:30"), Lima));
    }

    [Fact]
    public void Madrid_SetsNearMidnight_BelongToTheLocalWeekAndMonth()
    {
        var now = At(Madrid, "2025-12-31T15:00");
        var sets = Generate(Madrid, late: true).Until(now);
        var plan = RetentionPlanner.Plan(sets, new RetentionPolicy { TimeZone = Madrid }, now);
        RetentionAssert.WellFormed(sets, plan);

        // March 2025: its newest set is 31 March 23:30 local (21:30 UTC), not 1 April 00:30 local (22:30 UTC on 31 March).
        Assert.Equal(RetentionRule.Monthly, plan.For(Id("2025-03-31T23:30")).Rule);
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2025-04-01T00:30")).Rule);
        Assert.Equal(RetentionRule.Monthly, plan.For(Id("2025-04-30T23:30")).Rule);
        // ISO week 45: Sunday 9 Nov 23:30 local; Monday 10 Nov 00:30 local (Sunday 23:30 UTC) is week 46's oldest.
        Assert.Equal(RetentionRule.Weekly, plan.For(Id("2025-11-09T23:30")).Rule);
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2025-11-10T00:30")).Rule);
        Assert.Equal(RetentionRule.Weekly, plan.For(Id("2025-11-16T23:30")).Rule);
        // The fall-back Sunday (26 Oct 2025): its 23:30 set represents ISO week 43.
        Assert.Equal(RetentionRule.Weekly, plan.For(Id("2025-10-26T23:30")).Rule);
    }

    [Fact]
    public void Lima_SundayAt2330_IsItsOwnWeeksNewestSet_AndNewYearsEveIs2024s()
    {
        // At 2026-01-01 09:00 the set of 2024-12-31 23:30 is 365 d 9.5 h old: outside the monthly window.
        var (_, plan) = PlanLima("2026-01-01T09:00", new RetentionPolicy { TimeZone = Lima, KeepYearly = 2 }, late: true);
        // Sunday 23:30 in Lima is Monday 04:30 UTC; it still represents its Sunday's week.
        Assert.Equal(RetentionRule.Weekly, plan.For(Id("2025-11-09T23:30")).Rule);
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2025-11-10T00:30")).Rule);
        // 31 October 23:30 in Lima (1 November 04:30 UTC) represents October.
        Assert.Equal(RetentionRule.Monthly, plan.For(Id("2025-10-31T23:30")).Rule);
        // 31 December 2024 23:30 in Lima (1 January 2025 04:30 UTC) represents the year 2024.
        var year2024 = plan.For(Id("2024-12-31T23:30"));
        Assert.Equal(RetentionRule.Yearly, year2024.Rule);
        Assert.Contains("2024", year2024.Reason);
        Assert.Equal(RetentionRule.Expired, plan.For(Id("2025-01-01T00:30")).Rule);
    }

    [Fact]
    public void Madrid_DstDays_HaveTheirSets()
    {
        var sets = Generate(Madrid);
        // Spring forward 2025-03-30: 02:00 does not exist, the job runs at 03:00 CEST = 01:00 UTC.
        var spring = Assert.Single(sets, s => s.Id == Id("2025-03-30T03:00"));
        Assert.Equal(new DateTimeOffset(2025, 3, 30, 1, 0, 0, TimeSpan.Zero), spring.Time);
        Assert.DoesNotContain(sets, s => s.Id == Id("2025-03-30T02:00"));
        // Fall back 2024-10-27: the first 02:00 (CEST) = 00:00 UTC.
        Assert.Equal(new DateTimeOffset(2024, 10, 27, 0, 0, 0, TimeSpan.Zero), Assert.Single(sets, s => s.Id == Id("2024-10-27T02:00")).Time);

        var now = At(Madrid, "2025-06-01T15:00");
        var plan = RetentionPlanner.Plan(sets.Until(now), new RetentionPolicy { TimeZone = Madrid }, now);
        Assert.Equal(RetentionRule.Weekly, plan.For(Id("2025-03-30T14:00")).Rule);
        Assert.Equal(RetentionRule.Monthly, plan.For(Id("2024-10-31T14:00")).Rule);
    }

    // ---- KeepYearly ----

    [Fact]
    public void KeepYearly_KeepsEachYearsNewestGoodSet_YoungerThanTheYears()
    {
        // 2024's newest set (2024-12-31 14:00) is 365 d 1 h old: outside the monthly window, inside 2 years.
        var (_, two) = PlanLima("2025-12-31T15:00", new RetentionPolicy { TimeZone = Lima, KeepYearly = 2 });
        var y2024 = two.For(Id("2024-12-31T14:00"));
        Assert.Equal(RetentionRule.Yearly, y2024.Rule);
        Assert.Contains("2024", y2024.Reason);
        Assert.Equal(new[] { "2024-12-31T14:00" }, two.LocalTimesWith(RetentionRule.Yearly, Lima)); // 2025's newest is a MinimumKeep one
        Assert.Equal(80, two.Count(d => d.Keep));

        // With 1 year the same set is one hour too old.
        var (_, one) = PlanLima("2025-12-31T15:00", new RetentionPolicy { TimeZone = Lima, KeepYearly = 1 });
        Assert.Equal(RetentionRule.Expired, one.For(Id("2024-12-31T14:00")).Rule);
        Assert.Equal(79, one.Count(d => d.Keep));

        // 0 keeps no yearly sets even for very old years.
        var (_, none) = PlanLima("2025-12-31T15:00");
        Assert.DoesNotContain(none, d => d.Rule == RetentionRule.Yearly);
    }

    [Fact]
    public void KeepYearly_ReachesBeyondTheMonthlyWindow()
    {
        // Backups stopped at the end of February 2024; -Force, five years: 2024's newest good set is the leap day's.
        var now = At(Lima, "2027-06-01T00:00");
        var sets = Generate(Lima).Until(At(Lima, "2024-03-01T00:00"));
        var plan = RetentionPlanner.Plan(sets, new RetentionPolicy { TimeZone = Lima, Force = true, KeepYearly = 5, MinimumKeep = 1 }, now);
        RetentionAssert.WellFormed(sets, plan);
        Assert.Equal(new[] { "2024-02-29T14:00" }, plan.Where(d => d.Keep).Select(d => LocalText(Lima, d.Candidate.Time)));
        Assert.Equal(RetentionRule.MinimumKeep, plan.For(Id("2024-02-29T14:00")).Rule);

        var plan2 = RetentionPlanner.Plan(sets, new RetentionPolicy { TimeZone = Lima, Force = true, KeepYearly = 5, MinimumKeep = 0 }, now);
        Assert.Equal(RetentionRule.Yearly, plan2.For(Id("2024-02-29T14:00")).Rule);
        Assert.Single(plan2, d => d.Keep);
        var plan3 = RetentionPlanner.Plan(sets, new RetentionPolicy { TimeZone = Lima, Force = true, KeepYearly = 3, MinimumKeep = 0 }, now);
        Assert.DoesNotContain(plan3, d => d.Keep); // 2024-02-29 is more than 3 years before 2027-06-01
    }

    // ---- Several databases, shape of the result ----

    [Fact]
    public void SeveralDatabases_ArePlannedIndependently()
    {
        var now = At(Lima, "2025-12-31T15:00");
        var fine = Generate(Lima, "maestro_cenate").Until(now);
        var stopped = Generate(Lima, "auditoria").Until(now.AddDays(-45));
        var all = fine.Concat(stopped).ToList();

        var plan = RetentionPlanner.Plan(all, LimaPolicy, now);
        RetentionAssert.WellFormed(all, plan);
        Assert.All(plan.Where(d => d.Candidate.Database == "auditoria"), d => Assert.Equal(RetentionRule.BackupsStopped, d.Rule));
        Assert.Equal(stopped.Count, plan.Count(d => d.Rule == RetentionRule.BackupsStopped));

        // The healthy database gets exactly the plan it would get alone.
        var alone = RetentionPlanner.Plan(fine, LimaPolicy, now);
        Assert.Equal(alone, plan.Where(d => d.Candidate.Database == "maestro_cenate"));
        Assert.Equal(79, plan.Count(d => d.Keep && d.Candidate.Database == "maestro_cenate"));

        // Both databases back up at the same instants: equal times are ordered by database.
        Assert.Equal(new[] { "auditoria", "maestro_cenate" }, plan.Where(d => d.Candidate.Id.EndsWith("@2025-11-16T14:00", StringComparison.Ordinal)).Select(d => d.Candidate.Database));

        // The healthy database never shares the other one's MinimumKeep: each has its own three.
        var forced = RetentionPlanner.Plan(all, LimaPolicy with { Force = true }, now);
        Assert.Equal(3, forced.Count(d => d.Rule == RetentionRule.MinimumKeep && d.Candidate.Database == "auditoria"));
        Assert.Equal(3, forced.Count(d => d.Rule == RetentionRule.MinimumKeep && d.Candidate.Database == "maestro_cenate"));
        Assert.Equal(19, forced.Count(d => d.Keep && d.Candidate.Database == "auditoria"));
    }

    [Fact]
    public void DatabaseNames_AreComparedOrdinally()
    {
        var sets = new[]
        {
            Set("x1", "Maestro", "2025-01-01T00:00Z"),
            Set("x2", "maestro", "2025-01-01T00:00Z", verified: false),
        };
        var now = DateTimeOffset.Parse("2025-01-01T01:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var plan = RetentionPlanner.Plan(sets, new RetentionPolicy(), now);
        RetentionAssert.WellFormed(sets, plan);
        Assert.Equal(RetentionRule.MinimumKeep, plan.For("x1").Rule);
        Assert.Equal(RetentionRule.NoVerifiedSet, plan.For("x2").Rule); // not rescued by "Maestro"'s good set
        Assert.Equal(new[] { "Maestro", "maestro" }, plan.Select(d => d.Candidate.Database)); // ordinal: 'M' < 'm'
    }

    [Fact]
    public void Plan_IsOneDecisionPerCandidate_NewestFirst_WhateverTheInputOrder()
    {
        var now = At(Lima, "2025-12-31T15:00");
        var sets = Generate(Lima).Until(now);
        var shuffled = sets.OrderBy(s => s.Id.GetHashCode(StringComparison.Ordinal)).ThenBy(s => s.Id, StringComparer.Ordinal).ToList();
        var plan = RetentionPlanner.Plan(shuffled, LimaPolicy, now);
        RetentionAssert.WellFormed(sets, plan);
        Assert.Equal(sets.OrderByDescending(s => s.Time).Select(s => s.Id), plan.Select(d => d.Candidate.Id));
        Assert.Equal(RetentionPlanner.Plan(sets, LimaPolicy, now), plan);
    }

    [Fact]
    public void Plan_JudgesInstants_NotTheOffsetTheTimeIsWrittenIn()
    {
        var now = At(Lima, "2025-12-31T15:00");
        var sets = Generate(Lima).Until(now);
        var inLimaOffset = sets.Select(s => s with { Time = s.Time.ToOffset(TimeSpan.FromHours(-5)) }).ToList();
        var a = RetentionPlanner.Plan(sets, LimaPolicy, now);
        var b = RetentionPlanner.Plan(inLimaOffset, LimaPolicy, now.ToOffset(TimeSpan.FromHours(9)));
        Assert.Equal(a.Select(d => (d.Candidate.Id, d.Rule)), b.Select(d => (d.Candidate.Id, d.Rule)));
    }

    [Fact]
    public void EmptyInput_GivesAnEmptyPlan()
    {
        Assert.Empty(RetentionPlanner.Plan(Array.Empty<RetentionCandidate>(), new RetentionPolicy(), DateTimeOffset.UnixEpoch));
    }
}
