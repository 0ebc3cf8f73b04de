using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Schedule;
using CenateBackup.PowerShell.Output;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Removes the schedule Register-CenateBackupSchedule wrote (and nothing else).</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Unregister, "CenateBackupSchedule", SupportsShouldProcess = true,
    ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CenateScheduleEntry))]
public sealed class UnregisterCenateBackupScheduleCommand : ScheduleCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 72;

    /// <summary>Only these jobs (default: all).</summary>
    [Parameter]
    [ValidateSet("daily", "weekly", "monthly", "monitor", "drill", "auditretention")]
    public string[]? Job { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var cronFile = GetUnresolvedProviderPathFromPSPath(CronFile);
        RunTerminating(cronFile, () =>
        {
            var plan = ScheduleInventory.PlanRemoval(ScheduleModes.Parse(Mode), Job, cronFile,
                GetUnresolvedProviderPathFromPSPath(UnitDirectory));
            if (plan.Entries.Count == 0)
            {
                WriteWarning(Messages.Format("Warning.UnregisterCenateBackupScheduleCommand", ErrorIds.ScheduleNotFound, plan.Mode, (plan.Mode == ScheduleMode.Cron ? cronFile : UnitDirectory), (Job is null ? "" : ", jobs " + string.Join(", ", Job))));
                return;
            }
            if (!ShouldProcess(plan.Describe(), "Remove the schedule of " +
                                                string.Join(", ", plan.Entries.Select(e => e.Job)),
                    "Unregister-CenateBackupSchedule")) return;
            RunCore(async (_, token) =>
            {
                await ScheduleInventory.RemoveAsync(plan, token).ConfigureAwait(false);
                return true;
            });
            foreach (var e in plan.Entries) WriteObject(ScheduleOutput.Entry(e));
        });
    }
}
