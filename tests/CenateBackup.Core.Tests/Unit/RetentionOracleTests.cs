using System;
using System.Linq;
using CenateBackup.Core.Retention;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// The planner against the independent oracle over the generated two-year calendars, with the plan's local
/// policy (30/90/365 days, MinimumKeep 3, MaxNewestAge 2 days) and "now" at several instants. The planner
/// only sees the sets that exist at "now".
/// </summary>
public class RetentionOracleTests
{
    public static TheoryData<string, bool, string, bool, int> Scenarios()
    {
        var data = new TheoryData<string, bool, string, bool, int>();
        foreach (var zone in new[] { "America/Lima", "Europe/Madrid" })
        {
            foreach (var late in new[] { false, true })
            {
                data.Add(zone, late, "2025-12-31T15:00", false, 0); // just after the last 14:00 set
                data.Add(zone, late, "2025-06-15T12:00", false, 0); // in the middle of the outage: backups stopped
                data.Add(zone, late, "2025-06-15T12:00", true, 0);  // the same with -Force
                data.Add(zone, late, "2025-06-20T15:00", false, 0); // the first day after the outage
                data.Add(zone, late, "2024-12-31T15:00", false, 0); // the leap day is inside the monthly window
                data.Add(zone, late, "2025-02-28T13:00", false, 0); // the leap-day set is 364 d 23 h old
                data.Add(zone, late, "2024-01-10T15:00", false, 0); // little history yet
                data.Add(zone, late, "2026-01-02T03:00", false, 0); // newest good set just over 2 days old
                data.Add(zone, late, "2026-02-14T15:00", true, 0);  // stopped 45 days ago, -Force
                data.Add(zone, late, "2025-12-31T15:00", false, 2); // -KeepYearly 2
                data.Add(zone, late, "2025-12-31T15:00", false, 1); // -KeepYearly 1
                data.Add(zone, late, "2025-11-03T01:00", false, 0); // early on a Monday, before its 02:00 set
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Planner_EqualsOracle_OnGeneratedCalendar(string zoneId, bool late, string nowLocal, bool force, int keepYearly)
    {
        var zone = RetentionCalendar.Zone(zoneId);
        var now = RetentionCalendar.At(zone, nowLocal);
        var candidates = RetentionCalendar.Generate(zone, late: late).Until(now);
        var policy = new RetentionPolicy { TimeZone = zone, Force = force, KeepYearly = keepYearly };

        var plan = RetentionPlanner.Plan(candidates, policy, now);

        RetentionAssert.WellFormed(candidates, plan);
        RetentionAssert.MatchesOracle(candidates, policy, now, plan);
        // Not vacuous: something is kept, and unless backups have stopped (or all history is younger than the
        // daily window) something goes.
        Assert.Contains(plan, d => d.Keep);
        var stopped = plan.All(d => d.Rule == RetentionRule.BackupsStopped);
        var hasOldSets = candidates.Exists(c => now - c.Time > TimeSpan.FromDays(policy.KeepDaily));
        if (!stopped && hasOldSets) Assert.Contains(plan, d => !d.Keep);
        if (!hasOldSets) Assert.DoesNotContain(plan, d => !d.Keep);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Planner_EqualsOracle_WithPartialSets(string zoneId, bool late, string nowLocal, bool force, int keepYearly)
    {
        var zone = RetentionCalendar.Zone(zoneId);
        var now = RetentionCalendar.At(zone, nowLocal);
        var candidates = RetentionCalendar.Generate(zone, late: late, mixed: true).Until(now);
        foreach (var keepPartial in new int?[] { null, 7, 60 })
        {
            var policy = new RetentionPolicy { TimeZone = zone, Force = force, KeepYearly = keepYearly, KeepPartial = keepPartial };
            var plan = RetentionPlanner.Plan(candidates, policy, now);
            RetentionAssert.WellFormed(candidates, plan);
            RetentionAssert.MatchesOracle(candidates, policy, now, plan);

            // Partial sets change nothing for the full ones: the same verdict, set by set, as without them.
            var fullOnly = candidates.Where(c => c.Full).ToList();
            var alone = RetentionPlanner.Plan(fullOnly, policy, now).ToDictionary(d => d.Candidate.Id, d => (d.Keep, d.Rule), StringComparer.Ordinal);
            foreach (var d in plan.Where(d => d.Candidate.Full)) Assert.Equal(alone[d.Candidate.Id], (d.Keep, d.Rule));
            // Only full sets stand for a period or fill MinimumKeep; a partial set never outlives the full set it came with.
            Assert.All(plan.Where(d => !d.Candidate.Full), d => Assert.Contains(d.Rule, new[] { RetentionRule.Partial, RetentionRule.Expired, RetentionRule.NoVerifiedSet, RetentionRule.BackupsStopped }));
            var byId = plan.ToDictionary(d => d.Candidate.Id, StringComparer.Ordinal);
            foreach (var d in plan.Where(d => d.Keep && d.Candidate.Id.EndsWith("#data", StringComparison.Ordinal) && d.Rule == RetentionRule.Partial))
                Assert.True(byId[d.Candidate.Id[..^"#data".Length]].Keep, $"{d.Candidate.Id} is kept although its full set goes");
        }
    }

    [Fact]
    public void Planner_EqualsOracle_SeveralDatabasesInDifferentStates()
    {
        var zone = RetentionCalendar.Madrid;
        var now = RetentionCalendar.At(zone, "2025-12-31T15:00");
        var fine = RetentionCalendar.Generate(zone, "maestro_cenate", late: true).Until(now);
        var stopped = RetentionCalendar.Generate(zone, "auditoria").Until(now.AddDays(-45));
        var unverified = RetentionCalendar.Generate(zone, "reportes").Until(now)
            .Select(c => c with { Verified = false }).ToList();
        var candidates = fine.Concat(stopped).Concat(unverified).ToList();
        foreach (var force in new[] { false, true })
        {
            var policy = new RetentionPolicy { TimeZone = zone, Force = force };
            var plan = RetentionPlanner.Plan(candidates, policy, now);
            RetentionAssert.WellFormed(candidates, plan);
            RetentionAssert.MatchesOracle(candidates, policy, now, plan);
        }
    }
}
