using System;
using System.Collections.Generic;

namespace CenateBackup.Core.Verification;

/// <summary>The outcome of verifying one backup set or file.</summary>
public sealed class VerificationReport
{
    /// <summary>Manifest path, or null when a lone file was checked.</summary>
    public string? ManifestPath { get; init; }
    /// <summary>Directory of the set.</summary>
    public string Directory { get; init; } = "";
    /// <summary>Database.</summary>
    public string? Database { get; init; }
    /// <summary>Set stamp.</summary>
    public string? Stamp { get; init; }
    /// <summary>Level run.</summary>
    public VerificationLevel Level { get; init; }
    /// <summary>True when no problem (other than informational ones) was found.</summary>
    public bool Passed { get; set; }
    /// <summary>Checks that ran, in order, described for humans.</summary>
    public List<string> Checks { get; } = new();
    /// <summary>Problems found.</summary>
    public List<VerificationProblem> Problems { get; } = new();
    /// <summary>Files checked (names).</summary>
    public List<string> Files { get; } = new();
    /// <summary>When it ran.</summary>
    public DateTimeOffset At { get; init; }
    /// <summary>Wall time.</summary>
    public TimeSpan Duration { get; set; }
}
