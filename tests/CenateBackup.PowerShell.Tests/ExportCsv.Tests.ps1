#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Export-CenateAseguradosCsv and New-CenateDump -Include against the real rig: byte-for-byte equality with
# psql's COPY output, round trips, one snapshot for the whole set under concurrent writes, and faults.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:C = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred }
    $script:H = @{ HostName = '127.0.0.1'; Port = $Rig.Port; Credential = $Cred }
    $script:Fqid = { param($id) "$id,CenateBackup.PowerShell.Commands.ExportCenateAseguradosCsvCommand" }

    function Get-PsqlCsv {
        # psql's own COPY … CSV HEADER output of a table, as bytes, written to a file.
        param([Parameter(Mandatory)][string]$Table, [Parameter(Mandatory)][string]$OutFile, [int]$Port = $Rig.Port)
        $env:PGPASSWORD = $Rig.Password
        try {
            & bash -c 'psql -X -h 127.0.0.1 -p "$1" -U cenate -d maestro_cenate -c "COPY $2 TO STDOUT WITH CSV HEADER" > "$3"' _ $Port $Table $OutFile
            if ($LASTEXITCODE -ne 0) { throw "psql COPY of $Table failed" }
        } finally { Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue }
        $OutFile
    }
    function Assert-NoFiles([string]$Dir) {
        if (Test-Path -LiteralPath $Dir) {
            @(Get-ChildItem -LiteralPath $Dir -Force -Recurse -File | Where-Object Name -ne '.cenate.lock') | Should -BeNullOrEmpty
        }
    }
    # Rows that make CSV hard, in a table of their own (the seeded asegurados has such rows too).
    Invoke-Psql -Sql @'
DROP TABLE IF EXISTS public.cenate_csv_edge, public.cenate_csv_one, "Esquema ""raro"""."Tabla con espacios";
DROP SCHEMA IF EXISTS "Esquema ""raro""";
CREATE TABLE public.cenate_csv_edge (id int PRIMARY KEY, t text, j jsonb, ts timestamptz, n numeric(14,4), b bytea);
INSERT INTO public.cenate_csv_edge VALUES
 (1, NULL, NULL, NULL, NULL, NULL),
 (2, '', '{}', '2024-02-29 23:59:59.123456+00', 0, ''),
 (3, 'comma, inside', '{"a": "x,y"}', '1969-12-31 19:00:00-05', -1.5, '\x00ff'),
 (4, 'quote " inside', '{"q": "say \"hi\""}', 'infinity', 123456789.1234, '\x0a0d'),
 (5, E'line\nbreak and \r return', '[1, 2, {"n": null}]', '-infinity', 'NaN', NULL),
 (6, E'tab\there \\ backslash', '"text"', '2000-01-01 00:00:00+14', 1e-4, '\x5c'),
 (7, 'Ñandú, Peña, Zoë, Agüero 🙂', '{"ñ": "ü"}', now(), 99.99, '\x'),
 (8, '\.', '"\\."', NULL, NULL, NULL),
 (9, '  spaces  ', 'null', NULL, NULL, NULL),
 (10, '"', '""', NULL, NULL, NULL),
 (11, 'N', '"\\N"', NULL, NULL, NULL),
 (12, E'\\N', NULL, NULL, NULL, NULL);
CREATE TABLE public.cenate_csv_one (v text);
INSERT INTO public.cenate_csv_one VALUES ('\.'), (''), (NULL), ('a'), (E'\\.'), ('.\');
CREATE SCHEMA "Esquema ""raro""";
CREATE TABLE "Esquema ""raro"""."Tabla con espacios" ("Columna, con coma" text, "x""y" int);
INSERT INTO "Esquema ""raro"""."Tabla con espacios" VALUES ('uno', 1), (NULL, 2), ('tres, "3"', NULL);
'@ | Out-Null
}

AfterAll {
    Invoke-Psql -Sql 'DROP TABLE IF EXISTS public.cenate_csv_edge, public.cenate_csv_one, public.cenate_csv_rt, public.cenate_csv_rt_edge; DROP SCHEMA IF EXISTS "Esquema ""raro""" CASCADE' | Out-Null
}

