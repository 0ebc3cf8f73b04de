using System;
using System.Collections.Generic;
using CenateBackup.Core.Targets;

namespace CenateBackup.Core.Restores;

/// <summary>How Restore-CenateTable brings a table back.</summary>
public enum TableRestoreMode
{
    /// <summary>Into a new schema cenate_restore_&lt;stamp&gt;, with keys, indexes, constraints and triggers; the live table is untouched.</summary>
    Staging,
    /// <summary>Insert into the live table exactly the backup's rows whose primary key is missing there.</summary>
    MissingRows,
    /// <summary>Swap the restored table in; the old one is kept as &lt;table&gt;_replaced_&lt;stamp&gt; unless dropped.</summary>
    Replace,
}

/// <summary>Which file of the set the rows come from.</summary>
public enum TableRestoreSource
{
    /// <summary>The custom-format dump: definition, rows, keys, indexes, constraints, triggers.</summary>
    Dump,
    /// <summary>The set's CSV export of the table (&lt;database&gt;_&lt;stamp&gt;.&lt;table&gt;.csv.gz; &lt;table&gt;_&lt;stamp&gt;.csv.gz in older sets): rows only, into the live table's definition.</summary>
    Csv,
    /// <summary>The set's data-only SQL export (&lt;database&gt;_&lt;stamp&gt;.&lt;table&gt;.data.sql.gz; &lt;table&gt;_&lt;stamp&gt;.sql.gz in older sets): rows only, into the live table's definition.</summary>
    Sql,
}

/// <summary>What to restore, from where, into which database.</summary>
public sealed class TableRestoreRequest
{
    /// <summary>The database to restore into (container or host mode).</summary>
    public required DatabaseTarget Target { get; init; }
    /// <summary>A manifest, a dump, or a set's CSV/SQL export ("" with <see cref="SourceDatabase"/>).</summary>
    public required string BackupPath { get; init; }
    /// <summary>
    /// A live database the rows come from instead of a backup — a point-in-time copy (Restore-CenatePointInTime): its table
    /// is dumped into a private temporary file and restored from there. Null: from <see cref="BackupPath"/>.
    /// </summary>
    public DatabaseTarget? SourceDatabase { get; init; }
    /// <summary>
    /// With <see cref="SourceDatabase"/>: keeps the table's dump from the plan for the run (one dump, not two); the caller
    /// disposes it (the temporary file goes). Null: each call dumps and removes its own.
    /// </summary>
    public LiveSourceHolder? LiveSource { get; init; }
    /// <summary>Table name.</summary>
    public required string Table { get; init; }
    /// <summary>Schema; null means the one the backup holds the table in (public when several).</summary>
    public string? Schema { get; init; }
    /// <summary>Mode.</summary>
    public TableRestoreMode Mode { get; init; } = TableRestoreMode.Staging;
    /// <summary>Source file kind; null: the dump, or the file <see cref="BackupPath"/> names.</summary>
    public TableRestoreSource? From { get; init; }
    /// <summary>Replace: drop the old table instead of keeping it.</summary>
    public bool DropReplaced { get; init; }
    /// <summary>
    /// How long any step may wait for a lock (PostgreSQL's lock_timeout) — above all Replace's ACCESS EXCLUSIVE lock on the
    /// live table, behind which every other session's queries queue while it waits. Past it: LockTimeout, nothing changed.
    /// </summary>
    public TimeSpan LockTimeout { get; init; } = DefaultLockTimeout;
    /// <summary>30 seconds.</summary>
    public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(30);
    /// <summary>The longest -LockTimeout accepted (a day): it must stay bounded.</summary>
    public static readonly TimeSpan MaximumLockTimeout = TimeSpan.FromDays(1);
    /// <summary>
    /// Restore from a file no manifest vouches for (a lone file, or one whose manifest is missing, damaged or does not
    /// list it): its checksum cannot be checked. Without it such a file is refused (UnverifiedBackup); with it the
    /// result's Warnings say the file was not verified.
    /// </summary>
    public bool AllowUnverifiedBackup { get; init; }
    /// <summary>
    /// MissingRows only: the primary keys whose rows go back (each a list of the key's values in its column order, as
    /// text as PostgreSQL prints them); null: every missing row. An empty list restores nothing.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>>? Keys { get; init; }

