using System;
using System.IO;

namespace CenateBackup.Core.Storage;

/// <summary>
/// Changes a saved manifest (a verification record) safely: under the directory's shared lock, so retention never
/// removes the set half-way through, exclusively among updaters, re-read from disk so another job's change is not
/// lost, and saved atomically (<see cref="BackupManifest.Save"/>). A set that retention removed meanwhile is not
/// brought back.
/// </summary>
public static class ManifestUpdate
{
    /// <summary>How long an update waits for retention or another updater.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Applies <paramref name="change"/> to the manifest as it is on disk now; <paramref name="change"/> returns false to
    /// leave it unchanged. Returns false when the manifest no longer exists. Throws PathNotWritable (read-only storage),
    /// DiskFull, WriteFailed, BackupDirectoryBusy or ManifestInvalid.
    /// </summary>
    public static bool Apply(string manifestPath, Func<BackupManifest, bool> change, TimeSpan? timeout = null)
    {
        var full = Path.GetFullPath(manifestPath);
        var wait = timeout ?? DefaultTimeout;
        using var directoryLock = BackupDirectoryLock.AcquireShared(Path.GetDirectoryName(full)!, wait);
        return directoryLock.RunExclusiveUpdate(() =>
        {
            if (!File.Exists(full)) return false;
            var manifest = BackupManifest.Load(full);
            if (change(manifest)) manifest.Save(full);
            return true;
        }, wait);
    }
}
