#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 21 section A end to end, as an admin and an attacker use it: real daily sets of a copy of the rig's sample
# (qa21_* databases), rows deleted between them, Test-CenateBackup -MaxRowDrop/-MaxRowDropCount/-Table/-Settings/-Live,
# the alert mail (smtp4dev on 56970/56971), Remove-CenateOldBackup's BeforeRowDrop rule and Confirm-CenateRowDrop.
# Expected figures come from psql, never from the module. Sets are copied into one store per scenario
# (RowDriftHelpers.psm1).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'AlertHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'RowDriftHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Tag = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Fq = { param($id, $cmd = 'TestCenateBackupCommand') "$id,CenateBackup.PowerShell.Commands.$cmd" }
    $script:Work = New-AlertTempDirectory 'qa21'
    $script:Inv = [Globalization.CultureInfo]::InvariantCulture
    Set-RowDriftContext -Work $Work -Rig $Rig -Credential $Cred

    # The history of one database, five daily sets: A; 3% of asegurados (and 10% of afiliaciones_log) deleted → B;
    # churn (200 rows deleted, as many inserted) → C; growth of 1000 rows → D; asegurados dropped → F.
    $script:Db = "qa21_seq_$Tag"
    Copy-TestDatabase -Name $Db
    $script:Src = Join-Path $Work 'src'
    $crit = 'asegurados', 'afiliaciones_log'
    $script:NA = Get-RowCount $Db asegurados
    $script:LA = Get-RowCount $Db afiliaciones_log
    $script:Victim = (Invoke-Psql -Database $Db -Sql ("SELECT numero_documento, apellido_paterno || ' ' || nombres " +
        "FROM asegurados WHERE id % 100 = 0 ORDER BY id LIMIT 1")) -split '\|'
    $script:A = New-RealSet $Db $Src $crit
    Invoke-Psql -Database $Db -Sql ('DELETE FROM asegurados WHERE id % 100 < 3; ' +
        'DELETE FROM afiliaciones_log WHERE id % 10 = 0') | Out-Null
    $script:NB = Get-RowCount $Db asegurados
    $script:LB = Get-RowCount $Db afiliaciones_log
    $script:B = New-RealSet $Db $Src $crit
    $cols = 'tipo_documento, numero_documento, apellido_paterno, apellido_materno, nombres, fecha_nacimiento, sexo, ' +
        'ubigeo, direccion, telefono, email, tipo_seguro, estado, codigo_ipress, fecha_afiliacion, monto, extras'
    Invoke-Psql -Database $Db -Sql ("BEGIN; CREATE TEMP TABLE qa21_gone AS " +
        "SELECT * FROM asegurados WHERE id % 100 = 3; " +
        "DELETE FROM asegurados WHERE id % 100 = 3; INSERT INTO asegurados (id, $cols) OVERRIDING SYSTEM VALUE " +
        "SELECT id + 1000000, $cols FROM qa21_gone; COMMIT;") | Out-Null
    $script:NC = Get-RowCount $Db asegurados
    $script:C = New-RealSet $Db $Src $crit
    $grow = $cols -replace '^tipo_documento, numero_documento', "tipo_documento, 'G' || id"
    Invoke-Psql -Database $Db -Sql ("INSERT INTO asegurados (id, $cols) OVERRIDING SYSTEM VALUE SELECT id + 2000000, " +
        "$grow FROM asegurados ORDER BY id LIMIT 1000") | Out-Null
    $script:ND = Get-RowCount $Db asegurados
    $script:D = New-RealSet $Db $Src $crit
    Invoke-Psql -Database $Db -Sql 'DROP TABLE asegurados' | Out-Null
    # The default critical table is gone: the dump warns and records no count for it.
    $script:F = New-RealSet $Db $Src
    # The fixture itself, checked against psql (a wrong fixture must not pass as a wrong module).
    ($NA - $NB) | Should -BeGreaterThan 0
    (($NA - $NB) / $NA) | Should -BeGreaterThan 0.02
    $NC | Should -Be $NB
    $ND | Should -Be ($NC + 1000)
    @($A, $B, $C, $D, $F).Stamp | Select-Object -Unique | Should -HaveCount 5
    $A.Files[0].Path | Should -Exist
}

