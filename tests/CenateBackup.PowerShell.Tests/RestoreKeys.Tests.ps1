#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Restore-CenateTable -Mode MissingRows -Key (issue 21 §2): only the rows of the given primary keys go back
# (one-column and composite keys, compared as text), a Compare-CenateBackup result binds by property name, a
# truncated key list is refused, and keys (personal data: DNI) never show in -Verbose, -WhatIf, Steps or errors.
# A database of its own (rkey_*, a copy of the seeded maestro_cenate plus a table with a composite key) and a real
# set made by New-CenateDump.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Db = "rkey_$suffix"
    $script:Tpl = "rkey_tpl_$suffix"
    Copy-TestDatabase -Name $Tpl
    # A composite primary key of a DNI-like text and a date: two periods per asegurado of the first 200.
    Invoke-Psql -Database $Tpl -Sql @'
CREATE TABLE public.afiliaciones (numero_documento varchar(12) NOT NULL, periodo date NOT NULL, plan text NOT NULL,
  monto numeric(12,2), PRIMARY KEY (numero_documento, periodo));
INSERT INTO public.afiliaciones SELECT a.numero_documento, p.periodo, a.tipo_seguro, a.monto
  FROM public.asegurados a CROSS JOIN (VALUES (date '2026-01-01'), (date '2026-02-01')) p(periodo) WHERE a.id <= 200;
