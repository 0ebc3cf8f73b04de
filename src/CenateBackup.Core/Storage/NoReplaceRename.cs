using System;
using System.IO;
using System.Runtime.InteropServices;

namespace CenateBackup.Core.Storage;

/// <summary>
/// Renames a file to a name that must not exist yet, atomically: never replaces a file another writer put there.
/// File.Move(overwrite: false) on Unix checks, then renames (a window in which a file of the same name is replaced).
/// Linux: renameat2(RENAME_NOREPLACE); where the file system lacks it (EINVAL), link(2) then unlink(2), which fails
/// with EEXIST just as atomically. Only on a file system with neither (no hard links: some FUSE/SMB mounts) does it
/// fall back to File.Move(overwrite: false) and its small window. Windows' MoveFileEx without REPLACE_EXISTING is
/// already no-replace.
/// </summary>
internal static class NoReplaceRename
{
    private const int AT_FDCWD = -100;
    private const uint RENAME_NOREPLACE = 1;
    private const int EPERM = 1;
    private const int EEXIST = 17;
    private const int EINVAL = 22;
    private const int ENOSYS = 38;
    private const int EOPNOTSUPP = 95;

    /// <summary>Moves <paramref name="source"/> to <paramref name="destination"/>; false (and nothing moved) when the destination exists.</summary>
    public static bool TryMove(string source, string destination)
    {
        if (OperatingSystem.IsWindows())
        {
            return MoveWithWindow(source, destination);
        }
        if (OperatingSystem.IsLinux())
        {
            int rc;
            try
            {
                rc = RenameAt2(AT_FDCWD, source, AT_FDCWD, destination, RENAME_NOREPLACE);
            }
            catch (EntryPointNotFoundException)
            {
                rc = -1;
                Marshal.SetLastPInvokeError(ENOSYS);
            }
            if (rc == 0) return true;
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EEXIST) return false;
            if (errno is not (EINVAL or ENOSYS or EOPNOTSUPP)) throw Error(errno, source, destination);
        }
        if (Link(source, destination) == 0)
        {
            // Both names point at the file now; dropping the partial name completes the move.
            if (Unlink(source) != 0)
            {
                var unlinkErrno = Marshal.GetLastPInvokeError();
                throw Error(unlinkErrno, source, destination);
            }
            return true;
        }
        var linkErrno = Marshal.GetLastPInvokeError();
        if (linkErrno == EEXIST) return false;
        if (linkErrno is EPERM or EOPNOTSUPP or ENOSYS) return MoveWithWindow(source, destination);
        throw Error(linkErrno, source, destination);
    }

    private static bool MoveWithWindow(string source, string destination)
    {
        if (File.Exists(destination) || Directory.Exists(destination)) return false;
        try
        {
            File.Move(source, destination, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(destination))
        {
            return false;
        }
    }

    private static IOException Error(int errno, string source, string destination) =>
        new($"Renaming '{source}' to '{destination}' failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);

    [DllImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    private static extern int RenameAt2(int oldDirFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, int newDirFd,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath, uint flags);

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);

    [DllImport("libc", EntryPoint = "unlink", SetLastError = true)]
    private static extern int Unlink([MarshalAs(UnmanagedType.LPUTF8Str)] string path);
}
