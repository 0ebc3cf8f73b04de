using System;
using System.Linq;
using CenateBackup.Core.Schedule;

namespace CenateBackup.PowerShell.Output;

/// <summary>Builds the schedule cmdlets' output objects from Core's records.</summary>
internal static class ScheduleOutput
{
    public static CenateScheduleEntry Entry(ScheduleEntry e) => new()
    {
        Job = e.Job, Mode = e.Mode.ToString(), Schedule = e.Schedule, Calendar = e.Calendar, TimeZone = e.TimeZone,
        NextRun = e.NextRun == default(DateTimeOffset) ? null : e.NextRun, Command = e.Command, File = e.File,
        Action = e.Action,
    };

    public static CenateScheduleInfo Info(RegisteredJob job, string? settings, string zone,
        DateTimeOffset[] next, ScheduleStatus? status) => new()
    {
        Job = job.Job, Mode = job.Mode.ToString(), Schedule = job.Schedule, TimeZone = zone,
        NextRun = next.Length > 0 ? next[0] : null, NextRuns = next.ToArray(), LastRun = status?.LastRun,
        LastResult = status?.LastResult ?? "None", LastDuration = status?.LastDuration,
        Status = status?.Status ?? "Unknown", MissedAt = status?.MissedAt, Settings = settings, File = job.File,
    };
}
