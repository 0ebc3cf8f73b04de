<#
.SYNOPSIS
    The plan's main job, as a demo: full dump, data-only SQL and CSV of asegurados at one snapshot, verification, a restore drill,
    an undelete, an encrypted offsite copy and the run's alert (mail + status file).
.DESCRIPTION
    Run by scripts/demo.sh against a throwaway container. The password comes from the environment
    (CENATE_DEMO_PASSWORD) into a PSCredential; it is never put on a command line.
#>
param(
    [Parameter(Mandatory)][string]$ModulePath,
    [string]$Container = 'postgres_cenate',
    [int]$Port = 5432,
    [Parameter(Mandatory)][string]$BackupPath
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$cred = [pscredential]::new('cenate', (ConvertTo-SecureString $env:CENATE_DEMO_PASSWORD -AsPlainText -Force))
$PSDefaultParameterValues['New-CenateDump:Container'] = $Container
$PSDefaultParameterValues['New-CenateDump:Port'] = $Port
$PSDefaultParameterValues['New-CenateDump:Credential'] = $cred
$PSDefaultParameterValues['New-CenateDump:Path'] = $BackupPath

Write-Host "`n== 1. The daily set from container '$Container': full dump (level 9) + data-only SQL + CSV of asegurados, one snapshot ==" -ForegroundColor Cyan
$full = New-CenateDump -CompressionLevel 9 -Include Csv, Sql
$full | Format-Table
$full.Files | Format-Table

Write-Host "== 2. Every file holds the snapshot's asegurados rows ==" -ForegroundColor Cyan
$full.Files | Where-Object Rows | Select-Object Name, Rows, @{ n = 'ManifestRows'; e = { $full.AseguradosRows } }, @{ n = 'Match'; e = { $_.Rows -eq $full.AseguradosRows } } | Format-Table

Write-Host "== 3. Verification: sha256 against the manifest + a full read of every file + CSV/SQL row counts ==" -ForegroundColor Cyan
$checks = $full | Test-CenateBackup
$checks | Format-Table

Write-Host "== 4. Restore drill: the dump restored into a scratch database, every table counted, keys/indexes/triggers compared, dropped ==" -ForegroundColor Cyan
$drill = $full | Test-CenateBackup -Level Restore -Container $Container -Port $Port -Credential $cred -Confirm:$false
$drill | Format-Table
$drill | Format-List Summary, DrillDatabase, DrillServer, RestoreDuration, ObjectsChecked, Checks
$drill.Tables | Format-Table
$restored = ($drill.Tables | Where-Object Table -eq 'public.asegurados').Restored

Write-Host "== 4b. The daily monitor: the newest set of the directory, under 26 hours old, its dump at least 1 MB ==" -ForegroundColor Cyan
$monitor = Test-CenateBackup -Path $BackupPath -MaxAge 26h -MinimumSize 1MB -Level Checksum
$monitor | Format-Table
$monitor.Summary

Write-Host "== 5. Statistics of the run ==" -ForegroundColor Cyan
$files = $full.Files
[pscustomobject]@{
    Sets          = 1
    Files         = $files.Count
    TotalMB       = [math]::Round(($files | Measure-Object -Sum Size).Sum / 1MB, 1)
    Asegurados    = $full.AseguradosRows
    AllVerified   = -not ($checks.Passed -contains $false)
    DrillPassed   = $drill.Passed
} | Format-Table
Get-ChildItem -LiteralPath $BackupPath | Format-Table Mode, Length, Name

Write-Host "== 6. The sets on disk, from their manifests, and what retention would do (-WhatIf) ==" -ForegroundColor Cyan
Get-CenateBackup -Path $BackupPath | Format-Table
$ps = [powershell]::Create()
$ps.AddScript("Import-Module '$ModulePath'; Remove-CenateOldBackup -Path '$BackupPath' -WhatIf").Invoke() | Format-Table Action, Rule, Stamp, Reason
$ps.Dispose()

Write-Host "== 7. Undelete: 1,000 asegurados deleted by mistake, then exactly those rows put back from the set ==" -ForegroundColor Cyan
$env:PGPASSWORD = $env:CENATE_DEMO_PASSWORD
try {
    & psql -X -q -h 127.0.0.1 -p $Port -U cenate -d maestro_cenate -c 'DELETE FROM public.asegurados WHERE id IN (SELECT id FROM public.asegurados ORDER BY random() LIMIT 1000)' | Out-Null
} finally { Remove-Item env:PGPASSWORD }
$undelete = Restore-CenateTable -Backup $full -Container $Container -Port $Port -Credential $cred -Mode MissingRows -Confirm:$false
$undelete | Format-Table

Write-Host "== 8. Offsite: the newest verified set to an encrypted rclone remote (crypt over a local directory standing in for the cloud) ==" -ForegroundColor Cyan
# The demo's own rclone config, 0600 in a private directory; the crypt password goes to `rclone obscure -` on stdin,
# never on a command line. In production: /etc/cenate/rclone.conf, and the password also kept off the server.
$offsite = "$($BackupPath.TrimEnd('/'))-offsite"
New-Item -ItemType Directory -Path $offsite | Out-Null
if (-not $IsWindows) { [IO.File]::SetUnixFileMode($offsite, [IO.UnixFileMode]'UserRead, UserWrite, UserExecute') }
function ConvertTo-Obscured([string]$Plain) {
    $psi = [Diagnostics.ProcessStartInfo]::new('rclone'); $psi.ArgumentList.Add('obscure'); $psi.ArgumentList.Add('-')
    $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true; $psi.UseShellExecute = $false
    $p = [Diagnostics.Process]::Start($psi); $p.StandardInput.Write($Plain); $p.StandardInput.Close()
    $o = $p.StandardOutput.ReadToEnd().Trim(); $p.WaitForExit(); $o
}
$conf = Join-Path $offsite 'rclone.conf'
$secret = [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(24))
$salt = [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(24))
Set-Content -LiteralPath $conf -Value "[demo-crypt]`ntype = crypt`nremote = $(Join-Path $offsite 'cloud')`npassword = $(ConvertTo-Obscured $secret)`npassword2 = $(ConvertTo-Obscured $salt)`n"
if (-not $IsWindows) { [IO.File]::SetUnixFileMode($conf, [IO.UnixFileMode]'UserRead, UserWrite') }
$copy = Get-CenateBackup -Path $BackupPath -Verified -Newest 1 | Sync-CenateOffsite -Destination demo-crypt:cenate -RcloneConfig $conf
$copy | Format-Table
Write-Host 'What the cloud sees (names and contents encrypted):'
Get-ChildItem -LiteralPath (Join-Path $offsite 'cloud') -Recurse -File | Format-Table Length, Name
$offsiteCheck = Test-CenateBackup -Path demo-crypt:cenate -MaxAge 26h -Level Checksum -RcloneConfig $conf
$offsiteCheck | Format-Table

Write-Host "== 9. Alerts: the run's report mailed through a local SMTP relay (smtp4dev, 127.0.0.1), and a status file for Zabbix ==" -ForegroundColor Cyan
# smtp4dev stands in for the hospital's relay: its own HOME and working directory in a private directory, its mail in
# memory; stopped by its pid at the end. In production: Send-CenateAlert -Settings /etc/cenate/alert.psd1 (README).
$alerts = "$($BackupPath.TrimEnd('/'))-alerts"
New-Item -ItemType Directory -Path (Join-Path $alerts 'home') -Force | Out-Null
if (-not $IsWindows) { [IO.File]::SetUnixFileMode($alerts, [IO.UnixFileMode]'UserRead, UserWrite, UserExecute') }
$smtp4dev = @((Join-Path $HOME '.dotnet/tools/smtp4dev'), (Get-Command smtp4dev -ErrorAction SilentlyContinue).Source) |
    Where-Object { $_ -and (Test-Path -LiteralPath $_) } | Select-Object -First 1
$psi = [Diagnostics.ProcessStartInfo]::new($smtp4dev)
foreach ($a in "--baseappdatapath=$alerts", '--db=', '--nousersettings', '--imapport=', '--pop3port=',
        '--bindaddress=127.0.0.1', '--hostname=localhost', '--tlsmode=None', '--smtpport=56025',
        '--urls=http://127.0.0.1:56080') { $psi.ArgumentList.Add($a) }
$psi.WorkingDirectory = $alerts; $psi.Environment['HOME'] = Join-Path $alerts 'home'
$psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.UseShellExecute = $false
$relay = [Diagnostics.Process]::Start($psi)
$relay.BeginOutputReadLine(); $relay.BeginErrorReadLine()
try {
    $deadline = (Get-Date).AddSeconds(60)
    while ($true) {
        try { Invoke-RestMethod http://127.0.0.1:56080/api/messages -TimeoutSec 2 | Out-Null; break } catch {
            if ((Get-Date) -gt $deadline -or $relay.HasExited) { throw "smtp4dev did not start: $_" }
            Start-Sleep -Milliseconds 300
        }
    }
    # The run's results, one message (-When Always: also when all is well); -Security None only because the relay is
    # on this machine. Spanish, as the admins read it.
    $alert = @($full; $checks; $drill; $monitor; $copy; $offsiteCheck) |
        Send-CenateAlert -SmtpServer 127.0.0.1 -Port 56025 -Security None -From cenate-backup@hospital.local `
            -To dba@hospital.local -When Always -Job demo -Culture es-PE -StateDirectory $alerts `
            -StatusPath (Join-Path $alerts 'status.json')
    $alert | Format-Table
    Start-Sleep -Seconds 1
    $mail = (Invoke-RestMethod 'http://127.0.0.1:56080/api/messages?pageSize=100').results | Select-Object -Last 1
    Write-Host "Mail received by the relay: $($mail.subject)"
    (Invoke-RestMethod "http://127.0.0.1:56080/api/messages/$($mail.id)/plaintext") -split "`n" | Select-Object -First 25 |
        ForEach-Object { "    $_" }
    Write-Host 'The status file a monitoring agent reads:'
    Get-Content -LiteralPath (Join-Path $alerts 'status.json')
} finally {
    if (-not $relay.HasExited) { $relay.Kill(); $relay.WaitForExit(10000) | Out-Null }
}
$alertSent = ($alert | Where-Object Channel -eq 'Mail').Status -eq 'Sent' -and $null -ne $mail

$exportsMatch = -not ($full.Files | Where-Object { $null -ne $_.Rows -and $_.Rows -ne $full.AseguradosRows })
if (-not ($checks.Passed -notcontains $false -and $drill.Passed -and $monitor.Passed -and $undelete.InsertedRows -eq 1000 -and $undelete.LiveRowsAfter -eq $full.AseguradosRows -and $restored -eq $full.AseguradosRows -and $exportsMatch -and $copy.Status -eq 'Copied' -and $offsiteCheck.Passed -and $alertSent)) { exit 1 }
