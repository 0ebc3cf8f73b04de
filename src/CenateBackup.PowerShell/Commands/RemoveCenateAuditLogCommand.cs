using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using CenateBackup.Core.Audit;
using CenateBackup.Core.Errors;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Deletes audit log entries older than a retention period (the plan keeps 6 months).</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "CenateAuditLog", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateAuditRemoval))]
public sealed class RemoveCenateAuditLogCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 51;

    /// <summary>Entries older than this go ('180d' quoted, 26w, or a TimeSpan; a bare number is refused).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [DurationTransformation]
    public TimeSpan OlderThan { get; set; }

    /// <summary>Only entries of this table.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Table { get; set; }

    /// <summary>Schema of the audit log (default cenate_audit).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string AuditSchema { get; set; } = "cenate_audit";

    /// <summary>Allows -OlderThan below one day.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        RunTerminating(OlderThan, () =>
        {
            // Before connecting: a refused retention does no work at all.
            AuditLogService.CheckRetention(OlderThan, Force);
        });
        var query = new AuditQuery { Target = BuildTarget(), AuditSchema = AuditSchema, Table = Table };
        RunPlanned(AuditSchema,
            (reporter, token) => AuditLogService.PlanRemoveAsync(query, OlderThan, Force, reporter, token),
            plan => PlanQuestion.Of($"{AuditSchema}.audit_log in database '{query.Target.Database}'",
                $"Delete {plan.Count} entries logged before {plan.Cutoff:u}"),
            async (plan, reporter, token) => plan with
            {
                Count = await AuditLogService.RemoveAsync(plan, reporter, token).ConfigureAwait(false),
            },
            removed => WriteObject(
                new CenateAuditRemoval(AuditSchema, query.Target.Database, removed.Cutoff, removed.Count)));
    }
}
