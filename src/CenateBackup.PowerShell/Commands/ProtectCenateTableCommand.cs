using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using CenateBackup.Core.Audit;
using CenateBackup.Core.Errors;
using CenateBackup.PowerShell.Output;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Revokes DELETE and TRUNCATE on a table from application roles, and shows the grants before and after.</para>
/// </summary>
[Cmdlet(VerbsSecurity.Protect, "CenateTable", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateProtectResult))]
public sealed class ProtectCenateTableCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 52;

    /// <summary>The table (default asegurados).</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Table { get; set; } = "asegurados";

    /// <summary>Its schema (default public).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Schema { get; set; }

    /// <summary>Roles to take DELETE and TRUNCATE from (PUBLIC allowed).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Role { get; set; }

    /// <summary>Take DELETE and TRUNCATE from every role that has them except these (and the owner).</summary>
    [Parameter]
    [ValidateNotNull]
    public string[]? AllExcept { get; set; }

    /// <summary>With -Role: also revoke from PUBLIC and the group roles through which a named role would keep DELETE or TRUNCATE.</summary>
    [Parameter]
    public SwitchParameter IncludeInherited { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if ((Role is null) == (AllExcept is null))
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(Messages.Get("RoleOrAllExcept")),
                ErrorIds.RoleOrAllExcept, ErrorCategory.InvalidArgument, null));
        }
        if (IncludeInherited && Role is null)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(Messages.Get("IncludeInheritedNeedsRole")),
                ErrorIds.IncludeInheritedNeedsRole, ErrorCategory.InvalidArgument, null));
        }
        var target = BuildTarget();
        RunPlanned(Table,
            (reporter, token) => ProtectionService.PlanProtectAsync(target, Table, Schema, Role, AllExcept, IncludeInherited,
                reporter, token),
            plan =>
            {
                if (plan.Steps.Count == 0) return PlanQuestion.Nothing;
                var inheritedNote = plan.Inherited.Count == 0 ? "" : $" Also from {string.Join(", ", plan.Inherited)} (-IncludeInherited): every member of them loses DELETE and TRUNCATE too.";
                return PlanQuestion.Of($"{plan.Table}: " + string.Join("; ", plan.Steps) + inheritedNote,
                    $"Revoke DELETE and TRUNCATE on {plan.Table} from {string.Join(", ", plan.Roles)}?{inheritedNote}", "Protect-CenateTable");
            },
            ProtectionService.ProtectAsync,
            result =>
            {
                if (result.Inherited.Count > 0)
                {
                    WriteWarning(Messages.Format("Warning.ProtectCenateTableCommand", result.Table, string.Join(", ", result.Inherited)));
                }
                WriteObject(OutputFactory.Protect(result));
            });
    }
}
