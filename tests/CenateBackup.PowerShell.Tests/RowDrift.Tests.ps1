#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 21 §1, quick end-to-end cases: the drift check on two real sets of a copy of the rig's database, the alert it
# makes, Confirm-CenateRowDrop, and retention's BeforeRowDrop rule on fake sets with recorded row counts.
# Databases are named drift_*; the broader cases (3% on the rig, smtp4dev, retention past the window) live elsewhere.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential

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
        $script:StateDir = Join-Path ([IO.Path]::GetTempPath()) ('drift-state-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
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
        $p[0].Message | Should -BeExactly "public.asegurados: $Before rows at $($First.Stamp), $After at $($Second.Stamp): $drop fewer ($pct%), more than 2%"
        $d = @($r.RowDrift)
        $d.Count | Should -Be 1
        $d[0] | Should -BeOfType ([CenateBackup.PowerShell.Output.CenateRowDrift])
        $d[0].Difference | Should -Be (-$drop)
        $d[0].Exceeded | Should -BeTrue
        # Recorded in the set's manifest like any other problem.
        $m = Get-Content -Raw -LiteralPath $Second.Path | ConvertFrom-Json
        $m.verification.passed | Should -BeFalse
        @($m.verification.problems) -join "`n" | Should -Match 'RowCountDropped: public\.asegurados'
    }

    It 'passes within a larger threshold, and without any threshold nothing changes' {
        $r = Test-CenateBackup -Path $Second.Path -MaxRowDrop 5% -Level Checksum -WhatIf
        $r.Passed | Should -BeTrue
        @($r.RowDrift).Count | Should -Be 1
        $plain = Test-CenateBackup -Path $Second.Path -Level Checksum -WhatIf
        $plain.Passed | Should -BeTrue
        @($plain.RowDrift).Count | Should -Be 0
        # The count limit alone: any limit exceeded fails.
        (Test-CenateBackup -Path $Second.Path -MaxRowDrop 50% -MaxRowDropCount 10 -Level Checksum -WhatIf).Passed | Should -BeFalse
    }

    It '-Live compares the newest set with the live table now' {
        Invoke-Psql -Database $Db -Sql 'DELETE FROM public.asegurados WHERE id % 10 = 1' | Out-Null
        $live = [long](Invoke-Psql -Database $Db -Sql 'SELECT count(*) FROM public.asegurados')
        $r = Test-CenateBackup -Path $Second.Path -MaxRowDrop 50% -Live -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Level Checksum -WhatIf
        $l = @($r.RowDrift | Where-Object AfterStamp -eq 'live')
        $l.Count | Should -Be 1
        $l[0].Before | Should -Be $After
        $l[0].After | Should -Be $live
        $l[0].Exceeded | Should -BeFalse
        $r2 = Test-CenateBackup -Path $Second.Path -MaxRowDrop 2% -Live -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Level Checksum -WhatIf
        @($r2.Problems | Where-Object Kind -eq 'RowCountDropped').Message -join "`n" | Should -Match ([regex]::Escape(", $live at live: "))
    }

    It 'the alert reports it as a failure with the error id RowCountDropped and no row contents' {
        $status = Join-Path $StateDir 'status.json'
        Test-CenateBackup -Path $Second.Path -MaxRowDrop 2% -Level Checksum -WhatIf |
            Send-CenateAlert -StatusPath $status -StateDirectory $StateDir -Job drift -ErrorAction SilentlyContinue -ErrorVariable failed
        ($failed | Select-Object -Last 1).FullyQualifiedErrorId | Should -BeLike 'BackupRunFailed,*'
        $doc = Get-Content -Raw -LiteralPath $status | ConvertFrom-Json
        $doc.state | Should -Be 'Failure'
        $line = @($doc.problems) -join "`n"
        $line | Should -Match '\[RowCountDropped\]'
        $line | Should -Match ([regex]::Escape("public.asegurados: $Before rows at $($First.Stamp), $After at $($Second.Stamp)"))
        # No personal data: none of the deleted rows' document numbers.
        $gone = @(Invoke-Psql -Database $Db -Sql "SELECT numero_documento FROM public.asegurados WHERE id % 33 = 1 ORDER BY id LIMIT 5")
        $gone.Count | Should -Be 5
        foreach ($doc in $gone) { (Get-Content -Raw -LiteralPath $status) | Should -Not -Match ([regex]::Escape($doc)) }
    }

    It 'Confirm-CenateRowDrop records the acknowledgement; the drop is then reported but not a problem' {
        $a = Confirm-CenateRowDrop -Path $Dir -Stamp $Second.Stamp -Reason 'Purge of duplicates, ticket 4711' -Confirm:$false
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
        foreach ($bad in "two`nlines", '   ', ('x' * 501)) {
            { Confirm-CenateRowDrop -Path $Dir -Stamp $Second.Stamp -Reason $bad -Confirm:$false } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,CenateBackup.PowerShell.Commands.ConfirmCenateRowDropCommand'
        }
        foreach ($bare in 2, '2', 0.02, '101%') {
            { Test-CenateBackup -Path $Second.Path -MaxRowDrop $bare -WhatIf } |
                Should -Throw -ErrorId 'ParameterArgumentTransformationError,CenateBackup.PowerShell.Commands.TestCenateBackupCommand'
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
        foreach ($d in 3, 2, 1, 0.5) { Set-RowCount (New-FakeSet -Dir $RDir -DaysAgo $d).Manifest @{ 'public.asegurados' = 3890000 } }
    }
    AfterEach { Remove-Item -LiteralPath $RDir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'keeps it with rule BeforeRowDrop and the reason, until Confirm-CenateRowDrop acknowledges it' {
        $plan = Remove-CenateOldBackup -Path $RDir -KeepWeekly 0 -KeepMonthly 0 -Confirm:$false
        $kept = $plan | Where-Object Stamp -eq $Old.Stamp
        $kept.Action | Should -Be 'Kept'
        $kept.Rule | Should -Be 'BeforeRowDrop'
        $kept.Reason | Should -BeExactly ("last full set before public.asegurados fell from 4000000 to 3880000 rows (3.00%) at $($Dropped.Stamp); " +
            "kept until Confirm-CenateRowDrop -Stamp $($Dropped.Stamp) acknowledges it")
        Test-Path -LiteralPath $Old.Dump | Should -BeTrue
        ($plan | Where-Object Stamp -eq $Dropped.Stamp).Action | Should -Be 'Removed'
        Test-Path -LiteralPath $Dropped.Dump | Should -BeFalse
    }

    It 'an acknowledged drop is released; a higher -MaxRowDrop or another -Table does not protect' {
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
        Set-Content -LiteralPath $settings -Value "@{ SmtpServer = 'relay.example'; RowDrop = @{ 'public.asegurados' = '5%' } }"
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
