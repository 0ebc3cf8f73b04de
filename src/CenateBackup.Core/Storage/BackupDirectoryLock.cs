using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using CenateBackup.Core.Errors;

namespace CenateBackup.Core.Storage;

/// <summary>
/// The lock of a backup directory (".cenate.lock"): jobs that write sets hold it shared, so they can run side
/// by side; retention holds it exclusively, so it never touches a set that is being written. .NET maps
/// FileShare to flock(2) on Unix (shared/exclusive) and to share modes on Windows.
/// </summary>
public sealed class BackupDirectoryLock : IDisposable
{
    /// <summary>File name of the lock (never listed as an orphan, never removed).</summary>
    public const string FileName = ".cenate.lock";
    private readonly FileStream _stream;

    private BackupDirectoryLock(FileStream stream) => _stream = stream;

    /// <summary>Shared lock for a job that writes a set; waits up to <paramref name="timeout"/> for retention to finish.</summary>
    public static BackupDirectoryLock AcquireShared(string directory, TimeSpan timeout) => Acquire(directory, FileShare.ReadWrite, timeout);

    /// <summary>Exclusive lock for retention; waits up to <paramref name="timeout"/> for running jobs.</summary>
    public static BackupDirectoryLock AcquireExclusive(string directory, TimeSpan timeout) => Acquire(directory, FileShare.None, timeout);

    private static BackupDirectoryLock Acquire(string directory, FileShare share, TimeSpan timeout)
    {
        var path = Path.Combine(directory, FileName);
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = share };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new BackupDirectoryLock(new FileStream(path, options));
            }
            catch (IOException ex) when (IsContention(ex) && clock.Elapsed < timeout)
            {
                Thread.Sleep(200);
            }
            catch (IOException ex) when (IsContention(ex))
            {
                throw new CenateException(ErrorIds.BackupDirectoryBusy, CenateErrorKind.ResourceUnavailable,
                    share == FileShare.None
                        ? $"Another job is writing a backup set in '{directory}'; retention did not touch anything."
                        : $"Retention is running in '{directory}'.",
                    "Run again when the other job has finished (or raise -LockTimeout).", directory, ex);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw BackupDirectory.NotWritable(directory, ex);
            }
            catch (IOException ex)
            {
                // Not a lock held by someone else (a read-only mount, EROFS): waiting would not help.
                throw BackupDirectory.NotWritable(directory, ex);
            }
        }
    }

    /// <summary>
    /// The lock is held by another job: EWOULDBLOCK from flock(2) (.NET puts the errno in HResult), or a sharing
    /// violation on Windows. Anything else (EROFS, EIO) is not worth waiting for.
    /// </summary>
    private static bool IsContention(IOException ex) => OperatingSystem.IsWindows()
        ? (ex.HResult & 0xFFFF) is 32 or 33
        : ex.HResult is 11 or 35; // EAGAIN/EWOULDBLOCK on Linux, on macOS/BSD

    private static readonly object s_updaters = new();

    /// <summary>
    /// Runs <paramref name="update"/> (a manifest read-modify-write) exclusively among the updaters of this directory,
    /// while this lock is held: a byte-range lock (fcntl) on the lock file excludes other processes, a monitor other
    /// threads of this one (fcntl locks are per process). Waits up to <paramref name="timeout"/>.
    /// </summary>
    public T RunExclusiveUpdate<T>(Func<T> update, TimeSpan timeout)
    {
        lock (s_updaters)
        {
            var clock = Stopwatch.StartNew();
            // .NET has no byte-range locks on macOS: there only the threads of one process are kept apart.
            var ranged = !OperatingSystem.IsMacOS();
            while (ranged)
            {
                try
                {
                    if (!OperatingSystem.IsMacOS()) _stream.Lock(0, 1);
                    break;
                }
                catch (IOException ex) when (clock.Elapsed < timeout)
                {
                    _ = ex;
                    Thread.Sleep(50);
                }
                catch (IOException ex)
                {
                    throw new CenateException(ErrorIds.BackupDirectoryBusy, CenateErrorKind.ResourceUnavailable,
                        $"Another job kept a manifest of '{Path.GetDirectoryName(_stream.Name)}' locked for {timeout.TotalSeconds:0} s.",
                        "Run again when the other job has finished.", _stream.Name, ex);
                }
            }
            try
            {
                return update();
            }
            finally
            {
                if (!OperatingSystem.IsMacOS())
                {
                    try { _stream.Unlock(0, 1); } catch (IOException) { /* released with the file anyway */ }
                }
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
