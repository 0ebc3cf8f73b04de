using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>
/// A restore leftover: a staging schema cenate_restore_&lt;stamp&gt; (Kind Staging) or a table
/// &lt;table&gt;_replaced_&lt;stamp&gt; (Kind Replaced). Kind, Name, Schema and Database bind
/// Remove-CenateRestoreStaging's
/// parameters by property name.
/// </summary>
public sealed class CenateRestoreStaging
{
    internal CenateRestoreStaging() { }

    /// <summary>Staging or Replaced.</summary>
    public string Kind { get; internal set; } = "";
    /// <summary>Staging: the schema's name; Replaced: the table's name.</summary>
    public string Name { get; internal set; } = "";
    /// <summary>The schema it is (Staging) or is in (Replaced).</summary>
    public string Schema { get; internal set; } = "";
    /// <summary>The live table it came from (schema.table), from its marker; null when it has none.</summary>
    public string? Table { get; internal set; }
    /// <summary>The tables in it (Staging), or the table itself (Replaced).</summary>
    public string[] Tables { get; internal set; } = Array.Empty<string>();
    /// <summary>Rows, as the planner estimates them (pg_class.reltuples after the last ANALYZE), not counted; null when
    /// never analysed.</summary>
    public long? EstimatedRows { get; internal set; }
    /// <summary>Bytes on disk, with indexes and TOAST.</summary>
    public long SizeBytes { get; internal set; }
    /// <summary>When the restore made it (its marker; else the stamp in its name).</summary>
    public DateTimeOffset? Created { get; internal set; }
    /// <summary>How long ago it was made.</summary>
    public TimeSpan? Age { get; internal set; }
    /// <summary>The backup file it was restored from (its marker).</summary>
    public string? BackupFile { get; internal set; }
    /// <summary>True when its marker proves Restore-CenateTable made it and it holds nothing else:
    /// Remove-CenateRestoreStaging accepts it.</summary>
    public bool Ours { get; internal set; }
    /// <summary>Why Remove-CenateRestoreStaging would refuse it (null when Ours).</summary>
    public string? Problem { get; internal set; }
    /// <summary>The database it is in.</summary>
    public string Database { get; internal set; } = "";
}
