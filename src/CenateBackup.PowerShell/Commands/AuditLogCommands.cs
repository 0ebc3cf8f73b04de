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
/// <para type="synopsis">Reads the audit log: every deleted, truncated (and optionally updated) row, with who, when and how.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CenateAuditLog", DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateAuditEntry))]
public sealed class GetCenateAuditLogCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 49;

    /// <summary>Only entries of this table.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Table { get; set; }

    /// <summary>Only entries of tables in this schema.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Schema { get; set; }

    /// <summary>From this time (inclusive).</summary>
    [Parameter]
    public DateTimeOffset? Since { get; set; }

    /// <summary>Until this time (exclusive).</summary>
    [Parameter]
    public DateTimeOffset? Until { get; set; }

    /// <summary>Delete, Truncate, Update.</summary>
    [Parameter]
    [ValidateSet("Delete", "Truncate", "Update")]
    public string[]? Operation { get; set; }

    /// <summary>Only what this role did (session or current user).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? User { get; set; }

    /// <summary>At most this many entries, oldest first.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int First { get; set; }

    /// <summary>Schema of the audit log (default cenate_audit).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string AuditSchema { get; set; } = "cenate_audit";

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var query = new AuditQuery
        {
            Target = BuildTarget(), AuditSchema = AuditSchema, Table = Table, Schema = Schema, Since = Since, Until = Until,
            Operations = Operation, User = User, First = First,
        };
        try
        {
            foreach (var e in RunCore((reporter, token) => AuditLogService.GetAsync(query, reporter, token)))
                WriteObject(OutputFactory.AuditEntry(e, query.Target));
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            ThrowTerminatingError(ToErrorRecord(ex, Table ?? AuditSchema));
        }
    }
}

/// <summary>
/// <para type="synopsis">Puts rows kept by the audit log back into their table, in one transaction, skipping rows whose primary key exists again.</para>
/// </summary>
[Cmdlet(VerbsData.Restore, "CenateDeletedRow", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateUndeleteResult))]
public sealed class RestoreCenateDeletedRowCommand : DatabaseCmdletBase
{
    private readonly List<long> _ids = new();

    /// <inheritdoc />
    protected override int ProgressActivityId => 50;

    /// <summary>Entries from Get-CenateAuditLog (their Id binds).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    public long[]? EntryId { get; set; }

    /// <summary>Without piped entries: the table whose deleted rows come back.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Table { get; set; }

    /// <summary>Its schema.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Schema { get; set; }

    /// <summary>Rows deleted from this time on.</summary>
    [Parameter]
    public DateTimeOffset? Since { get; set; }

    /// <summary>Rows deleted before this time.</summary>
    [Parameter]
    public DateTimeOffset? Until { get; set; }

