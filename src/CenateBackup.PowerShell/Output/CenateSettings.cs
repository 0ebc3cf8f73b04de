using System;
using System.Collections;
using System.Collections.Specialized;

namespace CenateBackup.PowerShell.Output;

/// <summary>
/// The plan's settings file, read and resolved by Get-CenateSettings (and by Start-CenateJob, as $job.Settings): full
/// paths, durations as TimeSpans, the schedule checked. Job scripts take their parameters from here.
/// </summary>
public sealed class CenateSettings
{
    internal CenateSettings() { }

    /// <summary>The settings file.</summary>
    public string SettingsPath { get; internal set; } = "";
    /// <summary>Docker container of the server (docker exec mode); null in direct TCP mode.</summary>
    public string? Container { get; internal set; }
    /// <summary>Server host (direct TCP mode); null in container mode.</summary>
    public string? HostName { get; internal set; }
    /// <summary>Database server port (key DatabasePort).</summary>
    public int Port { get; internal set; }
    /// <summary>Database.</summary>
    public string Database { get; internal set; } = "";
    /// <summary>Database user (key DatabaseUser); null = the tools' default.</summary>
    public string? UserName { get; internal set; }
    /// <summary>Docker endpoint; null = DOCKER_HOST or the local socket.</summary>
    public string? DockerHost { get; internal set; }
    /// <summary>The local backup directory (key Path).</summary>
    public string BackupPath { get; internal set; } = "";
    /// <summary>Critical tables.</summary>
    public string[] CriticalTable { get; internal set; } = Array.Empty<string>();
    /// <summary>pg_dump compression level.</summary>
    public int CompressionLevel { get; internal set; }
    /// <summary>Daily, Weekly, Monthly: Remove-CenateOldBackup -KeepDaily/-KeepWeekly/-KeepMonthly.</summary>
    public Hashtable Retention { get; internal set; } = new();
    /// <summary>Remove-CenateAuditLog -OlderThan.</summary>
    public TimeSpan AuditLogRetention { get; internal set; }
    /// <summary>Row drift threshold ("2%").</summary>
    public string MaxRowDrop { get; internal set; } = "";
    /// <summary>Destination, RequireMountPoint, RcloneConfig, Keep; null when no weekly copy is configured.</summary>
    public Hashtable? Weekly { get; internal set; }
    /// <summary>Destination, RequireMountPoint, RcloneConfig, Keep; null when no monthly copy is configured.</summary>
    public Hashtable? Monthly { get; internal set; }
    /// <summary>MaxAge, MinimumSize (bytes), WeeklyMaxAge, MonthlyMaxAge, When.</summary>
    public Hashtable Monitor { get; internal set; } = new();
    /// <summary>The WAL archive the monitor checks (Path, Name, MaxLag, MaxRetainedWal); null when not configured.</summary>
    public Hashtable? WalArchive { get; internal set; }
    /// <summary>The streaming standby the monitor checks (Name, MaxLag, MaxRetainedWal); null when not configured.</summary>
    public Hashtable? Standby { get; internal set; }
    /// <summary>The weekly base backup (Path, CompressionLevel, MaxAge); null when not configured.</summary>
    public Hashtable? BaseBackup { get; internal set; }
    /// <summary>Level, TargetContainer, ScratchDatabase.</summary>
    public Hashtable Drill { get; internal set; } = new();
    /// <summary>Directory of the run logs.</summary>
    public string LogPath { get; internal set; } = "";
    /// <summary>Age after which a job removes its own run logs.</summary>
    public TimeSpan LogRetention { get; internal set; }
    /// <summary>State directory (job locks in its locks folder).</summary>
    public string StatePath { get; internal set; } = "";
    /// <summary>0600 file of NAME=value lines; null = none.</summary>
    public string? EnvironmentFile { get; internal set; }
    /// <summary>IANA time zone of the schedule; null = the machine's.</summary>
    public string? TimeZone { get; internal set; }
    /// <summary>job → 5-field cron expression (jobs not listed are not scheduled).</summary>
    public OrderedDictionary Schedule { get; internal set; } = new();
    /// <summary>True when the file names an alert channel (the jobs then alert through Send-CenateAlert).</summary>
    public bool HasAlerts { get; internal set; }

    /// <summary>The settings file (as SettingsPath): Send-CenateAlert -Settings and others bind it by name.</summary>
    public string Path => SettingsPath;

    /// <summary>The Core settings this object was made from.</summary>
    internal object? Source { get; set; }
}
