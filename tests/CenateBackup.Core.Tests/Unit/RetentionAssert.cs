using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Retention;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

internal static class RetentionAssert
{
    /// <summary>One decision per candidate (the very same candidates), newest first, equal times by database.</summary>
    public static void WellFormed(IReadOnlyCollection<RetentionCandidate> candidates, IReadOnlyList<RetentionDecision> plan)
    {
        Assert.Equal(candidates.Count, plan.Count);
        var expected = candidates.Select(RetentionOracle.Key).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var actual = plan.Select(d => RetentionOracle.Key(d.Candidate)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
        for (var i = 1; i < plan.Count; i++)
        {
            var previous = plan[i - 1].Candidate;
            var current = plan[i].Candidate;
            Assert.True(previous.Time >= current.Time, $"decision {i} ({current.Id}) is newer than decision {i - 1} ({previous.Id})");
            if (previous.Time == current.Time)
                Assert.True(string.CompareOrdinal(previous.Database, current.Database) <= 0, $"equal times: {previous.Database} before {current.Database}");
        }
        foreach (var d in plan)
        {
            Assert.Equal(d.Rule != RetentionRule.Expired, d.Keep);
            Assert.False(string.IsNullOrWhiteSpace(d.Reason));
        }
    }

    /// <summary>The planner's verdict equals the oracle's, set by set (keep/remove and rule).</summary>
    public static void MatchesOracle(IReadOnlyCollection<RetentionCandidate> candidates, RetentionPolicy policy, DateTimeOffset now, IReadOnlyList<RetentionDecision> plan)
    {
        var expected = RetentionOracle.Expect(candidates, policy, now);
        var zone = policy.TimeZone;
        var mismatches = plan
            .Where(d => expected[RetentionOracle.Key(d.Candidate)] != d.Rule)
            .Select(d => $"{d.Candidate.Id} ({RetentionCalendar.LocalText(zone, d.Candidate.Time)} local, good={d.Candidate.Good}): planner {d.Rule}, oracle {expected[RetentionOracle.Key(d.Candidate)]} [{d.Reason}]")
            .ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} mismatches:\n" + string.Join("\n", mismatches.Take(40)));

        var keptByPlanner = plan.Where(d => d.Keep).Select(d => RetentionOracle.Key(d.Candidate)).OrderBy(k => k, StringComparer.Ordinal);
        var keptByOracle = expected.Where(p => RetentionOracle.Keeps(p.Value)).Select(p => p.Key).OrderBy(k => k, StringComparer.Ordinal);
        Assert.Equal(keptByOracle, keptByPlanner);
    }

    public static Dictionary<RetentionRule, int> CountByRule(IEnumerable<RetentionDecision> plan) =>
        plan.GroupBy(d => d.Rule).ToDictionary(g => g.Key, g => g.Count());

    public static int Count(this Dictionary<RetentionRule, int> counts, RetentionRule rule) => counts.TryGetValue(rule, out var n) ? n : 0;

    /// <summary>The local wall times ("yyyy-MM-ddTHH:mm") of the sets the plan gives this rule, newest first.</summary>
    public static List<string> LocalTimesWith(this IEnumerable<RetentionDecision> plan, RetentionRule rule, TimeZoneInfo zone) =>
        plan.Where(d => d.Rule == rule).Select(d => RetentionCalendar.LocalText(zone, d.Candidate.Time)).ToList();

    public static RetentionDecision For(this IEnumerable<RetentionDecision> plan, string id) => plan.Single(d => d.Candidate.Id == id);
}
