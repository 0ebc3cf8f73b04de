using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Drift;

/// <summary>One drop written into a set's manifest by <see cref="RowDropAcknowledger"/>.</summary>
/// <param name="ManifestPath">The set the drop went into.</param>
/// <param name="Database">Its database.</param>
/// <param name="Stamp">Its stamp.</param>
/// <param name="Record">What was recorded.</param>
public sealed record RowDropAcknowledged(string ManifestPath, string Database, string Stamp,
    ManifestRowDropAcknowledgement Record);

/// <summary>
/// Confirm-CenateRowDrop: records in the set taken after a drop that the drop is expected, so the drift check stops
/// reporting it and retention stops keeping the set before it. Counts and the reason only; never rows.
/// </summary>
public static class RowDropAcknowledger
{
    /// <summary>The longest reason kept.</summary>
    public const int MaxReasonLength = 500;

    /// <summary>
    /// Acknowledges the drops into the set <paramref name="stamp"/> found at <paramref name="path"/> (a backup
    /// directory
    /// or one of its manifests): every critical table of <paramref name="policy"/> that dropped beyond its threshold
    /// since the previous complete full set. <paramref name="confirm"/> (target, action) may decline a set. Throws
    /// BackupSetNotFound (no such set) or RowDropNotFound (nothing dropped into it; nothing written).
    /// </summary>
    public static IReadOnlyList<RowDropAcknowledged> Acknowledge(string path, string stamp, string reason,
        RowDropPolicy policy,
        string by, DateTimeOffset now, Func<string, string, bool> confirm)
    {
        RequireReason(reason);
        var full = Path.GetFullPath(path);
        string directory;
        string? onlyManifest = null;
        if (Directory.Exists(full)) directory = full;
        else if (File.Exists(full) && BackupSetLocator.Locate(full).ManifestPath is { } manifestPath)
        {
            // A manifest, or any file of a set: that set's directory and database.
            directory = Path.GetDirectoryName(full)!;
            onlyManifest = manifestPath;
        }
        else
        {
            throw new CenateException(ErrorIds.PathNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("PathNotFound.3", full),
                Messages.Get("PathNotFound.Action.3"), full);
        }
        var sets = BackupCatalog.Scan(directory).Sets;
        var given = onlyManifest is null ? null : BackupManifest.Load(onlyManifest);
        var database = given?.Database;
        if (given is not null && !string.Equals(given.Stamp, stamp, StringComparison.Ordinal))
        {
            throw new CenateException(ErrorIds.BackupSetNotFound, CenateErrorKind.InvalidArgument,
                Messages.Format("BackupSetNotFound", full, given.Stamp, stamp),
                Messages.Format("BackupSetNotFound.Action", stamp),
                stamp);
        }
        var targets = sets.Where(s => string.Equals(s.Manifest.Stamp, stamp, StringComparison.Ordinal)
            && (database is null || string.Equals(s.Manifest.Database, database, StringComparison.Ordinal))).ToList();
        if (targets.Count == 0)
        {
            throw new CenateException(ErrorIds.BackupSetNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("BackupSetNotFound.2", stamp, (database is null ? "" : " of " + database), directory),
                Messages.Get("BackupSetNotFound.Action.2"), stamp);
        }
        var plans = new List<(CatalogEntry Set, List<RowDrift> Drops)>();
        foreach (var set in targets)
        {
            var previous = RowDriftCheck.PreviousFullSet(sets, set.Manifest.Database, set.Time);
            var drops = previous is null ? new List<RowDrift>()
                : RowDriftCheck.Compare(previous.Manifest, set.Manifest, policy).Drifts.Where(d => d.Exceeded).ToList();
            if (drops.Count > 0) plans.Add((set, drops));
        }
        if (plans.Count == 0)
        {
            throw new CenateException(ErrorIds.RowDropNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("RowDropNotFound", string.Join(", ", policy.Names), stamp),
                Messages.Get("RowDropNotFound.Action"),
                stamp);
        }
        var done = new List<RowDropAcknowledged>();
        foreach (var (set, drops) in plans)
        {
            var what = string.Join("; ", drops.Select(d => d.Describe()));
            if (!confirm(set.ManifestPath, $"Acknowledge the row drop ({what}) with the reason '{reason}'")) continue;
            var records = drops.Select(d => new ManifestRowDropAcknowledgement
            {
                Table = d.Table, Before = d.Before, After = d.After, BeforeStamp = d.BeforeStamp, Reason = reason,
                By = by,
                At = now,
            }).ToList();
            var exists = ManifestUpdate.Apply(set.ManifestPath, manifest =>
            {
                // Appended: an earlier acknowledgement stays on record (who said what, when).
                var list = manifest.RowDropAcknowledgements?.ToList() ?? new();
                list.AddRange(records);
                manifest.RowDropAcknowledgements = list;
                return true;
            });
            if (!exists)
            {
                throw new CenateException(ErrorIds.BackupSetNotFound, CenateErrorKind.ObjectNotFound,
                    Messages.Format("BackupSetNotFound.3", set.ManifestPath), Messages.Get("BackupSetNotFound.Action.3"),
                    set.ManifestPath);
            }
            done.AddRange(records.Select(r =>
                new RowDropAcknowledged(set.ManifestPath, set.Manifest.Database, set.Manifest.Stamp, r)));
        }
        return done;
    }

    /// <summary>A reason is required: not blank, at most 500 characters, no control characters.</summary>
    public static void RequireReason(string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > MaxReasonLength
            || UntrustedText.HasHidden(reason))
        {
            throw new ArgumentException(
                Messages.Format("RowDropReasonInvalid", MaxReasonLength),
                nameof(reason));
        }
    }
}
