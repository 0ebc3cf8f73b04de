using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;

namespace CenateBackup.Core.Jobs;

/// <summary>
/// A run of a job that ended without its end record: kill -9, the OOM killer, a crash or a power cut. Found by the
/// next run of the same job once it holds the job's lock (so that earlier run is certainly not running any more) in
/// the newest earlier JSON-lines log only, so each interrupted run is reported once: the reporting run's own log,
/// which ends properly, is the newest one for the run after it.
/// </summary>
public sealed partial record InterruptedRun(string Job, DateTimeOffset Start, int? Pid, string? LastStep, string File)
{
    /// <summary>The step name the reporting run records it under.</summary>
    public const string StepName = "previous-run";

    // A log is a few kilobytes; a planted huge file is not read to its end.
    private const long MaxBytes = 4 << 20;

    [GeneratedRegex(@"^\d{8}T\d{9}Z\.jsonl$", RegexOptions.CultureInvariant)]
    private static partial Regex LogName();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex StepNameRegex();

    /// <summary>
    /// The newest run log of <paramref name="job"/> in <paramref name="logDirectory"/> when it has no end record;
    /// null when that log ended, when there is none, when it is a link (not read), or when it holds no start record
    /// (not a run's log as far as anyone can tell, as Get-CenateBackupSchedule also reads it; a run killed in the
    /// instant between creating its log and writing that record goes unreported).
    /// </summary>
    public static InterruptedRun? Find(string logDirectory, string job)
    {
        if (!Directory.Exists(logDirectory)) return null;
        var newest = new DirectoryInfo(logDirectory).EnumerateFiles(job + "-*.jsonl")
            .Where(f => LogName().IsMatch(f.Name[(job.Length + 1)..]))
            .OrderBy(f => f.Name, StringComparer.Ordinal).LastOrDefault();
        if (newest is null || newest.LinkTarget is not null || newest.Length > MaxBytes) return null;
        return Read(newest.FullName, job);
    }

    /// <summary>The run one log records when it has no end record; null when it ended.</summary>
    public static InterruptedRun? Read(string path, string job)
    {
        DateTimeOffset? start = null;
        int? pid = null;
        string? lastStep = null;
        foreach (var line in System.IO.File.ReadLines(path))
        {
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(line);
                root = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                continue; // a line cut by the crash
            }
            if (root.ValueKind != JsonValueKind.Object) continue;
            switch (Text(root, "event"))
            {
                case "end":
                    return null;
                case "start":
                    start ??= Time(Text(root, "time"));
                    if (root.TryGetProperty("pid", out var p) && p.TryGetInt32(out var n) && n > 0) pid = n;
                    break;
                case "step":
                    var name = Text(root, "step");
                    if (name is not null && StepNameRegex().IsMatch(name)) lastStep = name;
                    break;
            }
        }
        return start is null ? null : new InterruptedRun(job, start.Value, pid, lastStep, path);
    }

    /// <summary>"The previous daily run (started …, pid 1234) ended without finishing — …", redacted.</summary>
    public string Message
    {
        get
        {
            var text = new StringBuilder($"The previous {Job} run (started ")
                .Append(Start.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            if (Pid is { } pid) text.Append(CultureInfo.InvariantCulture, $", pid {pid}");
            text.Append(") ended without finishing — killed, crashed or the machine stopped; ")
                .Append(LastStep is null ? "it recorded no step." : $"its last recorded step was '{LastStep}'.");
            return AlertRedactor.Redact(text.ToString());
        }
    }

    /// <summary>The step the reporting run records: Failed, JobInterrupted, at <paramref name="now"/>.</summary>
    public JobStepRecord ToStep(DateTimeOffset now) => new()
    {
        Name = StepName, Start = now, End = now, Result = JobStepResult.Failed, ErrorId = ErrorIds.JobInterrupted,
        Message = Message,
    };

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static DateTimeOffset? Time(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t : null;
}
