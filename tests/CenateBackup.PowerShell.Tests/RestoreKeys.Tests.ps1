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

    It 'with -Mode Replace the piped keys are refused (KeyNeedsMissingRows), nothing changed' {
        # (Issue 21 review: with the default -Mode Staging a piped comparison now stages the whole table; see rkf_.)
        $cmp = New-Comparison @('201')
        { $cmp | Restore-CenateTable @P -Mode Replace -Confirm:$false } |
            Should -Throw -ErrorId "KeyNeedsMissingRows,$Id"
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

# Issue 21 review: keys are compared as VALUES of the live key column's type, a piped comparison's key columns must be
# the primary key, KeysNotInBackup warns, Staging ignores a piped comparison, odd piped objects are refused. A database
# of its own (rkf_*: a copy of the seed plus small tables whose keys are timestamptz, numeric, uuid, int and composite).
Describe 'Restore-CenateTable -Key: typed keys and piped comparisons (rkf_)' {
    BeforeAll {
        $sfx = [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:FDb = "rkf_$sfx"
        $script:FTpl = "rkf_tpl_$sfx"
        Copy-TestDatabase -Name $FTpl
        Invoke-Psql -Database $FTpl -Sql @'
CREATE TABLE public.tk (k timestamptz PRIMARY KEY, v text NOT NULL);
INSERT INTO public.tk SELECT timestamptz '2026-01-01 10:00:00+00' + i * interval '1 hour', 't' || i
  FROM generate_series(1, 6) i;
CREATE TABLE public.nk (k numeric(8,3) PRIMARY KEY, v text NOT NULL);
INSERT INTO public.nk VALUES (1.50, 'a'), (2.000, 'b'), (3.250, 'c'), (4, 'd');
CREATE TABLE public.uk (k uuid PRIMARY KEY, v text NOT NULL);
INSERT INTO public.uk VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'a'),
  ('b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', 'b');
CREATE TABLE public.vk (k varchar(4) PRIMARY KEY, v text NOT NULL);
INSERT INTO public.vk VALUES ('ABCD', 'a'), ('WXYZ', 'b');
CREATE TABLE public.ik (k integer PRIMARY KEY, v text NOT NULL);
INSERT INTO public.ik SELECT i, 'i' || i FROM generate_series(40, 45) i;
CREATE TABLE public.afiliaciones (tipo_documento text NOT NULL, numero_documento text NOT NULL, v text,
  PRIMARY KEY (tipo_documento, numero_documento));
INSERT INTO public.afiliaciones VALUES ('DNI', '44556677', 'a'), ('CE', '001234567', 'b'), ('DNI', '1', 'c'),
  ('CE', '2', 'd'), ('DNI', '3', 'e');
'@ | Out-Null
        function Reset-FDb {
            Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $FDb WITH (FORCE)" | Out-Null
            Copy-TestDatabase -Name $FDb -Template $FTpl
        }
        Reset-FDb
        $script:FP = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $FDb }
        $script:FDir = New-TestDirectory 'rkf'
        $script:FSet = New-CenateDump @FP -Path $FDir -Table asegurados, tk, nk, uk, vk, ik, afiliaciones
        function F([string]$Sql) { Invoke-Psql -Database $FDb -Sql $Sql }
        function New-FCmp($Keys, $Columns, [string]$Table = 'public.ik') {
            $o = [pscustomobject]@{ ReferencePath = $FSet.Path; Table = $Table; MissingKeys = $Keys
                KeysTruncated = $false }
            if ($Columns) { $o | Add-Member -NotePropertyName Key -NotePropertyValue $Columns }
            $o
        }
    }
    AfterAll {
        Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $FDb WITH (FORCE)" | Out-Null
        Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $FTpl WITH (FORCE)" | Out-Null
        Remove-Item -LiteralPath $FDir -Recurse -Force -ErrorAction SilentlyContinue
    }
    BeforeEach { Reset-FDb }

    It 'timestamptz keys listed by Compare-CenateBackup restore after the database TimeZone changed (Asia/Tokyo)' {
        $before = @(F "SELECT k || '|' || v FROM public.tk ORDER BY k")
        F "DELETE FROM public.tk WHERE v IN ('t2', 't3', 't5')" | Out-Null
        $dir2 = New-TestDirectory 'rkf-2'
        try {
            $set2 = New-CenateDump @FP -Path $dir2 -Table asegurados, tk
            $cmp = Compare-CenateBackup -Reference $FSet.Path -Difference $set2.Path -Table tk
            $cmp.Missing | Should -Be 3
            F "ALTER DATABASE $FDb SET timezone = 'Asia/Tokyo'" | Out-Null
            $r = $cmp | Restore-CenateTable @FP -Mode MissingRows -Confirm:$false
            $r.RequestedKeys | Should -Be 3
            $r.KeysNotInBackup | Should -Be 0
            $r.InsertedRows | Should -Be 3
            F "ALTER DATABASE $FDb SET timezone = 'UTC'" | Out-Null
            @(F "SELECT k || '|' || v FROM public.tk ORDER BY k") | Should -Be $before
        }
        finally { Remove-Item -LiteralPath $dir2 -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'equal values in other text find their row (<Name>)' -ForEach @(
        @{ Name = 'numeric 1.5 for 1.50, 3.25 for 3.250, 4.0 for 4'; Table = 'nk'; Keys = @('1.5', 3.25, '4.0')
            Where = "v IN ('a', 'c', 'd')" }
        @{ Name = 'uuid in upper case'; Table = 'uk'; Keys = @('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11')
            Where = "v = 'a'" }
        @{ Name = "int '0042' and ' 43'"; Table = 'ik'; Keys = @('0042', ' 43'); Where = "k IN (42, 43)" }
        @{ Name = 'timestamptz in another offset'; Table = 'tk'; Keys = @('2026-01-01 20:00:00+09')
            Where = "v = 't1'" }) {
        $rows = @(F "SELECT k || '|' || v FROM public.$Table WHERE $Where ORDER BY 1")
        F "DELETE FROM public.$Table WHERE $Where" | Out-Null
        $r = Restore-CenateTable -Backup $FSet.Path @FP -Table $Table -Mode MissingRows -Key $Keys -Confirm:$false `
            -WarningVariable w
        $r.RequestedKeys | Should -Be $Keys.Count
        $r.KeysNotInBackup | Should -Be 0
        $r.InsertedRows | Should -Be $rows.Count
        @(F "SELECT k || '|' || v FROM public.$Table WHERE $Where ORDER BY 1") | Should -Be $rows
        @($w).Count | Should -Be 0
    }

    It 'a value that does not read as the key type (<Name>) is KeyListInvalid naming its position only' -ForEach @(
        @{ Name = 'int'; Table = 'ik'; Keys = @('41', 'x9secret', '42'); Pos = 2 }
        @{ Name = 'int out of range'; Table = 'ik'; Keys = @('99999999999'); Pos = 1 }
        @{ Name = 'uuid'; Table = 'uk'; Keys = @('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'x9secret'); Pos = 2 }
        @{ Name = 'timestamptz'; Table = 'tk'; Keys = @('2026-01-01 11:00:00+00', '41', 'x9secret'); Pos = 2 }
        @{ Name = 'numeric'; Table = 'nk'; Keys = @('x9secret'); Pos = 1 }
        @{ Name = 'composite text (control)'; Table = 'afiliaciones'; Keys = @(@('DNI', '1'), @('CE', '2'))
            Pos = 0 }) {
        F "DELETE FROM public.$Table" | Out-Null
        $err = $null
        try {
            Restore-CenateTable -Backup $FSet.Path @FP -Table $Table -Mode MissingRows -Key $Keys -Confirm:$false `
                -WarningAction SilentlyContinue
        }
        catch { $err = $_ }
        if ($Pos -eq 0) {
            # Text columns read any text: the composite keys are fine (the control case of this class).
            $err | Should -BeNullOrEmpty
            F "SELECT count(*) FROM public.$Table" | Should -Be '2'
            return
        }
        $err.FullyQualifiedErrorId | Should -Be "KeyListInvalid,$Id"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match "key $Pos of the list does not read as the primary key's type"
        $err.Exception.InnerException | Should -BeNullOrEmpty
        $all = "$($err | Out-String) $($err.Exception | Format-List -Force * | Out-String) " +
            "$($err.ErrorDetails.Message) $($err.ErrorDetails.RecommendedAction)"
        $all | Should -Not -Match 'x9secret|99999999999'
        F "SELECT count(*) FROM public.$Table" | Should -Be '0'
    }

    It 'a piped comparison whose Key is not the primary key (<Name>) is KeyListInvalid naming the columns' -ForEach @(
        @{ Name = 'another column'; Table = 'public.ik'; Columns = @('v'); Keys = @('i41') }
        @{ Name = 'the columns in another order'; Table = 'public.afiliaciones'
            Columns = @('numero_documento', 'tipo_documento'); Keys = @(, @('1', 'DNI')) }
        @{ Name = 'fewer columns'; Table = 'public.afiliaciones'; Columns = @('tipo_documento'); Keys = @('DNI') }) {
        F "DELETE FROM $Table" | Out-Null
        $err = $null
        try { New-FCmp $Keys $Columns $Table | Restore-CenateTable @FP -Mode MissingRows -Confirm:$false }
        catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be "KeyListInvalid,$Id"
        $err.Exception.Message | Should -Match ([regex]::Escape("($($Columns -join ', '))"))
        $err.Exception.Message | Should -Match 'is not|primary key'
        ($err | Out-String) | Should -Not -Match 'i41'
        F "SELECT count(*) FROM $Table" | Should -Be '0'
    }

    It 'Compare-CenateBackup -Key v (not the primary key) | Restore-CenateTable is refused; nothing restored' {
        F "DELETE FROM public.ik WHERE k IN (41, 42)" | Out-Null
        $dir2 = New-TestDirectory 'rkf-3'
        try {
            $set2 = New-CenateDump @FP -Path $dir2 -Table asegurados, ik
            $cmp = Compare-CenateBackup -Reference $FSet.Path -Difference $set2.Path -Table ik -Key v
            $cmp.Missing | Should -Be 2
            { $cmp | Restore-CenateTable @FP -Mode MissingRows -Confirm:$false } |
                Should -Throw -ErrorId "KeyListInvalid,$Id"
            F "SELECT count(*) FROM public.ik WHERE k IN (41, 42)" | Should -Be '0'
            # The same comparison on the primary key restores both.
            $ok = Compare-CenateBackup -Reference $FSet.Path -Difference $set2.Path -Table ik
            ($ok | Restore-CenateTable @FP -Mode MissingRows -Confirm:$false).InsertedRows | Should -Be 2
        }
        finally { Remove-Item -LiteralPath $dir2 -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'a key is read without the column''s typmod: <Name> is not in the backup (never rounded or cut to match)' `
        -ForEach @(
            @{ Name = "numeric(8,3) '1.5004'"; Table = 'nk'; Key = '1.5004'; Where = "v = 'a'" }
            @{ Name = "varchar(4) 'ABCDE'"; Table = 'vk'; Key = 'ABCDE'; Where = "v = 'a'" }) {
        F "DELETE FROM public.$Table WHERE $Where" | Out-Null
        $r = Restore-CenateTable -Backup $FSet.Path @FP -Table $Table -Mode MissingRows -Key @($Key) -Confirm:$false `
            -WarningAction SilentlyContinue
        $r.KeysNotInBackup | Should -Be 1
        $r.InsertedRows | Should -Be 0
        F "SELECT count(*) FROM public.$Table WHERE $Where" | Should -Be '0'
    }

    It 'keys not in the backup: a warning with the counts only' {
        F "DELETE FROM public.ik WHERE k = 41" | Out-Null
        $r = Restore-CenateTable -Backup $FSet.Path @FP -Table ik -Mode MissingRows -Key 41, 777001, '777002' `
            -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue
        $r.InsertedRows | Should -Be 1
        $r.KeysNotInBackup | Should -Be 2
        $text = ($w -join "`n")
        $text | Should -Match '2 of the 3 requested keys are not in the backup: nothing restored for them'
        $text | Should -Not -Match '77700'
        @($r.Warnings -match '2 of the 3 requested keys').Count | Should -Be 1
    }

    It 'a comparison piped with the default -Mode Staging stages the whole table, with one warning' {
        F "DELETE FROM public.ik WHERE k IN (41, 42)" | Out-Null
        $r = New-FCmp @('41') @('k') | Restore-CenateTable @FP -Confirm:$false -WarningVariable w `
            -WarningAction SilentlyContinue
        $r.StagingSchema | Should -Match '^cenate_restore_'
        $r.RequestedKeys | Should -BeNullOrEmpty
        F "SELECT count(*) FROM $($r.StagingSchema).ik" | Should -Be '6'
        F "SELECT count(*) FROM public.ik" | Should -Be '4'
        @($w | Where-Object { "$_" -match 'apply only to -Mode MissingRows' }).Count | Should -Be 1
    }

    It 'a comparison piped with -Mode Replace: KeyNeedsMissingRows whose advice does not say "leave out -Key"' {
        $err = $null
        try { New-FCmp @('41') @('k') | Restore-CenateTable @FP -Mode Replace -Confirm:$false } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be "KeyNeedsMissingRows,$Id"
        $err.ErrorDetails.RecommendedAction | Should -Not -Match 'leave out -Key'
        $err.ErrorDetails.RecommendedAction | Should -Match '-Mode MissingRows'
        $err.ErrorDetails.RecommendedAction | Should -Match 'pipe a backup set'
        # Typed on the command line: the advice stays as it was.
        $err = $null
        try { Restore-CenateTable -Backup $FSet.Path @FP -Table ik -Mode Replace -Key 41 -Confirm:$false }
        catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be "KeyNeedsMissingRows,$Id"
        $err.ErrorDetails.RecommendedAction | Should -Match 'leave out -Key'
        F "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'cenate\_restore\_%'" | Should -Be '0'
        F "SELECT count(*) FROM public.ik" | Should -Be '6'
    }

    It '-Key @() gives KeysNotInBackup 0 (not null)' {
        $r = Restore-CenateTable -Backup $FSet.Path @FP -Table ik -Mode MissingRows -Key @() -Confirm:$false `
            -WarningAction SilentlyContinue
        $r.RequestedKeys | Should -Be 0
        $r.KeysNotInBackup | Should -Not -BeNullOrEmpty
        $r.KeysNotInBackup | Should -Be 0
    }

    It 'a piped object whose ReferencePath is <Name> names no backup: a clear error, nothing changed' -ForEach @(
        @{ Name = 'null'; Ref = $null }, @{ Name = 'empty'; Ref = '' }, @{ Name = 'blank'; Ref = '  ' }) {
        F "DELETE FROM public.ik WHERE k = 41" | Out-Null
        $o = [pscustomobject]@{ ReferencePath = $Ref; Table = 'public.ik'; MissingKeys = @('41')
            KeysTruncated = $false }
        $out = @($o | Restore-CenateTable @FP -Mode MissingRows -Confirm:$false -ErrorVariable e `
            -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        @($e).Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -Be "PathNotFound,$Id"
        $e[0].Exception.Message | Should -Match 'names no backup'
        $e[0].Exception.Message | Should -Not -Match 'does not exist'
        F "SELECT count(*) FROM public.ik WHERE k = 41" | Should -Be '0'
    }

    It 'a piped object with Key but no MissingKeys is KeyListInvalid (its column names are not bound as keys)' {
        F "DELETE FROM public.ik WHERE k = 41" | Out-Null
        $o = [pscustomobject]@{ ReferencePath = $FSet.Path; Table = 'public.ik'; Key = @('41') }
        $err = $null
        try { $o | Restore-CenateTable @FP -Mode MissingRows -Confirm:$false } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be "KeyListInvalid,$Id"
        $err.Exception.Message | Should -Match 'the piped object has no MissingKeys'
        F "SELECT count(*) FROM public.ik WHERE k = 41" | Should -Be '0'
    }

    It '<Name> as a key value is KeyListInvalid naming its position' -ForEach @(
        @{ Name = '$true'; Keys = @(41, $true) }, @{ Name = '$false'; Keys = @($false) }
        @{ Name = '$true in a composite key'; Keys = @(, @('DNI', $true)); Table = 'afiliaciones' }) {
        $t = if ($Table) { $Table } else { 'ik' }
        $err = $null
        try { Restore-CenateTable -Backup $FSet.Path @FP -Table $t -Mode MissingRows -Key $Keys -Confirm:$false }
        catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be "KeyListInvalid,$Id"
        $err.Exception.Message | Should -Match 'key \d+ is a Boolean|value 2 of key 1 is a Boolean'
    }

    It 'the help''s Example 14 works as written (-WhatIf, then for real)' {
        $help = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../docs/en-US/Restore-CenateTable.md')
        $m = [regex]::Match($help, '(?s)### Example 14:[^\n]*\n```powershell\n(.*?)```')
        $m.Success | Should -BeTrue
        $lines = @($m.Groups[1].Value -split "`n" | Where-Object { $_.Trim() })
        $lines.Count | Should -Be 3
        $mon = $FSet.Path
        F "DELETE FROM public.asegurados WHERE id IN (1001, 1002, 1003); DELETE FROM public.afiliaciones" | Out-Null
        $expect = @('3 keys', '2 keys', '1 keys')
        for ($i = 0; $i -lt 3; $i++) {
            $transcript = Join-Path ([IO.Path]::GetTempPath()) "rkf-$([guid]::NewGuid().ToString('N')).txt"
            Start-Transcript -LiteralPath $transcript | Out-Null
            try { & ([scriptblock]::Create($lines[$i] + ' @FP -WhatIf')) | Out-Host }
            finally { Stop-Transcript | Out-Null }
            $text = Get-Content -Raw -LiteralPath $transcript; Remove-Item -LiteralPath $transcript
            $text | Should -Match "the $($expect[$i]) given with -Key"
        }
        F "SELECT count(*) FROM public.afiliaciones" | Should -Be '0'
        $r = @(0..2 | ForEach-Object { & ([scriptblock]::Create($lines[$_] + ' @FP -Confirm:$false')) })
        $r.InsertedRows | Should -Be @(3, 2, 0)
        ($r[2].KeysNotInBackup, $r[2].MissingRows) | Should -Be @(0, 0)
        F "SELECT count(*) FROM public.asegurados WHERE id IN (1001, 1002, 1003)" | Should -Be '3'
        F ("SELECT string_agg(tipo_documento || '/' || numero_documento, ',' ORDER BY tipo_documento, " +
            "numero_documento) FROM public.afiliaciones") |
            Should -Be 'CE/001234567,DNI/44556677'
    }
}
