using System;
using System.IO;

namespace CenateBackup.Core.Schedule;

/// <summary>Which scheduler runs the jobs.</summary>
public enum ScheduleMode
{
    /// <summary>Systemd when systemd is PID 1, cron otherwise on Linux, Task Scheduler on Windows.</summary>
    Auto,
    /// <summary>systemd timer + oneshot service per job.</summary>
    Systemd,
    /// <summary>One module-owned /etc/cron.d file.</summary>
    Cron,
    /// <summary>Windows Task Scheduler tasks from task XML.</summary>
    TaskScheduler,
}

/// <summary>Resolves <see cref="ScheduleMode.Auto"/> on this machine.</summary>
public static class ScheduleModes
{
    /// <summary>True when systemd is PID 1 (so systemctl can enable timers).</summary>
    public static bool SystemdIsRunning()
    {
        try
        {
            return OperatingSystem.IsLinux() && File.ReadAllText("/proc/1/comm").Trim() == "systemd";
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The mode named <paramref name="name"/> (the cmdlets' -Mode text).</summary>
    public static ScheduleMode Parse(string name) => Enum.Parse<ScheduleMode>(name, ignoreCase: true);

    /// <summary>The concrete mode of <paramref name="mode"/>.</summary>
    public static ScheduleMode Resolve(ScheduleMode mode) => mode != ScheduleMode.Auto ? mode
        : OperatingSystem.IsWindows() ? ScheduleMode.TaskScheduler
        : SystemdIsRunning() ? ScheduleMode.Systemd : ScheduleMode.Cron;
}
