<#
.SYNOPSIS
    The plan's audit log retention (Sunday 04:30): the audit entries (deleted/updated rows of the critical tables,
    kept by Install-CenateAuditTrigger's triggers) older than AuditLogRetention (the plan: 180d) are deleted.
.DESCRIPTION
    Exit codes: 0 success, 1 failure (alerted), 75 another run holds the lock (nothing touched).
.EXAMPLE
    pwsh -NoProfile -NonInteractive -File <module>/jobs/AuditRetention.ps1 -Settings /etc/cenate/cenate.psd1
#>
param([string]$Settings = '/etc/cenate/cenate.psd1', [switch]$Preflight)
$ErrorActionPreference = 'Stop'
$ErrorView = 'NormalView'               # an error on stderr names its error id (cron mails it to the admin)
Import-Module CenateBackup

$job = Start-CenateJob -Name auditretention -Settings $Settings -Preflight:$Preflight
if ($job.Locked) { exit 75 }            # another run of this job holds the lock: nothing was touched
if ($Preflight) { exit 0 }
$s = $job.Settings

$db = @{ Port = $s.Port; Database = $s.Database }
if ($s.HostName) { $db.HostName = $s.HostName } else { $db.Container = $s.Container }
if ($s.DockerHost -and -not $s.HostName) { $db.DockerHost = $s.DockerHost }
if ($s.UserName) { $db.UserName = $s.UserName }

# Entries logged longer ago than AuditLogRetention go; the newer ones stay for Restore-CenateDeletedRow.
Invoke-CenateJobStep $job purge {
    Remove-CenateAuditLog @db -OlderThan $s.AuditLogRetention -Confirm:$false
} | Format-Table -AutoSize | Out-String | Write-Output

exit (Complete-CenateJob $job).ExitCode
