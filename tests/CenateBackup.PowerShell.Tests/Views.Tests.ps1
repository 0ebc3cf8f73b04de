#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Every view of the module's format files, rendered from REAL objects (real cmdlets against the rig) at 80 and 120
# columns: the header is never wrapped (every label whole, on one line, above its own dashes, at the place the view's
# widths give it), no line is wider than the terminal, and the column a person needs next is whole (its text, read
# down the column, is the object's value: not cut with '…', not dropped). Default views must fit 80 columns; the
# second, named views (wider detail) 120. A view without a case here fails the first test.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:Db = "t17_views_$suffix"
    $script:App = "t17_vapp_$suffix"
    $script:RoName = "t17_vro_$suffix"
    $script:DrillName = "t17_views_drill_$suffix"
    Copy-TestDatabase -Name $Db
    Invoke-Psql -Database postgres -Sql "CREATE ROLE $App LOGIN PASSWORD '$($Rig.Password)'" | Out-Null
    Invoke-Psql -Database $Db -Sql "GRANT USAGE ON SCHEMA public TO $App; GRANT SELECT, DELETE ON public.asegurados TO $App" |
        Out-Null
    $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db }
    $script:Root = New-TestDirectory 'views'
    New-Item -ItemType Directory -Path $Root | Out-Null
    $dir = Join-Path $Root 'sets'

    # Sets, files (with a left-behind partial file), a passed and a failed verification, a drill, a restore.
    $set = New-CenateDump @P -Path $dir -Include Csv
    $verified = $set | Test-CenateBackup
    $partial = Join-Path $dir "$($Db)_20200101_000000.dump.a1b2.partial"
    Set-Content -LiteralPath $partial -Value 'left by a killed run'
    $files = @(Get-CenateBackup -Path $dir -IncludeOrphans | ForEach-Object { if ($_.Files) { $_.Files } else { $_ } })
    $badDir = Join-Path $Root 'bad'
    New-Item -ItemType Directory -Path $badDir | Out-Null
    Get-ChildItem -LiteralPath $dir -File | Where-Object Name -notlike '*.partial' | Copy-Item -Destination $badDir
    $csv = Get-ChildItem -LiteralPath $badDir -Filter '*.csv.gz' | Select-Object -First 1
    [IO.File]::AppendAllText($csv.FullName, 'x')
    $failed = Test-CenateBackup -Path $badDir -Level Checksum -ErrorAction SilentlyContinue
    $drill = Test-CenateBackup -Path $set.Path -Level Restore -Container $Rig.Container -Port $Rig.Port -Credential $Cred `
        -ScratchDatabase $DrillName
    $restore = Restore-CenateTable -Backup $set.Path @P -Mode Staging -Confirm:$false
    $staging = @(Get-CenateRestoreStaging @P)

    # Audit: install, delete, read the log, undelete, remove old entries; privileges.
    $install = Install-CenateAuditTrigger @P -Operation Delete, Truncate -Confirm:$false
    Invoke-Psql -Database $Db -Sql 'DELETE FROM public.asegurados WHERE id <= 3' | Out-Null
    $entries = Get-CenateAuditLog @P
    $set2 = New-CenateDump @P -Path $dir -Include Csv
    $null = $set2 | Test-CenateBackup
    $comparison = @(Compare-CenateBackup -Reference $set -Difference $set2 -From Csv -IncludeRows)
    $undelete = Restore-CenateDeletedRow @P -Table asegurados -Since (Get-Date).AddDays(-1) -Confirm:$false
    $removal = Remove-CenateAuditLog @P -OlderThan '180d' -Confirm:$false
    $protect = Protect-CenateTable @P -Role $App -Confirm:$false -WarningAction SilentlyContinue
    $pw = ConvertTo-SecureString ('Ro-' + [guid]::NewGuid().ToString('N')) -AsPlainText -Force
    $ro = New-CenateReadOnlyRole @P -Name $RoName -Password $pw -View asegurados -Confirm:$false

    # Retention, row drift and a row-drop acknowledgement on hand-made sets (the newest lost its row).
    $retDir = Join-Path $Root 'ret'
    New-Item -ItemType Directory -Path $retDir | Out-Null
    foreach ($daysAgo in 45.04, 45.02, 45, 1, 0.5, 0.1) {
        $time = [DateTimeOffset]::UtcNow.AddDays(-$daysAgo)
        $stamp = $time.UtcDateTime.ToString('yyyyMMdd_HHmmss')
        $name = "maestro_cenate_$stamp.dump"
        [IO.File]::WriteAllBytes((Join-Path $retDir $name), [byte[]](1..200))
        $sha = Get-Sha (Join-Path $retDir $name)
        [ordered]@{
            formatVersion = 1; tool = 'CenateBackup test'; database = 'maestro_cenate'; stamp = $stamp; kind = 'Full'
            startedAt = $time.ToString('o'); completedAt = $time.AddMinutes(1).ToString('o'); complete = $true
            source = [ordered]@{ mode = 'Container'; container = 'postgres_cenate'; port = 5432; user = 'cenate'
                serverVersion = '15.18'; serverVersionNum = 150018; pgDumpVersion = '15.18' }
            rowCounts = [ordered]@{ 'public.asegurados' = $(if ($daysAgo -eq 0.1) { 0 } else { 1 }) }
            files = @([ordered]@{ name = $name; kind = 'Dump'; size = 200; sha256 = $sha.ToLowerInvariant()
                compression = 'gzip'; compressionLevel = 6; dataOnly = $false; tables = @()
                completedAt = $time.AddMinutes(1).ToString('o') })
            verification = [ordered]@{ level = 'Read'; at = $time.AddMinutes(5).ToString('o'); passed = $true; problems = @() }
        } | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath (Join-Path $retDir "maestro_cenate_$stamp.manifest.json")
        if ($daysAgo -eq 0.1) { $dropStamp = $stamp }
    }
    $retention = @(Remove-CenateOldBackup -Path $retDir -WhatIf 6>$null)
    $drift = (Test-CenateBackup -Path $retDir -Database maestro_cenate -MaxRowDrop 2% -Level Checksum -WhatIf `
            -ErrorAction SilentlyContinue).RowDrift
    $ack = Confirm-CenateRowDrop -Path $retDir -Stamp $dropStamp -Reason 'expected: the test removed the row' -Confirm:$false

    # A WAL archive of the rig's server (the replication role's password is the rig's, as in every suite).
    $script:WalName = "cenate_vw_wal_$suffix"
    $script:WalDir = Join-Path $Root 'wal'
    $walStarted = Start-CenateWalArchive @P -Path $WalDir -Name $WalName -Slot "views_wal_$suffix" `
        -ReplicationCredential (Get-TestCredential -User cenate_replication) -Confirm:$false
    $walArchives = @($walStarted, (Get-CenateWalArchive @P -Name $WalName -MaxRetainedWal 0))

    # Point-in-time copies as Get-CenatePointInTime lists them: containers labelled the way Restore-CenatePointInTime
    # labels its copies (they only sleep here; a real copy is made in PointInTime.Tests.ps1).
    $script:PitrCopies = foreach ($n in 1, 2) {
        $name = "cenate_vw_pitr_${suffix}_$n"
        & docker run -d --name $name --network none --label org.cenate.role=pitr --label "org.cenate.primary=$($Rig.Container)" `
            --label "org.cenate.port=5543$n" --label "org.cenate.database=$Db" --label "org.cenate.pitr.time=2026-11-29T10:41:5$($n)Z" `
            --entrypoint sleep (& docker inspect -f '{{.Image}}' $Rig.Container) 3600 | Out-Null
        $name
    }
    $pitr = @($PitrCopies | ForEach-Object { Get-CenatePointInTime -Name $_ })

    # A standby as Get-CenateReplicationStatus lists it: a container labelled the way New-CenateStandby labels its
    # standbys, created and never started (Stopped, no slot; a real standby streams in Standby.Tests.ps1).
    $script:StandbyView = "cenate_vw_standby_$suffix"
    & docker create --name $StandbyView --network none --label org.cenate.role=standby --label "org.cenate.primary=$($Rig.Container)" `
        --label org.cenate.port=55499 --label "org.cenate.slot=views_standby_$suffix" --label "org.cenate.path=${StandbyView}_data" `
        --entrypoint sleep (& docker inspect -f '{{.Image}}' $Rig.Container) 3600 | Out-Null
    $standbys = @(Get-CenateReplicationStatus @P -StandbyName $StandbyView)

    # Offsite, alerts.
    $script:SyncRoot = "/dev/shm/cenate-views-$suffix"
    $target = Initialize-CenateOffsiteTarget -Destination "$SyncRoot/usb" -Label usb-views -Confirm:$false
    $sync = @(Sync-CenateOffsite -Path $dir -Destination $target.Path -Confirm:$false)
    $alerts = @(@($failed, $verified) | Send-CenateAlert -StatusPath (Join-Path $Root 'status.json') `
            -StateDirectory (Join-Path $Root 'alert-state') -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)

    # Settings, a job with a failed step, a schedule.
    $sched = Join-Path $Root 'sched'
    New-Item -ItemType Directory -Path $sched | Out-Null
    foreach ($n in 'Daily', 'Weekly', 'Monthly', 'Monitor', 'Drill', 'AuditRetention') {
        Set-Content -LiteralPath (Join-Path $sched "$n.ps1") -Value 'param($Settings, [switch]$Preflight) exit 0'
    }
    $settingsFile = Join-Path $sched 'cenate.psd1'
    Set-Content -LiteralPath $settingsFile -Value "@{ Path = '$sched/backups'; LogPath = '$sched/logs'; StatePath = '$sched/state' }"
    [IO.File]::SetUnixFileMode($settingsFile, [IO.UnixFileMode]'UserRead, UserWrite')
    $settings = Get-CenateSettings -Path $settingsFile
    $job = Start-CenateJob -Name views -Settings $settingsFile
    Invoke-CenateJobStep $job dump { 1 } | Out-Null
    Invoke-CenateJobStep $job verify { throw [CenateBackup.PowerShell.Output.CenateBackupSet].Name } -ErrorAction SilentlyContinue |
        Out-Null
    $jobView = $job
    $jobResult = Complete-CenateJob $job -NoAlert
    $cron = Join-Path $sched 'cenate-cron'
    $entries2 = @(Register-CenateBackupSchedule $settingsFile -Mode Cron -CronFile $cron -JobDirectory $sched -SkipPreflight `
            -Confirm:$false -WarningAction SilentlyContinue)
    $schedInfo = @(Get-CenateBackupSchedule -Mode Cron -CronFile $cron)

    function Leaf([string]$p) { Split-Path -Leaf $p }
    # View name -> the objects it shows, the label of the column a person needs next and that column's text per object.
    $script:Cases = @{
        # Verified (Read), unverified (the set Test-CenateBackup saw before) and FAILED (the damaged copy).
        CenateBackupSet                = @{ Objects = @((Get-CenateBackup -Path $dir) + $set + (Get-CenateBackup -Path $badDir))
            Key = 'Status'; Value = { if ($null -eq $_.VerifiedLevel) { 'unverified' } elseif ($_.VerificationPassed) { $_.VerifiedLevel } else { 'FAILED' } } }
        CenateBackupFile               = @{ Objects = $files; Key = 'Name'; Value = { $_.Name } }
        CenateBackupFileSha256         = @{ Objects = $files; Key = 'Sha256'; Value = { $_.Sha256 } }
        CenateVerificationResult       = @{ Objects = @($failed, $verified); Key = 'Problems'
            Value = { ($_.Problems | ForEach-Object ToString) -join "`n" } }
        CenateVerificationResultDetail = @{ Objects = @($failed, $verified); Key = 'Problems'
            Value = { ($_.Problems | ForEach-Object ToString) -join "`n" } }
        CenateBackupProblem            = @{ Objects = @($failed.Problems); Key = 'Message'; Value = { $_.Message } }
        CenateDrillTable               = @{ Objects = $drill.Tables; Key = 'Matches'; Value = { "$($_.Matches)" } }
        CenateRestoreResult            = @{ Objects = @($restore); Key = 'Where'; Value = { $_.StagingSchema } }
        CenateRestoreResultTable       = @{ Objects = @($restore); Key = 'Where'; Value = { $_.StagingSchema } }
        CenateRestoreStaging           = @{ Objects = $staging; Key = 'Name'; Value = { $_.Name } }
        CenateWalArchive               = @{ Objects = $walArchives; Key = 'Name'; Value = { $_.Name } }
        CenatePointInTimeCopy          = @{ Objects = $pitr; Key = 'Name'; Value = { $_.Name } }
        CenateReplicationStatus        = @{ Objects = $standbys; Key = 'Name'; Value = { $_.Name } }
        CenateRetentionDecision        = @{ Objects = $retention; Key = 'Reason'; Value = { $_.Reason } }
        CenateRetentionDecisionDetail  = @{ Objects = $retention; Key = 'Reason'; Value = { $_.Reason } }
        CenateOffsiteResult            = @{ Objects = $sync; Key = 'Reason'; Value = { $_.Reason } }
        CenateOffsiteResultDetail      = @{ Objects = $sync; Key = 'Reason'; Value = { $_.Reason } }
        CenateOffsiteTarget            = @{ Objects = @($target); Key = 'Path'; Value = { $_.Path } }
        CenateRowDropAcknowledgement   = @{ Objects = @($ack); Key = 'Reason'; Value = { $_.Reason } }
        CenateRowDropAcknowledgementTable = @{ Objects = @($ack); Key = 'Reason'; Value = { $_.Reason } }
        CenateRowDrift                 = @{ Objects = $drift; Key = 'Verdict'
            Value = { if ($_.Exceeded) { "DROPPED (> $($_.Threshold))" } else { "ok ($($_.Threshold))" } } }
        CenateBackupComparison         = @{ Objects = @($comparison | Where-Object { $_ -is [CenateBackup.PowerShell.Output.CenateBackupComparison] })
            Key = 'Missing'; Value = { "$($_.Missing)" } }
        CenateRowDifference            = @{ Objects = @($comparison | Where-Object { $_ -is [CenateBackup.PowerShell.Output.CenateRowDifference] })
            Key = 'Change'; Value = { $_.Change } }
        CenateAuditInstallResult       = @{ Objects = @($install); Key = 'Triggers'; Value = { $_.Triggers -join "`n" } }
        CenateAuditEntry               = @{ Objects = $entries; Key = 'Operation'; Value = { $_.Operation } }
        CenateUndeleteResult           = @{ Objects = @($undelete); Key = 'Skipped'; Value = { "$($_.Skipped)" } }
        CenateAuditRemoval             = @{ Objects = @($removal); Key = 'Removed'; Value = { "$($_.Removed)" } }
        CenateProtectResult            = @{ Objects = @($protect); Key = 'After'
            Value = { ($_.After | ForEach-Object ToString) -join "`n" } }
        CenateTableGrant               = @{ Objects = @($protect.After); Key = 'Privileges'; Value = { $_.Privileges } }
        CenateReadOnlyRoleResult       = @{ Objects = @($ro); Key = 'Views'; Value = { $_.Views -join ', ' } }
        CenateAlertResult              = @{ Objects = $alerts; Key = 'Reply / Reason'
            Value = { if ($_.Status -in 'Sent', 'Pinged', 'Written' -and $_.Reply) { $_.Reply } else { $_.Reason } } }
        CenateJobStep                  = @{ Objects = $jobResult.Steps; Key = 'ErrorId'; Value = { $_.ErrorId } }
        CenateJobResult                = @{ Objects = @($jobResult); Key = 'Result'; Value = { $_.Result } }
        CenateJob                      = @{ Objects = @($jobView); Key = 'Name'; Value = { $_.Name } }
        CenateSettings                 = @{ Objects = @($settings); Key = 'BackupPath'; Value = { $_.BackupPath } }
        CenateSettingsTable            = @{ Objects = @($settings); Key = 'BackupPath'; Value = { $_.BackupPath } }
        CenateScheduleEntry            = @{ Objects = $entries2; Key = 'Schedule'; Value = { $_.Schedule } }
        CenateScheduleInfo             = @{ Objects = $schedInfo; Key = 'Schedule'; Value = { $_.Schedule } }
    }
    foreach ($name in @($Cases.Keys)) {
        if (@($Cases[$name].Objects).Count -eq 0) { throw "the case $name made no object: the rig run went wrong" }
    }

    # The views as the module loads them: file order of FormatsToProcess; the first view of a type is its default.
    $moduleDir = Split-Path (Get-ModuleManifestPath)
    $script:Views = foreach ($f in (Import-PowerShellDataFile (Get-ModuleManifestPath)).FormatsToProcess) {
        foreach ($v in ([xml](Get-Content -Raw -LiteralPath (Join-Path $moduleDir $f))).Configuration.ViewDefinitions.View) {
            [pscustomobject]@{ Name = $v.Name; Type = $v.ViewSelectedBy.TypeName; List = $null -ne $v.ListControl }
        }
    }
    $seen = @{}
    foreach ($v in $Views) {
        $v | Add-Member Default (-not $seen.ContainsKey($v.Type))
        $seen[$v.Type] = $true
    }

    function Get-Definition([string]$Type, [string]$Name) {
        (Get-FormatData -TypeName $Type).FormatViewDefinition | Where-Object Name -eq $Name
    }
    function Get-Whitespaceless([string]$Text) { $Text -replace '\s', '' }

    function Test-TableText([string]$Text, $Definition, [int]$Width, [string]$Key, [string[]]$Expected) {
        # Problems of a rendered table: header and dashes at the places the widths give, lines within the width, and
        # the key column, read down its cells, equal to the expected values.
        $lines = @($Text -split "`r?`n" | ForEach-Object TrimEnd)
        $first = [array]::FindIndex([string[]]$lines, [Predicate[string]] { param($l) $l -ne '' })
        $header = $lines[$first]; $dashes = $lines[$first + 1]
        $data = @($lines[($first + 2)..($lines.Count - 1)] | Where-Object { $_ -ne '' })
        $problems = [Collections.Generic.List[string]]::new()
        foreach ($l in $lines) { if ($l.Length -gt $Width) { $problems.Add("line wider than ${Width}: '$l'") } }
        $pos = 0; $keyStart = -1; $keyEnd = -1
        $headers = $Definition.Control.Headers
        for ($i = 0; $i -lt $headers.Count; $i++) {
            $h = $headers[$i]; $label = $h.Label
            $w = if ($h.Width -gt 0) { $h.Width } else { [Math]::Max($header.Length, $dashes.Length) - $pos }
            $at = if ("$($h.Alignment)" -eq 'Right') { $pos + $w - $label.Length } else { $pos }
            $got = if ($header.Length -ge $at + $label.Length) { $header.Substring($at, $label.Length) } else { '' }
            if ($got -ne $label) { $problems.Add("label '$label' not whole at column $at of '$header'") }
            $dash = if ($dashes.Length -ge $at + $label.Length) { $dashes.Substring($at, $label.Length) } else { '' }
            if ($dash -ne ('-' * $label.Length)) { $problems.Add("dashes of '$label' not under it: '$dashes'") }
            if ($label -eq $Key) { $keyStart = $pos; $keyEnd = if ($h.Width -gt 0) { $pos + $w } else { [int]::MaxValue } }
            $pos += $w + 1
        }
        if ($header -notmatch '\S' -or $dashes -notmatch '^[- ]+$') { $problems.Add("no one-line header: '$header' / '$dashes'") }
        if ($keyStart -lt 0) { $problems.Add("no column '$Key'") }
        else {
            # Wide enough to hold its values (a line of each, at most 36 characters) without wrapping them.
            $room = [Math]::Min($keyEnd, $Width) - $keyStart
            $need = [Math]::Min(36, ($Expected -split "`n" | ForEach-Object Length | Measure-Object -Maximum).Maximum)
            if ($room -lt $need) { $problems.Add("column '$Key' is $room wide, its values need $need") }
            $cells = foreach ($l in $data) {
                if ($l.Length -gt $keyStart) { $l.Substring($keyStart, [Math]::Min($l.Length, $keyEnd) - $keyStart) }
            }
            $column = Get-Whitespaceless ($cells -join '')
            if ($column -ne (Get-Whitespaceless ($Expected -join ''))) {
                $problems.Add("column '$Key' reads '$column', expected '$($Expected -join ' | ')'")
            }
        }
        , $problems
    }

    function Test-ListText([string]$Text, $Definition, [int]$Width, [string]$Key, [string[]]$Expected) {
        $lines = @($Text -split "`r?`n" | ForEach-Object TrimEnd)
        $problems = [Collections.Generic.List[string]]::new()
        foreach ($l in $lines) { if ($l.Length -gt $Width) { $problems.Add("line wider than ${Width}: '$l'") } }
        $labels = @($Definition.Control.Entries[0].Items | ForEach-Object Label)
        foreach ($label in $labels) {
            if (-not ($lines | Where-Object { $_ -match "^$([regex]::Escape($label)) +: ?" })) { $problems.Add("no line for '$label'") }
        }
        # The key value: its line and the indented lines that continue it, one entry per object.
        $values = [Collections.Generic.List[string]]::new(); $current = $null
        foreach ($l in $lines) {
            if ($l -match "^$([regex]::Escape($Key)) +: ?(.*)$") { if ($null -ne $current) { $values.Add($current) }; $current = $Matches[1] }
            elseif ($null -ne $current -and $l -match '^ +\S' -and $l -notmatch '^\S') { $current += $l }
            elseif ($null -ne $current) { $values.Add($current); $current = $null }
        }
        if ($null -ne $current) { $values.Add($current) }
        if ((Get-Whitespaceless ($values -join '')) -ne (Get-Whitespaceless ($Expected -join ''))) {
            $problems.Add("'$Key' reads '$($values -join ' | ')', expected '$($Expected -join ' | ')'")
        }
        , $problems
    }

    function Test-View([string]$Name, [int]$Width) {
        $view = $Views | Where-Object Name -eq $Name
        $case = $Cases[$Name]
        $definition = Get-Definition $view.Type $Name
        $objects = @($case.Objects)
        $expected = @($objects | ForEach-Object $case.Value | ForEach-Object { "$_" })
        $text = if ($view.Default) { $objects | Out-String -Width $Width }
        elseif ($view.List) { $objects | Format-List -View $Name | Out-String -Width $Width }
        else { $objects | Format-Table -View $Name | Out-String -Width $Width }
        $problems = if ($view.List) { Test-ListText $text $definition $Width $case.Key $expected }
        else { Test-TableText $text $definition $Width $case.Key $expected }
        if ($problems.Count) { $problems.Add("rendered:`n$text") }
        # CENATE_VIEWS_DUMP=<file>: every rendering, for a person to look at.
        if ($env:CENATE_VIEWS_DUMP) { Add-Content -LiteralPath $env:CENATE_VIEWS_DUMP -Value "== $Name @$Width`n$text" }
        $problems
    }
}
AfterAll {
    foreach ($c in $PitrCopies) { & docker rm -f $c *> $null }
    & docker rm -f $StandbyView *> $null
    Stop-CenateWalArchive @P -Name $WalName -DropSlot -Confirm:$false -WarningAction SilentlyContinue | Out-Null
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $DrillName WITH (FORCE)" | Out-Null
    foreach ($r in $RoName, $App) { Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS $r" | Out-Null }
    Remove-Item -LiteralPath $Root, $SyncRoot -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Every view fits the terminal and keeps its key column whole' {
    It 'has a rendering case for every view of the format files, and no case for a view that does not exist' {
        $Views.Count | Should -BeGreaterOrEqual 30
        @($Views.Name | Sort-Object) | Should -Be @($Cases.Keys | Sort-Object)
        # Every view the files name is loaded (a typo in a type name would leave it unused).
        foreach ($v in $Views) { Get-Definition $v.Type $v.Name | Should -Not -BeNullOrEmpty -Because $v.Name }
    }

    It 'every public output type has a view of its own (rows inside results included)' {
        $exported = [CenateBackup.PowerShell.Output.CenateBackupSet].Assembly.GetExportedTypes() |
            Where-Object Namespace -eq 'CenateBackup.PowerShell.Output'
        $exported.Count | Should -BeGreaterOrEqual 20
        $exported | Where-Object { $_.FullName -notin $Views.Type } | ForEach-Object FullName | Should -BeNullOrEmpty
    }

    It 'default views fit 80 columns: header whole, key column whole' {
        $problems = foreach ($v in $Views | Where-Object Default) { Test-View $v.Name 80 | ForEach-Object { "$($v.Name) @80: $_" } }
        $problems | Should -BeNullOrEmpty
    }

    It 'every view, default or named, fits 120 columns the same way' {
        $problems = foreach ($v in $Views) { Test-View $v.Name 120 | ForEach-Object { "$($v.Name) @120: $_" } }
        $problems | Should -BeNullOrEmpty
    }

    It 'the key values are the real ones: a failed verification, a drill that matched, a staging schema' {
        # The cases are not empty text: the rig produced what each view must show.
        @($Cases.CenateVerificationResult.Objects)[0].Passed | Should -BeFalse
        @($Cases.CenateVerificationResult.Objects)[0].Problems.Count | Should -BeGreaterThan 0
        @($Cases.CenateDrillTable.Objects).Matches | Should -Contain $true
        $Cases.CenateRestoreResult.Objects[0].StagingSchema | Should -Match '^cenate_restore_\d{8}_\d{6}'
        @($Cases.CenateRetentionDecision.Objects).Action | Should -Contain 'WouldRemove'
        @($Cases.CenateBackupFile.Objects).Kind | Should -Contain 'Partial'
        $text = $Cases.CenateVerificationResult.Objects | Out-String -Width 80
        $text | Should -Match 'False'
        $text | Should -Match ([regex]::Escape(@($Cases.CenateVerificationResult.Objects)[0].Problems[0].Kind))
        @($Cases.CenateBackupSet.Objects | Where-Object { $_.VerificationPassed -eq $false }).Count | Should -Be 1
    }

    It 'a set stamped a second ahead of the clock (the next free second) shows Age 0, never negative' {
        $dir = Join-Path $Root 'ahead'
        New-Item -ItemType Directory -Path $dir | Out-Null
        $time = [DateTimeOffset]::UtcNow.AddSeconds(30)
        $stamp = $time.UtcDateTime.ToString('yyyyMMdd_HHmmss')
        $name = "maestro_cenate_$stamp.dump"
        [IO.File]::WriteAllBytes((Join-Path $dir $name), [byte[]](1..200))
        [ordered]@{
            formatVersion = 1; tool = 'CenateBackup test'; database = 'maestro_cenate'; stamp = $stamp; kind = 'Full'
            startedAt = $time.ToString('o'); completedAt = $time.ToString('o'); complete = $true
            source = [ordered]@{ mode = 'Container'; container = 'postgres_cenate'; port = 5432; user = 'cenate'
                serverVersion = '15.18'; serverVersionNum = 150018; pgDumpVersion = '15.18' }
            rowCounts = [ordered]@{ 'public.asegurados' = 1 }
            files = @([ordered]@{ name = $name; kind = 'Dump'; size = 200; sha256 = (Get-Sha (Join-Path $dir $name)).ToLowerInvariant()
                compression = 'gzip'; compressionLevel = 6; dataOnly = $false; tables = @(); completedAt = $time.ToString('o') })
        } | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath (Join-Path $dir "maestro_cenate_$stamp.manifest.json")
        $r = Test-CenateBackup -Path $dir -Level Checksum -WhatIf
        $r.Age | Should -Be ([TimeSpan]::Zero)
        ($r | Out-String -Width 80) | Should -Not -Match '-\d'
    }
}
