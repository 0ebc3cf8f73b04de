using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Retention;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// An independent statement of the retention rules, written differently from RetentionPlanner on purpose:
///  - weeks, months and years are calendar periods walked one after another: each is turned into a UTC
///    interval [local start, local end) in the zone, and the newest good set inside the interval represents it
///    (no week/month keys, no ISOWeek: an ISO week is simply Monday 00:00 to the next Monday 00:00 local);
///  - rules are applied from the weakest to the strongest, each overwriting the previous verdict
///    (Expired, then Yearly, Monthly, Weekly, Daily, MinimumKeep), instead of first-match;
///  - the yearly window is a UTC instant ("now" in the zone minus N calendar years).
/// Windows in days are "at most N days old" (age &lt;= N days).
/// </summary>
internal static class RetentionOracle
{
    public static Dictionary<string, RetentionRule> Expect(IReadOnlyCollection<RetentionCandidate> candidates, RetentionPolicy policy, DateTimeOffset now)
    {
        var verdict = new Dictionary<string, RetentionRule>(StringComparer.Ordinal);
        foreach (var database in candidates.Select(c => c.Database).Distinct(StringComparer.Ordinal))
        {
            var sets = candidates.Where(c => c.Database == database).ToList();
            foreach (var pair in ExpectDatabase(sets, policy, now)) verdict.Add(Key(pair.Key), pair.Value);
        }
        return verdict;
    }

    public static string Key(RetentionCandidate c) => c.Database + "|" + c.Id;

    public static bool Keeps(RetentionRule rule) => rule != RetentionRule.Expired;

    private static Dictionary<RetentionCandidate, RetentionRule> ExpectDatabase(List<RetentionCandidate> all, RetentionPolicy policy, DateTimeOffset now)
    {
        // Partial sets (not a whole database) are judged last, after the full sets, and never represent anything.
        var sets = all.Where(s => s.Full).ToList();
        var partial = all.Where(s => !s.Full).ToList();
        var good = sets.Where(s => s.Complete && s.Verified).ToList();
        if (good.Count == 0) return all.ToDictionary(s => s, _ => RetentionRule.NoVerifiedSet);
        var newestGoodTime = good.Max(s => s.Time);
        if (now - newestGoodTime > policy.MaxNewestAge && !policy.Force) return all.ToDictionary(s => s, _ => RetentionRule.BackupsStopped);

        var zone = policy.TimeZone;
        var rule = sets.ToDictionary(s => s, _ => RetentionRule.Expired);
        var firstLocal = TimeZoneInfo.ConvertTime(sets.Min(s => s.Time), zone).DateTime.Date;
        var lastLocal = TimeZoneInfo.ConvertTime(sets.Max(s => s.Time), zone).DateTime.Date;

        if (policy.KeepYearly > 0)
        {
            var cutoff = RetentionCalendar.ToUtc(zone, TimeZoneInfo.ConvertTime(now, zone).DateTime.AddYears(-policy.KeepYearly));
            for (var start = new DateTime(firstLocal.Year, 1, 1); start <= lastLocal; start = start.AddYears(1))
            {
                var rep = Representative(good, zone, start, start.AddYears(1));
                if (rep is not null && rep.Time > cutoff) rule[rep] = RetentionRule.Yearly;
            }
        }
        for (var start = new DateTime(firstLocal.Year, firstLocal.Month, 1); start <= lastLocal; start = start.AddMonths(1))
        {
            var rep = Representative(good, zone, start, start.AddMonths(1));
            if (rep is not null && now - rep.Time <= TimeSpan.FromDays(policy.KeepMonthly)) rule[rep] = RetentionRule.Monthly;
        }
        var daysSinceMonday = ((int)firstLocal.DayOfWeek + 6) % 7;
        for (var start = firstLocal.AddDays(-daysSinceMonday); start <= lastLocal; start = start.AddDays(7))
        {
            var rep = Representative(good, zone, start, start.AddDays(7));
            if (rep is not null && now - rep.Time <= TimeSpan.FromDays(policy.KeepWeekly)) rule[rep] = RetentionRule.Weekly;
        }
        foreach (var s in sets)
        {
            if (now - s.Time <= TimeSpan.FromDays(policy.KeepDaily)) rule[s] = RetentionRule.Daily;
        }
        var newestGood = good.OrderByDescending(s => s.Time).ThenByDescending(s => s.Id, StringComparer.Ordinal).Take(Math.Max(0, policy.MinimumKeep));
        foreach (var s in newestGood) rule[s] = RetentionRule.MinimumKeep;

        var keepDays = policy.KeepPartial ?? policy.KeepDaily;
        foreach (var p in partial)
        {
            // The full set it came with: the closest full set at most an hour away, the earlier one on a tie.
            RetentionCandidate? companion = null;
            var best = TimeSpan.MaxValue;
            foreach (var f in sets.OrderBy(f => f.Time).ThenBy(f => f.Id, StringComparer.Ordinal))
            {
                var gap = f.Time > p.Time ? f.Time - p.Time : p.Time - f.Time;
                if (gap <= TimeSpan.FromMinutes(60) && gap < best) { best = gap; companion = f; }
            }
            var young = now - p.Time <= TimeSpan.FromDays(keepDays);
            var companionStays = companion is null || Keeps(rule[companion]);
            rule[p] = young && companionStays ? RetentionRule.Partial : RetentionRule.Expired;
        }
        return rule;
    }

    /// <summary>The newest good set whose instant lies in [localStart, localEnd) of the zone, or null.</summary>
    private static RetentionCandidate? Representative(List<RetentionCandidate> good, TimeZoneInfo zone, DateTime localStart, DateTime localEnd)
    {
        var from = RetentionCalendar.ToUtc(zone, localStart);
        var to = RetentionCalendar.ToUtc(zone, localEnd);
        RetentionCandidate? best = null;
        foreach (var s in good)
        {
            if (s.Time < from || s.Time >= to) continue;
            if (best is null || s.Time > best.Time || (s.Time == best.Time && string.CompareOrdinal(s.Id, best.Id) > 0)) best = s;
        }
        return best;
    }
}
