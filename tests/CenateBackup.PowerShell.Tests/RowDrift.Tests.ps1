#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 21 §1, quick end-to-end cases: the drift check on two real sets of a copy of the rig's database, the alert it
# makes, Confirm-CenateRowDrop, and retention's BeforeRowDrop rule on fake sets with recorded row counts.
# Databases are named drift_*; the broader cases (3% on the rig, smtp4dev, retention past the window) live elsewhere.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Ns = 'CenateBackup.PowerShell.Commands'

    function Set-RowCount([string]$Manifest, [hashtable]$Counts) {
        # A fake set's recorded counts (a manifest is data; its files' checksums do not cover it).
        $m = Get-Content -Raw -LiteralPath $Manifest | ConvertFrom-Json -AsHashtable
        $m.rowCounts = $Counts
        $m | ConvertTo-Json -Depth 8 | Set-Content -LiteralPath $Manifest
    }
}

Describe 'Drift check on real sets' {
    BeforeAll {
        $script:Db = 'drift_real_' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        Copy-TestDatabase -Name $Db
        $script:Dir = New-TestDirectory 'drift'
        $common = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db; Path = $Dir }
        $script:First = New-CenateDump @common
        $script:Before = [long](Invoke-Psql -Database $Db -Sql 'SELECT count(*) FROM public.asegurados')
        # Delete 3% (every 33rd row by id, so the figure is exact).
        Invoke-Psql -Database $Db -Sql 'DELETE FROM public.asegurados WHERE id % 33 = 0' | Out-Null
        $script:After = [long](Invoke-Psql -Database $Db -Sql 'SELECT count(*) FROM public.asegurados')
        Start-Sleep -Milliseconds 1100   # a new stamp
        $script:Second = New-CenateDump @common
        $script:StateDir = Join-Path ([IO.Path]::GetTempPath()) ('drift-state-' +
            [guid]::NewGuid().ToString('N').Substring(0, 6))
        $script:LiveArgs = @{ Live = $true; Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred }
        New-Item -ItemType Directory -Path $StateDir | Out-Null
        & chmod 700 $StateDir
    }
    AfterAll {
        Remove-TestDatabase $Db
        Remove-Item -LiteralPath $Dir, $StateDir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'fails the newest set with RowCountDropped naming table, counts, difference, percent and stamps' {
        $drop = $Before - $After
        ($drop / $Before) | Should -BeGreaterThan 0.02
        $r = Test-CenateBackup -Path $Dir -Database $Db -MaxRowDrop 2% -Level Checksum
        $r.Stamp | Should -Be $Second.Stamp
        $r.Passed | Should -BeFalse
        $p = @($r.Problems | Where-Object Kind -eq 'RowCountDropped')
        $p.Count | Should -Be 1
        $pct = ($drop * 100.0 / $Before).ToString('0.00', [cultureinfo]::InvariantCulture)
        $p[0].Message | Should -BeExactly ("public.asegurados: $Before rows at $($First.Stamp), " +
            "$After at $($Second.Stamp): $drop fewer ($pct%), more than 2%")
        $d = @($r.RowDrift)
        $d.Count | Should -Be 1
        $d[0] | Should -BeOfType ([CenateBackup.PowerShell.Output.CenateRowDrift])
        $d[0].Difference | Should -Be (-$drop)
        $d[0].Exceeded | Should -BeTrue
        # NOT recorded in the set's manifest: its record keeps the integrity outcome only (the set is sound).
        $m = Get-Content -Raw -LiteralPath $Second.Path | ConvertFrom-Json
        $m.verification.passed | Should -BeTrue
        @($m.verification.problems) -join "`n" | Should -Not -Match 'RowCountDropped'
        @(Get-CenateBackup -Path $Dir -Database $Db -Verified).Stamp | Should -Contain $Second.Stamp
    }

    It 'passes within a larger threshold, and without any threshold nothing changes' {
        $r = Test-CenateBackup -Path $Second.Path -MaxRowDrop 5% -Level Checksum -WhatIf
        $r.Passed | Should -BeTrue
        @($r.RowDrift).Count | Should -Be 1
        $plain = Test-CenateBackup -Path $Second.Path -Level Checksum -WhatIf
        $plain.Passed | Should -BeTrue
        @($plain.RowDrift).Count | Should -Be 0
        # The count limit alone: any limit exceeded fails.
        $both = Test-CenateBackup -Path $Second.Path -MaxRowDrop 50% -MaxRowDropCount 10 -Level Checksum -WhatIf
        $both.Passed | Should -BeFalse
    }

    It '-Live compares the newest set with the live table now' {
        Invoke-Psql -Database $Db -Sql 'DELETE FROM public.asegurados WHERE id % 10 = 1' | Out-Null
        $live = [long](Invoke-Psql -Database $Db -Sql 'SELECT count(*) FROM public.asegurados')
        $r = Test-CenateBackup -Path $Second.Path -MaxRowDrop 50% @LiveArgs -Level Checksum -WhatIf
        $l = @($r.RowDrift | Where-Object AfterStamp -eq 'live')
        $l.Count | Should -Be 1
        $l[0].Before | Should -Be $After
        $l[0].After | Should -Be $live
        $l[0].Exceeded | Should -BeFalse
        $r2 = Test-CenateBackup -Path $Second.Path -MaxRowDrop 2% @LiveArgs -Level Checksum -WhatIf
        $text = @($r2.Problems | Where-Object Kind -eq 'RowCountDropped').Message -join "`n"
        $text | Should -Match ([regex]::Escape(", $live at live: "))
    }

    It 'the alert reports it as a failure with the error id RowCountDropped and no row contents' {
        $status = Join-Path $StateDir 'status.json'
        Test-CenateBackup -Path $Second.Path -MaxRowDrop 2% -Level Checksum -WhatIf |
            Send-CenateAlert -StatusPath $status -StateDirectory $StateDir -Job drift -ErrorAction SilentlyContinue `
                -ErrorVariable failed
        ($failed | Select-Object -Last 1).FullyQualifiedErrorId | Should -BeLike 'BackupRunFailed,*'
        $doc = Get-Content -Raw -LiteralPath $status | ConvertFrom-Json
        $doc.state | Should -Be 'Failure'
        $line = @($doc.problems) -join "`n"
        $line | Should -Match '\[RowCountDropped\]'
        $figures = "public.asegurados: $Before rows at $($First.Stamp), $After at $($Second.Stamp)"
        $line | Should -Match ([regex]::Escape($figures))
        # No personal data: none of the table's document numbers.
        $gone = @(Invoke-Psql -Database $Db -Sql 'SELECT numero_documento FROM public.asegurados ORDER BY id LIMIT 5')
        $gone.Count | Should -Be 5
        foreach ($doc in $gone) { (Get-Content -Raw -LiteralPath $status) | Should -Not -Match ([regex]::Escape($doc)) }
    }

    It 'Confirm-CenateRowDrop records the acknowledgement; the drop is then reported but not a problem' {
        $a = Confirm-CenateRowDrop -Path $Dir -Stamp $Second.Stamp -Reason 'Purge of duplicates, ticket 4711' `
            -Confirm:$false
        @($a).Count | Should -Be 1
        $a | Should -BeOfType ([CenateBackup.PowerShell.Output.CenateRowDropAcknowledgement])
        $a.Table | Should -Be 'public.asegurados'
        $a.Before | Should -Be $Before
        $a.After | Should -Be $After
        $a.BeforeStamp | Should -Be $First.Stamp
        $a.By | Should -Be ([Environment]::UserName)
        $m = Get-Content -Raw -LiteralPath $Second.Path | ConvertFrom-Json
        $m.rowDropAcknowledgements[0].reason | Should -BeExactly 'Purge of duplicates, ticket 4711'
        $m.rowDropAcknowledgements[0].beforeStamp | Should -Be $First.Stamp
        $m.formatVersion | Should -Be 1
        $r = Test-CenateBackup -Path $Second.Path -MaxRowDrop 2% -Level Checksum -WhatIf
        $r.Passed | Should -BeTrue
        $r.RowDrift[0].Acknowledged | Should -BeTrue
        $r.Checks -join "`n" | Should -Match 'acknowledged by .+: Purge of duplicates'
    }

    It 'refuses: a stamp with no set, a set nothing dropped into, bad reasons and bare numbers (nothing written)' {
        $hash = (Get-FileHash -LiteralPath $First.Path).Hash
        { Confirm-CenateRowDrop -Path $Dir -Stamp 20000101_000000 -Reason 'x' -Confirm:$false } |
            Should -Throw -ErrorId 'BackupSetNotFound,CenateBackup.PowerShell.Commands.ConfirmCenateRowDropCommand'
        { Confirm-CenateRowDrop -Path $Dir -Stamp $First.Stamp -Reason 'x' -Confirm:$false } |
            Should -Throw -ErrorId 'RowDropNotFound,CenateBackup.PowerShell.Commands.ConfirmCenateRowDropCommand'
        (Get-FileHash -LiteralPath $First.Path).Hash | Should -Be $hash
        foreach ($bad in "two`nlines", '   ', ('x' * 501), "line`u{2028}separator", "tab`there") {
            { Confirm-CenateRowDrop -Path $Dir -Stamp $Second.Stamp -Reason $bad -Confirm:$false } |
                Should -Throw -ErrorId "ParameterArgumentValidationError,$Ns.ConfirmCenateRowDropCommand"
        }
        foreach ($bare in 2, '2', 0.02, '101%') {
            { Test-CenateBackup -Path $Second.Path -MaxRowDrop $bare -WhatIf } |
                Should -Throw -ErrorId "ParameterArgumentTransformationError,$Ns.TestCenateBackupCommand"
        }
        { Test-CenateBackup -Path $Second.Path -Live -WhatIf } |
            Should -Throw -ErrorId 'LiveNeedsThreshold,CenateBackup.PowerShell.Commands.TestCenateBackupCommand'
    }
}

