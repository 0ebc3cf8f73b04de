#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Register-/Get-/Unregister-CenateBackupSchedule with stand-in job scripts (they take -Settings and -Preflight):
# units checked by systemd-analyze, the cron file's idempotency and ownership rules, the preflight under env -i, and a
# real run by the Debian cron daemon the rig starts. Needs root (/etc/cron.d), systemd-analyze and a running cron.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Fq = { param($id, $verb = 'Register')
        "$id,CenateBackup.PowerShell.Commands.${verb}CenateBackupScheduleCommand" }
    $script:Root = Join-Path '/tmp' ('cenate-s16-' + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $script:Pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
    New-Item -ItemType Directory -Path $Root | Out-Null

    # A job directory: every script passes its preflight; when run it records what it was given.
    function script:New-JobDirectory([string]$Path, [string]$DailyBody) {
        New-Item -ItemType Directory -Path $Path -Force | Out-Null
        $record = @'
param([string]$Settings = '', [switch]$Preflight)
if ($Preflight) { exit 0 }
$out = Join-Path $PSScriptRoot ("ran-" + [IO.Path]::GetFileNameWithoutExtension($PSCommandPath) + ".txt")
$who = [Environment]::UserName
"settings=$Settings`npath=$env:PATH`ndotnet=$env:DOTNET_ROOT`nuser=$who" | Set-Content -LiteralPath $out
'@
        foreach ($name in 'Daily', 'Weekly', 'Monthly', 'Monitor', 'Drill', 'AuditRetention') {
            $body = if ($name -eq 'Daily' -and $DailyBody) { $DailyBody } else { $record }
            Set-Content -LiteralPath (Join-Path $Path "$name.ps1") -Value $body
        }
        $Path
    }
    function script:New-Settings([string]$Path, [hashtable]$Schedule, [string]$TimeZone) {
        $lines = foreach ($k in $Schedule.Keys) { "    $k = '$($Schedule[$k])'" }
        $tz = if ($TimeZone) { "TimeZone = '$TimeZone'" } else { '' }
        Set-Content -LiteralPath $Path -Value @"
@{
  Path = '$Root/backups'
  LogPath = '$Root/logs'
  $tz
  Weekly = @{ Destination = '/mnt/backup-externo/cenate'; RequireMountPoint = '/mnt/backup-externo' }
  Schedule = @{
$($lines -join "`n")
  }
}
"@
        [IO.File]::SetUnixFileMode($Path, [IO.UnixFileMode]'UserRead, UserWrite')
        $Path
    }
    $script:Jobs = New-JobDirectory (Join-Path $Root 'jobs')
    $script:Plan = @{ Daily = '0 2,14 * * *'; Weekly = '0 3 * * 0'; Monthly = '0 4 1 * *'; Monitor = '0 10 * * *'
                      Drill = '0 6 2 * *'; AuditRetention = '30 4 * * 0' }
    $script:Settings = New-Settings (Join-Path $Root 'cenate.psd1') $Plan 'America/Lima'
    $script:Fresh = { param($name) Join-Path $Root ($name + '-' + [guid]::NewGuid().ToString('N').Substring(0, 8)) }
    $script:CronFiles = [System.Collections.Generic.List[string]]::new()
    # Cron mode with the stand-in jobs: with the preflight (@Pre) or without it (@Quick).
    $script:Pre = @{ Mode = 'Cron'; JobDirectory = $Jobs; WarningAction = 'SilentlyContinue' }
    $script:Quick = $Pre + @{ SkipPreflight = $true }
}

AfterAll {
    foreach ($f in $CronFiles) { Remove-Item -LiteralPath $f -Force -ErrorAction SilentlyContinue }
    Remove-Item -Recurse -Force -LiteralPath $Root -ErrorAction SilentlyContinue
}

