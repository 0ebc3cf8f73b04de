using System;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Offsite.Rclone;

/// <summary>A directory at an rclone remote: "remote:path".</summary>
/// <param name="Remote">The remote's name in the config file, without ':'.</param>
/// <param name="Path">The directory below the remote's root, without leading or trailing '/' ("" for the root).</param>
public sealed record RemoteLocation(string Remote, string Path)
{
    /// <summary>"remote:path", as rclone takes it.</summary>
    public override string ToString() => Remote + ":" + Path;

    /// <summary>The rclone path of a file of this directory. Throws InvalidArgument for anything but a plain file
    /// name.</summary>
    public string Join(string name)
    {
        RequirePlainName(name);
        return Path.Length == 0 ? Remote + ":" + name : Remote + ":" + Path + "/" + name;
    }

    /// <summary>
    /// Refuses names that could leave the directory or break rclone's line-based lists (--files-from-raw, sum
    /// files): separators, "." and "..", control characters, and leading or trailing blanks.
    /// </summary>
    public static void RequirePlainName(string name)
    {
        var bad = string.IsNullOrEmpty(name) || name == "." || name == ".." || name.Contains('/') || name.Contains('\\')
            || name.Trim() != name || name.StartsWith('*');
        foreach (var c in name ?? "") bad |= char.IsControl(c);
        if (bad)
        {
            throw new CenateException(ErrorIds.RcloneFailed, CenateErrorKind.InvalidArgument,
                Messages.Format("RcloneFailed.3", name),
                Messages.Get("RcloneFailed.Action.5"), name);
        }
    }
}
