using System;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Audit;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Installs an append-only audit log and triggers that keep every deleted (and truncated, optionally updated) row of a table.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "CenateAuditTrigger", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateAuditInstallResult))]
public sealed class InstallCenateAuditTriggerCommand : AuditTriggerCommandBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 47;

    /// <summary>TRUNCATE: Rows (default) copies every row into the log first; CountOnly records only how many rows went.</summary>
    [Parameter]
    [ValidateSet("Rows", "CountOnly")]
    public string TruncateMode { get; set; } = "Rows";

    /// <summary>The NOLOGIN role that owns the log and its functions (default cenate_audit_owner, created if missing).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string AuditOwner { get; set; } = AuditRequest.DefaultAuditOwner;

    /// <inheritdoc />
    protected override void ProcessRecord() =>
        Run(BuildRequest(string.Equals(TruncateMode, "CountOnly", StringComparison.OrdinalIgnoreCase), false, AuditOwner), install: true, "Install the audit log and triggers");
}
