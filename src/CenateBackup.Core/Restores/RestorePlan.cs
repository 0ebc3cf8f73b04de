using System.Collections.Generic;
using CenateBackup.Core.Archive;

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
    /// <summary>
    /// A dump's data blocks and the COPY each goes through: one for a plain table, one per leaf partition for a
    /// partitioned one (each COPY built from that leaf's own column list).
    /// </summary>
    public List<(ArchiveTocEntry Data, string CopySql)> DataCopies { get; } = new();
    /// <summary>
    /// MissingRows into a partitioned live table: the statements that move the backup's rows that fit no live partition
    /// out of the staging table into a kept table (run only when there are such rows); empty otherwise.
    /// </summary>
    public List<string> Unrouted { get; } = new();
    /// <summary>The count of those rows (run first; the statements above only when it is not zero).</summary>
    public string? UnroutedCountSql { get; set; }
    /// <summary>The kept table, qualified and quoted (null when the plan has none).</summary>
    public string? UnroutedTable { get; set; }
    /// <summary>Every step, BEGIN to COMMIT, as -WhatIf shows them.</summary>
    public List<string> Steps { get; } = new();
    /// <summary>What the plan leaves out and the user should know.</summary>
    public List<string> Warnings { get; } = new();
}
