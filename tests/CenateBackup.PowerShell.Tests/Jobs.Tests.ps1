#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The shipped job scripts (module/jobs → out/CenateBackup/jobs) end to end, as cron and systemd run them: a fresh
# `pwsh -NoProfile -NonInteractive -File <job> -Settings <file>` against the rig's container, smtp4dev and a loopback
# rclone remote. Each test has its own plan (settings, environment file, directories) and database copy; the
# database password reaches the job only through the plan's 0600 environment file.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'AlertHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'OffsiteHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'JobHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Smtp = Start-Smtp4dev -Mode None -SmtpPort 56310 -HttpPort 56311
    $script:Db = 'p16_jobs_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    Copy-TestDatabase -Name $Db
    $script:Rows = [long](Invoke-Psql -Database $Db -Sql 'SELECT count(*) FROM public.asegurados')
    $script:Plans = [Collections.Generic.List[object]]::new()
    $script:Disks = [Collections.Generic.List[string]]::new()

    function New-Plan([string]$Name, [string]$Extra = '', [switch]$Mail, [string]$Database = $Db,
                      [string]$Container = $Rig.Container, [int]$Port = $Rig.Port) {
        $smtp = if ($Mail) { $Smtp } else { $null }
        $p = New-JobPlan -Name $Name -Database $Database -Container $Container -Port $Port -Smtp $smtp -Extra $Extra
        $Plans.Add($p)
        $p
    }
    # More keys in the plan's settings hashtable (before its closing brace).
    function Add-PlanLines($Plan, [string]$Lines) {
        $text = (Get-Content -Raw -LiteralPath $Plan.Settings) -replace '\}\s*$', "$Lines`n}`n"
        Write-PrivateFile $Plan.Settings $text | Out-Null
    }
    # A real set of the test database, made and verified in this process (the input of the copy/monitor/drill jobs).
    function New-VerifiedSet([string]$Path) {
        New-CenateDump -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Database $Db -Path $Path `
            -CompressionLevel 1 -Include Csv | Test-CenateBackup | Out-Null
        Get-CenateBackup -Path $Path -Database $Db -Newest 1
    }
    # Fake older sets (manifests as the module writes them): three recent ones, so that retention's MinimumKeep is
    # met without the old one, and one $OldDays days old that retention must remove — when it runs.
    function Add-OlderSets([string]$Dir, [string]$Database, [int]$OldDays = 400, [switch]$AtTarget) {
        $copy = if ($AtTarget) { @{ CopyRecord = $true; VerifiedAt = $Dir } } else { @{} }
        foreach ($d in 1, 2, 3) { New-FakeSet -Dir $Dir -DaysAgo $d -Database $Database @copy | Out-Null }
        New-FakeSet -Dir $Dir -DaysAgo $OldDays -Database $Database @copy
    }
    function Assert-Private([string]$Path, [string]$Mode) { Get-UnixMode $Path | Should -Be $Mode -Because $Path }
    # The sleeping holder of a job's lock: the job runtime's own calls, one step that sleeps.
    function New-SleepingJob([string]$Dir, [string]$Job = 'daily') {
        $path = Join-Path $Dir "Sleep-$Job.ps1"
        Set-Content -LiteralPath $path -Value @"
param([string]`$Settings, [switch]`$Preflight)
`$ErrorActionPreference = 'Stop'
Import-Module CenateBackup
`$job = Start-CenateJob -Name $Job -Settings `$Settings
if (`$job.Locked) { exit 75 }
Invoke-CenateJobStep `$job sleep { Start-Sleep -Seconds 120 }
exit (Complete-CenateJob `$job).ExitCode
"@
        $path
    }
    function Wait-JobStarted([string]$Logs, [string]$Job, $Run, [int]$Seconds = 60) {
        # The start record is written once the lock is held.
        $until = [DateTime]::UtcNow.AddSeconds($Seconds)
        while ([DateTime]::UtcNow -lt $until) {
            $log = @(Get-JobLog -Directory $Logs -Job $Job -ErrorAction SilentlyContinue)
            if ($log.Count -and @($log[-1].Records | Where-Object event -eq 'start').Count) { return $log[-1] }
            if ($Run.Process.HasExited) {
                throw "the $Job job ended early: $($Run.StdOut.Result) $($Run.StdErr.Result)"
            }
            Start-Sleep -Milliseconds 200
        }
        throw "the $Job job wrote no start record in $Logs within $Seconds s"
    }
}

AfterAll {
    $Smtp | Stop-Smtp4dev
    foreach ($d in $Disks) { Dismount-JobTestDisk $d }
    if ($Db) { Remove-TestDatabase $Db }
    foreach ($p in $Plans) { Remove-Item -LiteralPath $p.Directory -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'Daily.ps1' {
    It 'makes a verified set with Csv and Sql, expires an old set, writes statistics and both run logs (0600)' {
        $plan = New-Plan 'daily' -Mail
        $old = Add-OlderSets $plan.Backups $Db
        Clear-Smtp4dev -Server $Smtp
        $r = Invoke-JobScript -Name Daily -Settings $plan.Settings
        $r.ExitCode | Should -Be 0 -Because "$($r.StdOut)`n$($r.StdErr)"

        # The set: dump + data-only SQL + CSV of asegurados, read to the end (Read), with the exact row count.
        $set = Get-CenateBackup -Path $plan.Backups -Database $Db -Newest 1
        $set.Complete | Should -BeTrue
        @($set.Files.Kind | Sort-Object) | Should -Be @('Csv', 'Dump', 'Sql')
        $set.VerificationPassed | Should -BeTrue
        $set.VerifiedLevel | Should -Be 'Read'
        $set.AseguradosRows | Should -Be $Rows
        # Retention ran after the verified set: the 400-day-old set is gone, the recent ones stay.
        Test-Path -LiteralPath $old.Manifest | Should -BeFalse
        @(Get-CenateBackup -Path $plan.Backups -Database $Db).Count | Should -Be 4

        $logs = @(Get-JobLog -Directory $plan.Logs -Job daily)
        $logs | Should -HaveCount 1
        Assert-Private $logs[0].Json '0600'; Assert-Private $logs[0].Log '0600'; Assert-Private $plan.Logs '0700'
        $rec = $logs[0].Records
        $rec[0].event | Should -Be 'start'
        $rec[0].job | Should -Be 'daily'
        $rec[0].settings | Should -Be $plan.Settings
        $rec[-1].event | Should -Be 'end'
        $rec[-1].result | Should -Be 'Succeeded'
        $rec[-1].exitCode | Should -Be 0
        @($rec.runId | Select-Object -Unique) | Should -HaveCount 1
        $steps = @($rec | Where-Object event -eq 'step')
        @($steps.step) | Should -Be @('dump', 'verify', 'retention', 'statistics')
        @($steps.result | Select-Object -Unique) | Should -Be @('Succeeded')
        (Get-StepRecord $logs[0] dump)[0].bytes | Should -Be $set.TotalSize
        (Get-StepRecord $logs[0] dump)[0].rows | Should -Be $Rows
        # The statistics: files, total size and asegurados rows of the set, in the log and on stdout.
        (Get-StepRecord $logs[0] statistics)[0].bytes | Should -Be $set.TotalSize
        (Get-StepRecord $logs[0] statistics)[0].rows | Should -Be $Rows
        $r.StdOut | Should -Match "Files\s*:\s*3"
        $r.StdOut | Should -Match "Rows\s*:\s*$Rows"
        Get-Content -Raw -LiteralPath $logs[0].Log | Should -Match 'dump'
        # A successful run mails nobody (the alert's default When is Failure); the password is in no log.
        @(Get-Smtp4devMessages -Server $Smtp -Expect 0) | Should -HaveCount 0
        Find-Secret -Secret $Rig.Password, $Smtp.Password -Path $plan.Logs | Should -BeNullOrEmpty
        Assert-Private (Join-Path $plan.State 'locks') '0700'
    }

    It 'two daily runs at once: one makes the set, the other exits 75 and makes none' {
        $plan = New-Plan 'race'
        $a = Start-JobScript -Name Daily -Settings $plan.Settings
        $b = Start-JobScript -Name Daily -Settings $plan.Settings
        $codes = @(($a, $b | Wait-JobScript).ExitCode | Sort-Object)
        $codes | Should -Be @(0, 75) -Because "$($a.StdErr.Result) $($b.StdErr.Result)"
        @(Get-CenateBackup -Path $plan.Backups -Database $Db) | Should -HaveCount 1
        # The locked run wrote no log of its own.
        @(Get-JobLog -Directory $plan.Logs -Job daily) | Should -HaveCount 1
    }

    It 'while a run holds the lock, another exits 75 at once and creates no file anywhere' {
        $plan = New-Plan 'locked'
        $holder = Start-JobScript -Script (New-SleepingJob $plan.Directory) -Settings $plan.Settings
        try {
            $null = Wait-JobStarted $plan.Logs daily $holder
            $before = @(Get-DirectoryListing $plan.Directory)
            $r = Invoke-JobScript -Name Daily -Settings $plan.Settings -TimeoutSeconds 60
            $r.ExitCode | Should -Be 75 -Because "$($r.StdOut)`n$($r.StdErr)"
            "$($r.StdOut)$($r.StdErr)" | Should -Match "Another run of the daily job \(pid $($holder.Process.Id)"
            # At once: no waiting for the lock (a pwsh start and a module import, not the holder's 120 s).
            $r.Seconds | Should -BeLessThan 30
            Test-Path -LiteralPath $plan.Backups | Should -BeFalse -Because 'the locked run never reached the dump'
            @(Get-DirectoryListing $plan.Directory) | Should -Be $before
        } finally { try { $holder.Process.Kill($true) } catch { } }
    }

    It 'kill -9 of a running job releases its lock: the next run gets it' {
        $plan = New-Plan 'kill'
        $holder = Start-JobScript -Script (New-SleepingJob $plan.Directory) -Settings $plan.Settings
        $null = Wait-JobStarted $plan.Logs daily $holder
        # Positive control: held, so a preflight of the real job is refused with 75.
        (Invoke-JobScript -Name Daily -Settings $plan.Settings -Arguments '-Preflight').ExitCode | Should -Be 75
        & kill -KILL $holder.Process.Id
        $holder.Process.WaitForExit(10000) | Should -BeTrue
        $holder.Process.ExitCode | Should -Be 137
        # The next run gets the lock and runs (its set is made), and reports the killed run: exit 1, JobInterrupted.
        $r = Invoke-JobScript -Name Daily -Settings $plan.Settings
        $r.ExitCode | Should -Be 1 -Because "$($r.StdOut)`n$($r.StdErr)"
        @(Get-CenateBackup -Path $plan.Backups -Database $Db) | Should -HaveCount 1
        $log = @(Get-JobLog -Directory $plan.Logs -Job daily)[-1]
        (Get-StepRecord $log previous-run)[0].errorId | Should -Be 'JobInterrupted'
        (Get-StepRecord $log previous-run)[0].message | Should -Match "pid $($holder.Process.Id)\)"
        (Get-StepRecord $log dump)[0].result | Should -Be 'Succeeded'
        # The killed earlier run fails this run (exit 1, alert), not this run's own steps: its set is verified.
        (Get-StepRecord $log verify)[0].result | Should -Be 'Succeeded'
        (Get-StepRecord $log retention)[0].result | Should -Be 'Succeeded'
        @(Get-CenateBackup -Path $plan.Backups -Database $Db -Verified) | Should -HaveCount 1
        # Reported once: the run after that is clean.
        $r = Invoke-JobScript -Name Daily -Settings $plan.Settings
        $r.ExitCode | Should -Be 0 -Because "$($r.StdOut)`n$($r.StdErr)"
    }

    It 'every job script passes its -Preflight (exit 0): lock taken and released, no log, no backup' {
        $plan = New-Plan 'preflight'
        foreach ($name in 'Daily', 'Weekly', 'Monthly', 'Monitor', 'Drill', 'AuditRetention') {
            $r = Invoke-JobScript -Name $name -Settings $plan.Settings -Arguments '-Preflight' -TimeoutSeconds 60
            $r.ExitCode | Should -Be 0 -Because "$name -Preflight: $($r.StdOut)`n$($r.StdErr)"
        }
        # Each script locks under its schedule's job name (the names Register-CenateBackupSchedule uses).
        @(Get-ChildItem -LiteralPath (Join-Path $plan.State 'locks') -File | ForEach-Object Name | Sort-Object) |
            Should -Be @('auditretention.lock', 'daily.lock', 'drill.lock', 'monitor.lock', 'monthly.lock',
                'weekly.lock')
        @(Get-ChildItem -LiteralPath $plan.Logs -File) | Should -HaveCount 0
        Test-Path -LiteralPath $plan.Backups | Should -BeFalse
    }

    It 'a bad settings file (<Case>): exit 1, <Id> on stderr, nothing created, nothing run' -TestCases @(
        @{ Case = 'unknown key'; Id = 'SettingsInvalid'; Extra = "    Contaner = 'postgres_cenate'"; Says = 'Contaner' }
        @{ Case = 'bare number for a duration'; Id = 'SettingsInvalid'; Extra = '    AuditLogRetention = 180'
           Says = 'AuditLogRetention' }
        # Data only: an expression is refused, never evaluated (the file it would create never appears).
        @{ Case = 'an expression'; Id = 'SettingsInvalid'; Says = 'cenate.psd1'
           Extra = '    Drill = @{ ScratchDatabase = "$(New-Item -ItemType File -Path $env:P16_PWNED)" }' }
        @{ Case = 'group-writable file'; Id = 'SettingsFileInsecure'; Extra = ''; Mode = '0664'; Says = 'cenate.psd1' }
        @{ Case = 'missing file'; Id = 'SettingsNotFound'; Extra = ''; Missing = $true; Says = 'cenate.psd1' }
    ) {
        param($Case, $Id, $Extra, $Says, $Mode, $Missing)
        $plan = New-Plan 'badsettings' -Extra $Extra
        if ($Mode) { & chmod $Mode $plan.Settings }
        if ($Missing) { Remove-Item -LiteralPath $plan.Settings }
        $pwned = Join-Path $plan.Directory 'pwned'
        $env:P16_PWNED = $pwned
        try { $r = Invoke-JobScript -Name Daily -Settings $plan.Settings -TimeoutSeconds 60 }
        finally { Remove-Item env:P16_PWNED }
        $r.ExitCode | Should -Be 1
        $fq = "$Id,CenateBackup.PowerShell.Commands.StartCenateJobCommand"
        $r.StdErr | Should -Match "FullyQualifiedErrorId\s*:\s*$([regex]::Escape($fq))"
        $r.StdErr | Should -Match ([regex]::Escape($Says))
        foreach ($d in $plan.Backups, $plan.Logs, $plan.State, $pwned) { Test-Path -LiteralPath $d | Should -BeFalse }
    }

    It 'a bad environment file (<Case>): exit 1, <Id> on stderr, never the value, nothing created' -TestCases @(
        @{ Case = 'not NAME=value'; Id = 'EnvironmentFileInvalid'; Says = 'line 2'
           Text = "PGPASSWORD={0}`nnot a line secret-{0}`n" }
        # Only PG*, CENATE_* and DOCKER_HOST: a file must not be able to load a library into the job.
        @{ Case = 'LD_PRELOAD'; Id = 'EnvironmentFileInvalid'; Says = 'line 3'
           Text = "# secrets`nPGPASSWORD={0}`nLD_PRELOAD=/tmp/evil-{0}.so`n" }
        @{ Case = 'readable by the group'; Id = 'EnvironmentFileInsecure'; Says = 'cenate.env'
           Text = "PGPASSWORD={0}`n"; Mode = '0640' }
        @{ Case = 'a symbolic link'; Id = 'EnvironmentFileInsecure'; Says = 'cenate.env'
           Text = "PGPASSWORD={0}`n"; Link = $true }
    ) {
        param($Case, $Id, $Says, $Text, $Mode, $Link)
        $plan = New-Plan 'badenv'
        $content = $Text -f $Rig.Password
        if ($Link) {
            Remove-Item -LiteralPath $plan.EnvFile
            $real = Write-PrivateFile (Join-Path $plan.Directory 'real.env') $content
            New-Item -ItemType SymbolicLink -Path $plan.EnvFile -Target $real | Out-Null
        } else { Write-PrivateFile $plan.EnvFile $content | Out-Null }
        if ($Mode) { & chmod $Mode $plan.EnvFile }
        $r = Invoke-JobScript -Name Daily -Settings $plan.Settings -TimeoutSeconds 60
        $r.ExitCode | Should -Be 1
        $r.StdErr | Should -Match "FullyQualifiedErrorId\s*:\s*$Id,"
        $r.StdErr | Should -Match ([regex]::Escape($Says))
        "$($r.StdOut)$($r.StdErr)".Contains($Rig.Password) | Should -BeFalse
        foreach ($d in $plan.Backups, $plan.Logs, $plan.State) { Test-Path -LiteralPath $d | Should -BeFalse }
    }
}

Describe 'Daily.ps1: the container stops in the middle of the dump' {
    BeforeAll {
        $script:Stop = Start-ThrowawayContainer -Name p16_stop -Port 56301 -Rows 300000
    }
    AfterAll { Remove-ThrowawayContainer p16_stop }

    It 'exit 1, the JSON log names step dump and its error id, the alert arrives, retention is Skipped' {
        $plan = New-Plan 'stop' -Mail -Database maestro_cenate -Container p16_stop -Port 56301
        $old = Add-OlderSets $plan.Backups maestro_cenate
        Clear-Smtp4dev -Server $Smtp
        $run = Start-JobScript -Name Daily -Settings $plan.Settings
        $null = Wait-ForFile -Directory $plan.Backups -Filter '*.partial' -MinimumSize 1 -TimeoutSeconds 120
        & docker stop -t 2 p16_stop | Out-Null
        $r = $run | Wait-JobScript
        $r.ExitCode | Should -Be 1 -Because "$($r.StdOut)`n$($r.StdErr)"

        $log = @(Get-JobLog -Directory $plan.Logs -Job daily)[-1]
        $dump = (Get-StepRecord $log dump)[0]
        $dump.result | Should -Be 'Failed'
        $dump.errorId | Should -Match '^[A-Z][A-Za-z]+$'
        $dump.message | Should -Not -BeNullOrEmpty
        (Get-StepRecord $log verify)[0].result | Should -Be 'Skipped'
        (Get-StepRecord $log retention)[0].result | Should -Be 'Skipped'
        @(Get-StepRecord $log statistics) | Should -HaveCount 0
        $log.Records[-1].result | Should -Be 'Failed'
        $log.Records[-1].exitCode | Should -Be 1
        # The human log says the same in one line.
        $human = Get-Content -Raw -LiteralPath $log.Log
        $human | Should -Match 'step dump Failed'
        $human | Should -Match ([regex]::Escape($dump.errorId))

        # One mail for the run, naming the job and the dump's error id.
        $mail = @(Get-Smtp4devMessages -Server $Smtp -Detail -Expect 1)
        $mail | Should -HaveCount 1
        "$($mail[0].Subject)`n$($mail[0].Text)" | Should -Match 'daily'
        "$($mail[0].Subject)`n$($mail[0].Text)" | Should -Match $dump.errorId
        # Retention did not run: the old set is still there; the failed run left no partial and no new set.
        Test-Path -LiteralPath $old.Manifest | Should -BeTrue
        @(Get-ChildItem -LiteralPath $plan.Backups -Filter '*.partial') | Should -HaveCount 0
        @(Get-CenateBackup -Path $plan.Backups -Database maestro_cenate) | Should -HaveCount 4
    }
}

Describe 'Weekly.ps1 and Monthly.ps1' {
    It 'weekly: the newest set is copied to the directory target, verified there, and the old copy expired there' {
        $plan = New-Plan 'weekly'
        $disk = Mount-JobTestDisk (Join-Path $plan.Directory 'usb'); $Disks.Add($disk)
        $usb = Join-Path $disk 'cenate'
        Add-PlanLines $plan "    Weekly = @{ Destination = '$usb'; RequireMountPoint = '$disk'; Keep = 90 }"
        Initialize-CenateOffsiteTarget -Destination $usb -Confirm:$false | Out-Null
        $old = Add-OlderSets $usb $Db -OldDays 200 -AtTarget
        $set = New-VerifiedSet $plan.Backups
        $r = Invoke-JobScript -Name Weekly -Settings $plan.Settings
        $r.ExitCode | Should -Be 0 -Because "$($r.StdOut)`n$($r.StdErr)"
        $copy = Get-CenateBackup -Path $usb -Database $Db -Newest 1
        $copy.Stamp | Should -Be $set.Stamp
        $copy.VerificationPassed | Should -BeTrue
        $copy.VerifiedLevel | Should -Be 'Checksum'
        Test-Path -LiteralPath $old.Manifest | Should -BeFalse -Because 'the 200-day-old copy is past Keep = 90'
        $log = @(Get-JobLog -Directory $plan.Logs -Job weekly)[-1]
        @(($log.Records | Where-Object event -eq 'step').step) | Should -Be @('sync', 'verify', 'expire')
        @(($log.Records | Where-Object event -eq 'step').result | Select-Object -Unique) | Should -Be @('Succeeded')
        (Get-StepRecord $log sync)[0].bytes | Should -Be $set.TotalSize
    }

    It 'weekly without Weekly.Destination in the settings fails with a clear message' {
        $plan = New-Plan 'noweekly'
        $r = Invoke-JobScript -Name Weekly -Settings $plan.Settings
        $r.ExitCode | Should -Be 1
        $log = @(Get-JobLog -Directory $plan.Logs -Job weekly)[-1]
        (Get-StepRecord $log sync)[0].result | Should -Be 'Failed'
        (Get-StepRecord $log sync)[0].message | Should -Match 'Weekly\.Destination'
        (Get-StepRecord $log sync)[0].errorId | Should -Be 'SettingsInvalid'
        (Get-StepRecord $log expire)[0].result | Should -Be 'Skipped'
    }

    It 'monthly: the newest set goes to a crypt remote over WebDAV on 127.0.0.1 and is verified there' {
        $dav = Start-TestRemote -Kind webdav -Port 56320
        try {
            $confDir = New-AlertTempDirectory 'p16-rclone'
            $conf = New-TestRcloneConfig -Path (Join-Path $confDir 'rclone.conf') -Remotes $dav
            $Plans.Add([pscustomobject]@{ Directory = $confDir })
            $Plans.Add([pscustomobject]@{ Directory = $conf.CryptLocalDirectory })
            $plan = New-Plan 'monthly' -Extra ("    Monthly = @{ Destination = 'cryptdav:p16'; " +
                "RcloneConfig = '$($conf.Path)'; Keep = 365 }")
            $set = New-VerifiedSet $plan.Backups
            $r = Invoke-JobScript -Name Monthly -Settings $plan.Settings
            $r.ExitCode | Should -Be 0 -Because "$($r.StdOut)`n$($r.StdErr)"
            $copy = Get-CenateBackup -Path 'cryptdav:p16' -RcloneConfig $conf.Path -Database $Db
            @($copy) | Should -HaveCount 1
            $copy.Stamp | Should -Be $set.Stamp
            $copy.VerificationPassed | Should -BeTrue
            # Encrypted at rest: the WebDAV directory holds no file under the set's own name.
            @(Get-ChildItem -LiteralPath $dav.Directory -Recurse -File | Where-Object Name -like "*$($set.Stamp)*") |
                Should -HaveCount 0
            $log = @(Get-JobLog -Directory $plan.Logs -Job monthly)[-1]
            @(($log.Records | Where-Object event -eq 'step').result | Select-Object -Unique) | Should -Be @('Succeeded')
            Find-Secret -Secret $conf.Secrets -Path $plan.Logs | Should -BeNullOrEmpty
        } finally { $dav | Stop-TestRemote -RemoveDirectory }
    }

    It 'weekly takes the monthly keys: a crypt remote with Weekly.RcloneConfig, verified and expired there' {
        # Weekly and Monthly take the same keys (Destination, RequireMountPoint, RcloneConfig, Keep).
        $dav = Start-TestRemote -Kind webdav -Port 56420
        try {
            $confDir = New-AlertTempDirectory 'f16-rclone'
            $conf = New-TestRcloneConfig -Path (Join-Path $confDir 'rclone.conf') -Remotes $dav
            $Plans.Add([pscustomobject]@{ Directory = $confDir })
            $Plans.Add([pscustomobject]@{ Directory = $conf.CryptLocalDirectory })
            $plan = New-Plan 'f16weekly' -Extra ("    Weekly = @{ Destination = 'cryptdav:f16w'; " +
                "RcloneConfig = '$($conf.Path)'; Keep = 90 }")
            (Get-CenateSettings -Path $plan.Settings).Weekly.RcloneConfig | Should -Be $conf.Path
            $set = New-VerifiedSet $plan.Backups
            $r = Invoke-JobScript -Name Weekly -Settings $plan.Settings
            $r.ExitCode | Should -Be 0 -Because "$($r.StdOut)`n$($r.StdErr)"
            $copy = Get-CenateBackup -Path 'cryptdav:f16w' -RcloneConfig $conf.Path -Database $Db
            @($copy) | Should -HaveCount 1
            $copy.Stamp | Should -Be $set.Stamp
            $copy.VerificationPassed | Should -BeTrue
            $copy.VerifiedLevel | Should -Be 'Checksum'
            @(Get-ChildItem -LiteralPath $dav.Directory -Recurse -File | Where-Object Name -like "*$($set.Stamp)*") |
                Should -HaveCount 0
            $log = @(Get-JobLog -Directory $plan.Logs -Job weekly)[-1]
            @(($log.Records | Where-Object event -eq 'step').step) | Should -Be @('sync', 'verify', 'expire')
            @(($log.Records | Where-Object event -eq 'step').result | Select-Object -Unique) | Should -Be @('Succeeded')
            Find-Secret -Secret $conf.Secrets -Path $plan.Logs | Should -BeNullOrEmpty
        } finally { $dav | Stop-TestRemote -RemoveDirectory }
    }
}

Describe 'Monitor.ps1' {
    It 'passes while the set and the weekly copy are good, then a damaged copy fails it and mails the admin' {
        $plan = New-Plan 'monitor' -Mail
        $disk = Mount-JobTestDisk (Join-Path $plan.Directory 'usb'); $Disks.Add($disk)
        $usb = Join-Path $disk 'cenate'
        Add-PlanLines $plan @"
    Weekly = @{ Destination = '$usb'; RequireMountPoint = '$disk' }
    Monitor = @{ MinimumSize = '1KB'; MaxAge = '1h' }
"@
        Initialize-CenateOffsiteTarget -Destination $usb -Confirm:$false | Out-Null
        $set = New-VerifiedSet $plan.Backups
        Sync-CenateOffsite -Path $plan.Backups -Destination $usb -Confirm:$false | Out-Null
        Clear-Smtp4dev -Server $Smtp

        $r = Invoke-JobScript -Name Monitor -Settings $plan.Settings
        $r.ExitCode | Should -Be 0 -Because "$($r.StdOut)`n$($r.StdErr)"
        $log = @(Get-JobLog -Directory $plan.Logs -Job monitor)[-1]
        @(($log.Records | Where-Object event -eq 'step').step) | Should -Be @('local', 'weekly')
        @(Get-Smtp4devMessages -Server $Smtp -Expect 0) | Should -HaveCount 0 -Because 'When Change: nothing changed'

        # One flipped byte in the weekly copy's dump: that check fails, the local one still passes.
        $dump = Get-ChildItem -LiteralPath $usb -Filter '*.dump' -Recurse | Select-Object -First 1
        $bytes = [IO.File]::ReadAllBytes($dump.FullName); $bytes[100] = $bytes[100] -bxor 0xFF
        [IO.File]::WriteAllBytes($dump.FullName, $bytes)
        $r = Invoke-JobScript -Name Monitor -Settings $plan.Settings
        $r.ExitCode | Should -Be 1 -Because "$($r.StdOut)`n$($r.StdErr)"
        $log = @(Get-JobLog -Directory $plan.Logs -Job monitor)[-1]
        (Get-StepRecord $log local)[0].result | Should -Be 'Succeeded'
        (Get-StepRecord $log weekly)[0].result | Should -Be 'Failed'
        (Get-StepRecord $log weekly)[0].errorId | Should -Not -BeNullOrEmpty
        $mail = @(Get-Smtp4devMessages -Server $Smtp -Detail -Expect 1)
        $mail | Should -HaveCount 1
        "$($mail[0].Subject)`n$($mail[0].Text)" | Should -Match 'monitor'
        "$($mail[0].Subject)`n$($mail[0].Text)" | Should -Match ([regex]::Escape($set.Stamp))
    }
}

Describe 'Drill.ps1 and AuditRetention.ps1' {
    It 'drill: restores the newest set into the scratch database, drops it, and mails the report on success too' {
        $scratch = 'p16_drill_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $plan = New-Plan 'drill' -Mail -Extra "    Drill = @{ ScratchDatabase = '$scratch' }"
        $set = New-VerifiedSet $plan.Backups
        Clear-Smtp4dev -Server $Smtp
        $r = Invoke-JobScript -Name Drill -Settings $plan.Settings
        $r.ExitCode | Should -Be 0 -Because "$($r.StdOut)`n$($r.StdErr)"
        $log = @(Get-JobLog -Directory $plan.Logs -Job drill)[-1]
        (Get-StepRecord $log drill)[0].result | Should -Be 'Succeeded'
        $r.StdOut | Should -Match ([regex]::Escape($set.Stamp))
        $r.StdOut | Should -Match 'Level\s*:\s*Restore'
        $r.StdOut | Should -Match "DrillDatabase\s*:\s*$scratch"
        Invoke-Psql -Database postgres -Sql "SELECT count(*) FROM pg_database WHERE datname = '$scratch'" |
            Should -Be '0'
        $mail = @(Get-Smtp4devMessages -Server $Smtp -Detail -Expect 1)
        $mail | Should -HaveCount 1 -Because 'the drill report is mailed every month, not only on failure'
        "$($mail[0].Subject)`n$($mail[0].Text)" | Should -Match 'drill'
    }

    It 'audit retention: removes only the audit entries older than AuditLogRetention' {
        $adb = 'p16_audit_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Copy-TestDatabase -Name $adb -Template $Db
        try {
            Install-CenateAuditTrigger -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Database $adb `
                -Confirm:$false | Out-Null
            Invoke-Psql -Database $adb -Sql 'DELETE FROM public.asegurados WHERE id <= 120' | Out-Null
            Invoke-Psql -Database $adb -Sql (
                "UPDATE cenate_audit.audit_log SET logged_at = now() - interval '200 days' " +
                'WHERE id IN (SELECT id FROM cenate_audit.audit_log ORDER BY id LIMIT 50)') | Out-Null
            Invoke-Psql -Database $adb -Sql 'SELECT count(*) FROM cenate_audit.audit_log' | Should -Be '120'
            $plan = New-Plan 'audit' -Database $adb -Extra "    AuditLogRetention = '180d'"
            $r = Invoke-JobScript -Name AuditRetention -Settings $plan.Settings
            $r.ExitCode | Should -Be 0 -Because "$($r.StdOut)`n$($r.StdErr)"
            Invoke-Psql -Database $adb -Sql 'SELECT count(*) FROM cenate_audit.audit_log' | Should -Be '70'
            Invoke-Psql -Database $adb -Sql ("SELECT count(*) FROM cenate_audit.audit_log " +
                "WHERE logged_at < now() - interval '1 day'") | Should -Be '0'
            $log = @(Get-JobLog -Directory $plan.Logs -Job auditretention)[-1]
            (Get-StepRecord $log purge)[0].result | Should -Be 'Succeeded'
        } finally { Remove-TestDatabase $adb }
    }
}
