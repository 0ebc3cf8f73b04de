<#
.SYNOPSIS
    The plan's daily backup (02:00 and 14:00): one set of one moment — the full dump plus the critical tables as
    data-only SQL and CSV — read back to the end, then retention, then the statistics. One alert when anything failed.
.DESCRIPTION
    Every value comes from the settings file (New-CenateSettings writes a commented one). Exit codes: 0 success,
    1 failure (the run log and the alert say which step and why), 75 another daily run holds the lock (nothing touched).
    Copy this file and change it freely: each step is one ordinary pipeline of the module's cmdlets.
.EXAMPLE
    pwsh -NoProfile -NonInteractive -File /path/to/CenateBackup/jobs/Daily.ps1 -Settings /etc/cenate/cenate.psd1
#>
param([string]$Settings = '/etc/cenate/cenate.psd1', [switch]$Preflight)
$ErrorActionPreference = 'Stop'
$ErrorView = 'NormalView'               # an error on stderr names its error id (cron mails it to the admin)
Import-Module CenateBackup

# Settings, environment file (PGPASSWORD, CENATE_SMTP_PASSWORD …), log and lock directories, the per-job lock.
$job = Start-CenateJob -Name daily -Settings $Settings -Preflight:$Preflight
if ($job.Locked) { exit 75 }            # another run of this job holds the lock: nothing was touched
if ($Preflight) { exit 0 }              # the scheduler's test run: everything above works
$s = $job.Settings

# The database: a Docker container (pg_dump runs inside it) or a server reached over TCP.
$db = @{ Port = $s.Port; Database = $s.Database }
if ($s.HostName) { $db.HostName = $s.HostName } else { $db.Container = $s.Container }
if ($s.DockerHost -and -not $s.HostName) { $db.DockerHost = $s.DockerHost }
if ($s.UserName) { $db.UserName = $s.UserName }

# 1. The set: dump + SQL + CSV of the critical tables, all read in one snapshot.
$set = Invoke-CenateJobStep $job dump {
    New-CenateDump @db -Path $s.BackupPath -CriticalTable $s.CriticalTable -CompressionLevel $s.CompressionLevel `
        -Include Csv, Sql
}

# 2. Every file read to its end; a critical table that lost more rows than allowed since the previous set fails it
#    (MaxRowDrop, or the per-table thresholds of the settings file's RowDrop key).
Invoke-CenateJobStep $job verify -OnlyIfSucceeded {
    $set | Test-CenateBackup -Level Read -Settings $s.SettingsPath -MaxRowDrop $s.MaxRowDrop
}

# 3. Retention only after a verified set: the newest good sets never go, nothing goes when backups had stopped.
Invoke-CenateJobStep $job retention -OnlyIfSucceeded {
    Remove-CenateOldBackup -Path $s.BackupPath -Database $s.Database -KeepDaily $s.Retention.Daily `
        -KeepWeekly $s.Retention.Weekly -KeepMonthly $s.Retention.Monthly `
        -Settings $s.SettingsPath -MaxRowDrop $s.MaxRowDrop -Confirm:$false |
        Where-Object Action -eq 'Removed'
}

# 4. The statistics of the set (also in the JSON-lines log: bytes and rows of this step).
if ($set) {
    Invoke-CenateJobStep $job statistics {
        [pscustomobject]@{
            Stamp = $set.Stamp; Files = $set.Files.Count; Bytes = $set.TotalSize; Rows = $set.AseguradosRows
            SetsInDirectory = @(Get-CenateBackup -Path $s.BackupPath -Database $s.Database).Count
        }
    } | Format-List | Out-String | Write-Output
}

# The alert (the settings' channels), the end record, old run logs removed, the lock released.
exit (Complete-CenateJob $job).ExitCode