Describe 'Export-CenateAseguradosCsv in container mode' {
    BeforeAll {
        $script:Dir = New-TestDirectory 'csv'
        $script:Verbose = New-TestDirectory 'csvverbose'
        $script:Set = Export-CenateAseguradosCsv @C -Path $Dir -Verbose 4> $Verbose
        $script:Manifest = Get-Content -Raw -LiteralPath $Set.Path | ConvertFrom-Json
        $script:File = $Set.Files[0]
        $script:LiveRows = [long](Invoke-Psql -Sql 'SELECT count(*) FROM public.asegurados')
    }
    AfterAll { Remove-Item -LiteralPath $Dir, $Verbose -Recurse -Force -ErrorAction SilentlyContinue }

    It 'returns a typed set with one Csv file and the exact row count' {
        $Set | Should -BeOfType ([CenateBackup.PowerShell.Output.CenateBackupSet])
        $File | Should -BeOfType ([CenateBackup.PowerShell.Output.CenateBackupFile])
        $File.Kind | Should -Be 'Csv'
        $File.Name | Should -Be "$($Set.Database)_$($Set.Stamp).asegurados.csv.gz"
        $File.Rows | Should -Be $LiveRows
        $Set.AseguradosRows | Should -Be $LiveRows
        $Manifest.complete | Should -BeTrue
        $Manifest.files[0].rows | Should -Be $LiveRows
        $Manifest.files[0].sha256 | Should -Be (Get-Sha $File.Path).ToLowerInvariant()
        $Manifest.files[0].sha256 | Should -Be ((& sha256sum $File.Path) -split ' ')[0] -Because 'an independent tool agrees'
        $Manifest.files[0].size | Should -Be (Get-Item $File.Path).Length
    }

    It 'writes exactly the bytes of psql''s COPY … CSV HEADER (decompressed)' {
        $ours = Expand-Gzip $File.Path "$Dir/ours.csv"
        $theirs = Get-PsqlCsv -Table 'public.asegurados' -OutFile "$Dir/psql.csv"
        (Get-Item $ours).Length | Should -Be (Get-Item $theirs).Length
        Get-Sha $ours | Should -Be (Get-Sha $theirs)
        Remove-Item $ours, $theirs
    }

    It 'says in verbose output that rows travelled over TCP, and how the endpoint was found' {
        Get-Content -Raw $Verbose | Should -Match 'Rows travel over TCP 127\.0\.0\.1:\d+ \(host-network container'
    }

    It 'leaves only 0600 files in a 0700 directory, no partial file, and no password in the manifest' {
        Get-UnixMode $Dir | Should -Be '0700'
        Get-ChildItem -LiteralPath $Dir -File -Force | Where-Object Name -in @($File.Name, (Split-Path -Leaf $Set.Path)) |
            ForEach-Object { Get-UnixMode $_.FullName | Should -Be '0600' }
        Get-ChildItem -LiteralPath $Dir -Filter '*.partial' -Force | Should -BeNullOrEmpty
        Get-Content -Raw $Set.Path | Should -Not -Match ([regex]::Escape($Rig.Password))
    }

    It 'pipes into Test-CenateBackup, whose Read level counts the CSV records against the manifest' {
        $r = $Set | Test-CenateBackup
        $r.Passed | Should -BeTrue
        $r.Checks -join ';' | Should -Match 'gzip read \S+_\d{8}_\d{6}\.asegurados\.csv\.gz;.*row count \S+_\d{8}_\d{6}\.asegurados\.csv\.gz'
    }

    It 'makes Test-CenateBackup fail with RowCountMismatch when the manifest''s row count is not the file''s, and Truncated for a cut file' {
        $copy = New-TestDirectory 'csvtamper'
        New-Item -ItemType Directory -Path $copy | Out-Null
        try {
            Copy-Item -LiteralPath $File.Path, $Set.Path -Destination $copy
            $mpath = Join-Path $copy (Split-Path -Leaf $Set.Path)
            $m = Get-Content -Raw $mpath | ConvertFrom-Json
            $m.files[0].rows = $LiveRows + 1
            $m | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $mpath
            $r = Test-CenateBackup -Path $mpath
            $r.Passed | Should -BeFalse
            $r.Problems.Kind | Should -Contain 'RowCountMismatch'
            ($r.Problems | Where-Object Kind -eq 'RowCountMismatch').Message | Should -Match "$LiveRows rows in the file, the manifest says $($LiveRows + 1)"
            $csvCopy = Join-Path $copy $File.Name
            $bytes = [IO.File]::ReadAllBytes($csvCopy)
            [IO.File]::WriteAllBytes($csvCopy, $bytes[0..([int]($bytes.Length * 0.6))])
            $r2 = Test-CenateBackup -Path $csvCopy
            $r2.Passed | Should -BeFalse
            $r2.Problems.Kind | Should -Contain 'Truncated'
        } finally { Remove-Item -LiteralPath $copy -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'round-trips: COPY FROM of the file into an empty copy gives exactly the same rows' {
        $plain = Expand-Gzip $File.Path "$Dir/rt.csv"
        Invoke-Psql -Sql 'DROP TABLE IF EXISTS public.cenate_csv_rt; CREATE TABLE public.cenate_csv_rt (LIKE public.asegurados)' | Out-Null
        $env:PGPASSWORD = $Rig.Password
        & bash -c 'psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U cenate -d maestro_cenate -c "\copy public.cenate_csv_rt FROM STDIN WITH (FORMAT csv, HEADER)" < "$2"' _ $Rig.Port $plain
        Remove-Item env:PGPASSWORD
        Invoke-Psql -Sql 'SELECT count(*) FROM public.cenate_csv_rt' | Should -Be "$LiveRows"
        Invoke-Psql -Sql 'SELECT count(*) FROM (SELECT * FROM public.asegurados EXCEPT ALL SELECT * FROM public.cenate_csv_rt) d' | Should -Be '0'
        Invoke-Psql -Sql 'SELECT count(*) FROM (SELECT * FROM public.cenate_csv_rt EXCEPT ALL SELECT * FROM public.asegurados) d' | Should -Be '0'
        # The seeded table really has the hard cases this proves something about.
        Invoke-Psql -Sql "SELECT count(*) > 0 FROM public.cenate_csv_rt WHERE direccion LIKE E'%\n%' AND email IS NULL" | Should -Be 't'
        Invoke-Psql -Sql "SELECT count(*) > 0 FROM public.cenate_csv_rt WHERE apellido_paterno LIKE '%''%' OR apellido_paterno LIKE '%Ñ%'" | Should -Be 't'
        Remove-Item $plain
    }
}

Describe 'Export-CenateAseguradosCsv fidelity on hard values' {
    It 'exports <Table> byte-identical to psql and round-trips it exactly' -ForEach @(
        @{ Table = 'cenate_csv_edge'; Schema = 'public'; Sql = 'public.cenate_csv_edge' }
        @{ Table = 'cenate_csv_one'; Schema = 'public'; Sql = 'public.cenate_csv_one' }
        @{ Table = 'Tabla con espacios'; Schema = 'Esquema "raro"'; Sql = '"Esquema ""raro"""."Tabla con espacios"' }
    ) {
        $d = New-TestDirectory 'edge'
        try {
            $s = Export-CenateAseguradosCsv @H -Table $Table -Schema $Schema -Path $d
            $s.Files[0].Rows | Should -Be ([long](Invoke-Psql -Sql "SELECT count(*) FROM $Sql"))
            $ours = Expand-Gzip $s.Files[0].Path "$d/ours.csv"
            $theirs = Get-PsqlCsv -Table $Sql -OutFile "$d/psql.csv"
            Get-Sha $ours | Should -Be (Get-Sha $theirs)
            Invoke-Psql -Sql "DROP TABLE IF EXISTS public.cenate_csv_rt_edge; CREATE TABLE public.cenate_csv_rt_edge (LIKE $Sql)" | Out-Null
            $env:PGPASSWORD = $Rig.Password
            & bash -c 'psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U cenate -d maestro_cenate -c "\copy public.cenate_csv_rt_edge FROM STDIN WITH (FORMAT csv, HEADER)" < "$2"' _ $Rig.Port $ours
            Remove-Item env:PGPASSWORD
            # IS NOT DISTINCT FROM semantics: EXCEPT treats NULLs as equal and '' as different from NULL.
            Invoke-Psql -Sql "SELECT (SELECT count(*) FROM (SELECT * FROM $Sql EXCEPT ALL SELECT * FROM public.cenate_csv_rt_edge) a) + (SELECT count(*) FROM (SELECT * FROM public.cenate_csv_rt_edge EXCEPT ALL SELECT * FROM $Sql) b)" | Should -Be '0'
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'writes plain .csv with -NoCompression, byte-identical, and Test-CenateBackup reads it' {
        $d = New-TestDirectory 'plain'
        try {
            $s = Export-CenateAseguradosCsv @C -Path $d -NoCompression -Table cenate_csv_edge
            $s.Files[0].Name | Should -Match "^$($s.Database)_\d{8}_\d{6}\.cenate_csv_edge\.csv$"
            Get-Sha $s.Files[0].Path | Should -Be (Get-Sha (Get-PsqlCsv -Table 'public.cenate_csv_edge' -OutFile "$d/psql.csv"))
            (Get-Content -Raw $s.Path | ConvertFrom-Json).files[0].compression | Should -Be 'none'
            ($s | Test-CenateBackup).Passed | Should -BeTrue
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'honours -CompressionLevel: level 1 is larger than level 9, both decompress to the same bytes' {
        $d = New-TestDirectory 'levels'
        try {
            $fast = Export-CenateAseguradosCsv @C -Path "$d/1" -CompressionLevel 1
            $small = Export-CenateAseguradosCsv @C -Path "$d/9" -CompressionLevel 9
            $fast.Files[0].Size | Should -BeGreaterThan $small.Files[0].Size
            Get-Sha (Expand-Gzip $fast.Files[0].Path "$d/a.csv") | Should -Be (Get-Sha (Expand-Gzip $small.Files[0].Path "$d/b.csv"))
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'writes nothing with -WhatIf' {
        $d = New-TestDirectory 'whatif'
        Export-CenateAseguradosCsv @C -Path $d -WhatIf | Should -BeNullOrEmpty
        Test-Path -LiteralPath $d | Should -BeFalse
    }
}

Describe 'Export-CenateAseguradosCsv endpoint order' {
    It 'falls back to docker exec stdio when the container has no TCP endpoint, and says so' {
        $name = 'cenate_test_isolated'
        $out = & bash (Join-Path $Rig.Scripts 'rig.sh') container-isolated $name 55447 300 2>&1
        if ($LASTEXITCODE -ne 0) { throw "could not start ${name}: $out" }
        $d = New-TestDirectory 'exec'
        try {
            $s = Export-CenateAseguradosCsv -Container $name -Port 55447 -Credential $Cred -Path $d -Verbose 4> "$d.verbose"
            Get-Content -Raw "$d.verbose" | Should -Match 'docker exec stdio'
            $s.Files[0].Rows | Should -Be 300
            & bash -c 'docker exec "$1" psql -X -p 55447 -U cenate -d maestro_cenate -c "COPY asegurados TO STDOUT WITH CSV HEADER" > "$2"' _ $name "$d/psql.csv"
            Get-Sha (Expand-Gzip $s.Files[0].Path "$d/ours.csv") | Should -Be (Get-Sha "$d/psql.csv")
            { Export-CenateAseguradosCsv -Container $name -Port 55447 -Credential $Cred -Path $d -Table 'no_such; DROP TABLE asegurados' } |
                Should -Throw -ErrorId (& $Fqid 'TableNotFound')
            & docker exec $name psql -X -At -p 55447 -U cenate -d maestro_cenate -c 'SELECT count(*) FROM asegurados' | Should -Be '300'
        } finally {
            Remove-ThrowawayContainer $name
            Remove-Item -LiteralPath $d, "$d.verbose" -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'uses -TcpHost/-TcpPort before anything Docker reports' {
        $d = New-TestDirectory 'tcphost'
        try {
            $s = Export-CenateAseguradosCsv -Container $Rig.Container -Port 1 -TcpHost 127.0.0.1 -TcpPort $Rig.Port -Credential $Cred -Path $d -Table cenate_csv_edge -Verbose 4> "$d.verbose"
            Get-Content -Raw "$d.verbose" | Should -Match "explicit -TcpHost"
            $s.Files[0].Rows | Should -Be 12
        } finally { Remove-Item -LiteralPath $d, "$d.verbose" -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'One backup set, one moment: New-CenateDump -Include Csv,Sql' {
    It 'adds the CSV and data-only SQL of asegurados to the set; the CSV equals psql''s bytes and the SQL restores' {
        $d = New-TestDirectory 'include'
        try {
            $s = New-CenateDump @C -Path $d -Include Csv, Sql
            ($s.Files.Kind | Sort-Object) -join ',' | Should -Be 'Csv,Dump,Sql'
            $rows = [long](Invoke-Psql -Sql 'SELECT count(*) FROM public.asegurados')
            $csv = $s.Files | Where-Object Kind -eq Csv
            $sql = $s.Files | Where-Object Kind -eq Sql
            $csv.Name | Should -Be "$($s.Database)_$($s.Stamp).asegurados.csv.gz"
            $sql.Name | Should -Be "$($s.Database)_$($s.Stamp).asegurados.data.sql.gz"
            $csv.Rows | Should -Be $rows
            $sql.Rows | Should -Be $rows
            Get-Sha (Expand-Gzip $csv.Path "$d/ours.csv") | Should -Be (Get-Sha (Get-PsqlCsv -Table 'public.asegurados' -OutFile "$d/psql.csv"))
            # The SQL script restores into an empty copy of the table and gives the same rows. It runs in a database of
            # its own: the script's setval would otherwise move the live maestro_cenate sequence other suites use.
            $copy = 't13_include_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            Copy-TestDatabase -Name $copy
            try {
                $seq = Invoke-Psql -Sql 'SELECT last_value FROM public.asegurados_id_seq'
                # The copy may carry the round-trip test's table from maestro_cenate: start from an empty one.
                Invoke-Psql -Database $copy -Sql 'DROP TABLE IF EXISTS public.cenate_csv_rt; CREATE TABLE public.cenate_csv_rt (LIKE public.asegurados)' | Out-Null
                $script = (Expand-Gzip $sql.Path "$d/data.sql")
                (Get-Content -Raw $script) -replace '"public"\."asegurados"', '"public"."cenate_csv_rt"' | Set-Content -NoNewline "$d/data2.sql"
                $env:PGPASSWORD = $Rig.Password
                & psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $Rig.Port -U cenate -d $copy -f "$d/data2.sql" | Out-Null
                $LASTEXITCODE | Should -Be 0
                Remove-Item env:PGPASSWORD
                Invoke-Psql -Database $copy -Sql 'SELECT (SELECT count(*) FROM (SELECT * FROM public.asegurados EXCEPT ALL SELECT * FROM public.cenate_csv_rt) a) + (SELECT count(*) FROM (SELECT * FROM public.cenate_csv_rt EXCEPT ALL SELECT * FROM public.asegurados) b)' | Should -Be '0'
                Invoke-Psql -Database $copy -Sql 'SELECT count(*) FROM public.cenate_csv_rt' | Should -Be "$rows"
                Invoke-Psql -Sql 'SELECT last_value FROM public.asegurados_id_seq' | Should -Be $seq -Because 'the live sequence is never touched'
            } finally { Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $copy WITH (FORCE)" | Out-Null }
            Get-Content -Raw $script | Should -Match "SELECT pg_catalog\.setval\('public\.asegurados_id_seq', \d+, true\);"
            ($s | Test-CenateBackup).Passed | Should -BeTrue
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'gives the CSV, the SQL and the dump exactly the manifest''s row count while rows are deleted and inserted' {
        $c = Start-ThrowawayContainer -Name cenate_test_churn -Port 55445 -Rows 400000
        $d = New-TestDirectory 'churn'
        $stop = [System.Threading.ManualResetEventSlim]::new($false)
        $done = [System.Collections.Concurrent.ConcurrentBag[int]]::new()
        try {
            # A writer that keeps deleting and inserting asegurados rows (each statement commits on its own).
            $writer = Start-ThreadJob -ScriptBlock {
                param($port, $password, $stop, $done)
                $env:PGPASSWORD = $password
                $sql = @'
DELETE FROM asegurados WHERE id IN (SELECT id FROM asegurados ORDER BY random() LIMIT 300);
INSERT INTO asegurados (tipo_documento, numero_documento, apellido_paterno, nombres, fecha_nacimiento, sexo, ubigeo, tipo_seguro, codigo_ipress, fecha_afiliacion)
SELECT 'CE', 'X' || (random() * 1e9)::bigint, 'Churn', 'Fila', DATE '1990-01-01', 'F', '150101', 'SIS', (SELECT min(codigo) FROM ipress), DATE '2024-01-01' FROM generate_series(1, 200);
'@
                $i = 0
                while (-not $stop.IsSet) {
                    & psql -X -q -h 127.0.0.1 -p $port -U cenate -d maestro_cenate -c $sql 2>&1 | Out-Null
                    if ($LASTEXITCODE -eq 0) { $done.Add(++$i) }
                }
            } -ArgumentList $c.Port, $Rig.Password, $stop, $done
            # The writer must really be writing before the set starts: wait for two commits, with a deadline.
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            while ($done.Count -lt 2 -and $writer.State -in 'NotStarted', 'Running' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            $done.Count | Should -BeGreaterOrEqual 2 -Because "the writer must commit before the set starts (writer state $($writer.State))"
            # Level 1: the exports read the table with a COPY of their own; level 6: from pg_dump's data as it is compressed.
            $sets = @{}
            foreach ($level in 1, 6) {
                $before = $done.Count
                $sets[$level] = New-CenateDump -Container $c.Name -Port $c.Port -Credential $Cred -Path "$d/$level" -Include Csv, Sql -CompressionLevel $level
                ($done.Count - $before) | Should -BeGreaterThan 2 -Because "the table must really change while the level-$level set is written, or this proves nothing"
            }
            $stop.Set(); $writer | Wait-Job -Timeout 60 | Out-Null; $writer | Remove-Job -Force

            foreach ($level in 1, 6) {
                $s = $sets[$level]
                $m = Get-Content -Raw $s.Path | ConvertFrom-Json
                $expected = [long]$m.rowCounts.'public.asegurados'
                $csv = $s.Files | Where-Object Kind -eq Csv
                $sql = $s.Files | Where-Object Kind -eq Sql
                $dump = $s.Files | Where-Object Kind -eq Dump
                # Counted from the files themselves, not from the manifest.
                $csvRecords = [long](& bash -c 'gzip -dc "$1" | python3 -c "import csv,sys; print(sum(1 for _ in csv.reader(sys.stdin)) - 1)"' _ $csv.Path)
                $sqlRows = [long](& bash -c 'gzip -dc "$1" | awk "/^COPY /{c=1;next} /^\\\\\\.$/{c=0} c{n++} END{print n+0}"' _ $sql.Path)
                $dumpRows = Restore-IntoScratch -DumpPath $dump.Path -Port $c.Port
                $final = [long](Invoke-Psql -Sql 'SELECT count(*) FROM asegurados' -Port $c.Port)
                $final | Should -Not -Be $expected -Because 'the writer changed the row count after the snapshot'
                $csvRecords | Should -Be $expected -Because "level $level"
                $sqlRows | Should -Be $expected -Because "level $level"
                $dumpRows | Should -Be $expected -Because "level $level"
                $csv.Rows | Should -Be $expected
                $sql.Rows | Should -Be $expected
            }
        } finally {
            $stop.Set()
            Remove-ThrowawayContainer $c.Name
            Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

Describe 'New-CenateDump -Include reads each table once, and writes the same files either way' {
    BeforeAll {
        # The decompressed content of a set's SQL and CSV, with the one line that names the snapshot taken out.
        function Get-ExportContent([Parameter(Mandatory)]$Set, [Parameter(Mandatory)][string]$Dir, [string]$Tag) {
            $sql = Expand-Gzip ($Set.Files | Where-Object Kind -eq Sql).Path "$Dir/$Tag.sql"
            $csv = Expand-Gzip ($Set.Files | Where-Object Kind -eq Csv).Path "$Dir/$Tag.csv"
            [pscustomobject]@{
                Sql = ((Get-Content -Raw $sql) -replace '(?m)^-- Server version .*$', '-- (snapshot line)')
                Csv = Get-Sha $csv
            }
        }
        function Get-ManifestFile($Set, [string]$Kind) {
            (Get-Content -Raw $Set.Path | ConvertFrom-Json).files | Where-Object kind -eq $Kind
        }
        function Split-Verbose([object[]]$Output) {
            [pscustomobject]@{
                Objects = @($Output | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
                Said    = ($Output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
            }
        }
    }

    It 'takes the rows from pg_dump''s own data at level <Level>, and the files equal those of a COPY of their own (level 1)' -ForEach @(
        @{ Level = 6; SqlLevel = 6 }
        @{ Level = 9; SqlLevel = 9 }
    ) {
        $d = New-TestDirectory "once$Level"
        try {
            $copy = Split-Verbose @(New-CenateDump @C -Path "$d/copy" -Include Csv, Sql -CompressionLevel 1 -Verbose 4>&1)
            $copy.Said | Should -Match 'a COPY of their own: pg_dump''s data is not rewritten at level 1'
            $tap = Split-Verbose @(New-CenateDump @C -Path "$d/tap" -Include Csv, Sql -CompressionLevel $Level -Verbose 4>&1)
            $tap.Said | Should -Match 'public\.asegurados: its exports are written from pg_dump''s own data'
            $tap.Said | Should -Match 'the archive''s compressed rows, level'
            $a = Get-ExportContent $copy.Objects[0] $d 'copy'
            $b = Get-ExportContent $tap.Objects[0] $d 'tap'
            $b.Sql | Should -BeExactly $a.Sql
            $b.Csv | Should -Be $a.Csv
            # The SQL shares the archive's compressed rows: it is at the archive's level, at least the one asked for.
            (Get-ManifestFile $tap.Objects[0] 'sql').compressionLevel | Should -Be $SqlLevel
            (Get-ManifestFile $tap.Objects[0] 'csv').compressionLevel | Should -Be 6
            (Get-ManifestFile $tap.Objects[0] 'sql').rows | Should -Be (Get-ManifestFile $copy.Objects[0] 'sql').rows
            & gzip -t ($tap.Objects[0].Files | Where-Object Kind -eq Sql).Path
            $LASTEXITCODE | Should -Be 0
            ($tap.Objects[0] | Test-CenateBackup -Level Read).Passed | Should -BeTrue
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'compresses the SQL itself when -ExportCompressionLevel asks for more than the archive has' {
        $d = New-TestDirectory 'oncestronger'
        try {
            $s = New-CenateDump @C -Path $d -Include Sql -CompressionLevel 6 -ExportCompressionLevel 9
            (Get-ManifestFile $s 'sql').compressionLevel | Should -Be 9
            ($s | Test-CenateBackup -Level Read).Passed | Should -BeTrue
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'exports two critical tables at once from the archive, each equal to psql''s CSV' {
        $d = New-TestDirectory 'oncetwo'
        try {
            $s = New-CenateDump @C -Path $d -CriticalTable asegurados, ipress -Include Csv, Sql
            @($s.Files | Where-Object Kind -eq Csv).Count | Should -Be 2
            @($s.Files | Where-Object Kind -eq Sql).Count | Should -Be 2
            foreach ($t in 'asegurados', 'ipress') {
                $csv = $s.Files | Where-Object { $_.Kind -eq 'Csv' -and $_.Name -like "*.$t.csv.gz" }
                Get-Sha (Expand-Gzip $csv.Path "$d/$t.csv") | Should -Be (Get-Sha (Get-PsqlCsv -Table "public.$t" -OutFile "$d/$t.psql.csv"))
            }
            ($s | Test-CenateBackup -Level Read).Passed | Should -BeTrue
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'writes odd tables from the archive exactly as a COPY of their own does: empty, generated and dropped columns, an odd name' {
        Invoke-Psql -Sql @'
DROP TABLE IF EXISTS public.t18_empty, public."T18 odd ""name""";
CREATE TABLE public.t18_empty (id int PRIMARY KEY, v text);
CREATE TABLE public."T18 odd ""name""" (id int, gone text, v text, g int GENERATED ALWAYS AS (id * 2) STORED);
INSERT INTO public."T18 odd ""name""" (id, gone, v)
SELECT i, 'x', CASE WHEN i % 3 = 0 THEN NULL WHEN i % 3 = 1 THEN E'tab\there, "q" \\ ñ' ELSE '' END FROM generate_series(1, 5000) AS i;
ALTER TABLE public."T18 odd ""name""" DROP COLUMN gone;
'@ | Out-Null
        $d = New-TestDirectory 'onceodd'
        try {
            $tables = 't18_empty', 'T18 odd "name"'
            $copy = New-CenateDump @C -Path "$d/copy" -Table $tables -CriticalTable $tables -Include Csv, Sql -CompressionLevel 1
            $tap = Split-Verbose @(New-CenateDump @C -Path "$d/tap" -Table $tables -CriticalTable $tables -Include Csv, Sql -Verbose 4>&1)
            foreach ($t in $tables) { $tap.Said | Should -Match ([regex]::Escape("public.$t") + ': its exports are written from pg_dump''s own data') }
            foreach ($f in $copy.Files | Where-Object Kind -in Csv, Sql) {
                $other = $tap.Objects[0].Files | Where-Object Name -eq ($f.Name -replace [regex]::Escape($copy.Stamp), $tap.Objects[0].Stamp)
                $other | Should -Not -BeNullOrEmpty
                $other.Rows | Should -Be $f.Rows
                $a = (Get-Content -Raw (Expand-Gzip $f.Path "$d/a.$($f.Kind)")) -replace '(?m)^-- Server version .*$', ''
                $b = (Get-Content -Raw (Expand-Gzip $other.Path "$d/b.$($f.Kind)")) -replace '(?m)^-- Server version .*$', ''
                $b | Should -BeExactly $a -Because $f.Name
            }
            ($copy.Files | Where-Object { $_.Kind -eq 'Csv' -and $_.Name -like '*t18_empty*' }).Rows | Should -Be 0
            ($copy.Files | Where-Object { $_.Kind -eq 'Csv' -and $_.Name -like '*odd*' }).Rows | Should -Be 5000
            ($tap.Objects[0] | Test-CenateBackup -Level Read).Passed | Should -BeTrue
        } finally {
            Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
            Invoke-Psql -Sql 'DROP TABLE IF EXISTS public.t18_empty, public."T18 odd ""name"""' | Out-Null
        }
    }

    It 'stops with an error, not a hang, when one of two tapped exports fails before the archive reaches its rows' {
        # Two critical tables with the same name in two schemas: the second export's files cannot be created (the
        # names are taken), so that export fails before it tells the archive rewrite what it wants.
        Invoke-Psql -Sql 'DROP SCHEMA IF EXISTS t18dup CASCADE; CREATE SCHEMA t18dup; CREATE TABLE t18dup.asegurados AS SELECT * FROM public.asegurados LIMIT 100' | Out-Null
        $d = New-TestDirectory 'oncedup'
        try {
            $job = Start-ThreadJob -ScriptBlock {
                param($module, $c, $d)
                Import-Module $module
                try { New-CenateDump @c -Path $d -Table public.asegurados, t18dup.asegurados -CriticalTable public.asegurados, t18dup.asegurados -Include Csv, Sql -ErrorAction Stop | Out-Null; 'no error' }
                catch { $_.FullyQualifiedErrorId }
            } -ArgumentList (Get-ModuleManifestPath), $C, $d
            $job | Wait-Job -Timeout 120 | Out-Null
            $job.State | Should -Be 'Completed' -Because 'the run must end by itself'
            $id = $job | Receive-Job
            $job | Remove-Job -Force
            $id | Should -Not -Be 'no error'
            $id | Should -Match 'NewCenateDumpCommand$'
            @(Get-ChildItem -LiteralPath $d -Force -ErrorAction SilentlyContinue | Where-Object Name -ne '.cenate.lock') | Should -BeNullOrEmpty
        } finally {
            Get-Job | Where-Object State -eq Running | Stop-Job -ErrorAction SilentlyContinue
            Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
            Invoke-Psql -Sql 'DROP SCHEMA IF EXISTS t18dup CASCADE' | Out-Null
        }
    }

    It 'reads with a COPY of its own when the database''s DateStyle is not pg_dump''s ISO, and the CSV still equals psql''s' {
        $db = 't18_datestyle_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $d = New-TestDirectory 'oncedatestyle'
        Copy-TestDatabase -Name $db
        try {
            Invoke-Psql -Database postgres -Sql "ALTER DATABASE $db SET DateStyle = 'SQL, DMY'" | Out-Null
            $r = Split-Verbose @(New-CenateDump @C -Database $db -Path $d -Include Csv, Sql -Verbose 4>&1)
            $r.Said | Should -Match 'a COPY of their own, not from pg_dump''s data: DateStyle is ''SQL, DMY'''
            $env:PGPASSWORD = $Rig.Password
            try {
                & bash -c 'psql -X -h 127.0.0.1 -p "$1" -U cenate -d "$2" -c "COPY public.asegurados TO STDOUT WITH CSV HEADER" > "$3"' _ $Rig.Port $db "$d/psql.csv"
            } finally { Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue }
            $ours = Expand-Gzip ($r.Objects[0].Files | Where-Object Kind -eq Csv).Path "$d/ours.csv"
            Get-Sha $ours | Should -Be (Get-Sha "$d/psql.csv")
            Get-Content -TotalCount 2 $ours | Select-Object -Last 1 | Should -Match '\d{2}/\d{2}/\d{4}' -Because 'the dates are written as this database writes them'
        } finally {
            Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
            Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $db WITH (FORCE)" | Out-Null
        }
    }

    It 'reads with a COPY of its own when pg_dump''s session would write another client_encoding, and the CSV is still UTF-8 and equal to psql''s' {
        $db = 't18_enc_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $d = New-TestDirectory 'onceenc'
        Copy-TestDatabase -Name $db
        try {
            # A legacy client setting on the database: pg_dump (libpq sends no client_encoding) writes LATIN1.
            Invoke-Psql -Database postgres -Sql "ALTER DATABASE $db SET client_encoding = 'LATIN1'" | Out-Null
            # Only asegurados: its text is all Latin-1 (other tables of the copy hold emoji, which LATIN1 cannot carry).
            $r = Split-Verbose @(New-CenateDump @C -Database $db -Path $d -Table public.asegurados -Include Csv, Sql -Verbose 4>&1)
            $r.Said | Should -Match "public\.asegurados: pg_dump wrote its data with SET client_encoding = 'LATIN1';, the exports are UTF-8; its exports read it with a COPY of their own"
            $env:PGPASSWORD = $Rig.Password
            $env:PGCLIENTENCODING = 'UTF8'
            try {
                & bash -c 'psql -X -h 127.0.0.1 -p "$1" -U cenate -d "$2" -c "COPY public.asegurados TO STDOUT WITH CSV HEADER" > "$3"' _ $Rig.Port $db "$d/psql.csv"
            } finally { Remove-Item env:PGPASSWORD, env:PGCLIENTENCODING -ErrorAction SilentlyContinue }
            $ours = Expand-Gzip ($r.Objects[0].Files | Where-Object Kind -eq Csv).Path "$d/ours.csv"
            Get-Sha $ours | Should -Be (Get-Sha "$d/psql.csv")
            (Get-Content -Raw $ours) | Should -Match 'ñ' -Because 'the seeded names hold ñ, read back as UTF-8'
            ($r.Objects[0] | Test-CenateBackup -Level Read).Passed | Should -BeTrue
        } finally {
            Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
            Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $db WITH (FORCE)" | Out-Null
        }
    }

    It 'reads with a COPY of its own when the local pg_dump would see PGTZ, and the CSV equals psql''s under the same environment' {
        $d = New-TestDirectory 'oncepgtz'
        $env:PGTZ = 'America/Lima'
        try {
            $r = Split-Verbose @(New-CenateDump @H -Path $d -Include Csv -Verbose 4>&1)
            $r.Said | Should -Match 'PGTZ is set for the local pg_dump'
            $ours = Expand-Gzip ($r.Objects[0].Files | Where-Object Kind -eq Csv).Path "$d/ours.csv"
            Get-Sha $ours | Should -Be (Get-Sha (Get-PsqlCsv -Table 'public.asegurados' -OutFile "$d/psql.csv"))
        } finally {
            Remove-Item env:PGTZ -ErrorAction SilentlyContinue
            Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

Describe 'Export-CenateAseguradosCsv bad input and faults' {
    It 'says TableNotFound for a table or schema that does not exist, and never runs a name as SQL' {
        # A canary of this run's own (unique name), dropped afterwards: no leftover in the shared maestro_cenate.
        $canary = 't13_canary_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Invoke-Psql -Sql "CREATE TABLE $canary (id int); INSERT INTO $canary VALUES (1)" | Out-Null
        $d = New-TestDirectory 'notable'
        try {
            $e = { Export-CenateAseguradosCsv @C -Table 'no_such_table' -Path $d } | Should -Throw -ErrorId (& $Fqid 'TableNotFound') -PassThru
            $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $e.ErrorDetails.RecommendedAction | Should -Match '-Table'
            { Export-CenateAseguradosCsv @C -Schema 'no_such_schema' -Path $d } | Should -Throw -ErrorId (& $Fqid 'TableNotFound')
            { Export-CenateAseguradosCsv @C -Table "asegurados; DROP TABLE $canary" -Path $d } | Should -Throw -ErrorId (& $Fqid 'TableNotFound')
            { Export-CenateAseguradosCsv @H -Table "asegurados`" TO STDOUT; DROP TABLE $canary; --" -Path $d } | Should -Throw -ErrorId (& $Fqid 'TableNotFound')
            Invoke-Psql -Sql "SELECT count(*) FROM $canary" | Should -Be '1'
            Assert-NoFiles $d
        } finally {
            Invoke-Psql -Sql "DROP TABLE IF EXISTS $canary" | Out-Null
            Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'says InsufficientPrivilege for a role without SELECT on the table, and leaves no file' {
        # A role of this run's own (unique name; concurrent runs never share it), revoked and dropped afterwards.
        $role = 't13_noselect_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Invoke-Psql -Sql "CREATE ROLE $role LOGIN PASSWORD '$($Rig.Password)'; GRANT CONNECT ON DATABASE maestro_cenate TO $role" | Out-Null
        $d = New-TestDirectory 'nosel'
        try {
            $e = { Export-CenateAseguradosCsv @C -Credential (Get-TestCredential -User $role) -Path $d } | Should -Throw -ErrorId (& $Fqid 'InsufficientPrivilege') -PassThru
            $e.CategoryInfo.Category | Should -Be 'PermissionDenied'
            Assert-NoFiles $d
        } finally {
            Invoke-Psql -Sql "REVOKE ALL ON DATABASE maestro_cenate FROM $role; DROP OWNED BY $role; DROP ROLE $role" | Out-Null
            Invoke-Psql -Database postgres -Sql "SELECT count(*) FROM pg_roles WHERE rolname = '$role'" | Should -Be '0'
            Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'says AuthenticationFailed, DatabaseNotFound and ContainerNotFound clearly' {
        $d = New-TestDirectory 'badlogin'
        $wrong = 'Wr0ng-' + [guid]::NewGuid().ToString('N')
        $e = { Export-CenateAseguradosCsv @C -Credential (Get-TestCredential -Password $wrong) -Path $d } | Should -Throw -ErrorId (& $Fqid 'AuthenticationFailed') -PassThru
        ($e | Out-String) + $e.Exception.ToString() | Should -Not -Match ([regex]::Escape($wrong))
        { Export-CenateAseguradosCsv @C -Database 'cenate_no_such_db' -Path $d } | Should -Throw -ErrorId (& $Fqid 'DatabaseNotFound')
        { Export-CenateAseguradosCsv -Container 'cenate_no_such_container' -Credential $Cred -Path $d } | Should -Throw -ErrorId (& $Fqid 'ContainerNotFound')
        Assert-NoFiles $d
    }

    It 'says DiskFull when the disk fills during the export and leaves no file' {
        $mnt = New-TestDirectory 'full'
        New-Item -ItemType Directory -Path $mnt | Out-Null
        & mount -t tmpfs -o size=256k tmpfs $mnt
        try {
            $e = { Export-CenateAseguradosCsv @C -Path $mnt -NoCompression } | Should -Throw -ErrorId (& $Fqid 'DiskFull') -PassThru
            $e.CategoryInfo.Category | Should -Be 'WriteError'
            @(Get-ChildItem -LiteralPath $mnt -Force | Where-Object Name -ne '.cenate.lock') | Should -BeNullOrEmpty
            # New-CenateDump -Include: the exports fill the disk; no file of the run stays.
            { New-CenateDump @C -Path $mnt -Include Csv, Sql -CompressionLevel 0 } | Should -Throw -ErrorId 'DiskFull,CenateBackup.PowerShell.Commands.NewCenateDumpCommand'
            @(Get-ChildItem -LiteralPath $mnt -Force | Where-Object Name -ne '.cenate.lock') | Should -BeNullOrEmpty
        } finally { & umount $mnt; Remove-Item -LiteralPath $mnt -Force }
    }

    It 'says DiskFull at level <Level> when the disk fills while the exports are written from the archive, stops pg_dump and leaves no file' -ForEach @(
        @{ Level = 6; Size = '1m' }    # the first file to fill the disk may be the dump, the SQL or the CSV
        @{ Level = 9; Size = '2500k' }
    ) {
        $mnt = New-TestDirectory 'fulltap'
        New-Item -ItemType Directory -Path $mnt | Out-Null
        & mount -t tmpfs -o "size=$Size" tmpfs $mnt
        try {
            $e = { New-CenateDump @C -Path $mnt -Include Csv, Sql -CompressionLevel $Level } |
                Should -Throw -ErrorId 'DiskFull,CenateBackup.PowerShell.Commands.NewCenateDumpCommand' -PassThru
            $e.CategoryInfo.Category | Should -Be 'WriteError'
            @(Get-ChildItem -LiteralPath $mnt -Force | Where-Object Name -ne '.cenate.lock') | Should -BeNullOrEmpty
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while ((Get-ContainerProcessLines $Rig.Container | Where-Object { $_ -match 'pg_dump' }) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
            @(Get-ContainerProcessLines $Rig.Container | Where-Object { $_ -match 'pg_dump' }) | Should -BeNullOrEmpty
        } finally { & umount $mnt; Remove-Item -LiteralPath $mnt -Force }
    }

    Context 'on a container with 300,000 rows' {
        BeforeAll { $script:Big = Start-ThrowawayContainer -Name cenate_test_csvfault -Port 55446 -Rows 300000 }
        AfterAll { Remove-ThrowawayContainer $Big.Name }

        It 'says ConnectionLost when the server session is killed mid-export (pg_terminate_backend), and leaves no file' {
            $d = New-TestDirectory 'killed'
            try {
                $job = Invoke-InBackground -Script {
                    param($Container, $Port, $Credential, $Path)
                    try { Export-CenateAseguradosCsv -Container $Container -Port $Port -Credential $Credential -Path $Path -CompressionLevel 9 } catch { $_ }
                } -Arguments @{ Container = $Big.Name; Port = $Big.Port; Credential = $Cred; Path = $d }
                $null = Wait-ForFile -Directory $d -Filter '*.csv.gz.*.partial' -MinimumSize 1
                Invoke-Psql -Port $Big.Port -Sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'CenateBackup' AND query LIKE 'COPY%'" | Should -Be '1'
                $caught = $job.PowerShell.EndInvoke($job.Handle) | Select-Object -First 1
                $caught | Should -BeOfType ([System.Management.Automation.ErrorRecord])
                $caught.FullyQualifiedErrorId | Should -Be (& $Fqid 'ConnectionLost')
                $caught.CategoryInfo.Category | Should -Be 'ConnectionError'
                Assert-NoFiles $d
            } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
        }

        It 'cancels the COPY on the server and removes the partial file on Ctrl+C' {
            $d = New-TestDirectory 'cancel'
            try {
                $job = Invoke-InBackground -Script {
                    param($Container, $Port, $Credential, $Path)
                    Export-CenateAseguradosCsv -Container $Container -Port $Port -Credential $Credential -Path $Path -CompressionLevel 9
                } -Arguments @{ Container = $Big.Name; Port = $Big.Port; Credential = $Cred; Path = $d }
                $null = Wait-ForFile -Directory $d -Filter '*.csv.gz.*.partial' -MinimumSize 1
                Invoke-Psql -Port $Big.Port -Sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'CenateBackup' AND query LIKE 'COPY%' AND state = 'active'" | Should -Be '1'
                $job.PowerShell.Stop()
                $job.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
                Assert-NoFiles $d
                $deadline = [DateTime]::UtcNow.AddSeconds(10)
                while ((Invoke-Psql -Port $Big.Port -Sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'CenateBackup' AND query LIKE 'COPY%' AND state = 'active'") -ne '0' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
                Invoke-Psql -Port $Big.Port -Sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'CenateBackup' AND query LIKE 'COPY%' AND state = 'active'" | Should -Be '0'
            } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
        }

        It 'says ContainerStoppedDuringOperation when the container stops mid-export, and leaves no file' {
            $d = New-TestDirectory 'midstop'
            try {
                $job = Invoke-InBackground -Script {
                    param($Container, $Port, $Credential, $Path)
                    try { Export-CenateAseguradosCsv -Container $Container -Port $Port -Credential $Credential -Path $Path -CompressionLevel 9 } catch { $_ }
                } -Arguments @{ Container = $Big.Name; Port = $Big.Port; Credential = $Cred; Path = $d }
                $null = Wait-ForFile -Directory $d -Filter '*.csv.gz.*.partial' -MinimumSize 1
                Invoke-Psql -Port $Big.Port -Sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'CenateBackup' AND query LIKE 'COPY%' AND state = 'active'" |
                    Should -Be '1' -Because 'the COPY must still be running when the container stops'
                & docker kill $Big.Name | Out-Null
                $caught = $job.PowerShell.EndInvoke($job.Handle) | Select-Object -First 1
                $caught | Should -BeOfType ([System.Management.Automation.ErrorRecord])
                $caught.FullyQualifiedErrorId | Should -Be (& $Fqid 'ContainerStoppedDuringOperation')
                $caught.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
                Assert-NoFiles $d
            } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
        }
    }
}
