using System;
using System.Collections.Generic;
using System.Linq;

namespace CenateBackup.Core.Offsite.Rclone;

/// <summary>
/// Reads `rclone check/checksum --combined -`: one line per file, "= name" (match), "* name" (differ), "+ name" (only
/// in the sum file: missing at the remote), "- name" (only at the remote), "! name" (error reading it).
/// </summary>
public static class RcloneCombinedReport
{
    /// <summary>
    /// The report for the <paramref name="expected"/> names, or null when rclone failed before judging all of them
    /// (a non-zero exit with names it never mentioned: the remote could not be read at all). Exit code 3 (the
    /// directory is not there) makes every name missing. Errors reading a file count as differ: it was not proven
    /// equal.
    /// </summary>
    public static ChecksumReport? Parse(string combined, IEnumerable<string> expected, int exitCode)
    {
        var wanted = new HashSet<string>(expected, StringComparer.Ordinal);
        var seen = new Dictionary<string, char>(StringComparer.Ordinal);
        foreach (var raw in combined.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length < 3 || line[1] != ' ') continue;
            var name = line[2..];
            if (wanted.Contains(name)) seen[name] = line[0];
        }
        if (exitCode == 3 && seen.Count == 0) return new ChecksumReport(Array.Empty<string>(), Array.Empty<string>(),
            Sorted(wanted));
        if (seen.Count < wanted.Count && exitCode != 0) return null;
        var matched = Sorted(wanted.Where(n => seen.TryGetValue(n, out var c) && c == '='));
        var differ = Sorted(wanted.Where(n => seen.TryGetValue(n, out var c) && c is '*' or '!'));
        var missing = Sorted(wanted.Where(n => !seen.TryGetValue(n, out var c) || c is '+' or '-'));
        return new ChecksumReport(matched, differ, missing);
    }

    private static List<string> Sorted(IEnumerable<string> names) =>
        names.OrderBy(n => n, StringComparer.Ordinal).ToList();
}
