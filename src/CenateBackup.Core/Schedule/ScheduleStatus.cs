using System;
using System.Collections.Generic;
using System.Linq;

namespace CenateBackup.Core.Schedule;

/// <summary>What Get-CenateBackupSchedule says of a job: its last run and whether an expected run left no
/// record.</summary>
public sealed record ScheduleStatus(DateTimeOffset? LastRun, string LastResult, TimeSpan? LastDuration,
    string Status, DateTimeOffset? MissedAt)
{
    /// <summary>A run counts for an occurrence when it started from 1 minute before to 2 hours after it.</summary>
    public static readonly TimeSpan Before = TimeSpan.FromMinutes(1);
    /// <inheritdoc cref="Before"/>
    public static readonly TimeSpan After = TimeSpan.FromHours(2);
    /// <summary>An occurrence younger than this is not judged yet (the run may still be starting).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The status of a job scheduled by <paramref name="schedule"/> in <paramref name="zone"/> since
    /// <paramref name="registeredAt"/>, given its <paramref name="runs"/>, at <paramref name="now"/>. Missed: the
    /// newest occurrence o with registeredAt &lt; o &lt;= now - 15 min has no run that started in [o - 1 min, o + 2 h].
    /// The newest run without an end record is Running while <paramref name="lockHeld"/> is true or unknown (null),
    /// and Interrupted (Status Failed) when nobody holds the job's lock: it was killed or the machine stopped.
    /// </summary>
    public static ScheduleStatus Analyze(CronSchedule schedule, TimeZoneInfo zone, DateTimeOffset registeredAt,
        DateTimeOffset now, IReadOnlyList<JobRun> runs, bool wallClockOnly = false, bool? lockHeld = null)
    {
        var last = runs.OrderBy(r => r.Start).LastOrDefault();
        if (last is { Result: "Running" } && lockHeld == false) last = last with { Result = "Interrupted" };
        var expected = Expected(schedule, zone, registeredAt, now, wallClockOnly);
        DateTimeOffset? missed = null;
        if (expected is not null && !runs.Any(r => r.Start >= expected - Before && r.Start <= expected + After))
            missed = expected;
        var status = missed is not null ? "Missed"
            : last is null ? "NeverRun"
            : last.Result switch { "Running" => "Running", "Succeeded" => "OK", _ => "Failed" };
        return new ScheduleStatus(last?.Start, last?.Result ?? "None", last?.Duration, status, missed);
    }

    /// <summary>The status of a job from its run logs in <paramref name="logPath"/>: only the newest run and the runs
    /// from the expected occurrence on are read (see <see cref="RunLogReader.ReadRecent"/>).</summary>
    public static ScheduleStatus FromLogs(CronSchedule schedule, TimeZoneInfo zone, DateTimeOffset registeredAt,
        DateTimeOffset now, string logPath, string job, bool wallClockOnly = false, bool? lockHeld = null)
    {
        var expected = Expected(schedule, zone, registeredAt, now, wallClockOnly);
        var runs = RunLogReader.ReadRecent(logPath, job, expected - Before);
        return Analyze(schedule, zone, registeredAt, now, runs, wallClockOnly, lockHeld);
    }

    // The newest occurrence after the registration that is at least Grace old (a long-registered job is judged only
    // on that one), or null.
    private static DateTimeOffset? Expected(CronSchedule schedule, TimeZoneInfo zone, DateTimeOffset registeredAt,
        DateTimeOffset now, bool wallClockOnly)
    {
        var from = registeredAt > now.AddDays(-400) ? registeredAt : now.AddDays(-400);
        var expected = schedule.Between(from, now - Grace, zone, wallClockOnly).LastOrDefault();
        return expected == default ? null : expected;
    }
}
