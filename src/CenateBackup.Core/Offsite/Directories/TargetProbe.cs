using System;
using System.IO;
using CenateBackup.Core.Errors;

namespace CenateBackup.Core.Offsite.Directories;

/// <summary>What the file system said about a directory target (gathered on the probe thread; judged
/// afterwards).</summary>
internal sealed record TargetProbe(string RealPath, string ExistingPart, bool Exists, bool IsFile, MountEntry Mount,
    bool OnRootFileSystem, string? RequiredMountPoint, long FreeBytes, OffsiteMarker? Marker,
    CenateException? MarkerError)
{
    /// <summary>Every call that may hang on a dead mount: realpath, mountinfo, statvfs, reading the marker.</summary>
    public static TargetProbe Run(string full, DirectoryTargetRequirements requirements)
    {
        requirements.BeforeProbe?.Invoke(full);
        var (real, existing) = ResolvedPath.Resolve(full);
        var exists = Directory.Exists(full);
        var isFile = !exists && File.Exists(full);
        var (mount, onRoot) = FindMount(existing);
        string? required = null;
        if (requirements.RequireMountPoint is { } requireMountPoint)
        {
            var requiredFull = Path.GetFullPath(requireMountPoint);
            if (Directory.Exists(requiredFull)) required = ResolvedPath.Resolve(requiredFull).Path;
        }
        var free = new DriveInfo(existing).AvailableFreeSpace;
        OffsiteMarker? marker = null;
        CenateException? markerError = null;
        if (exists)
        {
            try { marker = OffsiteMarker.TryLoad(real); }
            catch (CenateException ex) { markerError = ex; }
        }
        return new TargetProbe(real, existing, exists, isFile, mount, onRoot, required, free, marker, markerError);
    }

    private static (MountEntry Mount, bool OnRoot) FindMount(string existing)
    {
        if (OperatingSystem.IsLinux())
        {
            var mounts = MountTable.Parse(File.ReadAllText(MountTable.MountInfoPath));
            var mount = MountTable.Find(mounts, existing)
                ?? throw new IOException($"No mount in {MountTable.MountInfoPath} holds '{existing}'.");
            return (mount, MountTable.IsRootFileSystem(mounts, mount));
        }
        // Elsewhere the drive stands for the mount; the system drive (or "/") is the root file system.
        var drive = new DriveInfo(existing);
        var system = Path.GetPathRoot(Environment.SystemDirectory) is { Length: > 0 } root ? root : "/";
        var entry = new MountEntry(drive.RootDirectory.FullName, "/", drive.Name, drive.DriveFormat, drive.Name, false);
        return (entry, string.Equals(entry.MountPoint, system, StringComparison.OrdinalIgnoreCase));
    }
}
