using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace CenateBackup.Core.Audit;

/// <summary>What Protect-CenateTable did (or, as a plan, would do).</summary>
public sealed class ProtectResult
{
    /// <summary>schema.table.</summary>
    public string Table { get; set; } = "";
    /// <summary>Roles whose DELETE/TRUNCATE were revoked.</summary>
    public List<string> Roles { get; } = new();
    /// <summary>Grants before.</summary>
    public List<TableGrant> Before { get; } = new();
    /// <summary>Grants after.</summary>
    public List<TableGrant> After { get; } = new();
    /// <summary>The SQL.</summary>
    public List<string> Steps { get; } = new();
    /// <summary>PUBLIC and group roles also revoked from (-IncludeInherited): the named roles reached DELETE/TRUNCATE through them.</summary>
    public List<string> Inherited { get; } = new();
    /// <summary>A plan's run: the same request, checked against this plan (see <see cref="ConfirmedPlan"/>).</summary>
    internal Func<IOperationReporter, CancellationToken, Task<ProtectResult>>? Run { get; set; }
}