    /// <summary>
    /// With <see cref="Keys"/> from a piped comparison: the columns its keys are of (its Key). They must be the live
    /// table's primary key, same names, same order, else KeyListInvalid. Null: not checked (keys typed by hand).
    /// </summary>
    public IReadOnlyList<string>? KeyColumns { get; init; }
    /// <summary>Local pg tools directory (unused by the COPY path; kept for symmetry with the other requests).</summary>
    public string? PgBinDirectory { get; init; }
    /// <summary>When the restore starts (names the staging schema and the replaced table).</summary>
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>What a restore will do (shown by -WhatIf) and did.</summary>
public sealed class TableRestoreResult
{
    /// <summary>schema.table restored.</summary>
    public string Table { get; set; } = "";
    /// <summary>Mode.</summary>
    public TableRestoreMode Mode { get; set; }
    /// <summary>Source kind.</summary>
    public TableRestoreSource From { get; set; }
    /// <summary>The backup file the rows came from.</summary>
    public string BackupFile { get; set; } = "";
    /// <summary>The set's stamp (null for a lone file).</summary>
    public string? BackupStamp { get; set; }
    /// <summary>Database restored into.</summary>
    public string Database { get; set; } = "";
    /// <summary>
    /// Set when the server or database the set's manifest records is not the one restored into (from the parameters): the
    /// warning, also in <see cref="Warnings"/>, shown before the restore is confirmed.
    /// </summary>
    public string? SourceWarning { get; set; }
    /// <summary>Staging mode: the schema holding the restored table.</summary>
    public string? StagingSchema { get; set; }
    /// <summary>Replace: the old table's new name (null when dropped or when there was none).</summary>
    public string? ReplacedTable { get; set; }
    /// <summary>True when the live table existed.</summary>
    public bool LiveTableExisted { get; set; }
    /// <summary>Rows in the backup (restored into staging).</summary>
    public long? BackupRows { get; set; }
    /// <summary>Rows in the live table before.</summary>
    public long? LiveRowsBefore { get; set; }
    /// <summary>Rows in the live table after.</summary>
    public long? LiveRowsAfter { get; set; }
    /// <summary>Backup rows whose primary key is not in the live table.</summary>
    public long? MissingRows { get; set; }
    /// <summary>Rows with the same primary key but other values in the live table than in the backup.</summary>
    public long? DifferentRows { get; set; }
    /// <summary>MissingRows: rows inserted into the live table.</summary>
    public long? InsertedRows { get; set; }
    /// <summary>Rows of the live table left as they were.</summary>
    public long? KeptRows { get; set; }
    /// <summary>
    /// MissingRows into a partitioned table: backup rows no live partition takes (counted in MissingRows, not
    /// inserted); null for other tables and modes.
    /// </summary>
    public long? UnroutedRows { get; set; }
    /// <summary>Where those rows are kept (schema.table, unquoted; null when there are none).</summary>
    public string? UnroutedTable { get; set; }
    /// <summary>-Key: the number of distinct keys given (null without -Key).</summary>
    public long? RequestedKeys { get; set; }
    /// <summary>-Key: how many of them the backup does not hold (null without -Key).</summary>
    public long? KeysNotInBackup { get; set; }
    /// <summary>Primary key columns used to compare.</summary>
    public IReadOnlyList<string> PrimaryKey { get; set; } = Array.Empty<string>();
    /// <summary>Foreign keys of other tables recreated on the new table (Replace).</summary>
    public List<string> ForeignKeysRecreated { get; } = new();
    /// <summary>The SQL steps (without the rows), in order.</summary>
    public List<string> Steps { get; } = new();
    /// <summary>Things to know that did not stop the restore.</summary>
    public List<string> Warnings { get; } = new();
    /// <summary>Wall time.</summary>
    public TimeSpan Duration { get; set; }
}

/// <summary>The dump of a live source, kept between a restore's plan and its run (Restore-CenateTable -FromContainer).</summary>
public sealed class LiveSourceHolder : IAsyncDisposable
{
    internal LiveSourceDump? Dump { get; set; }

    /// <summary>Removes the temporary dump.</summary>
    public async System.Threading.Tasks.ValueTask DisposeAsync()
    {
        if (Dump is { } dump) await dump.DisposeAsync().ConfigureAwait(false);
        Dump = null;
    }
}
