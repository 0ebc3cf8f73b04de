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
            catch (IOException) when (clock.Elapsed < timeout)
            {
                Thread.Sleep(200);
            }
            catch (IOException ex)
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
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