'@ | Out-Null
    function Reset-Db {
        Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
        Copy-TestDatabase -Name $Db -Template $Tpl
    }
    Reset-Db
    $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db }
    $script:Dir = New-TestDirectory 'restore-keys'
    $script:Set = New-CenateDump @P -Path $Dir -Include Csv
    function Q([string]$Sql) { Invoke-Psql -Database $Db -Sql $Sql }
    # Each row's full text by id, to prove the rows came back exactly.
    function Get-Rows([string]$Where) {
        @(Q "SELECT id || ':' || md5(a::text) FROM public.asegurados a WHERE $Where ORDER BY id")
    }
    $script:Id = 'CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
    $script:Quiet = @{ Confirm = $false; WarningAction = 'SilentlyContinue' }
    function New-Comparison($Keys, [bool]$Truncated = $false) {
        [pscustomobject]@{ ReferencePath = $Set.Path; Table = 'public.asegurados'; MissingKeys = $Keys
            KeysTruncated = $Truncated }
    }
    function Get-Ids { @(Q "SELECT id FROM public.asegurados ORDER BY id") }
    # DNI-like keys of asegurados 11..16 (8 digits, tipo DNI), for the composite table and the leak checks.
    $script:Dnis = @(Invoke-Psql -Database $Tpl -Sql ("SELECT numero_documento FROM public.asegurados " +
        "WHERE id <= 200 AND tipo_documento = 'DNI' ORDER BY id LIMIT 6"))
}
AfterAll {
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Tpl WITH (FORCE)" | Out-Null
    Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Restore-CenateTable -Mode MissingRows -Key' {
    BeforeEach { Reset-Db }

    It 'of 30 deleted rows, -Key of 10 of them brings back exactly those 10 (from <From>); the other 20 stay missing' `
        -ForEach @(@{ From = 'Dump' }, @{ From = 'Csv' }) {
        $before = Get-Rows 'id BETWEEN 101 AND 130'
        $before.Count | Should -Be 30
        $all = Get-Ids
        Q "DELETE FROM public.asegurados WHERE id BETWEEN 101 AND 130" | Out-Null
        # Numbers and text mixed, one repeated: 10 distinct keys.
        $keys = @(101, 103, '105', 107, 109, 111, 113, 115, '117', 119, 119)
        $r = Restore-CenateTable -Backup $Set.Path @P -Mode MissingRows -From $From -Key $keys -Confirm:$false
        $r.RequestedKeys | Should -Be 10
        $r.KeysNotInBackup | Should -Be 0
        $r.InsertedRows | Should -Be 10
        $r.MissingRows | Should -Be 10
        $r.BackupRows | Should -Be $Set.RowCounts['public.asegurados']
        $r.LiveRowsAfter | Should -Be ($all.Count - 20)
        $ids = @('101', '103', '105', '107', '109', '111', '113', '115', '117', '119')
        @(Q "SELECT id FROM public.asegurados WHERE id BETWEEN 101 AND 130 ORDER BY id") | Should -Be $ids
        # Exactly the rows as they were, every column.
        Get-Rows 'id BETWEEN 101 AND 130' | Should -Be @($before | Where-Object { ($_ -split ':')[0] -in $ids })
        Q "SELECT count(*) FROM public.asegurados WHERE id NOT BETWEEN 101 AND 130" | Should -Be ($all.Count - 30)
        Q "SELECT count(*) FROM pg_class WHERE relname LIKE 'cenate_restore_keys%'" | Should -Be '0'
    }

    It 'a composite key (text, date) restores exactly the listed rows and counts a key that is not in the backup' {
        $d = $Dnis
        Q "DELETE FROM public.afiliaciones WHERE numero_documento IN ('$($d[0])', '$($d[1])', '$($d[2])')" | Out-Null
        $keys = @(@($d[0], '2026-02-01'), @($d[1], '2026-01-01'), @($d[1], '2026-02-01'), @('00000000', '2026-01-01'))
        $r = Restore-CenateTable -Backup $Set.Path @P -Table afiliaciones -Mode MissingRows -Key $keys -Confirm:$false
        $r.PrimaryKey | Should -Be @('numero_documento', 'periodo')
        $r.RequestedKeys | Should -Be 4
        $r.KeysNotInBackup | Should -Be 1
        $r.InsertedRows | Should -Be 3
        $expected = @("$($d[0])/2026-02-01", "$($d[1])/2026-01-01", "$($d[1])/2026-02-01") | Sort-Object
        Q ("SELECT string_agg(numero_documento || '/' || periodo, ',' ORDER BY numero_documento, periodo) " +
            "FROM public.afiliaciones WHERE numero_documento IN ('$($d[0])', '$($d[1])', '$($d[2])')") |
            Should -Be ($expected -join ',')
        Q "SELECT count(*) FROM public.afiliaciones" | Should -Be (400 - 6 + 3)
    }

    It 'a single composite key given as a list of one (@(,@(...))) works' {
        Q "DELETE FROM public.afiliaciones WHERE numero_documento = '$($Dnis[3])'" | Out-Null
        $r = Restore-CenateTable -Backup $Set.Path @P -Table public.afiliaciones -Mode MissingRows `
            -Key @(, @($Dnis[3], '2026-01-01')) -Confirm:$false
        $r.Table | Should -Be 'public.afiliaciones'
        $r.InsertedRows | Should -Be 1
        Q "SELECT string_agg(periodo::text, ',') FROM public.afiliaciones WHERE numero_documento = '$($Dnis[3])'" |
            Should -Be '2026-01-01'
    }

    It 'a key whose number of values is not the primary key''s is KeyListInvalid, naming its position only' {
        Q "DELETE FROM public.afiliaciones WHERE numero_documento = '$($Dnis[0])'" | Out-Null
        $err = $null
        $keys = @(@($Dnis[0], '2026-01-01'), $Dnis[1])
        try { Restore-CenateTable -Backup $Set.Path @P -Table afiliaciones -Mode MissingRows -Key $keys @Quiet }
        catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'KeyListInvalid,*'
        $err.Exception.Message | Should -Match 'key 2 of the list has 1 value'
        "$($err.Exception.Message) $($err.ErrorDetails.Message) $($err.ErrorDetails.RecommendedAction)" |
            Should -Not -Match $Dnis[1]
        Q "SELECT count(*) FROM public.afiliaciones" | Should -Be '398'
        # One-column key given two values.
        { Restore-CenateTable -Backup $Set.Path @P -Mode MissingRows -Key @(, @('1', '2')) -Confirm:$false } |
            Should -Throw -ErrorId "KeyListInvalid,$Id"
    }

    It 'a value that is neither text nor a number (<Name>) is KeyListInvalid before any work' -ForEach @(
        @{ Name = 'hashtable'; Keys = @(@{ id = 1 }) }, @{ Name = 'null'; Keys = @(1, $null) }
        @{ Name = 'date'; Keys = @([datetime]'2026-01-01') }) {
        { Restore-CenateTable -Backup $Set.Path @P -Mode MissingRows -Key $Keys -Confirm:$false } |
            Should -Throw -ErrorId "KeyListInvalid,$Id"
    }

    It '-Key with -Mode <Mode> is KeyNeedsMissingRows; nothing changed, no staging schema' -ForEach @(
        @{ Mode = 'Staging' }, @{ Mode = 'Replace' }) {
        Q "DELETE FROM public.asegurados WHERE id = 5" | Out-Null
        $err = $null
        try { Restore-CenateTable -Backup $Set.Path @P -Mode $Mode -Key 5 -Confirm:$false } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be "KeyNeedsMissingRows,$Id"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Q "SELECT count(*) FROM public.asegurados WHERE id = 5" | Should -Be '0'
        Q "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'cenate\_restore\_%'" | Should -Be '0'
    }

    It 'an empty list restores nothing: a warning, InsertedRows 0' {
        Q "DELETE FROM public.asegurados WHERE id BETWEEN 1 AND 10" | Out-Null
        $n = Q "SELECT count(*) FROM public.asegurados"
        $r = Restore-CenateTable -Backup $Set.Path @P -Mode MissingRows -Key @() @Quiet -WarningVariable w
        $r.InsertedRows | Should -Be 0
        $r.RequestedKeys | Should -Be 0
        $r.LiveRowsAfter | Should -Be ([long]$n)
        ($w -join "`n") | Should -Match 'The -Key list is empty: no row is restored'
        Q "SELECT count(*) FROM public.asegurados" | Should -Be $n
    }
}

