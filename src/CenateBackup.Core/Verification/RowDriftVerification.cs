using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Drift;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Verification;

/// <summary>
/// Test-CenateBackup's drift check: which tables, what limits, and (with -Live) how to count them now.
/// </summary>
public sealed class RowDriftOptions
{
    /// <summary>The critical tables and their thresholds.</summary>
    public required RowDropPolicy Policy { get; init; }
    /// <summary>-Live: counts the given tables of the given database now; null: no live comparison.</summary>
    public Func<string, IReadOnlyList<string>, CancellationToken, Task<IReadOnlyDictionary<string, long>>>? LiveCounts
    {
        get; init;
    }
}

/// <summary>
/// Adds the drift check to a verification: the set's recorded counts against the newest complete full set of the same
/// database taken before it in the same directory (and, with -Live, the live tables against the set). A drop beyond a
/// threshold that no one acknowledged is a <see cref="ProblemKind.RowCountDropped"/> problem.
/// </summary>
public static class RowDriftVerification
{
    /// <summary>Runs the check for the set <paramref name="manifest"/> at <paramref name="manifestPath"/>.</summary>
    public static async Task ApplyAsync(VerificationReport report, string manifestPath, BackupManifest manifest,
        RowDriftOptions options, IOperationReporter reporter, CancellationToken ct)
    {
        if (!manifest.Complete)
        {
            // Its counts may be missing or half-written: only complete sets are compared.
            report.Checks.Add($"row drift: {manifest.Stamp} is incomplete, not compared");
            return;
        }
        var time = BackupNaming.TryParseStamp(manifest.Stamp, out var t) ? t : manifest.StartedAt;
        var sets = BackupCatalog.Scan(Path.GetDirectoryName(manifestPath)!).Sets;
        var previous = RowDriftCheck.PreviousFullSet(sets, manifest.Database, time);
        var counted = manifest.RowCounts.Keys.Concat(previous?.Manifest.RowCounts.Keys ?? Enumerable.Empty<string>());
        foreach (var name in options.Policy.Unmatched(counted)) reporter.Warning(RowDropCoverage.NotCounted(name));
        if (previous is null)
        {
            report.Checks.Add(
                $"row drift: no earlier full set of {manifest.Database} to compare with {manifest.Stamp}");
        }
        else
        {
            Add(report, RowDriftCheck.Compare(previous.Manifest, manifest, options.Policy));
        }
        if (options.LiveCounts is { } live)
        {
            var tables = options.Policy.CriticalAmong(manifest.RowCounts.Keys);
            var counts = await live(manifest.Database, tables, ct).ConfigureAwait(false);
            var current = manifest.RowCounts.Where(kv => tables.Contains(kv.Key))
                .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            Add(report,
                RowDriftCheck.Compare(manifest.Stamp, current, RowDriftCheck.Live, counts, options.Policy, true));
        }
        reporter.Verbose($"Row drift: {report.RowDrift.Count} comparison(s), "
            + $"{report.RowDrift.Count(d => d.IsProblem)} beyond the threshold.");
    }

    /// <summary>
    /// Monitor mode: reports every drop still open in the store's history of the newest set's database — each pair of
    /// consecutive complete full sets whose critical table fell beyond the threshold and whose later set does not
    /// acknowledge it (the pairs retention keeps with BeforeRowDrop) — except the pair into
    /// <paramref name="newest"/>, which <see cref="ApplyAsync"/> compared already. An acknowledged old drop is a check
    /// line. These problems are the store's, not the newest set's: they are not recorded in its manifest.
    /// </summary>
    public static void AddOpenDrops(VerificationReport report, IEnumerable<CatalogEntry> sets, CatalogEntry newest,
        RowDropPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(newest);
        var database = newest.Manifest.Database;
        var older = RowDropHistory.Find(sets, database, policy)
            .Where(s => !string.Equals(s.After.ManifestPath, newest.ManifestPath, StringComparison.Ordinal)).ToList();
        var open = 0;
        foreach (var step in older)
        {
            foreach (var drift in step.Drops)
            {
                report.RowDrift.Add(drift);
                report.Checks.Add($"row drift {drift.Table} {drift.BeforeStamp} → {drift.AfterStamp}");
                if (!drift.IsProblem) continue;
                open++;
                report.Problems.Add(new VerificationProblem(ProblemKind.RowCountDropped, null, drift.Describe()
                    + $"; still open: Confirm-CenateRowDrop -Stamp {drift.AfterStamp} acknowledges it"));
            }
            report.Checks.AddRange(step.Notes.Select(n => "row drift: " + n));
        }
        report.Checks.Add(open == 0
            ? $"row drift: no earlier drop of {database} left open"
            : $"row drift: {open} earlier drop(s) of {database} still open (not acknowledged)");
    }

    private static void Add(VerificationReport report, RowDriftComparison comparison)
    {
        foreach (var drift in comparison.Drifts)
        {
            report.RowDrift.Add(drift);
            report.Checks.Add($"row drift {drift.Table} {drift.BeforeStamp} → {drift.AfterStamp}");
            if (drift.IsProblem)
                report.Problems.Add(new VerificationProblem(ProblemKind.RowCountDropped, null, drift.Describe()));
        }
        report.Checks.AddRange(comparison.Notes.Select(n => "row drift: " + n));
    }
}
