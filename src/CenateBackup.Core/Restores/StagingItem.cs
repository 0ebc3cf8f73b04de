using System;
using System.Collections.Generic;

namespace CenateBackup.Core.Restores;

/// <summary>What Restore-CenateTable leaves behind: a staging schema, or the table Replace put aside.</summary>
public enum StagingKind
{
    /// <summary>A schema cenate_restore_&lt;stamp&gt; holding a restored copy (Mode Staging; MissingRows' unrouted
    /// rows).</summary>
    Staging,
    /// <summary>A table &lt;table&gt;_replaced_&lt;stamp&gt;: the live table Mode Replace put aside.</summary>
    Replaced,
}

/// <summary>One staging schema or replaced table, as the catalog shows it.</summary>
public sealed class StagingItem
{
    /// <summary>Staging or Replaced.</summary>
    public StagingKind Kind { get; init; }
    /// <summary>Staging: the schema's name; Replaced: the table's name.</summary>
    public string Name { get; init; } = "";
    /// <summary>The schema it is (Staging) or is in (Replaced).</summary>
    public string Schema { get; init; } = "";
    /// <summary>The live table it came from (schema.table), from its marker; null without one.</summary>
    public string? Table { get; init; }
    /// <summary>The tables in it (Staging), or the table itself (Replaced).</summary>
    public IReadOnlyList<string> Tables { get; init; } = Array.Empty<string>();
    /// <summary>The planner's row estimate (pg_class.reltuples, as of the last ANALYZE); null when never
    /// analysed.</summary>
    public long? EstimatedRows { get; init; }
    /// <summary>Bytes on disk, with indexes and TOAST.</summary>
    public long SizeBytes { get; init; }
    /// <summary>When the restore made it: its marker's time, else the stamp in its name.</summary>
    public DateTimeOffset? Created { get; init; }
    /// <summary>The backup file it was restored from (its marker); null without one.</summary>
    public string? BackupFile { get; init; }
    /// <summary>True when its marker proves Restore-CenateTable made it and it holds nothing else: Remove accepts
    /// it.</summary>
    public bool Ours { get; init; }
    /// <summary>Why it is not <see cref="Ours"/> (null when it is).</summary>
    public string? Problem { get; init; }
    /// <summary>The database it is in.</summary>
    public string Database { get; init; } = "";
    /// <summary>Its catalog id (schema or table oid), to see that Remove drops what it was shown.</summary>
    public uint Oid { get; init; }
}

/// <summary>Get-CenateRestoreStaging's filters.</summary>
public sealed class StagingQuery
{
    /// <summary>Only copies of this live table (name or schema.table).</summary>
    public string? Table { get; init; }
    /// <summary>Only this kind.</summary>
    public StagingKind? Kind { get; init; }
    /// <summary>Only those made longer ago than this.</summary>
    public TimeSpan? OlderThan { get; init; }
    /// <summary>The clock, for Age and OlderThan.</summary>
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;
}
