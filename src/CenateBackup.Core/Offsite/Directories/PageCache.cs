using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CenateBackup.Core.Offsite.Directories;

/// <summary>
/// Makes the next read of a file come from its disk: fsync (only clean pages can be dropped), then
/// posix_fadvise(POSIX_FADV_DONTNEED) over the whole file. Measured: a read-back right after a write otherwise reads
/// the page cache and proves nothing about a USB disk. Linux only; elsewhere <see cref="Drop"/> says it could not.
/// </summary>
internal static class PageCache
{
    private const int POSIX_FADV_DONTNEED = 4;

    /// <summary>fsync, then drop the file's pages. False where the OS has no way to (the read may come from
    /// memory).</summary>
    public static bool Drop(SafeFileHandle handle, string path)
    {
        if (!OperatingSystem.IsLinux()) return false;
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var fd = handle.DangerousGetHandle().ToInt32();
            if (Fsync(fd) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"fsync of '{path}' failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }
            // posix_fadvise returns the error number itself (it does not set errno).
            var rc = Fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
            if (rc != 0)
            {
                throw new IOException($"posix_fadvise of '{path}' failed: {Marshal.GetPInvokeErrorMessage(rc)}", rc);
            }
            return true;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "posix_fadvise")]
    private static extern int Fadvise(int fd, long offset, long length, int advice);
}
