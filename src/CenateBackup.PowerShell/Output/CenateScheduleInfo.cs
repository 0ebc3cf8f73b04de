using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>A registered job as Get-CenateBackupSchedule sees it: its schedule, next runs and last run.</summary>
public sealed class CenateScheduleInfo
{
    internal CenateScheduleInfo() { }

    /// <summary>The job.</summary>
    public string Job { get; internal set; } = "";
    /// <summary>Systemd or Cron.</summary>
    public string Mode { get; internal set; } = "";
    /// <summary>The cron expression registered.</summary>
    public string Schedule { get; internal set; } = "";
    /// <summary>The zone the scheduler runs it in.</summary>
    public string TimeZone { get; internal set; } = "";
    /// <summary>The next run.</summary>
    public DateTimeOffset? NextRun { get; internal set; }
    /// <summary>The next three runs.</summary>
    public DateTimeOffset[] NextRuns { get; internal set; } = Array.Empty<DateTimeOffset>();
    /// <summary>When the last run started (from its JSON-lines log).</summary>
    public DateTimeOffset? LastRun { get; internal set; }
    /// <summary>Succeeded, Failed, Running (no end record yet, or killed) or None.</summary>
    public string LastResult { get; internal set; } = "None";
    /// <summary>How long the last run took.</summary>
    public TimeSpan? LastDuration { get; internal set; }
    /// <summary>OK, Failed, Missed, NeverRun or Running.</summary>
    public string Status { get; internal set; } = "";
    /// <summary>The expected run that left no record (Status Missed).</summary>
    public DateTimeOffset? MissedAt { get; internal set; }
    /// <summary>The settings file the job runs with.</summary>
    public string? Settings { get; internal set; }
    /// <summary>The cron file or timer unit.</summary>
    public string File { get; internal set; } = "";
}
