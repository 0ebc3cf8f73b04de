using System;
using System.Collections.Generic;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Formats;

namespace CenateBackup.Core.Plan;

/// <summary>
/// The plan's settings file, read and resolved: every job of the plan (daily, weekly, monthly, monitor, drill,
/// auditretention) reads its values from here. Paths are full (relative ones resolved against the file's directory,
/// ~ against the home directory), durations are TimeSpans, schedules are checked 5-field cron expressions.
/// The same file holds Send-CenateAlert's keys (<see cref="Alerts"/>) and the drift check's RowDrop.
/// </summary>
public sealed partial record PlanSettings
{
    /// <summary>The plan's own keys (the alert keys and RowDrop are the other features').</summary>
    public static IReadOnlyList<string> Keys => SettingsFileKeys.Plan;

    /// <summary>The jobs a schedule may name, in the order they are listed.</summary>
    public static IReadOnlyList<string> Jobs { get; } =
        new[] { "daily", "weekly", "monthly", "monitor", "drill", "auditretention" };

    /// <summary>The full path of the settings file.</summary>
    public string SettingsPath { get; init; } = "";
    /// <summary>Docker container of the server (docker exec mode); null in direct TCP mode.</summary>
    public string? Container { get; init; } = "postgres_cenate";
    /// <summary>Server host (direct TCP mode); null in container mode.</summary>
    public string? HostName { get; init; }
    /// <summary>Server port (key DatabasePort).</summary>
    public int Port { get; init; } = 5432;
    /// <summary>Database.</summary>
    public string Database { get; init; } = "maestro_cenate";
    /// <summary>Database user (key DatabaseUser); null = the tools' default.</summary>
    public string? UserName { get; init; }
    /// <summary>Docker endpoint; null = DOCKER_HOST or the local socket.</summary>
    public string? DockerHost { get; init; }
    /// <summary>The local backup directory (key Path).</summary>
    public string BackupPath { get; init; } = "";
    /// <summary>Critical tables (row drift, statistics).</summary>
    public IReadOnlyList<string> CriticalTable { get; init; } = new[] { "public.asegurados" };
    /// <summary>pg_dump compression level 0-9.</summary>
    public int CompressionLevel { get; init; } = 6;
    /// <summary>Local retention (Remove-CenateOldBackup).</summary>
    public PlanRetention Retention { get; init; } = new();
    /// <summary>Remove-CenateAuditLog -OlderThan.</summary>
    public TimeSpan AuditLogRetention { get; init; } = TimeSpan.FromDays(180);
    /// <summary>Row drift threshold ("2%").</summary>
    public string MaxRowDrop { get; init; } = "2%";
    /// <summary>The weekly copy; null when not configured.</summary>
    public PlanOffsiteTarget? Weekly { get; init; }
    /// <summary>The monthly copy; null when not configured.</summary>
    public PlanOffsiteTarget? Monthly { get; init; }
    /// <summary>The monitor's thresholds.</summary>
    public PlanMonitor Monitor { get; init; } = new();
    /// <summary>The continuous WAL archive the monitor checks; null when not configured.</summary>
    public PlanWalArchive? WalArchive { get; init; }
    /// <summary>The weekly base backup (point-in-time recovery); null when not configured.</summary>
    public PlanBaseBackup? BaseBackup { get; init; }
    /// <summary>The streaming standby the monitor checks; null when none is configured.</summary>
    public PlanStandby? Standby { get; init; }
    /// <summary>The restore drill's parameters.</summary>
    public PlanDrill Drill { get; init; } = new();
    /// <summary>Directory of the run logs.</summary>
    public string LogPath { get; init; } = "/var/log/cenate";
    /// <summary>Age after which a job removes its own run logs.</summary>
    public TimeSpan LogRetention { get; init; } = TimeSpan.FromDays(90);
    /// <summary>State directory (locks in &lt;StatePath&gt;/locks).</summary>
    public string StatePath { get; init; } = "/var/lib/cenate";
    /// <summary>0600 file of NAME=value lines loaded by Start-CenateJob; null = none.</summary>
    public string? EnvironmentFile { get; init; }
    /// <summary>IANA time zone of the schedule; null = the machine's.</summary>
    public string? TimeZone { get; init; }
    /// <summary>job → 5-field cron expression, jobs in <see cref="Jobs"/> order; a job not listed is not
    /// scheduled.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Schedule { get; init; } = DefaultSchedule;
    /// <summary>The alert keys of the same file (validated as Send-CenateAlert reads them).</summary>
    public AlertSettings Alerts { get; init; } = new();

    /// <summary>True when the file names an alert channel (mail, webhook, heartbeat or status file).</summary>
    public bool HasAlerts => Alerts.SmtpServer is not null || Alerts.WebhookUri is not null
        || Alerts.HeartbeatUri is not null || Alerts.StatusPath is not null;

