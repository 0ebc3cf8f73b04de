using System;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Audit;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Removes the audit triggers of a table; the audit log stays unless -RemoveLog.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Uninstall, "CenateAuditTrigger", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateAuditInstallResult))]
public sealed class UninstallCenateAuditTriggerCommand : AuditTriggerCommandBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 48;

    /// <summary>Also drop the audit log with every row it kept.</summary>
    [Parameter]
    public SwitchParameter RemoveLog { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Run(BuildRequest(false, RemoveLog), install: false, "Remove the audit triggers" + (RemoveLog ? " and the audit log" : ""));
}
