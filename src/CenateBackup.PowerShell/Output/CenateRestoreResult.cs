using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>What Restore-CenateTable did: counts before and after, where the rows went, how long it took.</summary>
public sealed class CenateRestoreResult
{
    internal CenateRestoreResult() { }

    /// <summary>schema.table restored.</summary>
    public string Table { get; internal set; } = "";
    /// <summary>Staging, MissingRows or Replace.</summary>
    public string Mode { get; internal set; } = "";
    /// <summary>Dump, Csv or Sql.</summary>
    public string From { get; internal set; } = "";
    /// <summary>The backup file the rows came from.</summary>
    public string BackupFile { get; internal set; } = "";
    /// <summary>The set's stamp.</summary>
    public string? BackupStamp { get; internal set; }
    /// <summary>Database restored into.</summary>
    public string Database { get; internal set; } = "";
    /// <summary>Staging: the schema holding the restored table.</summary>
    public string? StagingSchema { get; internal set; }
    /// <summary>Replace: the old table's new name (null when dropped or absent).</summary>
    public string? ReplacedTable { get; internal set; }
    /// <summary>True when the live table existed.</summary>
    public bool LiveTableExisted { get; internal set; }
    /// <summary>Rows in the backup (all restored into staging).</summary>
    public long? BackupRows { get; internal set; }
    /// <summary>Rows of the live table before.</summary>
    public long? LiveRowsBefore { get; internal set; }
    /// <summary>Rows of the live table after.</summary>
    public long? LiveRowsAfter { get; internal set; }
    /// <summary>Backup rows whose primary key is missing from the live table.</summary>
    public long? MissingRows { get; internal set; }
    /// <summary>Rows present in both with other values in the live table.</summary>
    public long? DifferentRows { get; internal set; }
    /// <summary>MissingRows: rows inserted.</summary>
    public long? InsertedRows { get; internal set; }
    /// <summary>Rows of the live table left as they were.</summary>
    public long? KeptRows { get; internal set; }
    /// <summary>MissingRows into a partitioned table: backup rows no live partition takes (kept aside).</summary>
    public long? UnroutedRows { get; internal set; }
    /// <summary>Where those rows are kept (schema.table; null when there are none).</summary>
    public string? UnroutedTable { get; internal set; }
    /// <summary>-Key: the number of distinct keys given (null without -Key).</summary>
    public long? RequestedKeys { get; internal set; }
    /// <summary>-Key: how many of the given keys the backup does not hold (null without -Key).</summary>
    public long? KeysNotInBackup { get; internal set; }
    /// <summary>Primary key columns used to compare.</summary>
    public string[] PrimaryKey { get; internal set; } = Array.Empty<string>();
    /// <summary>Replace: foreign keys of other tables recreated on the restored table.</summary>
    public string[] ForeignKeysRecreated { get; internal set; } = Array.Empty<string>();
    /// <summary>The SQL steps run (without the rows).</summary>
    public string[] Steps { get; internal set; } = Array.Empty<string>();
    /// <summary>Things to know that did not stop the restore.</summary>
    public string[] Warnings { get; internal set; } = Array.Empty<string>();
    /// <summary>
    /// The command that drops what the restore left (Remove-CenateRestoreStaging …); null when nothing was left.
    /// </summary>
    public string? CleanUp { get; internal set; }
    /// <summary>Wall time.</summary>
    public TimeSpan Duration { get; internal set; }
}
