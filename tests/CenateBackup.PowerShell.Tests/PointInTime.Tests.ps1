#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 19, part 3: point-in-time recovery. A real PostgreSQL 15 container (host networking on a loopback port) is
# archived by the real pg_receivewal sidecar and backed up by pg_basebackup; a mistake — 1,000 rows deleted and an
# UPDATE without WHERE — is undone by recovering a new scratch container to one second before it and bringing the rows
# back into the live table with Restore-CenateTable -FromContainer.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'JobHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Pg = Start-ThrowawayContainer -Name cenate_pitr_pg -Port 56500 -Rows 3000
    $script:P = @{ Container = $Pg.Name; Port = $Pg.Port; Credential = $Cred }
    $script:Dir = New-TestDirectory 'pitr'
    $script:WalDir = Join-Path $Dir 'wal'
    $script:BaseDir = Join-Path $Dir 'base'
    $script:Repl = [pscredential]::new('cenate_replication',
        (ConvertTo-SecureString ('Repl-' + [guid]::NewGuid().ToString('N').Substring(0, 12)) -AsPlainText -Force))

    function script:Sql([string]$Sql, [int]$Port = $Pg.Port, [string]$Database = 'maestro_cenate') {
        Invoke-Psql -Port $Port -Database $Database -Sql $Sql
    }
    function script:Get-Copies { @(& docker ps -a --filter 'label=org.cenate.role=pitr' --format '{{.Names}}') | Where-Object { $_ } }
    function script:Wait-Archived {
        # Until the archiver has flushed everything written so far (pg_receivewal --synchronous).
        $lsn = Sql 'SELECT pg_current_wal_lsn()' -Database postgres
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while ([DateTime]::UtcNow -lt $deadline) {
            if ((Sql "SELECT count(*) FROM pg_stat_replication WHERE flush_lsn >= '$lsn'" -Database postgres) -eq '1') { return }
            Start-Sleep -Milliseconds 200
        }
        throw "the archiver did not flush $lsn within 60 s"
    }
    function script:ServerTime { [DateTimeOffset]::Parse((Sql "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD`"T`"HH24:MI:SS.US`"Z`"')"), [Globalization.CultureInfo]::InvariantCulture) }

    Start-CenateWalArchive @P -Path $WalDir -ReplicationCredential $Repl -Confirm:$false | Out-Null
    Sql "CREATE TABLE pitr_marker (note text PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())" | Out-Null
    $script:Set = New-CenateBaseBackup @P -Path $BaseDir -CompressionLevel 1
    $script:BaseDone = ServerTime
}

AfterAll {
    foreach ($c in Get-Copies) { & docker rm -f -v $c *> $null }
    & docker rm -f cenate_pitr_pg_wal *> $null
    Remove-ThrowawayContainer $Pg.Name
    Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Restore-CenatePointInTime' {
    It '-WhatIf names the base backup, the WAL and the new container, and creates nothing' {
        $lines = Restore-CenatePointInTime @P -Path $BaseDir -WalPath $WalDir -Time ([DateTime]::UtcNow) -WhatIf -Verbose 4>&1 | ForEach-Object { "$_" }
        ($lines -join "`n") | Should -Match ([regex]::Escape("maestro_cenate_$($Set.Stamp).base.tar.gz"))
        ($lines -join "`n") | Should -Match 'recovery_target_time'
        Get-Copies | Should -BeNullOrEmpty
    }

    It 'undoes a DELETE of 1,000 rows and an UPDATE without WHERE: the copy at one second before has every earlier write, and MissingRows brings the rows back' {
        $before = [long](Sql 'SELECT count(*) FROM asegurados')
        $checksum = Sql "SELECT md5(string_agg(id::text || estado, ',' ORDER BY id)) FROM asegurados"
        Sql "INSERT INTO pitr_marker (note) VALUES ('written after the base backup, before the mistake')" | Out-Null
        Start-Sleep -Milliseconds 1600
        $mistake = ServerTime
        Sql "DELETE FROM asegurados WHERE id IN (SELECT id FROM asegurados ORDER BY id LIMIT 1000)" | Out-Null
        Sql "UPDATE asegurados SET estado = 'X'" | Out-Null
        Sql "INSERT INTO pitr_marker (note) VALUES ('written after the mistake')" | Out-Null
        Wait-Archived
        [long](Sql 'SELECT count(*) FROM asegurados') | Should -Be ($before - 1000)

        $target = $mistake.AddSeconds(-1)
        $copy = Restore-CenatePointInTime @P -Path $BaseDir -WalPath $WalDir -Time $target.UtcDateTime
        $copy | Should -BeOfType 'CenateBackup.PowerShell.Output.CenatePointInTimeCopy'
        $copy.State | Should -Be 'Paused'
        $copy.HostName | Should -Be '127.0.0.1'
        $copy.BaseBackup | Should -Be $Set.Path
        $copy.RecoveredTo | Should -BeLessOrEqual $target
        $copy.RecoveredTo | Should -BeGreaterThan $BaseDone.AddSeconds(-5)
        Get-Copies | Should -Be @($copy.Name)

        # The copy: as it was one second before the mistake.
        [long](Sql 'SELECT count(*) FROM asegurados' -Port $copy.Port) | Should -Be $before
        Sql "SELECT md5(string_agg(id::text || estado, ',' ORDER BY id)) FROM asegurados" -Port $copy.Port | Should -Be $checksum
        Sql "SELECT string_agg(note, '|' ORDER BY note) FROM pitr_marker" -Port $copy.Port |
            Should -Be 'written after the base backup, before the mistake'
        Sql 'SELECT pg_is_in_recovery()' -Port $copy.Port | Should -Be 't'
        # Listening on loopback only, as the postgres user, in a container of the live one's image.
        $json = (& docker inspect $copy.Name | ConvertFrom-Json)[0]
        $json.Config.Image | Should -Be (& docker inspect -f '{{.Image}}' $Pg.Name)
        $json.Config.User | Should -Be 'postgres'
        ($json.Config.Cmd + $json.Config.Entrypoint) -join ' ' | Should -Match 'listen_addresses=127\.0\.0\.1'
        ($json | ConvertTo-Json -Depth 20) | Should -Not -Match ([regex]::Escape($Rig.Password))
        Get-CenatePointInTime -Name $copy.Name -Credential $Cred | ForEach-Object State | Should -Be 'Paused'

        # The rows come back into the live table from the copy; the UPDATE's rows are put right by Replace (next test).
        # -FromPort left out: the copy's own port (its label), not 5432.
        $r = Restore-CenateTable @P -FromContainer $copy.Name -Table asegurados -Mode MissingRows -Confirm:$false
        $r.InsertedRows | Should -Be 1000
        $r.BackupFile | Should -Match ([regex]::Escape($copy.Name))
        [long](Sql 'SELECT count(*) FROM asegurados') | Should -Be $before
        Sql "SELECT count(*) FROM asegurados WHERE estado <> 'X'" | Should -Be '1000'
        # The write after the mistake is still in the live database.
        Sql "SELECT count(*) FROM pitr_marker WHERE note = 'written after the mistake'" | Should -Be '1'
        # No temporary dump is left behind.
        @(Get-ChildItem -LiteralPath ([IO.Path]::GetTempPath()) -Filter 'cenate-live-*' -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
        $script:Copy = $copy
        $script:Checksum = $checksum
    }

    It 'a piped copy is the source of Restore-CenateTable -Mode Replace: the values the UPDATE overwrote come back' {
        $r = $Copy | Restore-CenateTable @P -Table asegurados -Mode Replace -DropReplaced -Confirm:$false
        $r.LiveRowsAfter | Should -Be $r.BackupRows
        Sql "SELECT md5(string_agg(id::text || estado, ',' ORDER BY id)) FROM asegurados" | Should -Be $Checksum
        Sql "SELECT count(*) FROM asegurados WHERE estado = 'X'" | Should -Be '0'
    }

    It 'refuses the live database as a source, a backup and -FromContainer at once, and Remove- of a container it did not make' {
        { Restore-CenateTable @P -FromContainer $Pg.Name -FromPort $Pg.Port -Table asegurados -Mode MissingRows -Confirm:$false } |
            Should -Throw -ErrorId 'RestoreSourceConflict,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
        { Restore-CenateTable @P $Set.Path -FromContainer $Copy.Name -Table asegurados -Confirm:$false } |
            Should -Throw -ErrorId 'RestoreSourceConflict,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
        { Restore-CenateTable @P -Table asegurados -Confirm:$false } |
            Should -Throw -ErrorId 'PathNotFound,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
        { Restore-CenateTable @P -FromContainer $Copy.Name -FromPort $Copy.Port -Table no_such_table -Confirm:$false } |
            Should -Throw -ErrorId 'TableNotFound,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
        { Remove-CenatePointInTime $Pg.Name -Confirm:$false } |
            Should -Throw -ErrorId 'PointInTimeNotACopy,CenateBackup.PowerShell.Commands.RemoveCenatePointInTimeCommand'
        & docker inspect -f '{{.State.Running}}' $Pg.Name | Should -Be 'true'
        { Remove-CenatePointInTime cenate_no_such_copy -Confirm:$false } |
            Should -Throw -ErrorId 'PointInTimeCopyNotFound,CenateBackup.PowerShell.Commands.RemoveCenatePointInTimeCommand'
        { Restore-CenatePointInTime @P -Path $BaseDir -WalPath $WalDir -Time $Copy.TargetTime.UtcDateTime -Name $Copy.Name } |
            Should -Throw -ErrorId 'ContainerExists,CenateBackup.PowerShell.Commands.RestoreCenatePointInTimeCommand'
    }

    It 'Remove-CenatePointInTime takes a piped copy, -WhatIf keeps it' {
        $Copy | Remove-CenatePointInTime -WhatIf
        Get-Copies | Should -Be @($Copy.Name)
        $Copy | Remove-CenatePointInTime -Confirm:$false
        Get-Copies | Should -BeNullOrEmpty
        & docker volume ls -q --filter dangling=true | Where-Object { $_ } | Measure-Object | ForEach-Object Count | Should -Be 0
    }

    It 'refuses a time before the oldest base backup, and a time the WAL archive does not reach, leaving no container' {
        $e = { Restore-CenatePointInTime @P -Path $BaseDir -WalPath $WalDir -Time $BaseDone.AddHours(-1).UtcDateTime } |
            Should -Throw -ErrorId 'PointInTimeNoBaseBackup,CenateBackup.PowerShell.Commands.RestoreCenatePointInTimeCommand' -PassThru
        $e.Exception.Message | Should -Match 'oldest'
        $e = { Restore-CenatePointInTime @P -Path $BaseDir -WalPath $WalDir -Time ([DateTime]::UtcNow.AddHours(1)) -Timeout 5m } |
            Should -Throw -ErrorId 'PointInTimeNotReached,CenateBackup.PowerShell.Commands.RestoreCenatePointInTimeCommand' -PassThru
        $e.ErrorDetails.RecommendedAction | Should -Match 'Get-CenateWalArchive'
        Get-Copies | Should -BeNullOrEmpty
    }

    It 'refuses a wrong password, a missing container and a missing WAL archive before anything is created' {
        $bad = [pscredential]::new('cenate', (ConvertTo-SecureString 'wrong-password' -AsPlainText -Force))
        $e = { Restore-CenatePointInTime -Container $Pg.Name -Port $Pg.Port -Credential $bad -Path $BaseDir -WalPath $WalDir -Time ([DateTime]::UtcNow) } |
            Should -Throw -ErrorId 'AuthenticationFailed,CenateBackup.PowerShell.Commands.RestoreCenatePointInTimeCommand' -PassThru
        "$e" | Should -Not -Match 'wrong-password'
        { Restore-CenatePointInTime -Container cenate_no_such_pg -Credential $Cred -Path $BaseDir -WalPath $WalDir -Time ([DateTime]::UtcNow) } |
            Should -Throw -ErrorId 'ContainerNotFound,CenateBackup.PowerShell.Commands.RestoreCenatePointInTimeCommand'
        { Restore-CenatePointInTime @P -Path $BaseDir -WalPath (Join-Path $Dir 'no-such-wal') -Time ([DateTime]::UtcNow) } |
            Should -Throw -ErrorId 'PathNotFound,CenateBackup.PowerShell.Commands.RestoreCenatePointInTimeCommand'
        # The archiver's directory is found by its labels when -WalPath is left out: the plan names it.
        $lines = Restore-CenatePointInTime @P -Path $BaseDir -Time ([DateTime]::UtcNow) -WhatIf -Verbose 4>&1 | ForEach-Object { "$_" }
        ($lines -join "`n") | Should -Match ([regex]::Escape($WalDir))
        Get-Copies | Should -BeNullOrEmpty
    }

    It 'refuses a base backup changed after it was written (one byte) before recovery, leaving no container' {
        $d = Join-Path $Dir 'tampered'
        New-Item -ItemType Directory -Path $d | Out-Null
        $tar = "maestro_cenate_$($Set.Stamp).base.tar.gz"
        Copy-Item -LiteralPath $Set.Path, (Join-Path $Set.Directory $tar) -Destination $d
        $bytes = [IO.File]::ReadAllBytes((Join-Path $d $tar))
        $bytes[[int]($bytes.Length / 2)] = $bytes[[int]($bytes.Length / 2)] -bxor 0x01
        [IO.File]::WriteAllBytes((Join-Path $d $tar), $bytes)
        { Restore-CenatePointInTime @P -Path $d -WalPath $WalDir -Time ([DateTime]::UtcNow) } |
            Should -Throw -ErrorId 'BackupCorrupt,CenateBackup.PowerShell.Commands.RestoreCenatePointInTimeCommand'
        Get-Copies | Should -BeNullOrEmpty
    }
}

Describe 'Remove-CenateOldBackup -WalPath' {
    BeforeAll {
        # More WAL, then a second base backup: the first one's WAL is then needed by no kept set once it goes.
        foreach ($i in 1..3) {
            Sql "INSERT INTO pitr_marker (note) VALUES ('segment $i'); SELECT pg_switch_wal()" | Out-Null
        }
        Wait-Archived
        $script:Set2 = New-CenateBaseBackup @P -Path $BaseDir -CompressionLevel 1
        Sql "INSERT INTO pitr_marker (note) VALUES ('after the second base backup')" | Out-Null
        Wait-Archived
        foreach ($s in $Set, $Set2) { ($s | Test-CenateBackup -Level Read -Container $Pg.Name).Passed | Should -BeTrue }
        $script:Start2 = (Get-Content -Raw -LiteralPath $Set2.Path | ConvertFrom-Json).base.startWalFile
        function script:Get-Segments { @(Get-ChildItem -LiteralPath $WalDir -File | Where-Object Name -match '^[0-9A-F]{24}(\.partial)?$' | ForEach-Object Name | Sort-Object) }
        $script:Older = @(Get-Segments | Where-Object { $_.Substring(8) -lt $Start2.Substring(8) })
        $Older.Count | Should -BeGreaterThan 2
        $script:Policy = @{ KeepDaily = 0; KeepWeekly = 0; KeepMonthly = 0; MinimumKeep = 1 }
    }

    It '-WhatIf removes neither the old base set nor any WAL' {
        $before = Get-Segments
        $r = @(Remove-CenateOldBackup -Path $BaseDir -WalPath $WalDir @Policy -WhatIf)
        ($r | Where-Object Action -eq 'WouldRemove').Path | Should -Be $Set.Path
        Get-Segments | Should -Be $before
        Test-Path -LiteralPath $Set.Path | Should -BeTrue
    }

    It 'refuses an archive of another cluster and removes nothing from it' {
        $foreign = Join-Path $Dir 'foreign-wal'
        New-Item -ItemType Directory -Path $foreign | Out-Null
        Copy-Item -Path (Join-Path $WalDir '*') -Destination $foreign
        Copy-Item -LiteralPath (Join-Path $WalDir '.cenate-wal-archive.json') -Destination $foreign
        $m = Get-Content -Raw -LiteralPath (Join-Path $foreign '.cenate-wal-archive.json') | ConvertFrom-Json -AsHashtable
        $m.systemIdentifier = '1234567890123456789'
        Set-Content -LiteralPath (Join-Path $foreign '.cenate-wal-archive.json') -Value ($m | ConvertTo-Json) -NoNewline
        $count = @(Get-ChildItem -LiteralPath $foreign -File).Count
        # A copy of the base sets, so the real ones stay for the next test.
        $bases = Join-Path $Dir 'bases-copy'
        New-Item -ItemType Directory -Path $bases | Out-Null
        Copy-Item -Path (Join-Path $BaseDir '*') -Destination $bases
        { Remove-CenateOldBackup -Path $bases -WalPath $foreign @Policy -Confirm:$false } |
            Should -Throw -ErrorId 'WalArchiveForeign,CenateBackup.PowerShell.Commands.RemoveCenateOldBackupCommand'
        @(Get-ChildItem -LiteralPath $foreign -File).Count | Should -Be $count
    }

    It 'removes the old base set and exactly the WAL older than the kept one''s start; the kept WAL still recovers to now' {
        $r = @(Remove-CenateOldBackup -Path $BaseDir -WalPath $WalDir @Policy -Confirm:$false)
        ($r | Where-Object Action -eq 'Removed').Path | Should -Be $Set.Path
        ($r | Where-Object Action -eq 'Kept').Path | Should -Be $Set2.Path
        $left = Get-Segments
        foreach ($o in $Older) { $left | Should -Not -Contain $o }
        $left | Where-Object { $_.StartsWith($Start2) } | Should -Not -BeNullOrEmpty
        @($left | Where-Object { $_.Substring(8) -lt $Start2.Substring(8) }) | Should -BeNullOrEmpty
        Test-Path -LiteralPath (Join-Path $WalDir '.cenate-wal-archive.json') | Should -BeTrue
        # The kept base backup's WAL has no gap, and a point-in-time restore from it reaches the last write.
        ($Set2 | Test-CenateBackup -Level Read -Container $Pg.Name -WalPath $WalDir).Passed | Should -BeTrue
        Start-Sleep -Milliseconds 1200
        $t = ServerTime
        Sql "INSERT INTO pitr_marker (note) VALUES ('after the target')" | Out-Null
        Wait-Archived
        $copy = Restore-CenatePointInTime @P -Path $BaseDir -WalPath $WalDir -Time $t.UtcDateTime
        try {
            $copy.BaseBackup | Should -Be $Set2.Path
            Sql "SELECT count(*) FROM pitr_marker WHERE note IN ('segment 3', 'after the second base backup')" -Port $copy.Port | Should -Be '2'
            Sql "SELECT count(*) FROM pitr_marker WHERE note = 'after the target'" -Port $copy.Port | Should -Be '0'
        }
        finally { $copy | Remove-CenatePointInTime -Confirm:$false }
    }
}

Describe 'Test-CenateBackup -Level PointInTime' {
    It 'recovers the base set and the WAL into a scratch container, counts every table against the live counts, removes it and records the level' {
        # The copy of a drill that was killed before it could remove it: the next drill removes it.
        & docker create --name cenate_drill_pitr_leftover --network none --label org.cenate.role=pitr `
            --entrypoint sleep (& docker inspect -f '{{.Image}}' $Pg.Name) 3600 | Out-Null
        $live = [long](Sql 'SELECT count(*) FROM asegurados')
        $r = $Set2 | Test-CenateBackup -Level PointInTime @P -WalPath $WalDir -WarningVariable warned
        $r.Passed | Should -BeTrue
        ($warned -join "`n") | Should -Match 'cenate_drill_pitr_leftover'
        & docker inspect cenate_drill_pitr_leftover *> $null
        $LASTEXITCODE | Should -Not -Be 0
        ($r.Checks -join "`n") | Should -Match 'point-in-time drill: copy recovered to'
        ($r.Checks -join "`n") | Should -Match 'pg_verifybackup'
        Get-Copies | Should -BeNullOrEmpty
        (Get-Content -Raw -LiteralPath $Set2.Path | ConvertFrom-Json).verification.level | Should -Be 'PointInTime'
        # The copy was made just after the set completed: its asegurados count is the live one (no write to it since).
        ($r.Checks -join "`n") | Should -Match "public\.asegurados $live rows \(live now $live\)"
    }

    It 'a drill whose WAL archive cannot roll the set forward fails, keeps the set recorded as read well, and leaves no container' {
        $empty = Join-Path $Dir 'empty-wal'
        New-Item -ItemType Directory -Path $empty | Out-Null
        $r = $Set2 | Test-CenateBackup -Level PointInTime @P -WalPath $empty
        $r.Passed | Should -BeFalse
        @($r.Problems | ForEach-Object Kind) | Should -Contain 'WalArchiveGap'
        $v = (Get-Content -Raw -LiteralPath $Set2.Path | ConvertFrom-Json).verification
        $v.passed | Should -BeTrue
        Get-Copies | Should -BeNullOrEmpty
    }

    It 'the monthly drill job runs it as step pitr-drill when the plan has the BaseBackup and WalArchive keys' {
        $plan = New-JobPlan -Name pitr -Database maestro_cenate -Container $Pg.Name -Port $Pg.Port -Extra @"
    BaseBackup = @{ Path = '$BaseDir'; CompressionLevel = 1; MaxAge = '8d' }
    WalArchive = @{ Path = '$WalDir'; MaxLag = '5m'; MaxRetainedWal = '1GB' }
"@
        try {
            $r = Invoke-JobScript -Name Drill -Settings $plan.Settings
            $log = @(Get-JobLog -Directory $plan.Logs -Job drill)[-1]
            (Get-StepRecord $log pitr-drill)[0].result | Should -Be 'Succeeded' -Because "$($r.StdOut)`n$($r.StdErr)"
            # The set's record: the earlier failed drill had left it at Read; the job's drill passed.
            (Get-Content -Raw -LiteralPath $Set2.Path | ConvertFrom-Json).verification.level | Should -Be 'PointInTime'
            Get-Copies | Should -BeNullOrEmpty
        } finally {
            Remove-Item -LiteralPath $plan.Directory -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'refuses a dump set with its error id, and -WhatIf makes no copy' {
        $dump = New-CenateDump @P -Path (Join-Path $Dir 'dumps') -Table asegurados
        { $dump | Test-CenateBackup -Level PointInTime @P } |
            Should -Throw -ErrorId 'PointInTimeDrillNeedsBase,CenateBackup.PowerShell.Commands.TestCenateBackupCommand'
        $Set2 | Test-CenateBackup -Level PointInTime @P -WalPath $WalDir -WhatIf | Should -BeNullOrEmpty
        Get-Copies | Should -BeNullOrEmpty
    }
}

Describe 'Sync-CenateOffsite -WalPath' {
    BeforeAll {
        $script:UsbRoot = "/dev/shm/cenate-pitr-usb-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $script:Usb = (Initialize-CenateOffsiteTarget -Destination "$UsbRoot/usb" -Label usb-pitr -Confirm:$false).Path
        function script:Get-Complete([string]$Dir) { @(Get-ChildItem -LiteralPath $Dir -File | Where-Object Name -match '^([0-9A-F]{24}|[0-9A-F]{8}\.history)$' | ForEach-Object Name | Sort-Object) }
    }
    AfterAll { Remove-Item -LiteralPath $UsbRoot -Recurse -Force -ErrorAction SilentlyContinue }

    It 'copies the base set and the WAL archive''s complete segments to <target>/wal, checked; a second run copies nothing; -WhatIf copies nothing' {
        $w = @(Sync-CenateOffsite -Path $BaseDir -Destination $Usb -IncludePartial -WalPath $WalDir -WhatIf)
        ($w | Where-Object Kind -eq 'Wal').Status | Should -Be 'WouldCopy'
        Test-Path -LiteralPath (Join-Path $Usb 'wal') | Should -BeFalse

        $r = @(Sync-CenateOffsite -Path $BaseDir -Destination $Usb -IncludePartial -WalPath $WalDir)
        ($r | Where-Object Kind -eq 'Base').Status | Should -Be 'Copied'
        $wal = $r | Where-Object Kind -eq 'Wal'
        $wal.Status | Should -Be 'Copied'
        $wal.VerifiedBy | Should -Be 'sha256 read back'
        $wal.Path | Should -Be (Join-Path $Usb 'wal')
        $copied = Get-Complete (Join-Path $Usb 'wal')
        $copied | Should -Be (Get-Complete $WalDir)
        @(Get-ChildItem -LiteralPath (Join-Path $Usb 'wal') -Filter '*.partial') | Should -BeNullOrEmpty
        foreach ($n in $copied) {
            (Get-FileHash -LiteralPath (Join-Path $Usb "wal/$n")).Hash | Should -Be (Get-FileHash -LiteralPath (Join-Path $WalDir $n)).Hash
            Get-UnixMode (Join-Path $Usb "wal/$n") | Should -Be '0600'
        }
        Get-UnixMode (Join-Path $Usb 'wal') | Should -Be '0700'
        (@(Sync-CenateOffsite -Path $BaseDir -Destination $Usb -IncludePartial -WalPath $WalDir) | Where-Object Kind -eq 'Wal').Status |
            Should -Be 'AlreadyPresent'
    }

    It 'the offsite copy alone recovers the database: base set and WAL from the target' {
        # Complete the current segment so that the last writes are in a complete (copied) segment.
        Sql "INSERT INTO pitr_marker (note) VALUES ('before the offsite copy'); SELECT pg_switch_wal()" | Out-Null
        Wait-Archived
        Start-Sleep -Milliseconds 500
        Sync-CenateOffsite -Path $BaseDir -Destination $Usb -IncludePartial -WalPath $WalDir | Out-Null
        $t = ServerTime
        $copy = Restore-CenatePointInTime @P -Path $Usb -WalPath (Join-Path $Usb 'wal') -Time ([DateTimeOffset](Get-Content -Raw -LiteralPath $Set2.Path | ConvertFrom-Json).completedAt).AddSeconds(2).UtcDateTime -ErrorAction Stop
        try {
            $copy.State | Should -Be 'Paused'
            Sql "SELECT count(*) FROM pitr_marker WHERE note = 'after the second base backup'" -Port $copy.Port | Should -Be '1'
        }
        finally { $copy | Remove-CenatePointInTime -Confirm:$false | Out-Null }
    }

    It 'a segment at the target with another size is a conflict and is never overwritten' {
        $victim = (Get-Complete (Join-Path $Usb 'wal') | Where-Object { $_ -notmatch 'history' })[0]
        $path = Join-Path $Usb "wal/$victim"
        [IO.File]::WriteAllBytes($path, [byte[]](1..10))
        $r = @(Sync-CenateOffsite -Path $BaseDir -Destination $Usb -IncludePartial -WalPath $WalDir -ErrorVariable err -ErrorAction SilentlyContinue)
        ($r | Where-Object Kind -eq 'Wal').Status | Should -Be 'Failed'
        ($r | Where-Object Kind -eq 'Wal').ErrorId | Should -Be 'RemoteFileConflict'
        $err.FullyQualifiedErrorId | Should -Contain 'RemoteFileConflict,CenateBackup.PowerShell.Commands.SyncCenateOffsiteCommand'
        (Get-Item -LiteralPath $path).Length | Should -Be 10
    }
}
