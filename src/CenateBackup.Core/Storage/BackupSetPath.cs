using System;
using System.IO;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Storage;

/// <summary>
/// The path of one backup set as a person gives it (a manifest or a file of the set), checked before anything reads it.
/// A directory that exists is not "missing": it is the wrong kind of path, and the person needs to hear how to pick a
/// set from it rather than to check a path that is plainly there.
/// </summary>
internal static class BackupSetPath
{
    /// <summary>
    /// The full path of <paramref name="path"/> when it is a file; BackupPathIsDirectory when it is a directory,
    /// PathNotFound when nothing is there.
    /// </summary>
    /// <param name="path">What the person gave.</param>
    /// <param name="pickCommand">
    /// The command that picks a set of the directory and does what was asked with it (given the directory), e.g.
    /// <c>Get-CenateBackup '/backups' -Newest 1 | Restore-CenateTable -Table asegurados</c>.
    /// </param>
    /// <param name="missingActionKey">The recommended action (resource key) when nothing is there.</param>
    public static string RequireFile(string path, Func<string, string> pickCommand, string missingActionKey)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new CenateException(ErrorIds.BackupPathIsDirectory, CenateErrorKind.InvalidArgument,
                Messages.Format("BackupPathIsDirectory", full), Messages.Format("BackupPathIsDirectory.Action", pickCommand(full)),
                full);
        }
        if (!File.Exists(full))
        {
            throw new CenateException(ErrorIds.PathNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("PathNotFound.7", full),
                Messages.Get(missingActionKey), full);
        }
        return full;
    }
}
