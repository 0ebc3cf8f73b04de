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
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(Messages.Get("NothingSelected")),
                ErrorIds.NothingSelected, ErrorCategory.InvalidArgument, null));
        }
        var query = new AuditQuery
        {
            Target = BuildTarget(), AuditSchema = AuditSchema, Table = Table, Schema = Schema, Since = Since, Until = Until,
            Ids = _ids.Count > 0 ? _ids : null,
        };
        RunPlanned(Table ?? AuditSchema,
            (reporter, token) => AuditLogService.PlanRestoreDeletedAsync(query, reporter, token),
            plan =>
            {
                var droppedNote = plan.DroppedColumns.Count == 0
                    ? ""
                    : $" Columns the table no longer has, not restored: {string.Join(", ", plan.DroppedColumns)}.";
                return PlanQuestion.Of(
                    $"Put back {plan.Considered - plan.Skipped} of {plan.Considered} logged rows into {plan.Table} ({plan.Skipped} skipped: their key exists again), in one transaction.{droppedNote} SQL:{Environment.NewLine}{plan.Sql}",
                    $"Put back {plan.Considered - plan.Skipped} rows into {plan.Table}?", "Restore-CenateDeletedRow");
            },
            AuditLogService.RestoreDeletedAsync,
            result =>
            {
                if (result.DroppedColumns.Count > 0)
                {
                    WriteWarning(Messages.Format("Warning.RestoreCenateDeletedRowCommand", result.Table, string.Join(", ", result.DroppedColumns)));
                }
                WriteObject(new CenateUndeleteResult(result.Table, result.Considered, result.Inserted, result.Skipped,
                    result.DroppedColumns.ToArray(), result.FromJson));
            });
    }
}
