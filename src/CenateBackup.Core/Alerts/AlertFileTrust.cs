using System;
using System.IO;
using System.Runtime.InteropServices;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// Who may have written a settings or credential file. The settings file decides where a credential is sent, so on
/// Unix it must be owned by the current user (or root) and writable by no one else; a credential file must be the
/// current user's and unreadable to anyone else. Windows has no such mode bits: there the ACLs are the admin's.
/// </summary>
public static class AlertFileTrust
{
    private const UnixFileMode GroupOtherWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
    private const UnixFileMode GroupOtherAny = UnixFileMode.GroupRead | UnixFileMode.GroupWrite
        | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Refuses (SettingsFileInsecure) a settings file another user owns or may write.</summary>
    public static void RequireSettingsFile(string path) =>
        RequireSettingsFile(path, "alert settings file", "decides where the mail credential is sent");

    /// <summary>
    /// Refuses (SettingsFileInsecure) a settings file another user owns or may write; messages name it
    /// <paramref name="what"/> and say why it matters: it <paramref name="decides"/>.
    /// </summary>
    public static void RequireSettingsFile(string path, string what, string decides)
    {
        if (OperatingSystem.IsWindows()) return;
        var owner = OwnerOf(path);
        var me = CurrentUser();
        var mode = File.GetUnixFileMode(path);
        if ((owner != me && owner != 0) || (mode & GroupOtherWrite) != 0)
        {
            throw new CenateException(ErrorIds.SettingsFileInsecure, CenateErrorKind.PermissionDenied,
                Messages.Format("SettingsFileInsecure", what, path, owner, Octal(mode), me, decides),
                Messages.Format("SettingsFileInsecure.Action", me, path), path);
        }
        // Whoever may write its directory can swap the file between this check and the read (as OpenSSH's
        // StrictModes says); a sticky directory such as /tmp lets no one replace another user's file.
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is null) return;
        var dirOwner = OwnerOf(directory);
        var dirMode = File.GetUnixFileMode(directory);
        if (!DirectoryHoldsFilesSafely(dirOwner, dirMode, me))
        {
            throw new CenateException(ErrorIds.SettingsFileInsecure, CenateErrorKind.PermissionDenied,
                Messages.Format("SettingsFileInsecure.2", directory, what, dirOwner, Octal(dirMode), decides),
                Messages.Format("SettingsFileInsecure.Action.2", me, directory), path);
        }
    }

    /// <summary>
    /// True when only <paramref name="me"/> or root can replace files in a directory: owned by one of them and
    /// writable by no one else, or sticky (only a file's owner may rename or delete it).
    /// </summary>
    public static bool DirectoryHoldsFilesSafely(uint owner, UnixFileMode mode, uint me) =>
        (owner == me || owner == 0) && ((mode & GroupOtherWrite) == 0 || (mode & UnixFileMode.StickyBit) != 0);

    /// <summary>Refuses (CredentialFileInsecure) a credential file another user owns or others may read.</summary>
    public static void RequireCredentialFile(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        var owner = OwnerOf(path);
        var me = CurrentUser();
        var mode = File.GetUnixFileMode(path);
        if (owner != me || (mode & GroupOtherAny) != 0)
        {
            throw new CenateException(ErrorIds.CredentialFileInsecure, CenateErrorKind.PermissionDenied,
                Messages.Format("CredentialFileInsecure", path, owner, Octal(mode), me),
                Messages.Format("CredentialFileInsecure.Action", me, path), path);
        }
    }

    /// <summary>
    /// True when a state directory, state file or spool file with <paramref name="owner"/> and
    /// <paramref name="mode"/> can only have been written by <paramref name="me"/>: owned by this user and writable by
    /// no group or other. Anyone else could plant a run there that is then mailed as ours, or a spool entry that
    /// floods the channel.
    /// </summary>
    public static bool IsPrivateTo(uint owner, UnixFileMode mode, uint me) => owner == me
        && (mode & GroupOtherWrite) == 0;

    /// <summary>
    /// Null when <paramref name="path"/> (a state directory or file) is missing or private to this user (always on
    /// Windows); otherwise why not, "owned by uid 0 with mode 0777".
    /// </summary>
    public static string? NotPrivate(string path)
    {
        if (OperatingSystem.IsWindows() || (!File.Exists(path) && !Directory.Exists(path))) return null;
        var owner = OwnerOf(path);
        var mode = File.GetUnixFileMode(path);
        return IsPrivateTo(owner, mode, CurrentUser()) ? null : Messages.Format("Alert.NotPrivate", owner, Octal(mode));
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0');

    /// <summary>The numeric owner of a file (follows symbolic links, as opening it does).</summary>
    public static uint OwnerOf(string path)
    {
        // .NET's own native shim (libSystem.Native, shipped with every runtime) fills a FileStatus whose third field is
        // the uid: { int Flags; int Mode; uint Uid; uint Gid; long Size; … }. The buffer is larger than the struct.
        var buffer = new byte[512];
        if (SystemNativeStat(path, buffer) != 0)
            throw new FileNotFoundException($"Cannot read the owner of {path}.", path);
        return BitConverter.ToUInt32(buffer, 8);
    }

    /// <summary>The effective uid of this process.</summary>
    public static uint CurrentUser() => geteuid();

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
    private static extern int SystemNativeStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] output);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint geteuid();
}
