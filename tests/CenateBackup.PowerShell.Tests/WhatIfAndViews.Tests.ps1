#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Contracts that hold for EVERY cmdlet, checked by looping over the module rather than one example each:
# -WhatIf on every state-changing cmdlet changes nothing on disk or on the server, and every output type has a view.
# A new cmdlet or output type without a case here fails the loop, so the next person cannot forget it.

BeforeDiscovery {
    # The cases are named here; the list is compared with the module's own at run time (first test).
    $script:WhatIfCases = @(
        'Export-CenateAseguradosCsv', 'New-CenateDump', 'Install-CenateAuditTrigger', 'New-CenateReadOnlyRole',
        'Protect-CenateTable', 'Remove-CenateAuditLog', 'Remove-CenateOldBackup', 'Restore-CenateDeletedRow',
        'Restore-CenateTable Replace', 'Restore-CenateTable MissingRows', 'Test-CenateBackup', 'Uninstall-CenateAuditTrigger',
        'Initialize-CenateOffsiteTarget', 'Sync-CenateOffsite', 'Send-CenateAlert', 'Confirm-CenateRowDrop',
        'New-CenateSettings', 'Register-CenateBackupSchedule', 'Unregister-CenateBackupSchedule',
        'Remove-CenateRestoreStaging', 'Start-CenateWalArchive', 'Stop-CenateWalArchive', 'New-CenateBaseBackup'
    ) | ForEach-Object { @{ Case = $_ } }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:Db = "t13_whatif_$suffix"
    $script:App = "t13_app_$suffix"
    $script:RoName = "t13_ro_$suffix"
    $script:DrillName = "t13_whatif_drill_$suffix"
    Copy-TestDatabase -Name $Db
    Invoke-Psql -Database postgres -Sql "CREATE ROLE $App LOGIN PASSWORD '$($Rig.Password)'" | Out-Null
    Invoke-Psql -Database $Db -Sql "GRANT USAGE ON SCHEMA public TO $App; GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON public.asegurados TO $App" | Out-Null
    $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db }
    function Q([string]$Sql) { Invoke-Psql -Database $Db -Sql $Sql }

    # Something for every cmdlet to do: a verified set, an audit log with deleted rows (some of them old), a retention
    # directory with expired sets and a stale partial file.
    $script:Dir = New-TestDirectory 'whatif'
    $script:Set = New-CenateDump @P -Path $Dir -Include Csv
    # A staging copy a restore left, for Remove-CenateRestoreStaging -WhatIf.
    $script:StagingLeft = (Restore-CenateTable -Backup $Set.Path @P -Mode Staging -Confirm:$false -WarningAction SilentlyContinue).StagingSchema
    $script:Verified = $Set | Test-CenateBackup
    $Verified.Passed | Should -BeTrue
    Install-CenateAuditTrigger @P -Operation Delete, Truncate -Confirm:$false | Out-Null
    Q "DELETE FROM public.asegurados WHERE id <= 30" | Out-Null
    Q "UPDATE cenate_audit.audit_log SET logged_at = now() - interval '200 days' WHERE id IN (SELECT id FROM cenate_audit.audit_log ORDER BY id LIMIT 10)" | Out-Null
    $script:RetDir = New-TestDirectory 'whatif-ret'
    New-Item -ItemType Directory -Path $RetDir | Out-Null
    # Three sets within one hour 45 days ago: at most two ISO weeks, so at least one is expired under any policy here.
    foreach ($daysAgo in 45.04, 45.02, 45, 1, 0.5, 0.1) {
        $time = [DateTimeOffset]::UtcNow.AddDays(-$daysAgo)
        $stamp = $time.UtcDateTime.ToString('yyyyMMdd_HHmmss')
        $name = "maestro_cenate_$stamp.dump"
        [IO.File]::WriteAllBytes((Join-Path $RetDir $name), [byte[]](1..200))
        $sha = ((& sha256sum (Join-Path $RetDir $name)) -split ' ')[0]
        [ordered]@{
            formatVersion = 1; tool = 'CenateBackup test'; database = 'maestro_cenate'; stamp = $stamp; kind = 'Full'
            startedAt = $time.ToString('o'); completedAt = $time.AddMinutes(1).ToString('o'); complete = $true
            source = [ordered]@{ mode = 'Container'; container = 'postgres_cenate'; port = 5432; user = 'cenate'; serverVersion = '15.18'; serverVersionNum = 150018; pgDumpVersion = '15.18' }
            # The newest set lost the row: a drop for Confirm-CenateRowDrop to acknowledge.
            rowCounts = [ordered]@{ 'public.asegurados' = $(if ($daysAgo -eq 0.1) { 0 } else { 1 }) }
            files = @([ordered]@{ name = $name; kind = 'Dump'; size = 200; sha256 = $sha; compression = 'gzip'; compressionLevel = 6; dataOnly = $false; tables = @(); completedAt = $time.AddMinutes(1).ToString('o') })
            verification = [ordered]@{ level = 'Read'; at = $time.AddMinutes(5).ToString('o'); passed = $true; problems = @() }
        } | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath (Join-Path $RetDir "maestro_cenate_$stamp.manifest.json")
        if ($daysAgo -eq 0.1) { $script:DropStamp = $stamp }
    }
    $stale = Join-Path $RetDir 'maestro_cenate_20200101_000000.dump.x1y2.partial'
    Set-Content -LiteralPath $stale -Value 'left by a killed run'
    (Get-Item -LiteralPath $stale).LastWriteTime = (Get-Date).AddDays(-3)
    $script:NewDir = New-TestDirectory 'whatif-new'
    # A WAL archive of the rig's server, for Stop-CenateWalArchive -WhatIf; its directory is outside the watched ones
    # (WAL keeps arriving). The replication role's password is the rig's, so every suite can log it in.
    $script:WalName = "cenate_whatif_wal_$suffix"
    $script:WalSlot = "whatif_wal_$suffix"
    $script:WalDir = New-TestDirectory 'whatif-wal'
    $script:Repl = Get-TestCredential -User cenate_replication
    $null = Start-CenateWalArchive @P -Path $WalDir -Name $WalName -Slot $WalSlot -ReplicationCredential $Repl -Confirm:$false

    # A base backup set for Restore-CenatePointInTime -WhatIf (made by hand: only its manifest and file are read by the
    # plan), in a directory of its own outside the watched ones.
    $script:PitrBase = New-TestDirectory 'whatif-pitr'
    $script:PitrName = "cenate_whatif_pitr_$suffix"
    New-Item -ItemType Directory -Path $PitrBase | Out-Null
    $bt = [DateTimeOffset]::UtcNow.AddHours(-2)
    $bstamp = $bt.UtcDateTime.ToString('yyyyMMdd_HHmmss')
    $bname = "$($Db)_$bstamp.base.tar.gz"
    [IO.File]::WriteAllBytes((Join-Path $PitrBase $bname), [byte[]](1..64))
    [ordered]@{
        formatVersion = 1; tool = 'CenateBackup test'; database = $Db; stamp = $bstamp; kind = 'Base'
        startedAt = $bt.ToString('o'); completedAt = $bt.AddMinutes(1).ToString('o'); complete = $true
        source = [ordered]@{ mode = 'Container'; container = $Rig.Container; port = $Rig.Port; user = 'cenate'; serverVersion = '15.18'; serverVersionNum = 150018; pgDumpVersion = '15.18' }
        files = @([ordered]@{ name = $bname; kind = 'Base'; size = 64; sha256 = ((& sha256sum (Join-Path $PitrBase $bname)) -split ' ')[0]; compression = 'gzip'; compressionLevel = 1; dataOnly = $false; tables = @(); completedAt = $bt.AddMinutes(1).ToString('o') })
        base = [ordered]@{ startLsn = '0/1000028'; endLsn = '0/1000100'; timeline = 1; startWalFile = '000000010000000000000001'; endWalFile = '000000010000000000000001'; walSegmentSize = 16777216; systemIdentifier = ''; pgVersion = '15'; startTime = $bt.ToString('o'); manifestFiles = 1 }
    } | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath (Join-Path $PitrBase "$($Db)_$bstamp.manifest.json")

    function Get-ServerState {
        # What any of the cmdlets could change on the server, as one text, in one psql call (pg_roles and pg_database
        # are shared catalogs, readable from the test's database).
        Q @"
SELECT count(*) || ':' || md5(string_agg(a::text, '|' ORDER BY id)) FROM public.asegurados a;
SELECT coalesce(string_agg(c.relname || '.' || t.tgname || '.' || t.tgenabled::text, ',' ORDER BY c.relname, t.tgname), '-') FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal;
SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace;
SELECT string_agg(relname || ':' || relkind::text, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace;
SELECT count(*) || ':' || coalesce(md5(string_agg(id::text || logged_at::text, ',' ORDER BY id)), '-') FROM cenate_audit.audit_log;
SELECT coalesce(relacl::text, '-') FROM pg_class WHERE oid = 'public.asegurados'::regclass;
SELECT count(*) FROM pg_roles WHERE rolname = '$RoName';
SELECT count(*) FROM pg_database WHERE datname = '$DrillName';
SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM pg_replication_slots;
SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolreplication;
SELECT setting FROM pg_settings WHERE name = 'max_slot_wal_keep_size';
"@ | Out-String
    }
    function Get-DiskStates {
        # Every file under the three directories with its size, mode, mtime and an independent hash (sha256sum), in one
        # bash call. The lock file .cenate.lock is not backup content (taking the lock may create it); a directory that
        # appears shows as present.
        (& bash -c 'for d in "$@"; do echo "== $d"; if [ -d "$d" ]; then (cd "$d" && find . -type f ! -name .cenate.lock -printf "%p %s %m %T@\n" | sort && find . -type f ! -name .cenate.lock -print0 | sort -z | xargs -0 -r sha256sum); else echo absent; fi; done' _ $Dir $RetDir $NewDir) -join "`n"
    }
    function Get-State { (Get-ServerState) + "`n---`n" + (Get-DiskStates) }

    $pw = ConvertTo-SecureString ('Ro-' + [guid]::NewGuid().ToString('N')) -AsPlainText -Force
    $script:Run = @{
        'Export-CenateAseguradosCsv'     = { Export-CenateAseguradosCsv @P -Path $NewDir -WhatIf }
        'New-CenateDump'                 = { New-CenateDump @P -Path $NewDir -Include Csv, Sql -WhatIf }
        # No directory, no file, no pg_basebackup run (the server's backup would show in pg_stat_progress_basebackup).
        'New-CenateBaseBackup'           = { New-CenateBaseBackup @P -Path (Join-Path $NewDir 'base') -WhatIf }
        'Install-CenateAuditTrigger'     = { Install-CenateAuditTrigger @P -Table ipress -Operation Delete, Truncate, Update -WhatIf }
        'New-CenateReadOnlyRole'         = { New-CenateReadOnlyRole @P -Name $RoName -Password $pw -View asegurados -WhatIf }
        'Protect-CenateTable'            = { Protect-CenateTable @P -Role $App -WhatIf }
        'Remove-CenateAuditLog'          = { Remove-CenateAuditLog @P -OlderThan '180d' -WhatIf }
        'Remove-CenateOldBackup'         = { Remove-CenateOldBackup -Path $RetDir -WhatIf }
        'Remove-CenateRestoreStaging'    = {
            Remove-CenateRestoreStaging @P -Name $StagingLeft -WhatIf
            if (-not $StagingLeft) { throw 'no staging schema to remove' }
        }
        'Confirm-CenateRowDrop'          = {
            $r = Confirm-CenateRowDrop -Path $RetDir -Stamp $DropStamp -Reason 'expected' -WhatIf
            if ($null -ne $r) { throw '-WhatIf returned an acknowledgement' }
        }
        'Restore-CenateDeletedRow'       = { Restore-CenateDeletedRow @P -Table asegurados -Since (Get-Date).AddDays(-1) -WhatIf }
        'Restore-CenateTable Replace'    = { Restore-CenateTable -Backup $Set.Path @P -Mode Replace -WhatIf }
        'Restore-CenateTable MissingRows' = { Restore-CenateTable -Backup $Set.Path @P -Mode MissingRows -WhatIf }
        'Test-CenateBackup'              = { Test-CenateBackup -Path $Set.Path -Level Restore -Container $Rig.Container -Port $Rig.Port -Credential $Cred -ScratchDatabase $DrillName -WhatIf }
        'Uninstall-CenateAuditTrigger'   = { Uninstall-CenateAuditTrigger @P -RemoveLog -WhatIf }
        # /dev/shm: a mounted tmpfs that is not the root file system (a target on the root one is refused before -WhatIf).
        'Initialize-CenateOffsiteTarget' = {
            $target = "/dev/shm/cenate-whatif-$([guid]::NewGuid().ToString('N'))/usb"
            Initialize-CenateOffsiteTarget -Destination $target -Label usb-a -WhatIf
            if (Test-Path -LiteralPath (Split-Path $target)) { throw "-WhatIf created $target" }
        }
        # A failed run: no state, spool or status file appears in $NewDir, and nothing is sent (a closed port).
        'Send-CenateAlert'               = {
            $r = $false | Send-CenateAlert -StatusPath (Join-Path $NewDir 'status.json') -StateDirectory $NewDir `
                -WebhookUri 'http://127.0.0.1:56973/hook' -WhatIf -ErrorAction SilentlyContinue
            $got = $r.Status -join ','
            if ($got -ne 'WouldSend,WouldSend') { throw "expected WouldSend twice, got $got" }
        }
        # The settings file and its directory are not created.
        'New-CenateSettings'             = { New-CenateSettings -Path (Join-Path $NewDir 'etc/cenate.psd1') -WhatIf }
        # The schedule: stand-in job scripts and settings outside the watched directories; the cron file would go
        # into $NewDir (Register), or is a registered one that must stay (Unregister).
        'Register-CenateBackupSchedule'  = {
            $r = Register-CenateBackupSchedule $SchedSettings -Mode Cron -CronFile (Join-Path $NewDir 'cenate-cron') `
                -JobDirectory $SchedRoot -WhatIf -WarningAction SilentlyContinue
            if (($r.Action | Sort-Object -Unique) -ne 'WouldWrite') { throw "expected WouldWrite, got $($r.Action)" }
        }
        'Unregister-CenateBackupSchedule' = {
            Unregister-CenateBackupSchedule -Mode Cron -CronFile $SchedCron -WhatIf
            if (-not (Test-Path -LiteralPath $SchedCron)) { throw '-WhatIf removed the cron file' }
        }
        # A second archive of the same server: no directory, role, slot, setting or container appears.
        'Start-CenateWalArchive'         = {
            Start-CenateWalArchive @P -Path (Join-Path $NewDir 'wal') -Name "$WalName-2" -Slot "$($WalSlot)_2" -ReplicationCredential $Repl `
                -MaxSlotWalKeepSize '12GB' -WhatIf
            & docker inspect "$WalName-2" *> $null
            if ($LASTEXITCODE -eq 0) { throw '-WhatIf created the archiver container' }
        }
        # No container is created (nor its data copied); the plan names the set, the WAL and the container.
        'Restore-CenatePointInTime'      = {
            Restore-CenatePointInTime @P -Path $PitrBase -WalPath $WalDir -Time ([DateTime]::UtcNow.AddMinutes(-5)) -Name $PitrName -WhatIf
            & docker inspect $PitrName *> $null
            if ($LASTEXITCODE -eq 0) { throw '-WhatIf created the copy' }
        }
        # A copy made by hand the way Restore-CenatePointInTime labels it (a container that only sleeps): it stays.
        'Remove-CenatePointInTime'       = {
            Remove-CenatePointInTime -Name $PitrCopy -WhatIf
            if ((& docker inspect -f '{{.State.Running}}' $PitrCopy) -ne 'true') { throw '-WhatIf removed the copy' }
        }
        # A standby of the rig's server: no role, slot, setting, volume or container appears.
        'New-CenateStandby'              = {
            New-CenateStandby -Container $Rig.Container -PrimaryPort $Rig.Port -Credential $Cred -Database $Db -StandbyName "$StandbyCopy-new" `
                -Port 55497 -ReplicationCredential $Repl -WhatIf
            & docker inspect "$StandbyCopy-new" *> $null
            if ($LASTEXITCODE -eq 0) { throw '-WhatIf created the standby container' }
            & docker volume inspect "$StandbyCopy-new_data" *> $null
            if ($LASTEXITCODE -eq 0) { throw '-WhatIf created the standby volume' }
        }
        'Remove-CenateStandby'           = {
            Remove-CenateStandby @P -StandbyName $StandbyCopy -WhatIf -WarningAction SilentlyContinue
            & docker inspect $StandbyCopy *> $null
            if ($LASTEXITCODE -ne 0) { throw '-WhatIf removed the standby container' }
        }
        'Stop-CenateWalArchive'          = {
            Stop-CenateWalArchive @P -Name $WalName -DropSlot -WhatIf -WarningAction SilentlyContinue
            if ((& docker inspect -f '{{.State.Running}}' $WalName) -ne 'true') { throw '-WhatIf stopped the archiver container' }
        }
        # A real target on /dev/shm (initialised in BeforeAll): the verified set would be copied, and nothing is.
        'Sync-CenateOffsite'             = {
            # As elsewhere here, the lock file is not backup content (taking the target's lock may create it).
            $before = (Get-ChildItem -LiteralPath $SyncTarget -Force | Where-Object Name -ne '.cenate.lock' | ForEach-Object Name) -join ','
            $r = Sync-CenateOffsite -Path $Dir -Destination $SyncTarget -WhatIf
            if ($r.Status -ne 'WouldCopy') { throw "expected WouldCopy, got $($r.Status): $($r.Reason)" }
            if (((Get-ChildItem -LiteralPath $SyncTarget -Force | Where-Object Name -ne '.cenate.lock' | ForEach-Object Name) -join ',') -ne $before) { throw '-WhatIf wrote to the target' }
        }
    }
    $script:SchedRoot = Join-Path '/tmp' "cenate-whatif-sched-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $SchedRoot | Out-Null
    foreach ($n in 'Daily', 'Weekly', 'Monthly', 'Monitor', 'Drill', 'AuditRetention') {
        Set-Content -LiteralPath (Join-Path $SchedRoot "$n.ps1") -Value 'param($Settings, [switch]$Preflight) exit 0'
    }
    $script:SchedSettings = Join-Path $SchedRoot 'cenate.psd1'
    Set-Content -LiteralPath $SchedSettings -Value "@{ Path = '$SchedRoot/backups'; LogPath = '$SchedRoot/logs' }"
    [IO.File]::SetUnixFileMode($SchedSettings, [IO.UnixFileMode]'UserRead, UserWrite')
    $script:SchedCron = Join-Path $SchedRoot 'cenate-cron'
    $null = Register-CenateBackupSchedule $SchedSettings -Mode Cron -CronFile $SchedCron -JobDirectory $SchedRoot `
        -SkipPreflight -WarningAction SilentlyContinue
    $script:PitrCopy = "cenate_whatif_copy_$suffix"
    & docker run -d --name $PitrCopy --network none --label org.cenate.role=pitr --label "org.cenate.primary=$($Rig.Container)" `
        --entrypoint sleep (& docker inspect -f '{{.Image}}' $Rig.Container) 3600 | Out-Null
    # A standby made by hand the way New-CenateStandby labels it (created, never started): it stays.
    $script:StandbyCopy = "cenate_whatif_standby_$suffix"
    & docker create --name $StandbyCopy --network none -v "${StandbyCopy}_data:/var/lib/cenate-standby" `
        --label org.cenate.role=standby --label "org.cenate.primary=$($Rig.Container)" `
        --label org.cenate.port=55498 --label "org.cenate.slot=whatif_standby_$suffix" --label "org.cenate.path=${StandbyCopy}_data" `
        --entrypoint sleep (& docker inspect -f '{{.Image}}' $Rig.Container) 3600 | Out-Null
    $script:SyncRoot = "/dev/shm/cenate-whatif-sync-$([guid]::NewGuid().ToString('N'))"
    $script:SyncTarget = (Initialize-CenateOffsiteTarget -Destination "$SyncRoot/usb" -Confirm:$false).Path
    # Without -WhatIf the same commands would change something: the state they must leave alone is not empty.
    Q "SELECT count(*) FROM cenate_audit.audit_log WHERE logged_at < now() - interval '180 days'" | Should -Be '10'
    Q "SELECT has_table_privilege('$App', 'public.asegurados', 'DELETE')" | Should -Be 't'
}
AfterAll {
    & docker rm -f $PitrCopy $StandbyCopy "$StandbyCopy-new" *> $null
    & docker volume rm "${StandbyCopy}_data" *> $null
    Remove-Item -LiteralPath $PitrBase -Recurse -Force -ErrorAction SilentlyContinue
    Stop-CenateWalArchive @P -Name $WalName -DropSlot -Confirm:$false -WarningAction SilentlyContinue | Out-Null
    Remove-Item -LiteralPath $WalDir -Recurse -Force -ErrorAction SilentlyContinue
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $DrillName WITH (FORCE)" | Out-Null
    foreach ($r in $RoName, $App) { Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS $r" | Out-Null }
    Remove-Item -LiteralPath $Dir, $RetDir, $NewDir, $SyncRoot, $SchedRoot -Recurse -Force -ErrorAction SilentlyContinue
}

Describe '-WhatIf on every state-changing cmdlet' {
    It 'has a case for every cmdlet of the module that supports ShouldProcess, and no case for one that does not' {
        $changing = Get-Command -Module CenateBackup | Where-Object {
            $_.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].SupportsShouldProcess
        } | ForEach-Object Name | Sort-Object
        $changing.Count | Should -BeGreaterOrEqual 11
        ($Run.Keys | ForEach-Object { ($_ -split ' ')[0] } | Sort-Object -Unique) | Should -Be $changing
        foreach ($name in $changing) { (Get-Command $name).Parameters.ContainsKey('WhatIf') | Should -BeTrue -Because $name }
    }

    It '<Case> -WhatIf changes nothing on disk or on the server' -ForEach $WhatIfCases {
        $before = Get-State
        $null = & $Run[$Case] 6>$null
        Get-State | Should -Be $before
        Test-Path -LiteralPath $NewDir | Should -BeFalse -Because '-WhatIf creates no directory'
    }

    It 'the same commands without -WhatIf do change the state (the cases are not no-ops)' {
        # A spot check that the snapshot sees real changes: the audit log removal and the retention run.
        $before = Get-State
        (Remove-CenateAuditLog @P -OlderThan '180d' -Confirm:$false).Removed | Should -Be 10
        @(Remove-CenateOldBackup -Path $RetDir -Confirm:$false | Where-Object Action -eq 'Removed').Count | Should -BeGreaterOrEqual 1
        Get-State | Should -Not -Be $before
        Test-Path -LiteralPath (Join-Path $RetDir 'maestro_cenate_20200101_000000.dump.x1y2.partial') | Should -BeFalse
    }
}

Describe 'A format view for every output type' {
    It 'every [OutputType] of every cmdlet is a module type with a table view whose columns exist on it' {
        $types = Get-Command -Module CenateBackup | ForEach-Object OutputType | ForEach-Object Type | Where-Object { $_ } | Sort-Object FullName -Unique
        $types.Count | Should -BeGreaterOrEqual 10
        $problems = foreach ($t in $types) {
            if ($t -eq [bool]) { continue }   # Test-CenateBackup -Quiet
            if ($t -eq [object]) { continue }   # Invoke-CenateJobStep passes its script block's output through
            if ($t.Namespace -ne 'CenateBackup.PowerShell.Output') { "$($t.FullName): not a module output type"; continue }
            $views = @((Get-FormatData -TypeName $t.FullName).FormatViewDefinition | Where-Object { $_ })
            if ($views.Count -eq 0) { "$($t.FullName): no view"; continue }
            $table = $views | Where-Object { $_.Control -is [System.Management.Automation.TableControl] } | Select-Object -First 1
            if (-not $table) { "$($t.FullName): no table view"; continue }
            foreach ($col in $table.Control.Rows[0].Columns) {
                $e = $col.DisplayEntry
                if ($e.ValueType -eq 'Property' -and -not $t.GetProperty($e.Value)) { "$($t.FullName): column $($e.Value) is no property" }
            }
        }
        $problems | Should -BeNullOrEmpty
    }

    It 'every public type of the output namespace has a view too (row types inside results included)' {
        $exported = [CenateBackup.PowerShell.Output.CenateBackupSet].Assembly.GetExportedTypes() | Where-Object Namespace -eq 'CenateBackup.PowerShell.Output'
        $exported.Count | Should -BeGreaterOrEqual 10
        # @($null).Count is 1: a type without a view must not count as having one.
        $exported | Where-Object { @((Get-FormatData -TypeName $_.FullName).FormatViewDefinition | Where-Object { $_ }).Count -eq 0 } | ForEach-Object FullName | Should -BeNullOrEmpty
    }

    It 'renders a real set and a real verification result through its view' {
        $text = $Set | Out-String -Width 200
        $text | Should -Match 'Stamp'
        $text | Should -Match ([regex]::Escape($Set.Stamp))
        ($Verified | Out-String -Width 200) | Should -Match 'Passed|True'
        (Get-CenateBackup -Path $Dir | Out-String -Width 200) | Should -Match ([regex]::Escape($Set.Stamp))
    }
}
