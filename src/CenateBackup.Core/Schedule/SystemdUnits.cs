using System.Collections.Generic;
using System.Linq;
using System.Text;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Schedule;

/// <summary>
/// A job's systemd pair: <c>cenate-JOB.service</c> (oneshot, absolute paths, the environment, exit 75 = "another run
/// holds the lock" counted as success) and <c>cenate-JOB.timer</c> (OnCalendar with the zone, Persistent=true so a
/// run missed while the machine was off happens at boot). Both start with the marker; the timer also records the
/// cron text and the settings file for Get-/Unregister-CenateBackupSchedule.
/// </summary>
public static class SystemdUnits
{
    /// <summary>First line of every unit Register writes.</summary>
    public const string Marker = CronFileDocument.Marker;

    /// <summary>The unit's base name for <paramref name="job"/> (cenate-daily).</summary>
    public static string UnitName(string job) => "cenate-" + job;

    /// <summary>What a unit needs beyond the command.</summary>
    public sealed record Options(string? User, string? EnvironmentFile, string? RequireMountPoint, string? OnFailure);

    /// <summary>The .service text.</summary>
    public static string Service(ScheduleCommand command, Options options)
    {
        var s = new StringBuilder();
        s.Append(Marker).Append('\n');
        s.Append("[Unit]\n");
        s.Append($"Description=CenateBackup {command.Job} job\n");
        if (options.RequireMountPoint is { Length: > 0 } mount)
            s.Append($"RequiresMountsFor={PathWord(Printable(mount, "mount point"), "mount point")}\n");
        if (options.OnFailure is { Length: > 0 } onFailure)
            s.Append($"OnFailure={Printable(onFailure, "OnFailure unit")}\n");
        s.Append("\n[Service]\nType=oneshot\n");
        foreach (var (key, value) in command.Environment)
            s.Append($"Environment=\"{key}={QuoteSetting(value)}\"\n");
        if (options.User is { Length: > 0 } user) s.Append($"User={Printable(user, "user")}\n");
        if (options.EnvironmentFile is { Length: > 0 } env)
            s.Append($"LoadCredential=cenate.env:{PathWord(Printable(env, "environment file"), "environment file")}\n");
        s.Append("SuccessExitStatus=75\n");
        var words = new[] { command.Pwsh }.Concat(command.Arguments)
            .Select(w => Printable(w, "path")).Select(w => w.StartsWith('-') ? w : "\"" + Quote(w) + "\"");
        s.Append("ExecStart=").Append(string.Join(' ', words)).Append('\n');
        return s.ToString();
    }

    /// <summary>The .timer text.</summary>
    public static string Timer(ScheduleCommand command, CronSchedule schedule, string calendar)
    {
        var s = new StringBuilder();
        s.Append(Marker).Append('\n');
        s.Append($"# Cron: {schedule.Text}\n");
        s.Append($"# Settings: {Printable(command.Settings, "settings path")}\n");
        var zone = calendar.Split(' ')[^1];
        if (zone.Contains('/') || zone == "UTC") s.Append($"# TimeZone: {zone}\n");
        s.Append($"[Unit]\nDescription=CenateBackup {command.Job} job schedule ({schedule.Text})\n\n");
        s.Append($"[Timer]\nOnCalendar={calendar}\nPersistent=true\nUnit={UnitName(command.Job)}.service\n\n");
        s.Append("[Install]\nWantedBy=timers.target\n");
        return s.ToString();
    }

    /// <summary>A comment value (<c># Cron: …</c>) of a timer's text, or null.</summary>
    public static string? Comment(string text, string name) =>
        text.Replace("\r\n", "\n").Split('\n').Where(l => l.StartsWith($"# {name}: ", System.StringComparison.Ordinal))
            .Select(l => l[($"# {name}: ".Length)..]).FirstOrDefault();

    // Inside "…" systemd reads \ and " as escapes and expands % specifiers; $ would expand variables in ExecStart.
    private static string Quote(string value) => QuoteSetting(value).Replace("$", "$$");

    // Environment= expands % specifiers but not $ ("$$" would stay two dollars).
    private static string QuoteSetting(string value) =>
        value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("%", "%%");

    // A path in a setting systemd splits on white space and unquotes (RequiresMountsFor=, LoadCredential=): % is
    // doubled (a specifier otherwise); white space, quotes, backslashes and ; are refused rather than guessed at.
    private static string PathWord(string value, string what)
    {
        if (value.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\' or ';'))
            throw new CenateException(ErrorIds.ScheduleInvalid, CenateErrorKind.InvalidArgument,
                Messages.Format("ScheduleInvalid.11", what, value), Messages.Format("ScheduleInvalid.Action.11", what), value);
        return value.Replace("%", "%%");
    }

    private static string Printable(string value, string what) => ScheduleCommand.RequirePrintable(value, what);
}
