using System;
using System.Collections.Generic;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Database;
using CenateBackup.Core.Formats;

namespace CenateBackup.Core.Restores;

/// <summary>
/// What <see cref="RestorePlanBuilder"/> plans from: the backup's contents (a dump's table of contents, or a SQL export's
/// COPY header), the live table as read from the server, the mode, and the names already chosen and quoted.
/// </summary>
internal sealed record RestorePlanInput
{
    /// <summary>Mode.</summary>
    public required TableRestoreMode Mode { get; init; }
    /// <summary>Which kind of file the rows come from.</summary>
    public required TableRestoreSource Kind { get; init; }
    /// <summary>The backup file (named in the steps and in refusals).</summary>
    public required string SourcePath { get; init; }
    /// <summary>The table's schema, unquoted.</summary>
    public required string Schema { get; init; }
    /// <summary>The table's name, unquoted.</summary>
    public required string Table { get; init; }
    /// <summary>The table's qualified name as pg_dump writes it (quote_ident of each part).</summary>
    public required string QuotedTable { get; init; }
    /// <summary>The staging schema, unquoted; pg_temp for MissingRows.</summary>
    public required string StagingSchema { get; init; }
    /// <summary>
    /// MissingRows into a partitioned live table: the schema (unquoted, not yet existing) that keeps the backup's rows
    /// no live partition takes; null otherwise.
    /// </summary>
    public string? UnroutedSchema { get; init; }
    /// <summary>quote_ident of one name, as the server writes it.</summary>
    public required Func<string, string> Quote { get; init; }
    /// <summary>Names the staging schema's and the replaced objects' suffixes.</summary>
    public required string Stamp { get; init; }
    /// <summary>A dump's table of contents (null for CSV/SQL).</summary>
    public IReadOnlyList<ArchiveTocEntry>? Entries { get; init; }
    /// <summary>The table's TABLE entry in <see cref="Entries"/>.</summary>
    public ArchiveTocEntry? TableEntry { get; init; }
    /// <summary>The live table (null when it does not exist).</summary>
    public LiveTable? Live { get; init; }
    /// <summary>Replace: the views that depend on the live table (null: none).</summary>
    public DependentViews? Views { get; init; }
    /// <summary>A SQL export's COPY header (Sql only).</summary>
    public SqlCopyHeader? SqlHeader { get; init; }
    /// <summary>-LockTimeout (shown in Replace's LOCK step).</summary>
    public TimeSpan LockTimeout { get; init; }
    /// <summary>-DropReplaced.</summary>
    public bool DropReplaced { get; init; }
    /// <summary>MissingRows with -Key: the distinct keys (null: no filter).</summary>
    public List<string[]>? Keys { get; init; }
    /// <summary>With <see cref="Keys"/>: each key's 1-based position in the list as given (for messages).</summary>
    public List<long>? KeyPositions { get; init; }
    /// <summary>With <see cref="Keys"/>: the live primary key columns' types, in key order.</summary>
    public List<RestoreKeyFilter.KeyColumnType>? KeyTypes { get; init; }

    /// <summary>schema.table, unquoted, as the result and the messages name it.</summary>
    public string DisplayTable => Schema + "." + Table;
}
