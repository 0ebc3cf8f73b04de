using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Drift;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Formats;

namespace CenateBackup.Core.Plan;

public sealed partial record PlanSettings
{
    /// <summary>
    /// Reads the settings file's data (the hashtable SettingsFileReader parsed, never ran) of the file at
    /// <paramref name="settingsPath"/> (a full path). Plan keys, alert keys and RowDrop are accepted; any other key, a
    /// value of the wrong type or out of range, a bad schedule is SettingsInvalid (ScheduleInvalid) naming the key.
    /// </summary>
    public static PlanSettings FromData(IDictionary data, string settingsPath, string? home = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(settingsPath);
        var directory = System.IO.Path.GetDirectoryName(settingsPath) ?? "/";
        var v = new PlanValues(data, settingsPath, directory,
            home ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        var alertData = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var key in v.Keys)
        {
            if (Keys.Contains(key, StringComparer.OrdinalIgnoreCase)
                || key.Equals(SettingsFileKeys.RowDrop, StringComparison.OrdinalIgnoreCase)) continue;
            if (!AlertSettings.Keys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw v.Invalid($"unknown key '{key}'. Valid keys: {string.Join(", ", Keys)}, "
                    + $"{SettingsFileKeys.RowDrop} and the alert keys ({string.Join(", ", AlertSettings.Keys)})");
            }
            alertData[key] = v.Raw(key);
        }
        var alerts = AlertSettings.FromData(alertData, settingsPath);
        var host = v.Text("HostName");
        var container = v.Text("Container");
        if (host is not null && container is not null)
            throw v.Invalid("'Container' and 'HostName' are exclusive: give one (docker exec mode or direct TCP mode)");
        var backupPath = v.Path("Path") ?? throw v.Invalid(
            "the key 'Path' (the local backup directory, such as '/backups/cenate') is required");
        var settings = new PlanSettings
        {
            SettingsPath = settingsPath,
            HostName = host,
            Container = host is null ? container ?? "postgres_cenate" : null,
            Port = v.Int("DatabasePort", 1, 65535) ?? 5432,
            Database = v.Text("Database") ?? "maestro_cenate",
            UserName = v.Text("DatabaseUser"),
            DockerHost = v.Text("DockerHost"),
            BackupPath = backupPath,
            CriticalTable = v.Texts("CriticalTable") ?? new[] { "public.asegurados" },
            CompressionLevel = v.Int("CompressionLevel", 0, 9) ?? 6,
            Retention = ReadRetention(v),
            AuditLogRetention = v.Duration("AuditLogRetention") ?? TimeSpan.FromDays(180),
            MaxRowDrop = ReadPercent(v, "MaxRowDrop") ?? "2%",
            Weekly = ReadTarget(v, "Weekly", 90),
            Monthly = ReadTarget(v, "Monthly", 365),
            Monitor = ReadMonitor(v),
            WalArchive = ReadWalArchive(v),
            BaseBackup = ReadBaseBackup(v),
            Standby = ReadStandby(v),
            Drill = ReadDrill(v),
            LogPath = v.Path("LogPath") ?? "/var/log/cenate",
            LogRetention = v.Duration("LogRetention") ?? TimeSpan.FromDays(90),
            StatePath = v.Path("StatePath") ?? "/var/lib/cenate",
            EnvironmentFile = v.Path("EnvironmentFile"),
            TimeZone = ReadTimeZone(v),
            Schedule = ReadSchedule(v),
            Alerts = alerts,
        };
        CheckPaths(v, settings);
        return settings;
    }

