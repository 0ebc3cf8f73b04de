using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Schedule;

/// <summary>What Register-CenateBackupSchedule was asked.</summary>
public sealed record ScheduleRequest(ScheduleSettings Settings, IReadOnlyList<string>? Jobs, ScheduleMode Mode,
    string? User, string Pwsh, string JobDirectory, string CronFile, string UnitDirectory, string? OnFailure,
    DateTimeOffset Now, string? ModuleDirectory = null);

/// <summary>
/// Plans a Register (which files, which content, which jobs' commands; nothing touched) and carries the plan out:
/// the preflight of every job first, then the writes (and systemctl where systemd runs).
/// </summary>
public static class ScheduleRegistrar
{
    /// <summary>The plan for <paramref name="request"/>.</summary>
    public static SchedulePlan Plan(ScheduleRequest request)
    {
        var mode = ScheduleModes.Resolve(request.Mode);
        var settings = request.Settings;
        RequireNames(request, mode);
        var zone = CronSchedule.ResolveZone(settings.TimeZone);
        var zoneId = CronSchedule.ZoneId(zone);
        var me = Environment.UserName;
        var plan = new SchedulePlan
        {
            Mode = mode,
            RunAs = request.User is { } u && u != me && !OperatingSystem.IsWindows() ? u : null,
        };
        var jobs = new List<(ScheduleCommand Command, CronSchedule Schedule)>();
        var environment = ScheduleEnvironment.For(request.Pwsh, request.ModuleDirectory);
        foreach (var job in SelectJobs(settings, request.Jobs))
        {
            var schedule = CronSchedule.Parse(settings.Schedule[job], job);
            var script = ScheduleJobs.ScriptPath(job, request.JobDirectory);
            var command = new ScheduleCommand(job, request.Pwsh, script, settings.SettingsPath, environment);
            jobs.Add((command, schedule));
            plan.Commands.Add(command);
        }
        switch (mode)
        {
            case ScheduleMode.Cron:
                PlanCron(plan, request, jobs, zone, zoneId, me);
                break;
            case ScheduleMode.Systemd:
                PlanSystemd(plan, request, jobs, zone, zoneId);
                break;
            default:
                PlanTasks(plan, request, jobs, zone, zoneId);
                break;
        }
        return plan;
    }

    /// <summary>Runs the preflight (unless <paramref name="skipPreflight"/>), then writes the plan.</summary>
    public static async Task<SchedulePlan> ApplyAsync(SchedulePlan plan, bool skipPreflight, string home,
        CancellationToken token)
    {
        if (!skipPreflight)
        {
            foreach (var command in plan.Commands)
                await SchedulePreflight.RunAsync(command, plan.RunAs, home, TimeSpan.FromSeconds(120), token)
                    .ConfigureAwait(false);
        }
        foreach (var change in plan.Changes.Where(c => c.Action != "Unchanged")) ScheduleFiles.Apply(change);
        if (plan.Mode == ScheduleMode.Systemd) await SystemctlAsync(plan, enable: true, token).ConfigureAwait(false);
        return plan;
    }

    /// <summary>systemctl daemon-reload and enable/disable --now of the plan's timers, when systemd runs.</summary>
    public static async Task SystemctlAsync(SchedulePlan plan, bool enable, CancellationToken token)
    {
        if (!ScheduleModes.SystemdIsRunning()) return;
        var timers = plan.Entries.Select(e => SystemdUnits.UnitName(e.Job) + ".timer").ToList();
        if (!enable)
            foreach (var t in timers) await RunAsync(token, "systemctl", "disable", "--now", t).ConfigureAwait(false);
        await RunAsync(token, "systemctl", "daemon-reload").ConfigureAwait(false);
        if (enable)
            foreach (var t in timers) await RunAsync(token, "systemctl", "enable", "--now", t).ConfigureAwait(false);
    }

    private static async Task RunAsync(CancellationToken token, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync(token).ConfigureAwait(false);
        await process.WaitForExitAsync(token).ConfigureAwait(false);
        if (process.ExitCode != 0)
            throw new CenateException(ErrorIds.ScheduleCommandFails, CenateErrorKind.InvalidOperation,
                Messages.Format("ScheduleCommandFails.2", file, string.Join(' ', args), process.ExitCode, error.Trim()), null, file);
    }

