using System.Collections.Generic;

namespace CenateBackup.Core.Offsite.Directories;

/// <summary>A directory target as checked just now.</summary>
/// <param name="Directory">The directory as given (full path).</param>
/// <param name="MountPoint">Mount point of the file system that holds it (symlinks resolved).</param>
/// <param name="FileSystemType">ext4, vfat, exfat, nfs4, cifs, tmpfs…</param>
/// <param name="FreeBytes">Bytes this account may still write there.</param>
/// <param name="Marker">Its offsite marker; null when it has none (or the directory does not exist yet).</param>
/// <param name="Warnings">What the admin should know (a file system without permissions, a read-only mount).</param>
public sealed record DirectoryTargetState(string Directory, string MountPoint, string FileSystemType, long FreeBytes,
    OffsiteMarker? Marker, IReadOnlyList<string> Warnings)
{
    /// <summary>The directory exists (it is created by Initialize-CenateOffsiteTarget).</summary>
    public bool Exists { get; init; } = true;

    /// <summary>The directory with symlinks resolved (the path actually written to).</summary>
    public string RealPath { get; init; } = Directory;
}
