using System.Management.Automation;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// What Register-, Get- and Unregister-CenateBackupSchedule share: which scheduler, and where its files are.
/// </summary>
public abstract class ScheduleCmdletBase : CenateCmdletBase
{
    internal const string DefaultCronFile = "/etc/cron.d/cenate-backup";
    internal const string DefaultUnitDirectory = "/etc/systemd/system";

    /// <summary>Which scheduler (default Auto: systemd when it is PID 1, else cron; Task Scheduler on Windows).</summary>
    [Parameter]
    [ValidateSet("Auto", "Systemd", "Cron", "TaskScheduler")]
    public string Mode { get; set; } = "Auto";

    /// <summary>The cron file (default /etc/cron.d/cenate-backup).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string CronFile { get; set; } = DefaultCronFile;

    /// <summary>Where the systemd units are (default /etc/systemd/system).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string UnitDirectory { get; set; } = DefaultUnitDirectory;
}
