using System.Collections;
using System.Collections.Specialized;
using System.Linq;
using CenateBackup.Core.Plan;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>Reads the plan's settings file (data only, trusted: see <see cref="SettingsFileReader"/>) and makes the
/// public <see cref="CenateSettings"/> of it.</summary>
internal static class PlanSettingsReader
{
    /// <summary>The default settings file of the plan.</summary>
    public const string DefaultPath = "/etc/cenate/cenate.psd1";

    public static PlanSettings Read(string path) =>
        PlanSettings.FromData(SettingsFileReader.ReadData(path, "settings", "Get-Help Get-CenateSettings"), path);

    public static CenateSettings ToOutput(PlanSettings s)
    {
        var schedule = new OrderedDictionary();
        foreach (var (job, cron) in s.Schedule) schedule[job] = cron;
        return new CenateSettings
        {
            SettingsPath = s.SettingsPath, Container = s.Container, HostName = s.HostName, Port = s.Port,
            Database = s.Database, UserName = s.UserName, DockerHost = s.DockerHost, BackupPath = s.BackupPath,
            CriticalTable = s.CriticalTable.ToArray(), CompressionLevel = s.CompressionLevel,
            Retention = new Hashtable
            {
                ["Daily"] = s.Retention.Daily, ["Weekly"] = s.Retention.Weekly, ["Monthly"] = s.Retention.Monthly,
            },
            AuditLogRetention = s.AuditLogRetention, MaxRowDrop = s.MaxRowDrop,
            Weekly = s.Weekly is { } w ? new Hashtable
            {
                ["Destination"] = w.Destination, ["RequireMountPoint"] = w.RequireMountPoint,
                ["RcloneConfig"] = w.RcloneConfig, ["Keep"] = w.Keep,
            } : null,
            Monthly = s.Monthly is { } m ? new Hashtable
            {
                ["Destination"] = m.Destination, ["RequireMountPoint"] = m.RequireMountPoint,
                ["RcloneConfig"] = m.RcloneConfig, ["Keep"] = m.Keep,
            } : null,
            Monitor = new Hashtable
            {
                ["MaxAge"] = s.Monitor.MaxAge, ["MinimumSize"] = s.Monitor.MinimumSize,
                ["WeeklyMaxAge"] = s.Monitor.WeeklyMaxAge, ["MonthlyMaxAge"] = s.Monitor.MonthlyMaxAge,
                ["When"] = s.Monitor.When,
            },
            WalArchive = s.WalArchive is { } wal ? new Hashtable
            {
                ["Path"] = wal.Path, ["Name"] = wal.Name, ["MaxLag"] = wal.MaxLag, ["MaxRetainedWal"] = wal.MaxRetainedWal,
            } : null,
            Standby = s.Standby is { } sb ? new Hashtable
            {
                ["Name"] = sb.Name, ["MaxLag"] = sb.MaxLag, ["MaxRetainedWal"] = sb.MaxRetainedWal,
            } : null,
            BaseBackup = s.BaseBackup is { } b ? new Hashtable
            {
                ["Path"] = b.Path, ["CompressionLevel"] = b.CompressionLevel, ["MaxAge"] = b.MaxAge,
            } : null,
            Drill = new Hashtable
            {
                ["Level"] = s.Drill.Level, ["TargetContainer"] = s.Drill.TargetContainer,
                ["ScratchDatabase"] = s.Drill.ScratchDatabase,
            },
            LogPath = s.LogPath, LogRetention = s.LogRetention, StatePath = s.StatePath,
            EnvironmentFile = s.EnvironmentFile, TimeZone = s.TimeZone, Schedule = schedule, HasAlerts = s.HasAlerts,
            Source = s,
        };
    }
}
