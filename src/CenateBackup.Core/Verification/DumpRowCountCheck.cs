using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Verification;

/// <summary>
/// The Read level's row check of a dump: the rows in each table's data block against the manifest's rowCounts (taken in
/// the dump's own snapshot, so they must agree). Without it an edited or wrong count surfaced only in a restore drill.
/// A parent of partitions or inheritance children is left to the drill: the manifest counts it with its descendants,
/// while its data block holds only its own rows. A data-only dump (no table definitions, so no way to tell the parents)
/// is left to the drill too.
/// </summary>
internal static class DumpRowCountCheck
{
    /// <summary>Adds a RowCountMismatch problem per table whose data block disagrees with the manifest.</summary>
    public static void Apply(VerificationReport report, string name, BackupManifest manifest, ArchiveContents? archive,
        IOperationReporter reporter)
    {
        if (manifest.RowCounts.Count == 0) return;
        if (archive?.RowCounts is not { } inDump)
        {
            var why = archive?.RowCountsUnavailable ?? "the archive could not be parsed";
            reporter.Verbose($"The rows of {name} were not counted ({why}); only the Restore level compares "
                + "the manifest's rowCounts.");
            return;
        }
        if (!archive.Entries.Any(e => e.Description == "TABLE"))
        {
            // A data-only dump has no table definitions, so which counted tables are parents (counted with their
            // children in the manifest, alone in their data block) cannot be told: left to the Restore level.
            reporter.Verbose($"{name} is a data-only dump: its rows are compared with the manifest at the Restore level.");
            return;
        }
        var parents = Parents(archive.Entries);
        var compared = 0;
        foreach (var (table, expected) in manifest.RowCounts)
        {
            if (!inDump.TryGetValue(table, out var got) || parents.Contains(table)) continue;
            compared++;
            if (got != expected)
            {
                report.Problems.Add(new VerificationProblem(ProblemKind.RowCountMismatch, name,
                    $"{table}: {got} rows in the dump's data, the manifest says {expected}"));
            }
        }
        if (compared > 0) report.Checks.Add($"row counts {name} ({compared} tables against the manifest)");
    }

    // A table another table's definition (inheritance, partition) or a TABLE ATTACH of another table depends on.
    private static HashSet<string> Parents(IReadOnlyList<ArchiveTocEntry> entries)
    {
        var tables = entries.Where(e => e.Description == "TABLE")
            .ToDictionary(e => e.DumpId, e => e.Schema + "." + e.Tag);
        var parents = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in entries.Where(e => e.Description is "TABLE" or "TABLE ATTACH"))
        {
            var own = e.Schema + "." + e.Tag;
            foreach (var d in e.Dependencies)
            {
                if (tables.TryGetValue(d, out var table) && table != own) parents.Add(table);
            }
        }
        return parents;
    }
}
