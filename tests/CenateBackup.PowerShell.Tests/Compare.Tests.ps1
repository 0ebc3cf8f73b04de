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

    It '-IncludeRows past -KeyLimit writes only the rows of the listed keys, warns, and keeps the counts exact' {
        $out = @(Compare-CenateBackup $SetA.Path $SetB.Path -IncludeRows -KeyLimit 2 -WarningVariable w -WarningAction SilentlyContinue)
        $sum = $out[-1]
        ($sum.Missing, $sum.Added, $sum.Changed) | Should -Be @(37, 5, 3)
        $sum.KeysTruncated | Should -BeTrue
        $rows = @($out | Where-Object { $_.GetType().Name -eq 'CenateRowDifference' })
        $rows.Count | Should -Be 6
        @($rows | Where-Object Change -eq 'Missing').Count | Should -Be 2
        ($w -join ' ') | Should -Match 'stop at -KeyLimit'
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

Describe 'Compare-CenateBackup: session settings, TimeZone, endless rows' {
    BeforeAll {
        $script:Fx = "cfx_" + [guid]::NewGuid().ToString('N').Substring(0, 6)
        Invoke-Psql -Database postgres -Sql "CREATE DATABASE $Fx" | Out-Null
        function FQ([string]$Sql) { Invoke-Psql -Database $Fx -Sql $Sql }
        FQ "CREATE TABLE public.t (id int PRIMARY KEY, d date, i interval, b bytea, f float8, r real, ts timestamptz, tm timestamp);
            INSERT INTO public.t SELECT g, date '2026-01-31' + g, make_interval(days => g, secs => g * 1.5),
              decode(md5(g::text), 'hex') || E'\\000\\377'::bytea, 1.0 / (g + 3), g / 7.0, timestamptz '2026-03-01 23:30:00+00' + g * interval '1 hour',
              timestamp '2026-03-01 23:30:00' + g * interval '1 minute' FROM generate_series(1, 50) g;
            ALTER DATABASE $Fx SET TimeZone = 'UTC'" | Out-Null
        $script:FP = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Fx }
        $script:FDir = New-TestDirectory 'cfx'
        $script:FSet = New-CenateDump @FP -Path $FDir -Include Csv -CriticalTable t
    }
    AfterAll {
        Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Fx WITH (FORCE)" | Out-Null
        Remove-Item -LiteralPath $FDir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'the manifest records the TimeZone the set was written in' {
        (Get-Content -Raw $FSet.Path | ConvertFrom-Json).source.timeZone | Should -BeExactly 'UTC'
    }

    It '-Live reads as pg_dump wrote, whatever DateStyle, IntervalStyle, bytea_output, extra_float_digits the database sets' {
        try {
            Invoke-Psql -Database postgres -Sql "ALTER DATABASE $Fx SET DateStyle = 'SQL, DMY'; ALTER DATABASE $Fx SET IntervalStyle = 'iso_8601';
                ALTER DATABASE $Fx SET bytea_output = 'escape'; ALTER DATABASE $Fx SET extra_float_digits = 0" | Out-Null
            # The settings do reach a new session (else the test proves nothing).
            FQ "SELECT d::text || ' ' || i::text FROM public.t WHERE id = 1" | Should -Be '01/02/2026 P1DT1.5S'
            foreach ($from in 'Csv', 'Dump') {
                $c = Compare-CenateBackup $FSet.Path -Live @FP -Table t -From $from -WarningVariable w
                ($c.Missing, $c.Added, $c.Changed, $c.Unchanged) | Should -Be @(0, 0, 0, 50) -Because "from $from"
                $w | Should -BeNullOrEmpty
            }
        }
        finally {
            Invoke-Psql -Database postgres -Sql "ALTER DATABASE $Fx RESET DateStyle; ALTER DATABASE $Fx RESET IntervalStyle;
                ALTER DATABASE $Fx RESET bytea_output; ALTER DATABASE $Fx RESET extra_float_digits" | Out-Null
        }
    }

    It '-Live reads timestamptz in the zone the set recorded; two sets of different zones are warned about' {
        Invoke-Psql -Database postgres -Sql "ALTER DATABASE $Fx SET TimeZone = 'America/Lima'" | Out-Null
        FQ "SELECT ts::text FROM public.t WHERE id = 1" | Should -Be '2026-03-01 19:30:00-05'
        foreach ($from in 'Csv', 'Dump') {
            $c = Compare-CenateBackup $FSet.Path -Live @FP -Table t -From $from -WarningVariable w
            ($c.Missing, $c.Added, $c.Changed) | Should -Be @(0, 0, 0) -Because "from $from"
            $w | Should -BeNullOrEmpty
        }
        Start-Sleep -Seconds 1
        $lima = New-CenateDump @FP -Path $FDir -Include Csv -CriticalTable t
        (Get-Content -Raw $lima.Path | ConvertFrom-Json).source.timeZone | Should -BeExactly 'America/Lima'
        $c = Compare-CenateBackup $FSet.Path $lima.Path -Table t -From Csv -WarningVariable w -WarningAction SilentlyContinue
        $c.Changed | Should -Be 50
        ($w -join ' ') | Should -Match 'the sets were written with TimeZone UTC and America/Lima: timestamptz values print differently and count as changed'
        $c.Warnings -join ' ' | Should -Match 'TimeZone UTC and America/Lima'
        $same = Compare-CenateBackup $lima.Path $lima.Path -Table t -WarningVariable w2
        $w2 | Should -BeNullOrEmpty
    }

    It 'a zone the server refuses: a warning, and the live side is read in the server default' {
        $copy = New-TestDirectory 'cfx-zone'; New-Item -ItemType Directory -Path $copy -Force | Out-Null
        Get-ChildItem -LiteralPath $FDir -File | Where-Object Name -like "*$($FSet.Stamp)*" | Copy-Item -Destination $copy
        $m = Get-ChildItem -LiteralPath $copy -Filter '*.manifest.json' | Select-Object -First 1
        (Get-Content -Raw $m.FullName) -replace '"timeZone":\s*"UTC"', '"timeZone": "Nowhere/Atlantis"' | Set-Content -NoNewline $m.FullName
        (Get-Content -Raw $m.FullName | ConvertFrom-Json).source.timeZone | Should -Be 'Nowhere/Atlantis'
        $c = Compare-CenateBackup $m.FullName -Live @FP -Table t -From Csv -WarningVariable w -WarningAction SilentlyContinue
        ($w -join ' ') | Should -Match "TimeZone Nowhere/Atlantis, which the server refuses"
        $c.Changed | Should -Be 50   # read in America/Lima (the database default), the set has UTC text
    }

    It 'a CSV.gz with one endless row is BackupCorrupt at 256 MB, in bounded memory, leaving nothing behind' {
        $dir = New-TestDirectory 'cfx-bomb'; New-Item -ItemType Directory -Path $dir -Force | Out-Null
        $tmp = New-TestDirectory 'cfx-bomb-tmp'; New-Item -ItemType Directory -Path $tmp -Force | Out-Null
        $f = Join-Path $dir 'x.t.csv.gz'
        $fs = [IO.File]::Create($f)
        $gz = [IO.Compression.GZipStream]::new($fs, [IO.Compression.CompressionLevel]::Fastest)
        try {
            $head = [Text.Encoding]::ASCII.GetBytes("k,v`n12345678,")
            $gz.Write($head, 0, $head.Length)
            $mb = [byte[]]::new(1MB); [Array]::Fill($mb, [byte][char]'a')
            for ($i = 0; $i -lt 300; $i++) { $gz.Write($mb, 0, $mb.Length) }
        }
        finally { $gz.Dispose(); $fs.Dispose() }
        (Get-Item $f).Length | Should -BeLessThan 5MB
        $me = [Diagnostics.Process]::GetCurrentProcess()
        [GC]::Collect(); $me.Refresh(); $before = $me.PeakWorkingSet64
        $err = $null
        try { Compare-CenateBackup $f $f -Table t -Key k -AllowUnverifiedBackup -TempDirectory $tmp -ErrorAction Stop -WarningAction SilentlyContinue | Out-Null }
        catch { $err = $_ }
        $me.Refresh()
        $err.FullyQualifiedErrorId | Should -BeLike 'BackupCorrupt,*'
        $err.Exception.Message | Should -Match 'row 1 is longer than 256 MB'
        $err.Exception.Message | Should -Not -Match 'aaaa|12345678'
        ($me.PeakWorkingSet64 - $before) | Should -BeLessThan 1.2GB
        @(Get-ChildItem -LiteralPath $tmp -Force).Count | Should -Be 0
        Remove-Item -LiteralPath $dir, $tmp -Recurse -Force
    }
}