    /// <summary>
    /// The backup directory may not be a file system root, and the log and state directories may not be it, hold it
    /// or lie inside it: run logs and locks among the sets would be listed, synced offsite and mixed up with them.
    /// </summary>
    private static void CheckPaths(PlanValues v, PlanSettings s)
    {
        static string Norm(string p) => System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(p));
        var backup = Norm(s.BackupPath);
        if (backup == "/" || System.IO.Path.GetPathRoot(backup) == backup)
        {
            throw v.Invalid($"'Path' is the file system root {s.BackupPath}; give the backup directory itself "
                + "(such as '/backups/cenate')");
        }
        foreach (var (key, value) in new[] { ("LogPath", s.LogPath), ("StatePath", s.StatePath) })
        {
            var other = Norm(value);
            if (Overlaps(backup, other))
            {
                throw v.Invalid($"'{key}' ({value}) and 'Path' ({s.BackupPath}) overlap; the run logs and locks "
                    + "need a directory of their own, outside the backup directory");
            }
        }
    }

    private static bool Overlaps(string a, string b)
    {
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        static string Slash(string p) =>
            p.EndsWith('/') || p.EndsWith('\\') ? p : p + System.IO.Path.DirectorySeparatorChar;
        return string.Equals(a, b, comparison) || Slash(a).StartsWith(Slash(b), comparison)
            || Slash(b).StartsWith(Slash(a), comparison);
    }

    private static PlanRetention ReadRetention(PlanValues v)
    {
        var t = v.Table("Retention", "Daily", "Weekly", "Monthly");
        if (t is null) return new PlanRetention();
        return new PlanRetention
        {
            Daily = t.Int("Daily", 0, 100000) ?? 30, Weekly = t.Int("Weekly", 0, 100000) ?? 90,
            Monthly = t.Int("Monthly", 0, 100000) ?? 365,
        };
    }

    private static PlanOffsiteTarget? ReadTarget(PlanValues v, string key, int keepDays)
    {
        var t = v.Table(key, "Destination", "RequireMountPoint", "RcloneConfig", "Keep");
        if (t is null) return null;
        return new PlanOffsiteTarget
        {
            Destination = t.Destination("Destination") ?? throw t.Invalid($"'{key}.Destination' is required"),
            RequireMountPoint = t.Path("RequireMountPoint"), RcloneConfig = t.Path("RcloneConfig"),
            Keep = t.Int("Keep", 1, 100000) ?? keepDays,
        };
    }

    private static PlanMonitor ReadMonitor(PlanValues v)
    {
        var t = v.Table("Monitor", "MaxAge", "MinimumSize", "WeeklyMaxAge", "MonthlyMaxAge", "When");
        if (t is null) return new PlanMonitor();
        return new PlanMonitor
        {
            MaxAge = t.Duration("MaxAge") ?? TimeSpan.FromHours(26), MinimumSize = t.Size("MinimumSize") ?? 500L << 20,
            WeeklyMaxAge = t.Duration("WeeklyMaxAge") ?? TimeSpan.FromDays(8),
            MonthlyMaxAge = t.Duration("MonthlyMaxAge") ?? TimeSpan.FromDays(32),
            When = t.OneOf("When", "Failure", "Always", "Change") ?? "Change",
        };
    }

    private static PlanWalArchive? ReadWalArchive(PlanValues v)
    {
        var t = v.Table("WalArchive", "Path", "Name", "MaxLag", "MaxRetainedWal");
        if (t is null) return null;
        return new PlanWalArchive
        {
            Path = t.Path("Path") ?? throw t.Invalid("'WalArchive.Path' is required"),
            Name = t.Text("Name"),
            MaxLag = t.Duration("MaxLag") ?? TimeSpan.FromMinutes(5),
            MaxRetainedWal = t.Size("MaxRetainedWal") ?? 5L << 30,
        };
    }

    private static PlanStandby? ReadStandby(PlanValues v)
    {
        var t = v.Table("Standby", "Name", "MaxLag", "MaxRetainedWal");
        if (t is null) return null;
        return new PlanStandby
        {
            Name = t.Text("Name"),
            MaxLag = t.Duration("MaxLag") ?? TimeSpan.FromSeconds(60),
            MaxRetainedWal = t.Size("MaxRetainedWal") ?? 5L << 30,
        };
    }

    private static PlanBaseBackup? ReadBaseBackup(PlanValues v)
    {
        var t = v.Table("BaseBackup", "Path", "CompressionLevel", "MaxAge");
        if (t is null) return null;
        return new PlanBaseBackup
        {
            Path = t.Path("Path") ?? throw t.Invalid("'BaseBackup.Path' is required"),
            CompressionLevel = t.Int("CompressionLevel", 1, 9) ?? 6,
            MaxAge = t.Duration("MaxAge") ?? TimeSpan.FromDays(8),
        };
    }

    private static PlanDrill ReadDrill(PlanValues v)
    {
        var t = v.Table("Drill", "Level", "TargetContainer", "ScratchDatabase");
        if (t is null) return new PlanDrill();
        return new PlanDrill
        {
            Level = t.OneOf("Level", "Checksum", "Read", "Restore") ?? "Restore",
            TargetContainer = t.Text("TargetContainer"), ScratchDatabase = t.Text("ScratchDatabase"),
        };
    }

    private static string? ReadPercent(PlanValues v, string key)
    {
        var text = v.Text(key);
        if (text is null) return null;
        if (!RowDropThreshold.TryParsePercent(text, out var fraction))
            throw v.Invalid($"'{key}' must be a share written with %, such as '2%' (not '{text}')");
        return RowDropThreshold.FormatPercent(fraction);
    }

    private static string? ReadTimeZone(PlanValues v)
    {
        var id = v.Text("TimeZone");
        if (id is null) return null;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id).Id;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw v.Invalid($"'TimeZone' is not a time zone of this machine: '{id}' (an IANA id such as "
                + "'America/Lima')");
        }
    }

    private static IReadOnlyList<KeyValuePair<string, string>> ReadSchedule(PlanValues v)
    {
        if (!v.Has("Schedule")) return DefaultSchedule;
        var t = v.Table("Schedule", Jobs.ToArray());
        if (t is null) return Array.Empty<KeyValuePair<string, string>>();
        var result = new List<KeyValuePair<string, string>>();
        foreach (var job in Jobs)
        {
            var cron = t.Text(job);
            if (cron is null) continue;
            result.Add(KeyValuePair.Create(job, PlanCron.Check(job, cron, v.SettingsPath)));
        }
        return result;
    }
}