    /// <summary>The lock directory, &lt;StatePath&gt;/locks.</summary>
    public string LockDirectory => System.IO.Path.Combine(StatePath, "locks");

    /// <summary>The schedule when the file has no Schedule key.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> DefaultSchedule { get; } = new[]
    {
        KeyValuePair.Create("daily", "0 2,14 * * *"), KeyValuePair.Create("weekly", "0 3 * * 0"),
        KeyValuePair.Create("monthly", "0 4 1 * *"), KeyValuePair.Create("monitor", "0 10 * * *"),
        KeyValuePair.Create("drill", "0 6 2 * *"), KeyValuePair.Create("auditretention", "30 4 * * 0"),
    };
}

/// <summary>Local retention of daily sets (Remove-CenateOldBackup -KeepDaily/-KeepWeekly/-KeepMonthly).</summary>
public sealed record PlanRetention
{
    /// <summary>Days of daily sets.</summary>
    public int Daily { get; init; } = 30;
    /// <summary>Days of weekly sets.</summary>
    public int Weekly { get; init; } = 90;
    /// <summary>Days of monthly sets.</summary>
    public int Monthly { get; init; } = 365;
}

/// <summary>An offsite copy of the plan (Weekly: a USB disk or NAS; Monthly: usually an rclone crypt remote); both
/// take the same keys.</summary>
public sealed record PlanOffsiteTarget
{
    /// <summary>Directory (full path) or rclone remote name:path.</summary>
    public string Destination { get; init; } = "";
    /// <summary>Mount point a directory destination must be on; null = no check.</summary>
    public string? RequireMountPoint { get; init; }
    /// <summary>rclone config file for a remote destination; null = rclone's default.</summary>
    public string? RcloneConfig { get; init; }
    /// <summary>Days kept there (Weekly 90, Monthly 365 unless Keep says otherwise).</summary>
    public int Keep { get; init; }
}

/// <summary>The monitor's thresholds (Test-CenateBackup -MaxAge/-MinimumSize and Send-CenateAlert -When).</summary>
public sealed record PlanMonitor
{
    /// <summary>Newest local set must be younger.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(26);
    /// <summary>Newest local set must be larger (bytes).</summary>
    public long MinimumSize { get; init; } = 500L << 20;
    /// <summary>Newest weekly copy must be younger.</summary>
    public TimeSpan WeeklyMaxAge { get; init; } = TimeSpan.FromDays(8);
    /// <summary>Newest monthly copy must be younger.</summary>
    public TimeSpan MonthlyMaxAge { get; init; } = TimeSpan.FromDays(32);
    /// <summary>Failure, Always or Change.</summary>
    public string When { get; init; } = "Change";
}

/// <summary>The continuous WAL archive (Start-CenateWalArchive sets it up; the monitor checks it with Get-CenateWalArchive).</summary>
public sealed record PlanWalArchive
{
    /// <summary>Its directory on this machine.</summary>
    public string Path { get; init; } = "";
    /// <summary>The archiver container's name; null = the one archiver of the database's container.</summary>
    public string? Name { get; init; }
    /// <summary>The monitor fails when the archive is further behind than this.</summary>
    public TimeSpan MaxLag { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>The monitor fails when the slot holds more WAL on the server than this (bytes).</summary>
    public long MaxRetainedWal { get; init; } = 5L << 30;
}

/// <summary>The streaming standby (New-CenateStandby builds it; the monitor checks it with Get-CenateReplicationStatus).</summary>
public sealed record PlanStandby
{
    /// <summary>The standby container's name; null = every standby of the database's container.</summary>
    public string? Name { get; init; }
    /// <summary>The monitor fails when the standby is further behind than this (or behind by an unknown time).</summary>
    public TimeSpan MaxLag { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>The monitor fails when the standby's slot holds more WAL on the primary than this (bytes).</summary>
    public long MaxRetainedWal { get; init; } = 5L << 30;
}

/// <summary>
/// The weekly base backup (New-CenateBaseBackup, verified with pg_verifybackup, then retention of the base sets); the
/// monitor fails when the newest verified base set is older than <see cref="MaxAge"/>.
/// </summary>
public sealed record PlanBaseBackup
{
    /// <summary>Its directory on this machine (not the dumps' directory).</summary>
    public string Path { get; init; } = "";
    /// <summary>gzip level 1–9.</summary>
    public int CompressionLevel { get; init; } = 6;
    /// <summary>The newest base set must be younger (the monitor; retention keeps every base set when it is not).</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(8);
}

/// <summary>The monthly restore drill (Test-CenateBackup -Level Restore).</summary>
public sealed record PlanDrill
{
    /// <summary>Checksum, Read or Restore.</summary>
    public string Level { get; init; } = "Restore";
    /// <summary>Container to restore into; null = the source's server.</summary>
    public string? TargetContainer { get; init; }
    /// <summary>Scratch database name; null = the module's generated one.</summary>
    public string? ScratchDatabase { get; init; }
}
