#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Faults no other file covers: the Docker engine down (for every cmdlet that talks to it), and pwsh killed with SIGKILL
# in the middle of a dump (nothing can run in the dying process: the container must not keep a pg_dump, and what was
# left is cleaned up by later runs). The shared dockerd is never stopped: the module is pointed at a socket without one.

BeforeDiscovery {
    $script:DockerCases = @(
        'Compare-CenateBackup', 'Export-CenateAseguradosCsv', 'Get-CenateAuditLog', 'Install-CenateAuditTrigger', 'New-CenateDump', 'New-CenateReadOnlyRole',
        'Protect-CenateTable', 'Remove-CenateAuditLog', 'Restore-CenateDeletedRow', 'Restore-CenateTable', 'Test-CenateBackup',
        'Uninstall-CenateAuditTrigger', 'Start-CenateWalArchive', 'Get-CenateWalArchive', 'Stop-CenateWalArchive',
        'New-CenateBaseBackup', 'Restore-CenatePointInTime', 'Get-CenatePointInTime', 'Remove-CenatePointInTime',
        'New-CenateStandby', 'Get-CenateReplicationStatus', 'Remove-CenateStandby'
    ) | ForEach-Object { @{ Command = $_ } }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
}

Describe 'The Docker engine is not there' {
    BeforeAll {
        $script:Db = "t13_nodocker_$Suffix"
        Copy-TestDatabase -Name $Db
        $script:SetDir = New-TestDirectory 'nodocker-set'
        $script:Set = New-CenateDump -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Database $Db -Path $SetDir
        # No engine at all: a socket path that does not exist. An engine that died: a socket file nobody listens on.
        $script:Missing = "/tmp/t13-nodocker-$Suffix/docker.sock"
        $script:Stale = "/tmp/t13-stale-$Suffix.sock"
        & python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' $Stale
        Test-Path -LiteralPath $Stale | Should -BeTrue
        $script:CmdArgs = @{
            'Compare-CenateBackup'         = @{ Reference = $Set.Path; Live = $true; TempDirectory = '<dir>' }
            'Export-CenateAseguradosCsv'   = @{ Path = '<dir>' }
            'Get-CenateAuditLog'           = @{}
            'Install-CenateAuditTrigger'   = @{ Confirm = $false }
            'New-CenateDump'               = @{ Path = '<dir>' }
            'New-CenateBaseBackup'         = @{ Path = '<dir>' }
            'New-CenateReadOnlyRole'       = @{ Name = "t13_ro_$Suffix"; Password = (ConvertTo-SecureString 'Xx-1234567890' -AsPlainText -Force); Confirm = $false }
            'Protect-CenateTable'          = @{ Role = 'cenate'; Confirm = $false }
            'Remove-CenateAuditLog'        = @{ OlderThan = '180d'; Confirm = $false }
            'Get-CenateRestoreStaging'     = @{}
            'Remove-CenateRestoreStaging'  = @{ Name = 'cenate_restore_20261101_000000'; Confirm = $false }
            'Restore-CenateDeletedRow'     = @{ Table = 'asegurados'; Since = (Get-Date).AddDays(-1); Confirm = $false }
            'Restore-CenateTable'          = @{ Backup = $Set.Path; Mode = 'MissingRows'; Confirm = $false }
            'Test-CenateBackup'            = @{ Path = $Set.Path; Level = 'Restore' }
            'Uninstall-CenateAuditTrigger' = @{ Confirm = $false }
            'Start-CenateWalArchive'       = @{ Path = '<dir>'; ReplicationCredential = (Get-TestCredential -User cenate_replication); Confirm = $false }
            'Get-CenateWalArchive'         = @{}
            'Stop-CenateWalArchive'        = @{ DropSlot = $true; Confirm = $false }
            'Restore-CenatePointInTime'    = @{ Path = '<dir>'; WalPath = '<dir>'; Time = (Get-Date); Confirm = $false }
            'Get-CenatePointInTime'        = @{}
            'Remove-CenatePointInTime'     = @{ Name = "t13_no_copy_$Suffix"; Confirm = $false }
            'New-CenateStandby'            = @{ StandbyName = "t13_sb_$Suffix"; ReplicationCredential = (Get-TestCredential -User cenate_replication); Confirm = $false }
            'Get-CenateReplicationStatus'  = @{}
            'Remove-CenateStandby'         = @{ StandbyName = "t13_sb_$Suffix"; RemoveData = $true; Confirm = $false }
        }
        $script:ManifestText = Get-Content -Raw -LiteralPath $Set.Path
        $script:Checksum = Invoke-Psql -Database $Db -Sql "SELECT count(*) || ':' || md5(string_agg(a::text, '|' ORDER BY id)) FROM asegurados a"

        function Invoke-WithoutDocker([string]$Command, [string]$Socket, [switch]$ViaEnvironment) {
            # In a runspace of its own with a deadline: a missing engine must fail fast, never hang the suite.
            $dir = New-TestDirectory 'nodocker'
            $a = @{}
            foreach ($k in $CmdArgs[$Command].Keys) {
                $v = $CmdArgs[$Command][$k]
                $a[$k] = if ($v -is [string] -and $v -eq '<dir>') { $dir } else { $v }
            }
            $a['Container'] = $Rig.Container; $a['Port'] = $Rig.Port; $a['Credential'] = $Cred
            if ($Command -ne 'Test-CenateBackup') { $a['Database'] = $Db }
            if ($ViaEnvironment) { $env:DOCKER_HOST = "unix://$Socket" } else { $a['DockerHost'] = "unix://$Socket" }
            try {
                $bg = Invoke-InBackground -Script {
                    param($Command, $A)
                    try { & $Command @A -ErrorAction Stop | Out-Null; 'no error' } catch { $_.FullyQualifiedErrorId; "$($_.CategoryInfo.Category)"; $_.Exception.Message }
                } -Arguments @{ Command = $Command; A = $a }
                $bg.Handle.AsyncWaitHandle.WaitOne(90000) | Should -BeTrue -Because "$Command must give up within 90 s when Docker is not there"
                $out = $bg.PowerShell.EndInvoke($bg.Handle)
                $bg.PowerShell.Dispose()
                [pscustomobject]@{ ErrorId = $out[0]; Category = $out[1]; Message = $out[2]; Dir = $dir }
            } finally { Remove-Item env:DOCKER_HOST -ErrorAction SilentlyContinue }
        }
    }
    AfterAll {
        Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
        Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS t13_ro_$Suffix" | Out-Null
        Remove-Item -LiteralPath $SetDir, $Stale -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'covers every cmdlet that has -DockerHost' {
        (Get-Command -Module CenateBackup | Where-Object { $_.Parameters.ContainsKey('DockerHost') }).Name | Sort-Object |
            Should -Be ($CmdArgs.Keys | Sort-Object)
    }

    It '<Command>: a socket path without an engine is DockerUnavailable (-DockerHost and DOCKER_HOST), and nothing is written or changed' -ForEach $DockerCases {
        $type = (Get-Command $Command).ImplementingType.FullName
        foreach ($r in (Invoke-WithoutDocker $Command $Missing), (Invoke-WithoutDocker $Command $Stale -ViaEnvironment)) {
            $r.ErrorId | Should -Be "DockerUnavailable,$type" -Because $r.Message
            $r.Category | Should -Be 'ResourceUnavailable'
            $r.Message | Should -Not -Match ([regex]::Escape($Rig.Password))
            if (Test-Path -LiteralPath $r.Dir) {
                @(Get-ChildItem -LiteralPath $r.Dir -Force -Recurse -File | Where-Object Name -ne '.cenate.lock') | Should -BeNullOrEmpty
                Remove-Item -LiteralPath $r.Dir -Recurse -Force
            }
        }
        Get-Content -Raw -LiteralPath $Set.Path | Should -BeExactly $ManifestText
        Invoke-Psql -Database $Db -Sql "SELECT count(*) || ':' || md5(string_agg(a::text, '|' ORDER BY id)) FROM asegurados a" | Should -Be $Checksum
        Invoke-Psql -Database $Db -Sql "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'cenate%'" | Should -Be '0'
        Invoke-Psql -Database postgres -Sql "SELECT count(*) FROM pg_roles WHERE rolname = 't13_ro_$Suffix'" | Should -Be '0'
        & docker ps -a -q --filter "label=org.cenate.primary=$($Rig.Container)" | Should -BeNullOrEmpty
    }

    It 'the same commands work when the engine is named (positive control: the socket path is what failed)' {
        (Get-CenateBackup -Path $SetDir).Complete | Should -BeTrue
        (New-CenateDump -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Database $Db -Path $SetDir -DockerHost 'unix:///var/run/docker.sock').Complete | Should -BeTrue
    }
}

Describe 'pwsh killed with SIGKILL in the middle of a dump' {
    BeforeAll {
        # 1,000,000 rows, like the Ctrl+C and SIGTERM twins: the dump must still be running when the kill arrives.
        $script:Big = Start-ThrowawayContainer -Name "t13_sigkill" -Port 56431 -Rows 1000000
        function Start-DumpChild([string]$Dir) {
            # The real pwsh process (not the dotnet-tool shim), so that the kill reaches the process that runs the dump.
            $file = Join-Path ([IO.Path]::GetTempPath()) ("t13-sigkill-{0}.ps1" -f [guid]::NewGuid().ToString('N').Substring(0, 8))
            Set-Content -LiteralPath $file -Value @"
Import-Module '$(Get-ModuleManifestPath)'
`$cred = [pscredential]::new('cenate', (ConvertTo-SecureString -String `$env:CENATE_TEST_PASSWORD -AsPlainText -Force))
New-CenateDump -Container $($Big.Name) -Port $($Big.Port) -Credential `$cred -Path '$Dir' -CompressionLevel 9
"@
            $exe = [Environment]::ProcessPath
            $psi = [Diagnostics.ProcessStartInfo]::new($exe)
            if ((Split-Path -Leaf $exe) -like 'dotnet*') { $psi.ArgumentList.Add([Environment]::GetCommandLineArgs()[0]) }
            foreach ($a in '-NoProfile', '-NonInteractive', '-File', $file) { $psi.ArgumentList.Add($a) }
            $psi.UseShellExecute = $false
            $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
            $psi.Environment['CENATE_TEST_PASSWORD'] = $Rig.Password
            [pscustomobject]@{ Process = [Diagnostics.Process]::Start($psi); Script = $file }
        }
        function Get-PgDumpLines {
            @(Get-ContainerProcessLines $Big.Name | Where-Object { $_ -match 'pg_dump' })
        }
    }
    AfterAll { Remove-ThrowawayContainer $Big.Name }

    It 'leaves no pg_dump in the container, and the partial file is removed by a later run once it is a day old' {
        $d = New-TestDirectory 'sigkill'
        $child = Start-DumpChild $d
        try {
            $partial = Wait-ForFile -Directory $d -Filter '*.dump.*.partial' -MinimumSize 1 -TimeoutSeconds 180
            # Positive control: pg_dump runs in the container and the partial grows, right before the kill.
            Get-PgDumpLines | Should -Not -BeNullOrEmpty -Because 'pg_dump must be running when pwsh is killed'
            $size = (Get-Item -LiteralPath $partial.FullName).Length
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while ((Get-Item -LiteralPath $partial.FullName).Length -eq $size -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            (Get-Item -LiteralPath $partial.FullName).Length | Should -BeGreaterThan $size -Because 'the dump must be streaming'
            $child.Process.Kill()   # SIGKILL on Unix: no handler, no finally, no cleanup in the process
            $child.Process.WaitForExit(30000) | Should -BeTrue
            $child.Process.ExitCode | Should -Be 137

            # No pg_dump may keep running in the container for a client that is gone (poll with a deadline).
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ((Get-PgDumpLines) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 500 }
            Get-PgDumpLines | Should -BeNullOrEmpty -Because 'pg_dump must end when the pwsh that ran it is killed'
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while ((Invoke-Psql -Port $Big.Port -Database postgres -Sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump'") -ne '0' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 500 }
            Invoke-Psql -Port $Big.Port -Database postgres -Sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump'" | Should -Be '0'

            # A killed process cleans nothing: the partial is left, and never under a final name.
            Test-Path -LiteralPath $partial.FullName | Should -BeTrue
            @(Get-ChildItem -LiteralPath $d -Filter '*.dump' -Force) | Should -BeNullOrEmpty
            $killedStamp = [regex]::Match($partial.Name, '_(\d{8}_\d{6})\.').Groups[1].Value
            $killedStamp | Should -Match '^\d{8}_\d{6}$'

            # The next run completes and leaves a fresh partial alone (it could be another job's, still writing).
            $next = New-CenateDump -Container $Big.Name -Port $Big.Port -Credential $Cred -Path $d -CompressionLevel 1 -WarningVariable w1 3>$null
            $next.Complete | Should -BeTrue
            Test-Path -LiteralPath $partial.FullName | Should -BeTrue

            # A day later (simulated: the leftovers get a stamp and a modification time two days back), the next run
            # removes the partial with a warning, and retention removes whatever else of the killed run is left.
            $oldStamp = [DateTime]::ParseExact($killedStamp, 'yyyyMMdd_HHmmss', [cultureinfo]::InvariantCulture).AddDays(-2).ToString('yyyyMMdd_HHmmss')
            $leftovers = @(Get-ChildItem -LiteralPath $d -Force -File | Where-Object Name -like "*$killedStamp*")
            foreach ($f in $leftovers) {
                $aged = Join-Path $d ($f.Name -replace $killedStamp, $oldStamp)
                if ($f.Name -like '*.manifest.json') {
                    (Get-Content -Raw -LiteralPath $f.FullName) -replace $killedStamp, $oldStamp | Set-Content -LiteralPath $aged -NoNewline
                    Remove-Item -LiteralPath $f.FullName
                } else { Move-Item -LiteralPath $f.FullName -Destination $aged }
                (Get-Item -LiteralPath $aged).LastWriteTimeUtc = [DateTime]::UtcNow.AddDays(-2)
            }
            $agedPartial = Join-Path $d ($partial.Name -replace $killedStamp, $oldStamp)
            Test-Path -LiteralPath $agedPartial | Should -BeTrue
            $third = New-CenateDump -Container $Big.Name -Port $Big.Port -Credential $Cred -Path $d -CompressionLevel 1 -WarningVariable w2 3>$null
            $third.Complete | Should -BeTrue
            Test-Path -LiteralPath $agedPartial | Should -BeFalse -Because 'a run removes its database''s partial files older than a day'
            ($w2 | Out-String) | Should -Match ([regex]::Escape((Split-Path -Leaf $agedPartial)))
            # What is left of the killed run is its reserved manifest (complete: false): an incomplete set, which
            # retention keeps within -KeepDaily like any set and removes after it (here -KeepDaily 1, the set is 2 days
            # old). Retention needs a verified full set to act at all (NoVerifiedSet otherwise): verify the two new ones.
            @(Get-ChildItem -LiteralPath $d -Force -File | Where-Object Name -like "*$oldStamp*").Name | Should -Be @("maestro_cenate_$oldStamp.manifest.json")
            ($next, $third | Test-CenateBackup).Passed | Should -Be @($true, $true)
            $decisions = Remove-CenateOldBackup -Path $d -KeepDaily 1 -Confirm:$false
            ($decisions | Where-Object Stamp -eq $oldStamp).Action | Should -Be 'Removed'
            ($decisions | Where-Object Stamp -ne $oldStamp).Action | Should -Be @('Kept', 'Kept')
            @(Get-ChildItem -LiteralPath $d -Force -File | Where-Object Name -like "*$oldStamp*") | Should -BeNullOrEmpty
            @(Get-ChildItem -LiteralPath $d -Force -Filter '*.partial') | Should -BeNullOrEmpty
            # The two complete sets stay, checked by an independent hash against their manifests.
            foreach ($s in $next, $third) {
                $m = Get-Content -Raw -LiteralPath $s.Path | ConvertFrom-Json
                foreach ($f in $m.files) { ((& sha256sum (Join-Path $d $f.name)) -split ' ')[0] | Should -Be $f.sha256 }
            }
        } finally {
            if (-not $child.Process.HasExited) { $child.Process.Kill() }
            Remove-Item -LiteralPath $d, $child.Script -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}
