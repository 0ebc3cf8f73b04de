using System;
using System.Runtime.InteropServices;

namespace CenateBackup.Core.Storage;

/// <summary>fsync of a directory, so a rename inside it survives a crash (Linux/Unix only; a no-op elsewhere).</summary>
internal static partial class DirectorySync
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

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncNative(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
