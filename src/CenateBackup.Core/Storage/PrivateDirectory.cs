using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace CenateBackup.Core.Storage;

/// <summary>
/// Directories the module creates (backup directories, offsite copies, settings, logs, state, locks, alert state) are
/// 0700, each missing parent included: Directory.CreateDirectory(path, mode) would give the parents the umask's mode.
/// An existing directory is used as it is (the admin may have chosen other modes). The one helper for all of them.
/// </summary>
public static class PrivateDirectory
{
    /// <summary>Creates <paramref name="path"/> and its missing parents 0700 (plain create on Windows).</summary>
    public static void Create(string path)
    {
        var full = Path.GetFullPath(path);
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(full);
        else CreateUnix(full);
    }

    /// <summary>True when this account may create files in <paramref name="path"/> (access(2) W_OK|X_OK).</summary>
    public static bool IsWritable(string path) => OperatingSystem.IsWindows() || access(path, 2 | 1) == 0;

    [UnsupportedOSPlatform("windows")]
    private static void CreateUnix(string path)
    {
        if (Directory.Exists(path)) return;
        var parent = Path.GetDirectoryName(path);
        if (parent is not null) CreateUnix(parent);
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int access([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);
}
