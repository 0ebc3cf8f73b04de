using System;
using System.IO;

namespace CenateBackup.Core.Storage;

/// <summary>A backup directory of this machine (or a mounted USB/NAS disk) as an <see cref="IBackupStore"/>.</summary>
public sealed class LocalBackupStore : IBackupStore
{
    /// <summary>The store for <paramref name="directory"/> (made a full path).</summary>
    public LocalBackupStore(string directory)
    {
        Location = Path.GetFullPath(directory);
    }

    /// <inheritdoc />
    public string Location { get; }

    /// <inheritdoc />
    public bool IsRemote => false;

    /// <inheritdoc />
    public string PathOf(string name) => Path.Combine(Location, name);

    /// <inheritdoc />
    public void RequireExists() => BackupCatalog.RequireDirectory(Location);

    /// <inheritdoc />
    public CatalogScan Scan() => BackupCatalog.Scan(Location);

    /// <inheritdoc />
    public IDisposable AcquireExclusive(TimeSpan timeout) => BackupDirectoryLock.AcquireExclusive(Location, timeout);

    /// <inheritdoc />
    public long RemoveSet(CatalogEntry entry, CatalogScan scan, Action<string>? kept) => BackupCatalog.RemoveSet(entry, scan, kept);

    /// <inheritdoc />
    public void RemoveFile(string path) => File.Delete(path);
}
