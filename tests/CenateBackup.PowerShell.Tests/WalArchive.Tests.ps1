#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 19 §1: the continuous WAL archive. pg_receivewal runs in a real sidecar container made from the database
# container's own image, streams through a real replication slot into a directory of this machine, survives its own
# crash and the primary's kill -9, and Get-CenateWalArchive tells a stopped archiver, a slot that retains WAL and a
# slot that lost it. Every container runs with host networking on a loopback port.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'JobHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Pg = Start-ThrowawayContainer -Name cenate_wal_pg -Port 56480 -Rows 2000
    $script:Sidecar = 'cenate_wal_pg_wal'
    # A password with the characters a passfile must escape.
    $script:ReplPassword = 'Re:pl\' + [guid]::NewGuid().ToString('N').Substring(0, 12)
    $script:Repl = [pscredential]::new('cenate_replication', (ConvertTo-SecureString $ReplPassword -AsPlainText -Force))
    $script:P = @{ Container = $Pg.Name; Port = $Pg.Port; Credential = $Cred }
    $script:Dir = New-TestDirectory 'wal'

    function script:Sql([string]$Sql, [string]$Database = 'maestro_cenate') { Invoke-Psql -Port $Pg.Port -Database $Database -Sql $Sql }

    function script:Wait-Until([scriptblock]$Condition, [int]$Seconds = 60, [string]$What = 'condition') {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while ([DateTime]::UtcNow -lt $deadline) {
            if (& $Condition) { return }
            Start-Sleep -Milliseconds 250
        }
        throw "timed out after $Seconds s waiting for $What"
    }

    function script:Find-InArchive([string]$Text) {
        # WAL records carry the row's bytes as they are (wal_compression is off): a marker string is found in a segment.
        $bytes = [Text.Encoding]::ASCII.GetBytes($Text)
        foreach ($f in Get-ChildItem -LiteralPath $Dir -File) {
            $content = [IO.File]::ReadAllBytes($f.FullName)
            $hex = [Convert]::ToHexString($content)
            if ($hex.Contains([Convert]::ToHexString($bytes))) { return $f.Name }
        }
        $null
    }

    function script:Get-WhatIfText([scriptblock]$Script) {
        # The What if lines go to the host: the transcript sees them.
        $transcript = Join-Path ([IO.Path]::GetTempPath()) ("cenate-whatif-" + [guid]::NewGuid().ToString('N') + '.txt')
        Start-Transcript -LiteralPath $transcript | Out-Null
        try { & $Script | Out-Null } finally { Stop-Transcript | Out-Null }
        $text = (Get-Content -Raw -LiteralPath $transcript) -replace "\s+", " "
        Remove-Item -LiteralPath $transcript
        $text
    }

    function script:Get-ContainerJson([string]$Name) { (& docker inspect $Name | ConvertFrom-Json)[0] }
    function script:Test-Container([string]$Name) { & docker inspect $Name *> $null; $LASTEXITCODE -eq 0 }
}

