using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Retention;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Verification;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Applies grandfather-father-son retention to a backup directory, by the times recorded in the manifests, and never removes the last good backups.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "CenateOldBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CenateRetentionDecision))]
public sealed class RemoveCenateOldBackupCommand : CenateCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 44;

    /// <summary>Backup directory.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Directory", "PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Only plan sets of this database (others are left alone).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    /// <summary>Keep every set younger than this many days (default 30).</summary>
    [Parameter]
    [ValidateRange(0, 36500)]
    public int KeepDaily { get; set; } = 30;

    /// <summary>Keep the newest verified set of each ISO week younger than this many days (default 90).</summary>
    [Parameter]
    [ValidateRange(0, 36500)]
    public int KeepWeekly { get; set; } = 90;

    /// <summary>Keep the newest verified set of each month younger than this many days (default 365).</summary>
    [Parameter]
    [ValidateRange(0, 36500)]
    public int KeepMonthly { get; set; } = 365;

    /// <summary>Keep the newest verified set of each year younger than this many years (default 0: none).</summary>
    [Parameter]
    [ValidateRange(0, 100)]
    public int KeepYearly { get; set; }

    /// <summary>Keep partial sets (chosen tables, data only, exports only) this many days (default: -KeepDaily), never longer than the full set they came with.</summary>
    [Parameter]
    [ValidateRange(0, 36500)]
    public int? KeepPartial { get; set; }

    /// <summary>Always keep the newest N complete, verified full sets (default 3, at least 1).</summary>
    [Parameter]
    [ValidateRange(1, 10000)]
    public int MinimumKeep { get; set; } = 3;

    /// <summary>If the newest verified full set is older than this, backups have stopped and nothing is removed (default 2 days; below 1 hour only with -Force).</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan MaxNewestAge { get; set; } = TimeSpan.FromDays(2);

    /// <summary>Remove expired sets even when backups have stopped (MaxNewestAge). The other safety rules still hold.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Time zone whose calendar defines weeks, months and years (default: this computer's).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TimeZone { get; set; }

    /// <summary>How long to wait for running backup jobs to release the directory (default 30 s).</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Below this, -MaxNewestAge needs -Force: a guard of minutes removes sets after any late run.</summary>
    private static readonly TimeSpan MinimumNewestAge = TimeSpan.FromHours(1);

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (MaxNewestAge < MinimumNewestAge && !Force)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(
                    $"-MaxNewestAge {BackupMonitor.FormatAge(MaxNewestAge)} is below one hour: the backups-stopped guard would almost never hold. "
                    + "Write the age of a missed run, e.g. -MaxNewestAge 26h or '2d', or add -Force if you really mean it."),
                ErrorIds.DurationBelowFloor, ErrorCategory.InvalidArgument, MaxNewestAge));
        }
        var directory = GetUnresolvedProviderPathFromPSPath(Path);
        TimeZoneInfo zone;
        try
        {
            zone = TimeZone is null ? TimeZoneInfo.Local : TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "TimeZoneNotFound", ErrorCategory.InvalidArgument, TimeZone));
            return;
        }
        var policy = new RetentionPolicy
        {
            KeepDaily = KeepDaily,
            KeepWeekly = KeepWeekly,
            KeepMonthly = KeepMonthly,
            KeepYearly = KeepYearly,
            KeepPartial = KeepPartial,
            MinimumKeep = MinimumKeep,
            MaxNewestAge = MaxNewestAge,
            Force = Force,
            TimeZone = zone,
        };
        try
        {
            // Before the lock: locking a missing directory would only wait for the timeout.
            BackupCatalog.RequireDirectory(directory);
            using var directoryLock = BackupDirectoryLock.AcquireExclusive(directory, LockTimeout);
            var scan = BackupCatalog.Scan(directory);
            foreach (var damaged in scan.Damaged)
            {
                WriteWarning($"{damaged.Message} Its files are left alone.");
            }
            var entries = scan.Sets.Where(e => Database is null || string.Equals(e.Manifest.Database, Database, StringComparison.Ordinal)).ToList();
            var byId = entries.ToDictionary(e => e.ManifestPath, StringComparer.Ordinal);
            var clock = Stopwatch.StartNew();
            var plan = RetentionPlanner.Plan(entries.Select(e => new RetentionCandidate(e.ManifestPath, e.Manifest.Database, e.Time, e.Complete, e.Verified, e.Kind == BackupSetKind.Full)), policy, DateTimeOffset.UtcNow);
            WriteVerbose($"Planned {plan.Count} sets in {clock.Elapsed.TotalMilliseconds:0} ms.");
            foreach (var decision in plan)
            {
                var entry = byId[decision.Candidate.Id];
                if (decision.Keep)
                {
                    WriteVerbose($"Keep {System.IO.Path.GetFileName(entry.ManifestPath)}: {decision.Rule} ({decision.Reason}).");
                    WriteObject(OutputFactory.Decision(decision, entry, "Kept"));
                    continue;
                }
                if (!ShouldProcess(entry.ManifestPath, $"Remove backup set ({entry.Manifest.Files.Count} files, {entry.TotalSize / 1048576.0:0.0} MB): {decision.Reason}"))
                {
                    WriteObject(OutputFactory.Decision(decision, entry, "WouldRemove"));
                    continue;
                }
                try
                {
                    BackupCatalog.RemoveSet(entry, scan, WriteVerbose);
                    WriteObject(OutputFactory.Decision(decision, entry, "Removed"));
                }
                catch (CenateException ex)
                {
                    WriteError(ToErrorRecord(ex, entry.ManifestPath));
                    WriteObject(OutputFactory.Decision(decision, entry, "Failed"));
                }
            }
            RemoveAbandonedFiles(scan);
        }
        catch (CenateException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex, directory));
        }
    }

    private void RemoveAbandonedFiles(CatalogScan scan)
    {
        // Safe because the exclusive directory lock is held: no running job owns a partial or a file of an unfinished set now.
        foreach (var orphan in BackupCatalog.AbandonedFiles(scan, DateTimeOffset.UtcNow, Database))
        {
            var what = orphan.IsPartial ? "stale partial file" : "file of a backup run that never completed";
            if (!ShouldProcess(orphan.Path, $"Remove {what} (older than a day)")) continue;
            try
            {
                System.IO.File.Delete(orphan.Path);
                WriteVerbose($"Removed {what} {orphan.Path}.");
            }
            catch (Exception ex) when (ex is System.IO.IOException or UnauthorizedAccessException)
            {
                WriteError(new ErrorRecord(ex, ErrorIds.RemoveFailed, ErrorCategory.WriteError, orphan.Path));
            }
        }
    }
}
