using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Jobs;
using CenateBackup.Core.Schedule;
using CenateBackup.PowerShell.Output;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Shows the registered jobs: schedule, next runs, last result and missed runs.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CenateBackupSchedule")]
[OutputType(typeof(CenateScheduleInfo))]
public sealed class GetCenateBackupScheduleCommand : ScheduleCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 71;

    /// <summary>The settings file whose LogPath and TimeZone to use (default: the one each job runs with).</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Settings { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var mode = ScheduleModes.Resolve(ScheduleModes.Parse(Mode));
        var cronFile = GetUnresolvedProviderPathFromPSPath(CronFile);
        IReadOnlyList<RegisteredJob> jobs = Array.Empty<RegisteredJob>();
        RunTerminating(cronFile, () =>
        {
            if (mode == ScheduleMode.TaskScheduler)
                throw new CenateException(ErrorIds.ScheduleUnsupported, CenateErrorKind.InvalidOperation,
                    Messages.Get("ScheduleUnsupported.4"), null, "TaskScheduler");
            jobs = ScheduleInventory.Read(mode, cronFile, GetUnresolvedProviderPathFromPSPath(UnitDirectory));
        });
        var given = Settings is null ? null : GetUnresolvedProviderPathFromPSPath(Settings);
        var cache = new Dictionary<string, ScheduleSettings>();
        var now = DateTimeOffset.Now;
        foreach (var job in jobs)
        {
            var path = given ?? job.SettingsPath;
            ScheduleSettings? settings = null;
            try
            {
                if (path is not null && !cache.TryGetValue(path, out settings))
                    settings = cache[path] = ScheduleSettingsReader.Read(path);
                var schedule = CronSchedule.Parse(job.Schedule, job.Job);
                // cron runs its lines in the machine's zone; a timer in the zone its OnCalendar names.
                var zone = mode == ScheduleMode.Cron ? TimeZoneInfo.Local
                    : CronSchedule.ResolveZone(job.TimeZone ?? settings?.TimeZone);
                var timer = mode == ScheduleMode.Systemd; // a timer skips a time a DST change removes
                var next = schedule.Next(now, zone, 3, timer).ToArray();
                // A run without an end record whose job lock nobody holds was killed (Interrupted), not Running.
                bool? held = settings?.LockDirectory is { } locks ? JobLock.IsHeld(locks, job.Job) : null;
                ScheduleStatus? status = settings is null ? null : ScheduleStatus.FromLogs(schedule, zone,
                    job.RegisteredAt, now, settings.LogPath, job.Job, timer, held);
                WriteObject(ScheduleOutput.Info(job, path, CronSchedule.ZoneId(zone), next, status));
            }
            catch (Exception ex) when (ex is CenateException or System.IO.IOException or UnauthorizedAccessException)
            {
                WriteError(ToErrorRecord(ex, job.Job));
            }
        }
    }
}
