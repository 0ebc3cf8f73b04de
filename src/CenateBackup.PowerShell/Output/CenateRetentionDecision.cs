using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>What Remove-CenateOldBackup did with one backup set, and the rule that decided it.</summary>
public sealed class CenateRetentionDecision
{
    internal CenateRetentionDecision() { }

    /// <summary>Manifest path of the set.</summary>
    public string Path { get; internal set; } = "";
    /// <summary>Database.</summary>
    public string Database { get; internal set; } = "";
    /// <summary>Stamp (UTC).</summary>
    public string Stamp { get; internal set; } = "";
    /// <summary>What the set covers: Full, Tables, DataOnly or Exports (only Full sets stand for a period or fill MinimumKeep).</summary>
    public string Kind { get; internal set; } = "";
    /// <summary>The time recorded in the manifest.</summary>
    public DateTimeOffset Time { get; internal set; }
    /// <summary>Kept, Removed, WouldRemove (-WhatIf or declined) or Failed.</summary>
    public string Action { get; internal set; } = "";
    /// <summary>The rule: NoVerifiedSet, BackupsStopped, MinimumKeep, Daily, Weekly, Monthly, Yearly, Partial, BeforeRowDrop (the last full set before an unacknowledged row drop) or Expired.</summary>
    public string Rule { get; internal set; } = "";
    /// <summary>Why, in words.</summary>
    public string Reason { get; internal set; } = "";
    /// <summary>Complete (all files present and committed).</summary>
    public bool Complete { get; internal set; }
    /// <summary>Last verification passed.</summary>
    public bool Verified { get; internal set; }
    /// <summary>Number of files of the set.</summary>
    public int FileCount { get; internal set; }
    /// <summary>Bytes of the set (files present).</summary>
    public long TotalSize { get; internal set; }
}
