using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Retention;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class RetentionScaleTests
{
    [Fact]
    public void TenThousandCandidates_PlanCompletely_AndCountsAddUp()
    {
        // Four databases x 2,500 sets, one every 7 hours from 2024-01-01 (about two years each), with seeded
        // random flags (85 % good, 10 % unverified, 5 % incomplete). "reportes" stopped 10 days before now.
        var zone = RetentionCalendar.Madrid;
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var random = new Random(20240229);
        var candidates = new List<RetentionCandidate>(10_000);
        foreach (var database in new[] { "maestro_cenate", "auditoria", "reportes", "historico" })
        {
            var offset = database == "reportes" ? TimeSpan.FromDays(-10) : TimeSpan.Zero;
            for (var i = 0; i < 2_500; i++)
            {
                var roll = random.Next(100);
                var time = start + offset + TimeSpan.FromHours(7 * i);
                candidates.Add(new RetentionCandidate($"{database}_{time:yyyyMMdd_HHmmss}.manifest.json", database, time, Complete: roll >= 5, Verified: roll >= 15));
            }
        }
        Assert.Equal(10_000, candidates.Count);
        var now = start + TimeSpan.FromHours(7 * 2_500);
        var policy = new RetentionPolicy { TimeZone = zone, KeepYearly = 2 };

        var plan = RetentionPlanner.Plan(candidates, policy, now);

        RetentionAssert.WellFormed(candidates, plan);
        var counts = RetentionAssert.CountByRule(plan);
        Assert.Equal(10_000, counts.Values.Sum());
        Assert.Equal(10_000, plan.Count(d => d.Keep) + plan.Count(d => !d.Keep));
        Assert.Equal(counts.Count(RetentionRule.Expired), plan.Count(d => !d.Keep));
        Assert.All(new[] { "maestro_cenate", "auditoria", "reportes", "historico" }, db => Assert.Equal(2_500, plan.Count(d => d.Candidate.Database == db)));
        Assert.Equal(2_500, counts.Count(RetentionRule.BackupsStopped));
        Assert.All(plan.Where(d => d.Candidate.Database == "reportes"), d => Assert.Equal(RetentionRule.BackupsStopped, d.Rule));
        Assert.Equal(9, counts.Count(RetentionRule.MinimumKeep));
        Assert.True(counts.Count(RetentionRule.Daily) > 0 && counts.Count(RetentionRule.Weekly) > 0 && counts.Count(RetentionRule.Monthly) > 0 && counts.Count(RetentionRule.Expired) > 0);
        RetentionAssert.MatchesOracle(candidates, policy, now, plan);

        var forced = RetentionPlanner.Plan(candidates, policy with { Force = true }, now);
        RetentionAssert.WellFormed(candidates, forced);
        Assert.Equal(12, forced.Count(d => d.Rule == RetentionRule.MinimumKeep));
        RetentionAssert.MatchesOracle(candidates, policy with { Force = true }, now, forced);
    }
}
