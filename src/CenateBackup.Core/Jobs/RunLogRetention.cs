using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace CenateBackup.Core.Jobs;

/// <summary>
/// Which of a job's own run logs are past the log retention: only names &lt;job&gt;-&lt;yyyyMMddTHHmmssfff&gt;Z.log or
/// .jsonl of that job, aged by the stamp in the name (a copy resets mtimes), never the current run's. Other files in
/// the directory (another job's logs, anything an admin keeps there) are never candidates.
/// </summary>
public static partial class RunLogRetention
{
    [GeneratedRegex(@"^(?<job>[a-z][a-z0-9-]{0,31})-(?<stamp>\d{8}T\d{9})Z\.(?:log|jsonl)$",
        RegexOptions.CultureInvariant)]
    private static partial Regex LogName();

    /// <summary>The start time a run log's name records, or null when the name is not <paramref name="job"/>'s
    /// log.</summary>
    public static DateTimeOffset? StampOf(string fileName, string job)
    {
        var m = LogName().Match(fileName);
        if (!m.Success || m.Groups["job"].Value != job) return null;
        return DateTime.TryParseExact(m.Groups["stamp"].Value, "yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? new DateTimeOffset(t, TimeSpan.Zero) : null;
    }

    /// <summary>The names among <paramref name="fileNames"/> to remove (pure: no file system).</summary>
    public static IReadOnlyList<string> Select(IEnumerable<string> fileNames, string job, DateTimeOffset now,
        TimeSpan retention, string? currentBaseName = null) =>
        fileNames.Where(n => StampOf(n, job) is { } stamp && stamp < now - retention
            && (currentBaseName is null || !n.StartsWith(currentBaseName + ".", StringComparison.Ordinal)))
            .OrderBy(n => n, StringComparer.Ordinal).ToList();

    /// <summary>Removes <paramref name="job"/>'s old run logs from <paramref name="directory"/>: regular files only
    /// (a link is never followed nor removed). Returns the removed paths.</summary>
    public static IReadOnlyList<string> Apply(string directory, string job, DateTimeOffset now, TimeSpan retention,
        string? currentBaseName)
    {
        var entries = new DirectoryInfo(directory).EnumerateFileSystemInfos()
            .Where(e => e is FileInfo && e.LinkTarget is null && (e.Attributes & FileAttributes.ReparsePoint) == 0)
            .ToDictionary(e => e.Name, e => e.FullName, StringComparer.Ordinal);
        var removed = new List<string>();
        foreach (var name in Select(entries.Keys, job, now, retention, currentBaseName))
        {
            try
            {
                File.Delete(entries[name]);
                removed.Add(entries[name]);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // An old log that cannot be removed is not worth failing the run for; the next run tries again.
            }
        }
        return removed;
    }
}
