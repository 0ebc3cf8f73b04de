using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CenateBackup.Core.Schedule;

/// <summary>One run of a job as its JSON-lines log tells it: the start record, and the end record once it
/// ended.</summary>
public sealed record JobRun(DateTimeOffset Start, string Result, TimeSpan? Duration, int? ExitCode, string File);

/// <summary>
/// Reads the job runtime's JSON-lines logs (<c>JOB-yyyyMMddTHHmmssfffZ.jsonl</c> in the settings' LogPath): one
/// object per line, <c>event</c> start/step/end. A run with a start and no end is "Running" (or was killed). Lines
/// that are not JSON objects (a line cut by a crash) are skipped; links and other names are not read.
/// </summary>
public static partial class RunLogReader
{
    /// <summary>The runs of <paramref name="job"/> in <paramref name="logPath"/>, oldest first.</summary>
    public static IReadOnlyList<JobRun> Read(string logPath, string job)
    {
        if (!Directory.Exists(logPath)) return Array.Empty<JobRun>();
        var runs = new List<JobRun>();
        foreach (var file in new DirectoryInfo(logPath).EnumerateFiles(job + "-*.jsonl"))
        {
            if (!LogName().IsMatch(file.Name[(job.Length + 1)..]) || file.LinkTarget is not null) continue;
            if (ReadFile(file.FullName) is { } run) runs.Add(run);
        }
        return runs.OrderBy(r => r.Start).ToList();
    }

    /// <summary>
    /// The newest run of <paramref name="job"/> and the runs that started from <paramref name="notBefore"/> on (at
    /// most <paramref name="limit"/>), oldest first. Only file names are listed (their stamp is the run's start, UTC):
    /// a log directory of thousands of old runs costs one directory listing, not thousands of files read.
    /// </summary>
    public static IReadOnlyList<JobRun> ReadRecent(string logPath, string job, DateTimeOffset? notBefore,
        int limit = 100)
    {
        if (!Directory.Exists(logPath)) return Array.Empty<JobRun>();
        var named = new List<(DateTimeOffset Stamp, FileInfo File)>();
        foreach (var file in new DirectoryInfo(logPath).EnumerateFiles(job + "-*.jsonl"))
        {
            var rest = file.Name[(job.Length + 1)..];
            if (!LogName().IsMatch(rest) || file.LinkTarget is not null) continue;
            if (DateTime.TryParseExact(rest[..18], "yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var stamp))
                named.Add((new DateTimeOffset(stamp, TimeSpan.Zero), file));
        }
        var runs = new List<JobRun>();
        // The name's stamp is taken when the log is opened, a moment after the run's start record's time.
        var from = notBefore?.AddMinutes(-1);
        foreach (var (stamp, file) in named.OrderByDescending(n => n.Stamp).ThenByDescending(n => n.File.Name))
        {
            if (runs.Count >= limit || (runs.Count > 0 && (from is null || stamp < from))) break;
            if (ReadFile(file.FullName) is { } run) runs.Add(run);
        }
        return runs.OrderBy(r => r.Start).ToList();
    }

    /// <summary>The run one log file records, or null when it has no start record.</summary>
    public static JobRun? ReadFile(string path)
    {
        DateTimeOffset? start = null;
        string? result = null;
        TimeSpan? duration = null;
        int? exitCode = null;
        foreach (var line in File.ReadLines(path))
        {
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(line);
                root = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                continue;
            }
            if (root.ValueKind != JsonValueKind.Object) continue;
            switch (Text(root, "event"))
            {
                case "start":
                    start ??= Time(root, "time");
                    break;
                case "end":
                    result = Text(root, "result") ?? "Failed";
                    start ??= Time(root, "start");
                    if (root.TryGetProperty("durationMs", out var ms) && ms.TryGetInt64(out var d))
                        duration = TimeSpan.FromMilliseconds(d);
                    if (root.TryGetProperty("exitCode", out var ec) && ec.TryGetInt32(out var e)) exitCode = e;
                    break;
            }
        }
        return start is null ? null : new JobRun(start.Value, result ?? "Running", duration, exitCode, path);
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        DateTimeOffset.TryParse(Text(e, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t : null;

    [GeneratedRegex(@"^\d{8}T\d{9}Z\.jsonl$")]
    private static partial Regex LogName();
}
