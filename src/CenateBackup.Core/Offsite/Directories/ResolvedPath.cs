using System;
using System.IO;
using System.Runtime.InteropServices;

namespace CenateBackup.Core.Offsite.Directories;

/// <summary>
/// A path with every symlink resolved (realpath(3)), also for a directory that does not exist yet: the nearest
/// existing parent is resolved and the missing part appended. A symlinked target that points at the system disk is
/// judged by where it really writes.
/// </summary>
internal static class ResolvedPath
{
    /// <summary>The resolved path and the deepest part of it that exists.</summary>
    public static (string Path, string ExistingPart) Resolve(string fullPath)
    {
        var existing = fullPath;
        var missing = "";
        while (!Directory.Exists(existing))
        {
            var parent = Path.GetDirectoryName(existing);
            if (parent is null) break;
            var name = Path.GetFileName(existing);
            missing = missing.Length == 0 ? name : Path.Combine(name, missing);
            existing = parent;
        }
        var real = Of(existing);
        return (missing.Length == 0 ? real : Path.Combine(real, missing), real);
    }

    private static string Of(string path)
    {
        if (OperatingSystem.IsWindows()) return Path.GetFullPath(path);
        var result = Native(path, IntPtr.Zero);
        if (result == IntPtr.Zero)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"Resolving '{path}' failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
        try
        {
            return Marshal.PtrToStringUTF8(result)!;
        }
        finally
        {
            Free(result);
        }
    }

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr Native([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void Free(IntPtr pointer);
}
