using System;

namespace CenateBackup.Core.Alerts;

/// <summary>How one thing a run did turned out.</summary>
public enum AlertItemStatus
{
    /// <summary>It worked.</summary>
    Ok,
    /// <summary>It worked, with something the admins should read.</summary>
    Warning,
    /// <summary>It failed: the run is a failure.</summary>
    Failed,
}

/// <summary>
/// One thing a run reports (a backup set, a verification, a retention decision, an offsite copy, a restore, an error),
/// reduced to what an alert may carry: names, sizes, ages, verdicts, error ids. Never row contents.
/// </summary>
public sealed record AlertItem
{
    /// <summary>Backup, Verification, Retention, Offsite, Restore, Audit, Error or Check.</summary>
    public required string Kind { get; init; }
    /// <summary>The verdict.</summary>
    public required AlertItemStatus Status { get; init; }
    /// <summary>What it is about: "maestro_cenate 20261130_020000", a path, a table.</summary>
    public required string Subject { get; init; }
    /// <summary>What happened (one or a few lines), or why it failed.</summary>
    public string Message { get; init; } = "";
    /// <summary>Stable error id of a failure (FullyQualifiedErrorId for an ErrorRecord).</summary>
    public string? ErrorId { get; init; }
    /// <summary>What to do next, when known.</summary>
    public string? NextStep { get; init; }
    /// <summary>Database, when known.</summary>
    public string? Database { get; init; }
    /// <summary>Backup set stamp, when known.</summary>
    public string? Stamp { get; init; }
    /// <summary>Path or remote:path of the set or file, when known.</summary>
    public string? Path { get; init; }
    /// <summary>Size in bytes, when known.</summary>
    public long? Size { get; init; }
    /// <summary>Age of the backup, when known.</summary>
    public TimeSpan? Age { get; init; }
    /// <summary>When it happened (set time, verification time), when known.</summary>
    public DateTimeOffset? Time { get; init; }
    /// <summary>True when this item proves a good backup (complete set verified, or a passed verification).</summary>
    public bool IsGoodBackup { get; init; }
}
