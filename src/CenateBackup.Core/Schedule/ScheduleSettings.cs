using System.Collections.Generic;

namespace CenateBackup.Core.Schedule;

/// <summary>The few keys of the plan's settings file that the schedule needs.</summary>
/// <param name="SettingsPath">The settings file (full path), passed to every job.</param>
/// <param name="Schedule">Job → cron expression (jobs without one are not scheduled).</param>
/// <param name="TimeZone">IANA id of the schedule's zone; null = the machine's.</param>
/// <param name="LogPath">Where the jobs write their run logs.</param>
/// <param name="EnvironmentFile">The 0600 NAME=value file (systemd LoadCredential=), or null.</param>
/// <param name="WeeklyMountPoint">Weekly.RequireMountPoint (systemd RequiresMountsFor=), or null.</param>
/// <param name="LockDirectory">Where the jobs' locks are (&lt;StatePath&gt;/locks), or null.</param>
public sealed record ScheduleSettings(string SettingsPath, IReadOnlyDictionary<string, string> Schedule,
    string? TimeZone, string LogPath, string? EnvironmentFile, string? WeeklyMountPoint, string? LockDirectory = null);
