using System;
using System.Collections.Generic;
using System.Text;

namespace CenateBackup.Core.Offsite.Directories;

/// <summary>One line of /proc/self/mountinfo (the fields a directory target needs).</summary>
/// <param name="MountPoint">Where it is mounted (escapes decoded).</param>
/// <param name="Root">Which directory of the file system is mounted there ("/" unless a bind mount).</param>
/// <param name="Device">major:minor of the file system.</param>
/// <param name="FileSystemType">ext4, vfat, nfs4, tmpfs…</param>
/// <param name="Source">The mounted device or share ("/dev/sdb1", "nas:/backups").</param>
/// <param name="ReadOnly">Mounted read-only.</param>
internal sealed record MountEntry(string MountPoint, string Root, string Device, string FileSystemType, string Source,
    bool ReadOnly);

/// <summary>
/// The mount table as the kernel reports it in /proc/self/mountinfo (proc(5)): one line per mount,
/// "id parent major:minor root mount-point options [optional fields…] - fstype source super-options", where space, tab,
/// newline and backslash inside paths are written as octal escapes (\040, \011, \012, \134).
/// </summary>
internal static class MountTable
{
    public const string MountInfoPath = "/proc/self/mountinfo";

    /// <summary>Parses the whole file; malformed lines are skipped (the kernel never writes them).</summary>
    public static IReadOnlyList<MountEntry> Parse(string text)
    {
        var mounts = new List<MountEntry>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length < 10) continue;
            var dash = Array.IndexOf(fields, "-", 6);
            if (dash < 0 || fields.Length < dash + 3) continue;
            var options = fields[5].Split(',');
            mounts.Add(new MountEntry(Unescape(fields[4]), Unescape(fields[3]), fields[2], Unescape(fields[dash + 1]),
                Unescape(fields[dash + 2]), Array.IndexOf(options, "ro") >= 0));
        }
        return mounts;
    }

    /// <summary>Decodes the kernel's octal escapes (a backslash and three octal digits).</summary>
    public static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal)) return field;
        var bytes = new List<byte>(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                bytes.Add((byte)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
                continue;
            }
            bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>
    /// The mount that holds <paramref name="realPath"/> (symlinks already resolved): the longest mount point that is
    /// the path or a parent of it; of several mounts on one point, the last one (the one on top).
    /// </summary>
    public static MountEntry? Find(IReadOnlyList<MountEntry> mounts, string realPath)
    {
        MountEntry? best = null;
        foreach (var m in mounts)
        {
            if (!Contains(m.MountPoint, realPath)) continue;
            if (best is null || m.MountPoint.Length >= best.MountPoint.Length) best = m;
        }
        return best;
    }

    /// <summary>
    /// True when <paramref name="mount"/> is the root file system: mounted on "/", or another view (a bind mount) of
    /// the device mounted on "/" — a directory of the system disk bound elsewhere is still the system disk.
    /// </summary>
    public static bool IsRootFileSystem(IReadOnlyList<MountEntry> mounts, MountEntry mount)
    {
        if (mount.MountPoint == "/") return true;
        var root = Find(mounts, "/");
        return root is not null && string.Equals(root.Device, mount.Device, StringComparison.Ordinal);
    }

    /// <summary>"/mnt/a" contains "/mnt/a" and "/mnt/a/b", not "/mnt/ab"; "/" contains everything.</summary>
    public static bool Contains(string mountPoint, string path)
    {
        if (mountPoint == "/") return path.StartsWith('/');
        return path == mountPoint
            || (path.Length > mountPoint.Length && path.StartsWith(mountPoint, StringComparison.Ordinal)
                && path[mountPoint.Length] == '/');
    }

    private static bool IsOctal(string s, int at)
    {
        if (at + 3 > s.Length) return false;
        for (var k = at; k < at + 3; k++)
        {
            if (s[k] is < '0' or > '7') return false;
        }
        return true;
    }
}
