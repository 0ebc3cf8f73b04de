#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 20: the streaming standby. Two real containers on 127.0.0.1 (host networking): a PostgreSQL 15 primary and a
# standby New-CenateStandby builds from the primary's own image through the Docker API. Rows replicate, the standby
# refuses writes, a stopped standby makes its slot retain WAL and the check fail, a restarted one catches up, promotion
# makes it writable, and a standby of another major version (the rig's PostgreSQL 17 image) is refused before anything
# is created.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'JobHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Pg = Start-ThrowawayContainer -Name cenate_sb_pg -Port 56500 -Rows 2000
    $script:Standby = 'cenate_sb_pg_standby'
    $script:StandbyPort = 56501
    $script:Second = 'cenate_sb_pg_second'
    $script:SecondPort = 56502
    $script:SecondDir = Join-Path (New-TestDirectory 'standby') 'data'
    $script:Third = 'cenate_sb_pg_third'
    $script:ThirdPort = 56503
    # A password with the characters a passfile must escape.
    $script:ReplPassword = 'Sb:y\' + [guid]::NewGuid().ToString('N').Substring(0, 12)
    $script:Repl = [pscredential]::new('cenate_replication', (ConvertTo-SecureString $ReplPassword -AsPlainText -Force))
    $script:P = @{ Container = $Pg.Name; Port = $Pg.Port; Credential = $Cred }
    $script:N = @{ Container = $Pg.Name; PrimaryPort = $Pg.Port; Credential = $Cred; ReplicationCredential = $Repl }

    function script:Sql([string]$Sql, [int]$Port = $Pg.Port) { Invoke-Psql -Port $Port -Sql $Sql }

    function script:Wait-Until([scriptblock]$Condition, [int]$Seconds = 60, [string]$What = 'condition') {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while ([DateTime]::UtcNow -lt $deadline) {
            if (& $Condition) { return }
            Start-Sleep -Milliseconds 250
        }
        throw "timed out after $Seconds s waiting for $What"
    }

    function script:Get-WhatIfText([scriptblock]$Script) {
        $transcript = Join-Path ([IO.Path]::GetTempPath()) ("cenate-whatif-" + [guid]::NewGuid().ToString('N') + '.txt')
        Start-Transcript -LiteralPath $transcript | Out-Null
        try { & $Script | Out-Null } finally { Stop-Transcript | Out-Null }
        $text = (Get-Content -Raw -LiteralPath $transcript) -replace "\s+", " "
        Remove-Item -LiteralPath $transcript
        $text
    }

    function script:Get-ContainerJson([string]$Name) { (& docker inspect $Name | ConvertFrom-Json)[0] }
    function script:Test-Container([string]$Name) { & docker inspect $Name *> $null; $LASTEXITCODE -eq 0 }
    function script:Test-Volume([string]$Name) { & docker volume inspect $Name *> $null; $LASTEXITCODE -eq 0 }
    function script:Get-SlotCount { [int](Sql "SELECT count(*) FROM pg_replication_slots") }

    function script:Get-WriteError([int]$Port) {
        # The SQLSTATE of an INSERT, as psql prints it with VERBOSITY verbose ('' when it worked).
        $env:PGPASSWORD = $env:CENATE_TEST_PASSWORD
        try {
            $out = "\set VERBOSITY verbose`nINSERT INTO sb_probe (note) VALUES ('write test');" |
                & psql -X -q -h 127.0.0.1 -p $Port -U cenate -d maestro_cenate 2>&1
            if ($LASTEXITCODE -eq 0 -and "$out" -notmatch 'ERROR') { return '' }
            if ("$out" -match 'ERROR:\s+([0-9A-Z]{5})') { return $Matches[1] }
            "$out"
        } finally { Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue }
    }
}

