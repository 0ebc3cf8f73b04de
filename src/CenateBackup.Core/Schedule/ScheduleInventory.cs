using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace CenateBackup.Core.Schedule;

/// <summary>A job the module's schedule files hold.</summary>
public sealed record RegisteredJob(string Job, ScheduleMode Mode, string Schedule, string? SettingsPath, string File,
    DateTimeOffset RegisteredAt, string? TimeZone = null);

/// <summary>
/// What is registered (read from the marked cron file or timer units) and the plan of an Unregister: only files
/// that carry the marker, with -Job only those lines/units; a cron file left without jobs is removed.
/// </summary>
public static class ScheduleInventory
{
    /// <summary>The registered jobs in <paramref name="mode"/> (Cron or Systemd).</summary>
    public static IReadOnlyList<RegisteredJob> Read(ScheduleMode mode, string cronFile, string unitDirectory)
    {
        var result = new List<RegisteredJob>();
        if (mode == ScheduleMode.Cron)
        {
            var path = ScheduleRegistrar.CronFilePath(cronFile);
            var text = ScheduleFiles.ReadOwned(path);
            if (text is null) return result;
            var at = File.GetLastWriteTimeUtc(path);
            foreach (var (job, line) in CronFileDocument.Parse(text).Jobs)
                result.Add(new(job, mode, CronFileDocument.ScheduleOf(line), CronFileDocument.SettingsOf(line), path,
                    new DateTimeOffset(at, TimeSpan.Zero)));
            return result;
        }
        foreach (var (job, _) in ScheduleJobs.All)
        {
            var timer = Path.Combine(unitDirectory, SystemdUnits.UnitName(job) + ".timer");
            var text = ScheduleFiles.ReadOwned(timer);
            if (text is null) continue;
            result.Add(new(job, mode, SystemdUnits.Comment(text, "Cron") ?? "", SystemdUnits.Comment(text, "Settings"),
                timer, new DateTimeOffset(File.GetLastWriteTimeUtc(timer), TimeSpan.Zero),
                SystemdUnits.Comment(text, "TimeZone")));
        }
        return result;
    }

    /// <summary>The plan of Unregister-CenateBackupSchedule.</summary>
    public static SchedulePlan PlanRemoval(ScheduleMode mode, IReadOnlyList<string>? jobs, string cronFile,
        string unitDirectory)
    {
        mode = ScheduleModes.Resolve(mode);
        var plan = new SchedulePlan { Mode = mode };
        var registered = Read(mode, cronFile, unitDirectory)
            .Where(r => jobs is null || jobs.Count == 0
                        || jobs.Any(j => string.Equals(j, r.Job, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        foreach (var r in registered)
            plan.Entries.Add(new(r.Job, mode, r.Schedule, r.Schedule, "", null, "", r.File, "Removed"));
        if (registered.Count == 0) return plan;
        if (mode == ScheduleMode.Cron)
        {
            var path = registered[0].File;
            var text = ScheduleFiles.ReadOwned(path);
            var remaining = CronFileDocument.Parse(text!).Without(registered.Select(r => r.Job));
            plan.Changes.Add(new(path, remaining.Jobs.Count == 0 ? null : remaining.Render(),
                remaining.Jobs.Count == 0 ? "Removed" : "Updated", text));
            return plan;
        }
        foreach (var r in registered)
        {
            plan.Changes.Add(new(r.File, null, "Removed", ScheduleFiles.ReadOwned(r.File)));
            var service = Path.ChangeExtension(r.File, ".service");
            if (ScheduleFiles.ReadOwned(service) is { } serviceText)
                plan.Changes.Add(new(service, null, "Removed", serviceText));
        }
        return plan;
    }

    /// <summary>Carries out a removal plan (timers disabled first where systemd runs).</summary>
    public static async System.Threading.Tasks.Task RemoveAsync(SchedulePlan plan,
        System.Threading.CancellationToken token)
    {
        if (plan.Mode == ScheduleMode.Systemd) await ScheduleRegistrar.SystemctlAsync(plan, enable: false, token)
            .ConfigureAwait(false);
        foreach (var change in plan.Changes) ScheduleFiles.Apply(change);
    }
}