AfterAll {
    & docker rm -f $Sidecar cenate_wal_taken *> $null
    Remove-ThrowawayContainer $Pg.Name
    Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Start-CenateWalArchive' {
    It 'refuses host mode, a missing container and a wrong login with their error ids, leaving nothing' {
        { Start-CenateWalArchive -HostName 127.0.0.1 -Port $Pg.Port -Credential $Cred -Path $Dir -ReplicationCredential $Repl } |
            Should -Throw -ErrorId 'ContainerRequired,CenateBackup.PowerShell.Commands.StartCenateWalArchiveCommand'
        { Start-CenateWalArchive -Container cenate_no_such_pg -Port $Pg.Port -Credential $Cred -Path $Dir -ReplicationCredential $Repl } |
            Should -Throw -ErrorId 'ContainerNotFound,CenateBackup.PowerShell.Commands.StartCenateWalArchiveCommand'
        $bad = [pscredential]::new('cenate', (ConvertTo-SecureString 'wrong-password' -AsPlainText -Force))
        { Start-CenateWalArchive -Container $Pg.Name -Port $Pg.Port -Credential $bad -Path $Dir -ReplicationCredential $Repl } |
            Should -Throw -ErrorId 'AuthenticationFailed,CenateBackup.PowerShell.Commands.StartCenateWalArchiveCommand'
        Test-Path -LiteralPath $Dir | Should -BeFalse
        Test-Container $Sidecar | Should -BeFalse
    }

    It '-WhatIf shows every step and changes nothing' {
        $out = Get-WhatIfText { Start-CenateWalArchive @P -Path $Dir -ReplicationCredential $Repl -WhatIf }
        $out | Should -Match 'Create the archive directory'
        $out | Should -Match 'Create the role cenate_replication'
        $out | Should -Match 'max_slot_wal_keep_size = 10240MB'
        $out | Should -Match 'Create the physical replication slot cenate_wal'
        $out | Should -Match "Create and start the container $Sidecar"
        $out | Should -Not -Match ([regex]::Escape($ReplPassword))
        Test-Path -LiteralPath $Dir | Should -BeFalse
        Test-Container $Sidecar | Should -BeFalse
        Sql "SELECT count(*) FROM pg_roles WHERE rolname = 'cenate_replication'" | Should -Be '0'
        Sql "SELECT count(*) FROM pg_replication_slots" | Should -Be '0'
        Sql "SHOW max_slot_wal_keep_size" | Should -Be '-1'
    }

    It 'starts pg_receivewal in a sidecar of the same image: streaming, the slot active, the limit set, no password anywhere in docker' {
        $a = Start-CenateWalArchive @P -Path $Dir -ReplicationCredential $Repl -Confirm:$false
        $a | Should -BeOfType CenateBackup.PowerShell.Output.CenateWalArchive
        $a.State | Should -Be 'Streaming'
        $a.Healthy | Should -BeTrue -Because ($a.Problems -join '; ')
        $a.Name | Should -Be $Sidecar
        $a.SlotActive | Should -BeTrue
        $a.WalStatus | Should -BeIn 'reserved', 'extended'
        $a.MaxSlotWalKeepSizeBytes | Should -Be (10GB)
        Sql "SHOW max_slot_wal_keep_size" | Should -Be '10GB'
        Sql "SELECT rolreplication AND rolcanlogin AND NOT rolsuper FROM pg_roles WHERE rolname = 'cenate_replication'" | Should -Be 't'
        Sql "SELECT slot_type || ' ' || active FROM pg_replication_slots WHERE slot_name = 'cenate_wal'" | Should -Be 'physical true'

        $side = Get-ContainerJson $Sidecar
        $prim = Get-ContainerJson $Pg.Name
        $side.Image | Should -Be $prim.Image
        $side.HostConfig.RestartPolicy.Name | Should -Be 'unless-stopped'
        $side.HostConfig.NetworkMode | Should -Be 'host'
        $side.Config.Labels.'org.cenate.role' | Should -Be 'wal-archive'
        # The password is in no command line, environment, label or log of the sidecar.
        $everything = (& docker inspect $Sidecar | Out-String) + (& docker logs $Sidecar 2>&1 | Out-String)
        $everything | Should -Not -Match ([regex]::Escape($ReplPassword))
        $everything | Should -Not -Match ([regex]::Escape($Rig.Password))
        # It is in a 0600 passfile inside the container, owned by the account the archiver runs as.
        (& docker exec $Sidecar stat -c '%a %u' /cenate/pgpass) | Should -Be "600 $(id -u)"
        Get-UnixMode $Dir | Should -Be '0700'
        Get-UnixMode (Join-Path $Dir '.cenate-wal-archive.json') | Should -Be '0600'
        (Get-Content -Raw (Join-Path $Dir '.cenate-wal-archive.json')) | Should -Not -Match ([regex]::Escape($ReplPassword))
        # The rig's pg_hba.conf already admits replication from 127.0.0.1 with SCRAM: the module left it alone.
        (& docker exec $Pg.Name sh -c 'cat "$(dirname "$(ls /var/lib/cenate/data/pg_hba.conf)")/pg_hba.conf"') -join "`n" |
            Should -Not -Match 'CenateBackup'
    }

    It 'archives committed rows: a marker written on the server is in a 0600 WAL file, and complete segments follow in order' {
        $marker = 'walmark_' + [guid]::NewGuid().ToString('N')
        Sql "CREATE TABLE IF NOT EXISTS wal_probe (id serial PRIMARY KEY, note text); INSERT INTO wal_probe (note) VALUES ('$marker')" | Out-Null
        Wait-Until { $null -ne (Find-InArchive $marker) } -Seconds 20 -What 'the marker in the archive'
        Sql "SELECT pg_switch_wal()" | Out-Null
        Sql "INSERT INTO wal_probe (note) VALUES ('after switch')" | Out-Null
        Sql "SELECT pg_switch_wal()" | Out-Null
        Wait-Until { @(Get-ChildItem -LiteralPath $Dir -File | Where-Object Name -match '^[0-9A-F]{24}$').Count -ge 2 } -Seconds 30 -What 'complete segments'
        foreach ($f in Get-ChildItem -LiteralPath $Dir -File) { Get-UnixMode $f.FullName | Should -Be '0600' -Because $f.Name }
        # A switch jumps the server to the next segment; the next record written there catches the archive up.
        Sql "INSERT INTO wal_probe (note) VALUES ('in the new segment')" | Out-Null
        Wait-Until { (Get-CenateWalArchive @P).LagBytes -lt 64KB } -Seconds 20 -What 'the archive caught up'
        $a = Get-CenateWalArchive @P
        $a.State | Should -Be 'Streaming'
        $a.SegmentCount | Should -BeGreaterOrEqual 2
        $a.LastSegment | Should -Match '^[0-9A-F]{24}$'
        $a.FlushedLsn | Should -Not -BeNullOrEmpty
    }

    It 'is idempotent: a second start changes nothing and makes no second container' {
        $a = Start-CenateWalArchive @P -Path $Dir -ReplicationCredential $Repl -Confirm:$false
        $a.State | Should -Be 'Streaming'
        @(& docker ps -a -q --filter 'label=org.cenate.role=wal-archive').Count | Should -Be 1
    }

    It 'refuses a container name taken by something else, and a directory holding another server''s WAL' {
        & docker create --name cenate_wal_taken --network host (Get-ContainerJson $Pg.Name).Image true | Out-Null
        $other = New-TestDirectory 'wal-other'
        try {
            { Start-CenateWalArchive @P -Path $other -ReplicationCredential $Repl -Name cenate_wal_taken -Slot other_slot -Confirm:$false } |
                Should -Throw -ErrorId 'ContainerExists,CenateBackup.PowerShell.Commands.StartCenateWalArchiveCommand'
            New-Item -ItemType Directory $other | Out-Null
            '{"systemIdentifier":"7000000000000000001"}' | Set-Content (Join-Path $other '.cenate-wal-archive.json')
            { Start-CenateWalArchive @P -Path $other -ReplicationCredential $Repl -Name cenate_wal_other -Slot other_slot -Confirm:$false } |
                Should -Throw -ErrorId 'WalArchiveForeign,CenateBackup.PowerShell.Commands.StartCenateWalArchiveCommand'
            Sql "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'other_slot'" | Should -Be '0'
        } finally {
            & docker rm -f cenate_wal_taken *> $null
            Remove-Item -LiteralPath $other -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'refuses a second archiver on the same directory, and a slot it did not make for this directory' {
        { Start-CenateWalArchive @P -Path $Dir -ReplicationCredential $Repl -Name cenate_wal_second -Slot second_slot -Confirm:$false } |
            Should -Throw -ErrorId 'WalArchivePathInUse,CenateBackup.PowerShell.Commands.StartCenateWalArchiveCommand'
        Sql "SELECT pg_create_physical_replication_slot('standby1', true)" | Out-Null
        $other = New-TestDirectory 'wal-standby1'
        try {
            $before = Sql "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'standby1'"
            Sql "SELECT pg_switch_wal()" | Out-Null
            New-Item -ItemType Directory $other | Out-Null
            { Start-CenateWalArchive @P -Path $other -ReplicationCredential $Repl -Name cenate_wal_standby1 -Slot standby1 -Confirm:$false } |
                Should -Throw -ErrorId 'WalArchiveSlotBusy,CenateBackup.PowerShell.Commands.StartCenateWalArchiveCommand'
            Sql "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'standby1'" | Should -Be $before
            Test-Container cenate_wal_standby1 | Should -BeFalse
            @(& docker ps -a -q --filter 'label=org.cenate.role=wal-archive').Count | Should -Be 1
        } finally {
            Sql "SELECT pg_drop_replication_slot('standby1')" | Out-Null
            Remove-Item -LiteralPath $other -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'mends an archiver that runs but cannot log in (a changed password): Start recreates it with the password given' {
        & docker exec $Sidecar sh -c 'printf "127.0.0.1:*:replication:cenate_replication:stale\n" > /cenate/pgpass' | Out-Null
        & docker exec $Sidecar sh -c 'for p in /proc/[0-9]*; do grep -q pg_receivewal $p/cmdline 2>/dev/null && kill ${p#/proc/}; done' 2>$null
        Wait-Until { (Get-CenateWalArchive @P).State -ne 'Streaming' } -Seconds 30 -What 'the archiver out of the stream'
        Start-Sleep -Seconds 21   # past the grace a just-started archiver gets
        $out = Get-WhatIfText { Start-CenateWalArchive @P -Path $Dir -ReplicationCredential $Repl -WhatIf }
        $out | Should -Match "Remove and create again the archiver container $Sidecar"
        $a = Start-CenateWalArchive @P -Path $Dir -ReplicationCredential $Repl -Confirm:$false
        $a.State | Should -Be 'Streaming'
        $a.Healthy | Should -BeTrue -Because ($a.Problems -join '; ')
    }

    It 'a commit made one second before kill -9 of the primary is in the archive, and the archiver comes back by itself' {
        $marker = 'beforekill_' + [guid]::NewGuid().ToString('N')
        Sql "INSERT INTO wal_probe (note) VALUES ('$marker')" | Out-Null
        Start-Sleep -Seconds 1
        & docker kill -s KILL $Pg.Name | Out-Null
        Find-InArchive $marker | Should -Not -BeNullOrEmpty -Because 'pg_receivewal --synchronous flushes each record it receives'
        & docker start $Pg.Name | Out-Null
        Wait-Until { try { (Invoke-Psql -Port $Pg.Port -Database postgres -Sql 'SELECT 1') -eq '1' } catch { $false } } -Seconds 60 -What 'the primary back'
        Wait-Until { (Get-CenateWalArchive @P).State -eq 'Streaming' } -Seconds 60 -What 'the archiver streaming again'
    }
}

Describe 'Get-CenateWalArchive when the archiver stops' {
    It 'reports a killed archiver as Stopped with the slot retaining WAL; Start brings it back and the segments have no gap' {
        & docker kill $Sidecar | Out-Null
        Sql "INSERT INTO wal_probe (note) SELECT repeat('x', 1000) FROM generate_series(1, 5000); SELECT pg_switch_wal()" | Out-Null
        $a = Get-CenateWalArchive @P
        $a.State | Should -Be 'Stopped'
        $a.Healthy | Should -BeFalse
        $a.SlotActive | Should -BeFalse
        $a.Problems -join ' ' | Should -Match 'no WAL is archived now'
        $a.RetainedWalBytes | Should -BeGreaterThan (4MB)
        $a.LagBytes | Should -BeNullOrEmpty

        $out = Get-WhatIfText { Start-CenateWalArchive @P -Path $Dir -ReplicationCredential $Repl -WhatIf }
        $out | Should -Match "Start the archiver container $Sidecar"
        $b = Start-CenateWalArchive @P -Path $Dir -ReplicationCredential $Repl -Confirm:$false
        $b.State | Should -Be 'Streaming'
        Sql "SELECT pg_switch_wal()" | Out-Null
        $current = Sql "SELECT pg_walfile_name(pg_current_wal_lsn())"
        Wait-Until { Test-Path -LiteralPath (Join-Path $Dir ((Sql "SELECT pg_walfile_name(pg_current_wal_lsn() - 1)"))) } -Seconds 30 -What 'the last complete segment'
        # No gap: every segment from the first archived to the last complete one is there.
        $names = @(Get-ChildItem -LiteralPath $Dir -File | Where-Object Name -match '^[0-9A-F]{24}$' | Sort-Object Name | ForEach-Object Name)
        $first = [Convert]::ToInt64($names[0].Substring(8), 16)
        for ($i = 0; $i -lt $names.Count; $i++) {
            [Convert]::ToInt64($names[$i].Substring(8), 16) | Should -Be ($first + $i) -Because "segment $($names[$i]) follows without a gap"
        }
        $current | Should -Not -BeNullOrEmpty
    }

    It 'the monitor job checks it (step wal) and the alert names WalArchiveStopped when the archiver is down' {
        $plan = New-JobPlan -Name walmon -Database maestro_cenate -Container $Pg.Name -Port $Pg.Port -Extra @"
    WalArchive = @{ Path = '$Dir'; MaxLag = '5m'; MaxRetainedWal = '1GB' }
"@
        try {
            (Get-CenateSettings -Path $plan.Settings).WalArchive.MaxRetainedWal | Should -Be (1GB)
            $r = Invoke-JobScript -Name Monitor -Settings $plan.Settings
            $log = @(Get-JobLog -Directory $plan.Logs -Job monitor)[-1]
            # (The local step fails: this plan has no backup set. The WAL step is judged on its own.)
            (Get-StepRecord $log wal)[0].result | Should -Be 'Succeeded' -Because "$($r.StdOut)`n$($r.StdErr)"

            & docker kill $Sidecar | Out-Null
            $r = Invoke-JobScript -Name Monitor -Settings $plan.Settings
            $r.ExitCode | Should -Be 1
            $log = @(Get-JobLog -Directory $plan.Logs -Job monitor)[-1]
            (Get-StepRecord $log wal)[0].result | Should -Be 'Failed'
            (Get-StepRecord $log wal)[0].errorId | Should -Be 'WalArchiveStopped'
            "$($r.StdOut)`n$($r.StdErr)" | Should -Not -Match ([regex]::Escape($ReplPassword))

            # Piped into Send-CenateAlert: one failed item with its error id (a status file, nothing sent elsewhere).
            $status = Join-Path $plan.Directory 'status.json'
            $a = Get-CenateWalArchive @P | Send-CenateAlert -StatusPath $status -StateDirectory (Join-Path $plan.Directory 'alert') `
                -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
            (Get-Content -Raw -LiteralPath $status) | Should -Match 'WalArchiveStopped'
            @($a).Count | Should -BeGreaterThan 0
        } finally {
            Start-CenateWalArchive @P -Path $Dir -ReplicationCredential $Repl -Confirm:$false | Out-Null
            Remove-Item -LiteralPath $plan.Directory -Recurse -Force -ErrorAction SilentlyContinue
        }
        (Get-CenateWalArchive @P).State | Should -Be 'Streaming'
    }

    It 'Docker restarts the archiver by itself when pg_receivewal dies' {
        $before = (Get-ContainerJson $Sidecar).RestartCount
        & docker exec $Sidecar sh -c 'for p in /proc/[0-9]*; do grep -q pg_receivewal $p/cmdline 2>/dev/null && kill -9 ${p#/proc/}; done' 2>$null
        Wait-Until { (Get-ContainerJson $Sidecar).RestartCount -gt $before } -Seconds 30 -What 'a restart by Docker'
        Wait-Until { (Get-CenateWalArchive @P).State -eq 'Streaming' } -Seconds 60 -What 'streaming after the restart'
    }

    It 'Stop without -DropSlot keeps the slot, and a Start right after goes on without a gap' {
        $r = Stop-CenateWalArchive @P -Confirm:$false -WarningVariable warned -WarningAction SilentlyContinue
        $r.State | Should -Be 'Removed'
        "$warned" | Should -Match 'stays'
        Sql "SELECT active FROM pg_replication_slots WHERE slot_name = 'cenate_wal'" | Should -Be 'f'
        $a = Start-CenateWalArchive @P -Path $Dir -ReplicationCredential $Repl -Confirm:$false
        $a.State | Should -Be 'Streaming'
    }

    It '-MaxLag and -MaxRetainedWal turn it into a check' {
        $ok = Get-CenateWalArchive @P -MaxLag '60s' -MaxRetainedWal '1GB'
        $ok.Healthy | Should -BeTrue -Because ($ok.Problems -join '; ')
        $tight = Get-CenateWalArchive @P -MaxRetainedWal 0
        if ($tight.RetainedWalBytes -gt 0) { $tight.Healthy | Should -BeFalse } else { $tight.Healthy | Should -BeTrue }
        { Get-CenateWalArchive @P -MaxLag 60 } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,CenateBackup.PowerShell.Commands.GetCenateWalArchiveCommand'
        # A hung archiver (paused): WAL piles up unflushed and it stops answering; -MaxLag notices.
        & docker pause $Sidecar | Out-Null
        try {
            Sql "INSERT INTO wal_probe (note) SELECT repeat('z', 500) FROM generate_series(1, 2000)" | Out-Null
            Start-Sleep -Seconds 3
            $hung = Get-CenateWalArchive @P -MaxLag '2s'
            $hung.Healthy | Should -BeFalse
            $hung.ErrorId | Should -Be 'WalArchiveLagging'
            $hung.LagSeconds | Should -BeGreaterThan 2
            $hung.LagBytes | Should -BeGreaterThan 0
        } finally { & docker unpause $Sidecar | Out-Null }
        Wait-Until { (Get-CenateWalArchive @P -MaxLag '2s').Healthy } -Seconds 30 -What 'the archive caught up after the pause'
    }

    It 'a slot driven past max_slot_wal_keep_size is reported Lost, and Start refuses it with WalArchiveSlotLost' {
        Start-CenateWalArchive @P -Path $Dir -ReplicationCredential $Repl -MaxSlotWalKeepSize '32MB' -Confirm:$false | Out-Null
        Sql "SHOW max_slot_wal_keep_size" | Should -Be '32MB'
        & docker kill $Sidecar | Out-Null
        for ($i = 0; $i -lt 6; $i++) {
            Sql "INSERT INTO wal_probe (note) SELECT repeat('y', 1000) FROM generate_series(1, 8000); SELECT pg_switch_wal()" | Out-Null
        }
        Wait-Until { Sql "CHECKPOINT" | Out-Null; (Sql "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'cenate_wal'") -eq 'lost' } -Seconds 30 -What 'the slot lost'
        $a = Get-CenateWalArchive @P
        $a.State | Should -Be 'Lost'
        $a.Problems -join ' ' | Should -Match 'gap'
        { Start-CenateWalArchive @P -Path $Dir -ReplicationCredential $Repl -Confirm:$false } |
            Should -Throw -ErrorId 'WalArchiveSlotLost,CenateBackup.PowerShell.Commands.StartCenateWalArchiveCommand'
    }
}

Describe 'Stop-CenateWalArchive' {
    It '-WhatIf changes nothing; then it removes the container and with -DropSlot the slot, and the archived files stay' {
        $files = @(Get-ChildItem -LiteralPath $Dir -File).Count
        Stop-CenateWalArchive @P -DropSlot -WhatIf | Out-Null
        Test-Container $Sidecar | Should -BeTrue
        Sql "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'cenate_wal'" | Should -Be '1'
        $r = Stop-CenateWalArchive @P -DropSlot -Confirm:$false
        $r.State | Should -Be 'Removed'
        Test-Container $Sidecar | Should -BeFalse
        Sql "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'cenate_wal'" | Should -Be '0'
        @(Get-ChildItem -LiteralPath $Dir -File).Count | Should -Be $files
        { Get-CenateWalArchive @P } | Should -Throw -ErrorId 'WalArchiveNotFound,CenateBackup.PowerShell.Commands.GetCenateWalArchiveCommand'
        { Stop-CenateWalArchive @P -Confirm:$false } | Should -Throw -ErrorId 'WalArchiveNotFound,CenateBackup.PowerShell.Commands.StopCenateWalArchiveCommand'
        # The slot was lost: the directory ends where the server no longer has WAL. Starting there would leave a gap.
        { Start-CenateWalArchive @P -Path $Dir -ReplicationCredential $Repl -Confirm:$false } |
            Should -Throw -ErrorId 'WalArchiveGap,CenateBackup.PowerShell.Commands.StartCenateWalArchiveCommand'
        Test-Container $Sidecar | Should -BeFalse
        Sql "SELECT count(*) FROM pg_replication_slots" | Should -Be '0'
    }

    It 'adds its own pg_hba.conf line at the top when the server would not let the role in, and a wrong replication password fails with nothing left' {
        $hba = (& docker exec $Pg.Name sh -c 'ls /var/lib/cenate/data/pg_hba.conf')
        & docker exec $Pg.Name sh -c "sed -i '1i host replication cenate_replication 127.0.0.1/32 reject' $hba" | Out-Null
        Sql "SELECT pg_reload_conf()" | Out-Null
        $wrong = [pscredential]::new('cenate_replication', (ConvertTo-SecureString 'not-the-password' -AsPlainText -Force))
        $fresh = New-TestDirectory 'wal-fresh'
        try {
            # The role exists with another password: the archiver cannot log in.
            { Start-CenateWalArchive @P -Path $fresh -ReplicationCredential $wrong -Timeout '20s' -Confirm:$false } |
                Should -Throw -ErrorId 'WalArchiveNotStreaming,CenateBackup.PowerShell.Commands.StartCenateWalArchiveCommand'
            Test-Container $Sidecar | Should -BeFalse
            Sql "SELECT count(*) FROM pg_replication_slots" | Should -Be '0'
            $lines = @(& docker exec $Pg.Name cat $hba)
            $lines[1] | Should -Be 'host replication cenate_replication 127.0.0.1/32 scram-sha-256'
            $lines[2] | Should -Be 'host replication cenate_replication 127.0.0.1/32 reject'
            # With the right password it streams through the module's line.
            $a = Start-CenateWalArchive @P -Path $fresh -ReplicationCredential $Repl -Confirm:$false
            $a.State | Should -Be 'Streaming'
            @(& docker exec $Pg.Name cat $hba | Select-String -SimpleMatch 'CenateBackup').Count | Should -Be 1
            Stop-CenateWalArchive @P -DropSlot -Confirm:$false | Out-Null
        } finally {
            & docker rm -f $Sidecar *> $null
            Remove-Item -LiteralPath $fresh -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'stops the archiver while the database container is down (the slot stays, a warning says so); -DropSlot needs the database' {
        $fresh = New-TestDirectory 'wal-offline'
        try {
            $null = Start-CenateWalArchive @P -Path $fresh -ReplicationCredential $Repl -Confirm:$false
            Test-Container $Sidecar | Should -BeTrue
            & docker stop $Pg.Name | Out-Null
            { Stop-CenateWalArchive @P -DropSlot -Confirm:$false -ErrorAction Stop } | Should -Throw
            Test-Container $Sidecar | Should -BeTrue -Because '-DropSlot changes nothing when the slot cannot be dropped'
            $r = Stop-CenateWalArchive @P -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue
            $r.State | Should -Be 'Removed'
            ($w -join ' ') | Should -Match 'cannot be reached'
            Test-Container $Sidecar | Should -BeFalse
            @(Get-ChildItem -LiteralPath $fresh -File | Where-Object Name -match '^[0-9A-F]{24}').Count | Should -BeGreaterThan 0
        } finally {
            & docker start $Pg.Name | Out-Null
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ([DateTime]::UtcNow -lt $deadline) { try { Sql 'SELECT 1' | Out-Null; break } catch { Start-Sleep -Milliseconds 500 } }
            Sql "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'cenate_wal'" | Should -Be '1'
            Sql "SELECT pg_drop_replication_slot('cenate_wal')" | Out-Null
            & docker rm -f $Sidecar *> $null
            Remove-Item -LiteralPath $fresh -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}
