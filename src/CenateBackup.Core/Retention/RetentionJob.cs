using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Retention;

/// <summary>
/// The retention job on one backup store (a directory, a USB/NAS target, an rclone remote): take the store's exclusive
/// lock, scan the manifests, plan with <see cref="RetentionPlanner"/>, remove each expired set the host confirms, then
/// sweep the files of runs that never completed. The store and the policy are inputs, so the same job and the same
/// safety rules serve every place that keeps backup sets.
/// It runs on the caller's thread: the host's callbacks (a cmdlet's ShouldProcess and WriteObject) may need that.
/// </summary>
public sealed class RetentionJob
{
    /// <summary>The job for the backup directory <paramref name="directory"/> under <paramref name="policy"/>.</summary>
    public RetentionJob(string directory, RetentionPolicy policy)
        : this(new LocalBackupStore(directory), policy)
    {
    }

    /// <summary>The job for <paramref name="store"/> under <paramref name="policy"/>.</summary>
    public RetentionJob(IBackupStore store, RetentionPolicy policy)
    {
        Store = store;
        Policy = policy;
    }

    /// <summary>Where the sets are.</summary>
    public IBackupStore Store { get; }

    /// <summary>The rules that decide what is kept.</summary>
    public RetentionPolicy Policy { get; }

    /// <summary>Only sets (and abandoned files) of this database; others are left alone. Null: all.</summary>
    public string? Database { get; init; }

    /// <summary>How long to wait for running backup jobs to release the directory.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// For an offsite store (a USB/NAS target, a remote): a set counts as verified only when its last verification
    /// passed and was made where the set now is (the record says where; records written before that was kept count as
    /// before). A set copied there by another tool (rsync, cp) carries its source's record, which proves nothing about
    /// the copy. Sync-CenateOffsite and Test-CenateBackup record their checks with the place they were made. A place
    /// spelled otherwise (through a symlink) does not match: such sets are kept, never removed for it.
    /// </summary>
    public bool VerifiedHereOnly { get; init; }

    /// <summary>
    /// The WAL archive (Start-CenateWalArchive -Path) of the cluster whose base backups are in the store: after the sets,
    /// the segments older than the start of the oldest base backup still kept are removed — no kept base backup needs
    /// them. Nothing is removed when no complete base backup is kept, or when the archive is another cluster's. Null: the
    /// WAL archive is not touched.
    /// </summary>
    public string? WalDirectory { get; init; }

    /// <summary>The clock ages are judged by (tests pass their own).</summary>
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;

    /// <summary>
    /// The row-drop tables were named (-Table or a settings file): a name no set counts is warned about, and names none
    /// of which is counted are refused (<see cref="Drift.RowDropCoverage"/>). False: the default (asegurados).
    /// </summary>
    public bool RowDropTablesNamed { get; init; }

    /// <summary>-Table was given (else the names came from <see cref="RowDropSettingsPath"/>).</summary>
    public bool RowDropTableGiven { get; init; }

    /// <summary>The settings file the RowDrop thresholds came from, for messages.</summary>
    public string? RowDropSettingsPath { get; init; }

    /// <summary>
    /// Runs the job. A set is removed only when <see cref="IRetentionJobHost.Confirm"/> says yes; every set's outcome
    /// goes to <see cref="IRetentionJobHost.Decided"/> in plan order. Throws <see cref="CenateException"/> when nothing
    /// can be done (no directory, lock not had); a set that fails to go is reported and the rest go on.
    /// </summary>
    public void Run(IRetentionJobHost host, IOperationReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(reporter);
        // Before the lock: locking a missing directory would only wait for the timeout.
        Store.RequireExists();
        using var storeLock = Store.AcquireExclusive(LockTimeout);
        var scan = Store.Scan();
        foreach (var damaged in scan.Damaged)
        {
            reporter.Warning(Messages.Format("Warning.RetentionJob.Damaged", damaged.Message));
        }
        var entries = scan.Sets
            .Where(e => Database is null || string.Equals(e.Manifest.Database, Database, StringComparison.Ordinal))
            .ToList();
        if (Policy.RowDrop is { } rowDrop && RowDropTablesNamed)
        {
            var counts = entries.Where(e => e.Complete && e.Kind == BackupSetKind.Full)
                .Select(e => (IReadOnlyDictionary<string, long>?)e.Manifest.RowCounts).ToList();
            Drift.RowDropCoverage.Require(rowDrop, counts, RowDropTableGiven, RowDropSettingsPath, reporter.Warning);
        }
        var byId = entries.ToDictionary(e => e.ManifestPath, StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        // Base backups (pg_basebackup) and dumps are two families, each planned on its own with the same rules: a base
        // set stands for its day as a full dump does, and neither ever counts toward the other's keeps.
        var plan = RetentionPlanner.Plan(Candidates(entries.Where(e => e.Kind != BackupSetKind.Base), BackupSetKind.Full), Policy, Clock())
            .Concat(RetentionPlanner.Plan(Candidates(entries.Where(e => e.Kind == BackupSetKind.Base), BackupSetKind.Base), Policy, Clock()))
            .ToList();
        reporter.Verbose($"Planned {plan.Count} sets in {clock.Elapsed.TotalMilliseconds:0} ms.");
        var removed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var decision in plan)
        {
            if (Carry(decision, byId[decision.Candidate.Id], scan, host, reporter)) removed.Add(decision.Candidate.Id);
        }
        RemoveAbandonedFiles(scan, host, reporter);
        if (WalDirectory is not null)
        {
            var kept = entries.Where(e => e.Kind == BackupSetKind.Base && e.Complete && !removed.Contains(e.ManifestPath)).ToList();
            WalPruning.Run(WalDirectory, kept, host, reporter);
        }
    }

