using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

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
    private readonly string _directory;

    private BackupDirectoryLock(FileStream stream, string directory)
    {
        _stream = stream;
        _directory = directory;
    }

    /// <summary>Shared lock for a job that writes a set; waits up to <paramref name="timeout"/> for retention to finish.</summary>
    public static BackupDirectoryLock AcquireShared(string directory, TimeSpan timeout) => Acquire(directory, FileShare.ReadWrite, timeout);

    /// <summary>Exclusive lock for retention; waits up to <paramref name="timeout"/> for running jobs.</summary>
    public static BackupDirectoryLock AcquireExclusive(string directory, TimeSpan timeout) => Acquire(directory, FileShare.None, timeout);

    private static BackupDirectoryLock Acquire(string directory, FileShare share, TimeSpan timeout)
    {
        var path = Path.Combine(directory, FileName);
        if (OperatingSystem.IsLinux()) return AcquireLinux(directory, path, share == FileShare.None, timeout);
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = share };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new BackupDirectoryLock(new FileStream(path, options), directory);
            }
            catch (IOException ex) when (IsContention(ex) && clock.Elapsed < timeout)
            {
                Thread.Sleep(200);
            }
            catch (IOException ex) when (IsContention(ex))
            {
                throw Busy(directory, share == FileShare.None, ex);
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
    /// Linux: open(2) with O_NOFOLLOW, so a symbolic link planted as the lock file is refused instead of followed
    /// (the module would otherwise create or open any file the link names), then flock(2) with every error checked.
    /// .NET's own FileShare locking ignores flock errors other than EWOULDBLOCK, which on a file system without
    /// working locks (NFS without lockd: ENOLCK) would let retention run beside a writer unnoticed.
    /// </summary>
    private static BackupDirectoryLock AcquireLinux(string directory, string path, bool exclusive, TimeSpan timeout)
    {
        var fd = LinuxLock.Open(path, LinuxLock.O_RDWR | LinuxLock.O_CREAT | LinuxLock.O_NOFOLLOW | LinuxLock.O_CLOEXEC | LinuxLock.O_NONBLOCK, 0x180);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == LinuxLock.ELOOP)
            {
                throw new CenateException(ErrorIds.UnsafeLockFile, CenateErrorKind.InvalidData,
                    Messages.Format("UnsafeLockFile", path),
                    Messages.Format("UnsafeLockFile.Action", path),
                    path, null);
            }
            throw BackupDirectory.NotWritable(directory, new IOException(Marshal.GetPInvokeErrorMessage(errno), errno));
        }
        var handle = new SafeFileHandle((IntPtr)fd, ownsHandle: true);
        try
        {
            if (!LinuxLock.IsRegularFile(fd, out var kind))
            {
                throw new CenateException(ErrorIds.UnsafeLockFile, CenateErrorKind.InvalidData,
                    Messages.Format("UnsafeLockFile.2", path, kind),
                    Messages.Get("UnsafeLockFile.Action.2"),
                    path, null);
            }
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var error = LinuxLock.TryFlock(fd, exclusive);
                if (error == 0) break;
                if (LinuxLock.IsContention(error))
                {
                    if (clock.Elapsed < timeout)
                    {
                        Thread.Sleep(200);
                        continue;
                    }
                    throw Busy(directory, exclusive, new IOException(Marshal.GetPInvokeErrorMessage(error), error));
                }
                throw LockUnsupported(directory, error);
            }
            var stream = new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0);
            return new BackupDirectoryLock(stream, directory);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The error for a flock(2) failure that is not another job holding the lock.</summary>
    internal static CenateException LockUnsupported(string directory, int errno) =>
        new(ErrorIds.BackupDirectoryLockFailed, CenateErrorKind.ResourceUnavailable,
            Messages.Format("BackupDirectoryLockFailed.Lock", directory, Marshal.GetPInvokeErrorMessage(errno), errno),
            Messages.Get("BackupDirectoryLockFailed.Lock.Action"),
            directory, null);

    private static CenateException Busy(string directory, bool exclusive, Exception ex) =>
        new(ErrorIds.BackupDirectoryBusy, CenateErrorKind.ResourceUnavailable,
            Messages.Format(exclusive ? "BackupDirectoryBusy.Writing" : "BackupDirectoryBusy.Retention", directory),
            Messages.Get("BackupDirectoryBusy.Lock.Action"), directory, ex);

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
                        Messages.Format("BackupDirectoryBusy", _directory, timeout.TotalSeconds),
                        Messages.Get("BackupDirectoryBusy.Action"), Path.Combine(_directory, FileName), ex);
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
