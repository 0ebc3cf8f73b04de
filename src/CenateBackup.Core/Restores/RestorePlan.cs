using System.Collections.Generic;

namespace CenateBackup.Core.Restores;

/// <summary>
/// The SQL a table restore runs, in order, built by <see cref="RestorePlanBuilder"/> without a server: what -WhatIf
/// shows (<see cref="Steps"/>) and the statements the transaction runs around the rows.
/// </summary>
internal sealed class RestorePlan
{
    /// <summary>The staging schema quoted (pg_temp as it is).</summary>
    public required string StagingQuoted { get; init; }
    /// <summary>The staging table, qualified and quoted.</summary>
    public required string StagingTable { get; init; }
    /// <summary>Before the rows: the schema, the table's definition, its sequences' positions.</summary>
    public List<string> Pre { get; } = new();
    /// <summary>After the rows: keys, indexes, constraints, triggers.</summary>
    public List<string> Post { get; } = new();
    /// <summary>The table's foreign keys, NOT VALID (validated after, one by one).</summary>
    public List<string> ForeignKeys { get; } = new();
    /// <summary>The COPY the rows go through (empty for CSV, whose loader builds it from the file's header).</summary>
    public string CopySql { get; set; } = "";
    /// <summary>Every step, BEGIN to COMMIT, as -WhatIf shows them.</summary>
    public List<string> Steps { get; } = new();
    /// <summary>What the plan leaves out and the user should know.</summary>
    public List<string> Warnings { get; } = new();
}
