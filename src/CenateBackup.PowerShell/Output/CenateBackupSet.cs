using System;
using System.Collections.Generic;

namespace CenateBackup.PowerShell.Output;

/// <summary>
/// A backup set: the files of one run plus its manifest. <see cref="Path"/> is the manifest, so the object
/// pipes into Test-CenateBackup and friends by property name.
/// </summary>
public sealed class CenateBackupSet
{
    internal CenateBackupSet() { }

    /// <summary>Full path of the set's manifest.</summary>
    public string Path { get; internal set; } = "";
    /// <summary>Directory holding the set.</summary>
    public string Directory { get; internal set; } = "";
    /// <summary>Database.</summary>
    public string Database { get; internal set; } = "";
    /// <summary>UTC stamp yyyyMMdd_HHmmss.</summary>
    public string Stamp { get; internal set; } = "";
    /// <summary>
    /// What the set covers: Full (the whole database with schema, with or without table exports), Tables (chosen
    /// tables with schema), DataOnly (data without schema) or Exports (table CSV/SQL exports only).
    /// </summary>
    public string Kind { get; internal set; } = "";
    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; internal set; }
    /// <summary>When the set was completed (null: incomplete).</summary>
    public DateTimeOffset? CompletedAt { get; internal set; }
    /// <summary>True when every file was committed.</summary>
    public bool Complete { get; internal set; }
    /// <summary>Container the data came from (container mode).</summary>
    public string? Container { get; internal set; }
    /// <summary>Host the data came from (host mode).</summary>
    public string? Host { get; internal set; }
    /// <summary>Server port.</summary>
    public int Port { get; internal set; }
    /// <summary>Server version.</summary>
    public string ServerVersion { get; internal set; } = "";
    /// <summary>pg_dump version.</summary>
    public string PgDumpVersion { get; internal set; } = "";
    /// <summary>Snapshot the set was read at.</summary>
    public string? SnapshotId { get; internal set; }
    /// <summary>The files.</summary>
    public CenateBackupFile[] Files { get; internal set; } = Array.Empty<CenateBackupFile>();
    /// <summary>Sum of file sizes in bytes.</summary>
    public long TotalSize { get; internal set; }
    /// <summary>Exact row counts at the snapshot (schema.table → rows).</summary>
    public IReadOnlyDictionary<string, long> RowCounts { get; internal set; } = new Dictionary<string, long>();
    /// <summary>Rows of the critical table asegurados (any schema), if counted.</summary>
    public long? AseguradosRows { get; internal set; }
    /// <summary>SHA-256 of the main file (the dump).</summary>
    public string? Sha256 { get; internal set; }
    /// <summary>Wall time of the run that made the set (null when listed from disk).</summary>
    public TimeSpan? Duration { get; internal set; }
    /// <summary>Files the manifest lists that are missing on disk (an interrupted removal or a damaged copy).</summary>
    public string[] MissingFiles { get; internal set; } = Array.Empty<string>();
    /// <summary>Level of the last verification (null: never verified).</summary>
    public string? VerifiedLevel { get; internal set; }
    /// <summary>When it was last verified.</summary>
    public DateTimeOffset? VerifiedAt { get; internal set; }
    /// <summary>Whether the last verification passed.</summary>
    public bool? VerificationPassed { get; internal set; }

    /// <inheritdoc />
    public override string ToString() => Path;
}
