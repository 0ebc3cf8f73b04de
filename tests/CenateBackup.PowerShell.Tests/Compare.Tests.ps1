#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Compare-CenateBackup on real sets made by New-CenateDump around deletes, inserts and updates in a database of its own;
# every key list is checked against psql EXCEPT on the same data.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Db = "cmp_" + [guid]::NewGuid().ToString('N').Substring(0, 6)
    Copy-TestDatabase -Name $Db
    function Q([string]$Sql) { Invoke-Psql -Database $Db -Sql $Sql }
    Q "CREATE TABLE public.sin_pk (a int, b text); INSERT INTO public.sin_pk VALUES (1, 'x'), (1, 'y'), (2, 'z');
       CREATE TABLE public.raro (k text, n int, v text, PRIMARY KEY (k, n));
       INSERT INTO public.raro VALUES ('a', 1, 'tab`there'), ('a', 2, ''), ('a', 10, NULL), ('b', 1, E'line\nbreak \\ ' || chr(34) || 'q' || chr(34) || ', x'), ('007', 3, 'z')" | Out-Null
    $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db }
    $script:Dir = New-TestDirectory 'compare'
    $script:SetA = New-CenateDump @P -Path $Dir -Include Csv, Sql
    Q "CREATE SCHEMA t; CREATE TABLE t.before AS SELECT * FROM public.asegurados;
       CREATE TABLE t.raro_before AS SELECT * FROM public.raro" | Out-Null
    Q "DELETE FROM public.asegurados WHERE id IN (SELECT id FROM public.asegurados ORDER BY md5(id::text) LIMIT 37);
       INSERT INTO public.asegurados (tipo_documento, numero_documento, apellido_paterno, apellido_materno, nombres, fecha_nacimiento, sexo, ubigeo, direccion, telefono, email, tipo_seguro, estado, codigo_ipress, fecha_afiliacion, monto, extras)
         SELECT tipo_documento, 'N' || id, apellido_paterno, apellido_materno, 'NUEVO', fecha_nacimiento, sexo, ubigeo, direccion, telefono, email, tipo_seguro, estado, codigo_ipress, fecha_afiliacion, monto, extras
         FROM public.asegurados ORDER BY id LIMIT 5;
       UPDATE public.asegurados SET direccion = 'calle ' || chr(34) || '1' || chr(34) || E', piso\n2 \\ fin' WHERE id IN (SELECT id FROM public.asegurados WHERE nombres <> 'NUEVO' ORDER BY md5(id::text || 'u') LIMIT 3);
       UPDATE public.raro SET v = NULL WHERE k = 'a' AND n = 2;
       UPDATE public.raro SET v = '' WHERE k = 'a' AND n = 10;
       DELETE FROM public.raro WHERE k = '007'" | Out-Null
    Start-Sleep -Seconds 1
    $script:SetB = New-CenateDump @P -Path $Dir -Include Csv, Sql
    function Ids([string]$Sql) { @(Q $Sql | Where-Object { $_ -ne '' } | ForEach-Object { "$_".Trim() }) }
    $script:ExpMissing = Ids 'SELECT id FROM t.before EXCEPT SELECT id FROM public.asegurados ORDER BY 1'
    $script:ExpAdded = Ids 'SELECT id FROM public.asegurados EXCEPT SELECT id FROM t.before ORDER BY 1'
    $script:ExpChanged = Ids 'SELECT id FROM (SELECT * FROM t.before EXCEPT SELECT * FROM public.asegurados) x WHERE id IN (SELECT id FROM public.asegurados) ORDER BY 1'
    function File([object]$Set, [string]$Suffix) { ($Set.Files | Where-Object { $_.Name -like "*asegurados*$Suffix" -or ($Suffix -eq '.dump' -and $_.Name -like '*.dump') } | Select-Object -First 1).Path }
}
AfterAll {
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
    Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Compare-CenateBackup' {
    It 'the oracle has deletes, inserts and updates to find' {
        $ExpMissing.Count | Should -Be 37
        $ExpAdded.Count | Should -Be 5
        $ExpChanged.Count | Should -Be 3
    }

    It 'CSV against CSV gives exactly the keys psql EXCEPT gives, and leaves no spill directory' {
        $tmp = New-TestDirectory 'cmp-tmp'; New-Item -ItemType Directory -Path $tmp -Force | Out-Null
        $c = Compare-CenateBackup -Reference $SetA -Difference $SetB -From Csv -TempDirectory $tmp
        $c.Table | Should -Be 'public.asegurados'
        $c.Key | Should -Be @('id')
        $c.ReferenceFile | Should -BeLike '*.csv.gz'
        $c.Missing | Should -Be 37
        $c.Added | Should -Be 5
        $c.Changed | Should -Be 3
        @($c.MissingKeys) | Should -Be $ExpMissing
        @($c.AddedKeys) | Should -Be $ExpAdded
        @($c.ChangedKeys) | Should -Be $ExpChanged
        $c.Unchanged | Should -Be ($c.ReferenceRows - 37 - 3)
        $c.KeysTruncated | Should -BeFalse
        $c.ReferencePath | Should -Be $SetA.Path
        @(Get-ChildItem -LiteralPath $tmp -Force).Count | Should -Be 0
    }

    It 'the SQL export of one set against the dump of the other gives the same lists' {
        $c = Compare-CenateBackup -Reference (File $SetA '.sql.gz') -Difference (File $SetB '.dump')
        $c.ReferenceFile | Should -BeLike '*.sql.gz'
        $c.DifferenceFile | Should -BeLike '*.dump'
        @($c.MissingKeys) | Should -Be $ExpMissing
        @($c.AddedKeys) | Should -Be $ExpAdded
        @($c.ChangedKeys) | Should -Be $ExpChanged
    }

    It 'a set against the live table gives the same lists' {
        $c = Compare-CenateBackup -Reference $SetA.Path -Live @P
        $c.Difference | Should -Be 'live'
        @($c.MissingKeys) | Should -Be $ExpMissing
        @($c.AddedKeys) | Should -Be $ExpAdded
        @($c.ChangedKeys) | Should -Be $ExpChanged
    }

    It 'a composite text/integer key from the dump: NULL against empty, tabs, newlines, quotes and backslashes' {
        foreach ($from in 'Dump') {
            $c = Compare-CenateBackup $SetA.Path $SetB.Path -Table raro -From $from -WarningAction SilentlyContinue
            $c.Key | Should -Be @('k', 'n')
            $c.Missing | Should -Be 1
            ($c.MissingKeys[0] -join '|') | Should -Be '007|3'
            $c.Changed | Should -Be 2
            ($c.ChangedKeys | ForEach-Object { $_ -join '|' }) | Should -Be @('a|2', 'a|10')
            $c.Unchanged | Should -Be 2
        }
    }

    It '-IncludeRows writes the differing rows first, in key order, NULL as $null' {
        $out = @(Compare-CenateBackup $SetA.Path $SetB.Path -Table raro -From Dump -IncludeRows)
        $out.Count | Should -Be 4
        $out[-1].GetType().Name | Should -Be 'CenateBackupComparison'
        # Key order: '007' (text, not a canonical integer) before 'a'; then n by value: 2 before 10.
        $out[0].Change | Should -Be 'Missing'
        ($out[0].Key -join '|') | Should -Be '007|3'
        $out[0].Difference | Should -BeNullOrEmpty
        $out[0].Reference['v'] | Should -Be 'z'
        $out[1].Change | Should -Be 'Changed'
        ($out[1].Key -join '|') | Should -Be 'a|2'
        $out[1].Reference['v'] | Should -BeExactly ''
        $out[1].Difference.Contains('v') | Should -BeTrue
        $null -eq $out[1].Difference['v'] | Should -BeTrue
        ($out[2].Key -join '|') | Should -Be 'a|10'
        $null -eq $out[2].Reference['v'] | Should -BeTrue
        $out[2].Difference['v'] | Should -BeExactly ''
    }

    It '-KeyLimit keeps the counts exact and says the lists were cut' {
        $c = Compare-CenateBackup $SetA.Path $SetB.Path -KeyLimit 10
        $c.Missing | Should -Be 37
        @($c.MissingKeys).Count | Should -Be 10
        $c.KeysTruncated | Should -BeTrue
    }

    It 'errors: <Name>' -ForEach @(
        @{ Name = 'missing table'; Params = @{ Table = 'no_such_table'; From = 'Dump' }; Id = 'TableNotInBackup' }
        @{ Name = 'missing key column'; Params = @{ Key = 'no_col' }; Id = 'KeyColumnMissing' }
        @{ Name = 'no key'; Params = @{ Table = 'sin_pk'; From = 'Dump' }; Id = 'KeyRequired' }
        @{ Name = 'duplicate key'; Params = @{ Table = 'sin_pk'; From = 'Dump'; Key = 'a' }; Id = 'DuplicateKey' }
    ) {
        $err = $null
        try { Compare-CenateBackup $SetA.Path $SetB.Path @Params -ErrorAction Stop | Out-Null } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        if ($Id -eq 'DuplicateKey') { $err.Exception.Message | Should -Not -Match "'1'|\b1\b.*\b1\b" }
    }

    It 'refuses a file no manifest vouches for, and compares it with -AllowUnverifiedBackup' {
        $lone = New-TestDirectory 'cmp-lone'; New-Item -ItemType Directory -Path $lone -Force | Out-Null
        Copy-Item (File $SetB '.csv.gz') $lone
        $f = Join-Path $lone (Split-Path (File $SetB '.csv.gz') -Leaf)
        { Compare-CenateBackup $SetA.Path $f -ErrorAction Stop } | Should -Throw -ErrorId 'UnverifiedBackup*'
        $c = Compare-CenateBackup $SetA.Path $f -AllowUnverifiedBackup -WarningAction SilentlyContinue
        $c.Missing | Should -Be 37
        $c.Warnings -join ' ' | Should -Match 'NOT verified'
    }

    It 'refuses a tampered file (its checksum differs from the manifest)' {
        $copy = New-TestDirectory 'cmp-tamper'; New-Item -ItemType Directory -Path $copy -Force | Out-Null
        Get-ChildItem -LiteralPath $Dir -File | Where-Object Name -like "*$($SetB.Stamp)*" | Copy-Item -Destination $copy
        $csv = Get-ChildItem -LiteralPath $copy -Filter '*asegurados*.csv.gz' | Select-Object -First 1
        $bytes = [IO.File]::ReadAllBytes($csv.FullName); $bytes[200] = $bytes[200] -bxor 0xFF
        [IO.File]::WriteAllBytes($csv.FullName, $bytes)
        { Compare-CenateBackup $SetA.Path $csv.FullName -ErrorAction Stop } | Should -Throw -ErrorId 'BackupCorrupt*'
    }

    It 'a file cut short that no manifest vouches for is BackupCorrupt, and no spill directory is left' {
        $lone = New-TestDirectory 'cmp-cut'; New-Item -ItemType Directory -Path $lone -Force | Out-Null
        $tmp = New-TestDirectory 'cmp-cut-tmp'; New-Item -ItemType Directory -Path $tmp -Force | Out-Null
        $src = File $SetB '.csv.gz'
        $bytes = [IO.File]::ReadAllBytes($src)
        $cut = Join-Path $lone (Split-Path $src -Leaf)
        [IO.File]::WriteAllBytes($cut, $bytes[0..([int]($bytes.Length / 2))])
        { Compare-CenateBackup $SetA.Path $cut -AllowUnverifiedBackup -TempDirectory $tmp -ErrorAction Stop -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'BackupCorrupt*'
        @(Get-ChildItem -LiteralPath $tmp -Force).Count | Should -Be 0
    }

    It 'refuses -Difference together with -Live' {
        { Compare-CenateBackup $SetA.Path $SetB.Path -Live @P -ErrorAction Stop } | Should -Throw -ErrorId 'CompareSidesInvalid*'
    }
}
