#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The job runtime as an admin at 3 AM and an attacker use it, in real pwsh child processes: secrets that reach a
# message WITHOUT a key before them (logs, stdout, stderr, alert mail, command lines), steps that write errors without
# stopping, output $null or 100,000 objects, nest, call `exit`; Ctrl+C and SIGTERM during a step; the run log's disk
# filling up half-way (a real 256 KB tmpfs); environment files that are devices, FIFOs or point Docker elsewhere; a FIFO
# planted as the lock. Ports 56660/56661 (smtp4dev) are this file's.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'AlertHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $env:CENATE_MODULE_PATH = Get-ModuleManifestPath
    $script:Smtp = Start-Smtp4dev -Mode None -SmtpPort 56660 -HttpPort 56661 -NoWait
    $script:Root = New-AlertTempDirectory 'jobs-heldout'
    # No key before it anywhere: only the runtime's knowledge of the loaded secrets can mask it.
    $script:Secret = 'Ho-' + [guid]::NewGuid().ToString('N').Substring(0, 20)

    $script:JobScript = Join-Path $Root 'HeldOut-Job.ps1'
    Set-Content -LiteralPath $JobScript -Value @'
param([string]$Settings, [string]$Mode = 'steps')
$ErrorActionPreference = 'Stop'
trap { [Console]::Error.WriteLine("$($_.FullyQualifiedErrorId): $($_.Exception.Message)"); exit 1 }
Import-Module $env:CENATE_MODULE_PATH
$job = Start-CenateJob -Name jheld -Settings $Settings
if ($job.Locked) { exit 75 }
switch ($Mode) {
    'steps' {
        $null = Invoke-CenateJobStep $job writeerror { Write-Error 'reported, not thrown'; 'went on' }
        $null = Invoke-CenateJobStep $job nothing { $null }
        $n = (Invoke-CenateJobStep $job many { 1..100000 } | Measure-Object).Count
        "many passed $n"
        $inner = Invoke-CenateJobStep $job outer { Invoke-CenateJobStep $job inner { 'from inner' } }
        "outer passed $inner"
        $null = Invoke-CenateJobStep $job callsexit { exit 0 }
        'the script went on after exit'
    }
    'secret' {
        # A child process runs while the step holds (its command line must not carry the password).
        $null = Invoke-CenateJobStep $job child { & sleep 3 }
        $null = Invoke-CenateJobStep $job bare { throw "authentication failed with $env:PGPASSWORD for backup" }
        $null = Invoke-CenateJobStep $job reported {
            [pscustomobject]@{ Passed = $false; Reason = "server said: $env:CENATE_SMTP_PASSWORD is wrong" }
        }
        $null = Invoke-CenateJobStep $job nonterm { Write-Error "docker: exec failed ($env:PGPASSWORD)" }
    }
    'sleep' { $null = Invoke-CenateJobStep $job sleeping { Start-Sleep -Seconds 60 } }
    'fill' {
        try {
        $null = Invoke-CenateJobStep $job fill {
            # Fill the log directory's file system to its last byte (an admin's big file, a runaway process).
            $big = [IO.File]::OpenWrite((Join-Path $job.Settings.LogPath 'filler.bin'))
            try { while ($true) { $big.Write([byte[]]::new(4096), 0, 4096); $big.Flush() } } catch { } finally {
                try { $big.Dispose() } catch { } }
        }
            # A failure whose message needs more room than is left.
            $null = Invoke-CenateJobStep $job afterfull { throw ('x' * 20000) }
            'the step after the disk filled did not fail'
        } catch {
            "step error $($_.FullyQualifiedErrorId)"
            try { $null = Complete-CenateJob $job -NoAlert } catch { "complete error $($_.FullyQualifiedErrorId)" }
            $again = Start-CenateJob -Name jheld -Settings $Settings -Preflight
            "locked after $($again.Locked)"
            exit 1
        }
    }
}
exit (Complete-CenateJob $job).ExitCode
'@

    function New-HeldSettings {
        param([string[]]$Extra = @(), [string]$EnvText, [string]$LogPath)
        $dir = Join-Path $Root ([guid]::NewGuid().ToString('N').Substring(0, 8))
        [void][IO.Directory]::CreateDirectory($dir, [IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        $log = if ($LogPath) { $LogPath } else { Join-Path $dir 'log' }
        $lines = @("Path = 'backups'", "LogPath = '$log'", "StatePath = 'state'", "EnvironmentFile = 'cenate.env'")
        $file = Join-Path $dir 'cenate.psd1'
        Set-Content -LiteralPath $file -Value ("@{`n    " + (($lines + $Extra) -join "`n    ") + "`n}")
        chmod 600 $file
        $envFile = Join-Path $dir 'cenate.env'
        if (-not $EnvText) { $EnvText = "PGPASSWORD=$Secret`nCENATE_SMTP_PASSWORD=$($Smtp.Password)`n" }
        Set-Content -LiteralPath $envFile -Value $EnvText -NoNewline
        chmod 600 $envFile
        [pscustomobject]@{ Directory = $dir; File = $file; LogPath = $log; EnvFile = $envFile
            LockPath = (Join-Path $dir 'state/locks/jheld.lock') }
    }
    function Get-LogText($S) {
        (Get-ChildItem -LiteralPath $S.LogPath -Filter 'jheld-*' | ForEach-Object {
            Get-Content -LiteralPath $_.FullName -Raw }) -join "`n"
    }
    function Get-Records($S) {
        $f = Get-ChildItem -LiteralPath $S.LogPath -Filter 'jheld-*.jsonl' | Sort-Object Name | Select-Object -Last 1
        Get-Content -LiteralPath $f.FullName | ForEach-Object { $_ | ConvertFrom-Json }
    }
    function Start-Job2([Parameter(Mandatory)]$S, [string]$Mode, [string]$Wrapper) {
        # The real pwsh process (signals reach it), SIGINT at its default even when this runner ignores it.
        $psi = [Diagnostics.ProcessStartInfo]::new('perl')
        foreach ($a in '-e', '$SIG{INT} = "DEFAULT"; exec @ARGV or die', '--', [Environment]::ProcessPath) {
            $psi.ArgumentList.Add($a)
        }
        if ((Split-Path -Leaf ([Environment]::ProcessPath)) -like 'dotnet*') {
            $psi.ArgumentList.Add([Environment]::GetCommandLineArgs()[0])
        }
        foreach ($a in '-NoProfile', '-NonInteractive', '-File', $JobScript, '-Settings', $S.File, '-Mode', $Mode) {
            $psi.ArgumentList.Add($a)
        }
        $psi.Environment['NO_COLOR'] = '1'
        $psi.UseShellExecute = $false
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $p = [Diagnostics.Process]::Start($psi)
        [pscustomobject]@{ Process = $p; Out = $p.StandardOutput.ReadToEndAsync()
            Err = $p.StandardError.ReadToEndAsync() }
    }
    function Wait-Step($S, [string]$Text) {
        $until = [DateTime]::UtcNow.AddSeconds(60)
        while ([DateTime]::UtcNow -lt $until) {
            if (Test-Path -LiteralPath $S.LogPath) { if ((Get-LogText $S) -match $Text) { return } }
            Start-Sleep -Milliseconds 100
        }
        throw "no '$Text' in the run log within 60 s"
    }
    function Get-ProcessTree([int]$Id) {
        # $Id and every process descending from it (from the parent pid in /proc/<pid>/stat).
        $parent = @{}
        foreach ($f in Get-ChildItem /proc -Directory -ErrorAction SilentlyContinue) {
            if ($f.Name -notmatch '^\d+$') { continue }
            try { $stat = [IO.File]::ReadAllText("$($f.FullName)/stat") } catch { continue }
            $parent[[int]$f.Name] = [int]($stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')[1])
        }
        $tree = [Collections.Generic.HashSet[int]]::new([int[]]@($Id))
        do {
            $before = $tree.Count
            foreach ($k in $parent.Keys) { if ($tree.Contains($parent[$k])) { [void]$tree.Add($k) } }
        } while ($tree.Count -gt $before)
        $tree
    }
    function Test-LockFree($S) {
        # flock(1) in another process: it gets the lock at once only when no process holds it.
        & flock -n $S.LockPath true
        $LASTEXITCODE -eq 0
    }
    $Smtp | Wait-Smtp4dev
}

AfterAll {
    $Smtp | Stop-Smtp4dev
    if ($Root) { Remove-Item -LiteralPath $Root -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'Steps as people write them' {
    It 'a reported error, $null, 100,000 objects, nesting and exit: recorded, passed through, exit 1 never 0' {
        $s = New-HeldSettings
        $r = Invoke-ChildPwsh -ScriptPath $JobScript -Arguments @('-Settings', $s.File, '-Mode', 'steps')
        $r.ExitCode | Should -Be 1 -Because $r.StdErr
        $r.StdOut | Should -Match 'many passed 100000'
        $r.StdOut | Should -Match 'outer passed from inner'
        $r.StdOut | Should -Match 'the script went on after exit'
        $records = @(Get-Records $s)
        $steps = @{}
        $records | Where-Object event -eq 'step' | ForEach-Object { $steps[$_.step] = $_ }
        $steps.writeerror.result | Should -Be 'Failed'
        $steps.writeerror.message | Should -Match 'reported, not thrown'
        $steps.nothing.result | Should -Be 'Succeeded'
        $steps.many.result | Should -Be 'Succeeded'
        $steps.inner.result, $steps.outer.result | Should -Be @('Succeeded', 'Succeeded')
        $steps.callsexit.result | Should -Be 'Failed'
        $steps.callsexit.errorId | Should -Be 'JobStepFailed'
        $steps.callsexit.message | Should -Match 'exit 0'
        $end = $records | Where-Object event -eq 'end'
        $end.result, $end.exitCode | Should -Be @('Failed', 1)
        Test-LockFree $s | Should -BeTrue
    }
}

Describe 'Secrets without a key before them' {
    BeforeEach { Clear-Smtp4dev -Server $Smtp }

    It 'never reach the logs, stdout, stderr, the alert mail or a command line' {
        $state = Join-Path $Root ('alert-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $s = New-HeldSettings -Extra @("SmtpServer = '127.0.0.1'", "Port = $($Smtp.Port)", "Security = 'None'",
            "From = 'cenate@hospital.test'", "To = 'dba@hospital.test'", "UserName = '$($Smtp.User)'",
            "PasswordVariable = 'CENATE_SMTP_PASSWORD'", "StateDirectory = '$state'", "Culture = 'en-US'")
        $j = Start-Job2 $s 'secret'
        Wait-Step $s 'start jheld'
        # While the step's child runs: no process's command line holds either password.
        $until = [DateTime]::UtcNow.AddSeconds(20)
        $want = "sleep`0" + '3'
        do {
            $lines = foreach ($id in Get-ProcessTree $j.Process.Id) {
                try { [IO.File]::ReadAllText("/proc/$id/cmdline") } catch { }
            }
        } until (($lines -join "`n").Contains($want) -or [DateTime]::UtcNow -gt $until)
        ($lines -join "`n").Contains($want) | Should -BeTrue -Because 'the step''s child is running'

        ($lines -join "`n") | Should -Not -Match ([regex]::Escape($Secret))
        ($lines -join "`n") | Should -Not -Match ([regex]::Escape($Smtp.Password))
        $j.Process.WaitForExit(120000) | Should -BeTrue
        $j.Process.ExitCode | Should -Be 1 -Because $j.Err.Result
        $mail = @(Get-Smtp4devMessages -Server $Smtp -Expect 1 -Detail)
        $mail.Count | Should -Be 1
        $hits = Find-Secret -Secret $Secret, $Smtp.Password -Path $s.LogPath -Text @{
            stdout = $j.Out.Result; stderr = $j.Err.Result; mail = $mail[0].Raw }
        $hits | Should -BeNullOrEmpty
        $steps = @(Get-Records $s | Where-Object event -eq 'step')
        ($steps | Where-Object step -eq 'bare').message | Should -Match 'authentication failed with \*\*\* for backup'
        ($steps | Where-Object step -eq 'reported').result | Should -Be 'Failed'
        ($steps | Where-Object step -eq 'nonterm').result | Should -Be 'Failed'
    }
}

Describe 'Signals during a step' {
    It '<Signal>: the run ends non-zero, the lock is free at once, no second run is refused' -ForEach @(
        @{ Signal = 'INT'; Code = 1; EndRecord = $true }
        @{ Signal = 'TERM'; Code = 143; EndRecord = $false }
    ) {
        $s = New-HeldSettings
        $j = Start-Job2 $s 'sleep'
        Wait-Step $s 'start jheld'
        Start-Sleep -Milliseconds 800
        Test-LockFree $s | Should -BeFalse -Because 'the sleeping run holds it'
        & kill "-$Signal" $j.Process.Id
        $j.Process.WaitForExit(30000) | Should -BeTrue -Because 'the signal stops the step at once'
        $j.Process.ExitCode | Should -Be $Code -Because $j.Err.Result
        Test-LockFree $s | Should -BeTrue
        if ($EndRecord) {
            $records = @(Get-Records $s)
            $step = $records | Where-Object event -eq 'step'
            $step.step, $step.result, $step.errorId | Should -Be @('sleeping', 'Failed', 'JobInterrupted')
            ($records | Where-Object event -eq 'end').exitCode | Should -Be 1
        }
    }
}

Describe 'The run log''s disk fills up half-way' {
    It 'the step after it fails LogDirectoryNotWritable, the script exits 1 and the lock is released' {
        $s = New-HeldSettings -LogPath (Join-Path $Root ('full-' + [guid]::NewGuid().ToString('N').Substring(0, 6)))
        [void][IO.Directory]::CreateDirectory($s.LogPath)
        $pwshArgs = @([Environment]::ProcessPath)
        if ((Split-Path -Leaf ([Environment]::ProcessPath)) -like 'dotnet*') {
            $pwshArgs += [Environment]::GetCommandLineArgs()[0]
        }
        $pwshArgs += '-NoProfile', '-NonInteractive', '-File', $JobScript, '-Settings', $s.File, '-Mode', 'fill'
        # A real ENOSPC: a 256 KB tmpfs over the log directory, in a mount namespace of the child's own.
        $mountThenRun = 'mount -t tmpfs -o size=256k,mode=0700 tmpfs "$0" && exec "$@"'
        $out = & unshare -m -- bash -c $mountThenRun $s.LogPath @pwshArgs 2>&1
        $LASTEXITCODE | Should -Be 1 -Because ($out -join "`n")
        $text = $out -join "`n"
        $text | Should -Match 'step error LogDirectoryNotWritable'
        $text | Should -Match 'locked after False'
        $text | Should -Not -Match 'did not fail'
        Test-LockFree $s | Should -BeTrue
    }
}

Describe 'Files that are not what they claim' {
    It 'an environment file that is <What> is refused at once (<Id>), nothing runs' -ForEach @(
        @{ What = '/dev/zero'; Id = 'EnvironmentFileInsecure' }
        @{ What = 'a FIFO'; Id = 'EnvironmentFileInsecure' }
        @{ What = 'DOCKER_HOST on another machine'; Id = 'EnvironmentFileInvalid' }
        @{ What = 'a duplicate PGPASSWORD'; Id = 'EnvironmentFileInvalid' }
    ) {
        $s = New-HeldSettings -EnvText $(switch ($What) {
                'DOCKER_HOST on another machine' { "PGPASSWORD=$Secret`nDOCKER_HOST=tcp://192.0.2.10:2375`n" }
                'a duplicate PGPASSWORD' { "PGPASSWORD=a$Secret`nPGPASSWORD=$Secret`n" }
                default { "PGPASSWORD=$Secret`n" } })
        if ($What -eq 'a FIFO') { Remove-Item $s.EnvFile; & mkfifo -m 600 $s.EnvFile }
        if ($What -eq '/dev/zero') {
            (Get-Content -LiteralPath $s.File -Raw) -replace "'cenate.env'", "'/dev/zero'" |
                Set-Content -LiteralPath $s.File
        }
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $r = Invoke-ChildPwsh -ScriptPath $JobScript -Arguments @('-Settings', $s.File) -TimeoutSeconds 60
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 30
        $r.ExitCode | Should -Be 1
        $r.StdErr | Should -Match "(?m)^$Id,"
        $r.StdErr + $r.StdOut | Should -Not -Match ([regex]::Escape($Secret))
        Test-Path -LiteralPath $s.LogPath | Should -BeFalse -Because 'nothing ran'
    }

    It 'a FIFO planted as the job lock is UnsafeLockFile at once, no log written' {
        $s = New-HeldSettings
        $private = [IO.UnixFileMode]'UserRead, UserWrite, UserExecute'
        [void][IO.Directory]::CreateDirectory((Split-Path $s.LockPath), $private)
        & mkfifo -m 600 $s.LockPath
        $r = Invoke-ChildPwsh -ScriptPath $JobScript -Arguments @('-Settings', $s.File) -TimeoutSeconds 60
        $r.ExitCode | Should -Be 1
        $r.StdErr | Should -Match '(?m)^UnsafeLockFile,'
        @(Get-ChildItem -LiteralPath $s.LogPath -ErrorAction SilentlyContinue).Count | Should -Be 0
    }

    It 'settings whose LogPath or StatePath overlap the backup directory are SettingsInvalid' -ForEach @(
        @{ Lines = "LogPath = 'backups/logs'" }, @{ Lines = "LogPath = 'log'; StatePath = 'backups'" }
        @{ Lines = "LogPath = 'log'; Path = '/'" }
    ) {
        $dir = Join-Path $Root ([guid]::NewGuid().ToString('N').Substring(0, 8))
        [void][IO.Directory]::CreateDirectory($dir, [IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        $file = Join-Path $dir 'cenate.psd1'
        $path = if ($Lines -match 'Path = ./.$') { '' } else { "Path = 'backups'; " }
        Set-Content -LiteralPath $file -Value "@{ $path$Lines }"
        chmod 600 $file
        { Get-CenateSettings -Path $file } | Should -Throw -ErrorId 'SettingsInvalid,*'
    }
}