Describe 'Systemd units' {
    It 'pass systemd-analyze verify, and systemd''s next elapse is Get-CenateBackupSchedule''s NextRun' {
        $units = & $Fresh 'units'
        $out = @(Register-CenateBackupSchedule $Settings -Mode Systemd -UnitDirectory $units -JobDirectory $Jobs `
                -OnFailure 'cenate-alert@%n.service' -SkipPreflight -WarningVariable w -WarningAction SilentlyContinue)
        $out.Job | Should -Be @('daily', 'weekly', 'monthly', 'monitor', 'drill', 'auditretention')
        $out.Action | Sort-Object -Unique | Should -Be 'Created'
        "$w" | Should -Match 'systemd is not PID 1'
        $table = $out | Format-Table | Out-String -Width 80
        $table | Should -Match 'auditretention Systemd Created'
        ($table -split "`n" | Where-Object { $_.TrimEnd().Length -gt 79 }) | Should -BeNullOrEmpty
        $files = @(Get-ChildItem -LiteralPath $units | Sort-Object Name)
        $files.Count | Should -Be 12
        & systemd-analyze verify @($files.FullName) 2>&1 | Out-String | Set-Variable verify
        $LASTEXITCODE | Should -Be 0 -Because $verify
        $weekly = Get-Content -Raw (Join-Path $units 'cenate-weekly.service')
        $weekly | Should -Match '(?m)^RequiresMountsFor=/mnt/backup-externo$'
        $weekly | Should -Match '(?m)^SuccessExitStatus=75$'
        $weekly | Should -Match ('(?m)^ExecStart="' + [regex]::Escape($Pwsh) + '" -NoProfile')
        Get-Content -Raw (Join-Path $units 'cenate-daily.service') | Should -Not -Match 'RequiresMountsFor'

        $info = @(Get-CenateBackupSchedule -Mode Systemd -UnitDirectory $units)
        $info.Count | Should -Be 6
        foreach ($i in $info) {
            $timer = Join-Path $units "cenate-$($i.Job).timer"
            $calendar = (Select-String -LiteralPath $timer '^OnCalendar=(.*)$').Matches[0].Groups[1].Value
            $calendar | Should -Match ' America/Lima$'
            $env:TZ = 'UTC'
            try { $text = & systemd-analyze calendar $calendar 2>&1 | Out-String } finally { Remove-Item Env:TZ }
            $text -match 'Next elapse: \w+ (\S+ \S+) UTC' | Should -BeTrue -Because $text
            $i.NextRun.UtcDateTime.ToString('yyyy-MM-dd HH:mm:ss') |
                Should -Be $Matches[1] -Because "$($i.Job): $calendar"
            $i.Status | Should -Be 'NeverRun'
            $i.TimeZone | Should -Be 'America/Lima'
        }
    }

    It 'leaves a unit it did not write alone (ScheduleFileForeign)' {
        $units = New-Item -ItemType Directory -Path (& $Fresh 'units')
        $mine = Join-Path $units 'cenate-daily.service'
        Set-Content -LiteralPath $mine -Value '[Service]', 'ExecStart=/bin/true'
        { Register-CenateBackupSchedule $Settings -Job daily -Mode Systemd -UnitDirectory $units @Quick } |
            Should -Throw -ErrorId (& $Fq 'ScheduleFileForeign')
        @(Get-ChildItem -LiteralPath $units).Name | Should -Be 'cenate-daily.service'
        Get-Content -LiteralPath $mine | Should -Be @('[Service]', 'ExecStart=/bin/true')
    }

    It 'refuses a schedule on a day of month OR a weekday (ScheduleUnsupported), writing nothing' {
        $units = & $Fresh 'units'
        $s = New-Settings (& $Fresh 'odd.psd1') @{ Drill = '0 6 1 * 1' } 'America/Lima'
        { Register-CenateBackupSchedule $s -Mode Systemd -UnitDirectory $units -JobDirectory $Jobs -SkipPreflight } |
            Should -Throw -ErrorId (& $Fq 'ScheduleUnsupported')
        Test-Path $units | Should -BeFalse
    }
}

Describe 'Cron file' {
    It 'is written once: a second Register is Unchanged and leaves the file as it was' {
        $cron = & $Fresh 'cron'
        $first = @(Register-CenateBackupSchedule $Settings -CronFile $cron @Pre)
        $first.Action | Sort-Object -Unique | Should -Be 'Created'
        Get-UnixMode $cron | Should -Be '0644'
        $text = Get-Content -Raw $cron
        $text | Should -Match ('^' + [regex]::Escape('# Written by CenateBackup (Register-CenateBackupSchedule).'))
        $line = "0 2,14 * * * root '$Pwsh' -NoProfile -NonInteractive -File '$Jobs/Daily.ps1' -Settings '$Settings'"
        $text | Should -Match ('(?m)^' + [regex]::Escape($line) + '$')
        $text | Should -Match '(?m)^PATH=/\S+'
        $before = (Get-Item $cron).LastWriteTimeUtc
        Start-Sleep -Milliseconds 1100
        $second = @(Register-CenateBackupSchedule $Settings -CronFile $cron @Pre)
        $second.Action | Sort-Object -Unique | Should -Be 'Unchanged'
        (Get-Item $cron).LastWriteTimeUtc | Should -Be $before
        Get-Content -Raw $cron | Should -BeExactly $text
        @(Get-ChildItem -LiteralPath (Split-Path $cron) -Filter '*.partial').Count | Should -Be 0
    }

    It 'merges by job: -Job weekly keeps daily''s line, Unregister -Job daily weekly''s; the last removes the file' {
        $cron = & $Fresh 'cron'
        $null = Register-CenateBackupSchedule $Settings -Job daily -CronFile $cron @Quick
        $daily = (Get-Content $cron) -match 'Daily\.ps1'
        $w = Register-CenateBackupSchedule $Settings -Job weekly -CronFile $cron @Quick
        $w.Action | Should -Be 'Created'
        (Get-Content $cron) -match 'Daily\.ps1' | Should -Be $daily
        @((Get-Content $cron) -match 'Weekly\.ps1').Count | Should -Be 1
        (Get-CenateBackupSchedule -Mode Cron -CronFile $cron).Job | Should -Be @('daily', 'weekly')
        $r = Unregister-CenateBackupSchedule -Job daily -Mode Cron -CronFile $cron -Confirm:$false
        $r.Action | Should -Be 'Removed'
        @((Get-Content $cron) -match 'Daily\.ps1').Count | Should -Be 0
        @((Get-Content $cron) -match 'Weekly\.ps1').Count | Should -Be 1
        $null = Unregister-CenateBackupSchedule -Mode Cron -CronFile $cron -Confirm:$false
        Test-Path $cron | Should -BeFalse
        Unregister-CenateBackupSchedule -Mode Cron -CronFile $cron -Confirm:$false -WarningVariable nf `
            -WarningAction SilentlyContinue
        "$nf" | Should -Match 'ScheduleNotFound'
    }

    It 'never overwrites nor removes a file without the marker (ScheduleFileForeign)' {
        $cron = & $Fresh 'cron'
        Set-Content -LiteralPath $cron -Value '# the admin''s own job', '0 1 * * * root /usr/local/bin/mine'
        $before = Get-FileHash $cron
        { Register-CenateBackupSchedule $Settings -CronFile $cron @Quick } |
            Should -Throw -ErrorId (& $Fq 'ScheduleFileForeign')
        { Unregister-CenateBackupSchedule -Mode Cron -CronFile $cron -Confirm:$false } |
            Should -Throw -ErrorId (& $Fq 'ScheduleFileForeign' 'Unregister')
        (Get-FileHash $cron).Hash | Should -Be $before.Hash
    }

    It 'refuses a group/other-writable file (ScheduleFileInsecure) and a cron file name with a dot' {
        $cron = & $Fresh 'cron'
        $null = Register-CenateBackupSchedule $Settings -Job daily -CronFile $cron @Quick
        & chmod 0666 $cron
        { Register-CenateBackupSchedule $Settings -CronFile $cron @Quick } |
            Should -Throw -ErrorId (& $Fq 'ScheduleFileInsecure')
        { Register-CenateBackupSchedule $Settings -CronFile "$Root/cenate.backup" @Quick } |
            Should -Throw -ErrorId (& $Fq 'ScheduleInvalid')
        Test-Path "$Root/cenate.backup" | Should -BeFalse
    }

    It '-WhatIf writes nothing and shows the exact content' {
        $cron = & $Fresh 'cron'
        $script = "`$PSStyle.OutputRendering = 'PlainText'; Import-Module '$(Get-ModuleManifestPath)'; " +
            "Register-CenateBackupSchedule '$Settings' -Mode Cron -CronFile '$cron' -JobDirectory '$Jobs' -WhatIf " +
            "-WarningAction SilentlyContinue | Format-List Job, Action"
        $out = & $Pwsh -NoProfile -NonInteractive -Command $script 2>&1 | Out-String
        Test-Path $cron | Should -BeFalse
        $out | Should -Match 'What if: .*Create .*cron'
        $line = "0 3 * * 0 root '$Pwsh' -NoProfile -NonInteractive -File '$Jobs/Weekly.ps1'"
        $out | Should -Match ([regex]::Escape($line))
        $out | Should -Match 'Action : WouldWrite'
        @(Get-ChildItem -LiteralPath $Root -Filter 'cron-*').Name | Should -Not -Contain (Split-Path -Leaf $cron)
    }

    It 'a missing job script is JobScriptNotFound' {
        $dir = New-Item -ItemType Directory -Path (& $Fresh 'empty-jobs')
        $cron = & $Fresh 'cron'
        $q = $Quick.Clone(); $q.JobDirectory = $dir.FullName
        { Register-CenateBackupSchedule $Settings -CronFile $cron @q } |
            Should -Throw -ErrorId (& $Fq 'JobScriptNotFound')
    }
}

Describe 'Get-CenateBackupSchedule' {
    It 'reads the last run from the JSON-lines logs and says Missed when the newest expected run left none' {
        $cron = & $Fresh 'cron'
        $logs = & $Fresh 'logs'
        New-Item -ItemType Directory -Path $logs | Out-Null
        $s = New-Settings (& $Fresh 'get.psd1') @{ Daily = '0 2,14 * * *'; Monitor = '*/5 * * * *' } ''
        $state = & $Fresh 'state'
        (Get-Content -Raw $s).Replace("'$Root/logs'", "'$logs'`n  StatePath = '$state'") | Set-Content -LiteralPath $s
        $null = Register-CenateBackupSchedule $s -Job daily, monitor -CronFile $cron @Quick
        & touch -d '3 days ago' $cron
        function Write-RunLog([string]$Job, [datetime]$Start, [string]$Result) {
            $f = 'yyyy-MM-ddTHH:mm:ss.fffZ'
            $stamp = $Start.ToUniversalTime().ToString('yyyyMMddTHHmmssfff')
            $t = $Start.ToUniversalTime().ToString($f)
            $e = $Start.AddSeconds(90).ToUniversalTime().ToString($f)
            $lines = @(@{ time = $t; event = 'start'; job = $Job; runId = 'r'; pid = 1; host = 'h'; settings = $s
                          moduleVersion = '1' } | ConvertTo-Json -Compress)
            if ($Result) {
                $lines += @{ time = $e; event = 'end'; job = $Job; runId = 'r'; start = $t; end = $e; durationMs = 90000
                             result = $Result; exitCode = 1 } | ConvertTo-Json -Compress
            }
            Set-Content -LiteralPath (Join-Path $logs "$Job-${stamp}Z.jsonl") -Value $lines
        }
        $now = Get-Date
        # The newest 02:00/14:00 at least 15 minutes old, and the one before it.
        $expected = @(foreach ($d in 0, -1, -2) { foreach ($h in 14, 2) { $now.Date.AddDays($d).AddHours($h) } }) |
            Where-Object { $_ -le $now.AddMinutes(-15) } | Select-Object -First 2
        Write-RunLog daily $expected[1].AddSeconds(20) 'Failed'
        $i = Get-CenateBackupSchedule -Mode Cron -CronFile $cron | Where-Object Job -eq daily
        $i.Status | Should -Be 'Missed'
        $i.MissedAt.LocalDateTime | Should -Be $expected[0]
        $i.LastResult | Should -Be 'Failed'
        $i.LastDuration | Should -Be ([timespan]::FromSeconds(90))
        $i.NextRuns.Count | Should -Be 3
        Write-RunLog daily $expected[0].AddSeconds(30) 'Failed'
        $i = Get-CenateBackupSchedule -Mode Cron -CronFile $cron | Where-Object Job -eq daily
        $i.Status | Should -Be 'Failed'
        $i.LastRun.LocalDateTime | Should -Be $expected[0].AddSeconds(30)
        Write-RunLog daily $expected[0].AddSeconds(31) $null
        # No end record: Running while a process holds the job's lock, Interrupted (Failed) once nobody does.
        New-Item -ItemType Directory -Path "$state/locks" -Force | Out-Null
        $holder = Start-Process flock -ArgumentList '-w', '10', "$state/locks/daily.lock", 'sleep', '120' -PassThru
        try {
            $until = (Get-Date).AddSeconds(20)
            do { Start-Sleep -Milliseconds 100; & flock -n "$state/locks/daily.lock" true }   # held: flock -n fails
            while ($LASTEXITCODE -eq 0 -and (Get-Date) -lt $until)
            $i = Get-CenateBackupSchedule -Mode Cron -CronFile $cron | Where-Object Job -eq daily
            $i.Status | Should -Be 'Running'
            $i.LastResult | Should -Be 'Running'
        }
        finally { $holder.Kill($true); $holder.WaitForExit() }
        # WaitForExit waits for flock only; its child (sleep) holds the same lock until the kernel has reaped it too.
        $until = (Get-Date).AddSeconds(20)
        do { & flock -n "$state/locks/daily.lock" true; if ($LASTEXITCODE -ne 0) { Start-Sleep -Milliseconds 100 } }
        while ($LASTEXITCODE -ne 0 -and (Get-Date) -lt $until)
        $i = Get-CenateBackupSchedule -Mode Cron -CronFile $cron | Where-Object Job -eq daily
        $i.Status | Should -Be 'Failed'
        $i.LastResult | Should -Be 'Interrupted'
        $monitor = Get-CenateBackupSchedule -Mode Cron -CronFile $cron | Where-Object Job -eq monitor
        $monitor.Status | Should -Be 'Missed'
        $table = Get-CenateBackupSchedule -Mode Cron -CronFile $cron | Format-Table | Out-String -Width 80
        $table | Should -Match 'monitor'
        ($table -split "`n" | Where-Object { $_.TrimEnd().Length -gt 79 }) | Should -BeNullOrEmpty
    }
}

Describe 'Preflight' {
    It 'runs the command under env -i first: a job that needs this shell''s environment fails, nothing is written' {
        $env:S16_ONLY_HERE = 'yes'
        try {
            $jobs = New-JobDirectory (& $Fresh 'jobs-env') @'
param([string]$Settings = '', [switch]$Preflight)
if (-not $env:S16_ONLY_HERE) {
    [Console]::Error.WriteLine("S16_ONLY_HERE is not set; PGPASSWORD=hunter2secret")
    exit 3
}
exit 0
'@
            & $Pwsh -NoProfile -NonInteractive -File "$jobs/Daily.ps1" -Preflight
            $LASTEXITCODE | Should -Be 0 -Because 'in this shell the job passes'
            $cron = & $Fresh 'cron'
            $err = $null
            try {
                $c = $Pre.Clone(); $c.JobDirectory = $jobs
                Register-CenateBackupSchedule $Settings -CronFile $cron @c -ErrorAction Stop
            }
            catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty
            $err.FullyQualifiedErrorId | Should -Be (& $Fq 'ScheduleCommandFails')
            $err.Exception.Message | Should -Match 'daily'
            $err.Exception.Message | Should -Match 'exited with 3'
            $err.Exception.Message | Should -Match 'S16_ONLY_HERE is not set'
            $err.Exception.Message | Should -Not -Match 'hunter2secret'
            Test-Path $cron | Should -BeFalse
            # -SkipPreflight writes it.
            $q = $Quick.Clone(); $q.JobDirectory = $jobs
            $null = Register-CenateBackupSchedule $Settings -CronFile $cron @q
            Test-Path $cron | Should -BeTrue
        }
        finally { Remove-Item Env:S16_ONLY_HERE }
    }

    It 'runs the preflight as -User: an account that cannot reach this pwsh fails it (ScheduleCommandFails)' {
        # /root is 0700: nobody cannot run /root/.dotnet/tools/pwsh, which is exactly what cron would meet.
        (Get-Item '/root').UnixFileMode.ToString() | Should -Not -Match 'OtherExecute'
        $Pwsh | Should -BeLike '/root/*'
        $cron = & $Fresh 'cron'
        { Register-CenateBackupSchedule $Settings -Job daily -User nobody -CronFile $cron @Pre } |
            Should -Throw -ErrorId (& $Fq 'ScheduleCommandFails')
        Test-Path $cron | Should -BeFalse
        { Register-CenateBackupSchedule $Settings -Job daily -User 'root * * * * root' -CronFile $cron @Quick } |
            Should -Throw -ErrorId (& $Fq 'ScheduleInvalid')
        Test-Path $cron | Should -BeFalse
    }

    It 'a job that passes under env -i (exit 0, or 75 = locked) lets Register write' {
        $jobs = New-JobDirectory (& $Fresh 'jobs-75') @'
param([string]$Settings = '', [switch]$Preflight)
if ($env:PATH -notmatch '^/' -or -not $env:HOME -or $env:LANG -ne 'C.UTF-8') { exit 9 }
exit 75
'@
        $cron = & $Fresh 'cron'
        $c = $Pre.Clone(); $c.JobDirectory = $jobs
        $out = Register-CenateBackupSchedule $Settings -Job daily -CronFile $cron @c
        $out.Action | Should -Be 'Created'
    }
}

Describe 'The real cron daemon' {
    It 'runs the job at the next minute with the environment Register wrote; Unregister removes only its file' {
        & pgrep -x cron | Out-Null
        $LASTEXITCODE | Should -Be 0 -Because 'the rig starts the Debian cron daemon (scripts/rig.sh up)'
        $tag = [guid]::NewGuid().ToString('N').Substring(0, 8)
        # A path sh and cron must both read right: a quote and a percent sign in it.
        $jobs = New-JobDirectory (Join-Path $Root "job's 100% $tag")
        $cron = "/etc/cron.d/cenate-s16test-$tag"
        $foreign = "/etc/cron.d/cenate-s16foreign-$tag"
        $CronFiles.Add($cron); $CronFiles.Add($foreign)
        Set-Content -LiteralPath $foreign -Value '# not the module''s file'
        $foreignHash = (Get-FileHash $foreign).Hash
        $settings = Join-Path $Root "cron-$tag.psd1"
        for ($attempt = 0; $attempt -lt 3; $attempt++) {
            $now = Get-Date
            $ahead = if ($now.Second -lt 40) { 1 } else { 2 }
            $target = $now.Date.AddHours($now.Hour).AddMinutes($now.Minute + $ahead)
            $null = New-Settings $settings @{ Daily = "$($target.Minute) $($target.Hour) * * *" } ''
            $entry = Register-CenateBackupSchedule $settings -Job daily -Mode Cron -CronFile $cron -JobDirectory $jobs
            if (($target - (Get-Date)).TotalSeconds -ge 5) { break }
        }
        ($target - (Get-Date)).TotalSeconds | Should -BeGreaterOrEqual 5
        $entry.NextRun.LocalDateTime | Should -Be $target
        (Get-CenateBackupSchedule -Mode Cron -CronFile $cron).NextRun.LocalDateTime | Should -Be $target
        $ran = Join-Path $jobs 'ran-Daily.txt'
        $deadline = $target.AddSeconds(110)
        while (-not (Test-Path -LiteralPath $ran) -and (Get-Date) -lt $deadline) { Start-Sleep -Seconds 2 }
        Start-Sleep -Seconds 1
        Test-Path -LiteralPath $ran | Should -BeTrue -Because "cron should have run $cron at $target"
        $record = Get-Content -LiteralPath $ran
        $record | Should -Contain "settings=$settings"
        $path = ((Get-Content $cron) -match '^PATH=')[0].Substring(5)
        $record | Should -Contain "path=$path"
        $record | Should -Contain 'user=root'

        $r = Unregister-CenateBackupSchedule -Mode Cron -CronFile $cron -Confirm:$false
        $r.Job | Should -Be 'daily'
        Test-Path $cron | Should -BeFalse
        (Get-FileHash $foreign).Hash | Should -Be $foreignHash
        Test-Path /etc/cron.d/e2scrub_all | Should -BeTrue
    }
}
