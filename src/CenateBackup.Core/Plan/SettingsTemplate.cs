using System;
using System.IO;
using System.Linq;
using System.Text;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Plan;

/// <summary>
/// The commented template of the plan's settings file that New-CenateSettings writes: every plan key with what it
/// does and its default, the alert keys commented out, no secret. It reads back with <see cref="PlanSettings"/>.
/// </summary>
public static class SettingsTemplate
{
    /// <summary>The template's text with the prefilled values (PowerShell single-quoted strings).</summary>
    public static string Text(string backupPath, string container, string logPath, string statePath)
    {
        var t = Template.Replace("{BackupPath}", Quote(backupPath), StringComparison.Ordinal)
            .Replace("{Container}", Quote(container), StringComparison.Ordinal)
            .Replace("{LogPath}", Quote(logPath), StringComparison.Ordinal)
            .Replace("{StatePath}", Quote(statePath), StringComparison.Ordinal)
            .Replace("{EnvironmentFile}", Quote(Path.Combine("/etc/cenate", "cenate.env")), StringComparison.Ordinal);
        return t.Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    /// <summary>Writes the template to <paramref name="path"/> (0600, directory created 0700); an existing file is
    /// SettingsFileExists unless <paramref name="force"/>.</summary>
    public static void Write(string path, string text, bool force)
    {
        if (!force && (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null))
        {
            throw new CenateException(ErrorIds.SettingsFileExists, CenateErrorKind.ResourceExists,
                Messages.Format("SettingsFileExists", path),
                Messages.Get("SettingsFileExists.Action"), path);
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        PrivateDirectory.Create(directory);
        AtomicFileReplace.Write(path, new UTF8Encoding(false).GetBytes(text),
            UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static string Quote(string value)
    {
        if (value.Any(char.IsControl))
            throw new ArgumentException("A prefilled value must not contain control characters.", nameof(value));
        return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    private const string Template = """
# CenateBackup: settings of the backup plan (read by every job: Get-CenateSettings shows them resolved).
# PowerShell data only: constants, no commands or variables. Relative paths are relative to this file, ~ is the
# home directory. Durations need a unit ('90d', '26h'). NO SECRET here: passwords go in the EnvironmentFile below
# (NAME=value lines, chmod 600) or in ~/.pgpass. This file must be writable only by its owner (chmod 600).
@{
    # --- The database -------------------------------------------------------------------------------------------
    # Docker container of the PostgreSQL server (tools run inside it). Remove it and set HostName for direct TCP.
    Container = {Container}
    # HostName = '127.0.0.1'            # direct TCP mode instead of Container (the two are exclusive)
    DatabasePort = 5432                 # the server's port (Port and UserName below are the SMTP relay's)
    Database = 'maestro_cenate'
    # DatabaseUser = 'backup'           # default: the tools' default (PGUSER, the account name)
    # DockerHost = 'unix:///var/run/docker.sock'   # default: DOCKER_HOST or the local socket

    # --- The daily sets -------------------------------------------------------------------------------------------
    Path = {BackupPath}                 # the local backup directory (required)
    CriticalTable = @('public.asegurados')   # tables whose row counts are checked and reported
    CompressionLevel = 6                # pg_dump compression 0-9
    # Local retention (Remove-CenateOldBackup -KeepDaily/-KeepWeekly/-KeepMonthly), in days.
    Retention = @{ Daily = 30; Weekly = 90; Monthly = 365 }
    MaxRowDrop = '2%'                   # a critical table losing more rows than this between sets is an alarm
    AuditLogRetention = '180d'          # the audit log keeps 6 months (Remove-CenateAuditLog -OlderThan)

    # --- Offsite copies (remove a block to leave that copy out) ---------------------------------------------------
    # Both copies take the same keys: Destination (a directory or an rclone remote name:path), RequireMountPoint
    # (a directory destination: refuse to write unless the disk is mounted exactly there), RcloneConfig (an rclone
    # remote: its 0600 config file; none = rclone's default) and Keep (days kept there).
    # Weekly copy to a USB/NAS disk; RequireMountPoint refuses to write when the disk is not mounted.
    Weekly = @{ Destination = '/mnt/backup-externo/cenate'; RequireMountPoint = '/mnt/backup-externo'; Keep = 90 }
    # Monthly copy to an rclone remote (a crypt remote encrypts it) of your own rclone config.
    Monthly = @{ Destination = 'gdrive-crypt:cenate'; RcloneConfig = '/etc/cenate/rclone.conf'; Keep = 365 }

    # --- Monitor and restore drill --------------------------------------------------------------------------------
    Monitor = @{ MaxAge = '26h'; MinimumSize = '500MB'; WeeklyMaxAge = '8d'; MonthlyMaxAge = '32d'; When = 'Change' }
    # The continuous WAL archive, once set up with Start-CenateWalArchive: the monitor fails when its archiver is
    # stopped or disconnected, its slot lost WAL or is near max_slot_wal_keep_size, it is more than MaxLag behind, or
    # the slot holds more than MaxRetainedWal on the server (Name: the archiver's, when there are several).
    # WalArchive = @{ Path = '/backups/cenate/wal'; MaxLag = '5m'; MaxRetainedWal = '5GB' }
    # A weekly base backup beside it (the weekly job: New-CenateBaseBackup, pg_verifybackup, retention of the base sets
    # with the Retention key's days); the monitor fails when the newest verified one is older than MaxAge.
    # BaseBackup = @{ Path = '/backups/cenate/base'; CompressionLevel = 6; MaxAge = '8d' }
    # A streaming standby, once built with New-CenateStandby: the monitor fails when it is stopped, disconnected or
    # promoted, its slot lost WAL or is near max_slot_wal_keep_size, it is more than MaxLag behind (or behind by an
    # unknown time), or its slot holds more than MaxRetainedWal on the primary (Name: leave out to check every standby).
    # Standby = @{ Name = 'postgres_cenate_standby'; MaxLag = '60s'; MaxRetainedWal = '5GB' }
    # Level Restore restores the newest set into a scratch database (default: on the source's server).
    Drill = @{ Level = 'Restore' }     # also TargetContainer = '…'; ScratchDatabase = '…'

    # --- Logs, state, secrets -------------------------------------------------------------------------------------
    LogPath = {LogPath}                 # run logs (<job>-<time>Z.log and .jsonl), 0600
    LogRetention = '90d'                # each job removes its own logs older than this
    StatePath = {StatePath}             # job locks (<StatePath>/locks)
    # NAME=value lines loaded before each job: PGPASSWORD=…, CENATE_SMTP_PASSWORD=…
    # (only PG*, CENATE_* and DOCKER_HOST may be set).
    # Under systemd, LoadCredential=cenate.env:<file> is used instead when present.
    # EnvironmentFile = {EnvironmentFile}

    # --- Schedule (5-field cron: minute hour day-of-month month day-of-week; remove a line to leave a job out) -----
    # TimeZone = 'America/Lima'         # the schedule's time zone; default: the machine's
    Schedule = @{
        Daily = '0 2,14 * * *'          # the daily set at 02:00 and 14:00
        Weekly = '0 3 * * 0'            # the weekly copy, Sunday 03:00
        Monthly = '0 4 1 * *'           # the monthly copy, the 1st at 04:00
        Monitor = '0 10 * * *'          # the monitor, 10:00
        Drill = '0 6 2 * *'             # the restore drill, the 2nd at 06:00
        AuditRetention = '30 4 * * 0'   # the audit log retention, Sunday 04:30
    }

    # --- Alerts (Send-CenateAlert's keys; uncomment the channels you use) ------------------------------------------
    # SmtpServer = 'smtp.example.org'
    # Port = 587                        # the SMTP relay's port
    # Security = 'StartTls'
    # From = 'backups@example.org'
    # To = @('dba@example.org')
    # UserName = 'backups@example.org'  # the SMTP account
    # PasswordVariable = 'CENATE_SMTP_PASSWORD'   # set in the EnvironmentFile, never here
    # WebhookUri = 'https://hooks.example.org/…'
    # WebhookFormat = 'Json'
    # HeartbeatUri = 'https://hc-ping.com/…'
    # StatusPath = '/var/lib/cenate/status.json'
}
""";
}