Describe 'Retention keeps the set before an unacknowledged drop' {
    BeforeEach {
        $script:RDir = New-TestDirectory 'driftret'
        $script:Old = New-FakeSet -Dir $RDir -DaysAgo 40
        $script:Dropped = New-FakeSet -Dir $RDir -DaysAgo 39
        Set-RowCount $Old.Manifest @{ 'public.asegurados' = 4000000 }
        Set-RowCount $Dropped.Manifest @{ 'public.asegurados' = 3880000 }
        foreach ($d in 3, 2, 1, 0.5) {
            Set-RowCount (New-FakeSet -Dir $RDir -DaysAgo $d).Manifest @{ 'public.asegurados' = 3890000 }
        }
    }
    AfterEach { Remove-Item -LiteralPath $RDir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'keeps it with rule BeforeRowDrop and the reason, until Confirm-CenateRowDrop acknowledges it' {
        $plan = Remove-CenateOldBackup -Path $RDir -KeepWeekly 0 -KeepMonthly 0 -Confirm:$false
        $kept = $plan | Where-Object Stamp -eq $Old.Stamp
        $kept.Action | Should -Be 'Kept'
        $kept.Rule | Should -Be 'BeforeRowDrop'
        $kept.Reason | Should -BeExactly ("last full set before public.asegurados fell from 4000000 to 3880000 rows " +
            "(3.00%) at $($Dropped.Stamp); " +
            "kept until Confirm-CenateRowDrop -Stamp $($Dropped.Stamp) acknowledges it")
        Test-Path -LiteralPath $Old.Dump | Should -BeTrue
        ($plan | Where-Object Stamp -eq $Dropped.Stamp).Action | Should -Be 'Removed'
        Test-Path -LiteralPath $Dropped.Dump | Should -BeFalse
    }

    It 'an acknowledged drop is released; a higher -MaxRowDrop or another -Table does not protect' {
        # citas is counted too (a -CriticalTable of New-CenateDump), so -Table public.citas is a real choice.
        foreach ($m in Get-ChildItem -LiteralPath $RDir -Filter *.manifest.json) {
            $j = Get-Content -Raw -LiteralPath $m.FullName | ConvertFrom-Json -AsHashtable -DateKind String
            $j.rowCounts['public.citas'] = 10
            $j | ConvertTo-Json -Depth 8 | Set-Content -LiteralPath $m.FullName
        }
        Confirm-CenateRowDrop -Path $RDir -Stamp $Dropped.Stamp -Reason 'expected' -Confirm:$false | Out-Null
        $plan = Remove-CenateOldBackup -Path $RDir -KeepWeekly 0 -KeepMonthly 0 -WhatIf
        ($plan | Where-Object Stamp -eq $Old.Stamp).Rule | Should -Be 'Expired'
        $plan = Remove-CenateOldBackup -Path $RDir -KeepWeekly 0 -KeepMonthly 0 -Table public.citas -WhatIf
        ($plan | Where-Object Stamp -eq $Old.Stamp).Rule | Should -Be 'Expired'
    }

    It 'the threshold and tables come from the parameters and the settings file' {
        (Remove-CenateOldBackup -Path $RDir -KeepWeekly 0 -KeepMonthly 0 -MaxRowDrop 5% -WhatIf |
            Where-Object Stamp -eq $Old.Stamp).Rule | Should -Be 'Expired'
        $settings = Join-Path $RDir 'drift.psd1'
        $text = "@{ SmtpServer = 'relay.example'; RowDrop = @{ 'public.asegurados' = '5%' } }"
        Set-Content -LiteralPath $settings -Value $text
        & chmod 600 $settings
        (Remove-CenateOldBackup -Path $RDir -KeepWeekly 0 -KeepMonthly 0 -Settings $settings -WhatIf |
            Where-Object Stamp -eq $Old.Stamp).Rule | Should -Be 'Expired'
        Set-Content -LiteralPath $settings -Value "@{ RowDrop = @{ 'public.asegurados' = '1%' } }"
        (Remove-CenateOldBackup -Path $RDir -KeepWeekly 0 -KeepMonthly 0 -MaxRowDrop 5% -Settings $settings -WhatIf |
            Where-Object Stamp -eq $Old.Stamp).Rule | Should -Be 'BeforeRowDrop'
        Set-Content -LiteralPath $settings -Value "@{ RowDrop = @{ 'public.asegurados' = 2 } }"
        { Remove-CenateOldBackup -Path $RDir -Settings $settings -WhatIf } |
            Should -Throw -ErrorId 'SettingsInvalid,CenateBackup.PowerShell.Commands.RemoveCenateOldBackupCommand'
    }
}

Describe 'Review of the drift check (fake sets: 1000 rows of asegurados, then 900)' {
    BeforeAll {
        function Edit-Manifest([string]$Path, [scriptblock]$Change) {
            $j = Get-Content -Raw -LiteralPath $Path | ConvertFrom-Json -AsHashtable -DateKind String
            & $Change $j
            $j | ConvertTo-Json -Depth 8 | Set-Content -LiteralPath $Path
        }
        function Get-Shas([string]$Dir) {
            Get-ChildItem -LiteralPath $Dir -File | Sort-Object Name | ForEach-Object {
                $_.Name + '=' + (Get-FileHash -LiteralPath $_.FullName).Hash }
        }
        $script:Fq = { param($id, $cmd) "$id,$Ns.$cmd" }
    }
    BeforeEach {
        $script:VDir = New-TestDirectory 'dfx2'
        $script:Old = New-FakeSet -Dir $VDir -DaysAgo 40
        $script:New = New-FakeSet -Dir $VDir -DaysAgo 39
        Set-RowCount $New.Manifest @{ 'public.asegurados' = 900 }
        # Recent sets, so that only the drop rule can keep $Old (MinimumKeep is met without it).
        foreach ($d in 3, 2, 1) {
            Set-RowCount (New-FakeSet -Dir $VDir -DaysAgo $d).Manifest @{ 'public.asegurados' = 900 }
        }
        $script:Real = [ordered]@{ table = 'public.asegurados'; before = 1000; after = 900; beforeStamp = $Old.Stamp
            reason = 'purge'; by = 'ana'; at = '2026-11-01T00:00:00+00:00' }
    }
    AfterEach { Remove-Item -LiteralPath $VDir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'a drop fails the report but is not written into the verification record (the set stays verified)' {
        Edit-Manifest $New.Manifest { param($j) $j.verification = $null }
        $r = Test-CenateBackup -Path $New.Manifest -MaxRowDrop 2% -Level Checksum
        $r.Passed | Should -BeFalse
        @($r.Problems | Where-Object Kind -eq 'RowCountDropped') | Should -HaveCount 1
        $m = Get-Content -Raw -LiteralPath $New.Manifest | ConvertFrom-Json
        $m.verification.level | Should -Be 'Checksum'
        $m.verification.passed | Should -BeTrue
        @($m.verification.problems) | Should -HaveCount 0
        @(Get-CenateBackup -Path $VDir -Verified).Stamp | Should -Contain $New.Stamp
        # An integrity problem still is recorded, with the drop left out.
        [IO.File]::AppendAllText($New.Dump, 'x')
        $r = Test-CenateBackup -Path $New.Manifest -MaxRowDrop 2% -Level Checksum
        $m = Get-Content -Raw -LiteralPath $New.Manifest | ConvertFrom-Json
        $m.verification.passed | Should -BeFalse
        (@($m.verification.problems) -join "`n") | Should -Match 'SizeMismatch'
        (@($m.verification.problems) -join "`n") | Should -Not -Match 'RowCountDropped'
    }

    It 'an incomplete tested set is not compared: a check line, no RowCountDropped on top of Incomplete' {
        $inc = New-FakeSet -Dir $VDir -DaysAgo 38 -Incomplete
        Set-RowCount $inc.Manifest @{ 'public.asegurados' = 10 }
        $r = Test-CenateBackup -Path $inc.Manifest -MaxRowDrop 2% -Level Checksum -WhatIf
        $r.Passed | Should -BeFalse
        @($r.Problems.Kind) | Should -Contain 'Incomplete'
        @($r.Problems.Kind) | Should -Not -Contain 'RowCountDropped'
        @($r.RowDrift) | Should -HaveCount 0
        $r.Checks | Should -Contain "row drift: $($inc.Stamp) is incomplete, not compared"
    }

    It 'a critical table no set counts is a warning naming it (Test-CenateBackup), not a silent pass' {
        $r = Test-CenateBackup -Path $New.Manifest -Table asegurados, citsa -MaxRowDrop 2% -Level Checksum -WhatIf `
            -WarningVariable w -WarningAction SilentlyContinue
        @($r.RowDrift.Table) | Should -Be @('public.asegurados')
        @($w) | Should -HaveCount 1
        "$($w[0])" | Should -BeExactly ("The critical table 'citsa' is counted in no set: sets record counts only for " +
            "New-CenateDump's -CriticalTable tables (default asegurados); nothing is checked for it.")
        $settings = Join-Path $VDir 'typo.psd1'
        Set-Content -LiteralPath $settings -Value "@{ RowDrop = @{ 'public.asegurado' = '2%' } }"
        & chmod 600 $settings
        $r = Test-CenateBackup -Path $New.Manifest -Settings $settings -Level Checksum -WhatIf `
            -WarningVariable w2 -WarningAction SilentlyContinue
        $r.Passed | Should -BeTrue
        "$w2" | Should -Match "'public\.asegurado' is counted in no set"
    }

    It 'Remove-CenateOldBackup refuses names none of which is counted, and nothing goes; a partial typo warns' {
        $before = Get-Shas $VDir
        { Remove-CenateOldBackup -Path $VDir -KeepWeekly 0 -KeepMonthly 0 -Table citsa -Confirm:$false `
            -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId (& $Fq 'TableNotInBackup' 'RemoveCenateOldBackupCommand')
        Get-Shas $VDir | Should -Be $before
        # The settings add to retention's default (asegurados), so a typo there is a warning, asegurados still kept.
        $settings = Join-Path $VDir 'typo.psd1'
        Set-Content -LiteralPath $settings -Value "@{ RowDrop = @{ 'public.asegurado' = '2%' } }"
        & chmod 600 $settings
        $plan = Remove-CenateOldBackup -Path $VDir -KeepWeekly 0 -KeepMonthly 0 -Settings $settings -WhatIf `
            -WarningVariable ws -WarningAction SilentlyContinue
        ($plan | Where-Object Stamp -eq $Old.Stamp).Rule | Should -Be 'BeforeRowDrop'
        "$ws" | Should -Match "'public\.asegurado' is counted in no set"
        # -Table with a typo next to a counted table in the settings: that table is protected, no refusal.
        Set-Content -LiteralPath $settings -Value "@{ RowDrop = @{ 'public.asegurados' = '2%' } }"
        $plan = Remove-CenateOldBackup -Path $VDir -KeepWeekly 0 -KeepMonthly 0 -Settings $settings -Table citsa `
            -WhatIf -WarningAction SilentlyContinue
        ($plan | Where-Object Stamp -eq $Old.Stamp).Rule | Should -Be 'BeforeRowDrop'
        # One name counted: the protection holds, the other name is warned about.
        $plan = Remove-CenateOldBackup -Path $VDir -KeepWeekly 0 -KeepMonthly 0 -Table asegurados, citsa -WhatIf `
            -WarningVariable w -WarningAction SilentlyContinue
        ($plan | Where-Object Stamp -eq $Old.Stamp).Rule | Should -Be 'BeforeRowDrop'
        "$w" | Should -Match "'citsa' is counted in no set"
    }

    It 'a forged acknowledgement (<Name>) silences nothing, releases nothing; a check line says so' -ForEach @(
        @{ Name = 'the table alone'; Ack = @{ table = 'public.asegurados' } }
        @{ Name = 'other counts'; Ack = @{ table = 'public.asegurados'; before = 1000; after = 950; beforeStamp = 'OLD'
            reason = 'x'; by = 'ana'; at = '2026-11-01T00:00:00+00:00' } }
        @{ Name = 'no reason nor user'; Ack = @{ table = 'public.asegurados'; before = 1000; after = 900
            beforeStamp = 'OLD'; at = '2026-11-01T00:00:00+00:00' } }
    ) {
        $forged = $Ack.Clone()
        if ($forged.beforeStamp -eq 'OLD') { $forged.beforeStamp = $Old.Stamp }
        Edit-Manifest $New.Manifest { param($j) $j.rowDropAcknowledgements = @($forged) }
        $r = Test-CenateBackup -Path $New.Manifest -MaxRowDrop 2% -Level Checksum -WhatIf
        $r.Passed | Should -BeFalse
        $r.RowDrift[0].Acknowledged | Should -BeFalse
        $r.Checks | Should -Contain ("row drift: public.asegurados: an acknowledgement in $($New.Stamp) that does not " +
            "match the drop (1000 rows at $($Old.Stamp), 900 at $($New.Stamp)) was ignored")
        $plan = Remove-CenateOldBackup -Path $VDir -KeepWeekly 0 -KeepMonthly 0 -WhatIf
        ($plan | Where-Object Stamp -eq $Old.Stamp).Rule | Should -Be 'BeforeRowDrop'
        # A real acknowledgement is appended; the forged record stays (history kept), and now the drop is released.
        $null = Confirm-CenateRowDrop -Path $VDir -Stamp $New.Stamp -Reason 'bajas' -Confirm:$false
        $null = Confirm-CenateRowDrop -Path $VDir -Stamp $New.Stamp -Reason 'bajas, again' -Confirm:$false
        $acks = @((Get-Content -Raw -LiteralPath $New.Manifest | ConvertFrom-Json).rowDropAcknowledgements)
        $acks | Should -HaveCount 3
        @($acks.reason)[1..2] | Should -Be @('bajas', 'bajas, again')
        $r = Test-CenateBackup -Path $New.Manifest -MaxRowDrop 2% -Level Checksum -WhatIf
        $r.Passed | Should -BeTrue
        $r.RowDrift[0].AcknowledgedReason | Should -BeExactly 'bajas, again'
        ($plan = Remove-CenateOldBackup -Path $VDir -KeepWeekly 0 -KeepMonthly 0 -WhatIf |
            Where-Object Stamp -eq $Old.Stamp).Rule | Should -Be 'Expired'
    }

    It 'text read back from an acknowledgement is shown escaped (ESC, newline, U+202E), never raw' {
        $ack = $Real
        $ack.reason = "ok`e[2J`nFAKE LINE`u{202E}olleh"
        $ack.by = "ana`e]0;x`a"
        Edit-Manifest $New.Manifest { param($j) $j.rowDropAcknowledgements = @($ack) }
        $r = Test-CenateBackup -Path $New.Manifest -MaxRowDrop 2% -Level Checksum -WhatIf
        $r.Passed | Should -BeTrue
        $d = $r.RowDrift[0]
        $d.AcknowledgedReason | Should -BeExactly 'ok\u{001B}[2J\u{000A}FAKE LINE\u{202E}olleh'
        $d.AcknowledgedBy | Should -BeExactly 'ana\u{001B}]0;x\u{0007}'
        $all = ($r.Checks + @($r.RowDrift | ForEach-Object { $_.AcknowledgedReason, $_.AcknowledgedBy })) -join ''
        $all | Should -Not -Match '[\p{Cc}\p{Cf}]'
        ($r.Checks -join '|') | Should -Match ([regex]::Escape('by ana\u{001B}]0;x\u{0007} at '))
    }

    It '-Reason refuses format characters too (<Name>), nothing written' -ForEach @(
        @{ Name = 'U+202E'; Text = "abc`u{202E}fed" }
        @{ Name = 'U+200B'; Text = "zero`u{200B}width" }
        @{ Name = 'U+2066'; Text = "iso`u{2066}late" }
    ) {
        $before = Get-Shas $VDir
        { Confirm-CenateRowDrop -Path $VDir -Stamp $New.Stamp -Reason $Text -Confirm:$false } |
            Should -Throw -ErrorId (& $Fq 'ParameterArgumentValidationError' 'ConfirmCenateRowDropCommand')
        Get-Shas $VDir | Should -Be $before
    }

    It 'Confirm-CenateRowDrop -Path (a file of one set) -Stamp (another set) is refused, nothing written' {
        $third = New-FakeSet -Dir $VDir -DaysAgo 38
        Set-RowCount $third.Manifest @{ 'public.asegurados' = 800 }
        $before = Get-Shas $VDir
        foreach ($p in $Old.Manifest, $Old.Dump, $third.Dump) {
            $err = { Confirm-CenateRowDrop -Path $p -Stamp $New.Stamp -Reason 'x' -Confirm:$false } |
                Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -Be (& $Fq 'BackupSetNotFound' 'ConfirmCenateRowDropCommand')
            $err.Exception.Message | Should -Match "belongs to the set \d{8}_\d{6}, not to $($New.Stamp)"
        }
        Get-Shas $VDir | Should -Be $before
        # The file of the right set is accepted.
        @(Confirm-CenateRowDrop -Path $New.Dump -Stamp $New.Stamp -Reason 'x' -Confirm:$false) | Should -HaveCount 1
    }

    It '-Settings without a RowDrop key and no threshold warns: no drift check' {
        $alert = Join-Path $VDir 'alert.psd1'
        Set-Content -LiteralPath $alert -Value "@{ SmtpServer = 'relay.example'; To = 'ops@example.org' }"
        & chmod 600 $alert
        $r = Test-CenateBackup -Path $New.Manifest -Settings $alert -Level Checksum -WhatIf `
            -WarningVariable w -WarningAction SilentlyContinue
        @($r.RowDrift) | Should -HaveCount 0
        "$w" | Should -BeExactly "The settings $alert has no RowDrop key: no drift check."
        # With a threshold on the command line the check runs (on asegurados), and nothing is warned.
        $r = Test-CenateBackup -Path $New.Manifest -Settings $alert -MaxRowDrop 2% -Level Checksum -WhatIf `
            -WarningVariable w3 -WarningAction SilentlyContinue
        @($r.RowDrift) | Should -HaveCount 1
        @($w3) | Should -HaveCount 0
    }

    It 'messages: settings errors name the settings file generically, end with one stop; 2,5% says the separator' {
        $s = Join-Path $VDir 'loose.psd1'
        Set-Content -LiteralPath $s -Value "@{ RowDrop = @{ asegurados = '2%' } }"
        & chmod 666 $s
        $err = { Test-CenateBackup -Path $New.Manifest -Settings $s -WhatIf } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'SettingsFileInsecure' 'TestCenateBackupCommand')
        $err.Exception.Message | Should -Not -Match 'mail credential'
        $err.Exception.Message | Should -Match "^The settings file $([regex]::Escape($s)) is owned by"
        & chmod 600 $s
        Set-Content -LiteralPath $s -Value "@{ RowDrop = @{ asegurados = '2,5%' } }"
        $err = { Remove-CenateOldBackup -Path $VDir -Settings $s -WhatIf } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'SettingsInvalid' 'RemoveCenateOldBackupCommand')
        $err.Exception.Message | Should -Not -Match '\.\.'
        $err.Exception.Message | Should -Match 'the decimal separator is a dot'
        foreach ($bad in { Test-CenateBackup -Path $New.Manifest -MaxRowDrop '2,5%' -WhatIf },
            { Test-CenateBackup -Path $New.Manifest -MaxRowDrop 2,5% -WhatIf }) {
            $err = $bad | Should -Throw -PassThru
            $err.FullyQualifiedErrorId |
                Should -Be (& $Fq 'ParameterArgumentTransformationError' 'TestCenateBackupCommand')
            $err.Exception.Message | Should -Match 'the decimal separator is a dot'
        }
    }
}
