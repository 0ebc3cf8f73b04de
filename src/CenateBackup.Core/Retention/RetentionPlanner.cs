using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace CenateBackup.Core.Retention;

/// <summary>
/// Decides which backup sets to keep. Pure: no I/O, no clock (the caller passes "now"). Each database is
/// planned on its own. Safety first, in this order: with no good set nothing goes; when backups have
/// stopped nothing goes (unless Force); the newest MinimumKeep good sets stay; then the GFS windows.
/// "Good" means complete and verified; only good sets represent a week, month or year, so an unverified
/// set can never be the reason a verified one is removed.
/// </summary>
public static class RetentionPlanner
{
    /// <summary>How far in the future a recorded time may be (clock skew between hosts) and still count.</summary>
    public static readonly TimeSpan FutureTolerance = TimeSpan.FromMinutes(10);

    /// <summary>Plans every candidate; the result has one decision per candidate, newest first.</summary>
    public static IReadOnlyList<RetentionDecision> Plan(IEnumerable<RetentionCandidate> candidates, RetentionPolicy policy, DateTimeOffset now)
    {
        var decisions = new List<RetentionDecision>();
        foreach (var group in candidates.GroupBy(c => c.Database, StringComparer.Ordinal))
        {
            decisions.AddRange(PlanDatabase(group.OrderByDescending(c => c.Time).ThenByDescending(c => c.Id, StringComparer.Ordinal).ToList(), policy, now));
        }
        return decisions.OrderByDescending(d => d.Candidate.Time).ThenBy(d => d.Candidate.Database, StringComparer.Ordinal).ToList();
    }

    private static IEnumerable<RetentionDecision> PlanDatabase(List<RetentionCandidate> sets, RetentionPolicy policy, DateTimeOffset now)
    {
        // A set dated in the future (a host with a wrong clock) proves nothing about today: it is kept, but it
        // neither shows that backups are running nor takes one of the MinimumKeep places.
        var cutoff = now + FutureTolerance;
        var newestGood = sets.FirstOrDefault(s => s.Good && s.Time <= cutoff);
        if (newestGood is null)
        {
            return sets.Select(s => new RetentionDecision(s, true, RetentionRule.NoVerifiedSet,
                $"no complete, verified set of '{s.Database}' exists: nothing is removed"));
        }
        var newestAge = now - newestGood.Time;
        if (newestAge > policy.MaxNewestAge && !policy.Force)
        {
            return sets.Select(s => new RetentionDecision(s, true, RetentionRule.BackupsStopped,
                $"the newest verified set is {FormatAge(newestAge)} old (more than {FormatAge(policy.MaxNewestAge)}): backups have stopped, nothing is removed without -Force"));
        }

        var minimum = new HashSet<RetentionCandidate>(sets.Where(s => s.Good && s.Time <= cutoff).Take(policy.MinimumKeep));
        var weekly = NewestGoodPer(sets, s => WeekKey(s.Time, policy.TimeZone));
        var monthly = NewestGoodPer(sets, s => MonthKey(s.Time, policy.TimeZone));
        var yearly = NewestGoodPer(sets, s => Local(s.Time, policy.TimeZone).Year.ToString(CultureInfo.InvariantCulture));
        var result = new List<RetentionDecision>(sets.Count);
        foreach (var s in sets)
        {
            var age = now - s.Time;
            if (minimum.Contains(s))
                result.Add(new(s, true, RetentionRule.MinimumKeep, $"one of the newest {policy.MinimumKeep} verified sets"));
            else if (age <= TimeSpan.FromDays(policy.KeepDaily))
                result.Add(new(s, true, RetentionRule.Daily, $"{FormatAge(age)} old, within {policy.KeepDaily} days"));
            else if (age <= TimeSpan.FromDays(policy.KeepWeekly) && weekly.Contains(s))
                result.Add(new(s, true, RetentionRule.Weekly, $"newest verified set of week {WeekKey(s.Time, policy.TimeZone)}, within {policy.KeepWeekly} days"));
            else if (age <= TimeSpan.FromDays(policy.KeepMonthly) && monthly.Contains(s))
                result.Add(new(s, true, RetentionRule.Monthly, $"newest verified set of {MonthKey(s.Time, policy.TimeZone)}, within {policy.KeepMonthly} days"));
            else if (policy.KeepYearly > 0 && Local(s.Time, policy.TimeZone) > Local(now, policy.TimeZone).AddYears(-policy.KeepYearly) && yearly.Contains(s))
                result.Add(new(s, true, RetentionRule.Yearly, $"newest verified set of {Local(s.Time, policy.TimeZone).Year}, within {policy.KeepYearly} years"));
            else
                result.Add(new(s, false, RetentionRule.Expired, $"{FormatAge(age)} old{(s.Good ? "" : s.Complete ? ", never verified" : ", incomplete")}: outside every window"));
        }
        return result;
    }

    private static HashSet<RetentionCandidate> NewestGoodPer(List<RetentionCandidate> newestFirst, Func<RetentionCandidate, string> key)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var chosen = new HashSet<RetentionCandidate>();
        foreach (var s in newestFirst)
        {
            if (s.Good && seen.Add(key(s))) chosen.Add(s);
        }
        return chosen;
    }

    private static DateTime Local(DateTimeOffset t, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(t, zone).DateTime;

    /// <summary>ISO-8601 week of the time in the zone, e.g. "2026-W09".</summary>
    public static string WeekKey(DateTimeOffset t, TimeZoneInfo zone)
    {
        var d = Local(t, zone);
        return $"{ISOWeek.GetYear(d):D4}-W{ISOWeek.GetWeekOfYear(d):D2}";
    }

    /// <summary>Month of the time in the zone, e.g. "2026-02".</summary>
    public static string MonthKey(DateTimeOffset t, TimeZoneInfo zone)
    {
        var d = Local(t, zone);
        return $"{d.Year:D4}-{d.Month:D2}";
    }

    private static string FormatAge(TimeSpan age) => age.TotalDays >= 1
        ? age.TotalDays.ToString("0.#", CultureInfo.InvariantCulture) + " days"
        : age.TotalHours.ToString("0.#", CultureInfo.InvariantCulture) + " hours";
}
