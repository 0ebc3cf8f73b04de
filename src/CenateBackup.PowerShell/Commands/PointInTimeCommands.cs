using System;
using System.Management.Automation;
using CenateBackup.Core.Pitr;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Recovers the database as it was at a moment — to the second before a mistake — into a new scratch container: the newest base backup completed before that time plus the archived WAL, replayed up to it and paused there. The live database is never touched.</para>
/// </summary>
[Cmdlet(VerbsData.Restore, "CenatePointInTime", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenatePointInTimeCopy))]
public sealed class RestoreCenatePointInTimeCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 82;

    /// <summary>
    /// The moment to recover to: every transaction committed up to it is in the copy, none committed after. A DateTime or
    /// text such as '2026-11-29 10:41:59'; without an offset it is this machine's local time.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    public DateTime Time { get; set; }

    /// <summary>
    /// The base backup sets' directory (New-CenateBaseBackup -Path), or one set's manifest; a set from Get-CenateBackup
    /// binds by its Path. The newest complete set of -Database completed before -Time (and not failed in its last check) is used.
    /// </summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The WAL archive directory (Start-CenateWalArchive -Path). Default: the one the -Container's archiver writes.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WalPath { get; set; }

    /// <summary>The copy's container name. Default: &lt;container&gt;_pitr_&lt;time as yyyyMMdd_HHmmss, UTC&gt;.</summary>
    [Parameter]
    [ValidatePattern("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$")]
    public string? Name { get; set; }

    /// <summary>The copy's port on 127.0.0.1 (it listens there only). Default: a free port.</summary>
    [Parameter]
    [ValidateRange(1024, 65535)]
    public int? CopyPort { get; set; }

    /// <summary>The image to run (default: the image of -Container, which may be stopped; give it when the container is gone).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Image { get; set; }

    /// <summary>How long recovery may take to reach the time (default 30m; "2h", a TimeSpan). Past it the copy is removed.</summary>
    [Parameter]
    [DurationTransformation]
    [ValidateDuration(1, 7 * 86400)]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = BuildTarget();
        var time = Time.Kind == DateTimeKind.Utc ? new DateTimeOffset(Time, TimeSpan.Zero)
            : new DateTimeOffset(DateTime.SpecifyKind(Time, DateTimeKind.Local));
        var request = new PointInTimeRequest
        {
            Target = target,
            BasePath = GetUnresolvedProviderPathFromPSPath(Path),
            WalPath = WalPath is null ? null : GetUnresolvedProviderPathFromPSPath(WalPath),
            Time = time,
            TimeWithoutZone = Time.Kind == DateTimeKind.Unspecified,
            Name = Name,
            Port = CopyPort,
            Timeout = Timeout,
        };
        RunPlanned(Name ?? target.Container,
            (reporter, token) => PointInTimeService.PlanAsync(request, Image, reporter, token),
            plan =>
            {
                foreach (var warning in plan.Warnings) WriteWarning(warning);
                var steps = string.Join("; ", plan.Steps);
                return PlanQuestion.Of(steps, $"Recover {plan.Database} to {time:yyyy-MM-dd HH:mm:ss zzz} into the new container {plan.Name}? {steps}",
                    "Restore-CenatePointInTime");
            },
            PointInTimeService.ExecuteAsync,
            _ => { },
            copy => WriteObject(CenatePointInTimeCopy.From(copy)));
    }
}

/// <summary>
/// <para type="synopsis">Lists the point-in-time copies Restore-CenatePointInTime made: their state (Paused at the time, Recovering, Exited), time, port and base backup.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CenatePointInTime", DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenatePointInTimeCopy))]
public sealed class GetCenatePointInTimeCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 83;

    /// <summary>One copy by name (PointInTimeCopyNotFound when there is none). Default: the copies of -Container, or every copy when -Container is not given.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = BuildTarget();
        var live = MyInvocation.BoundParameters.ContainsKey(nameof(Container)) ? Container : null;
        RunTerminating(Name ?? live, () =>
        {
            foreach (var copy in RunCore((reporter, token) => PointInTimeService.ListAsync(target, live, Name, token)))
            {
                WriteObject(CenatePointInTimeCopy.From(copy));
            }
        });
    }
}

/// <summary>
/// <para type="synopsis">Removes a point-in-time copy (its container and the data in it) and returns it with State Removed. Only containers Restore-CenatePointInTime made are removed; the live database never is.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "CenatePointInTime", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenatePointInTimeCopy))]
public sealed class RemoveCenatePointInTimeCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 84;

    /// <summary>The copy's container name (a copy from Restore-/Get-CenatePointInTime binds it by property name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = BuildTarget();
        RunPlanned(Name,
            (reporter, token) => PointInTimeService.FindCopyAsync(target, Name, token),
            copy => PlanQuestion.Of(copy.Name, $"Remove the point-in-time copy {copy.Name} (recovered to {copy.TargetTime:yyyy-MM-dd HH:mm:ss zzz}) and its data"),
            async (copy, reporter, token) =>
            {
                await PointInTimeService.RemoveAsync(target, copy, token).ConfigureAwait(false);
                copy.State = "Removed";
                return copy;
            },
            _ => { },
            copy => WriteObject(CenatePointInTimeCopy.From(copy)));
    }
}