    private static void RequireNames(ScheduleRequest request, ScheduleMode mode)
    {
        // A user or unit name goes into a cron line's user field or a unit setting: a space or a quote would
        // change what the line means.
        if (request.User is { } user && mode != ScheduleMode.TaskScheduler
            && !System.Text.RegularExpressions.Regex.IsMatch(user, "^[A-Za-z_][A-Za-z0-9_.-]{0,31}$"))
            throw new CenateException(ErrorIds.ScheduleInvalid, CenateErrorKind.InvalidArgument,
                Messages.Format("ScheduleInvalid.5", ScheduleCommand.RequirePrintable(user, "user")),
                Messages.Get("ScheduleInvalid.Action.5"), user);
        // cron skips a line of an unknown user silently, and systemd fails the unit at run time: refuse it now.
        if (request.User is { } account && mode != ScheduleMode.TaskScheduler && !AccountExists(account))
            throw new CenateException(ErrorIds.ScheduleInvalid, CenateErrorKind.ObjectNotFound,
                Messages.Format("ScheduleInvalid.6", account),
                Messages.Get("ScheduleInvalid.Action.6"), account);
        if (request.OnFailure is { } unit
            && !System.Text.RegularExpressions.Regex.IsMatch(unit, @"^[A-Za-z0-9:_.@%\\-]+$"))
            throw new CenateException(ErrorIds.ScheduleInvalid, CenateErrorKind.InvalidArgument,
                Messages.Format("ScheduleInvalid.7", ScheduleCommand.RequirePrintable(unit, "unit")),
                Messages.Get("ScheduleInvalid.Action.7"), unit);
    }

