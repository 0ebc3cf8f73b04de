using System;
using System.Runtime.InteropServices;

namespace CenateBackup.Core.Storage;

/// <summary>fsync of a directory, so a rename inside it survives a crash (Linux/Unix only; a no-op elsewhere).</summary>
internal static class DirectorySync
{
    private const int O_RDONLY = 0;

    public static void Fsync(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        var fd = Open(directory, O_RDONLY);
        if (fd < 0) return;
        try { _ = FsyncNative(fd); }
        finally { _ = Close(fd); }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int FsyncNative(int fd);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}