    private IEnumerable<RetentionCandidate> Candidates(IEnumerable<CatalogEntry> entries, BackupSetKind whole) =>
        entries.Select(e => new RetentionCandidate(
            e.ManifestPath, e.Manifest.Database, e.Time, e.Complete, e.Verified && (!VerifiedHereOnly || e.Manifest.Verification!.MadeAt(Store.Location)),
            e.Kind == whole)
        {
            RowCounts = e.Manifest.RowCounts,
            RowDropAcknowledgements = e.Manifest.RowDropAcknowledgements,
            Stamp = e.Manifest.Stamp,
            VerificationFailure = e.Manifest.Verification is { Passed: false } failed
                ? new RetentionVerificationFailure(failed.At, failed.Problems.FirstOrDefault())
                : null,
        });

    /// <summary>Carries out one decision; true when the set was removed.</summary>
    private bool Carry(RetentionDecision decision, CatalogEntry entry, CatalogScan scan, IRetentionJobHost host,
        IOperationReporter reporter)
    {
        if (decision.Keep)
        {
            reporter.Verbose($"Keep {BackupNaming.FileNameOf(entry.ManifestPath)}: {decision.Rule} ({decision.Reason}).");
            host.Decided(new RetentionOutcome(decision, entry, RetentionAction.Kept, null));
            return false;
        }
        var action = Messages.Format("Retention.RemoveSet", entry.Manifest.Files.Count,
            (entry.TotalSize / 1048576.0).ToString("0.0", CultureInfo.CurrentCulture), decision.Reason);
        if (!host.Confirm(entry.ManifestPath, action))
        {
            host.Decided(new RetentionOutcome(decision, entry, RetentionAction.WouldRemove, null));
            return false;
        }
        try
        {
            Store.RemoveSet(entry, scan, reporter.Verbose);
            host.Decided(new RetentionOutcome(decision, entry, RetentionAction.Removed, null));
            return true;
        }
        catch (CenateException ex)
        {
            host.Decided(new RetentionOutcome(decision, entry, RetentionAction.Failed, ex));
            return false;
        }
    }

    private void RemoveAbandonedFiles(CatalogScan scan, IRetentionJobHost host, IOperationReporter reporter)
    {
        if (Store.IsRemote)
        {
            // A remote cannot be locked, and rclone keeps a file's time as it was at the source: a file of a sync running
            // now would look abandoned. Sync-CenateOffsite completes or replaces such files itself.
            var left = BackupCatalog.AbandonedFiles(scan, Clock(), Database);
            if (left.Count > 0)
            {
                reporter.Verbose($"{left.Count} file(s) at {Store.Location} belong to no complete set ({string.Join(", ", left.Select(o => BackupNaming.FileNameOf(o.Path)))}); "
                    + "left alone on a remote, which cannot be locked against a sync in progress. The next Sync-CenateOffsite of that set completes them; remove them by hand if the set is gone.");
            }
            return;
        }
        // Safe because the exclusive directory lock is held: no running job owns a partial or a file of an unfinished
        // set now.
        foreach (var orphan in BackupCatalog.AbandonedFiles(scan, Clock(), Database))
        {
            var what = orphan.IsPartial ? "stale partial file" : "file of a backup run that never completed";
            var question = Messages.Get(orphan.IsPartial
                ? "Retention.RemoveAbandoned.Partial" : "Retention.RemoveAbandoned.Unfinished");
            if (!host.Confirm(orphan.Path, question)) continue;
            try
            {
                Store.RemoveFile(orphan.Path);
                reporter.Verbose($"Removed {what} {orphan.Path}.");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CenateException)
            {
                host.AbandonedFileNotRemoved(orphan.Path, ex);
            }
        }
    }
}