    /// <summary>Schema of the audit log (default cenate_audit).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string AuditSchema { get; set; } = "cenate_audit";

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (EntryId is not null) _ids.AddRange(EntryId);
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (_ids.Count == 0 && Table is null && Since is null)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Pipe entries from Get-CenateAuditLog, or name -Table (and -Since/-Until)."), ErrorIds.NothingSelected, ErrorCategory.InvalidArgument, null));
        }
        var query = new AuditQuery
        {
            Target = BuildTarget(), AuditSchema = AuditSchema, Table = Table, Schema = Schema, Since = Since, Until = Until,
            Ids = _ids.Count > 0 ? _ids : null,
        };
        try
        {
            var plan = RunCore((reporter, token) => AuditLogService.RestoreDeletedAsync(query, dryRun: true, reporter, token));
            var droppedNote = plan.DroppedColumns.Count == 0 ? "" : $" Columns the table no longer has, not restored: {string.Join(", ", plan.DroppedColumns)}.";
            if (!ShouldProcess($"Put back {plan.Considered - plan.Skipped} of {plan.Considered} logged rows into {plan.Table} ({plan.Skipped} skipped: their key exists again), in one transaction.{droppedNote} SQL:{Environment.NewLine}{plan.Sql}",
                    $"Put back {plan.Considered - plan.Skipped} rows into {plan.Table}?", "Restore-CenateDeletedRow"))
            {
                return;
            }
            var result = RunCore((reporter, token) => AuditLogService.RestoreDeletedAsync(query, dryRun: false, reporter, token));
            if (result.DroppedColumns.Count > 0)
            {
                WriteWarning($"The logged rows of {result.Table} have columns the table no longer has ({string.Join(", ", result.DroppedColumns)}): their values were not restored and stay in the audit log (OldRowImage, OldRow).");
            }
            WriteObject(new CenateUndeleteResult(result.Table, result.Considered, result.Inserted, result.Skipped, result.DroppedColumns.ToArray(), result.FromJson));
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            ThrowTerminatingError(ToErrorRecord(ex, Table ?? AuditSchema));
        }
    }
}

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
        try
        {
            // Before connecting: a refused retention does no work at all.
            AuditLogService.CheckRetention(OlderThan, Force);
        }
        catch (Exception ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex, OlderThan));
        }
        var query = new AuditQuery { Target = BuildTarget(), AuditSchema = AuditSchema, Table = Table };
        try
        {
            var count = RunCore((reporter, token) => AuditLogService.RemoveAsync(query, OlderThan, Force, dryRun: true, reporter, token));
            var cutoff = DateTimeOffset.UtcNow - OlderThan;
            if (!ShouldProcess($"{AuditSchema}.audit_log in database '{query.Target.Database}'", $"Delete {count} entries logged before {cutoff:u}"))
            {
                return;
            }
            var removed = RunCore((reporter, token) => AuditLogService.RemoveAsync(query, OlderThan, Force, dryRun: false, reporter, token));
            WriteObject(new CenateAuditRemoval(AuditSchema, query.Target.Database, cutoff, removed));
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            ThrowTerminatingError(ToErrorRecord(ex, AuditSchema));
        }
    }
}

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
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give either -Role or -AllExcept."), ErrorIds.RoleOrAllExcept, ErrorCategory.InvalidArgument, null));
        }
        if (IncludeInherited && Role is null)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("-IncludeInherited goes with -Role (-AllExcept already revokes from every role that holds the privileges, PUBLIC and group roles included)."), ErrorIds.IncludeInheritedNeedsRole, ErrorCategory.InvalidArgument, null));
        }
        var target = BuildTarget();
        try
        {
            var plan = RunCore((reporter, token) => ProtectionService.ProtectAsync(target, Table, Schema, Role, AllExcept, IncludeInherited, dryRun: true, reporter, token));
            var inheritedNote = plan.Inherited.Count == 0 ? "" : $" Also from {string.Join(", ", plan.Inherited)} (-IncludeInherited): every member of them loses DELETE and TRUNCATE too.";
            if (plan.Steps.Count > 0 && !ShouldProcess($"{plan.Table}: " + string.Join("; ", plan.Steps) + inheritedNote, $"Revoke DELETE and TRUNCATE on {plan.Table} from {string.Join(", ", plan.Roles)}?{inheritedNote}", "Protect-CenateTable"))
            {
                return;
            }
            var result = plan.Steps.Count == 0 ? plan : RunCore((reporter, token) => ProtectionService.ProtectAsync(target, Table, Schema, Role, AllExcept, IncludeInherited, dryRun: false, reporter, token));
            if (result.Inherited.Count > 0)
            {
                WriteWarning($"The named roles could still DELETE or TRUNCATE {result.Table} through {string.Join(", ", result.Inherited)}: revoked from them too (-IncludeInherited), so every role that is a member of them (or, for PUBLIC, every role) lost DELETE and TRUNCATE on {result.Table}.");
            }
            WriteObject(OutputFactory.Protect(result));
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            ThrowTerminatingError(ToErrorRecord(ex, Table));
        }
    }
}

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
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("The password is empty."), ErrorIds.EmptyPassword, ErrorCategory.InvalidArgument, Name));
        }
        try
        {
            var plan = RunCore((reporter, token) => ProtectionService.NewReadOnlyRoleAsync(target, Name, password, ReadSchema, View, Force, dryRun: true, reporter, token));
            if (!ShouldProcess(string.Join("; ", plan.Steps) + (plan.Changes.Count == 0 ? "" : " Changes: " + string.Join(" ", plan.Changes)),
                    $"{(plan.Created ? "Create" : "Update")} the read-only role {Name}? {string.Join(" ", plan.Changes)}", "New-CenateReadOnlyRole")) return;
            var result = RunCore((reporter, token) => ProtectionService.NewReadOnlyRoleAsync(target, Name, password, ReadSchema, View, Force, dryRun: false, reporter, token));
            foreach (var warning in result.Warnings) WriteWarning(warning);
            WriteObject(new CenateReadOnlyRoleResult(result.Role, result.Created, result.Schemas.ToArray(), result.Views.ToArray(), result.Steps.ToArray())
            {
                Changes = result.Changes.ToArray(),
                Warnings = result.Warnings.ToArray(),
            });
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            ThrowTerminatingError(ToErrorRecord(ex, Name));
        }
    }
}
