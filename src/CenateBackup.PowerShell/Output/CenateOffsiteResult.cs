using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>
/// What Sync-CenateOffsite did with one backup set. <see cref="Path"/> is the set's manifest at the destination, so the
/// result pipes into Test-CenateBackup and Get-CenateBackup.
/// </summary>
public sealed class CenateOffsiteResult
{
    internal CenateOffsiteResult() { }

    /// <summary>The set's manifest at the destination (empty when the copy failed).</summary>
    public string Path { get; internal set; } = "";
    /// <summary>The set's manifest at the source.</summary>
    public string SourcePath { get; internal set; } = "";
    /// <summary>The destination (directory or remote:path).</summary>
    public string Destination { get; internal set; } = "";
    /// <summary>Database.</summary>
    public string Database { get; internal set; } = "";
    /// <summary>Stamp (UTC).</summary>
    public string Stamp { get; internal set; } = "";
    /// <summary>What the set covers: Full, Tables, DataOnly, Exports or Base; Wal for the WAL archive (-WalPath).</summary>
    public string Kind { get; internal set; } = "";
    /// <summary>The time recorded in the set's manifest.</summary>
    public DateTimeOffset Time { get; internal set; }
    /// <summary>Copied, AlreadyPresent, WouldCopy (-WhatIf or declined) or Failed.</summary>
    public string Status { get; internal set; } = "";
    /// <summary>Number of files of the set.</summary>
    public int FileCount { get; internal set; }
    /// <summary>Bytes of the set.</summary>
    public long TotalSize { get; internal set; }
    /// <summary>Bytes this run moved (files already right at the destination are not copied again).</summary>
    public long BytesCopied { get; internal set; }
    /// <summary>Seconds spent on the set.</summary>
    public double Seconds { get; internal set; }
    /// <summary>How the copy was verified at the destination.</summary>
    public string? VerifiedBy { get; internal set; }
    /// <summary>Why the set was (or would be) copied, or why not.</summary>
    public string Reason { get; internal set; } = "";
    /// <summary>The error id of a failure.</summary>
    public string? ErrorId { get; internal set; }
}