Describe 'A comparison piped into Restore-CenateTable -Mode MissingRows' {
    BeforeEach { Reset-Db }

    It 'binds ReferencePath, Table (schema.table) and MissingKeys, and restores exactly those keys (<Name>)' -ForEach @(
        @{ Name = 'no Key property' }
        @{ Name = 'with the comparison''s Key (its key columns), which must not bind -Key'; Columns = @('id') }) {
        Q "DELETE FROM public.asegurados WHERE id BETWEEN 201 AND 220" | Out-Null
        $cmp = [pscustomobject]@{ ReferencePath = $Set.Path; Table = 'public.asegurados'
            MissingKeys = @('201', '202', '203', '999999'); KeysTruncated = $false; Missing = 4 }
        if ($Columns) { $cmp | Add-Member -NotePropertyName Key -NotePropertyValue $Columns }
        $r = $cmp | Restore-CenateTable @P -Mode MissingRows -Confirm:$false
        $r.Table | Should -Be 'public.asegurados'
        $r.RequestedKeys | Should -Be 4
        $r.KeysNotInBackup | Should -Be 1
        $r.InsertedRows | Should -Be 3
        @(Q "SELECT id FROM public.asegurados WHERE id BETWEEN 201 AND 220 ORDER BY id") |
            Should -Be @('201', '202', '203')
    }

    It 'Compare-CenateBackup of two real sets | Restore-CenateTable -Mode MissingRows: exactly the vanished keys' {
        Q "DELETE FROM public.asegurados WHERE id BETWEEN 401 AND 410" | Out-Null
        $dir2 = New-TestDirectory 'restore-keys-2'
        try {
            $set2 = New-CenateDump @P -Path $dir2 -Include Csv
            # Deleted after the second set: not in the comparison, so it stays deleted.
            Q "DELETE FROM public.asegurados WHERE id = 420" | Out-Null
            $cmp = Compare-CenateBackup -Reference $Set.Path -Difference $set2.Path -Table asegurados
            $cmp.Missing | Should -Be 10
            $r = $cmp | Restore-CenateTable @P -Mode MissingRows -Confirm:$false
            $r.RequestedKeys | Should -Be 10
            $r.KeysNotInBackup | Should -Be 0
            $r.InsertedRows | Should -Be 10
            Q "SELECT count(*) FROM public.asegurados WHERE id BETWEEN 401 AND 410" | Should -Be '10'
            Q "SELECT count(*) FROM public.asegurados WHERE id = 420" | Should -Be '0'
        }
        finally { Remove-Item -LiteralPath $dir2 -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'a comparison whose MissingKeys is null restores nothing (not every missing row)' {
        Q "DELETE FROM public.asegurados WHERE id BETWEEN 201 AND 220" | Out-Null
        $r = New-Comparison $null | Restore-CenateTable @P -Mode MissingRows @Quiet
        $r.InsertedRows | Should -Be 0
        Q "SELECT count(*) FROM public.asegurados WHERE id BETWEEN 201 AND 220" | Should -Be '0'
    }

    It 'KeysTruncated = $true is KeyListTruncated; nothing changed' {
        Q "DELETE FROM public.asegurados WHERE id BETWEEN 201 AND 220" | Out-Null
        $cmp = New-Comparison @('201', '202') -Truncated $true
        $err = $null
        try { $cmp | Restore-CenateTable @P -Mode MissingRows -Confirm:$false } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be "KeyListTruncated,$Id"
        $err.ErrorDetails.RecommendedAction | Should -Match 'KeyLimit'
        Q "SELECT count(*) FROM public.asegurados WHERE id BETWEEN 201 AND 220" | Should -Be '0'
    }

    It 'without -Mode MissingRows the piped keys are refused (KeyNeedsMissingRows), nothing changed' {
        $cmp = New-Comparison @('201')
        { $cmp | Restore-CenateTable @P -Confirm:$false } | Should -Throw -ErrorId "KeyNeedsMissingRows,$Id"
        Q "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'cenate\_restore\_%'" | Should -Be '0'
    }

    It 'row differences (-IncludeRows) ahead of the summary are not restored one by one; the summary is' {
        Q "DELETE FROM public.asegurados WHERE id IN (301, 302)" | Out-Null
        $rows = @('301', '302') | ForEach-Object {
            [pscustomobject]@{ Change = 'Missing'; Key = $_; Reference = @{}; Difference = $null }
        }
        $piped = @($rows) + (New-Comparison @('301'))
        $r = @($piped | Restore-CenateTable @P -Mode MissingRows @Quiet -WarningVariable w)
        $r.Count | Should -Be 1
        $r[0].InsertedRows | Should -Be 1
        ($w -join "`n") | Should -Match '2 row differences'
        @(Q "SELECT id FROM public.asegurados WHERE id IN (301, 302)") | Should -Be @('301')
    }
}

Describe 'Keys never show' {
    BeforeEach { Reset-Db }

    It 'DNI keys are in no verbose line, warning, step, -WhatIf text or error; the count is' {
        $d = $Dnis
        Q "DELETE FROM public.afiliaciones WHERE numero_documento IN ('$($d[4])', '$($d[5])')" | Out-Null
        $keys = @(@($d[4], '2026-01-01'), @($d[5], '2026-02-01'))
        $transcript = Join-Path ([IO.Path]::GetTempPath()) "rkey-$([guid]::NewGuid().ToString('N')).txt"
        Start-Transcript -LiteralPath $transcript | Out-Null
        $a = @{ Backup = $Set.Path; Table = 'afiliaciones'; Mode = 'MissingRows' }
        try { Restore-CenateTable @a @P -Key $keys -WhatIf -Verbose 4>&1 | Out-Host }
        finally { Stop-Transcript | Out-Null }
        $whatIf = Get-Content -Raw -LiteralPath $transcript; Remove-Item -LiteralPath $transcript
        $whatIf | Should -Match 'the 2 keys given with -Key \(not shown\)'
        Q "SELECT count(*) FROM public.afiliaciones" | Should -Be '396'
        $out = @(Restore-CenateTable @a @P -Key $keys -Confirm:$false -Verbose 4>&1 3>&1)
        $result = $out | Where-Object { $_ -is [CenateBackup.PowerShell.Output.CenateRestoreResult] }
        $result.InsertedRows | Should -Be 2
        $verbose = @($out | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message)
        @($verbose -match '^2 keys given with -Key: 0 of them are not in the backup').Count | Should -Be 1
        $text = ($verbose + $result.Steps + $result.Warnings + $whatIf) -join "`n"
        foreach ($dni in $d[4], $d[5]) { $text | Should -Not -Match $dni }
        $err = $null
        try { Restore-CenateTable @a @P -Key @(, @($d[4])) -Confirm:$false } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'KeyListInvalid,*'
        ($err | Out-String) | Should -Not -Match $d[4]
    }
}
