using System;
using System.Management.Automation;
using CenateBackup.Core;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Retention;
using CenateBackup.Core.Verification;
using CenateBackup.PowerShell.Output;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Applies grandfather-father-son retention to a backup directory, by the times recorded in the manifests, and never removes the last good backups.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "CenateOldBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CenateRetentionDecision))]
public sealed class RemoveCenateOldBackupCommand : BackupStoreCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 44;

    /// <summary>Backup directory.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Directory", "PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>
    /// The WAL archive (Start-CenateWalArchive -Path) of the cluster whose base backups are in -Path: after the sets, the
    /// WAL segments older than the start of the oldest base backup kept are removed (one confirmation for all; -WhatIf
    /// shows how many). Kept when no complete base backup is kept; refused (WalArchiveForeign) when the archive is another
    /// cluster's. Without it the WAL archive is not touched.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WalPath { get; set; }

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

    /// <summary>Row-drop protection: a drop of a critical table beyond this share keeps the set before it ('2%', the default; a bare number is refused).</summary>
    [Parameter]
    [RowDropPercentTransformation]
    [ValidateRange(0d, 1d)]
    public double? MaxRowDrop { get; set; }

    /// <summary>Row-drop protection: a drop of more than this many rows keeps the set before it.</summary>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long? MaxRowDropCount { get; set; }

    /// <summary>Row-drop protection: the critical tables (schema.table or table; default asegurados).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Table { get; set; }

    /// <summary>Row-drop protection: a settings .psd1 whose RowDrop key gives per-table thresholds.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Settings { get; set; }

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
                    Messages.Format("DurationBelowFloor.MaxNewestAge", BackupMonitor.FormatAge(MaxNewestAge))),
                ErrorIds.DurationBelowFloor, ErrorCategory.InvalidArgument, MaxNewestAge));
        }
        Core.Storage.IBackupStore store;
        try
        {
            store = OpenStore(ParseLocation(Path));
        }
        catch (CenateException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex, Path));
            return;
        }
        var directory = store.Location;
        TimeZoneInfo zone;
        try
        {
            zone = TimeZone is null ? TimeZoneInfo.Local : TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.TimeZoneNotFound, ErrorCategory.InvalidArgument, TimeZone));
            return;
        }
        Core.Drift.RowDropPolicy rowDrop = null!;
        var settings = Settings is null ? null : GetUnresolvedProviderPathFromPSPath(Settings);
        var noRowDropKey = false;
        RunTerminating(Settings, () => rowDrop = RowDropParameters.Build(MaxRowDrop, MaxRowDropCount, Table,
            settings, Core.Drift.RowDropThreshold.Default, out noRowDropKey)!);
        // A settings file without RowDrop (the alert settings shared with Send-CenateAlert) leaves the default
        // protection (asegurados, 2%) or the command line's: nothing is lost, so no warning in every daily run.
        var policy = new RetentionPolicy
        {
            RowDrop = rowDrop,
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
        var job = new RetentionJob(store, policy)
        {
            Database = Database,
            LockTimeout = LockTimeout,
            VerifiedHereOnly = store.IsRemote || Core.Offsite.OffsiteSyncPlanner.IsMarkedTarget(store.Location),
            RowDropTablesNamed = Table is { Length: > 0 } || (settings is not null && !noRowDropKey),
            RowDropTableGiven = Table is { Length: > 0 },
            RowDropSettingsPath = settings,
            WalDirectory = WalPath is null ? null : GetUnresolvedProviderPathFromPSPath(WalPath),
        };
        try
        {
            job.Run(new JobHost(this), new JobReporter(this));
        }
        catch (CenateException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex, directory));
        }
    }

    /// <summary>The job's questions and outcomes go to this cmdlet's pipeline (the job runs on its thread).</summary>
    private sealed class JobHost : IRetentionJobHost
    {
        private readonly RemoveCenateOldBackupCommand _cmdlet;

        public JobHost(RemoveCenateOldBackupCommand cmdlet) => _cmdlet = cmdlet;

        public bool Confirm(string target, string action) => _cmdlet.ShouldProcess(target, action);

        public void Decided(RetentionOutcome outcome)
        {
            if (outcome.Error is not null) _cmdlet.WriteError(ToErrorRecord(outcome.Error, outcome.Entry.ManifestPath));
            _cmdlet.WriteObject(OutputFactory.Decision(outcome.Decision, outcome.Entry, outcome.Action.ToString()));
        }

        public void AbandonedFileNotRemoved(string path, Exception error) =>
            _cmdlet.WriteError(new ErrorRecord(error, ErrorIds.RemoveFailed, ErrorCategory.WriteError, path));
    }

    private sealed class JobReporter : IOperationReporter
    {
        private readonly RemoveCenateOldBackupCommand _cmdlet;

        public JobReporter(RemoveCenateOldBackupCommand cmdlet) => _cmdlet = cmdlet;

        public void Verbose(string message) => _cmdlet.WriteVerbose(message);

        public void Warning(string message) => _cmdlet.WriteWarning(message);

        public void Progress(OperationProgress progress)
        {
            // The job reports no progress: planning takes milliseconds, each removal a few.
        }
    }
}
