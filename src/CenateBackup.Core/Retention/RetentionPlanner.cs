using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CenateBackup.Core.Drift;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Retention;

/// <summary>
/// Decides which backup sets to keep. Pure: no I/O, no clock (the caller passes "now"). Each database is
/// planned on its own. Safety first, in this order: with no good full set nothing goes; when backups have
/// stopped nothing goes (unless Force); the newest MinimumKeep good full sets stay; then the GFS windows.
/// "Good" means complete and verified; only good <b>full</b> sets (the whole database with schema) represent a
/// week, month or year, fill MinimumKeep or prove that backups run, so neither an unverified set nor a partial
/// one (chosen tables, data only, exports) can ever be the reason a full set is removed. Partial sets follow
/// their own rule: kept KeepPartial days (default KeepDaily), never longer than the full set they came with.
/// </summary>
public static class RetentionPlanner
{
    /// <summary>How far in the future a recorded time may be (clock skew between hosts) and still count.</summary>
    public static readonly TimeSpan FutureTolerance = TimeSpan.FromMinutes(10);

    /// <summary>A partial set taken this close to a full set of its database came with it (the same job run).</summary>
    public static readonly TimeSpan CompanionWindow = TimeSpan.FromHours(1);

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
        var newestGood = sets.FirstOrDefault(s => s.GoodFull && s.Time <= cutoff);
        if (newestGood is null)
        {
            return sets.Select(s => new RetentionDecision(s, true, RetentionRule.NoVerifiedSet,
                Messages.Format("Retention.NoVerifiedSet", s.Database)));
        }
        var newestAge = now - newestGood.Time;
        if (newestAge > policy.MaxNewestAge && !policy.Force)
        {
            return sets.Select(s => new RetentionDecision(s, true, RetentionRule.BackupsStopped,
                Messages.Format("Retention.BackupsStopped", FormatAge(newestAge), FormatAge(policy.MaxNewestAge))));
        }

