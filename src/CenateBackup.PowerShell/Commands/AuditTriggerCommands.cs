using System;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Audit;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>Parameters shared by Install- and Uninstall-CenateAuditTrigger.</summary>
public abstract class AuditTriggerCommandBase : DatabaseCmdletBase
{
    /// <summary>The table (default asegurados).</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Table { get; set; } = "asegurados";

    /// <summary>Its schema (default public).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Schema { get; set; }

    /// <summary>Delete, Truncate, Update (default Delete,Truncate).</summary>
    [Parameter]
    [ValidateSet("Delete", "Truncate", "Update")]
    public string[] Operation { get; set; } = { "Delete", "Truncate" };

    /// <summary>Schema of the log and of the trigger functions (default cenate_audit).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string AuditSchema { get; set; } = "cenate_audit";

    private protected AuditRequest BuildRequest(bool countOnly, bool removeLog, string auditOwner = AuditRequest.DefaultAuditOwner) => new()
    {
        AuditOwner = auditOwner,
        Target = BuildTarget(),
        Table = Table,
        Schema = Schema,
        Operations = Operation.Aggregate(AuditOperations.None, (a, o) => a | Enum.Parse<AuditOperations>(o, ignoreCase: true)),
        AuditSchema = AuditSchema,
        TruncateCountOnly = countOnly,
        RemoveLog = removeLog,
    };

    private protected void Run(AuditRequest request, bool install, string action)
    {
        try
        {
            var plan = RunCore((reporter, token) => install ? AuditService.InstallAsync(request, true, reporter, token) : AuditService.UninstallAsync(request, true, reporter, token));
            foreach (var warning in plan.Warnings) WriteWarning(warning);
            if (!plan.Changed)
            {
                WriteVerbose($"{plan.Table}: nothing to change.");
                WriteObject(OutputFactory.Audit(plan));
                return;
            }
            var description = $"{action} on {plan.Table} ({request.Target.Describe()}). SQL:" + Environment.NewLine + string.Join(Environment.NewLine, plan.Steps);
            if (!ShouldProcess(description, $"{action} on {plan.Table}?", MyInvocation.MyCommand.Name)) return;
            var result = RunCore((reporter, token) => install ? AuditService.InstallAsync(request, false, reporter, token) : AuditService.UninstallAsync(request, false, reporter, token));
            WriteObject(OutputFactory.Audit(result));
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            ThrowTerminatingError(ToErrorRecord(ex, Table));
        }
    }
}

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
