<#
.SYNOPSIS
    The plan's daily backup (2 AM and 2 PM): full custom-format dump and data-only SQL of asegurados,
    both verified. Exits non-zero when anything failed, so cron/Task Scheduler report it.
.EXAMPLE
    # crontab (root):  0 2,14 * * *  pwsh -NoProfile -NonInteractive -File /opt/cenate/Backup-CenateDaily.ps1 -Path /backups/cenate
.NOTES
    The credential is read from a file made once with:
        Get-Credential cenate | Export-Clixml /root/.cenate-cred.xml   (Windows: DPAPI-protected; Linux: keep it 0600)
    or leave -CredentialPath empty and use ~/.pgpass.
#>
param(
    [Parameter(Mandatory)][string]$Path,
    [string]$Container = 'postgres_cenate',
    [string]$CredentialPath = (Join-Path $HOME '.cenate-cred.xml'),
    [ValidateRange(0, 9)][int]$CompressionLevel = 9
)
$ErrorActionPreference = 'Stop'
Import-Module CenateBackup
if (Test-Path -LiteralPath $CredentialPath) {
    $PSDefaultParameterValues['New-CenateDump:Credential'] = Import-Clixml -LiteralPath $CredentialPath
}
$PSDefaultParameterValues['New-CenateDump:Container'] = $Container
$PSDefaultParameterValues['New-CenateDump:Path'] = $Path

$results = @(
    New-CenateDump -CompressionLevel $CompressionLevel | Test-CenateBackup
    New-CenateDump -Table asegurados -DataOnly -Format Plain | Test-CenateBackup
)
$results | Format-Table -AutoSize | Out-String | Write-Output
# Retention only after a verified backup: the newest good sets can never go, and nothing goes if backups stopped.
Remove-CenateOldBackup -Path $Path -KeepDaily 30 -KeepWeekly 90 -KeepMonthly 365 -Confirm:$false |
    Where-Object Action -eq 'Removed' | Format-Table Stamp, Rule, Reason | Out-String | Write-Output
if ($results.Passed -contains $false) {
    Write-Error "Backup verification failed: $(($results | Where-Object { -not $_.Passed }).Problems -join '; ')"
    exit 1
}
