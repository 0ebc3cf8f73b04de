using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>The result of Test-CenateBackup for one set or file; self-describing, so it can become an alert as is.</summary>
public sealed class CenateVerificationResult
{
    internal CenateVerificationResult() { }

    /// <summary>What was verified (manifest or file path).</summary>
    public string Path { get; internal set; } = "";
    /// <summary>Database of the set (null: unknown, no manifest).</summary>
    public string? Database { get; internal set; }
    /// <summary>Stamp of the set.</summary>
    public string? Stamp { get; internal set; }
    /// <summary>Checksum, Read or Restore.</summary>
    public string Level { get; internal set; } = "";
    /// <summary>True when every check passed.</summary>
    public bool Passed { get; internal set; }
    /// <summary>Checks that ran.</summary>
    public string[] Checks { get; internal set; } = Array.Empty<string>();
    /// <summary>Problems found.</summary>
    public CenateBackupProblem[] Problems { get; internal set; } = Array.Empty<CenateBackupProblem>();
    /// <summary>Files checked.</summary>
    public string[] Files { get; internal set; } = Array.Empty<string>();
    /// <summary>When it ran.</summary>
    public DateTimeOffset VerifiedAt { get; internal set; }
    /// <summary>Wall time.</summary>
    public TimeSpan Duration { get; internal set; }
    /// <summary>Where the set's data came from (container or host:port), for alerts.</summary>
    public string? Source { get; internal set; }
    /// <summary>Directory of the set (or the monitored directory).</summary>
    public string? Directory { get; internal set; }
    /// <summary>Age of the set (now minus its stamp).</summary>
    public TimeSpan? Age { get; internal set; }
    /// <summary>Size in bytes of the set's dump (or of all its files when it has no dump).</summary>
    public long? Size { get; internal set; }
    /// <summary>Restore level: the scratch database of the drill.</summary>
    public string? DrillDatabase { get; internal set; }
    /// <summary>Restore level: the server the drill ran on.</summary>
    public string? DrillServer { get; internal set; }
    /// <summary>Restore level: true when the scratch database was kept (-KeepDatabase).</summary>
    public bool DrillDatabaseKept { get; internal set; }
    /// <summary>Restore level: seconds pg_restore took.</summary>
    public TimeSpan? RestoreDuration { get; internal set; }
    /// <summary>Restore level: rows expected and restored per table.</summary>
    public CenateDrillTable[] Tables { get; internal set; } = Array.Empty<CenateDrillTable>();
    /// <summary>Restore level: keys, indexes, constraints and triggers checked after the restore.</summary>
    public int ObjectsChecked { get; internal set; }
    /// <summary>Drift check (-MaxRowDrop, -MaxRowDropCount, -Table, -Settings): every critical table compared.</summary>
    public CenateRowDrift[] RowDrift { get; internal set; } = Array.Empty<CenateRowDrift>();

    /// <summary>One line for an alert's subject or a log: verdict, set, level and the first problems.</summary>
    public string Summary
    {
        get
        {
            var what = Stamp is null ? Path : $"{Database} {Stamp}";
            if (Passed) return $"OK: {what} passed {Level}";
            var first = string.Join("; ", Array.ConvertAll(Problems.Length > 3 ? Problems[..3] : Problems, p => p.ToString()));
            return $"FAILED: {what} ({Level}): {first}{(Problems.Length > 3 ? $" (+{Problems.Length - 3} more)" : "")}";
        }
    }

    /// <inheritdoc />
    public override string ToString() => Summary;
}

/// <summary>One table of a restore drill.</summary>
public sealed class CenateDrillTable
{
    internal CenateDrillTable(string table, long? expected, string expectedFrom, long? restored)
    {
        Table = table; Expected = expected; ExpectedFrom = expectedFrom; Restored = restored;
    }

    /// <summary>schema.table.</summary>
    public string Table { get; }
    /// <summary>Rows expected (null: not known).</summary>
    public long? Expected { get; }
    /// <summary>Where the expectation comes from: manifest (counted in the snapshot), dump (rows in the archive) or unknown.</summary>
    public string ExpectedFrom { get; }
    /// <summary>Rows in the scratch database after the restore (null: the table is missing).</summary>
    public long? Restored { get; }
    /// <summary>True when the counts agree.</summary>
    public bool Matches => Expected == Restored;

    /// <inheritdoc />
    public override string ToString() => $"{Table}: {Restored?.ToString() ?? "missing"} / {Expected?.ToString() ?? "?"} ({ExpectedFrom})";
}
