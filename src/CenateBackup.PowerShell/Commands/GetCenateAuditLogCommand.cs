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
        RunTerminating(Table ?? AuditSchema, () =>
        {
            foreach (var e in RunCore((reporter, token) => AuditLogService.GetAsync(query, reporter, token)))
                WriteObject(OutputFactory.AuditEntry(e, query.Target));
        });
    }
}
