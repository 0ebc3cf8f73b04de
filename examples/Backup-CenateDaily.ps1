<#
.SYNOPSIS
    The plan's daily backup (2 AM and 2 PM): one set, one moment — the full custom-format dump, the
    data-only SQL of asegurados and its CSV, all read at the same snapshot — verified, then retention.
    Exits non-zero when anything failed, so cron/Task Scheduler report it; with -AlertSettings the admins also get
    one message for the run (Send-CenateAlert).
.EXAMPLE
    # crontab (root):  0 2,14 * * *  pwsh -NoProfile -NonInteractive -File /opt/cenate/Backup-CenateDaily.ps1 -Path /backups/cenate
.NOTES
    For the whole plan on a schedule, prefer the job scripts shipped in the module (<module>/jobs/Daily.ps1, Weekly.ps1,
    Monthly.ps1, Monitor.ps1, Drill.ps1, AuditRetention.ps1): one settings file (New-CenateSettings), run logs,
    a per-job lock (exit 75) and Register-CenateBackupSchedule. This script stays as a standalone example.
    The credential is read from a file made once with:
        Get-Credential cenate | Export-Clixml /root/.cenate-cred.xml   (Windows: DPAPI-protected; Linux: keep it 0600)
    or leave -CredentialPath empty and use ~/.pgpass.
#>
param(
    [Parameter(Mandatory)][string]$Path,
    [string]$Container = 'postgres_cenate',
    [ValidateRange(1, 65535)][int]$Port = 5432,
    [string]$CredentialPath = (Join-Path $HOME '.cenate-cred.xml'),
    [ValidateRange(0, 9)][int]$CompressionLevel = 9,
    # Send-CenateAlert's settings file (examples/cenate-alert.psd1): mail/chat/heartbeat/status for this run.
    [string]$AlertSettings
)
$ErrorActionPreference = 'Stop'
Import-Module CenateBackup
if (Test-Path -LiteralPath $CredentialPath) {
    $PSDefaultParameterValues['New-CenateDump:Credential'] = Import-Clixml -LiteralPath $CredentialPath
}
$PSDefaultParameterValues['New-CenateDump:Container'] = $Container
$PSDefaultParameterValues['New-CenateDump:Port'] = $Port
$PSDefaultParameterValues['New-CenateDump:Path'] = $Path

# One run, one full set: the dump plus asegurados as data-only SQL and as CSV, all of the same moment.
# A step that cannot run at all (container stopped, disk full) is caught: its ErrorRecord is part of the run's report.
# The check also compares asegurados' exact row count with the previous full set's: a loss of more than 2% fails it.
# The alert settings file may also hold RowDrop (per-table thresholds): the check and retention then read the same one,
# so retention keeps the set before exactly the drops the check reports (without it, retention's default is 2% on
# asegurados).
$rowDrop = if ($AlertSettings) { @{ Settings = $AlertSettings } } else { @{} }
$run = @(try {
        New-CenateDump -CompressionLevel $CompressionLevel -Include Csv, Sql | Test-CenateBackup -MaxRowDrop 2% @rowDrop
    } catch { $_ })
$run | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] } | Format-Table -AutoSize | Out-String | Write-Output
$failed = @($run | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] -or $_.Passed -eq $false })
if ($failed.Count -eq 0) {
    # Retention only after a verified backup: the newest good full sets can never go, and nothing goes if backups stopped.
    $run += @(try {
            Remove-CenateOldBackup -Path $Path -KeepDaily 30 -KeepWeekly 90 -KeepMonthly 365 @rowDrop -Confirm:$false
        } catch { $_ })
    $run | Where-Object Action -eq 'Removed' | Format-Table Stamp, Kind, Rule, Reason | Out-String | Write-Output
}
if ($AlertSettings) {
    # One message for the whole run (by default only when it failed); when it failed, Send-CenateAlert writes
    # BackupRunFailed last, which ends this script with exit code 1.
    $run | Send-CenateAlert -Settings $AlertSettings -Job daily
} elseif ($failed.Count -gt 0) {
    Write-Error "Backup failed: $(($failed | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { $_.Exception.Message } else { $_.Summary } }) -join '; ')"
    exit 1
}
