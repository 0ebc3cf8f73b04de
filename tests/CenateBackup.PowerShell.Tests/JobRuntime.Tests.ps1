#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The job runtime (Start-CenateJob, Invoke-CenateJobStep, Complete-CenateJob) as the job scripts use it, in real pwsh
# child processes: the per-job lock between two processes (exit 75, no file written) and after kill -9, the run logs
# (modes, records, no secret), the environment file, settings errors, log retention, and the alert of a run delivered
# to a real smtp4dev (ports 56160/56161 are this file's). Step semantics are also checked in this process.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'AlertHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $env:CENATE_MODULE_PATH = Get-ModuleManifestPath
    $script:Smtp = Start-Smtp4dev -Mode None -SmtpPort 56160 -HttpPort 56161 -NoWait
    $script:Root = New-AlertTempDirectory 'jobs'
    $script:Secret = 'Pg-' + [guid]::NewGuid().ToString('N')
    $script:Fq = { param($id, $cmd) "$id,CenateBackup.PowerShell.Commands.$cmd" }

    # A job script of the shape module/jobs/*.ps1 have. -Mode: ok, fail (a step throws a message holding the
    # password), hold (the first step waits for <settings>.release).
    $script:JobScript = Join-Path $Root 'Test-Job.ps1'
    Set-Content -LiteralPath $JobScript -Value @'
