using System;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Standby;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Builds a streaming standby of a database container: a second container of the primary's own image, filled by pg_basebackup through its own replication slot and kept seconds behind by streaming replication.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "CenateStandby", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateReplicationStatus))]
public sealed class NewCenateStandbyCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 85;

    /// <summary>The standby container's name.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidatePattern("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$")]
    public string StandbyName { get; set; } = "";

    /// <summary>The standby's port on 127.0.0.1 (it must be free).</summary>
    [Parameter(Mandatory = true)]
    [ValidateRange(1, 65535)]
    public override int Port { get; set; }

    /// <summary>The primary's port (the port of its server inside its container). Default 5432.</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int PrimaryPort { get; set; } = Core.Targets.DatabaseTarget.DefaultPort;

    /// <inheritdoc />
    protected override int ServerPort => PrimaryPort;

    /// <summary>The replication role the standby logs in as and its password (the role is created when missing).</summary>
    [Parameter(Mandatory = true)]
    [Credential]
    public PSCredential ReplicationCredential { get; set; } = PSCredential.Empty;

    /// <summary>Where the standby's data lives: a Docker volume name, or an absolute directory of this machine. Default: the volume &lt;StandbyName&gt;_data.</summary>
    [Parameter]
    [ValidatePattern("^(/.*|[a-zA-Z0-9][a-zA-Z0-9_.-]*)$")]
    public string? Path { get; set; }

    /// <summary>The physical replication slot. Default: the standby's name in lower case.</summary>
    [Parameter]
    [ValidatePattern("^[a-z0-9_]{1,63}$")]
    public string? Slot { get; set; }

    /// <summary>Another image to run (same PostgreSQL major version and C library as the primary's, or refused). Default: the primary container's own image.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Image { get; set; }

    /// <summary>max_slot_wal_keep_size to set ("10GB"). Default: keep the primary's limit, or 10GB when it has none.</summary>
    [Parameter]
    [SizeTransformation]
    [ValidateRange(1L << 20, long.MaxValue)]
    public long? MaxSlotWalKeepSize { get; set; }

    /// <summary>How long the base backup and the start may take (default 30m).</summary>
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
        var request = new StandbyRequest
        {
            Target = target,
            Name = StandbyName,
            Port = Port,
            // A directory as Docker will report it as a mount: absolute, without a trailing separator.
            Path = Path is { } p && p.StartsWith('/')
                ? System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(GetUnresolvedProviderPathFromPSPath(p)))
                : Path,
            Slot = Slot,
            Image = Image,
            ReplicationUser = ReplicationCredential.UserName,
            ReplicationPassword = password,
            MaxSlotWalKeepSize = MaxSlotWalKeepSize,
            Timeout = Timeout ?? TimeSpan.FromMinutes(30),
        };
        RunPlanned(StandbyName,
            (reporter, token) => StandbyService.PlanNewAsync(request, reporter, token),
            plan =>
            {
                foreach (var warning in plan.Warnings) WriteWarning(warning);
                return PlanQuestion.Of(string.Join("; ", plan.Steps), $"Build the standby {plan.Name}? {string.Join("; ", plan.Steps)}", "New-CenateStandby");
            },
            StandbyService.ExecuteAsync,
            _ => { },
            status => WriteObject(StandbyOutput.From(status)));
    }
}

/// <summary>
/// <para type="synopsis">Shows the streaming standbys of a database container: state, lag in bytes and seconds, and the WAL their replication slots hold on the primary. -MaxLag and -MaxRetainedWal turn it into a check whose result pipes into Send-CenateAlert.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CenateReplicationStatus", DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateReplicationStatus))]
public sealed class GetCenateReplicationStatusCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 86;

    /// <summary>The primary's Docker container (default postgres_cenate); binds the Primary of a piped standby status by property name.</summary>
    [Parameter(ParameterSetName = ContainerSet, ValueFromPipelineByPropertyName = true)]
    [Alias("Primary")]
    [ValidateNotNullOrEmpty]
    public override string Container { get; set; } = Core.Targets.DatabaseTarget.DefaultContainer;

    /// <summary>The standby container's name. Default: every standby of -Container.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    public string? StandbyName { get; set; }

    /// <summary>A problem when the standby is further behind than this, or behind by an unknown time ("60s", "5m").</summary>
    [Parameter]
    [DurationTransformation]
    [ValidateNotNull]
    public TimeSpan? MaxLag { get; set; }

    /// <summary>A problem when the slot holds more WAL on the primary than this ("5GB").</summary>
    [Parameter]
    [SizeTransformation]
    [ValidateRange(0, long.MaxValue)]
    public long? MaxRetainedWal { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = BuildTarget();
        RunTerminating(StandbyName ?? Container, () =>
        {
            var found = RunCore((reporter, token) => StandbyService.GetAsync(target, StandbyName, MaxLag, MaxRetainedWal, reporter, token));
            foreach (var status in found) WriteObject(StandbyOutput.From(status));
        });
    }
}

/// <summary>
/// <para type="synopsis">Removes a standby made by New-CenateStandby: its container, its replication slot on the primary, and with -RemoveData its volume or directory. A promoted standby (a primary now) is refused.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "CenateStandby", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateReplicationStatus))]
public sealed class RemoveCenateStandbyCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 87;

    /// <summary>The primary's Docker container (default postgres_cenate); binds the Primary of a piped standby status by property name.</summary>
    [Parameter(ParameterSetName = ContainerSet, ValueFromPipelineByPropertyName = true)]
    [Alias("Primary")]
    [ValidateNotNullOrEmpty]
    public override string Container { get; set; } = Core.Targets.DatabaseTarget.DefaultContainer;

    /// <summary>The standby container's name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    public string StandbyName { get; set; } = "";

    /// <summary>Also remove the standby's data (its Docker volume or directory).</summary>
    [Parameter]
    public SwitchParameter RemoveData { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = BuildTarget();
        RunPlanned(StandbyName,
            (reporter, token) => StandbyService.PlanRemoveAsync(target, StandbyName, RemoveData, reporter, token),
            plan =>
            {
                foreach (var warning in plan.Warnings) WriteWarning(warning);
                return PlanQuestion.Of(string.Join("; ", plan.Steps), $"Remove the standby {plan.Name}? {string.Join("; ", plan.Steps)}", "Remove-CenateStandby");
            },
            StandbyService.ExecuteAsync,
            _ => { },
            status => WriteObject(StandbyOutput.From(status)));
    }
}

internal static class StandbyOutput
{
    public static CenateReplicationStatus From(ReplicationStatus s) => new()
    {
        Name = s.Name,
        Primary = s.Primary,
        State = s.State,
        Healthy = s.Healthy || s.State == "Removed",
        ErrorId = s.ErrorId,
        Problems = s.Problems.ToArray(),
        ContainerState = s.ContainerState,
        Port = s.Port,
        Slot = s.Slot,
        DataPath = s.DataPath,
        SlotActive = s.SlotActive,
        WalStatus = s.WalStatus,
        RetainedWalBytes = s.RetainedWalBytes,
        SafeWalSizeBytes = s.SafeWalSizeBytes,
        MaxSlotWalKeepSizeBytes = s.MaxSlotWalKeepSizeBytes,
        SenderState = s.SenderState,
        ReceiverStatus = s.ReceiverStatus,
        PrimaryLsn = s.PrimaryLsn,
        ReceivedLsn = s.ReceivedLsn,
        ReplayedLsn = s.ReplayedLsn,
        LastReplayedTransaction = s.LastReplayedTransaction,
        LagBytes = s.LagBytes,
        LagSeconds = s.LagSeconds,
    };
}