    private static bool AccountExists(string user)
    {
        if (OperatingSystem.IsWindows()) return true;
        var start = new ProcessStartInfo("getent")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "passwd", "--", user }) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return File.ReadLines("/etc/passwd").Any(l => l.StartsWith(user + ":", StringComparison.Ordinal));
        }
    }

    private static IEnumerable<string> SelectJobs(ScheduleSettings settings, IReadOnlyList<string>? asked)
    {
        if (asked is null || asked.Count == 0)
        {
            var all = ScheduleJobs.All.Select(j => j.Name).Where(settings.Schedule.ContainsKey).ToList();
            if (all.Count == 0)
                throw new CenateException(ErrorIds.ScheduleInvalid, CenateErrorKind.InvalidArgument,
                    Messages.Format("ScheduleInvalid.8", settings.SettingsPath),
                    Messages.Get("ScheduleInvalid.Action.8"), settings.SettingsPath);
            return all;
        }
        var jobs = new List<string>();
        foreach (var name in asked)
        {
            var job = ScheduleJobs.Canonical(name) ?? throw new CenateException(ErrorIds.ScheduleInvalid,
                CenateErrorKind.InvalidArgument,
                Messages.Format("ScheduleInvalid.NotAJob", name, string.Join(", ",
                    ScheduleJobs.All.Select(j => j.Name))), null, name);
            if (!settings.Schedule.ContainsKey(job))
                throw new CenateException(ErrorIds.ScheduleInvalid, CenateErrorKind.InvalidArgument,
                    Messages.Format("ScheduleInvalid.9", settings.SettingsPath, job),
                    Messages.Get("ScheduleInvalid.Action.9"), job);
            if (!jobs.Contains(job)) jobs.Add(job);
        }
        return jobs.OrderBy(ScheduleJobs.Order);
    }

    private static void PlanCron(SchedulePlan plan, ScheduleRequest request,
        List<(ScheduleCommand Command, CronSchedule Schedule)> jobs, TimeZoneInfo zone, string zoneId, string me)
    {
        var path = CronFilePath(request.CronFile);
        var machine = TimeZoneInfo.Local;
        var machineId = CronSchedule.ZoneId(machine);
        var note = $"time zone: {zoneId}; cron runs the lines in the machine's zone, {machineId}";
        if (!zone.HasSameRules(machine))
            plan.Warnings.Add(Messages.Format("Warning.ScheduleRegistrar.Zone", zoneId, machineId));
        var oldText = ScheduleFiles.ReadOwned(path);
        var old = oldText is null ? null : CronFileDocument.Parse(oldText);
        var user = request.User ?? me;
        var doc = CronFileDocument.Build(jobs, user, request.Settings.SettingsPath, note, old);
        var text = doc.Render();
        plan.Changes.Add(new(path, text, oldText is null ? "Created" : oldText == text ? "Unchanged" : "Updated",
            oldText));
        foreach (var (command, schedule) in jobs)
        {
            var line = CronFileDocument.Line(schedule, user, command);
            var before = old?.Jobs.FirstOrDefault(j => j.Key == command.Job).Value;
            var action = before is null ? "Created" : before == line && oldText == text ? "Unchanged" : "Updated";
            plan.Entries.Add(new(command.Job, ScheduleMode.Cron, schedule.Text, schedule.Text, machineId,
                schedule.Next(request.Now, machine, 1).FirstOrDefault(), command.ShellText, path, action));
        }
    }

    /// <summary>Checks a cron file path: cron ignores names with dots.</summary>
    public static string CronFilePath(string cronFile)
    {
        var path = Path.GetFullPath(ScheduleCommand.RequirePrintable(cronFile, "cron file"));
        if (Path.GetFileName(path).Contains('.') || Path.GetFileName(path).Length == 0)
            throw new CenateException(ErrorIds.ScheduleInvalid, CenateErrorKind.InvalidArgument,
                Messages.Format("ScheduleInvalid.10", path),
                Messages.Get("ScheduleInvalid.Action.10"), path);
        return path;
    }

    private static void PlanSystemd(SchedulePlan plan, ScheduleRequest request,
        List<(ScheduleCommand Command, CronSchedule Schedule)> jobs, TimeZoneInfo zone, string zoneId)
    {
        var s = request.Settings;
        foreach (var (command, schedule) in jobs)
        {
            var calendar = SystemdCalendar.From(schedule, command.Job, zoneId);
            var options = new SystemdUnits.Options(request.User, s.EnvironmentFile,
                command.Job == "weekly" ? s.WeeklyMountPoint : null, request.OnFailure);
            var name = Path.Combine(request.UnitDirectory, SystemdUnits.UnitName(command.Job));
            var actions = new[]
            {
                Change(plan, name + ".service", SystemdUnits.Service(command, options)),
                Change(plan, name + ".timer", SystemdUnits.Timer(command, schedule, calendar)),
            };
            var action = actions.All(a => a == "Unchanged") ? "Unchanged"
                : actions.All(a => a == "Created") ? "Created" : "Updated";
            plan.Entries.Add(new(command.Job, ScheduleMode.Systemd, schedule.Text, calendar, zoneId,
                schedule.Next(request.Now, zone, 1, wallClockOnly: true).FirstOrDefault(), command.ShellText,
                name + ".timer", action));
        }
        if (!ScheduleModes.SystemdIsRunning())
            plan.Warnings.Add(Messages.Get("Warning.ScheduleRegistrar.NoSystemd"));
    }

    private static string Change(SchedulePlan plan, string path, string text)
    {
        var old = ScheduleFiles.ReadOwned(path);
        var action = old is null ? "Created" : old == text ? "Unchanged" : "Updated";
        plan.Changes.Add(new(path, text, action, old));
        return action;
    }

    private static void PlanTasks(SchedulePlan plan, ScheduleRequest request,
        List<(ScheduleCommand Command, CronSchedule Schedule)> jobs, TimeZoneInfo zone, string zoneId)
    {
        var start = TimeZoneInfo.ConvertTime(request.Now, zone).Date;
        foreach (var (command, schedule) in jobs)
        {
            var xml = TaskSchedulerXml.Build(command, schedule, request.User, start, TimeSpan.FromHours(12));
            var task = $"\\CenateBackup\\{command.Job}";
            plan.Changes.Add(new(task, xml.Declaration + Environment.NewLine + xml, "Updated"));
            plan.Entries.Add(new(command.Job, ScheduleMode.TaskScheduler, schedule.Text,
                TaskSchedulerXml.Describe(schedule), zoneId, schedule.Next(request.Now, zone, 1).FirstOrDefault(),
                command.ShellText, task, "Updated"));
        }
    }
}
