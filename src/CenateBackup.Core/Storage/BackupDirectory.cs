using System;
using System.IO;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Storage;

/// <summary>Creates and checks backup directories: 0700 when created, and really writable.</summary>
public static class BackupDirectory
{
    /// <summary>
    /// Creates the directory (and its missing parents, 0700) if needed and proves it is writable by creating and
    /// deleting a probe file.
    /// </summary>
    public static string Prepare(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            PrivateDirectory.Create(full);
            var probe = Path.Combine(full, ".cenate-write-probe-" + Guid.NewGuid().ToString("N"));
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (UnauthorizedAccessException ex)
        {
            throw NotWritable(full, ex);
        }
        catch (IOException ex) when (AtomicBackupFile.IsDiskFull(ex))
        {
            throw new CenateException(ErrorIds.DiskFull, CenateErrorKind.WriteError, Messages.Format("DiskFull.2", full),
                Messages.Get("DiskFull.Action.2"), full, ex);
        }
        catch (IOException ex)
        {
            throw NotWritable(full, ex);
        }
        return full;
    }

    internal static CenateException NotWritable(string path, Exception ex) => new(ErrorIds.PathNotWritable, CenateErrorKind.PermissionDenied,
        Messages.Format("PathNotWritable.BackupDirectory", path, ex.Message),
            Messages.Get("PathNotWritable.BackupDirectory.Action"),
        path, ex);
}
