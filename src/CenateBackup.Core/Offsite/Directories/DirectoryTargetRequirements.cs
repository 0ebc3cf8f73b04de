using System;
using System.Collections.Generic;

namespace CenateBackup.Core.Offsite.Directories;

/// <summary>What a directory target must be before anything is written to it (see <see
/// cref="DirectoryTarget"/>).</summary>
public sealed record DirectoryTargetRequirements
{
    /// <summary>The target's file system must be mounted exactly here (e.g. /mnt/backup-externo); null: any mount but
    /// "/".</summary>
    public string? RequireMountPoint { get; init; }

    /// <summary>The marker's label must be one of these (rotating disks "usb-a", "usb-b"); null: any label.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>How long the mount may take to answer (a hung NFS/SMB mount never does).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The directory must hold an offsite marker (false only while initialising it).</summary>
    public bool RequireMarker { get; init; } = true;

    /// <summary>Test hook: runs on the probe thread before it touches the file system (to simulate a hung
    /// mount).</summary>
    internal Action<string>? BeforeProbe { get; init; }
}
