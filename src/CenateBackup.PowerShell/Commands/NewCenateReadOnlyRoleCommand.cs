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
/// <para type="synopsis">Creates a login role that can only read, and optionally read-only views; the password never leaves this machine. An existing role that can write or has a password is refused unless -Force.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "CenateReadOnlyRole", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateReadOnlyRoleResult))]
public sealed class NewCenateReadOnlyRoleCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 53;

    /// <summary>The role's name.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Its password (sent as a SCRAM-SHA-256 verifier, never in clear). Needed for a new role; an existing role's password changes only with -Force.</summary>
    [Parameter]
    [ValidateNotNull]
    public SecureString? Password { get; set; }

    /// <summary>Schemas it may read (default public).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] ReadSchema { get; set; } = { "public" };

    /// <summary>Tables to get a read-only view v_&lt;table&gt;_readonly, readable by the role.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] View { get; set; } = Array.Empty<string>();

    /// <summary>Adopts an existing role that can write or has a password (it keeps its write privileges; its password changes only with -Password).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = BuildTarget();
        string? password = Password is null ? null : new System.Net.NetworkCredential(string.Empty, Password).Password;
        if (password is not null && password.Length == 0)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(Messages.Get("EmptyPassword")),
                ErrorIds.EmptyPassword, ErrorCategory.InvalidArgument, Name));
        }
        RunPlanned(Name,
            (reporter, token) => ReadOnlyRoleService.PlanAsync(target, Name, password, ReadSchema, View, Force,
                reporter, token),
            plan => PlanQuestion.Of(
                string.Join("; ", plan.Steps) + (plan.Changes.Count == 0 ? "" : " Changes: " + string.Join(" ", plan.Changes)),
                $"{(plan.Created ? "Create" : "Update")} the read-only role {Name}? {string.Join(" ", plan.Changes)}", "New-CenateReadOnlyRole"),
            ReadOnlyRoleService.ExecuteAsync,
            result =>
            {
                foreach (var warning in result.Warnings) WriteWarning(warning);
                WriteObject(new CenateReadOnlyRoleResult(result.Role, result.Created, result.Schemas.ToArray(), result.Views.ToArray(), result.Steps.ToArray())
                {
                    Changes = result.Changes.ToArray(),
                    Warnings = result.Warnings.ToArray(),
                });
            });
    }
}
