using System;
using System.Collections.Generic;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite.Directories;
using CenateBackup.Core.Offsite.Rclone;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Offsite;

/// <summary>What Sync-CenateOffsite is asked to copy, from where to where.</summary>
public sealed class OffsiteSyncRequest
{
    /// <summary>Where the sets are (the backup directory, a USB/NAS target, a remote).</summary>
    public required OffsiteLocation Source { get; init; }

    /// <summary>Where they go.</summary>
    public required OffsiteLocation Destination { get; init; }

    /// <summary>How rclone is run (executable, config file).</summary>
    public RcloneOptions Rclone { get; init; } = new();

    /// <summary>Only the newest N eligible sets (0: all).</summary>
    public int Newest { get; init; }

    /// <summary>Only sets recorded at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Only these stamps (yyyyMMdd_HHmmss); each must name an eligible set.</summary>
    public IReadOnlyList<string>? Stamps { get; init; }

    /// <summary>Only these manifests (file names, from the pipeline); each must name an eligible set.</summary>
    public IReadOnlyList<string>? Manifests { get; init; }

    /// <summary>Only sets of this database.</summary>
    public string? Database { get; init; }

    /// <summary>Also tables, data-only and export sets (default: full database sets only).</summary>
    public bool IncludePartial { get; init; }

    /// <summary>What a USB/NAS destination must be (mount point, marker labels, how long a probe may take).</summary>
    public DirectoryTargetRequirements Target { get; init; } = new();

    /// <summary>How long to wait for the directories' locks.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>What became of one set.</summary>
public enum OffsiteStatus
{
    /// <summary>Copied and verified at the destination; its manifest was written there last.</summary>
    Copied,
    /// <summary>Already complete at the destination (its manifest there, the same files).</summary>
    AlreadyPresent,
    /// <summary>Would be copied (-WhatIf, or the confirmation was declined).</summary>
    WouldCopy,
    /// <summary>Not copied; see the error. No manifest was written at the destination.</summary>
    Failed,
}

/// <summary>One set's outcome.</summary>
/// <param name="Set">The set at the source.</param>
/// <param name="Status">What happened.</param>
/// <param name="Destination">The set's manifest at the destination (written only when Copied or AlreadyPresent).</param>
/// <param name="Bytes">Bytes copied (0 when nothing moved).</param>
/// <param name="Elapsed">Time spent on the set.</param>
/// <param name="Verification">How the copy was verified at the destination.</param>
/// <param name="Reason">Why it was (or would be) copied, or why not.</param>
/// <param name="Error">The failure, for Failed.</param>
public sealed record OffsiteSetOutcome(CatalogEntry Set, OffsiteStatus Status, string Destination, long Bytes,
    TimeSpan Elapsed, string? Verification, string Reason, CenateException? Error);

/// <summary>A set the plan would copy, and why.</summary>
/// <param name="Set">The set at the source.</param>
/// <param name="Reason">Why: not at the destination, or which files are missing there.</param>
/// <param name="Bytes">Bytes of the set.</param>
/// <param name="Repair">
/// The destination already has this very set's manifest (same files and checksums): a file of the set there that is
/// wrong is this set's own damaged copy, and is replaced; without it, a wrong file there is never touched.
/// </param>
public sealed record OffsiteCopyItem(CatalogEntry Set, string Reason, long Bytes, bool Repair = false);
