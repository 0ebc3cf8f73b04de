using System;
using System.Collections.Generic;
using System.IO;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Storage;

/// <summary>
/// Writes one backup set, from the reserved stamp to the complete manifest. <see cref="Begin"/> prepares the directory
/// (0700), takes its shared lock (retention never sees the set half-written), clears stale partials of the database
/// and reserves a stamp with the incomplete manifest. <see cref="CreateFile"/> opens each file of the set;
/// <see cref="Complete"/> saves the manifest as complete. Disposed without completing (an error, Ctrl+C, SIGTERM, a
/// full disk at the manifest), it removes every file of the set it renamed into place and the reserved manifest: a
/// failed run leaves nothing that looks like a backup. Every name was created by this run with no-replace, so nothing
/// of another run is touched.
/// </summary>
public sealed class BackupSetWriter : IDisposable
{
    /// <summary>How long a writer waits for retention to release the directory.</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(5);

    private readonly BackupDirectoryLock _lock;
    private readonly List<AtomicBackupFile> _files = new();
    private bool _completed;
    private bool _disposed;

    private BackupSetWriter(string directory, BackupDirectoryLock directoryLock, BackupManifest manifest,
        string manifestPath)
    {
        Directory = directory;
        _lock = directoryLock;
        Manifest = manifest;
        ManifestPath = manifestPath;
    }

    /// <summary>The backup directory (full path).</summary>
    public string Directory { get; }
    /// <summary>
    /// The set's manifest; fill it in before <see cref="Complete"/> (its files through
    /// <see cref="Add(ManifestFile)"/>).
    /// </summary>
    public BackupManifest Manifest { get; }
    /// <summary>Where the manifest is saved.</summary>
    public string ManifestPath { get; }
    /// <summary>The set's stamp (yyyyMMdd_HHmmss, UTC).</summary>
    public string Stamp => Manifest.Stamp;

    /// <summary>
    /// Starts a set of <paramref name="manifest"/>'s database in <paramref name="directory"/>: takes the next free
    /// stamp from <see cref="BackupManifest.StartedAt"/> on, writes it into the manifest and saves it incomplete.
    /// </summary>
    public static BackupSetWriter Begin(string directory, BackupManifest manifest, IOperationReporter reporter)
    {
        var full = BackupDirectory.Prepare(directory);
        // Shared with other writers, exclusive against retention: Remove-CenateOldBackup never sees a set half-written.
        var directoryLock = BackupDirectoryLock.AcquireShared(full, LockTimeout);
        try
        {
            ClearStalePartials(full, manifest.Database, reporter);
            var (stamp, manifestPath) = ReserveStamp(full, manifest.Database, manifest.StartedAt);
            manifest.Stamp = stamp;
            var writer = new BackupSetWriter(full, directoryLock, manifest, manifestPath);
            try
            {
                // The incomplete manifest holds the stamp; it is removed again if the run fails.
                manifest.Save(manifestPath);
            }
            catch
            {
                writer.Dispose();
                throw;
            }
            return writer;
        }
        catch
        {
            directoryLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a file of the set (<see cref="AtomicBackupFile"/>: a partial name of its own until it is committed). Once
    /// committed, it is removed again unless the set completes. Safe to call from concurrent writers of one set.
    /// </summary>
    public AtomicBackupFile CreateFile(string name, Action<long>? onProgress = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var file = new AtomicBackupFile(Path.Combine(Directory, name), onProgress);
        lock (_files) _files.Add(file);
        return file;
    }

    /// <summary>Records files of the set in the manifest, in the order given (thread-safe).</summary>
    public void Add(IEnumerable<ManifestFile> entries)
    {
        lock (_files) Manifest.Files.AddRange(entries);
    }

    /// <summary>Records one file of the set in the manifest (thread-safe).</summary>
    public void Add(ManifestFile entry) => Add(new[] { entry });

    /// <summary>Marks the set complete and saves the manifest; if the save fails, disposing removes the set.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Manifest.Complete = true;
        Manifest.CompletedAt = DateTimeOffset.UtcNow;
        Manifest.Save(ManifestPath);
        _completed = true;
    }

    /// <summary>Releases the directory lock; without <see cref="Complete"/>, first removes the set.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (!_completed) Abandon();
        }
        finally
        {
            _lock.Dispose();
        }
    }

    /// <summary>
    /// A failed run leaves nothing: the files it already renamed into place (a full disk at the manifest would
    /// otherwise leave a complete dump that no manifest lists) and its reserved manifest.
    /// </summary>
    private void Abandon()
    {
        lock (_files)
        {
            // Only committed files: a file whose commit found the name taken belongs to the run that took it.
            foreach (var f in _files) if (f.IsCommitted) TryDelete(f.FinalPath);
        }
        TryDelete(ManifestPath);
    }

    /// <summary>
    /// A new, incomplete manifest (no secrets: role name and where, never a password); the stamp comes with
    /// <see cref="Begin"/>.
    /// </summary>
    public static BackupManifest NewManifest(DatabaseTarget target, string toolVersion, DateTimeOffset started,
        string? snapshotId, string serverVersion, int serverVersionNum, string pgDumpVersion) => new()
    {
        Tool = toolVersion,
        Database = target.Database,
        StartedAt = started,
        Complete = false,
        SnapshotId = snapshotId,
        Source = new ManifestSource
        {
            Mode = target.Mode.ToString(),
            Container = target.Container,
            Host = target.Mode == ConnectionMode.Host ? target.Host : null,
            Port = target.Port,
            User = target.User,
            ServerVersion = serverVersion,
            ServerVersionNum = serverVersionNum,
            PgDumpVersion = pgDumpVersion,
        },
    };

    /// <summary>
    /// Removes partial files that killed runs of this database left (older than a run could take), with a warning.
    /// </summary>
    private static void ClearStalePartials(string directory, string database, IOperationReporter reporter)
    {
        foreach (var path in BackupCatalog.RemoveStalePartials(directory, database, DateTimeOffset.UtcNow))
        {
            reporter.Warning(Messages.Format("Warning.BackupSetWriter", path, database,
                BackupCatalog.AbandonedAge.TotalHours));
        }
    }

    private static (string Stamp, string ManifestPath) ReserveStamp(string directory, string database,
        DateTimeOffset time)
    {
        // Two runs in the same second would share a stamp; take the next free second instead.
        for (var i = 0; i < 120; i++)
        {
            var stamp = BackupNaming.Stamp(time.AddSeconds(i));
            var path = Path.Combine(directory, BackupNaming.ManifestFile(database, stamp));
            if (File.Exists(path + ".partial")) continue;
            try
            {
                // Created exclusively: of two runs in the same second only one gets this stamp (the manifest
                // replaces it).
                var options = new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None,
                };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }
                using (new FileStream(path, options)) { }
                return (stamp, path);
            }
            catch (IOException) when (File.Exists(path))
            {
                // taken by another run
            }
        }
        throw new CenateException(ErrorIds.BackupSetExists, CenateErrorKind.InvalidOperation,
            Messages.Format("BackupSetExists.3", database, directory), Messages.Get("BackupSetExists.Action.3"), directory);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
