using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Drift;

/// <summary>
/// What comparing two sets' row counts found: every compared table, and lines saying what was skipped.
/// </summary>
/// <param name="Drifts">One entry per compared critical table (pass or fail), in table order.</param>
/// <param name="Notes">Check lines: tables skipped, drops acknowledged.</param>
public sealed record RowDriftComparison(IReadOnlyList<RowDrift> Drifts, IReadOnlyList<string> Notes);

/// <summary>
/// Compares the exact row counts two backup sets recorded at their snapshots (or a set and the live table). Pure.
/// A critical table present before and absent after dropped to 0 (when the later side covers the whole database);
/// one absent before is new (growth); one absent from both is skipped with a note.
/// </summary>
public static class RowDriftCheck
{
    /// <summary>The stamp used for the live table.</summary>
    public const string Live = "live";

    /// <summary>
    /// Compares the earlier set <paramref name="before"/> with the later set <paramref name="after"/>.
    /// </summary>
    public static RowDriftComparison Compare(BackupManifest before, BackupManifest after, RowDropPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var wholeDatabase = BackupSetKinds.Effective(after) == BackupSetKind.Full;
        return Compare(before.Stamp, before.RowCounts, after.Stamp, after.RowCounts, policy, wholeDatabase,
            after.RowDropAcknowledgements);
    }

    /// <summary>
    /// Compares counts. <paramref name="afterCoversAll"/>: the later side holds every table (a full set, or the live
    /// database), so a missing critical table is a drop to 0; otherwise (a partial set) it is skipped.
    /// </summary>
    public static RowDriftComparison Compare(string beforeStamp, IReadOnlyDictionary<string, long> before,
        string afterStamp, IReadOnlyDictionary<string, long> after, RowDropPolicy policy, bool afterCoversAll,
        IEnumerable<ManifestRowDropAcknowledgement?>? acknowledgements = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var acks = acknowledgements?.OfType<ManifestRowDropAcknowledgement>().ToList() ?? new();
        var drifts = new List<RowDrift>();
        var notes = new List<string>();
        foreach (var table in policy.CriticalAmong(before.Keys.Concat(after.Keys)))
        {
            var threshold = policy.ThresholdFor(table)!;
            var hadBefore = before.TryGetValue(table, out var b);
            var hasAfter = after.TryGetValue(table, out var a);
            if (!hadBefore) b = 0;
            if (!hasAfter)
            {
                if (!afterCoversAll)
                {
                    notes.Add($"{table}: not in {afterStamp} (a partial set), not compared");
                    continue;
                }
                a = 0;
            }
            var exceeded = threshold.Exceeded(b, a);
            var forTable = exceeded ? acks.Where(x => string.Equals(x.Table, table, StringComparison.Ordinal)).ToList()
                : new List<ManifestRowDropAcknowledgement>();
            var ack = forTable.LastOrDefault(x => Matches(x, beforeStamp, b, a));
            var drift = new RowDrift(table, b, a, beforeStamp, afterStamp, threshold.ToString(), exceeded,
                ack is not null, ack is null ? null : UntrustedText.Escape(ack.Reason))
            {
                AcknowledgedBy = ack is null ? null : UntrustedText.Escape(ack.By),
                AcknowledgedAt = ack?.At,
            };
            if (ack is not null)
                notes.Add($"{table}: the drop into {afterStamp} was {drift.DescribeAcknowledgement()}");
            else if (forTable.Count > 0)
            {
                notes.Add($"{table}: an acknowledgement in {afterStamp} that does not match the drop "
                    + $"({b} rows at {beforeStamp}, {a} at {afterStamp}) was ignored");
            }
            drifts.Add(drift);
        }
        foreach (var name in policy.Unmatched(before.Keys.Concat(after.Keys)))
        {
            notes.Add($"{name}: in neither {beforeStamp} nor {afterStamp}, not compared");
        }
        return new RowDriftComparison(drifts, notes);
    }

    /// <summary>
    /// An acknowledgement counts only for the very drop it was made for: the same table, earlier set and both counts,
    /// with the reason, the account and the time recorded. A record naming only the table (hand-written into a
    /// manifest) silences nothing.
    /// </summary>
    public static bool Matches(ManifestRowDropAcknowledgement ack, string beforeStamp, long before, long after)
    {
        ArgumentNullException.ThrowIfNull(ack);
        return string.Equals(ack.BeforeStamp, beforeStamp, StringComparison.Ordinal) && ack.Before == before
            && ack.After == after && !string.IsNullOrWhiteSpace(ack.Reason) && !string.IsNullOrWhiteSpace(ack.By)
            && ack.At != default;
    }

    /// <summary>
    /// The set a drift is measured from: the newest complete full set of the same database in <paramref name="sets"/>
    /// taken before <paramref name="time"/>.
    /// </summary>
    public static CatalogEntry? PreviousFullSet(IEnumerable<CatalogEntry> sets, string database,
        DateTimeOffset time) => sets
        .Where(s => s.Complete && s.Kind == BackupSetKind.Full && s.Time < time
            && string.Equals(s.Manifest.Database, database, StringComparison.Ordinal))
        .OrderByDescending(s => s.Time).ThenByDescending(s => s.ManifestPath, StringComparer.Ordinal).FirstOrDefault();
}
