using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Schedule;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// The schedule's keys of the plan's settings file (Schedule, TimeZone, LogPath, EnvironmentFile,
/// Weekly.RequireMountPoint), read with <see cref="SettingsFileReader"/>. One adapter, so moving to the full
/// PlanSettings reader is a change here only.
/// </summary>
internal static class ScheduleSettingsReader
{
    public static ScheduleSettings Read(string path)
    {
        var data = SettingsFileReader.ReadData(path, "settings");
        var directory = Path.GetDirectoryName(path)!;
        var schedule = new Dictionary<string, string>();
        if (Get(data, "Schedule") is { } s)
        {
            if (s is not IDictionary table) throw Invalid(path, "Schedule", "it must be a hashtable job = 'cron'");
            foreach (DictionaryEntry entry in table)
            {
                var name = entry.Key?.ToString() ?? "";
                var job = ScheduleJobs.Canonical(name) ?? throw Invalid(path, "Schedule",
                    $"'{name}' is not a job (jobs: daily, weekly, monthly, monitor, drill, auditretention)");
                if (entry.Value is null) continue; // a job set to $null is not scheduled
                var text = entry.Value as string ?? throw Invalid(path, $"Schedule.{name}", "it must be a string");
                CronSchedule.Parse(text, job);
                schedule[job] = text.Trim();
            }
        }
        var zone = Text(data, "TimeZone", path);
        if (zone is not null) CronSchedule.ResolveZone(zone);
        var logPath = Resolve(Text(data, "LogPath", path) ?? "/var/log/cenate", directory);
        var env = Text(data, "EnvironmentFile", path) is { } e ? Resolve(e, directory) : null;
        string? mount = null;
        if (Get(data, "Weekly") is IDictionary weekly && Get(weekly, "RequireMountPoint") is string m)
            mount = Resolve(m, directory);
        return new ScheduleSettings(path, schedule, zone, logPath, env, mount);
    }

    private static object? Get(IDictionary data, string key)
    {
        foreach (DictionaryEntry entry in data)
            if (string.Equals(entry.Key?.ToString(), key, StringComparison.OrdinalIgnoreCase)) return entry.Value;
        return null;
    }

    private static string? Text(IDictionary data, string key, string path) => Get(data, key) switch
    {
        null => null,
        string s when s.Trim().Length > 0 => s.Trim(),
        _ => throw Invalid(path, key, "it must be a non-empty string"),
    };

    private static string Resolve(string value, string directory)
    {
        if (value == "~" || value.StartsWith("~/", StringComparison.Ordinal))
            value = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), value.TrimStart('~', '/'));
        return Path.GetFullPath(value, directory);
    }

    private static CenateException Invalid(string path, string key, string why) =>
        new(ErrorIds.SettingsInvalid, CenateErrorKind.InvalidArgument, $"The settings {path}: key {key}: {why}.",
            "Fix the settings file (see Get-Help New-CenateSettings).", path);
}
