using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Schedule;

/// <summary>
/// The module's /etc/cron.d file as text: the marker, the environment, a comment naming the settings and zone, then
/// one block per job ("# job NAME" and its line). Parsing keeps the blocks so a Register of some jobs keeps the
/// others' lines (merge by job) and an Unregister of some removes only theirs.
/// </summary>
public sealed class CronFileDocument
{
    /// <summary>The first line of every file Register writes; a file without it is not the module's.</summary>
    public const string Marker =
        "# Written by CenateBackup (Register-CenateBackupSchedule). Unregister-CenateBackupSchedule removes it.";

    private const string JobPrefix = "# job ";

    /// <summary>Header lines (marker, variables, comments) before the first job block.</summary>
    public List<string> Header { get; } = new();
    /// <summary>Job → its cron line, in file order.</summary>
    public List<KeyValuePair<string, string>> Jobs { get; } = new();

    /// <summary>True when the text starts with <see cref="Marker"/>.</summary>
    public static bool HasMarker(string text) =>
        text.Replace("\r\n", "\n").Split('\n')[0].TrimEnd() == Marker;

    /// <summary>Reads a file the module wrote (call <see cref="HasMarker"/> first).</summary>
    public static CronFileDocument Parse(string text)
    {
        var doc = new CronFileDocument();
        string? job = null;
        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.StartsWith(JobPrefix, StringComparison.Ordinal))
            {
                job = line[JobPrefix.Length..].Trim();
                continue;
            }
            if (job is not null)
            {
                if (line.Trim().Length > 0) doc.Jobs.Add(new(job, line));
                job = null;
            }
            else if (doc.Jobs.Count == 0 && line.Length > 0) doc.Header.Add(line);
        }
        return doc;
    }

    /// <summary>A new file for <paramref name="jobs"/> (cron line per job), merged with the blocks of
    /// <paramref name="existing"/> for jobs not in it.</summary>
    public static CronFileDocument Build(IReadOnlyList<(ScheduleCommand Command, CronSchedule Schedule)> jobs,
        string user, string settings, string zoneNote, CronFileDocument? existing)
    {
        var doc = new CronFileDocument();
        doc.Header.Add(Marker);
        doc.Header.Add("SHELL=/bin/sh");
        var environment = jobs.Count > 0 ? jobs[0].Command.Environment : Array.Empty<KeyValuePair<string, string>>();
        foreach (var pair in environment)
        {
            // cron trims a value's outer white space and strips outer quotes.
            if (pair.Value.Trim() != pair.Value || pair.Value.StartsWith('"') || pair.Value.StartsWith('\''))
                throw new CenateException(ErrorIds.ScheduleInvalid, CenateErrorKind.InvalidArgument,
                    Messages.Format("ScheduleInvalid", pair.Key, pair.Value),
                    Messages.Format("ScheduleInvalid.Action", pair.Key), pair.Key);
            doc.Header.Add($"{pair.Key}={pair.Value}");
        }
        doc.Header.Add($"# Settings: {ScheduleCommand.RequirePrintable(settings, "settings path")}; {zoneNote}");
        var lines = new List<KeyValuePair<string, string>>();
        if (existing is not null)
            lines.AddRange(existing.Jobs.Where(j => jobs.All(n => n.Command.Job != j.Key)));
        foreach (var (command, schedule) in jobs)
            lines.Add(new(command.Job, Line(schedule, user, command)));
        doc.Jobs.AddRange(lines.OrderBy(l => ScheduleJobs.Order(l.Key)));
        return doc;
    }

    /// <summary>One cron.d line: schedule, user, command with % escaped (cron turns a bare % into a newline).</summary>
    public static string Line(CronSchedule schedule, string user, ScheduleCommand command)
    {
        ScheduleCommand.RequirePrintable(user, "user");
        if (user.Length == 0 || user.Any(char.IsWhiteSpace))
            throw new ArgumentException($"The user '{user}' is not an account name.", nameof(user));
        foreach (var value in new[] { command.Pwsh, command.Script, command.Settings })
        {
            ScheduleCommand.RequirePrintable(value, "path");
            // cron reads \ before % (and, in some builds, before \) as its own escape: sh would get another path.
            if (value.Contains('\\'))
                throw new CenateException(ErrorIds.ScheduleInvalid, CenateErrorKind.InvalidArgument,
                    Messages.Format("ScheduleInvalid.2", value),
                    Messages.Get("ScheduleInvalid.Action.2"), value);
        }
        return $"{schedule.Text} {user} {command.ShellText.Replace("%", "\\%")}";
    }

    /// <summary>The document without the blocks of <paramref name="jobs"/>.</summary>
    public CronFileDocument Without(IEnumerable<string> jobs)
    {
        var drop = jobs.ToHashSet();
        var doc = new CronFileDocument();
        doc.Header.AddRange(Header);
        doc.Jobs.AddRange(Jobs.Where(j => !drop.Contains(j.Key)));
        return doc;
    }

    /// <summary>The file's text (LF line ends, a final newline: cron ignores a last line without one).</summary>
    public string Render()
    {
        var text = new StringBuilder();
        foreach (var line in Header) text.Append(line).Append('\n');
        foreach (var (job, line) in Jobs) text.Append(JobPrefix).Append(job).Append('\n').Append(line).Append('\n');
        return text.ToString();
    }

    /// <summary>The 5 schedule fields of a job line.</summary>
    public static string ScheduleOf(string line) =>
        string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(5));

    /// <summary>The -Settings path of a job line (the last sh single-quoted word), or null.</summary>
    public static string? SettingsOf(string line)
    {
        var at = line.LastIndexOf(" -Settings '", StringComparison.Ordinal);
        if (at < 0 || !line.EndsWith('\'')) return null;
        var quoted = line[(at + " -Settings ".Length)..];
        return quoted[1..^1].Replace("'\\''", "'").Replace("\\%", "%");
    }
}
