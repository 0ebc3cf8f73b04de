<#
.SYNOPSIS
    The whole plan on a throwaway database, as the scheduler would run it: the settings file, the audit trigger, the
    daily job, the weekly copy to an encrypted remote and its verification, 1,000 rows deleted by mistake found in the
    audit log and put back, the monthly restore drill, a run killed half-way and the alert it produced, the schedule
    that would be installed, and the statistics.
.DESCRIPTION
    Run by scripts/demo.sh against a throwaway container. The password comes from the environment
    (CENATE_DEMO_PASSWORD) into a 0600 environment file that the jobs load (as they would from /etc/cenate/cenate.env);
    it is never put on a command line. A local SMTP relay (smtp4dev on 127.0.0.1) stands in for the hospital's.
#>
param(
    [Parameter(Mandatory)][string]$ModulePath,
    [string]$Container = 'postgres_cenate',
    [int]$Port = 5432,
    [Parameter(Mandatory)][string]$BackupPath
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$jobs = Join-Path (Split-Path -Parent $ModulePath) 'jobs'
# The job scripts say `Import-Module CenateBackup`: this build's folder goes first on the module path they inherit
# (installed as a package, the module is found without this; Register-CenateBackupSchedule writes it for cron/systemd).
$env:PSModulePath = (Split-Path -Parent (Split-Path -Parent $ModulePath)) + [IO.Path]::PathSeparator + $env:PSModulePath
$pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source   # what the scheduler runs
$root = $BackupPath.TrimEnd('/')
function Step([string]$Text) { Write-Host "`n== $Text ==" -ForegroundColor Cyan }
function New-PrivateDirectory([string]$Path) {
    New-Item -ItemType Directory -Path $Path -Force | Out-Null
    if (-not $IsWindows) { [IO.File]::SetUnixFileMode($Path, [IO.UnixFileMode]'UserRead, UserWrite, UserExecute') }
    $Path
}
function Write-PrivateFile([string]$Path, [string]$Text) {
    Set-Content -LiteralPath $Path -Value $Text -NoNewline
    if (-not $IsWindows) { [IO.File]::SetUnixFileMode($Path, [IO.UnixFileMode]'UserRead, UserWrite') }
}
function Invoke-Job([string]$Name) {
    # Exactly what cron or systemd runs: a new pwsh, the job script, the settings file. Returns the exit code.
    & $pwsh -NoProfile -NonInteractive -File (Join-Path $jobs "$Name.ps1") -Settings $settings | Out-Host
    $LASTEXITCODE
}
function Get-RunSteps([string]$Job) {
    # The newest run's JSON-lines log: one record per step (what Get-CenateBackupSchedule and a SIEM read).
    $log = Get-ChildItem -LiteralPath $logs -Filter "$Job-*.jsonl" | Sort-Object Name | Select-Object -Last 1
    Get-Content -LiteralPath $log.FullName | ConvertFrom-Json | Where-Object event -eq 'step' |
        Select-Object step, result, errorId, durationMs, bytes, rows
}

$backups = New-PrivateDirectory (Join-Path $root 'backups')
$etc = New-PrivateDirectory (Join-Path $root 'etc')
$logs = Join-Path $root 'logs'
$state = Join-Path $root 'state'
$cloud = New-PrivateDirectory (Join-Path $root 'cloud')

# --- smtp4dev: the relay the alerts go to (its own HOME and working directory, mail in memory, stopped at the end).
$alerts = New-PrivateDirectory (Join-Path $root 'smtp4dev')
New-Item -ItemType Directory -Path (Join-Path $alerts 'home') -Force | Out-Null
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
function Get-Mail {   # oldest first
    @((Invoke-RestMethod 'http://127.0.0.1:56080/api/messages?pageSize=100').results | Sort-Object receivedDate)
}
try {
    $deadline = (Get-Date).AddSeconds(60)
    while ($true) {
        try { Invoke-RestMethod http://127.0.0.1:56080/api/messages -TimeoutSec 2 | Out-Null; break } catch {
            if ((Get-Date) -gt $deadline -or $relay.HasExited) { throw "smtp4dev did not start: $_" }
            Start-Sleep -Milliseconds 300
        }
    }

    Step '1. One settings file for every job (no secret in it) and a 0600 environment file with the password'
    # The weekly copy goes to an rclone crypt remote over a local directory standing in for the USB disk or the cloud;
    # the crypt password goes to `rclone obscure -` on stdin, never on a command line.
    function ConvertTo-Obscured([string]$Plain) {
        $p = [Diagnostics.ProcessStartInfo]::new('rclone'); $p.ArgumentList.Add('obscure'); $p.ArgumentList.Add('-')
        $p.RedirectStandardInput = $true; $p.RedirectStandardOutput = $true; $p.UseShellExecute = $false
        $proc = [Diagnostics.Process]::Start($p); $proc.StandardInput.Write($Plain); $proc.StandardInput.Close()
        $o = $proc.StandardOutput.ReadToEnd().Trim(); $proc.WaitForExit(); $o
    }
    $rclone = Join-Path $etc 'rclone.conf'
    $secret = [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(24))
    $salt = [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(24))
    Write-PrivateFile $rclone ("[demo-crypt]`ntype = crypt`nremote = $cloud`npassword = $(ConvertTo-Obscured $secret)`n" +
        "password2 = $(ConvertTo-Obscured $salt)`n")
    $envFile = Join-Path $etc 'cenate.env'
    Write-PrivateFile $envFile "PGPASSWORD=$env:CENATE_DEMO_PASSWORD`n"
    $settings = Join-Path $etc 'cenate.psd1'
    Write-PrivateFile $settings @"
@{
    Container       = '$Container'
    DatabasePort    = $Port
    DatabaseUser    = 'cenate'
    Path            = '$backups'
    CompressionLevel = 6
    Retention       = @{ Daily = 30; Weekly = 90; Monthly = 365 }
    MaxRowDrop      = '2%'
    Weekly          = @{ Destination = 'demo-crypt:cenate'; RcloneConfig = '$rclone'; Keep = 90 }
    Monitor         = @{ MaxAge = '26h'; MinimumSize = '1MB'; WeeklyMaxAge = '8d'; When = 'Change' }
    LogPath         = '$logs'
    StatePath       = '$state'
    EnvironmentFile = '$envFile'
    TimeZone        = 'America/Lima'
    Schedule        = @{ Daily = '0 2,14 * * *'; Weekly = '0 3 * * 0'; Monitor = '0 10 * * *'; Drill = '0 6 2 * *'
                         AuditRetention = '30 4 * * 0' }
    # Alerts: the local relay (Security None only because it is on this machine), in Spanish.
    SmtpServer      = '127.0.0.1'
    Port            = 56025
    Security        = 'None'
    From            = 'cenate-backup@hospital.local'
    To              = @('dba@hospital.local')
    StateDirectory  = '$state/alerts'
    Culture         = 'es-PE'
}
"@
    Get-CenateSettings -Path $settings | Format-List Container, Port, Database, BackupPath,
        @{ n = 'Weekly'; e = { $_.Weekly.Destination } }, LogPath,
        @{ n = 'Schedule'; e = { ($_.Schedule.GetEnumerator() | ForEach-Object { "$($_.Key) $($_.Value)" }) -join '; ' } }

    Step "2. Protection against deletion: the audit trigger on asegurados (every deleted row kept)"
    $cred = [pscredential]::new('cenate', (ConvertTo-SecureString $env:CENATE_DEMO_PASSWORD -AsPlainText -Force))
    $db = @{ Container = $Container; Port = $Port; Credential = $cred }
    Install-CenateAuditTrigger @db -Table asegurados -Confirm:$false | Format-Table

    Step '3. The daily job (jobs/Daily.ps1): one set of one moment (dump + SQL + CSV), read back, retention, statistics'
    $daily = Invoke-Job Daily
    "exit code $daily"
    Get-RunSteps daily | Format-Table
    $set = Get-CenateBackup -Path $backups -Newest 1 -Verified
    $set | Format-Table
    $set.Files | Format-Table Name, Size, Rows

    Step '4. The weekly job (jobs/Weekly.ps1): the newest verified set to an encrypted remote, verified there'
    $weekly = Invoke-Job Weekly
    "exit code $weekly"
    Get-RunSteps weekly | Format-Table
    $remote = Get-CenateBackup -Path demo-crypt:cenate -RcloneConfig $rclone
    $remote | Format-Table
    Write-Host 'What the remote holds (names and contents encrypted):'
    Get-ChildItem -LiteralPath $cloud -Recurse -File | Format-Table Length, Name

    Step '5. An accidental DELETE of 1,000 asegurados, found in the audit log and put back'
    $env:PGPASSWORD = $env:CENATE_DEMO_PASSWORD
    try {
        & psql -X -q -h 127.0.0.1 -p $Port -U cenate -d maestro_cenate -c ('DELETE FROM public.asegurados WHERE id IN ' +
            '(SELECT id FROM public.asegurados ORDER BY random() LIMIT 1000)') | Out-Null
        $before = [long](& psql -X -qAt -h 127.0.0.1 -p $Port -U cenate -d maestro_cenate -c 'SELECT count(*) FROM public.asegurados')
    } finally { Remove-Item env:PGPASSWORD }
    $deleted = @(Get-CenateAuditLog @db -Table asegurados -Operation Delete)
    "rows in asegurados after the DELETE: $before; rows the audit log kept: $($deleted.Count)"
    $deleted | Select-Object -First 3 | Format-Table
    $undelete = $deleted | Restore-CenateDeletedRow @db -Confirm:$false
    $undelete | Format-Table
    $env:PGPASSWORD = $env:CENATE_DEMO_PASSWORD
    try {
        $after = [long](& psql -X -qAt -h 127.0.0.1 -p $Port -U cenate -d maestro_cenate -c 'SELECT count(*) FROM public.asegurados')
    } finally { Remove-Item env:PGPASSWORD }
    "rows in asegurados after the undelete: $after (the set holds $($set.AseguradosRows))"

    Step '6. The monthly restore drill (jobs/Drill.ps1): the newest set restored into a scratch database, compared, dropped'
    $drill = Invoke-Job Drill
    "exit code $drill"
    Get-RunSteps drill | Format-Table
    $drillMail = Get-Mail | Where-Object subject -match 'drill' | Select-Object -Last 1
    "mail of the drill's report: $($drillMail.subject)"

    Step '7. A daily run killed half-way (kill -9: no clean-up, no alert of its own) and what the next run reports'
    $mailsBefore = (Get-Mail).Count
    $p = [Diagnostics.ProcessStartInfo]::new($pwsh)
    foreach ($a in '-NoProfile', '-NonInteractive', '-File', (Join-Path $jobs 'Daily.ps1'), '-Settings', $settings) {
        $p.ArgumentList.Add($a)
    }
    $p.RedirectStandardOutput = $true; $p.RedirectStandardError = $true; $p.UseShellExecute = $false
    $victim = [Diagnostics.Process]::Start($p)
    $victim.BeginOutputReadLine(); $victim.BeginErrorReadLine()
    $deadline = (Get-Date).AddSeconds(120)
    # A data file being written (the manifest's own short-lived temporary file is not what this step shows).
    while (-not (Get-ChildItem -LiteralPath $backups -Filter '*.partial' | Where-Object Name -notlike '*.manifest.json.*') -and -not $victim.HasExited) {
        if ((Get-Date) -gt $deadline) { throw 'the daily run did not start writing within 120 s' }
        Start-Sleep -Milliseconds 100
    }
    $victim.Kill($true); $victim.WaitForExit()
    'killed the daily run (pid {0}) while it wrote:' -f $victim.Id
    Get-ChildItem -LiteralPath $backups -Filter '*.partial' | Format-Table Length, Name
    Write-Host 'A half-written file never looks like a set: Get-CenateBackup lists complete sets only, -IncludeOrphans the rest.'
    Write-Host 'The next daily run notices the killed one, finishes its own set, and alerts:'
    $next = Invoke-Job Daily
    "exit code $next"
    Get-RunSteps daily | Format-Table
    Start-Sleep -Seconds 1
    $alertMail = Get-Mail | Select-Object -Skip $mailsBefore | Where-Object subject -match 'daily' | Select-Object -Last 1
    if ($alertMail) {
        "Mail received by the relay: $($alertMail.subject)"
        (Invoke-RestMethod "http://127.0.0.1:56080/api/messages/$($alertMail.id)/plaintext") -split "`n" |
            Select-Object -First 20 | ForEach-Object { "    $_" }
    }

    Step '8. The schedule that would be installed (Register-CenateBackupSchedule -WhatIf: nothing is written)'
    Register-CenateBackupSchedule -Settings $settings -Mode Cron -CronFile (Join-Path $etc 'cenate-backup') -WhatIf |
        Format-Table
    Register-CenateBackupSchedule -Settings $settings -Mode Systemd -UnitDirectory (Join-Path $etc 'systemd') -Job daily `
        -WhatIf | Format-Table

    Step '9. Statistics: the sets on disk and on the remote, from their manifests'
    Get-CenateBackup -Path $backups | Format-Table     # the killed run's set shows as INCOMPLETE: never counted
    $all = @(Get-CenateBackup -Path $backups | Where-Object Complete)
    [pscustomobject]@{
        Sets         = $all.Count
        Files        = ($all.Files | Measure-Object).Count
        TotalMB      = [math]::Round(($all | Measure-Object -Sum TotalSize).Sum / 1MB, 1)
        Asegurados   = ($all | Select-Object -Last 1).AseguradosRows
        RemoteCopies = @($remote).Count
        AuditRows    = $deleted.Count
        Undeleted    = $after - $before
    } | Format-Table
} finally {
    if (-not $relay.HasExited) { $relay.Kill(); $relay.WaitForExit(10000) | Out-Null }
}

$ok = $daily -eq 0 -and $weekly -eq 0 -and $drill -eq 0 -and $null -ne $set -and @($remote).Count -ge 1 -and
    $deleted.Count -eq 1000 -and ($after - $before) -eq 1000 -and $null -ne $drillMail -and $next -eq 1 -and
    $null -ne $alertMail -and $alertMail.subject -match 'daily'
if (-not $ok) { Write-Host 'The demo did not go as expected (see above).' -ForegroundColor Red; exit 1 }
Write-Host "`nThe whole plan ran: backed up, copied offsite, protected, restored, drilled, alerted, scheduled." -ForegroundColor Green
