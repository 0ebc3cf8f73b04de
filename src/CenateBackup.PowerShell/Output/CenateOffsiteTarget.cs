using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>An initialised offsite directory target (a USB disk, a NAS mount) and its marker.</summary>
public sealed class CenateOffsiteTarget
{
    internal CenateOffsiteTarget() { }

    /// <summary>The target directory (Sync-CenateOffsite's -Destination).</summary>
    public string Path { get; internal set; } = "";
    /// <summary>The marker's label.</summary>
    public string Label { get; internal set; } = "";
    /// <summary>The marker's id (unique per initialised directory).</summary>
    public Guid Id { get; internal set; }
    /// <summary>When the marker was written (UTC).</summary>
    public DateTimeOffset CreatedAt { get; internal set; }
    /// <summary>Mount point of the file system that holds the target.</summary>
    public string MountPoint { get; internal set; } = "";
    /// <summary>Its file system type (ext4, vfat, nfs4…).</summary>
    public string FileSystemType { get; internal set; } = "";
    /// <summary>Bytes free at the target.</summary>
    public long FreeBytes { get; internal set; }
    /// <summary>What the admin should know (no Unix permissions on FAT/exFAT/NTFS, read-only mount).</summary>
    public string[] Warnings { get; internal set; } = Array.Empty<string>();
}
