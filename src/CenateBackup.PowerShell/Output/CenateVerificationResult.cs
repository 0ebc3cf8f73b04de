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
    /// <summary>Checksum or Read.</summary>
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
}
