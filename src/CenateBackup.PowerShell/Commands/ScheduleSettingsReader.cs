using System.Linq;
using CenateBackup.Core.Schedule;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// The schedule's keys of the plan's settings file (Schedule, TimeZone, LogPath, EnvironmentFile,
/// Weekly.RequireMountPoint), read through <see cref="PlanSettingsReader"/> (the one reader of the plan's file: its
/// checks, defaults and path resolution), so the schedule and the jobs read the same values.
/// </summary>
internal static class ScheduleSettingsReader
{
    public static ScheduleSettings Read(string path)
    {
        var plan = PlanSettingsReader.Read(path);
        return new ScheduleSettings(plan.SettingsPath, plan.Schedule.ToDictionary(p => p.Key, p => p.Value),
            plan.TimeZone, plan.LogPath, plan.EnvironmentFile, plan.Weekly?.RequireMountPoint, plan.LockDirectory);
    }
}
