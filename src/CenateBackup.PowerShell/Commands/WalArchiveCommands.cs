using System;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Wal;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Starts the continuous WAL archive of a database container: pg_receivewal, from the database's own image, in a sidecar container that streams every WAL record through a replication slot into a directory of this machine, for point-in-time recovery.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "CenateWalArchive", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateWalArchive))]
public sealed class StartCenateWalArchiveCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 61;

    /// <summary>The archive directory on this machine (created 0700; WAL files are 0600).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The replication role pg_receivewal logs in as and its password (the role is created when missing).</summary>
    [Parameter(Mandatory = true)]
    [Credential]
    public PSCredential ReplicationCredential { get; set; } = PSCredential.Empty;

    /// <summary>The archiver container's name. Default: &lt;container&gt;_wal.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>The physical replication slot. Default cenate_wal.</summary>
    [Parameter]
    [ValidatePattern("^[a-z0-9_]{1,63}$")]
    public string Slot { get; set; } = WalArchiveService.DefaultSlot;

    /// <summary>max_slot_wal_keep_size to set ("10GB"). Default: keep the server's limit, or 10GB when it has none.</summary>
    [Parameter]
    [SizeTransformation]
    [ValidateRange(1L << 20, long.MaxValue)]
    public long? MaxSlotWalKeepSize { get; set; }

    /// <summary>How long to wait until pg_receivewal streams (default 60s).</summary>
    [Parameter]
    [DurationTransformation]
    [ValidateNotNull]
    public TimeSpan? Timeout { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = BuildTarget();
        var password = ReplicationCredential.GetNetworkCredential().Password;
        if (string.IsNullOrEmpty(password))
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(Messages.Get("EmptyPassword")),
                ErrorIds.EmptyPassword, ErrorCategory.InvalidArgument, ReplicationCredential.UserName));
        }
        var request = new WalArchiveRequest
        {
            Target = target,
            Path = GetUnresolvedProviderPathFromPSPath(Path),
            Name = Name,
            Slot = Slot,
            ReplicationUser = ReplicationCredential.UserName,
            ReplicationPassword = password,
            MaxSlotWalKeepSize = MaxSlotWalKeepSize,
            StreamTimeout = Timeout ?? TimeSpan.FromSeconds(60),
        };
        RunPlanned(Name ?? Container,
            (reporter, token) => WalArchiveService.PlanStartAsync(request, reporter, token),
            plan => plan.Current is not null
                ? PlanQuestion.Nothing
                : PlanQuestion.Of(string.Join("; ", plan.Steps), $"Start the WAL archive {plan.Name}? {string.Join("; ", plan.Steps)}", "Start-CenateWalArchive"),
            WalArchiveService.ExecuteAsync,
            plan => WriteObject(WalArchiveOutput.From(plan.Current!)),
            status => WriteObject(WalArchiveOutput.From(status)));
    }
}

/// <summary>
/// <para type="synopsis">Shows the WAL archive of a database container: the archiver container's state, its replication slot (retained WAL, wal_status), how far it is behind in bytes and seconds, and its newest segment. -MaxLag and -MaxRetainedWal turn it into a check.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CenateWalArchive", DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateWalArchive))]
public sealed class GetCenateWalArchiveCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 62;

    /// <summary>The archiver container's name. Default: every archiver of -Container.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>A problem when the archive is further behind than this ("60s", "5m").</summary>
    [Parameter]
    [DurationTransformation]
    [ValidateNotNull]
    public TimeSpan? MaxLag { get; set; }

    /// <summary>A problem when the slot holds more WAL on the server than this ("5GB").</summary>
    [Parameter]
    [SizeTransformation]
    [ValidateRange(0, long.MaxValue)]
    public long? MaxRetainedWal { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = BuildTarget();
        RunTerminating(Name ?? Container, () =>
        {
            var found = RunCore((reporter, token) => WalArchiveService.GetAsync(target, Name, MaxLag, MaxRetainedWal, reporter, token));
            foreach (var status in found) WriteObject(WalArchiveOutput.From(status));
        });
    }
}

/// <summary>
/// <para type="synopsis">Stops the WAL archive of a database container: removes the archiver container (the archived WAL stays). With -DropSlot also drops its replication slot, so the server no longer keeps WAL for it.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "CenateWalArchive", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateWalArchive))]
public sealed class StopCenateWalArchiveCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 63;

    /// <summary>The archiver container's name. Default: the one archiver of -Container.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>Also drop the replication slot (the server stops keeping WAL; a later start leaves a gap until a new base backup).</summary>
    [Parameter]
    public SwitchParameter DropSlot { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = BuildTarget();
        RunPlanned(Name ?? Container,
            (reporter, token) => WalArchiveService.PlanStopAsync(target, Name, DropSlot, reporter, token),
            plan =>
            {
                foreach (var warning in plan.Warnings) WriteWarning(warning);
                return PlanQuestion.Of(string.Join("; ", plan.Steps), $"Stop the WAL archive {plan.Name}? {string.Join("; ", plan.Steps)}", "Stop-CenateWalArchive");
            },
            WalArchiveService.ExecuteAsync,
            _ => { },
            status => WriteObject(WalArchiveOutput.From(status)));
    }
}

internal static class WalArchiveOutput
{
    public static CenateWalArchive From(WalArchiveStatus s) => new()
    {
        Name = s.Name,
        Primary = s.Primary,
        State = s.State,
        Healthy = s.Healthy || s.State == "Removed",
        ErrorId = s.ErrorId,
        Problems = s.Problems.ToArray(),
        ContainerState = s.ContainerState,
        RestartCount = s.RestartCount,
        Path = s.Path,
        Slot = s.Slot,
        ReplicationUser = s.ReplicationUser,
        SlotActive = s.SlotActive,
        WalStatus = s.WalStatus,
        RetainedWalBytes = s.RetainedWalBytes,
        SafeWalSizeBytes = s.SafeWalSizeBytes,
        MaxSlotWalKeepSizeBytes = s.MaxSlotWalKeepSizeBytes,
        CurrentLsn = s.CurrentLsn,
        FlushedLsn = s.FlushedLsn,
        LagBytes = s.LagBytes,
        LagSeconds = s.LagSeconds,
        LastSegment = s.LastSegment,
        LastSegmentTime = s.LastSegmentTime,
        SegmentCount = s.SegmentCount,
        ArchiveBytes = s.ArchiveBytes,
    };
}
