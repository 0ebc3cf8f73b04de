using System;
using System.Collections.Generic;
using System.Linq;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using Microsoft.Win32.SafeHandles;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Jobs;

/// <summary>
/// The per-job lock, &lt;StatePath&gt;/locks/&lt;job&gt;.lock: an exclusive flock(2) taken without waiting, so a second
/// run of the same job sees it at once and exits 75 touching nothing. The kernel releases it when the holder's process
/// ends, even by kill -9: there is no stale lock to clean up. The holder writes its pid and start time into the file
/// so the second run can say who holds it. Separate from the backup directory's lock, on local disk.
/// </summary>
public sealed class JobLock : IDisposable
{
    private readonly FileStream _stream;

    private JobLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>The lock file of <paramref name="job"/> in <paramref name="lockDirectory"/>.</summary>
    public static string PathOf(string lockDirectory, string job) =>
        System.IO.Path.Combine(lockDirectory, job + ".lock");

    /// <summary>
    /// Takes the lock, or returns null with <paramref name="holder"/> = what the holder wrote ("pid 1234, started
    /// 02:00:01") when another process holds it. A link or a non-regular file in its place is UnsafeLockFile.
    /// </summary>
    public static JobLock? TryAcquire(string lockDirectory, string job, DateTimeOffset startedAt, out string? holder)
    {
        holder = null;
        var path = PathOf(lockDirectory, job);
        var stream = OperatingSystem.IsLinux() ? OpenLinux(path, out holder) : OpenOther(path, out holder);
        if (stream is null) return null;
        var text = $"pid {Environment.ProcessId}, started "
            + startedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) + "\n";
        stream.SetLength(0);
        stream.Write(Encoding.UTF8.GetBytes(text));
        stream.Flush();
        return new JobLock(stream, path);
    }

    /// <summary>
    /// Whether a process holds the lock of <paramref name="job"/> now: true or false on Linux (a flock lock on the lock
    /// file's inode in /proc/locks; no lock file, no holder), null where that cannot be told. Only looks: taking the
    /// lock even for a moment could make a run that starts at that moment exit 75.
    /// </summary>
    public static bool? IsHeld(string lockDirectory, string job)
    {
        var path = PathOf(lockDirectory, job);
        if (!OperatingSystem.IsLinux()) return null;
        if (!File.Exists(path)) return false;
        if (LinuxLock.Inode(path) is not { } inode) return null;
        string[] lines;
        try
        {
            lines = File.ReadAllLines("/proc/locks");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return HoldsInode(lines, inode);
    }

    /// <summary>True when a FLOCK line of /proc/locks ("1: FLOCK  ADVISORY  WRITE 1234 00:2f:5678 0 EOF") is on
    /// <paramref name="inode"/>. The device is not compared: an overlay file system shows another one there, and a
    /// lock on the same inode number elsewhere only makes the run look still running (the safe side).</summary>
    public static bool HoldsInode(IEnumerable<string> procLocks, ulong inode)
    {
        foreach (var line in procLocks)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (!parts.Contains("FLOCK")) continue;
            foreach (var part in parts)
            {
                var fields = part.Split(':');
                if (fields.Length == 3 && ulong.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture,
                        out var found) && found == inode) return true;
            }
        }
        return false;
    }

    private static FileStream? OpenLinux(string path, out string? holder)
    {
        holder = null;
        var fd = LinuxLock.Open(path, LinuxLock.O_RDWR | LinuxLock.O_CREAT | LinuxLock.O_NOFOLLOW | LinuxLock.O_CLOEXEC
            | LinuxLock.O_NONBLOCK, 0x180);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == LinuxLock.ELOOP) throw Unsafe(path, "a symbolic link");
            throw new CenateException(ErrorIds.LogDirectoryNotWritable, CenateErrorKind.PermissionDenied,
                Messages.Format("LogDirectoryNotWritable", path, Marshal.GetPInvokeErrorMessage(errno)),
                Messages.Get("LogDirectoryNotWritable.Action"), path);
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (!LinuxLock.IsRegularFile(fd, out var kind)) throw Unsafe(path, kind);
            var error = LinuxLock.TryFlock(fd, exclusive: true);
            if (LinuxLock.IsContention(error))
            {
                holder = ReadHolder(handle);
                handle.Dispose();
                return null;
            }
            if (error != 0) throw BackupDirectoryLock.LockUnsupported(System.IO.Path.GetDirectoryName(path)!, error);
            return new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static FileStream? OpenOther(string path, out string? holder)
    {
        holder = null;
        var options = new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            return new FileStream(path, options);
        }
        catch (IOException ex) when ((ex.HResult & 0xFFFF) is 32 or 33 || ex.HResult is 11 or 35)
        {
            return null;
        }
    }

    private static string? ReadHolder(SafeFileHandle handle)
    {
        try
        {
            var buffer = new byte[200];
            var n = RandomAccess.Read(handle, buffer, 0);
            var text = Encoding.UTF8.GetString(buffer, 0, n).Trim();
            // Only what a holder writes: "pid N, started yyyy-MM-dd HH:mm:ssZ" (the file could hold anything).
            return System.Text.RegularExpressions.Regex.IsMatch(text, @"^pid \d+, started [0-9: TZ-]+$") ? text : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static CenateException Unsafe(string path, string kind) =>
        new(ErrorIds.UnsafeLockFile, CenateErrorKind.InvalidData,
            Messages.Format("UnsafeLockFile.JobLock", path, kind), Messages.Get("UnsafeLockFile.JobLock.Action"), path);

    /// <summary>Releases the lock (the file stays: removing it would race with a run that just opened it).</summary>
    public void Dispose() => _stream.Dispose();
}
