#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Register-/Get-/Unregister-CenateBackupSchedule as an admin and an attacker probe them: paths with shell and systemd
# metacharacters, odd -User names, files swapped between the check and the write, directories others can write, jobs
# that are not in the plan, untrusted settings, -WhatIf, and run-log directories that are empty, broken or huge.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Fq = { param($id, $verb = 'Register')
        "$id,CenateBackup.PowerShell.Commands.${verb}CenateBackupScheduleCommand" }
    $script:Root = Join-Path '/tmp' ('cenate-c16-adv-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Root | Out-Null
    $script:Private = [IO.UnixFileMode]'UserRead, UserWrite'
    $script:Fresh = { param($name) Join-Path $Root ($name + '-' + [guid]::NewGuid().ToString('N').Substring(0, 8)) }
    # Stand-in job scripts (every one passes its preflight); -Preflight runs $PreflightBody first when given.
    function script:New-JobDirectory([string]$Path, [string]$PreflightBody = '') {
        New-Item -ItemType Directory -Path $Path -Force | Out-Null
        foreach ($name in 'Daily', 'Weekly', 'Monthly', 'Monitor', 'Drill', 'AuditRetention') {
            Set-Content -LiteralPath (Join-Path $Path "$name.ps1") -Value @"
param([string]`$Settings = '', [switch]`$Preflight)
if (`$Preflight) { $PreflightBody; exit 0 }
"@
        }
        $Path
    }
    function script:New-Settings([string]$Path, [hashtable]$Schedule = @{ Daily = '0 2 * * *' }, [string]$Extra) {
        $lines = foreach ($k in $Schedule.Keys) { "$k = '$($Schedule[$k])'" }
        $logs = Join-Path $Root 'logs'
        Set-Content -LiteralPath $Path -Value @"
@{
  Path = '$Root/backups'; LogPath = '$($logs.Replace("'", "''"))'
  $Extra
  Schedule = @{ $($lines -join '; ') }
}
"@
        [IO.File]::SetUnixFileMode($Path, $Private)
        $Path
    }
    $script:Jobs = New-JobDirectory (Join-Path $Root 'jobs')
    $script:Settings = New-Settings (Join-Path $Root 'cenate.psd1')
    $script:Quick = @{ Mode = 'Cron'; JobDirectory = $Jobs; SkipPreflight = $true; WarningAction = 'SilentlyContinue' }
}

AfterAll {
    Remove-Item -Recurse -Force -LiteralPath $Root -ErrorAction SilentlyContinue
}

Describe 'Paths with shell, cron and systemd metacharacters' {
    It 'a settings path with spaces, quotes, %, $(...), backticks and ; is one word in cron and in systemd' {
        $dir = New-Item -ItemType Directory -Path (Join-Path $Root "it's 100% `$(touch pwned) ``id`` a;b")
        $odd = New-Settings (Join-Path $dir "ce nate `$HOME %n.psd1") @{ Daily = '0 2 * * *'; Weekly = '0 3 * * 0' }
        $cron = & $Fresh 'cron'
        $out = @(Register-CenateBackupSchedule $odd -CronFile $cron @Quick)
        $out.Action | Sort-Object -Unique | Should -Be 'Created'
        $line = ((Get-Content -LiteralPath $cron) -match 'Daily\.ps1')[0]
        $line | Should -Not -Match '(?<!\\)%'
        # sh, after cron turned \% into %, gives the job exactly this path.
        $words = & /bin/sh -c ("printf '%s\n' " + $line.Substring($line.IndexOf("root '") + 5).Replace('\%', '%'))
        $words[-1] | Should -BeExactly $odd
        Test-Path (Join-Path $dir 'pwned') | Should -BeFalse
        (Get-CenateBackupSchedule -Mode Cron -CronFile $cron).Settings | Sort-Object -Unique | Should -BeExactly $odd

        $units = & $Fresh 'units'
        $null = Register-CenateBackupSchedule $odd -Mode Systemd -UnitDirectory $units -JobDirectory $Jobs `
            -SkipPreflight -WarningAction SilentlyContinue
        $files = @(Get-ChildItem -LiteralPath $units)
        & systemd-analyze verify @($files.FullName) 2>&1 | Out-String | Set-Variable verify
        $LASTEXITCODE | Should -Be 0 -Because $verify
        $exec = (Select-String -LiteralPath (Join-Path $units 'cenate-daily.service') '^ExecStart=(.*)$').Matches[0]
        $exec.Groups[1].Value | Should -Match ([regex]::Escape('$$(touch pwned)') + '.*' + [regex]::Escape('%%n.psd1"'))
        (Get-CenateBackupSchedule -Mode Systemd -UnitDirectory $units).Settings | Sort-Object -Unique |
            Should -BeExactly $odd
    }

    # (A backslash never reaches the cmdlets' paths: PowerShell reads it as a separator. Core refuses it in a cron
    # line all the same: ScheduleAdversarialTests.CronLine_RefusesBackslashes_WhichCronReadsAsItsEscape.)
    It 'a path with a newline is ScheduleInvalid and nothing is written' {
        foreach ($name in "new`nline.psd1", "tab`tand`rreturn.psd1") {
            $s = New-Settings (Join-Path $Root $name)
            $cron = & $Fresh 'cron'
            { Register-CenateBackupSchedule $s -CronFile $cron @Quick } |
                Should -Throw -ErrorId (& $Fq 'ScheduleInvalid')
            Test-Path $cron | Should -BeFalse
        }
        $units = & $Fresh 'units'
        $nl = New-Settings (Join-Path $Root "unit`nline.psd1")
        { Register-CenateBackupSchedule $nl -Mode Systemd -UnitDirectory $units -JobDirectory $Jobs -SkipPreflight } |
            Should -Throw -ErrorId (& $Fq 'ScheduleInvalid')
        Test-Path $units | Should -BeFalse
    }

    It 'an environment file or mount point systemd would split is ScheduleInvalid; % in it is escaped' {
        $units = & $Fresh 'units'
        $s = New-Settings (& $Fresh 'env.psd1') @{ Weekly = '0 3 * * 0' } `
            "EnvironmentFile = '$Root/my env'; Weekly = @{ Destination = '/mnt/x/c'; RequireMountPoint = '/mnt/x' }"
        { Register-CenateBackupSchedule $s -Mode Systemd -UnitDirectory $units -JobDirectory $Jobs -SkipPreflight } |
            Should -Throw -ErrorId (& $Fq 'ScheduleInvalid')
        Test-Path $units | Should -BeFalse
        $extra = "EnvironmentFile = '$Root/100%h.env'; " +
            "Weekly = @{ Destination = '/mnt/%i/c'; RequireMountPoint = '/mnt/%i' }"
        $s = New-Settings (& $Fresh 'pct.psd1') @{ Weekly = '0 3 * * 0' } $extra
        $null = Register-CenateBackupSchedule $s -Mode Systemd -UnitDirectory $units -JobDirectory $Jobs `
            -SkipPreflight -WarningAction SilentlyContinue
        $service = Get-Content -Raw (Join-Path $units 'cenate-weekly.service')
        $service | Should -Match ('(?m)^LoadCredential=cenate\.env:' + [regex]::Escape("$Root/100%%h.env") + '$')
        $service | Should -Match '(?m)^RequiresMountsFor=/mnt/%%i$'
    }
}

Describe '-User and -Job' {
    It 'an account name that is not one, or an account that does not exist, is ScheduleInvalid' {
        $cron = & $Fresh 'cron'
        $units = & $Fresh 'units'
        $bad = @('root root', 'ro:ot', '-root', 'root;id', "root`n", 'root*', '$(id)', '..', ('a' * 33), '0day',
                 'c16nosuchuser')
        foreach ($user in $bad) {
            { Register-CenateBackupSchedule $Settings -User $user -CronFile $cron @Quick } |
                Should -Throw -ErrorId (& $Fq 'ScheduleInvalid') -Because "user '$user'"
            { Register-CenateBackupSchedule $Settings -User $user -Mode Systemd -UnitDirectory $units `
                    -JobDirectory $Jobs -SkipPreflight } |
                Should -Throw -ErrorId (& $Fq 'ScheduleInvalid') -Because "user '$user'"
        }
        Test-Path $cron | Should -BeFalse
        Test-Path $units | Should -BeFalse
        $ok = Register-CenateBackupSchedule $Settings -User nobody -CronFile $cron @Quick
        $ok.Action | Should -Be 'Created'
        (Get-Content -LiteralPath $cron) -match '^0 2 \* \* \* nobody ' | Should -HaveCount 1
    }

    It 'a job that is not a job, or that the settings do not schedule, is refused before anything is written' {
        $cron = & $Fresh 'cron'
        { Register-CenateBackupSchedule $Settings -Job hourly -CronFile $cron @Quick } |
            Should -Throw -ErrorId (& $Fq 'ParameterArgumentValidationError')
        { Unregister-CenateBackupSchedule -Job 'daily;rm' -Mode Cron -CronFile $cron -Confirm:$false } |
            Should -Throw -ErrorId (& $Fq 'ParameterArgumentValidationError' 'Unregister')
        { Register-CenateBackupSchedule $Settings -Job daily, weekly -CronFile $cron @Quick } |
            Should -Throw -ErrorId (& $Fq 'ScheduleInvalid')
        Test-Path $cron | Should -BeFalse
    }
}

Describe 'Trust: settings, files and directories' {
    It 'settings others can write are refused (SettingsFileInsecure), nothing written' {
        $s = New-Settings (& $Fresh 'open.psd1')
        & chmod 0666 $s
        $cron = & $Fresh 'cron'
        { Register-CenateBackupSchedule $s -CronFile $cron @Quick } |
            Should -Throw -ErrorId (& $Fq 'SettingsFileInsecure')
        Test-Path $cron | Should -BeFalse
    }

    It 'settings naming a time zone that does not exist are refused, nothing written' {
        foreach ($zone in 'Mars/Olympus_Mons', '../../../etc/passwd', 'UTC+5') {
            $s = New-Settings (& $Fresh 'tz.psd1') -Extra "TimeZone = '$zone'"
            $cron = & $Fresh 'cron'
            { Register-CenateBackupSchedule $s -CronFile $cron @Quick } | Should -Throw -Because $zone
            $err = $null
            try { Register-CenateBackupSchedule $s -CronFile $cron @Quick } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeIn @((& $Fq 'SettingsInvalid'), (& $Fq 'ScheduleInvalid'))
            Test-Path $cron | Should -BeFalse
        }
    }

    It 'a directory group or others can write is ScheduleFileInsecure (cron file and unit directory)' {
        $dir = New-Item -ItemType Directory -Path (& $Fresh 'open-dir')
        & chmod 0775 $dir
        { Register-CenateBackupSchedule $Settings -CronFile (Join-Path $dir 'cenate') @Quick } |
            Should -Throw -ErrorId (& $Fq 'ScheduleFileInsecure')
        { Register-CenateBackupSchedule $Settings -Mode Systemd -UnitDirectory $dir -JobDirectory $Jobs `
                -SkipPreflight } | Should -Throw -ErrorId (& $Fq 'ScheduleFileInsecure')
        @(Get-ChildItem -LiteralPath $dir -Force).Count | Should -Be 0
    }

    It 'a cron file swapped for a symlink, a directory or a foreign file during the preflight is not written through' {
        $victim = Join-Path $Root 'victim.txt'
        Set-Content -LiteralPath $victim -Value 'precious'
        $cases = @(
            @{ Name = 'link'; Id = 'ScheduleFileInsecure'
               Body = { param($c) "New-Item -ItemType SymbolicLink -Path '$c' -Target '$victim'" } }
            @{ Name = 'dir'; Id = 'ScheduleFileInsecure'
               Body = { param($c) "New-Item -ItemType Directory -Path '$c'" } }
            @{ Name = 'foreign'; Id = 'ScheduleFileForeign'
               Body = { param($c) "Set-Content -LiteralPath '$c' -Value '# mine'" } }
        )
        foreach ($case in $cases) {
            $cron = & $Fresh "swap-$($case.Name)"
            $jobs = New-JobDirectory (& $Fresh 'jobs') ((& $case.Body $cron) + ' | Out-Null')
            { Register-CenateBackupSchedule $Settings -CronFile $cron -Mode Cron -JobDirectory $jobs `
                    -WarningAction SilentlyContinue } |
                Should -Throw -ErrorId (& $Fq $case.Id)
            Get-Content -LiteralPath $victim | Should -Be 'precious'
            switch ($case.Name) {
                'link' { (Get-Item -LiteralPath $cron).LinkTarget | Should -Be $victim }
                'dir' { @(Get-ChildItem -LiteralPath $cron -Force).Count | Should -Be 0 }
                'foreign' { Get-Content -LiteralPath $cron | Should -Be '# mine' }
            }
            @(Get-ChildItem -LiteralPath $Root -Force -Filter '*.partial').Count | Should -Be 0
        }
        # The same with a file the module wrote before: replaced by a link while the preflight runs.
        $cron = & $Fresh 'swap-update'
        $null = Register-CenateBackupSchedule $Settings -CronFile $cron @Quick
        $before = Get-Content -Raw -LiteralPath $cron
        $jobs = New-JobDirectory (& $Fresh 'jobs') ("Remove-Item -LiteralPath '$cron'; " +
            "New-Item -ItemType SymbolicLink -Path '$cron' -Target '$victim' | Out-Null")
        $s2 = New-Settings (& $Fresh 'two.psd1') @{ Daily = '5 2 * * *' }
        { Register-CenateBackupSchedule $s2 -CronFile $cron -Mode Cron -JobDirectory $jobs `
                -WarningAction SilentlyContinue } | Should -Throw -ErrorId (& $Fq 'ScheduleFileInsecure')
        Get-Content -LiteralPath $victim | Should -Be 'precious'
        $before | Should -Match '0 2 \* \* \*'
    }
}

Describe 'Unregister -WhatIf and Get-CenateBackupSchedule on odd logs' {
    It 'Unregister -WhatIf changes nothing' {
        $cron = & $Fresh 'cron'
        $s = New-Settings (& $Fresh 'two.psd1') @{ Daily = '0 2 * * *'; Weekly = '0 3 * * 0' }
        $null = Register-CenateBackupSchedule $s -CronFile $cron @Quick
        $hash = (Get-FileHash -LiteralPath $cron).Hash
        $time = (Get-Item -LiteralPath $cron).LastWriteTimeUtc
        Unregister-CenateBackupSchedule -Mode Cron -CronFile $cron -WhatIf | Should -BeNullOrEmpty
        Unregister-CenateBackupSchedule -Job daily -Mode Cron -CronFile $cron -WhatIf | Should -BeNullOrEmpty
        (Get-FileHash -LiteralPath $cron).Hash | Should -Be $hash
        (Get-Item -LiteralPath $cron).LastWriteTimeUtc | Should -Be $time
        @(Get-ChildItem -LiteralPath (Split-Path $cron) -Force -Filter '.*').Count | Should -Be 0
    }

    It 'no logs, a missing log directory, broken lines and 10,000 files: no error, the newest run, fast' {
        $logs = & $Fresh 'logs'
        $s = New-Settings (& $Fresh 'logs.psd1') @{ Daily = '0 2 * * *' }
        (Get-Content -Raw $s).Replace("$Root/logs", $logs) | Set-Content -LiteralPath $s
        $cron = & $Fresh 'cron'
        $null = Register-CenateBackupSchedule $s -CronFile $cron @Quick
        $i = Get-CenateBackupSchedule -Mode Cron -CronFile $cron -ErrorVariable e
        $e | Should -BeNullOrEmpty
        $i.LastResult | Should -Be 'None'
        $i.Status | Should -Be 'NeverRun'
        New-Item -ItemType Directory -Path $logs | Out-Null
        $t0 = [datetime]::UtcNow.AddHours(-10000)
        for ($n = 0; $n -lt 10000; $n++) {
            $t = $t0.AddHours($n)
            $name = Join-Path $logs ('daily-' + $t.ToString('yyyyMMddTHHmmssfff') + 'Z.jsonl')
            [IO.File]::WriteAllText($name, "{`"time`":`"$($t.ToString('o'))`",`"event`":`"start`"}`n" +
                "{`"event`":`"end`",`"result`":`"Failed`",`"exitCode`":1,`"durationMs`":1000}`n")
        }
        $newest = [datetime]::UtcNow.AddMinutes(-1)
        $name = Join-Path $logs ('daily-' + $newest.ToString('yyyyMMddTHHmmssfff') + 'Z.jsonl')
        [IO.File]::WriteAllText($name, "{`"time`":`"$($newest.ToString('o'))`",`"event`":`"start`"}`n" +
            "{`"event`":`"step`",`"step`":`"dump`",`"result`":`"Succ`n{`"event`":`"end`",`"resu")   # cut by a crash
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $i = Get-CenateBackupSchedule -Mode Cron -CronFile $cron -ErrorVariable e
        $watch.Stop()
        $e | Should -BeNullOrEmpty
        $i.LastRun.UtcDateTime.ToString('o') | Should -Be $newest.ToString('o')
        # Cut by a crash, and nobody holds the daily lock: that run was killed, not running.
        $i.LastResult | Should -Be 'Interrupted'
        $i.Status | Should -Be 'Failed'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
    }
}
