using System;

namespace CenateBackup.Core.Storage;

/// <summary>
/// A place that keeps backup sets: a directory on this machine (<see cref="LocalBackupStore"/>) or an offsite remote.
/// Listing, retention and verification read a store only through its manifests, so they work the same on every kind.
/// </summary>
public interface IBackupStore
{
    /// <summary>Where the store is: a full directory path, or "remote:path".</summary>
    string Location { get; }

    /// <summary>True for a remote reached through a tool (rclone), false for a directory of this machine.</summary>
    bool IsRemote { get; }

    /// <summary>The location of a file of the store, by name.</summary>
    string PathOf(string name);

    /// <summary>Throws PathNotFound when the store's directory is not there.</summary>
    void RequireExists();

    /// <summary>
    /// The sets (from their manifests), the files no manifest lists and the damaged manifests. Paths in the result are
    /// <see cref="PathOf"/> of the names.
    /// </summary>
    CatalogScan Scan();

    /// <summary>Excludes backup jobs and other retention runs while held (a directory's lock; nothing for a remote).</summary>
    IDisposable AcquireExclusive(TimeSpan timeout);

    /// <summary>Removes a whole set: its files first, the manifest last. Returns the bytes freed.</summary>
    long RemoveSet(CatalogEntry entry, CatalogScan scan, Action<string>? kept);

    /// <summary>Removes one file the scan listed as an orphan.</summary>
    void RemoveFile(string path);
}
