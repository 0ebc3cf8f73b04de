using System;
using System.Linq;
using CenateBackup.Core.Retention;
using Xunit;
using static CenateBackup.Core.Tests.Unit.RetentionCalendar;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>The generated calendar is what the other retention tests say it is.</summary>
public class RetentionCalendarTests
{
    [Theory]
    [InlineData("America/Lima")]
    [InlineData("Europe/Madrid")]
    public void Calendar_HasTwoSetsPerDay_WithTheDocumentedGaps(string zoneId)
    {
        var zone = Zone(zoneId);
        var sets = Generate(zone);
        // 731 days (2024 is a leap year) - 10 outage days - 37 weekend days (10 + 9 + 8 + 10) = 684 days.
        Assert.Equal(1368, sets.Count);
        Assert.Equal(sets.Count, sets.Select(s => s.Id).Distinct(StringComparer.Ordinal).Count());
        for (var i = 1; i < sets.Count; i++) Assert.True(sets[i - 1].Time < sets[i].Time, sets[i].Id);
        Assert.All(sets, s => Assert.Equal(TimeSpan.Zero, s.Time.Offset));

        var localDays = sets.Select(s => TimeZoneInfo.ConvertTime(s.Time, zone).Date).Distinct().ToList();
        Assert.Contains(new DateTime(2024, 2, 29), localDays);
        Assert.DoesNotContain(localDays, d => d >= OutageFirst && d <= OutageLast);
        Assert.Contains(OutageFirst.AddDays(-1), localDays);
        Assert.Contains(OutageLast.AddDays(1), localDays);
        Assert.DoesNotContain(localDays, d => d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday && MonthsWithoutWeekends.Contains((d.Year, d.Month)));
        Assert.Contains(new DateTime(2024, 7, 6), localDays); // a Saturday of an ordinary month

        Assert.Equal(sets[^1], sets.Single(s => s.Id == Id("2025-12-31T14:00")));
        Assert.False(sets[^1].Complete);
        Assert.Equal(24, sets.Count(s => !s.Complete && s.Id.EndsWith("-07T02:00", StringComparison.Ordinal)));
        // 2025-06-13 falls in the outage, so only 23 of the 24 months have a 13th 14:00 set.
        Assert.Equal(23, sets.Count(s => s.Complete && !s.Verified && s.Id.EndsWith("-13T14:00", StringComparison.Ordinal)));
        Assert.Equal(1368 - 24 - 23 - 7, sets.Count(s => s.Good));
    }

    [Fact]
    public void LateCalendar_AddsGoodSetsAroundMidnight()
    {
        var sets = Generate(Lima, late: true);
        var late = sets.Where(s => s.Id.EndsWith("T23:30", StringComparison.Ordinal) || s.Id.EndsWith("T00:30", StringComparison.Ordinal)).ToList();
        Assert.All(late, s => Assert.True(s.Good));
        Assert.Equal(sets.Count - 1368, late.Count);
        // Lima is UTC-5: Sunday 23:30 there is Monday 04:30 UTC.
        Assert.Equal(new DateTimeOffset(2025, 11, 10, 4, 30, 0, TimeSpan.Zero), sets.Single(s => s.Id == Id("2025-11-09T23:30")).Time);
        // Madrid is UTC+1 in winter: Monday 00:30 there is Sunday 23:30 UTC.
        Assert.Equal(new DateTimeOffset(2025, 11, 9, 23, 30, 0, TimeSpan.Zero), Generate(Madrid, late: true).Single(s => s.Id == Id("2025-11-10T00:30")).Time);
    }

    [Theory]
    [InlineData("America/Lima")]
    [InlineData("Europe/Madrid")]
    public void LateCalendar_MakesTheZoneMatter_ForPlannerAndOracle(string zoneId)
    {
        // Guard for the oracle tests: with the near-midnight sets, bucketing by UTC gives another plan, so a
        // planner that ignored the zone could not pass them.
        var zone = Zone(zoneId);
        var now = At(zone, "2025-12-31T15:00");
        var sets = Generate(zone, late: true).Until(now);
        var local = new RetentionPolicy { TimeZone = zone, KeepYearly = 3 };
        var utc = local with { TimeZone = TimeZoneInfo.Utc };
        var keptLocal = RetentionPlanner.Plan(sets, local, now).Where(d => d.Keep).Select(d => d.Candidate.Id).ToHashSet();
        var keptUtc = RetentionPlanner.Plan(sets, utc, now).Where(d => d.Keep).Select(d => d.Candidate.Id).ToHashSet();
        Assert.False(keptLocal.SetEquals(keptUtc));
        var oracleLocal = RetentionOracle.Expect(sets, local, now).Where(p => RetentionOracle.Keeps(p.Value)).Select(p => p.Key).ToHashSet();
        var oracleUtc = RetentionOracle.Expect(sets, utc, now).Where(p => RetentionOracle.Keeps(p.Value)).Select(p => p.Key).ToHashSet();
        Assert.False(oracleLocal.SetEquals(oracleUtc));
    }
}