param([string]$Settings, [switch]$Preflight, [string]$Mode = 'ok', [string]$When = 'Failure')
$ErrorActionPreference = 'Stop'
# The error id on stderr (pwsh's concise view shows only the message), as the shipped job scripts do.
trap { [Console]::Error.WriteLine("$($_.FullyQualifiedErrorId): $($_.Exception.Message)"); exit 1 }
Import-Module $env:CENATE_MODULE_PATH
$job = Start-CenateJob -Name jtest -Settings $Settings -Preflight:$Preflight
if ($job.Locked) { exit 75 }
if ($Preflight) { exit 0 }
$null = Invoke-CenateJobStep $job first {
    if ($Mode -eq 'hold') { while (-not (Test-Path "$Settings.release")) { Start-Sleep -Milliseconds 100 } }
    [pscustomobject]@{ Bytes = 5; Rows = 2 }
}
$null = Invoke-CenateJobStep $job second {
    if ($Mode -eq 'holdlate') { while (-not (Test-Path "$Settings.release")) { Start-Sleep -Milliseconds 100 } }
    if ($Mode -eq 'fail') {
        throw "could not connect: PGPASSWORD=$env:PGPASSWORD postgresql://backup:$($env:PGPASSWORD)@db/maestro"
    }
}
$null = Invoke-CenateJobStep $job third -OnlyIfSucceeded { 'third ran' }
exit (Complete-CenateJob $job -When $When).ExitCode
'@

    function New-JobSettings {
        # A fresh directory with a settings file (0600), an environment file (0600) and optional extra lines.
        param([string[]]$Extra = @(), [string]$EnvMode = '600', [switch]$NoEnvironment, [string]$EnvOwner)
        $dir = Join-Path $Root ([guid]::NewGuid().ToString('N').Substring(0, 8))
        [void][IO.Directory]::CreateDirectory($dir, [IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        $lines = @("Path = 'backups'", "LogPath = 'var/log'", "StatePath = 'var/state'") + $Extra
        if (-not $NoEnvironment) { $lines += "EnvironmentFile = 'cenate.env'" }
        $file = Join-Path $dir 'cenate.psd1'
        Set-Content -LiteralPath $file -Value ("@{`n    " + ($lines -join "`n    ") + "`n}")
        chmod 600 $file
        $envFile = Join-Path $dir 'cenate.env'
        Set-Content -LiteralPath $envFile -Value "# secrets`nPGPASSWORD=$Secret`nCENATE_SMTP_PASSWORD=$($Smtp.Password)"
        chmod $EnvMode $envFile
        if ($EnvOwner) { chown $EnvOwner $envFile }
        [pscustomobject]@{ Directory = $dir; File = $file; LogPath = (Join-Path $dir 'var/log')
            LockPath = (Join-Path $dir 'var/state/locks/jtest.lock') }
    }
    function Invoke-Job([Parameter(Mandatory)]$S, [string]$Mode = 'ok', [string]$When = 'Failure', [switch]$Preflight) {
        $a = @('-Settings', $S.File, '-Mode', $Mode, '-When', $When)
        if ($Preflight) { $a += '-Preflight' }
        Invoke-ChildPwsh -ScriptPath $JobScript -Arguments $a -Environment @{ PGPASSWORD = '' }
    }
    function Start-HoldingJob([Parameter(Mandatory)]$S, [string]$Mode = 'hold') {
        $psi = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
        if ((Split-Path -Leaf ([Environment]::ProcessPath)) -like 'dotnet*') {
            $psi.ArgumentList.Add([Environment]::GetCommandLineArgs()[0])
        }
        foreach ($a in '-NoProfile', '-NonInteractive', '-File', $JobScript, '-Settings', $S.File, '-Mode', $Mode) {
            $psi.ArgumentList.Add($a)
        }
        $psi.UseShellExecute = $false
        $psi.RedirectStandardOutput = $true
        $p = [Diagnostics.Process]::Start($psi)
        # Holding once its start record (holdlate: its first step's record) is on disk.
        $until = [DateTime]::UtcNow.AddSeconds(60)
        $mark = if ($Mode -eq 'holdlate') { '"step":"first"' } else { '"event":"start"' }
        while (-not (Get-ChildItem -LiteralPath $S.LogPath -Filter 'jtest-*.jsonl' -ErrorAction SilentlyContinue |
                Select-String -SimpleMatch $mark)) {
            if ([DateTime]::UtcNow -gt $until -or $p.HasExited) {
                throw "the holding job did not start (exit $($p.ExitCode))"
            }
            Start-Sleep -Milliseconds 100
        }
        $p
    }
    function Get-Records([Parameter(Mandatory)]$S) {
        $file = Get-ChildItem -LiteralPath $S.LogPath -Filter 'jtest-*.jsonl' | Sort-Object Name | Select-Object -Last 1
        Get-Content -LiteralPath $file.FullName | ForEach-Object { $_ | ConvertFrom-Json }
    }
    function Get-Listing([string]$Path) {
        Get-ChildItem -LiteralPath $Path -Recurse -Force | ForEach-Object { "$($_.FullName)|$($_.Length)" } |
            Sort-Object
    }
    $Smtp | Wait-Smtp4dev
}

AfterAll {
    $Smtp | Stop-Smtp4dev
    if ($Root) { Remove-Item -LiteralPath $Root -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'The per-job lock' {
    It 'makes a second run exit 75 at once, writing no file; kill -9 of the holder releases it' {
        $s = New-JobSettings
        $holder = Start-HoldingJob $s
        try {
            $before = Get-Listing $s.Directory
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $second = Invoke-Job $s
            $second.ExitCode | Should -Be 75
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
            $second.StdOut + $second.StdErr | Should -Match ("Another run of the jtest job \(pid $($holder.Id), " +
                'started [0-9: -]+Z\) holds .*jtest\.lock; nothing was touched')
            Get-Listing $s.Directory | Should -Be $before
            # A preflight of the same job sees the lock too (Register-CenateBackupSchedule accepts 75).
            (Invoke-Job $s -Preflight).ExitCode | Should -Be 75
        }
        finally {
            $holder.Kill()   # SIGKILL: no cleanup code of the holder runs
            $holder.WaitForExit()
        }
        $holder.ExitCode | Should -Be 137
        # The lock is free: the next run runs, and reports the killed one (exit 1); the run after that is clean.
        $third = Invoke-Job $s
        $third.ExitCode | Should -Be 1 -Because $third.StdErr
        @(Get-ChildItem -LiteralPath $s.LogPath -Filter '*.jsonl').Count | Should -Be 2
        (Get-Records $s)[-1].event | Should -Be 'end'
        (Get-Records $s | Where-Object event -eq step).step | Should -Be @('previous-run', 'first', 'second', 'third')
        $fourth = Invoke-Job $s
        $fourth.ExitCode | Should -Be 0 -Because $fourth.StdErr
        (Get-Records $s | Where-Object event -eq step).step | Should -Be @('first', 'second', 'third')
    }

    It 'is refused when a symbolic link is planted in its place (nothing written where it points)' {
        $s = New-JobSettings
        (Invoke-Job $s -Preflight).ExitCode | Should -Be 0
        $target = Join-Path $s.Directory 'victim'
        Remove-Item -LiteralPath $s.LockPath
        New-Item -ItemType SymbolicLink -Path $s.LockPath -Target $target | Out-Null
        $r = Invoke-Job $s
        $r.ExitCode | Should -Be 1
        $r.StdErr | Should -Match 'symbolic link'
        Test-Path -LiteralPath $target | Should -BeFalse
        @(Get-ChildItem -LiteralPath $s.LogPath).Count | Should -Be 0
    }
}

Describe 'Run logs' {
    It 'are 0600 in 0700 directories, record every step, and never hold the password' {
        $s = New-JobSettings
        $r = Invoke-Job $s -Mode fail
        $r.ExitCode | Should -Be 1 -Because $r.StdErr
        $r.StdErr | Should -BeNullOrEmpty
        foreach ($d in 'var', 'var/log', 'var/state', 'var/state/locks') {
            [IO.File]::GetUnixFileMode((Join-Path $s.Directory $d)) |
                Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        }
        $files = @(Get-ChildItem -LiteralPath $s.LogPath)
        $files.Count | Should -Be 2
        $files.Name | Should -Match '^jtest-\d{8}T\d{9}Z\.(log|jsonl)$'
        foreach ($f in $files) {
            [IO.File]::GetUnixFileMode($f.FullName) | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        }
        $records = @(Get-Records $s)
        $records.event | Should -Be @('start', 'step', 'step', 'step', 'end')
        $records[0].settings | Should -Be $s.File
        $records[0].pid | Should -BeGreaterThan 1
        $records[1].step | Should -Be 'first'
        $records[1].result | Should -Be 'Succeeded'
        $records[1].bytes | Should -Be 5
        $records[1].rows | Should -Be 2
        $records[2].step | Should -Be 'second'
        $records[2].result | Should -Be 'Failed'
        $records[2].errorId | Should -Be 'RuntimeException'
        $records[2].message | Should -Match 'could not connect'
        $records[3].step | Should -Be 'third'
        $records[3].result | Should -Be 'Skipped'
        $records[3].message | Should -Be 'an earlier step failed'
        $records[4].result | Should -Be 'Failed'
        $records[4].exitCode | Should -Be 1
        ($records.runId | Sort-Object -Unique).Count | Should -Be 1
        foreach ($f in Get-ChildItem -LiteralPath $s.Directory -Recurse -File | Where-Object Name -ne 'cenate.env') {
            Get-Content -LiteralPath $f.FullName -Raw |
                Should -Not -Match ([regex]::Escape($Secret)) -Because $f.FullName
        }
        $r.StdOut + $r.StdErr | Should -Not -Match ([regex]::Escape($Secret))
    }

    It 'removes the job''s own logs older than LogRetention, only regular files of its name' {
        $s = New-JobSettings -Extra "LogRetention = '30d'"
        [void][IO.Directory]::CreateDirectory($s.LogPath)
        $old = Join-Path $s.LogPath 'jtest-20200101T000000000Z.jsonl'
        $recent = Join-Path $s.LogPath ('jtest-{0:yyyyMMdd}T000000000Z.log' -f [DateTime]::UtcNow.AddDays(-29))
        $other = Join-Path $s.LogPath 'weekly-20200101T000000000Z.log'
        $keep = Join-Path $s.Directory 'keep.txt'
        $link = Join-Path $s.LogPath 'jtest-20200102T000000000Z.log'
        $old, $recent, $other, $keep | ForEach-Object { Set-Content -LiteralPath $_ -Value 'x' }
        New-Item -ItemType SymbolicLink -Path $link -Target $keep | Out-Null
        (Invoke-Job $s).ExitCode | Should -Be 0
        Test-Path -LiteralPath $old | Should -BeFalse
        Test-Path -LiteralPath $recent, $other, $keep, $link | Should -Be @($true, $true, $true, $true)
        @(Get-ChildItem -LiteralPath $s.LogPath -Filter 'jtest-*.jsonl').Count | Should -Be 1
    }
}

Describe 'Settings and environment file errors end the script with exit 1' {
    It '<Name>' -ForEach @(
        @{ Name = 'a typo in a key is SettingsInvalid'; Extra = @("Contaner = 'pg'"); Mode = '600'
            Id = 'SettingsInvalid' }
        @{ Name = 'an environment file others may read is EnvironmentFileInsecure'; Extra = @(); Mode = '644'
            Id = 'EnvironmentFileInsecure' }
        @{ Name = 'an environment file in a group is EnvironmentFileInsecure'; Extra = @(); Mode = '640'
            Id = 'EnvironmentFileInsecure' }
        @{ Name = 'an environment file of another user is EnvironmentFileInsecure'; Extra = @(); Mode = '600'
            Owner = 'nobody'; Id = 'EnvironmentFileInsecure' }
        @{ Name = 'a bad schedule is ScheduleInvalid'; Extra = @("Schedule = @{ Daily = '0 25 * * *' }"); Mode = '600'
            Id = 'ScheduleInvalid' }
    ) {
        $s = New-JobSettings -Extra $Extra -EnvMode $Mode -EnvOwner $(if ($_.Owner) { $_.Owner })
        $r = Invoke-Job $s
        $r.ExitCode | Should -Be 1
        $r.StdErr | Should -Match $Id
        $r.StdErr | Should -Not -Match ([regex]::Escape($Secret))
        Test-Path -LiteralPath (Join-Path $s.Directory 'var') | Should -BeFalse
    }

    It 'an environment file line that sets PATH is EnvironmentFileInvalid naming the line, not the value' {
        $s = New-JobSettings
        Set-Content -LiteralPath (Join-Path $s.Directory 'cenate.env') -Value (
            "# x`nPGPASSWORD=$Secret`nPATH=/tmp/$Secret")
        $r = Invoke-Job $s
        $r.ExitCode | Should -Be 1
        $r.StdErr | Should -Match 'EnvironmentFileInvalid'
        $r.StdErr | Should -Match 'line 3'
        $r.StdErr | Should -Not -Match ([regex]::Escape($Secret))
    }

    It 'the environment file''s values reach the steps' {
        $s = New-JobSettings
        $probe = Join-Path $Root 'probe.ps1'
        Set-Content -LiteralPath $probe -Value @'
param([string]$Settings)
Import-Module $env:CENATE_MODULE_PATH
$job = Start-CenateJob -Name probe -Settings $Settings
$v = Invoke-CenateJobStep $job read { $env:PGPASSWORD.Length }
exit ($v + (Complete-CenateJob $job -NoAlert).ExitCode)
'@
        $r = Invoke-ChildPwsh -ScriptPath $probe -Arguments @('-Settings', $s.File)
        $r.ExitCode | Should -Be $Secret.Length -Because $r.StdErr
    }
}

Describe 'The alert of a run' {
    BeforeAll {
        function New-AlertSettings {
            $state = Join-Path $Root ('state-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
            New-JobSettings -Extra @("SmtpServer = '127.0.0.1'", "Port = $($Smtp.Port)", "Security = 'None'",
                "From = 'cenate@hospital.test'", "To = 'dba@hospital.test'", "UserName = '$($Smtp.User)'",
                "PasswordVariable = 'CENATE_SMTP_PASSWORD'", "StateDirectory = '$state'", "Culture = 'en-US'")
        }
    }
    BeforeEach { Clear-Smtp4dev -Server $Smtp }

    It 'is mailed when the run failed (the password of the env file authenticates; no secret in the mail)' {
        $s = New-AlertSettings
        $r = Invoke-Job $s -Mode fail
        $r.ExitCode | Should -Be 1 -Because $r.StdErr
        $mail = @(Get-Smtp4devMessages -Server $Smtp -Expect 1 -Detail)
        $mail.Count | Should -Be 1
        $mail[0].Subject | Should -Match 'jtest'
        $mail[0].Raw | Should -Not -Match ([regex]::Escape($Secret))
        (Get-Records $s).step | Should -Not -Contain 'alert'
    }

    It 'names a run killed by kill -9 mid-step (JobInterrupted); the run after that is clean and not alerted' {
        $s = New-AlertSettings
        $holder = Start-HoldingJob $s -Mode holdlate
        $pidOf = $holder.Id
        try { $holder.Kill() } finally { $holder.WaitForExit() }   # SIGKILL: no end record, no alert
        $holder.ExitCode | Should -Be 137
        @(Get-Smtp4devMessages -Server $Smtp -Expect 0).Count | Should -Be 0
        $r = Invoke-Job $s
        $r.ExitCode | Should -Be 1 -Because $r.StdErr
        $r.StdOut + $r.StdErr | Should -Match 'JobInterrupted: The previous jtest run'
        $records = @(Get-Records $s)
        $steps = @($records | Where-Object event -eq step)
        $steps.step | Should -Be @('previous-run', 'first', 'second', 'third')
        $steps[0].result | Should -Be 'Failed'
        $steps[0].errorId | Should -Be 'JobInterrupted'
        $steps[0].message | Should -Match ("^The previous jtest run \(started \d{4}-\d\d-\d\dT[0-9:]+Z, pid $pidOf\) " +
            "ended without finishing .* its last recorded step was 'first'\.$")
        # The run's own steps ran, the -OnlyIfSucceeded third too: only this run's own steps decide it.
        @($steps | ForEach-Object result) | Should -Be @('Failed', 'Succeeded', 'Succeeded', 'Succeeded')
        $records[-1].exitCode | Should -Be 1
        $mail = @(Get-Smtp4devMessages -Server $Smtp -Expect 1 -Detail)
        $mail.Count | Should -Be 1
        $mail[0].Subject | Should -Match 'jtest'
        "$($mail[0].Text)" | Should -Match 'JobInterrupted'
        "$($mail[0].Text)" | Should -Match "pid $pidOf"
        Clear-Smtp4dev -Server $Smtp
        $clean = Invoke-Job $s
        $clean.ExitCode | Should -Be 0 -Because $clean.StdErr
        @(Get-Records $s | Where-Object event -eq step).step | Should -Not -Contain 'previous-run'
        @(Get-Smtp4devMessages -Server $Smtp -Expect 0).Count | Should -Be 0
    }

    It 'is not mailed for a successful run with -When Failure, and mailed with -When Always' {
        $s = New-AlertSettings
        (Invoke-Job $s -When Failure).ExitCode | Should -Be 0
        @(Get-Smtp4devMessages -Server $Smtp -Expect 0).Count | Should -Be 0
        (Invoke-Job $s -When Always).ExitCode | Should -Be 0
        @(Get-Smtp4devMessages -Server $Smtp -Expect 1).Count | Should -Be 1
    }

    It 'that cannot be delivered is step alert Failed and exit 1' {
        $s = New-JobSettings -Extra @("SmtpServer = '127.0.0.1'", "Port = 56169", "Security = 'None'",
            "From = 'a@b.test'", "To = 'c@d.test'", "Timeout = '5s'",
            "StateDirectory = '$(Join-Path $Root ('state-' + [guid]::NewGuid().ToString('N')))'")
        $r = Invoke-Job $s -When Always
        $r.ExitCode | Should -Be 1 -Because $r.StdErr
        $alert = @(Get-Records $s | Where-Object step -eq 'alert')
        $alert.Count | Should -Be 1
        $alert[0].result | Should -Be 'Failed'
        $alert[0].errorId | Should -Not -BeNullOrEmpty
        (Get-Records $s)[-1].exitCode | Should -Be 1
    }
}

Describe 'Step semantics (in this process)' {
    BeforeAll {
        $script:S = New-JobSettings -NoEnvironment
    }

    It 'passes output through, records failures without throwing, and skips -OnlyIfSucceeded steps after one' {
        $job = Start-CenateJob -Name inproc -Settings $S.File
        $local = 'seen'
        $out = Invoke-CenateJobStep $job one { $local; 42 }
        $out | Should -Be @('seen', 42)
        $job.Failed | Should -BeFalse
        $v = Invoke-CenateJobStep $job verify { [pscustomobject]@{ Passed = $false; Problems = @([pscustomobject]@{
                        Kind = 'RowCountDropped'; Message = 'asegurados lost 3%' }) } } -ErrorAction Stop
        $v.Passed | Should -BeFalse
        $job.Failed | Should -BeTrue
        $job.ExitCode | Should -Be 1
        $job.Steps[1].ErrorId | Should -Be 'RowCountDropped'
        Invoke-CenateJobStep $job err { Write-Error 'soft' -ErrorId Soft -ErrorAction Continue; 'after' } |
            Should -Be 'after'
        $job.Steps[2].Result | Should -Be 'Failed'
        $job.Steps[2].ErrorId | Should -Be 'Soft'
        Invoke-CenateJobStep $job never -OnlyIfSucceeded { throw 'must not run' } | Should -BeNullOrEmpty
        $job.Steps[3].Result | Should -Be 'Skipped'
        $result = Complete-CenateJob $job -NoAlert
        $result.ExitCode | Should -Be 1
        $result.Result | Should -Be 'Failed'
        $result.Steps.Name | Should -Be @('one', 'verify', 'err', 'never')
        { Invoke-CenateJobStep $job late { 1 } -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'JobNotActive' 'InvokeCenateJobStepCommand')
        { Complete-CenateJob $job -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'JobNotActive' 'CompleteCenateJobCommand')
        ($result | Format-Table | Out-String -Width 80) -split "`n" |
            ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual 80 }
        ($result.Steps | Format-Table | Out-String -Width 80) | Should -Match 'RowCountDropped'
    }

    It 'a locked job: Complete-CenateJob returns Locked/75 and steps are JobNotActive' {
        $holder = Start-CenateJob -Name inproc2 -Settings $S.File
        $locked = Start-CenateJob -Name inproc2 -Settings $S.File -WarningVariable w -WarningAction SilentlyContinue
        $locked.Locked | Should -BeTrue
        $locked.ExitCode | Should -Be 75
        $locked.LogPath | Should -BeNullOrEmpty
        "$w" | Should -Match '^JobLocked: .*nothing was touched'
        { Invoke-CenateJobStep $locked x { 1 } -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'JobNotActive' 'InvokeCenateJobStepCommand')
        $r = Complete-CenateJob $locked
        $r.Result | Should -Be 'Locked'
        $r.ExitCode | Should -Be 75
        $r.ErrorId | Should -Be 'JobLocked'
        (Complete-CenateJob $holder -NoAlert).ExitCode | Should -Be 0
        (Start-CenateJob -Name inproc2 -Settings $S.File -Preflight).Preflight | Should -BeTrue
    }

    It 'an output whose Succeeded is $false fails the step with its ErrorId; bytes and rows add up' {
        $job = Start-CenateJob -Name inproc3 -Settings $S.File
        $null = Invoke-CenateJobStep $job sizes {
            [pscustomobject]@{ TotalSize = 100; Rows = 7 }; [pscustomobject]@{ Bytes = 20; AseguradosRows = 3 }
        }
        $job.Steps[0].Bytes | Should -Be 120
        $job.Steps[0].Rows | Should -Be 10
        $null = Invoke-CenateJobStep $job copy { [pscustomobject]@{ Succeeded = $false; ErrorId = 'TargetNotMounted' } }
        $job.Steps[1].Result | Should -Be 'Failed'
        $job.Steps[1].ErrorId | Should -Be 'TargetNotMounted'
        $null = Invoke-CenateJobStep $job check { [pscustomobject]@{ Passed = $false } }
        $job.Steps[2].ErrorId | Should -Be 'JobStepFailed'
        (Complete-CenateJob $job -NoAlert).ExitCode | Should -Be 1
    }

    It 'a LogPath that cannot be a directory is LogDirectoryNotWritable, and no lock is taken' {
        $s = New-JobSettings -NoEnvironment
        [void](New-Item -ItemType Directory -Path (Join-Path $s.Directory 'var'))
        Set-Content -LiteralPath $s.LogPath -Value 'a file'
        { Start-CenateJob -Name nolog -Settings $s.File -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'LogDirectoryNotWritable' 'StartCenateJobCommand')
        Test-Path -LiteralPath (Join-Path $s.Directory 'var/state/locks/nolog.lock') | Should -BeFalse
    }

    It 'a bad job name is JobNameInvalid before anything is read' {
        { Start-CenateJob -Name 'Daily/../x' -Settings '/nonexistent.psd1' -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'JobNameInvalid' 'StartCenateJobCommand')
    }
}