AfterAll {
    if ($Db) { Remove-TestDatabase $Db }
    if ($Work) { Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'Test-CenateBackup -MaxRowDrop: 3% of asegurados deleted between two daily sets' {
    BeforeAll { $script:Drop = New-Store 'drop' $A, $B }

    It 'monitor mode fails with one RowCountDropped problem and RowDrift holding the exact figures and stamps' {
        $r = Test-CenateBackup -Path $Drop -MaxRowDrop '2%'
        $r.Passed | Should -BeFalse
        $r.Stamp | Should -Be $B.Stamp
        $p = Dropped $r
        $p | Should -HaveCount 1
        $p[0].Message | Should -BeExactly ("public.asegurados: $NA rows at $($A.Stamp), $NB at $($B.Stamp): " +
            "$($NA - $NB) fewer ($(Pct $NA $NB)%), more than 2%")
        # Default policy: asegurados only; afiliaciones_log lost 10% but is not critical unless named.
        @($r.RowDrift).Count | Should -Be 1
        $x = $r.RowDrift[0]
        $x.Table | Should -BeExactly 'public.asegurados'
        @($x.Before, $x.After, $x.Difference) | Should -Be @($NA, $NB, ($NB - $NA))
        $x.BeforeStamp | Should -BeExactly $A.Stamp
        $x.AfterStamp | Should -BeExactly $B.Stamp
        $x.Threshold | Should -BeExactly '2%'
        $x.Exceeded | Should -BeTrue
        $x.Acknowledged | Should -BeFalse
        [double]$x.DropPercent | Should -BeGreaterThan ([double](Pct $NA $NB) - 0.005)
        [double]$x.DropPercent | Should -BeLessThan ([double](Pct $NA $NB) + 0.005)
        # The problem is NOT recorded in B's manifest: the record keeps the integrity outcome only (B is sound).
        $m = Read-Manifest (ManifestIn $Drop $B)
        $m.verification.passed | Should -BeTrue
        @(@($m.verification.problems) -match [regex]::Escape("public.asegurados: $NA rows at $($A.Stamp)")) |
            Should -HaveCount 0
        @(Get-CenateBackup -Path $Drop -Verified).Stamp | Should -Contain $B.Stamp
    }

    It 'path mode (the newer manifest) compares with the previous full set; the first set has none and passes' {
        $r = Test-CenateBackup -Path (ManifestIn $Drop $B) -MaxRowDrop '2%'
        $r.Passed | Should -BeFalse
        (Dropped $r) | Should -HaveCount 1
        (Drift $r 'public.asegurados').BeforeStamp | Should -BeExactly $A.Stamp
        # A set piped from Get-CenateBackup finds its previous set the same way.
        $piped = Get-CenateBackup -Path $Drop -Newest 1 | Test-CenateBackup -MaxRowDrop '2%'
        (Drift $piped 'public.asegurados').BeforeStamp | Should -BeExactly $A.Stamp
        (Dropped $piped) | Should -HaveCount 1
        $first = Test-CenateBackup -Path (ManifestIn $Drop $A) -MaxRowDrop '2%'
        $first.Passed | Should -BeTrue
        (Dropped $first) | Should -HaveCount 0
        ($first.Checks -join "`n") | Should -Match 'no earlier full set'
    }

    It 'a drop equal to the threshold passes, a hair less fails (-MaxRowDrop, -MaxRowDropCount, both)' {
        $pct = Pct $NA $NB
        (Test-CenateBackup -Path $Drop -MaxRowDrop "$pct%").Passed | Should -BeTrue
        (Test-CenateBackup -Path $Drop -MaxRowDrop ('{0}%' -f ([double]$pct - 0.01).ToString('0.00', $Inv))).Passed |
            Should -BeFalse
        (Test-CenateBackup -Path $Drop -MaxRowDropCount ($NA - $NB)).Passed | Should -BeTrue
        $r = Test-CenateBackup -Path $Drop -MaxRowDropCount ($NA - $NB - 1)
        $r.Passed | Should -BeFalse
        (Drift $r 'public.asegurados').Threshold | Should -BeExactly "$($NA - $NB - 1) rows"
        # ANY threshold exceeded fails: a generous share does not excuse a count beyond its limit.
        (Test-CenateBackup -Path $Drop -MaxRowDrop '50%' -MaxRowDropCount ($NA - $NB - 1)).Passed | Should -BeFalse
        (Test-CenateBackup -Path $Drop -MaxRowDrop '0%').Passed | Should -BeFalse
    }

    It 'without a threshold nothing changes: passes, no RowDrift' {
        $r = Test-CenateBackup -Path $Drop
        $r.Passed | Should -BeTrue
        @($r.RowDrift).Count | Should -Be 0
    }

    It '-Table names the critical tables: <Table>' -ForEach @(
        @{ Table = 'afiliaciones_log'; Expect = 'public.afiliaciones_log'; Fails = $true }
        @{ Table = 'public.afiliaciones_log'; Expect = 'public.afiliaciones_log'; Fails = $true }
        @{ Table = 'otro.asegurados'; Expect = $null; Fails = $false }
    ) {
        $r = Test-CenateBackup -Path $Drop -MaxRowDrop '5%' -Table $Table
        $r.Passed | Should -Be (-not $Fails)
        # asegurados (3%) is not critical here: never in RowDrift.
        (Drift $r 'public.asegurados') | Should -HaveCount 0
        if ($Expect) {
            $x = Drift $r $Expect
            $x | Should -HaveCount 1
            @($x[0].Before, $x[0].After) | Should -Be @($LA, $LB)
            (Dropped $r)[0].Message | Should -Match ([regex]::Escape("$Expect`: $LA rows at $($A.Stamp), $LB at"))
        } else {
            # A schema-qualified name matches that schema only; absent from both sets: skipped, said so.
            @($r.RowDrift).Count | Should -Be 0
            ($r.Checks -join "`n") | Should -Match 'otro\.asegurados'
        }
    }

    It 'refuses <Name> at binding, before anything is read or recorded' -ForEach @(
        @{ Name = 'a bare integer'; Splat = @{ MaxRowDrop = 2 } }
        @{ Name = 'a bare number as text'; Splat = @{ MaxRowDrop = '2' } }
        @{ Name = 'a fraction'; Splat = @{ MaxRowDrop = 0.02 } }
        @{ Name = 'more than 100%'; Splat = @{ MaxRowDrop = '101%' } }
        @{ Name = 'a negative share'; Splat = @{ MaxRowDrop = '-1%' } }
        @{ Name = 'words'; Splat = @{ MaxRowDrop = 'two%' } }
        @{ Name = 'a negative count'; Splat = @{ MaxRowDropCount = -1 } }
    ) {
        $before = Get-Sha (ManifestIn $Drop $B)
        $err = { Test-CenateBackup -Path $Drop @Splat -ErrorAction Stop } | Should -Throw -PassThru
        $ids = 'ParameterArgumentTransformationError|ParameterArgumentValidationError'
        $err.FullyQualifiedErrorId |
            Should -Match "^($ids),CenateBackup\.PowerShell\.Commands\.TestCenateBackupCommand$"
        if ($Splat.MaxRowDrop -in 2, '2', 0.02) {
            $err.Exception.Message | Should -Match '2%'
            $err.Exception.Message | Should -Match 'MaxRowDropCount'
        }
        Get-Sha (ManifestIn $Drop $B) | Should -Be $before
    }
}

Describe 'What passes: churn, growth; what a vanished table looks like' {
    It 'churn (200 rows deleted, as many inserted) passes even at 0%: counts see the net change only' {
        $r = Test-CenateBackup -Path (New-Store 'churn' $B, $C) -MaxRowDrop '0%' -MaxRowDropCount 0
        $r.Passed | Should -BeTrue
        $x = Drift $r 'public.asegurados'
        $x | Should -HaveCount 1
        $x[0].Difference | Should -Be 0
        $x[0].Exceeded | Should -BeFalse
        (Dropped $r) | Should -HaveCount 0
    }

    It 'growth passes at 0% with a positive Difference' {
        $r = Test-CenateBackup -Path (New-Store 'growth' $C, $D) -MaxRowDrop '0%'
        $r.Passed | Should -BeTrue
        $x = Drift $r 'public.asegurados'
        @($x[0].Before, $x[0].After, $x[0].Difference) | Should -Be @($NC, $ND, 1000)
        $x[0].Exceeded | Should -BeFalse
    }

    It 'a critical table present before and gone after is a drop to 0' {
        $r = Test-CenateBackup -Path (New-Store 'gone' $D, $F) -MaxRowDrop '2%'
        $r.Passed | Should -BeFalse
        $x = Drift $r 'public.asegurados'
        $x | Should -HaveCount 1
        @($x[0].Before, $x[0].After, $x[0].Difference) | Should -Be @($ND, 0, (-$ND))
        $x[0].AfterStamp | Should -BeExactly $F.Stamp
        (Dropped $r)[0].Message |
            Should -Match ([regex]::Escape("public.asegurados: $ND rows at $($D.Stamp), 0 at $($F.Stamp)"))
    }
}

Describe 'The drop reaches the admin by mail (smtp4dev), figures but never row contents' {
    BeforeAll {
        $script:Smtp = Start-Smtp4dev -Mode None -SmtpPort 56970 -HttpPort 56971
        $env:QA21_SMTP_PASSWORD = $Smtp.Password
        $script:SettingsDir = New-AlertTempDirectory 'qa21-settings'
        # One settings file serves both the check (RowDrop) and the alert (every other key).
        $script:Settings = Write-Settings (Join-Path $SettingsDir 'cenate.psd1') @"
@{
    SmtpServer = '127.0.0.1'; Port = 56970; Security = 'None'; From = 'cenate@hospital.test'; To = 'dba@hospital.test'
    UserName = '$($Smtp.User)'; PasswordVariable = 'QA21_SMTP_PASSWORD'; Job = 'qa21-daily'; Culture = 'en-US'
    Timeout = '20s'; StateDirectory = 'state'
    RowDrop = @{ 'public.asegurados' = '2%' }
}
"@
    }
    AfterAll {
        $Smtp | Stop-Smtp4dev
        Remove-Item -LiteralPath $SettingsDir -Recurse -Force -ErrorAction SilentlyContinue
        Remove-Item env:QA21_SMTP_PASSWORD -ErrorAction SilentlyContinue
    }

    It 'Test-CenateBackup -Settings | Send-CenateAlert -Settings mails one failure naming table, figures, stamps' {
        $store = New-Store 'mail' $A, $B
        $r = Test-CenateBackup -Path $store -Settings $Settings |
            Send-CenateAlert -Settings $Settings -ErrorVariable ev -ErrorAction SilentlyContinue
        $r | Should -Not -BeNullOrEmpty
        # The run failed: the script's last error says so, naming the drop (cron mails and exit codes see it).
        $ev[-1].FullyQualifiedErrorId | Should -Be (& $Fq 'BackupRunFailed' 'SendCenateAlertCommand')
        $ev[-1].Exception.Message | Should -Match 'RowCountDropped: public\.asegurados'
        $msgs = @(Get-Smtp4devMessages -Server $Smtp -Detail -Expect 1)
        $msgs | Should -HaveCount 1
        $text = "$($msgs[0].Subject)`n$($msgs[0].Text)`n$($msgs[0].Html)"
        foreach ($s in 'RowCountDropped', 'public.asegurados', "$NA", "$NB", "$($NA - $NB) fewer", $A.Stamp, $B.Stamp) {
            $text | Should -Match ([regex]::Escape($s))
        }
        # A deleted row's document number and name never travel in an alert.
        foreach ($s in $Victim) { ($text + $msgs[0].Raw).Contains($s.Trim()) | Should -BeFalse }
    }

    It 'with -When Change an open drop mails once, not again the next day, then RECOVERED after the acknowledgement' {
        Clear-Smtp4dev -Server $Smtp
        $file = Write-Settings (Join-Path $SettingsDir 'change.psd1') @"
@{
    SmtpServer = '127.0.0.1'; Port = 56970; Security = 'None'; From = 'cenate@hospital.test'; To = 'dba@hospital.test'
    UserName = '$($Smtp.User)'; PasswordVariable = 'QA21_SMTP_PASSWORD'; Job = 'dfix-change-$Tag'; Culture = 'en-US'
    Timeout = '20s'; StateDirectory = 'state'; When = 'Change'
    RowDrop = @{ 'public.asegurados' = '2%' }
}
"@
        $store = New-Store 'change' $A, $B
        $day = { Test-CenateBackup -Path $store -Settings $file |
            Send-CenateAlert -Settings $file -ErrorAction SilentlyContinue }
        $r = & $day
        $r | Should -Not -BeNullOrEmpty
        $msgs = @(Get-Smtp4devMessages -Server $Smtp -Expect 1)
        $msgs | Should -HaveCount 1
        $msgs[0].Subject | Should -Match 'FAILED'
        # The next day C arrives (C vs B passes); the drop A -> B is still open: still failing, so no new mail.
        Copy-Item -LiteralPath $C.Path -Destination $store
        foreach ($f in $C.Files) { Copy-Item -LiteralPath $f.Path -Destination $store }
        (Test-CenateBackup -Path $store -Settings $file -WhatIf).Passed | Should -BeFalse
        $null = & $day
        @(Get-Smtp4devMessages -Server $Smtp -Expect 0) | Should -HaveCount 1
        $null = Confirm-CenateRowDrop -Path $store -Stamp $B.Stamp -Reason 'Bajas aprobadas' -Confirm:$false
        $null = & $day
        $msgs = @(Get-Smtp4devMessages -Server $Smtp -Expect 2)
        $msgs | Should -HaveCount 2
        $msgs[1].Subject | Should -Match 'RECOVERED'
    }

    It 'settings thresholds are per table and beat the command line; named tables are critical' {
        $file = Write-Settings (Join-Path $SettingsDir 'pertable.psd1') @"
@{ RowDrop = @{ 'public.asegurados' = '5%'; 'afiliaciones_log' = @{ MaxRowDrop = '50%'; MaxRowDropCount = 5 } } }
"@
        $r = Test-CenateBackup -Path (New-Store 'pertable' $A, $B) -Settings $file -MaxRowDrop '1%'
        $r.Passed | Should -BeFalse
        (Drift $r 'public.asegurados')[0].Exceeded | Should -BeFalse
        (Drift $r 'public.afiliaciones_log')[0].Exceeded | Should -BeTrue
        $p = Dropped $r
        $p | Should -HaveCount 1
        $p[0].Message | Should -Match '^public\.afiliaciones_log: '
    }

    It 'an insecure settings file is SettingsFileInsecure for Test-CenateBackup and Remove-CenateOldBackup' {
        $file = Write-Settings (Join-Path $SettingsDir 'insecure.psd1') "@{ RowDrop = @{ asegurados = '50%' } }"
        & chmod 666 $file
        $store = New-Store 'insecure' $A, $B
        $sha = Get-Sha (ManifestIn $store $B)
        $err = { Test-CenateBackup -Path $store -Settings $file -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'SettingsFileInsecure')
        Get-Sha (ManifestIn $store $B) | Should -Be $sha
        $err = { Remove-CenateOldBackup -Path $store -Settings $file -KeepDaily 0 -MinimumKeep 1 -Confirm:$false `
                -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'SettingsFileInsecure' 'RemoveCenateOldBackupCommand')
        (ManifestIn $store $A) | Should -Exist
        (DumpIn $store $A) | Should -Exist
    }

    It 'a bare number in the settings is SettingsInvalid naming the key' {
        $file = Write-Settings (Join-Path $SettingsDir 'bad.psd1') "@{ RowDrop = @{ 'public.asegurados' = 2 } }"
        $err = { Test-CenateBackup -Path (New-Store 'badset' $A, $B) -Settings $file -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'SettingsInvalid')
        $err.Exception.Message | Should -Match 'asegurados'
    }
}

Describe 'Retention keeps the last set before an unacknowledged drop (BeforeRowDrop)' {
    BeforeAll {
        $script:Reason = 'Bajas del padron 2026-11 aprobadas (ticket 4711)'
        function New-VerifiedDropStore([string]$Name) { $s = New-Store $Name $A, $B; Confirm-Verified $s; $s }
        $script:Keep = @{ KeepDaily = 0; MinimumKeep = 1; Confirm = $false }
    }

    It 'keeps the pre-drop set past its window with rule BeforeRowDrop and a reason naming the stamp' {
        $s = New-VerifiedDropStore 'keep'
        $decisions = Remove-CenateOldBackup -Path $s @Keep
        $dec = $decisions | Where-Object Stamp -eq $A.Stamp
        $dec.Action | Should -Be 'Kept'
        $dec.Rule | Should -Be 'BeforeRowDrop'
        $dec.Reason | Should -BeExactly ("last full set before public.asegurados fell from $NA to $NB rows " +
            "($(Pct $NA $NB)%) at $($B.Stamp); kept until Confirm-CenateRowDrop -Stamp $($B.Stamp) acknowledges it")
        (ManifestIn $s $A) | Should -Exist
        (DumpIn $s $A) | Should -Exist
    }

    It 'the monitor keeps reporting the drop until it is acknowledged, as retention keeps the pre-drop set' {
        $s = New-Store 'moves' $A, $B, $C
        Confirm-Verified $s
        # The next day (C is the newest): C vs B passes, but the drop A -> B is still open, so the monitor fails.
        $r = Test-CenateBackup -Path $s -MaxRowDrop '2%'
        $r.Passed | Should -BeFalse
        $p = Dropped $r
        $p | Should -HaveCount 1
        $p[0].Message | Should -BeExactly ("public.asegurados: $NA rows at $($A.Stamp), $NB at $($B.Stamp): " +
            "$($NA - $NB) fewer ($(Pct $NA $NB)%), more than 2%; still open: " +
            "Confirm-CenateRowDrop -Stamp $($B.Stamp) acknowledges it")
        $old = Drift $r 'public.asegurados' $B.Stamp
        $old | Should -HaveCount 1
        @($old[0].BeforeStamp, $old[0].Before, $old[0].After, $old[0].Exceeded, $old[0].Acknowledged) |
            Should -Be @($A.Stamp, $NA, $NB, $true, $false)
        (Drift $r 'public.asegurados' $C.Stamp)[0].Exceeded | Should -BeFalse
        # Path mode (what the daily job runs right after New-CenateDump) compares C with B only: it passes.
        (Test-CenateBackup -Path (ManifestIn $s $C) -MaxRowDrop '2%').Passed | Should -BeTrue
        $first = Remove-CenateOldBackup -Path $s @Keep
        ($first | Where-Object Stamp -eq $B.Stamp).Action | Should -Be 'Removed'
        ($first | Where-Object Stamp -eq $A.Stamp).Rule | Should -Be 'BeforeRowDrop'
        # B is gone: A -> C is now the unacknowledged drop; the reason names C, and acknowledging C releases A.
        $dec = Remove-CenateOldBackup -Path $s @Keep | Where-Object Stamp -eq $A.Stamp
        $dec.Rule | Should -Be 'BeforeRowDrop'
        $dec.Reason |
            Should -Match ([regex]::Escape("at $($C.Stamp); kept until Confirm-CenateRowDrop -Stamp $($C.Stamp)"))
        # The monitor names the same drop (not recorded in C's manifest: C still counts as verified).
        $r = Test-CenateBackup -Path $s -MaxRowDrop '2%'
        $r.Passed | Should -BeFalse
        @(Dropped $r) | Should -HaveCount 1
        @(Dropped $r)[0].Message | Should -Match ([regex]::Escape("$NA rows at $($A.Stamp), $NC at $($C.Stamp): "))
        $ack = @(Confirm-CenateRowDrop -Path $s -Stamp $C.Stamp -Reason $Reason -Confirm:$false)
        $ack.BeforeStamp | Should -Be @($A.Stamp)
        (Test-CenateBackup -Path $s -MaxRowDrop '2%').Passed | Should -BeTrue
        (Remove-CenateOldBackup -Path $s @Keep | Where-Object Stamp -eq $A.Stamp).Action | Should -Be 'Removed'
        (DumpIn $s $A) | Should -Not -Exist
    }

    It 'an acknowledged old drop is a check line, not a problem; the monitor reports each open drop' {
        $s = New-Store 'olddrops' $A, $B, $C, $D
        Confirm-Verified $s
        # C's recorded count lowered by 5%: two old drops, A -> B and B -> C (C -> D, the newest pair, is growth).
        $low = [long][Math]::Floor($NB * 0.95)
        Set-RowCount (ManifestIn $s $C) 'public.asegurados' $low
        $r = Test-CenateBackup -Path $s -MaxRowDrop '2%'
        $r.Passed | Should -BeFalse
        $msgs = @(Dropped $r).Message
        $msgs | Should -HaveCount 2
        $msgs[0] | Should -Match ([regex]::Escape("$NA rows at $($A.Stamp), $NB at $($B.Stamp): "))
        $msgs[1] | Should -Match ([regex]::Escape("$NB rows at $($B.Stamp), $low at $($C.Stamp): "))
        $null = Confirm-CenateRowDrop -Path $s -Stamp $B.Stamp -Reason $Reason -Confirm:$false
        $r = Test-CenateBackup -Path $s -MaxRowDrop '2%'
        $r.Passed | Should -BeFalse
        @(Dropped $r) | Should -HaveCount 1
        @(Dropped $r)[0].Message | Should -Match ([regex]::Escape("$NB rows at $($B.Stamp), $low at $($C.Stamp): "))
        $x = Drift $r 'public.asegurados' $B.Stamp
        @($x[0].Acknowledged, $x[0].AcknowledgedReason, $x[0].AcknowledgedBy) |
            Should -Be @($true, $Reason, [Environment]::UserName)
        ($r.Checks -join "`n") | Should -Match ([regex]::Escape(
            "the drop into $($B.Stamp) was acknowledged by $([Environment]::UserName) at "))
        ($r.Checks -join "`n") | Should -Match ([regex]::Escape(": $Reason"))
        $null = Confirm-CenateRowDrop -Path $s -Stamp $C.Stamp -Reason $Reason -Confirm:$false
        $r = Test-CenateBackup -Path $s -MaxRowDrop '2%'
        $r.Passed | Should -BeTrue
        (Dropped $r) | Should -HaveCount 0
        $r.Checks | Should -Contain "row drift: no earlier drop of $Db left open"
    }

    It 'with a threshold the drop does not pass (<Name>) the pre-drop set expires and goes' -ForEach @(
        @{ Name = '-MaxRowDrop 5%'; Splat = @{ MaxRowDrop = '5%' } }
        @{ Name = '-MaxRowDropCount equal to the drop'; Splat = @{ MaxRowDropCount = 'DROP' } }
        @{ Name = 'settings RowDrop asegurados 5%'; Splat = @{ Settings = 'FILE' } }
    ) {
        $s = New-VerifiedDropStore 'nokeep'
        if ($Splat.MaxRowDropCount) { $Splat = @{ MaxRowDropCount = $NA - $NB } }
        if ($Splat.Settings) {
            $file = Join-Path $Work ('rowdrop-' + [guid]::NewGuid().ToString('N').Substring(0, 6) + '.psd1')
            $Splat = @{ Settings = (Write-Settings $file "@{ RowDrop = @{ asegurados = '5%' } }") }
        }
        $dec = Remove-CenateOldBackup -Path $s @Keep @Splat | Where-Object Stamp -eq $A.Stamp
        $dec.Action | Should -Be 'Removed'
        $dec.Rule | Should -Be 'Expired'
        (DumpIn $s $A) | Should -Not -Exist
    }

    It 'keeps a 400-day-old set before a drop, whatever its age, with the default policy' {
        $dir = Join-Path $Work ('aged-' + $Tag)
        $old = New-FakeSet -Dir $dir -DaysAgo 400
        $new = 0.3, 0.2, 0.1 | ForEach-Object { New-FakeSet -Dir $dir -DaysAgo $_ }
        foreach ($n in $new) { Set-RowCount $n.Manifest 'public.asegurados' 900 }
        $o = Remove-CenateOldBackup -Path $dir -Confirm:$false | Where-Object Stamp -eq $old.Stamp
        $o.Action | Should -Be 'Kept'
        $o.Rule | Should -Be 'BeforeRowDrop'
        $o.Reason | Should -Match ([regex]::Escape("fell from 1000 to 900 rows (10.00%) at $($new[0].Stamp)"))
        $old.Dump | Should -Exist
    }

    It 'Confirm-CenateRowDrop -WhatIf writes nothing' {
        $s = New-VerifiedDropStore 'whatif'
        $sha = Get-Sha (ManifestIn $s $B)
        $out = Confirm-CenateRowDrop -Path $s -Stamp $B.Stamp -Reason $Reason -WhatIf
        $out | Should -BeNullOrEmpty
        Get-Sha (ManifestIn $s $B) | Should -Be $sha
        $dec = Remove-CenateOldBackup -Path $s @Keep -WhatIf | Where-Object Stamp -eq $A.Stamp
        $dec.Rule | Should -Be 'BeforeRowDrop'
    }

    It 'after Confirm-CenateRowDrop: recorded in the manifest, Test-CenateBackup passes, the set is released' {
        $s = New-VerifiedDropStore 'ack'
        $ack = @(Confirm-CenateRowDrop -Path $s -Stamp $B.Stamp -Reason $Reason -Confirm:$false)
        $ack | Should -HaveCount 1
        $ack[0].Table | Should -BeExactly 'public.asegurados'
        @($ack[0].Before, $ack[0].After) | Should -Be @($NA, $NB)
        $m = Read-Manifest (ManifestIn $s $B)
        $rec = @($m.rowDropAcknowledgements)
        $rec | Should -HaveCount 1
        $rec[0].table | Should -BeExactly 'public.asegurados'
        $rec[0].before | Should -Be $NA
        $rec[0].after | Should -Be $NB
        $rec[0].beforeStamp | Should -BeExactly $A.Stamp
        $rec[0].reason | Should -BeExactly $Reason
        $rec[0].by | Should -BeExactly ([Environment]::UserName)
        ([DateTimeOffset]::UtcNow - [DateTimeOffset]$rec[0].at).TotalMinutes | Should -BeLessThan 5
        (Read-Manifest (ManifestIn $s $A)).rowDropAcknowledgements | Should -BeNullOrEmpty

        $r = Test-CenateBackup -Path $s -MaxRowDrop '2%'
        $r.Passed | Should -BeTrue
        (Dropped $r) | Should -HaveCount 0
        $x = Drift $r 'public.asegurados'
        $x[0].Acknowledged | Should -BeTrue
        ($r.Checks -join "`n") | Should -Match ([regex]::Escape("acknowledged by $([Environment]::UserName)"))

        $dec = Remove-CenateOldBackup -Path $s @Keep | Where-Object Stamp -eq $A.Stamp
        $dec.Action | Should -Be 'Removed'
        (DumpIn $s $A) | Should -Not -Exist
        (DumpIn $s $B) | Should -Exist
        # Last: the record's reason is the admin's text (who and when are in the check line and the manifest).
        $x[0].AcknowledgedReason | Should -BeExactly $Reason
    }

    It 'acknowledging another table (-Table afiliaciones_log) does not release the asegurados drop' {
        $s = New-VerifiedDropStore 'acktable'
        # -Path may name the manifest itself.
        $ack = @(Confirm-CenateRowDrop -Path (ManifestIn $s $B) -Stamp $B.Stamp -Table afiliaciones_log `
            -Reason $Reason -Confirm:$false)
        $ack.Table | Should -Be @('public.afiliaciones_log')
        @((Read-Manifest (ManifestIn $s $B)).rowDropAcknowledgements).table | Should -Be @('public.afiliaciones_log')
        (Remove-CenateOldBackup -Path $s @Keep | Where-Object Stamp -eq $A.Stamp).Rule | Should -Be 'BeforeRowDrop'
    }

    It 'Confirm-CenateRowDrop refuses <Name> and writes nothing' -ForEach @(
        @{ Name = 'a stamp no row fell into (the first set)'; Stamp = 'A'; Id = 'RowDropNotFound' }
        @{ Name = 'a stamp whose rows churned but did not drop'; Stamp = 'C'; Id = 'RowDropNotFound' }
        @{ Name = 'an unknown stamp'; Stamp = '19990101_000000'; Id = 'BackupSetNotFound' }
        @{ Name = 'an empty reason'; Stamp = 'B'; Reason = '' }
        @{ Name = 'a blank reason'; Stamp = 'B'; Reason = '    ' }
        @{ Name = 'a reason with a control character'; Stamp = 'B'; Reason = "ok`e[2Jspoof" }
        @{ Name = 'a reason over 500 characters'; Stamp = 'B'; Reason = ('x' * 501) }
    ) {
        $s = New-Store 'refuse' $A, $B, $C
        $shas = Get-ChildItem -LiteralPath $s -File | ForEach-Object { Get-Sha $_.FullName }
        $stampText = switch ($Stamp) { 'A' { $A.Stamp } 'B' { $B.Stamp } 'C' { $C.Stamp } default { $Stamp } }
        $why = if ($null -ne $Reason) { $Reason } else { $script:Reason }
        $err = { Confirm-CenateRowDrop -Path $s -Stamp $stampText -Reason $why -Confirm:$false -ErrorAction Stop } |
            Should -Throw -PassThru
        if ($Id) { $err.FullyQualifiedErrorId | Should -Be (& $Fq $Id 'ConfirmCenateRowDropCommand') }
        else {
            $err.FullyQualifiedErrorId |
                Should -Match ',CenateBackup\.PowerShell\.Commands\.ConfirmCenateRowDropCommand$'
        }
        Get-ChildItem -LiteralPath $s -File | ForEach-Object { Get-Sha $_.FullName } | Should -Be $shas
    }
}

Describe '-Live, and an attacker who raises the newer manifest''s rowCounts' {
    BeforeAll {
        $script:LiveDb = "qa21_live_$Tag"
        Copy-TestDatabase -Name $LiveDb
        $script:LSrc = Join-Path $Work 'live-src'
        $script:L0 = Get-RowCount $LiveDb asegurados
        $script:L1 = New-RealSet $LiveDb $LSrc
        Invoke-Psql -Database $LiveDb -Sql 'DELETE FROM asegurados WHERE id % 20 = 0' | Out-Null
        $script:LNow = Get-RowCount $LiveDb asegurados
        (($L0 - $LNow) / $L0) | Should -BeGreaterThan 0.02
        $script:L2 = New-RealSet $LiveDb $LSrc
        $script:Live = @{
            Live = $true; HostName = '127.0.0.1'; Port = $Rig.Port; Credential = $Cred; Database = $LiveDb
        }
    }
    AfterAll { if ($LiveDb) { Remove-TestDatabase $LiveDb } }

    It '-Live (<Mode>) compares the newest set with the live table (AfterStamp live) and fails on the drop' -ForEach @(
        @{ Mode = 'TCP'; Server = @{ HostName = '127.0.0.1' } }
        @{ Mode = 'container'; Server = @{ Container = $env:CENATE_TEST_CONTAINER } }
    ) {
        $how = @{ Live = $true; Port = $Rig.Port; Credential = $Cred; Database = $LiveDb } + $Server
        $r = Test-CenateBackup -Path (New-Store 'live' $L1) @how -MaxRowDrop '2%'
        $r.Passed | Should -BeFalse
        ($r.Checks -join "`n") | Should -Match 'no earlier full set'
        $x = Drift $r 'public.asegurados' 'live'
        $x | Should -HaveCount 1
        @($x[0].Before, $x[0].After, $x[0].Difference) | Should -Be @($L0, $LNow, ($LNow - $L0))
        $x[0].BeforeStamp | Should -BeExactly $L1.Stamp
        $p = Dropped $r
        $p | Should -HaveCount 1
        $p[0].Message | Should -Match ([regex]::Escape("$L0 rows at $($L1.Stamp), $LNow at live: $($L0 - $LNow) fewer"))
        # The set is the good copy holding the lost rows: its record stays passed, so it stays usable everywhere.
        $m = Read-Manifest (Get-ChildItem -LiteralPath $r.Directory -Filter *.manifest.json).FullName
        $m.verification.passed | Should -BeTrue
        @($m.verification.problems) | Should -HaveCount 0
        @(Get-CenateBackup -Path $r.Directory -Verified) | Should -HaveCount 1
    }

    It 'a forged rowCounts in the newer set: not caught set to set at Checksum; caught by Read, -Live and the drill' {
        $s = New-Store 'forged' $L1, $L2
        # The attacker (write access to the backup directory) raises the newer set's count back to the old figure.
        Set-RowCount (ManifestIn $s $L2) 'public.asegurados' $L0
        # NOT caught at Checksum: manifests are unsigned data, and set-to-set compares what they say.
        $r = Test-CenateBackup -Path $s -MaxRowDrop '2%' -Level Checksum
        $r.Passed | Should -BeTrue
        (Drift $r 'public.asegurados' $L2.Stamp)[0].Difference | Should -Be 0
        # Caught at Read (issue 17): the dump's own data holds fewer rows than the forged manifest says.
        $r = Test-CenateBackup -Path $s -MaxRowDrop '2%' -Level Read
        $r.Passed | Should -BeFalse
        @($r.Problems.Kind) | Should -Contain 'RowCountMismatch'
        ($r.Problems | Where-Object Kind -eq 'RowCountMismatch').Message | Should -Match "public\.asegurados: $LNow rows in the dump's data, the manifest says $L0"
        # Caught: the live table does not follow the forged figure.
        $r = Test-CenateBackup -Path $s @Live -MaxRowDrop '2%'
        $r.Passed | Should -BeFalse
        $x = Drift $r 'public.asegurados' 'live'
        @($x[0].Before, $x[0].After) | Should -Be @($L0, $LNow)
        # Caught: a restore drill counts the rows the dump really holds against the manifest.
        $drill = Test-CenateBackup -Path (ManifestIn $s $L2) -Level Restore -HostName 127.0.0.1 -Port $Rig.Port `
            -Credential $Cred -Confirm:$false -WarningAction SilentlyContinue
        $drill.Passed | Should -BeFalse
        @($drill.Problems | Where-Object { "$($_.Kind)" -eq 'RowCountMismatch' }) | Should -HaveCount 1
    }

    It 'a forged rowCounts lowered in the OLDER set hides the drop from set-to-set and -Live; the drill catches it' {
        $s = New-Store 'forgedold' $L1, $L2
        Set-RowCount (ManifestIn $s $L1) 'public.asegurados' $LNow
        (Test-CenateBackup -Path $s -MaxRowDrop '2%').Passed | Should -BeTrue
        # -Live compares the newest set (truthful) with the live table (the same rows): nothing to see either.
        $r = Test-CenateBackup -Path $s @Live -MaxRowDrop '2%'
        $r.Passed | Should -BeTrue
        (Drift $r 'public.asegurados' 'live')[0].Difference | Should -Be 0
        $drill = Test-CenateBackup -Path (ManifestIn $s $L1) -Level Restore -HostName 127.0.0.1 -Port $Rig.Port `
            -Credential $Cred -Confirm:$false -WarningAction SilentlyContinue
        @($drill.Problems | Where-Object { "$($_.Kind)" -eq 'RowCountMismatch' }) | Should -HaveCount 1
    }

    It '-Live after the live table vanished is a drop to 0' {
        Invoke-Psql -Database $LiveDb -Sql 'DROP TABLE asegurados' | Out-Null
        $r = Test-CenateBackup -Path (New-Store 'livegone' $L1) @Live -MaxRowDrop '2%'
        $r.Passed | Should -BeFalse
        $x = Drift $r 'public.asegurados' 'live'
        @($x[0].After, $x[0].Difference) | Should -Be @(0, (-$L0))
    }
}
