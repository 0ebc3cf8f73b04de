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

    private protected void Run(AuditRequest request, bool install, string action) =>
        RunPlanned(Table,
            (reporter, token) => install
                ? AuditService.PlanInstallAsync(request, reporter, token)
                : AuditService.PlanUninstallAsync(request, reporter, token),
            plan =>
            {
                foreach (var warning in plan.Warnings) WriteWarning(warning);
                if (!plan.Changed)
                {
                    WriteVerbose($"{plan.Table}: nothing to change.");
                    return PlanQuestion.Nothing;
                }
                var description = $"{action} on {plan.Table} ({request.Target.Describe()}). SQL:" + Environment.NewLine
                    + string.Join(Environment.NewLine, plan.Steps);
                return PlanQuestion.Of(description, $"{action} on {plan.Table}?", MyInvocation.MyCommand.Name);
            },
            AuditService.ExecuteAsync,
            result => WriteObject(OutputFactory.Audit(result)));
}