        var full = sets.Where(s => s.Full).ToList();
        var minimum = new HashSet<RetentionCandidate>(full.Where(s => s.Good && s.Time <= cutoff).Take(policy.MinimumKeep));
        var weekly = NewestGoodPer(full, s => WeekKey(s.Time, policy.TimeZone));
        var monthly = NewestGoodPer(full, s => MonthKey(s.Time, policy.TimeZone));
        var yearly = NewestGoodPer(full, s => Local(s.Time, policy.TimeZone).Year.ToString(CultureInfo.InvariantCulture));
        var beforeDrop = BeforeRowDrop(full, policy.RowDrop);
        var verdicts = new Dictionary<RetentionCandidate, RetentionDecision>();
        foreach (var s in full)
        {
            // A stamp taken at the next free second can be ahead of the clock: such a set is new, never negative-old.
            var age = now - s.Time < TimeSpan.Zero ? TimeSpan.Zero : now - s.Time;
            RetentionDecision d;
            if (minimum.Contains(s))
                d = new(s, true, RetentionRule.MinimumKeep,
                    Messages.Format("Retention.MinimumKeep", policy.MinimumKeep));
            else if (age <= TimeSpan.FromDays(policy.KeepDaily))
                d = new(s, true, RetentionRule.Daily,
                    Messages.Format("Retention.Daily", FormatAge(age), policy.KeepDaily));
            else if (age <= TimeSpan.FromDays(policy.KeepWeekly) && weekly.Contains(s))
                d = new(s, true, RetentionRule.Weekly,
                    Messages.Format("Retention.Weekly", WeekKey(s.Time, policy.TimeZone), policy.KeepWeekly));
            else if (age <= TimeSpan.FromDays(policy.KeepMonthly) && monthly.Contains(s))
                d = new(s, true, RetentionRule.Monthly,
                    Messages.Format("Retention.Monthly", MonthKey(s.Time, policy.TimeZone), policy.KeepMonthly));
            else if (policy.KeepYearly > 0 && Local(s.Time, policy.TimeZone) > Local(now, policy.TimeZone).AddYears(-policy.KeepYearly) && yearly.Contains(s))
                d = new(s, true, RetentionRule.Yearly, Messages.Format("Retention.Yearly",
                    Local(s.Time, policy.TimeZone).Year.ToString(CultureInfo.InvariantCulture), policy.KeepYearly));
            else if (beforeDrop.TryGetValue(s, out var dropReason))
                d = new(s, true, RetentionRule.BeforeRowDrop, dropReason);
            else
                d = new(s, false, RetentionRule.Expired, ExpiredReason(s, age));
            verdicts.Add(s, d);
        }
        var keepPartial = policy.KeepPartial ?? policy.KeepDaily;
        foreach (var s in sets.Where(s => !s.Full))
        {
            var age = now - s.Time < TimeSpan.Zero ? TimeSpan.Zero : now - s.Time;
            var companion = Companion(full, s);
            if (age > TimeSpan.FromDays(keepPartial))
                verdicts.Add(s, new(s, false, RetentionRule.Expired,
                    Messages.Format("Retention.PartialExpired", FormatAge(age), keepPartial)));
            else if (companion is not null && !verdicts[companion].Keep)
                verdicts.Add(s, new(s, false, RetentionRule.Expired,
                    Messages.Format("Retention.PartialFollowsFull", companion.Id)));
            else
                verdicts.Add(s, new(s, true, RetentionRule.Partial,
                    Messages.Format("Retention.Partial", FormatAge(age), keepPartial)));
        }
        return sets.Select(s => verdicts[s]);
    }

    /// <summary>
    /// The complete full sets taken just before an unacknowledged drop: over the complete full sets in time order, each
    /// consecutive pair whose critical table fell beyond the threshold (and was not acknowledged in the later set) marks
    /// the earlier one, with the reason. Sets without recorded counts are never compared. The search is
    /// <see cref="RowDropHistory"/>'s, the one the monitor reports open drops with.
    /// </summary>
    private static Dictionary<RetentionCandidate, string> BeforeRowDrop(List<RetentionCandidate> full, RowDropPolicy? policy)
    {
        var marked = new Dictionary<RetentionCandidate, string>();
        if (policy is null) return marked;
        var steps = RowDropHistory.Find(full.Where(s => s.Complete), c => new RowDropPoint(c.Id, c.Time, StampOf(c),
            c.RowCounts, c.RowDropAcknowledgements),
            policy);
        foreach (var step in steps)
        {
            var drops = step.Open;
            if (drops.Count == 0) continue;
            var first = drops[0];
            var nextStamp = first.AfterStamp;
            // Numbers as before (invariant): scripts and the monitor's texts quote them the same way.
            var inv = CultureInfo.InvariantCulture;
            marked[step.Before] = Messages.Format("Retention.BeforeRowDrop", first.Table, first.Before.ToString(inv),
                first.After.ToString(inv), first.DropPercent.ToString("0.00", inv),
                drops.Count > 1 ? " " + Messages.Format("Retention.BeforeRowDrop.More", drops.Count - 1) : "",
                nextStamp);
        }
        return marked;
    }

    private static string StampOf(RetentionCandidate c) =>
        c.Stamp ?? c.Time.UtcDateTime.ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture);

    /// <summary>The full set of the same run: the nearest one within <see cref="CompanionWindow"/> (the earlier one on a tie).</summary>
    private static RetentionCandidate? Companion(List<RetentionCandidate> full, RetentionCandidate partial) => full
        .Where(f => (f.Time - partial.Time).Duration() <= CompanionWindow)
        .OrderBy(f => (f.Time - partial.Time).Duration()).ThenBy(f => f.Time).ThenBy(f => f.Id, StringComparer.Ordinal)
        .FirstOrDefault();

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
        ? Messages.Format("Retention.Age.Days", age.TotalDays.ToString("0.#", CultureInfo.InvariantCulture))
        : Messages.Format("Retention.Age.Hours", age.TotalHours.ToString("0.#", CultureInfo.InvariantCulture));

    /// <summary>
    /// Why an expired full set goes, naming what is wrong with it: a set whose verification FAILED is not one that was
    /// never verified (the admin needs the date and the first problem to look into it).
    /// </summary>
    private static string ExpiredReason(RetentionCandidate s, TimeSpan age)
    {
        var old = FormatAge(age);
        if (s.Good) return Messages.Format("Retention.Expired", old);
        if (!s.Complete) return Messages.Format("Retention.Expired.Incomplete", old);
        if (s.VerificationFailure is not { } failed) return Messages.Format("Retention.Expired.NeverVerified", old);
        var at = failed.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        return string.IsNullOrWhiteSpace(failed.FirstProblem)
            ? Messages.Format("Retention.Expired.VerificationFailedNoProblem", old, at)
            : Messages.Format("Retention.Expired.VerificationFailed", old, at, failed.FirstProblem.Trim());
    }
}
