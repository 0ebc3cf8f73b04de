#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# SIGTERM/SIGHUP (systemctl stop, cron and timeout(1) time-outs, a closed terminal) sent to a real child pwsh during a
# dump and during a restore drill: the work stops and cleans up as on Ctrl+C, then the process dies of the signal.
# Also: unique drill names, and the cleanup of stale drill databases left by earlier runs.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential

    function Start-ChildPwsh {
        # The real pwsh process (not the dotnet-tool shim, which does not pass signals on), running $Script with the module.
        param([Parameter(Mandatory)][string]$Script, [Parameter(Mandatory)][string]$Log, [switch]$IgnoreHangup)
        $file = Join-Path ([IO.Path]::GetTempPath()) ("cenate-sig-{0}.ps1" -f [guid]::NewGuid().ToString('N').Substring(0, 8))
        $body = @"
`$ErrorActionPreference = 'Continue'
Import-Module '$(Get-ModuleManifestPath)'
`$cred = [pscredential]::new('cenate', (ConvertTo-SecureString -String `$env:CENATE_TEST_PASSWORD -AsPlainText -Force))
function Write-Log([string]`$Text) { Add-Content -LiteralPath '$Log' -Value `$Text }
Write-Log 'started'
& { $Script } 2>&1 | ForEach-Object { if (`$_ -is [System.Management.Automation.ErrorRecord]) { Write-Log ('error ' + `$_.FullyQualifiedErrorId + ' ' + `$_.Exception.Message) } else { Write-Log ('output ' + `$_) } }
Write-Log 'after the command'
"@
        Set-Content -LiteralPath $file -Value $body
        $exe = [Environment]::ProcessPath
        $psi = [Diagnostics.ProcessStartInfo]::new($exe)
        if ($IgnoreHangup) {
            # As nohup does: SIGHUP ignored from the start (SIG_IGN survives exec; the pid stays the same).
            $psi = [Diagnostics.ProcessStartInfo]::new('bash')
            foreach ($a in '-c', 'trap "" HUP; exec "$@"', 'bash', $exe) { $psi.ArgumentList.Add($a) }
        }
        if ((Split-Path -Leaf $exe) -like 'dotnet*') { $psi.ArgumentList.Add([Environment]::GetCommandLineArgs()[0]) }
        foreach ($a in '-NoProfile', '-NonInteractive', '-File', $file) { $psi.ArgumentList.Add($a) }
        $psi.UseShellExecute = $false
        $psi.Environment['CENATE_TEST_PASSWORD'] = $Rig.Password
        $p = [Diagnostics.Process]::Start($psi)
        [pscustomobject]@{ Process = $p; Script = $file; Log = $Log }
    }
    function Wait-Log([string]$Log, [string]$Line, [int]$TimeoutSeconds = 60) {
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while ([DateTime]::UtcNow -lt $deadline) {
            if ((Test-Path -LiteralPath $Log) -and (Get-Content -LiteralPath $Log) -contains $Line) { return }
            Start-Sleep -Milliseconds 100
        }
        throw "'$Line' did not appear in $Log within $TimeoutSeconds s"
    }
    function Send-Signal([System.Diagnostics.Process]$Process, [string]$Signal) {
        & kill "-$Signal" $Process.Id
        if ($LASTEXITCODE -ne 0) { throw "kill -$Signal $($Process.Id) failed" }
    }
    function Wait-Exit([System.Diagnostics.Process]$Process, [int]$TimeoutSeconds = 90) {
        if (-not $Process.WaitForExit($TimeoutSeconds * 1000)) { $Process.Kill($true); throw "the child pwsh did not end within $TimeoutSeconds s of the signal" }
        $Process.ExitCode
    }
    function Assert-NoFiles([string]$Dir) {
        if (Test-Path -LiteralPath $Dir) {
            @(Get-ChildItem -LiteralPath $Dir -Force -Recurse -File | Where-Object Name -ne '.cenate.lock') | Should -BeNullOrEmpty
        }
    }
    function Get-ToolLines([string]$Container, [string]$Pattern) {
        # The kill of a tool in a container has its own budget (30 s): wait for it, then report what is left.
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        do {
            $left = @(Get-ContainerProcessLines $Container | Where-Object { $_ -match $Pattern })
            if (-not $left) { return @() }
            Start-Sleep -Milliseconds 200
        } while ([DateTime]::UtcNow -lt $deadline)
        $left
    }
    function Get-ActiveCopies([int]$Port) {
        # COPY statements still running on the server (the backends of a dead client end when they notice).
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        do {
            $left = @(Invoke-Psql -Port $Port -Database postgres -Sql "SELECT query FROM pg_stat_activity WHERE state = 'active' AND query ILIKE 'COPY %' AND pid <> pg_backend_pid()") | Where-Object { $_ }
            if (-not $left) { return @() }
            Start-Sleep -Milliseconds 200
        } while ([DateTime]::UtcNow -lt $deadline)
        $left
    }
    function Get-DrillDatabases([int]$Port) {
        @(Invoke-Psql -Port $Port -Database postgres -Sql "SELECT datname FROM pg_database WHERE datname LIKE 'cenate\_drill\_%' ORDER BY 1") | Where-Object { $_ }
    }
}

Describe 'SIGTERM and SIGHUP stop the work like Ctrl+C, clean up, and end the process' {
    BeforeAll {
        # 1,000,000 rows: the dump and the drill must still be running when the signal arrives.
        $script:Big = Start-ThrowawayContainer -Name cenate_sig_test -Port 56410 -Rows 1000000
        $script:SetDir = New-TestDirectory 'sig-set'
        $script:BigSet = New-CenateDump -Container $Big.Name -Port $Big.Port -Credential $Cred -Path $SetDir
    }
    AfterAll {
        Remove-ThrowawayContainer $Big.Name
        Remove-Item -LiteralPath $SetDir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'SIGTERM during New-CenateDump -Include Csv,Sql removes all three partial files and the manifest, stops pg_dump, and exits 143' {
        $d = New-TestDirectory 'sig-dump'
        $log = "$d.log"
        $child = Start-ChildPwsh -Log $log -Script "New-CenateDump -Container $($Big.Name) -Port $($Big.Port) -Credential `$cred -Path '$d' -CompressionLevel 9 -Include Csv,Sql"
        try {
            $null = Wait-ForFile -Directory $d -Filter '*.dump.*.partial' -MinimumSize 1 -TimeoutSeconds 120
            @(Get-ChildItem -LiteralPath $d -Filter '*.partial').Count | Should -Be 3
            @(Get-ChildItem -LiteralPath $d -Filter '*.manifest.json').Count | Should -Be 1 -Because 'the incomplete manifest is written first'
            (Get-ContainerProcessLines $Big.Name) -match 'pg_dump' | Should -Not -BeNullOrEmpty
            Send-Signal $child.Process TERM
            Wait-Exit $child.Process | Should -Be 143
            Assert-NoFiles $d
            Get-ToolLines $Big.Name 'pg_dump' | Should -BeNullOrEmpty
            Get-ActiveCopies $Big.Port | Should -BeNullOrEmpty
            $lines = @(Get-Content -LiteralPath $log)
            $lines | Should -Contain 'started'
            ($lines -match '^error StoppedBySignal,CenateBackup.PowerShell.Commands.NewCenateDumpCommand SIGTERM received') | Should -Not -BeNullOrEmpty
            $lines | Should -Not -Contain 'after the command' -Because 'the script must not run on in a process that is ending'
            @($lines -match '^output ') | Should -BeNullOrEmpty -Because 'no set is returned'
        } finally {
            if (-not $child.Process.HasExited) { $child.Process.Kill($true) }
            Remove-Item -LiteralPath $d, $log, $child.Script -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'SIGTERM during New-CenateBaseBackup removes the partial archive and the manifest, stops pg_basebackup and its walsender, and exits 143' {
        $d = New-TestDirectory 'sig-base'
        $log = "$d.log"
        $child = Start-ChildPwsh -Log $log -Script "New-CenateBaseBackup -Container $($Big.Name) -Port $($Big.Port) -Credential `$cred -Path '$d' -CompressionLevel 9"
        try {
            $null = Wait-ForFile -Directory $d -Filter '*.base.tar.gz.*.partial' -MinimumSize 1 -TimeoutSeconds 120
            (Get-ContainerProcessLines $Big.Name) -match 'pg_basebackup' | Should -Not -BeNullOrEmpty
            Send-Signal $child.Process TERM
            Wait-Exit $child.Process | Should -Be 143
            Assert-NoFiles $d
            Get-ToolLines $Big.Name 'pg_basebackup' | Should -BeNullOrEmpty
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while ((Invoke-Psql -Port $Big.Port -Database postgres -Sql 'SELECT count(*) FROM pg_stat_replication') -ne '0' -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 200
            }
            Invoke-Psql -Port $Big.Port -Database postgres -Sql 'SELECT count(*) FROM pg_stat_replication' | Should -Be '0'
            $lines = @(Get-Content -LiteralPath $log)
            ($lines -match '^error StoppedBySignal,CenateBackup.PowerShell.Commands.NewCenateBaseBackupCommand SIGTERM received') | Should -Not -BeNullOrEmpty
            @($lines -match '^output ') | Should -BeNullOrEmpty -Because 'no set is returned'
        } finally {
            if (-not $child.Process.HasExited) { $child.Process.Kill($true) }
            Remove-Item -LiteralPath $d, $log, $child.Script -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'SIGHUP during New-CenateDump -ErrorAction Stop cleans up the same way, runs no catch block, and exits 129 at once' {
        # Scheduled scripts often run with -ErrorAction Stop inside try/catch: the catch must not run in a dying process,
        # and the process must not wait out the signal's cleanup budget (60 s).
        $d = New-TestDirectory 'sig-hup'
        $log = "$d.log"
        $child = Start-ChildPwsh -Log $log -Script "try { New-CenateDump -Container $($Big.Name) -Port $($Big.Port) -Credential `$cred -Path '$d' -CompressionLevel 9 -ErrorAction Stop } catch { Write-Log ('caught ' + `$_.FullyQualifiedErrorId) }"
        try {
            $null = Wait-ForFile -Directory $d -Filter '*.dump.*.partial' -MinimumSize 1 -TimeoutSeconds 120
            $clock = [Diagnostics.Stopwatch]::StartNew()
            Send-Signal $child.Process HUP
            Wait-Exit $child.Process | Should -Be 129
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 50
            Assert-NoFiles $d
            Get-ToolLines $Big.Name 'pg_dump' | Should -BeNullOrEmpty
            $lines = @(Get-Content -LiteralPath $log)
            $lines | Should -Contain 'started'
            @($lines -match '^caught') | Should -BeNullOrEmpty
            $lines | Should -Not -Contain 'after the command'
        } finally {
            if (-not $child.Process.HasExited) { $child.Process.Kill($true) }
            Remove-Item -LiteralPath $d, $log, $child.Script -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'SIGTERM during New-CenateDump in host mode stops the local pg_dump too and leaves no file' {
        $d = New-TestDirectory 'sig-host'
        $log = "$d.log"
        $child = Start-ChildPwsh -Log $log -Script "New-CenateDump -HostName 127.0.0.1 -Port $($Big.Port) -Credential `$cred -Path '$d' -CompressionLevel 9"
        function Get-LocalPgDump { @(Get-Process -Name pg_dump -ErrorAction SilentlyContinue | Where-Object { $_.CommandLine -match "$($Big.Port)" }) }
        try {
            $null = Wait-ForFile -Directory $d -Filter '*.dump.*.partial' -MinimumSize 1 -TimeoutSeconds 120
            Get-LocalPgDump | Should -Not -BeNullOrEmpty
            Send-Signal $child.Process TERM
            Wait-Exit $child.Process | Should -Be 143
            Assert-NoFiles $d
            Get-LocalPgDump | Should -BeNullOrEmpty
            @(Get-Content -LiteralPath $log) -match '^error StoppedBySignal,.*SIGTERM received' | Should -Not -BeNullOrEmpty
        } finally {
            if (-not $child.Process.HasExited) { $child.Process.Kill($true) }
            Remove-Item -LiteralPath $d, $log, $child.Script -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'SIGTERM during Export-CenateAseguradosCsv removes the partial CSV and the manifest, and the COPY ends on the server' {
        $d = New-TestDirectory 'sig-csv'
        $log = "$d.log"
        $child = Start-ChildPwsh -Log $log -Script "Export-CenateAseguradosCsv -Container $($Big.Name) -Port $($Big.Port) -Credential `$cred -Path '$d' -CompressionLevel 9"
        try {
            $null = Wait-ForFile -Directory $d -Filter '*.csv.gz.*.partial' -MinimumSize 1 -TimeoutSeconds 120
            Send-Signal $child.Process TERM
            Wait-Exit $child.Process | Should -Be 143
            Assert-NoFiles $d
            Get-ActiveCopies $Big.Port | Should -BeNullOrEmpty
            @(Get-Content -LiteralPath $log) -match '^error StoppedBySignal,CenateBackup.PowerShell.Commands.ExportCenateAseguradosCsvCommand SIGTERM received' | Should -Not -BeNullOrEmpty
        } finally {
            if (-not $child.Process.HasExited) { $child.Process.Kill($true) }
            Remove-Item -LiteralPath $d, $log, $child.Script -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'SIGHUP ignored from the start (nohup) stays ignored: the dump completes' {
        $d = New-TestDirectory 'sig-nohup'
        $log = "$d.log"
        $child = Start-ChildPwsh -IgnoreHangup -Log $log -Script "(New-CenateDump -Container $($Big.Name) -Port $($Big.Port) -Credential `$cred -Path '$d' -CompressionLevel 1).Complete"
        try {
            $null = Wait-ForFile -Directory $d -Filter '*.dump.*.partial' -MinimumSize 1 -TimeoutSeconds 120
            Send-Signal $child.Process HUP
            Wait-Exit $child.Process | Should -Be 0
            $lines = @(Get-Content -LiteralPath $log)
            $lines | Should -Contain 'output True'
            $lines | Should -Contain 'after the command'
            @(Get-ChildItem -LiteralPath $d -Filter '*.partial') | Should -BeNullOrEmpty
            @(Get-ChildItem -LiteralPath $d -Filter '*.dump').Count | Should -Be 1
        } finally {
            if (-not $child.Process.HasExited) { $child.Process.Kill($true) }
            Remove-Item -LiteralPath $d, $log, $child.Script -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'SIGTERM during a restore drill drops the scratch database, stops pg_restore, records nothing, and exits 143' {
        $log = Join-Path ([IO.Path]::GetTempPath()) ("cenate-sig-drill-{0}.log" -f [guid]::NewGuid().ToString('N').Substring(0, 8))
        $before = Get-Content -Raw -LiteralPath $BigSet.Path
        $drillsBefore = Get-DrillDatabases $Big.Port
        $child = Start-ChildPwsh -Log $log -Script "Test-CenateBackup -Path '$($BigSet.Path)' -Level Restore -Container $($Big.Name) -Port $($Big.Port) -Credential `$cred -Confirm:`$false"
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            $loading = $null
            while (-not $loading -and [DateTime]::UtcNow -lt $deadline) {
                $loading = Invoke-Psql -Port $Big.Port -Database postgres -Sql "SELECT datname FROM pg_stat_activity WHERE datname LIKE 'cenate\_drill\_%' AND query LIKE 'COPY %'"
                Start-Sleep -Milliseconds 50
            }
            $loading | Should -Match '^cenate_drill_\d{8}_\d{6}_[a-z0-9]{6}$' -Because 'the drill must be caught while pg_restore loads the rows'
            Invoke-Psql -Port $Big.Port -Database postgres -Sql "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$loading'" |
                Should -BeLike 'CenateBackup restore drill, temporary*'
            Send-Signal $child.Process TERM
            Wait-Exit $child.Process | Should -Be 143
            Get-DrillDatabases $Big.Port | Should -Be $drillsBefore
            Get-ToolLines $Big.Name 'pg_restore' | Should -BeNullOrEmpty
            Get-Content -Raw -LiteralPath $BigSet.Path | Should -BeExactly $before -Because 'a stopped drill records nothing'
            $lines = @(Get-Content -LiteralPath $log)
            ($lines -match '^error StoppedBySignal,CenateBackup.PowerShell.Commands.TestCenateBackupCommand SIGTERM received') | Should -Not -BeNullOrEmpty
            $lines | Should -Not -Contain 'after the command'
        } finally {
            if (-not $child.Process.HasExited) { $child.Process.Kill($true) }
            Remove-Item -LiteralPath $log, $child.Script -Force -ErrorAction SilentlyContinue
        }
    }

    It 'a signal when no module command runs ends the process at once, as before' {
        $log = Join-Path ([IO.Path]::GetTempPath()) ("cenate-sig-idle-{0}.log" -f [guid]::NewGuid().ToString('N').Substring(0, 8))
        $child = Start-ChildPwsh -Log $log -Script "Write-Log 'sleeping'; Start-Sleep -Seconds 60"
        try {
            Wait-Log $log 'sleeping'
            $clock = [Diagnostics.Stopwatch]::StartNew()
            Send-Signal $child.Process TERM
            Wait-Exit $child.Process -TimeoutSeconds 20 | Should -Be 143
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
            Get-Content -LiteralPath $log | Should -Not -Contain 'after the command'
        } finally {
            if (-not $child.Process.HasExited) { $child.Process.Kill($true) }
            Remove-Item -LiteralPath $log, $child.Script -Force -ErrorAction SilentlyContinue
        }
    }
}

Describe 'Restore drills: unique scratch names and the cleanup of stale drill databases' {
    BeforeAll {
        $script:Source = New-TestDirectory 'sig-drillsrc'
        $script:Set = New-CenateDump -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Path $Source
        $script:Tag = [guid]::NewGuid().ToString('N').Substring(0, 4)
        function New-DrillLikeDatabase([string]$Name, [string]$Comment) {
            Invoke-Psql -Database postgres -Sql "CREATE DATABASE $Name" | Out-Null
            if ($Comment) { Invoke-Psql -Database postgres -Sql "COMMENT ON DATABASE $Name IS '$Comment'" | Out-Null }
        }
        function Test-Database([string]$Name) { (Invoke-Psql -Database postgres -Sql "SELECT count(*) FROM pg_database WHERE datname = '$Name'") -eq '1' }
        function Get-LockKey([string]$Name) {
            # FNV-1a (32 bit) of the UTF-8 name, written here independently of the module.
            $h = [System.Numerics.BigInteger]2166136261
            foreach ($b in [Text.Encoding]::UTF8.GetBytes($Name)) { $h = (($h -bxor $b) * 16777619) % 4294967296 }
            [BitConverter]::ToInt32([BitConverter]::GetBytes([uint32]$h), 0)
        }
        function Start-Holder([string]$Sql, [string]$Database = 'postgres') {
            # A psql session kept open in the background (holds a lock, or stays connected to a database).
            $psi = [Diagnostics.ProcessStartInfo]::new('psql')
            foreach ($a in '-X', '-q', '-h', '127.0.0.1', '-p', "$($Rig.Port)", '-U', 'cenate', '-d', $Database, '-c', $Sql) { $psi.ArgumentList.Add($a) }
            $psi.Environment['PGPASSWORD'] = $Rig.Password
            $psi.UseShellExecute = $false
            $psi.RedirectStandardOutput = $true
            [Diagnostics.Process]::Start($psi)
        }
    }
    AfterAll { Remove-Item -LiteralPath $Source -Recurse -Force -ErrorAction SilentlyContinue }

    It 'generates a unique name per drill: drills of one set started together all pass, each in its own database, and -Quiet gives no false alarm' {
        # The dump file as input: the drill uses the set's manifest but records nothing in it, so this test is about the
        # scratch names only (concurrent records into one manifest are a matter of the manifest's own atomic write).
        $dump = ($Set.Files | Where-Object Kind -eq 'Dump').Path
        $jobs = 1..3 | ForEach-Object {
            Invoke-InBackground -Script {
                param($Path, $Cred, $Name, $Port)
                Test-CenateBackup -Path $Path -Level Restore -Container $Name -Port $Port -Credential $Cred -Confirm:$false
            } -Arguments @{ Path = $dump; Cred = $Cred; Name = $Rig.Container; Port = $Rig.Port }
        }
        $quiet = 1..3 | ForEach-Object {
            Invoke-InBackground -Script {
                param($Path, $Cred, $Name, $Port)
                Test-CenateBackup -Path $Path -Level Restore -Container $Name -Port $Port -Credential $Cred -Confirm:$false -Quiet
            } -Arguments @{ Path = $dump; Cred = $Cred; Name = $Rig.Container; Port = $Rig.Port }
        }
        $results = foreach ($j in $jobs) {
            $out = $j.PowerShell.EndInvoke($j.Handle)
            $j.PowerShell.Streams.Error | ForEach-Object { throw "drill failed: $($_.FullyQualifiedErrorId): $_" }
            $j.PowerShell.Dispose()
            $out
        }
        $answers = foreach ($j in $quiet) {
            $out = $j.PowerShell.EndInvoke($j.Handle)
            $j.PowerShell.Streams.Error | ForEach-Object { throw "quiet drill failed: $($_.FullyQualifiedErrorId): $_" }
            $j.PowerShell.Dispose()
            $out
        }
        @($answers) | Should -Be @($true, $true, $true)
        @($results).Count | Should -Be 3
        foreach ($r in $results) {
            $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
            $r.DrillDatabase | Should -Match '^cenate_drill_\d{8}_\d{6}_[a-z0-9]{6}$'
        }
        @($results.DrillDatabase | Sort-Object -Unique).Count | Should -Be 3
        $left = Get-DrillDatabases $Rig.Port
        foreach ($r in $results) { $left | Should -Not -Contain $r.DrillDatabase }
    }

    It 'drops only stale drill databases the module marked temporary, reports each, and leaves every other one alone' {
        $temp = 'CenateBackup restore drill, temporary: created by Test-CenateBackup -Level Restore at 2020-01-01 00:00:00 UTC'
        $now = [DateTime]::UtcNow.ToString('yyyyMMdd_HHmmss')
        $names = [ordered]@{
            Stale      = "cenate_drill_20200101_000000_st$($Tag)"
            Stale2     = "cenate_drill_20240229_235959_su$($Tag)"
            Kept       = "cenate_drill_20200101_000000_kp$($Tag)"
            Unmarked   = "cenate_drill_20200101_000000_um$($Tag)"
            OldFormat  = "cenate_drill_20200101_00000$($Tag.Substring(0,1))"
            Recent     = "cenate_drill_$($now)_rc$($Tag)"
            Foreign    = "cenate_drill_20200101_000000_fo$($Tag)_x"
            Locked     = "cenate_drill_20200101_000000_lk$($Tag)"
            Connected  = "cenate_drill_20200101_000000_cn$($Tag)"
        }
        $holders = @()
        try {
            New-DrillLikeDatabase $names.Stale $temp
            New-DrillLikeDatabase $names.Stale2 $temp
            New-DrillLikeDatabase $names.Kept 'CenateBackup restore drill, kept: kept with -KeepDatabase'
            New-DrillLikeDatabase $names.Unmarked $null
            New-DrillLikeDatabase $names.OldFormat $temp
            New-DrillLikeDatabase $names.Recent $temp
            New-DrillLikeDatabase $names.Foreign $temp
            New-DrillLikeDatabase $names.Locked $temp
            New-DrillLikeDatabase $names.Connected $temp
            Invoke-Psql -Database $names.Stale -Sql 'CREATE TABLE leftover AS SELECT generate_series(1, 1000) AS n' | Out-Null
            $key = Get-LockKey $names.Locked
            $holders += Start-Holder "SELECT pg_advisory_lock(1128550988, $key); SELECT pg_sleep(120)"
            $holders += Start-Holder 'SELECT pg_sleep(120)' -Database $names.Connected
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while ([DateTime]::UtcNow -lt $deadline -and (
                    (Invoke-Psql -Database postgres -Sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1128550988 AND objid = ($key)::bigint & 4294967295 AND granted") -ne '1' -or
                    (Invoke-Psql -Database postgres -Sql "SELECT count(*) FROM pg_stat_activity WHERE datname = '$($names.Connected)'") -ne '1')) { Start-Sleep -Milliseconds 100 }

            $r = Test-CenateBackup -Path $Set.Path -Level Restore -Container $Rig.Container -Port $Rig.Port -Credential $Cred -WarningVariable warned -WarningAction SilentlyContinue
            $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')

            Test-Database $names.Stale | Should -BeFalse
            Test-Database $names.Stale2 | Should -BeFalse
            foreach ($k in 'Kept', 'Unmarked', 'OldFormat', 'Recent', 'Foreign', 'Locked', 'Connected') {
                Test-Database $names[$k] | Should -BeTrue -Because "$k ($($names[$k])) must be left alone"
            }
            $checks = $r.Checks -join "`n"
            $checks | Should -Match ([regex]::Escape("stale drill database $($names.Stale) dropped (started 2020-01-01 00:00:00 UTC"))
            $checks | Should -Match ([regex]::Escape("stale drill database $($names.Stale2) dropped (started 2024-02-29 23:59:59 UTC"))
            $checks | Should -Match ([regex]::Escape("stale drill database $($names.Locked) not dropped")) 
            $checks | Should -Match "$([regex]::Escape($names.Locked)) not dropped .*a running drill holds it"
            $checks | Should -Match "$([regex]::Escape($names.Connected)) not dropped .*1 session\(s\) are connected"
            $checks | Should -Match "not marked as temporary by the module were left alone: .*$([regex]::Escape($names.Unmarked))"
            $checks | Should -Not -Match ([regex]::Escape("$($names.Kept) "))
            ($warned | Where-Object { "$_" -like "Dropped the stale drill database '$($names.Stale)'*" }) | Should -Not -BeNullOrEmpty
            ($warned | Where-Object { "$_" -like "Dropped the stale drill database '$($names.Stale2)'*" }) | Should -Not -BeNullOrEmpty
            ($warned | Where-Object { "$_" -like "The stale drill database '$($names.Locked)'*not dropped*" }) | Should -Not -BeNullOrEmpty
            Test-Database $r.DrillDatabase | Should -BeFalse
        } finally {
            foreach ($h in $holders) { if (-not $h.HasExited) { $h.Kill() }; $h.WaitForExit(5000) | Out-Null }
            foreach ($n in $names.Values) { Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $n WITH (FORCE)" | Out-Null }
        }
    }

    It '-KeepDatabase marks the kept database so that no later drill drops it, however old' {
        $r = Test-CenateBackup -Path $Set.Path -Level Restore -Container $Rig.Container -Port $Rig.Port -Credential $Cred -KeepDatabase
        $old = "cenate_drill_20200101_000000_kk$($Tag)"
        try {
            $r.DrillDatabaseKept | Should -BeTrue
            $r.DrillDatabase | Should -Match '^cenate_drill_\d{8}_\d{6}_[a-z0-9]{6}$'
            Invoke-Psql -Database postgres -Sql "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$($r.DrillDatabase)'" |
                Should -BeLike 'CenateBackup restore drill, kept*'
            # The kept database, made to look a year old: the next drill leaves it alone.
            Invoke-Psql -Database postgres -Sql "ALTER DATABASE $($r.DrillDatabase) RENAME TO $old" | Out-Null
            $r2 = Test-CenateBackup -Path $Set.Path -Level Restore -Container $Rig.Container -Port $Rig.Port -Credential $Cred
            $r2.Passed | Should -BeTrue -Because ($r2.Problems -join '; ')
            Test-Database $old | Should -BeTrue
            [long](Invoke-Psql -Database $old -Sql 'SELECT count(*) FROM asegurados') | Should -Be $Set.RowCounts['public.asegurados']
        } finally {
            Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $($r.DrillDatabase)" | Out-Null
            Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $old" | Out-Null
        }
    }

    It 'drills on a server without a postgres database (its sessions then use template1), with the same marks and stale cleanup' {
        $c = Start-ThrowawayContainer -Name cenate_sig_nopg -Port 56420 -Rows 2000
        $dir = New-TestDirectory 'sig-nopg'
        try {
            $set = New-CenateDump -Container $c.Name -Port $c.Port -Credential $Cred -Path $dir
            Invoke-Psql -Port $c.Port -Database maestro_cenate -Sql 'DROP DATABASE postgres' | Out-Null
            $stale = "cenate_drill_20200101_000000_np$($Tag)"
            Invoke-Psql -Port $c.Port -Database maestro_cenate -Sql "CREATE DATABASE $stale" | Out-Null
            Invoke-Psql -Port $c.Port -Database maestro_cenate -Sql "COMMENT ON DATABASE $stale IS 'CenateBackup restore drill, temporary: test'" | Out-Null
            $r = Test-CenateBackup -Path $set.Path -Level Restore -Container $c.Name -Port $c.Port -Credential $Cred -WarningAction SilentlyContinue
            $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
            $r.Checks -join "`n" | Should -Match "stale drill database $stale dropped"
            Invoke-Psql -Port $c.Port -Database maestro_cenate -Sql "SELECT count(*) FROM pg_database WHERE datname LIKE 'cenate\_drill\_%'" | Should -Be '0'
            $k = Test-CenateBackup -Path $set.Path -Level Restore -Container $c.Name -Port $c.Port -Credential $Cred -KeepDatabase
            Invoke-Psql -Port $c.Port -Database maestro_cenate -Sql "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$($k.DrillDatabase)'" |
                Should -BeLike 'CenateBackup restore drill, kept*'
        } finally {
            Remove-ThrowawayContainer $c.Name
            Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'a database not marked temporary by the module, or named with -ScratchDatabase, is never taken for a stale drill' {
        # A database with the generated shape and an old stamp, but not marked by the module; and a kept -ScratchDatabase one.
        $name = "cenate_drill_20200101_000000_$($Tag)nm"
        $r = Test-CenateBackup -Path $Set.Path -Level Restore -Container $Rig.Container -Port $Rig.Port -Credential $Cred -ScratchDatabase "mine_$($Tag)" -KeepDatabase
        try {
            $r.DrillDatabaseKept | Should -BeTrue
            Test-Database "mine_$($Tag)" | Should -BeTrue
            New-DrillLikeDatabase $name 'not a drill of this module'
            $r2 = Test-CenateBackup -Path $Set.Path -Level Restore -Container $Rig.Container -Port $Rig.Port -Credential $Cred
            $r2.Passed | Should -BeTrue
            Test-Database "mine_$($Tag)" | Should -BeTrue
            Test-Database $name | Should -BeTrue
        } finally {
            Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS mine_$($Tag)" | Out-Null
            Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $name" | Out-Null
        }
    }
}