AfterAll {
    & docker rm -f $Standby $Second $Third cenate_sb_isolated *> $null
    & docker volume rm "${Standby}_data" "${Second}_data" "${Third}_data" *> $null
    Remove-ThrowawayContainer $Pg.Name
    Remove-Item -LiteralPath (Split-Path $SecondDir) -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'New-CenateStandby refuses before anything is created' {
    It 'refuses host mode, a missing primary, a wrong login, a taken name and a taken port with their error ids' {
        { New-CenateStandby -HostName 127.0.0.1 -PrimaryPort $Pg.Port -Credential $Cred -StandbyName $Standby -Port $StandbyPort -ReplicationCredential $Repl } |
            Should -Throw -ErrorId 'ContainerRequired,CenateBackup.PowerShell.Commands.NewCenateStandbyCommand'
        { New-CenateStandby @N -Container cenate_no_such_pg -StandbyName $Standby -Port $StandbyPort } |
            Should -Throw -ErrorId 'ContainerNotFound,CenateBackup.PowerShell.Commands.NewCenateStandbyCommand'
        $bad = [pscredential]::new('cenate', (ConvertTo-SecureString 'wrong-password' -AsPlainText -Force))
        { New-CenateStandby @N -Credential $bad -StandbyName $Standby -Port $StandbyPort } |
            Should -Throw -ErrorId 'AuthenticationFailed,CenateBackup.PowerShell.Commands.NewCenateStandbyCommand'
        { New-CenateStandby @N -StandbyName $Rig.Container -Port $StandbyPort } |
            Should -Throw -ErrorId 'ContainerExists,CenateBackup.PowerShell.Commands.NewCenateStandbyCommand'
        { New-CenateStandby @N -StandbyName $Pg.Name -Port $StandbyPort } |
            Should -Throw -ErrorId 'ContainerExists,CenateBackup.PowerShell.Commands.NewCenateStandbyCommand'
        { New-CenateStandby @N -StandbyName $Standby -Port $Rig.Port } |
            Should -Throw -ErrorId 'StandbyPortInUse,CenateBackup.PowerShell.Commands.NewCenateStandbyCommand'
        { New-CenateStandby @N -StandbyName $Standby -Port $Pg.Port } |
            Should -Throw -ErrorId 'StandbyPortInUse,CenateBackup.PowerShell.Commands.NewCenateStandbyCommand'
        { New-CenateStandby @N -StandbyName $Standby -Port $StandbyPort -Image cenate-no-such-image:1 } |
            Should -Throw -ErrorId 'ImageNotFound,CenateBackup.PowerShell.Commands.NewCenateStandbyCommand'
        & docker create --name cenate_sb_stopped --network none --entrypoint sleep (& docker inspect -f '{{.Image}}' $Pg.Name) 3600 | Out-Null
        try {
            { New-CenateStandby @N -Container cenate_sb_stopped -StandbyName $Standby -Port $StandbyPort } |
                Should -Throw -ErrorId 'ContainerNotRunning,CenateBackup.PowerShell.Commands.NewCenateStandbyCommand'
        } finally { & docker rm -f cenate_sb_stopped *> $null }
        Test-Container $Standby | Should -BeFalse
        Test-Volume "${Standby}_data" | Should -BeFalse
        Get-SlotCount | Should -Be 0
        Sql "SELECT count(*) FROM pg_roles WHERE rolname = 'cenate_replication'" | Should -Be '0'
    }

    It 'refuses a standby of another major version (the rig''s PostgreSQL 17 image): no container, volume, slot or role' {
        $Rig.Pg17Image | Should -Not -BeNullOrEmpty -Because 'the rig builds the PostgreSQL 17 image'
        $err = $null
        try { New-CenateStandby @N -StandbyName $Standby -Port $StandbyPort -Image $Rig.Pg17Image -Confirm:$false; throw 'no error' }
        catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'StandbyVersionMismatch,CenateBackup.PowerShell.Commands.NewCenateStandbyCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidOperation'
        "$err" | Should -Match 'PostgreSQL 17'
        "$err" | Should -Match 'PostgreSQL 15'
        Test-Container $Standby | Should -BeFalse
        Test-Volume "${Standby}_data" | Should -BeFalse
        @(& docker ps -a --format '{{.Names}}' | Where-Object { $_ -like "${Standby}*" }).Count | Should -Be 0 -Because 'the probe containers are gone too'
        Get-SlotCount | Should -Be 0
        Sql "SELECT count(*) FROM pg_roles WHERE rolname = 'cenate_replication'" | Should -Be '0'
    }

    It 'refuses a primary that does not use the host''s network (StandbyHostNetworkRequired), before anything is created' {
        $out = & bash (Join-Path $env:CENATE_RIG_SCRIPTS 'rig.sh') container-isolated cenate_sb_isolated 56508 100 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$out"
        $err = $null
        try { New-CenateStandby @N -Container cenate_sb_isolated -PrimaryPort 56508 -StandbyName $Standby -Port $StandbyPort -Confirm:$false; throw 'no error' }
        catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'StandbyHostNetworkRequired,CenateBackup.PowerShell.Commands.NewCenateStandbyCommand'
        "$err" | Should -Match "network 'none'"
        Test-Container $Standby | Should -BeFalse
        Test-Volume "${Standby}_data" | Should -BeFalse
        (& docker exec cenate_sb_isolated psql -X -A -t -p 56508 -U cenate -d maestro_cenate -c 'SELECT count(*) FROM pg_replication_slots') | Should -Be '0'
        & docker rm -f cenate_sb_isolated *> $null
    }

    It '-WhatIf shows every step and changes nothing; the password is in none of them' {
        $out = Get-WhatIfText { New-CenateStandby @N -StandbyName $Standby -Port $StandbyPort -WhatIf }
        $out | Should -Match 'Create the role cenate_replication'
        $out | Should -Match 'max_slot_wal_keep_size = 10240MB'
        $out | Should -Match 'Create the physical replication slot cenate_sb_pg_standby'
        $out | Should -Match "Use the new Docker volume ${Standby}_data"
        $out | Should -Match "Create and start the container $Standby from the primary's image"
        $out | Should -Match "127\.0\.0\.1:$StandbyPort only"
        $out | Should -Match 'pg_basebackup -h 127\.0\.0\.1'
        $out | Should -Match '-R -X stream -S cenate_sb_pg_standby'
        $out | Should -Match 'until the standby streams'
        $out | Should -Not -Match ([regex]::Escape($ReplPassword))
        Test-Container $Standby | Should -BeFalse
        Test-Volume "${Standby}_data" | Should -BeFalse
        Get-SlotCount | Should -Be 0
        Sql "SHOW max_slot_wal_keep_size" | Should -Be '-1'
    }
}

Describe 'A standby built by New-CenateStandby' {
    BeforeAll {
        Sql "CREATE TABLE sb_probe (id serial PRIMARY KEY, note text NOT NULL)" | Out-Null
        Sql "INSERT INTO sb_probe (note) SELECT 'before ' || g FROM generate_series(1, 500) g" | Out-Null
        $script:Built = New-CenateStandby @N -StandbyName $Standby -Port $StandbyPort -Confirm:$false
    }

    It 'streams from a container of the primary''s own image, with its own volume and port, and no password anywhere in docker' {
        $Built | Should -BeOfType CenateBackup.PowerShell.Output.CenateReplicationStatus
        $Built.State | Should -Be 'Streaming'
        $Built.Healthy | Should -BeTrue -Because ($Built.Problems -join '; ')
        $Built.Name | Should -Be $Standby
        $Built.Port | Should -Be $StandbyPort
        $Built.Slot | Should -Be 'cenate_sb_pg_standby'
        $Built.SlotActive | Should -BeTrue
        $Built.ReceiverStatus | Should -Be 'streaming'
        $Built.MaxSlotWalKeepSizeBytes | Should -Be (10GB)

        $side = Get-ContainerJson $Standby
        $prim = Get-ContainerJson $Pg.Name
        $side.Image | Should -Be $prim.Image
        $side.HostConfig.NetworkMode | Should -Be 'host'
        $side.HostConfig.RestartPolicy.Name | Should -Be 'unless-stopped'
        $side.Config.Labels.'org.cenate.role' | Should -Be 'standby'
        @($side.Mounts | Where-Object { $_.Type -eq 'volume' -and $_.Name -eq "${Standby}_data" }).Count | Should -Be 1
        $volume = (& docker volume inspect "${Standby}_data" | ConvertFrom-Json)[0]
        $volume.Labels.'org.cenate.role' | Should -Be 'standby-data'
        $volume.Labels.'org.cenate.standby' | Should -Be $Standby
        # The standby listens on 127.0.0.1 only.
        Sql "SHOW listen_addresses" -Port $StandbyPort | Should -Be '127.0.0.1'
        Sql "SELECT pg_is_in_recovery()" -Port $StandbyPort | Should -Be 't'
        # The password is in no command line, environment, label, log or configuration file of the standby.
        $everything = (& docker inspect $Standby | Out-String) + (& docker logs $Standby 2>&1 | Out-String) +
            (& docker exec $Standby sh -c 'cat /var/lib/cenate-standby/data/postgresql.auto.conf' | Out-String)
        $everything | Should -Not -Match ([regex]::Escape($ReplPassword))
        $everything | Should -Not -Match ([regex]::Escape($Rig.Password))
        (& docker exec $Standby sh -c 'cat /var/lib/cenate-standby/data/postgresql.auto.conf') -join "`n" | Should -Match "primary_slot_name = 'cenate_sb_pg_standby'"
        # It is in a 0600 passfile owned by the postgres user inside the container.
        (& docker exec $Standby stat -c '%a %U' /cenate/pgpass) | Should -Be '600 postgres'
    }

    It 'rows written on the primary appear on the standby; the standby refuses writes with SQLSTATE 25006' {
        Sql "SELECT count(*) FROM sb_probe" -Port $StandbyPort | Should -Be '500'
        $marker = 'sb_' + [guid]::NewGuid().ToString('N')
        Sql "INSERT INTO sb_probe (note) SELECT '$marker' FROM generate_series(1, 250)" | Out-Null
        Wait-Until { (Sql "SELECT count(*) FROM sb_probe WHERE note = '$marker'" -Port $StandbyPort) -eq '250' } -Seconds 30 -What 'the rows on the standby'
        Sql "SELECT count(*), md5(string_agg(note, ',' ORDER BY id)) FROM sb_probe" -Port $StandbyPort |
            Should -Be (Sql "SELECT count(*), md5(string_agg(note, ',' ORDER BY id)) FROM sb_probe")
        Sql "SELECT count(*) FROM asegurados" -Port $StandbyPort | Should -Be (Sql "SELECT count(*) FROM asegurados")
        Get-WriteError $StandbyPort | Should -Be '25006'
        Sql "SELECT count(*) FROM sb_probe WHERE note = 'write test'" | Should -Be '0'
    }

    It 'Get-CenateReplicationStatus: lag 0 when everything is replayed; healthy under -MaxLag and -MaxRetainedWal; a table view' {
        # (A checkpoint or a running-transactions record may come between two calls: one object is judged.)
        Wait-Until {
            $script:s = Get-CenateReplicationStatus @P -MaxLag '60s' -MaxRetainedWal 5GB
            $s.LagBytes -eq 0 -and $s.LagSeconds -eq 0 -and $s.ReplayedLsn -eq $s.PrimaryLsn
        } -Seconds 30 -What 'lag 0'
        $s.Healthy | Should -BeTrue -Because ($s.Problems -join '; ')
        $s.State | Should -Be 'Streaming'
        $s.SenderState | Should -Be 'streaming'
        $s.ReplayedLsn | Should -Be $s.PrimaryLsn
        $s.LastReplayedTransaction | Should -Not -BeNullOrEmpty
        $s.WalStatus | Should -BeIn 'reserved', 'extended'
        $s.Primary | Should -Be $Pg.Name
        # By name, and through the pipeline by property name.
        (Get-CenateReplicationStatus @P -StandbyName $Standby).Name | Should -Be $Standby
        ($s | Get-CenateReplicationStatus @P).Name | Should -Be $Standby
        $table = ($s | Format-Table | Out-String -Width 80)
        $table | Should -Match 'State\s+Lag\s+LagMB\s+Retained\s+Port\s+Name'
        $table | Should -Match "Streaming\s+0[.,]0s\s+0[.,]0\s+\d+MB\s+$StandbyPort\s+$Standby"
        { Get-CenateReplicationStatus @P -StandbyName $Pg.Name } |
            Should -Throw -ErrorId 'StandbyNotOurs,CenateBackup.PowerShell.Commands.GetCenateReplicationStatusCommand'
        { Get-CenateReplicationStatus @P -StandbyName cenate_no_such_standby } |
            Should -Throw -ErrorId 'StandbyNotFound,CenateBackup.PowerShell.Commands.GetCenateReplicationStatusCommand'
    }

    It 'a stopped standby: its slot retains WAL on the primary and the check fails with its error id; the alert names it' {
        & docker stop $Standby | Out-Null
        $before = (Get-CenateReplicationStatus @P).RetainedWalBytes
        Sql "INSERT INTO sb_probe (note) SELECT 'while stopped ' || g FROM generate_series(1, 20000) g" | Out-Null
        Sql "SELECT pg_switch_wal()" | Out-Null
        $s = Get-CenateReplicationStatus @P -MaxLag '60s' -MaxRetainedWal 1MB
        $s.State | Should -Be 'Stopped'
        $s.Healthy | Should -BeFalse
        $s.ErrorId | Should -Be 'StandbyStopped'
        $s.SlotActive | Should -BeFalse
        $s.LagSeconds | Should -BeNullOrEmpty
        $s.RetainedWalBytes | Should -BeGreaterThan $before
        $s.RetainedWalBytes | Should -BeGreaterThan 1MB
        ($s.Problems -join ' ') | Should -Match 'holds .* of WAL on the primary \(limit 1 MB\)'
        ($s | Format-Table | Out-String -Width 80) | Should -Match 'Stopped!'

        $dir = New-TestDirectory 'sbalert'
        try {
            $status = Join-Path $dir 'status.json'
            $a = Get-CenateReplicationStatus @P -MaxLag '60s' | Send-CenateAlert -StatusPath $status -StateDirectory (Join-Path $dir 'alert') `
                -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
            $text = Get-Content -Raw -LiteralPath $status
            $text | Should -Match 'StandbyStopped'
            $text | Should -Match $Standby
            @($a).Count | Should -BeGreaterThan 0
        } finally { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'restarted, it catches up: every row written while it was down is there, lag back to 0' {
        & docker start $Standby | Out-Null
        Wait-Until { (Get-CenateReplicationStatus @P).State -eq 'Streaming' } -Seconds 60 -What 'streaming again'
        Wait-Until { (Get-CenateReplicationStatus @P).LagBytes -eq 0 } -Seconds 60 -What 'caught up'
        Sql "SELECT count(*) FROM sb_probe WHERE note LIKE 'while stopped %'" -Port $StandbyPort | Should -Be '20000'
        $s = Get-CenateReplicationStatus @P -MaxLag '60s' -MaxRetainedWal 5GB
        $s.Healthy | Should -BeTrue -Because ($s.Problems -join '; ')
        $s.RetainedWalBytes | Should -BeLessThan 1MB
    }

    It 'a standby whose replay is held back: StandbyLagging under -MaxLag, and healthy again once it has replayed' {
        Sql "SELECT pg_wal_replay_pause()" -Port $StandbyPort | Out-Null
        try {
            Wait-Until { (Sql "SELECT pg_get_wal_replay_pause_state()" -Port $StandbyPort) -eq 'paused' } -Seconds 30 -What 'replay paused'
            Sql "INSERT INTO sb_probe (note) VALUES ('held back')" | Out-Null
            Wait-Until { (Get-CenateReplicationStatus @P).LagBytes -gt 0 } -Seconds 30 -What 'WAL not replayed'
            # Received, not replayed: behind by an unknown time, then by a measured one past the limit.
            Wait-Until { (Get-CenateReplicationStatus @P -MaxLag '1s').ErrorId -eq 'StandbyLagging' } -Seconds 60 -What 'StandbyLagging'
            $s = Get-CenateReplicationStatus @P -MaxLag '1s'
            $s.Healthy | Should -BeFalse
            $s.State | Should -Be 'Streaming'
            $s.LagBytes | Should -BeGreaterThan 0
            $s.ReceivedLsn | Should -Not -Be $s.ReplayedLsn
            Sql "SELECT count(*) FROM sb_probe WHERE note = 'held back'" -Port $StandbyPort | Should -Be '0'
        } finally {
            Sql "SELECT pg_wal_replay_resume()" -Port $StandbyPort | Out-Null
        }
        Wait-Until { (Sql "SELECT count(*) FROM sb_probe WHERE note = 'held back'" -Port $StandbyPort) -eq '1' } -Seconds 30 -What 'the row replayed'
        Wait-Until { (Get-CenateReplicationStatus @P -MaxLag '60s').Healthy } -Seconds 60 -What 'healthy again'
    }

    It 'a role that may not read the replication statistics is told so (InsufficientPrivilege), not shown a disconnected standby' {
        Sql "CREATE ROLE sb_nostats LOGIN PASSWORD '$($Rig.Password)'" | Out-Null
        try {
            $weak = Get-TestCredential -User sb_nostats
            { Get-CenateReplicationStatus -Container $Pg.Name -Port $Pg.Port -Credential $weak } |
                Should -Throw -ErrorId 'InsufficientPrivilege,CenateBackup.PowerShell.Commands.GetCenateReplicationStatusCommand'
        } finally { Sql "DROP ROLE sb_nostats" | Out-Null }
    }

    It 'the monitor job checks it (step standby): passes while it streams, fails with StandbyStopped when it is down' {
        $plan = New-JobPlan -Name sbmon -Database maestro_cenate -Container $Pg.Name -Port $Pg.Port -Extra @"
    Standby = @{ Name = '$Standby'; MaxLag = '60s'; MaxRetainedWal = '2GB' }
"@
        try {
            $settings = Get-CenateSettings -Path $plan.Settings
            $settings.Standby.MaxRetainedWal | Should -Be (2GB)
            $settings.Standby.MaxLag | Should -Be ([timespan]::FromSeconds(60))
            $r = Invoke-JobScript -Name Monitor -Settings $plan.Settings
            $log = @(Get-JobLog -Directory $plan.Logs -Job monitor)[-1]
            # (The local step fails: this plan has no backup set. The standby step is judged on its own.)
            (Get-StepRecord $log standby)[0].result | Should -Be 'Succeeded' -Because "$($r.StdOut)`n$($r.StdErr)"

            & docker stop $Standby | Out-Null
            $r = Invoke-JobScript -Name Monitor -Settings $plan.Settings
            $r.ExitCode | Should -Be 1
            $log = @(Get-JobLog -Directory $plan.Logs -Job monitor)[-1]
            (Get-StepRecord $log standby)[0].result | Should -Be 'Failed'
            (Get-StepRecord $log standby)[0].errorId | Should -Be 'StandbyStopped'
            "$($r.StdOut)`n$($r.StdErr)" | Should -Not -Match ([regex]::Escape($ReplPassword))
        } finally {
            & docker start $Standby | Out-Null
            Remove-Item -LiteralPath $plan.Directory -Recurse -Force -ErrorAction SilentlyContinue
        }
        Wait-Until { (Get-CenateReplicationStatus @P).State -eq 'Streaming' } -Seconds 60 -What 'streaming again'
    }

    It 'a second standby on the same slot, port or volume is refused' {
        { New-CenateStandby @N -StandbyName $Second -Port $SecondPort -Slot cenate_sb_pg_standby } |
            Should -Throw -ErrorId 'StandbySlotExists,CenateBackup.PowerShell.Commands.NewCenateStandbyCommand'
        { New-CenateStandby @N -StandbyName $Second -Port $StandbyPort } |
            Should -Throw -ErrorId 'StandbyPortInUse,CenateBackup.PowerShell.Commands.NewCenateStandbyCommand'
        { New-CenateStandby @N -StandbyName $Second -Port $SecondPort -Path "${Standby}_data" } |
            Should -Throw -ErrorId 'StandbyDataExists,CenateBackup.PowerShell.Commands.NewCenateStandbyCommand'
        Test-Container $Second | Should -BeFalse
        Get-SlotCount | Should -Be 1
    }

    It 'Remove-CenateStandby trusts no label: another data mount, a directory without its marker, a slot another standby uses' {
        $precious = New-TestDirectory 'sbprecious'
        New-Item -ItemType Directory -Path (Join-Path $precious 'data') | Out-Null
        Set-Content -LiteralPath (Join-Path $precious 'data/backup.dump') -Value 'a good backup'
        $image = & docker inspect -f '{{.Image}}' $Pg.Name
        $fake = 'cenate_sb_fake'
        $cases = @(
            # The label names one directory, the container mounts another.
            @{ Mount = "${precious}:/var/lib/cenate-standby"; Path = '/tmp/elsewhere'; Slot = 'cenate_sb_fake'; Data = $true; Why = 'while it mounts' }
            # A directory New-CenateStandby never wrote its marker into.
            @{ Mount = "${precious}:/var/lib/cenate-standby"; Path = $precious; Slot = 'cenate_sb_fake'; Data = $true; Why = '\.cenate-standby\.json' }
            # A volume it did not label as this standby's data.
            @{ Mount = "cenate_sb_fake_data:/var/lib/cenate-standby"; Path = 'cenate_sb_fake_data'; Slot = 'cenate_sb_fake'; Data = $true; Why = 'was not made by New-CenateStandby' }
            # The live standby's slot: dropping it would cut the real standby off.
            @{ Mount = "cenate_sb_fake_data:/var/lib/cenate-standby"; Path = 'cenate_sb_fake_data'; Slot = 'cenate_sb_pg_standby'; Data = $false; Why = "slot cenate_sb_pg_standby belongs to $Standby" }
        )
        try {
            foreach ($c in $cases) {
                & docker rm -f $fake *> $null
                & docker create --name $fake --network none -v $c.Mount --label org.cenate.role=standby --label "org.cenate.primary=$($Pg.Name)" `
                    --label org.cenate.port=56509 --label "org.cenate.slot=$($c.Slot)" --label "org.cenate.path=$($c.Path)" `
                    --entrypoint sleep $image 3600 | Out-Null
                $err = $null
                try { Remove-CenateStandby @P -StandbyName $fake -RemoveData:$c.Data -Confirm:$false; throw 'no error' } catch { $err = $_ }
                $err.FullyQualifiedErrorId | Should -Be 'StandbyNotOurs,CenateBackup.PowerShell.Commands.RemoveCenateStandbyCommand' -Because "$($c.Mount) / $($c.Path) / $($c.Slot)"
                "$err" | Should -Match $c.Why
                Test-Container $fake | Should -BeTrue
                Get-Content -LiteralPath (Join-Path $precious 'data/backup.dump') | Should -Be 'a good backup'
                (Get-CenateReplicationStatus @P -StandbyName $Standby).State | Should -Be 'Streaming'
            }
        } finally {
            & docker rm -f $fake *> $null
            & docker volume rm cenate_sb_fake_data *> $null
            Remove-Item -LiteralPath $precious -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'Remove-CenateStandby refuses what is not its standby, shows its steps with -WhatIf, then removes container, volume and slot' {
        { Remove-CenateStandby @P -StandbyName $Pg.Name -Confirm:$false } |
            Should -Throw -ErrorId 'StandbyNotOurs,CenateBackup.PowerShell.Commands.RemoveCenateStandbyCommand'
        { Remove-CenateStandby @P -StandbyName $Rig.Container -Confirm:$false } |
            Should -Throw -ErrorId 'StandbyNotOurs,CenateBackup.PowerShell.Commands.RemoveCenateStandbyCommand'
        $out = Get-WhatIfText { Get-CenateReplicationStatus @P | Remove-CenateStandby @P -RemoveData -WhatIf }
        $out | Should -Match "Stop and remove the standby container $Standby"
        $out | Should -Match "Remove the Docker volume ${Standby}_data"
        $out | Should -Match 'Drop the replication slot cenate_sb_pg_standby'
        Test-Container $Standby | Should -BeTrue

        # Name and Primary bind -StandbyName and -Container by property name.
        $r = Get-CenateReplicationStatus @P | Remove-CenateStandby -Port $Pg.Port -Credential $Cred -RemoveData -Confirm:$false
        $r.State | Should -Be 'Removed'
        Test-Container $Standby | Should -BeFalse
        Test-Volume "${Standby}_data" | Should -BeFalse
        Get-SlotCount | Should -Be 0
        { Get-CenateReplicationStatus @P } | Should -Throw -ErrorId 'StandbyNotFound,CenateBackup.PowerShell.Commands.GetCenateReplicationStatusCommand'
    }
}

Describe 'A failed build leaves nothing' {
    It 'a wrong replication password (the role exists): StandbyNotStreaming, and no container, volume, directory content or slot is left' {
        Sql "SELECT count(*) FROM pg_roles WHERE rolname = 'cenate_replication'" | Should -Be '1'
        $wrong = [pscredential]::new('cenate_replication', (ConvertTo-SecureString 'not-the-password' -AsPlainText -Force))
        $parent = New-TestDirectory 'sbfail'
        New-Item -ItemType Directory -Path $parent | Out-Null
        $empty = Join-Path $parent 'empty'
        New-Item -ItemType Directory -Path $empty | Out-Null
        try {
            foreach ($path in @($null, (Join-Path $parent 'data'), $empty)) {
                $where = if ($path) { @{ Path = $path } } else { @{} }
                $err = $null
                try { New-CenateStandby @N @where -ReplicationCredential $wrong -StandbyName $Second -Port $SecondPort -Timeout 2m -Confirm:$false; throw 'no error' }
                catch { $err = $_ }
                $err.FullyQualifiedErrorId | Should -Be 'StandbyNotStreaming,CenateBackup.PowerShell.Commands.NewCenateStandbyCommand' -Because "$path"
                "$err" | Should -Match 'password authentication failed|pg_basebackup failed'
                "$err" | Should -Not -Match 'not-the-password'
                Test-Container $Second | Should -BeFalse
                Test-Volume "${Second}_data" | Should -BeFalse
                Test-Path -LiteralPath (Join-Path $parent 'data') | Should -BeFalse -Because 'a directory the run made goes'
                @(Get-ChildItem -LiteralPath $empty -Force).Count | Should -Be 0 -Because 'a directory that was there stays, empty'
                Get-SlotCount | Should -Be 0
            }
        } finally { Remove-Item -LiteralPath $parent -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Promotion' {
    It 'a standby in a directory that was there: Remove-CenateStandby -RemoveData deletes what the container''s postgres user wrote, and the slot; the directory stays, empty' {
        New-Item -ItemType Directory -Path $SecondDir | Out-Null
        # Given with a trailing separator: it is recorded as Docker reports the mount.
        $b = New-CenateStandby @N -StandbyName $Second -Port $SecondPort -Path "$SecondDir/" -Confirm:$false
        $b.State | Should -Be 'Streaming'
        (Get-Content -Raw -LiteralPath (Join-Path $SecondDir '.cenate-standby.json') | ConvertFrom-Json).standby | Should -Be $Second
        Get-UnixMode (Join-Path $SecondDir '.cenate-standby.json') | Should -Be '0600'
        $b.DataPath | Should -Be $SecondDir
        $r = Remove-CenateStandby @P -StandbyName $Second -RemoveData -Confirm:$false
        $r.State | Should -Be 'Removed'
        @(Get-ChildItem -LiteralPath $SecondDir -Force).Count | Should -Be 0
        Remove-Item -LiteralPath $SecondDir
        Test-Container $Second | Should -BeFalse
        Get-SlotCount | Should -Be 0
    }

    It 'a standby in a directory of this machine, promoted with pg_promote(), takes writes; the status says Promoted and Remove refuses it' {
        $b = New-CenateStandby @N -StandbyName $Second -Port $SecondPort -Path $SecondDir -Confirm:$false
        $b.State | Should -Be 'Streaming'
        $b.DataPath | Should -Be $SecondDir
        # Traverse-only for the standby's postgres user; the data directory inside is its own, 0700.
        Get-UnixMode $SecondDir | Should -Be '0711'
        (& docker exec $Second stat -c '%a %U' /var/lib/cenate-standby/data) | Should -Be '700 postgres'
        Sql "INSERT INTO sb_probe (note) VALUES ('last before promotion')" | Out-Null
        Wait-Until { (Sql "SELECT count(*) FROM sb_probe WHERE note = 'last before promotion'" -Port $SecondPort) -eq '1' } -Seconds 30 -What 'the last row'
        Get-WriteError $SecondPort | Should -Be '25006'

        # The README's promotion, as documented.
        (& docker exec $Second psql -X -A -t -p $SecondPort -U cenate -d maestro_cenate -c 'SELECT pg_promote()') | Should -Be 't'
        Sql "SELECT pg_is_in_recovery()" -Port $SecondPort | Should -Be 'f'
        Get-WriteError $SecondPort | Should -Be ''
        Sql "SELECT count(*) FROM sb_probe WHERE note = 'write test'" -Port $SecondPort | Should -Be '1'
        Sql "SELECT count(*) FROM sb_probe WHERE note = 'write test'" | Should -Be '0' -Because 'the old primary did not get it'

        $s = Get-CenateReplicationStatus @P -StandbyName $Second
        $s.State | Should -Be 'Promoted'
        $s.ErrorId | Should -Be 'StandbyPromoted'
        $s.Healthy | Should -BeFalse
        { Remove-CenateStandby @P -StandbyName $Second -RemoveData -Confirm:$false } |
            Should -Throw -ErrorId 'StandbyPromoted,CenateBackup.PowerShell.Commands.RemoveCenateStandbyCommand'
        Test-Container $Second | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $SecondDir 'data/PG_VERSION') | Should -BeTrue

        # Stopped, it cannot say it was promoted: its files do (no standby.signal), and its data is not removed.
        & docker stop $Second | Out-Null
        (Get-CenateReplicationStatus @P -StandbyName $Second).State | Should -Be 'Stopped'
        { Remove-CenateStandby @P -StandbyName $Second -RemoveData -Confirm:$false } |
            Should -Throw -ErrorId 'StandbyPromoted,CenateBackup.PowerShell.Commands.RemoveCenateStandbyCommand'
        Test-Container $Second | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $SecondDir 'data/PG_VERSION') | Should -BeTrue
    }

    It 'pg_ctl promote, the other documented way, makes a standby writable too' {
        $b = New-CenateStandby @N -StandbyName $Third -Port $ThirdPort -Confirm:$false
        $b.State | Should -Be 'Streaming'
        Get-WriteError $ThirdPort | Should -Be '25006'
        (& docker exec -u postgres $Third pg_ctl promote -w -D /var/lib/cenate-standby/data 2>&1) -join ' ' | Should -Match 'server promoted'
        Sql "SELECT pg_is_in_recovery()" -Port $ThirdPort | Should -Be 'f'
        Get-WriteError $ThirdPort | Should -Be ''
        (Get-CenateReplicationStatus @P -StandbyName $Third).State | Should -Be 'Promoted'
    }
}
