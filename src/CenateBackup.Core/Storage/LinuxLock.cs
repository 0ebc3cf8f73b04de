using System;
using System.Runtime.InteropServices;

namespace CenateBackup.Core.Storage;

/// <summary>The few Linux calls the backup directory lock needs: open(2) with O_NOFOLLOW, statx(2) for the file type, flock(2).</summary>
internal static class LinuxLock
{
    internal const int O_RDWR = 0x2;
    internal const int O_CREAT = 0x40;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_CLOEXEC = 0x80000;
    // O_NOFOLLOW is one of the few flags whose value differs between the Linux architectures .NET runs on.
    internal static readonly int O_NOFOLLOW = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;
    internal const int ELOOP = 40;
    private const int EINTR = 4;
    private const int EWOULDBLOCK = 11;
    private const int LOCK_SH = 1;
    private const int LOCK_EX = 2;
    private const int LOCK_NB = 4;
    private const int AT_EMPTY_PATH = 0x1000;
    private const uint STATX_TYPE = 0x1;
    private const int S_IFMT = 0xF000;
    private const int S_IFREG = 0x8000;

    /// <summary>open(2); -1 with the errno in Marshal.GetLastPInvokeError on failure.</summary>
    internal static int Open(string path, int flags, int mode) => OpenNative(path, flags, mode);

    /// <summary>flock(2) without waiting; 0, or the errno (EINTR is retried).</summary>
    internal static int TryFlock(int fd, bool exclusive)
    {
        while (true)
        {
            if (Flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0) return 0;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR) return errno;
        }
    }

    /// <summary>True when flock failed because another holder has the lock (the only error worth waiting on).</summary>
    internal static bool IsContention(int errno) => errno == EWOULDBLOCK;

    /// <summary>Whether the open file is a regular file; true when the kernel or libc cannot tell (no statx).</summary>
    internal static bool IsRegularFile(int fd, out string kind)
    {
        kind = "regular file";
        // struct statx is the same on every architecture (256 bytes): stx_mode is the u16 at offset 28.
        var buffer = new byte[256];
        int rc;
        try
        {
            rc = Statx(fd, "", AT_EMPTY_PATH, STATX_TYPE, buffer);
        }
        catch (EntryPointNotFoundException)
        {
            return true;
        }
        if (rc != 0) return true; // ENOSYS on old kernels: the O_NOFOLLOW open already refused links
        var mode = BitConverter.ToUInt16(buffer, 28) & S_IFMT;
        kind = mode switch
        {
            S_IFREG => "regular file",
            0x4000 => "directory",
            0x1000 => "named pipe",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            0xA000 => "symbolic link",
            _ => "unknown type",
        };
        return mode == S_IFREG;
    }

    /// <summary>The inode of a file (statx without following a link); null when it is missing or statx is not
    /// there.</summary>
    internal static ulong? Inode(string path)
    {
        // struct statx: stx_ino is the u64 at offset 32. AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, STATX_INO.
        var buffer = new byte[256];
        try
        {
            return Statx(-100, path, 0x100, 0x100, buffer) == 0 ? BitConverter.ToUInt64(buffer, 32) : null;
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int Flock(int fd, int operation);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask,
        [In, Out] byte[] buffer);
}
