using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Drift;

/// <summary>What the open-drop search needs to know about one complete full set.</summary>
/// <param name="Id">Identity (the manifest path); breaks ties between sets of the same time.</param>
/// <param name="Time">The set's time.</param>
/// <param name="Stamp">The set's stamp.</param>
/// <param name="RowCounts">The counts it recorded; null: unknown, never compared.</param>
/// <param name="Acknowledgements">The drops into this set acknowledged with Confirm-CenateRowDrop.</param>
public sealed record RowDropPoint(string Id, DateTimeOffset Time, string Stamp,
    IReadOnlyDictionary<string, long>? RowCounts, IEnumerable<ManifestRowDropAcknowledgement?>? Acknowledgements);

/// <summary>Two consecutive complete full sets between which a critical table fell beyond its threshold.</summary>
/// <param name="Before">The earlier set (the last one before the drop).</param>
/// <param name="After">The later set (the first one after it).</param>
/// <param name="Drops">The tables beyond the threshold, acknowledged or not, in table order.</param>
/// <param name="Notes">The comparison's check lines (acknowledgements).</param>
public sealed record RowDropStep<T>(T Before, T After, IReadOnlyList<RowDrift> Drops, IReadOnlyList<string> Notes)
{
    /// <summary>The drops nobody acknowledged: while there is one, the drop is open.</summary>
    public IReadOnlyList<RowDrift> Open => Drops.Where(d => d.IsProblem).ToList();
}

/// <summary>
/// The drops in a database's history: over its complete full sets in time order, each consecutive pair whose critical
/// table fell beyond the threshold. Retention keeps the earlier set of every open one (rule BeforeRowDrop) and the
/// monitor (Test-CenateBackup on a directory) reports every open one, so both see exactly the same drops. Pure.
/// </summary>
public static class RowDropHistory
{
    /// <summary>
    /// Every consecutive pair of <paramref name="completeFullSets"/> (one database's complete full sets, any order)
    /// with a drop beyond the threshold, oldest first. Pairs where either side has no recorded counts are skipped.
    /// </summary>
    public static IReadOnlyList<RowDropStep<T>> Find<T>(IEnumerable<T> completeFullSets, Func<T, RowDropPoint> point,
        RowDropPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(completeFullSets);
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(policy);
        var ordered = completeFullSets.Select(s => (Set: s, Point: point(s)))
            .OrderBy(x => x.Point.Time).ThenBy(x => x.Point.Id, StringComparer.Ordinal).ToList();
        var steps = new List<RowDropStep<T>>();
        for (var i = 1; i < ordered.Count; i++)
        {
            var (prev, next) = (ordered[i - 1].Point, ordered[i].Point);
            if (prev.RowCounts is null || next.RowCounts is null) continue;
            var comparison = RowDriftCheck.Compare(prev.Stamp, prev.RowCounts, next.Stamp, next.RowCounts, policy, true,
                next.Acknowledgements);
            var drops = comparison.Drifts.Where(d => d.Exceeded).ToList();
            if (drops.Count == 0) continue;
            steps.Add(new RowDropStep<T>(ordered[i - 1].Set, ordered[i].Set, drops, comparison.Notes));
        }
        return steps;
    }

    /// <summary>The search over a store's catalog: the complete full sets of <paramref name="database"/>.</summary>
    public static IReadOnlyList<RowDropStep<CatalogEntry>> Find(IEnumerable<CatalogEntry> sets, string database,
        RowDropPolicy policy) => Find(
        sets.Where(s => s.Complete && s.Kind == BackupSetKind.Full
            && string.Equals(s.Manifest.Database, database, StringComparison.Ordinal)),
        s => new RowDropPoint(s.ManifestPath, s.Time, s.Manifest.Stamp, s.Manifest.RowCounts,
            s.Manifest.RowDropAcknowledgements),
        policy);
}
