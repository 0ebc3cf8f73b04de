using System;
using System.IO;
using System.Text;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Schedule;

/// <summary>
/// Reading and writing the schedule's files: an existing file is the module's only when it starts with the marker
/// (ScheduleFileForeign otherwise: never overwritten, never removed), and must be a regular root-owned file that
/// group/other cannot write (ScheduleFileInsecure: cron would ignore it, or someone else could change what root
/// runs). Writes are atomic (a partial file with dots in its name, which cron ignores, then a rename), 0644.
/// </summary>
public static class ScheduleFiles
{
    private const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead
                                      | UnixFileMode.OtherRead;

    /// <summary>The text of the module's file at <paramref name="path"/>, or null when there is none.</summary>
    public static string? ReadOwned(string path)
    {
        RequireSafeDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var info = new FileInfo(path);
        if (!info.Exists && info.LinkTarget is null && !Directory.Exists(path)) return null;
        if (info.LinkTarget is not null || (info.Attributes & FileAttributes.Directory) != 0)
            throw Insecure(path, "it is a symbolic link or not a regular file");
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
                throw Insecure(path, "group or other users can write it");
            var owner = AlertFileTrust.OwnerOf(path);
            if (owner != 0 && owner != AlertFileTrust.CurrentUser())
                throw Insecure(path, $"it is owned by uid {owner}, not root");
        }
        var text = File.ReadAllText(path);
        if (!CronFileDocument.HasMarker(text))
        {
            throw new CenateException(ErrorIds.ScheduleFileForeign, CenateErrorKind.InvalidOperation,
                Messages.Format("ScheduleFileForeign", path),
                Messages.Get("ScheduleFileForeign.Action"),
                path);
        }
        return text;
    }

    /// <summary>
    /// Carries out one change, after checking again that the file is what the plan saw (the preflight runs for
    /// seconds: a file replaced meanwhile by a symbolic link, a directory or another file is refused, not followed).
    /// </summary>
    public static void Apply(ScheduleFileChange change)
    {
        var now = ReadOwned(change.Path);
        if (now != change.Before)
            throw Insecure(change.Path, "it changed while Register-/Unregister-CenateBackupSchedule was working");
        try
        {
            if (change.Content is null) File.Delete(change.Path);
            else Write(change.Path, change.Content);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && Directory.Exists(change.Path))
        {
            throw Insecure(change.Path, "it is a directory");
        }
    }

    // A directory that others can write (without the sticky bit) lets them replace what root runs.
    private static void RequireSafeDirectory(string directory)
    {
        if (OperatingSystem.IsWindows() || !Directory.Exists(directory)) return;
        var mode = File.GetUnixFileMode(directory);
        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0 && (mode & UnixFileMode.StickyBit) == 0)
            throw Insecure(directory, "the directory is writable by group or other users");
        var owner = AlertFileTrust.OwnerOf(directory);
        if (owner != 0 && owner != AlertFileTrust.CurrentUser())
            throw Insecure(directory, $"the directory is owned by uid {owner}, not root");
    }

    /// <summary>Writes <paramref name="text"/> atomically, mode 0644.</summary>
    public static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFileReplace.Write(path, new UTF8Encoding(false).GetBytes(text), Mode);
    }

    private static CenateException Insecure(string path, string why) =>
        new(ErrorIds.ScheduleFileInsecure, CenateErrorKind.PermissionDenied,
            Messages.Format("ScheduleFileInsecure.Files", path, why),
                Messages.Format("ScheduleFileInsecure.Files.Action", path), path);
}
