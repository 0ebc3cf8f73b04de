using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>One job of a schedule that Register-/Unregister-CenateBackupSchedule wrote, would write or
/// removed.</summary>
public sealed class CenateScheduleEntry
{
    internal CenateScheduleEntry() { }

    /// <summary>The job (daily, weekly, monthly, monitor, drill, auditretention).</summary>
    public string Job { get; internal set; } = "";
    /// <summary>Systemd, Cron or TaskScheduler.</summary>
    public string Mode { get; internal set; } = "";
    /// <summary>The cron expression from the settings.</summary>
    public string Schedule { get; internal set; } = "";
    /// <summary>What the scheduler reads: the OnCalendar value, the cron fields, or the trigger text.</summary>
    public string Calendar { get; internal set; } = "";
    /// <summary>The zone the schedule runs in (IANA id).</summary>
    public string TimeZone { get; internal set; } = "";
    /// <summary>The next run (null for a removed job).</summary>
    public DateTimeOffset? NextRun { get; internal set; }
    /// <summary>The command the scheduler runs (as sh reads it).</summary>
    public string Command { get; internal set; } = "";
    /// <summary>The cron file, the timer unit or the task path.</summary>
    public string File { get; internal set; } = "";
    /// <summary>Created, Updated, Unchanged, WouldWrite or Removed.</summary>
    public string Action { get; internal set; } = "";
}
