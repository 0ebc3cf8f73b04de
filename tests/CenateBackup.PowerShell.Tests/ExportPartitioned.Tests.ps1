#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Exports of partitioned tables (issue 22): Export-CenateAseguradosCsv and New-CenateDump -Include Csv,Sql read a
# partitioned table (at any level) through all its partitions, byte for byte what psql's
# COPY (SELECT … FROM t) TO STDOUT WITH (FORMAT csv, HEADER) prints, over TCP and through docker exec; plain and
# inheritance tables keep COPY t TO (own rows only). Uses the broad fixture (tests/sql/broad-schema.sql).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Db = 't22e_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:H = @{ HostName = '127.0.0.1'; Port = $Rig.Port; Credential = $Cred; Database = $Db }

    # The class of the problem beyond the fixture: quoted names with quotes and commas, a dropped column in the parent,
    # a partition with another physical column order (and a dropped column of its own) attached as the default, a
    # generated column, hard values; and a partitioned table with no partition at all.
    $script:OddSql = @'
CREATE SCHEMA "Part ""raro""";
CREATE TABLE "Part ""raro"""."Tabla, part" (
  id int NOT NULL, borrar text, "Fecha ""x""" date NOT NULL, nota text,
  doble int GENERATED ALWAYS AS (id * 2) STORED, PRIMARY KEY (id, "Fecha ""x""")
) PARTITION BY LIST ("Fecha ""x""");
ALTER TABLE "Part ""raro"""."Tabla, part" DROP COLUMN borrar;
CREATE TABLE "Part ""raro"""."p1" PARTITION OF "Part ""raro"""."Tabla, part" FOR VALUES IN ('2026-01-01');
CREATE TABLE "Part ""raro"""."p2" (nota text, extra int, "Fecha ""x""" date NOT NULL, id int NOT NULL,
  doble int GENERATED ALWAYS AS (id * 2) STORED);
ALTER TABLE "Part ""raro"""."p2" DROP COLUMN extra;
INSERT INTO "Part ""raro"""."p2" (nota, "Fecha ""x""", id) VALUES
  (E'línea\nnueva, "comillas"', '2026-02-01', 2), (NULL, '2026-02-01', 3), ('', '2026-02-01', 4),
  ('\.', '2026-03-01', 5);
ALTER TABLE "Part ""raro"""."Tabla, part" ATTACH PARTITION "Part ""raro"""."p2" DEFAULT;
INSERT INTO "Part ""raro"""."Tabla, part" (id, "Fecha ""x""", nota) VALUES (1, '2026-01-01', E'ñandú \\ barra\ttab');
CREATE TABLE "Part ""raro""".vacia (a int) PARTITION BY RANGE (a);
-- Statistics of the leaves only, as autovacuum leaves them (it never analyzes a partitioned parent: reltuples -1).
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT c.oid::regclass AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname IN ('broad', 'Part "raro"') LOOP
    EXECUTE 'ANALYZE ' || r.t;
  END LOOP;
END $$;
'@
    $script:OddTable = 'Part "raro".Tabla, part'
    # psql's SELECT * of the odd table: its generated column included.
    $script:OddSelect = 'SELECT * FROM "Part ""raro"""."Tabla, part"'

    New-BroadDatabase -Name $Db
    Invoke-Psql -Database $Db -Sql $OddSql | Out-Null

    function Get-PsqlCopy {
        # psql's own output of COPY <what> TO STDOUT WITH (FORMAT csv, HEADER), as bytes, into a file.
        param([Parameter(Mandatory)][string]$What, [Parameter(Mandatory)][string]$OutFile, [string]$Database = $Db,
            [int]$Port = $Rig.Port)
        $copy = 'psql -X -h 127.0.0.1 -p "$1" -U cenate -d "$2" -c "COPY $3 TO STDOUT WITH (FORMAT csv, HEADER)" > "$4"'
        $env:PGPASSWORD = $Rig.Password
        try {
            & bash -c $copy _ $Port $Database $What $OutFile
            if ($LASTEXITCODE -ne 0) { throw "psql COPY $What failed" }
        } finally { Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue }
        $OutFile
    }
    function Get-RowsMd5([string]$Database, [string]$Table, [string]$OrderBy) {
        $agg = "string_agg(t::text, E'\n' ORDER BY $OrderBy)"
        Invoke-Psql -Database $Database -Sql "SELECT count(*) || ' ' || md5(coalesce($agg, '')) FROM $Table t"
    }
    function Get-Placement([string]$Database) {
        # Which partition holds how many rows: restored rows must be routed to the same partitions.
        Invoke-Psql -Database $Database -Sql ("SELECT string_agg(p || '=' || n, ',' ORDER BY p) FROM " +
            '(SELECT tableoid::regclass::text p, count(*) n FROM broad.atenciones GROUP BY 1) s')
    }
}

AfterAll {
    Remove-TestDatabase $Db
}

Describe 'Export-CenateAseguradosCsv of partitioned tables over TCP' {
    It 'exports <Table> (<Why>) byte-identical to psql''s COPY (<Select>)' -ForEach @(
        @{ Table = 'broad.atenciones'; Why = '2 levels, 6 leaf partitions, a default'
            Select = 'SELECT * FROM broad.atenciones'; Rows = 1200 }
        @{ Table = 'broad.atenciones_2026_02'; Why = 'a sub-partitioned middle level'
            Select = 'SELECT * FROM broad.atenciones_2026_02'; Rows = -1 }
        @{ Table = 'broad.dispensaciones'; Why = 'hash partitions'
            Select = 'SELECT * FROM broad.dispensaciones'; Rows = 1200 }
        @{ Table = 'Part "raro".Tabla, part'
            Why = 'quoted names, dropped columns, a reordered default partition, a generated column'
            Select = 'ODD'; Rows = 5 }
        @{ Table = 'Part "raro".vacia'; Why = 'no partition at all'
            Select = 'SELECT * FROM "Part ""raro""".vacia'; Rows = 0 }
    ) {
        $select = if ($Select -eq 'ODD') { $OddSelect } else { $Select }
        $expected = $Rows
        if ($Rows -lt 0) { $expected = [long](Invoke-Psql -Database $Db -Sql "SELECT count(*) FROM ($select) s") }
        $expected | Should -BeGreaterOrEqual 0
        $d = New-TestDirectory 'part'
        try {
            $s = Export-CenateAseguradosCsv @H -Table $Table -Path $d -Verbose 4> "$d.verbose"
            $s.Files.Count | Should -Be 1
            $s.Files[0].Rows | Should -Be $expected
            (Get-Content -Raw $s.Path | ConvertFrom-Json).rowCounts.$Table | Should -Be $expected
            Get-Content -Raw "$d.verbose" | Should -Match 'a partitioned table, read through all its partitions'
            $ours = Expand-Gzip $s.Files[0].Path "$d/ours.csv"
            Get-Sha $ours | Should -Be (Get-Sha (Get-PsqlCopy -What "($select)" -OutFile "$d/psql.csv"))
            if ($Select -eq 'ODD') {
                (Get-Content -LiteralPath $ours -TotalCount 1) | Should -Match 'doble' -Because 'SELECT * writes generated columns too'
            }
            ($s | Test-CenateBackup -Level Read).Passed | Should -BeTrue
        } finally { Remove-Item -LiteralPath $d, "$d.verbose" -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'counts every partition in the progress estimate (the parent''s reltuples is -1 until analyzed itself)' {
        # The fixture ran ANALYZE on everything; the odd table's leaves only were analyzed, as autovacuum does it.
        $reltuples = 'SELECT reltuples FROM pg_class WHERE oid = ''"Part ""raro"""."Tabla, part"''::regclass'
        Invoke-Psql -Database $Db -Sql $reltuples | Should -BeLessOrEqual 0
        $d = New-TestDirectory 'estimate'
        try {
            $null = Export-CenateAseguradosCsv @H -Table $OddTable -Path $d -Verbose 4> "$d.verbose"
            Get-Content -Raw "$d.verbose" |
                Should -Match 'Tabla, part: a partitioned table, read through all its partitions, about 5 rows'
        } finally { Remove-Item -LiteralPath $d, "$d.verbose" -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'exports in container mode too (TCP endpoint found through Docker), the same bytes' {
        $d = New-TestDirectory 'partc'
        try {
            $c = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db }
            $s = Export-CenateAseguradosCsv @c -Table broad.atenciones -Path $d
            $s.Files[0].Rows | Should -Be 1200
            Get-Sha (Expand-Gzip $s.Files[0].Path "$d/ours.csv") |
                Should -Be (Get-Sha (Get-PsqlCopy -What '(SELECT * FROM broad.atenciones)' -OutFile "$d/psql.csv"))
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'keeps COPY t TO for <Table> (<Why>): the same bytes as before, <Rows> rows' -ForEach @(
        @{ Table = 'broad.documentos'; Why = 'an inheritance parent: its own rows, not documentos_firmados'''
            Rows = 50 }
        @{ Table = 'broad.pacientes'; Why = 'a plain table with a generated column'; Rows = 300 }
        @{ Table = 'broad.atenciones_2026_03'; Why = 'a leaf partition'; Rows = -1 }
    ) {
        $expected = $Rows
        if ($Rows -lt 0) { $expected = [long](Invoke-Psql -Database $Db -Sql "SELECT count(*) FROM $Table") }
        $d = New-TestDirectory 'plain'
        try {
            $s = Export-CenateAseguradosCsv @H -Table $Table -Path $d -Verbose 4> "$d.verbose"
            $s.Files[0].Rows | Should -Be $expected
            Get-Content -Raw "$d.verbose" | Should -Not -Match 'partitioned table'
            Get-Sha (Expand-Gzip $s.Files[0].Path "$d/ours.csv") |
                Should -Be (Get-Sha (Get-PsqlCopy -What $Table -OutFile "$d/psql.csv"))
        } finally { Remove-Item -LiteralPath $d, "$d.verbose" -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Export-CenateAseguradosCsv of partitioned tables through docker exec (no TCP endpoint)' {
    BeforeAll {
        $script:Iso = 'cenate_t22e_exec'
        $script:IsoPort = 56231
        $script:X = @{ Container = $Iso; Port = $IsoPort; Credential = $Cred; Database = 'broad_exec' }
        $out = & bash (Join-Path $Rig.Scripts 'rig.sh') container-isolated $Iso $IsoPort 100 2>&1
        if ($LASTEXITCODE -ne 0) { throw "could not start ${Iso}: $out" }
        $script:Psql = @('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-p', $IsoPort, '-U', 'cenate')
        $out = & docker exec $Iso @Psql -d postgres -c 'CREATE DATABASE broad_exec' 2>&1
        if ($LASTEXITCODE -ne 0) { throw "CREATE DATABASE in ${Iso} failed: $out" }
        $schemaFile = Join-Path $PSScriptRoot '../sql/broad-schema.sql'
        $load = 'docker exec -i "$1" psql -X -q -v ON_ERROR_STOP=1 -p "$2" -U cenate -d broad_exec -f - < "$3"'
        $out = & bash -c $load _ $Iso $IsoPort $schemaFile 2>&1
        if ($LASTEXITCODE -ne 0) { throw "loading the fixture into ${Iso} failed: $out" }
        $out = $OddSql | & docker exec -i $Iso @Psql -d broad_exec -f - 2>&1
        if ($LASTEXITCODE -ne 0) { throw "loading the odd tables into ${Iso} failed: $out" }
        function Get-ExecCopy([string]$What, [string]$OutFile) {
            $copy = 'docker exec "$1" psql -X -p "$2" -U cenate -d broad_exec ' +
                '-c "COPY $3 TO STDOUT WITH (FORMAT csv, HEADER)" > "$4"'
            & bash -c $copy _ $Iso $IsoPort $What $OutFile
            if ($LASTEXITCODE -ne 0) { throw "docker exec psql COPY $What failed" }
            $OutFile
        }
        function Get-ExecValue([string]$Sql) { & docker exec $Iso @Psql -A -t -d broad_exec -c $Sql }
    }
    AfterAll { Remove-ThrowawayContainer $Iso }

    It 'exports <Table> through docker exec stdio, byte-identical to psql''s COPY <What> there' -ForEach @(
        @{ Table = 'broad.atenciones'; What = '(SELECT * FROM broad.atenciones)'; Rows = 1200; Partitioned = $true }
        @{ Table = 'broad.atenciones_2026_02'; What = '(SELECT * FROM broad.atenciones_2026_02)'; Rows = -1
            Partitioned = $true }
        @{ Table = 'broad.dispensaciones'; What = '(SELECT * FROM broad.dispensaciones)'; Rows = 1200
            Partitioned = $true }
        @{ Table = 'Part "raro".Tabla, part'; What = 'ODD'; Rows = 5; Partitioned = $true }
        @{ Table = 'broad.documentos'; What = 'broad.documentos'; Rows = 50; Partitioned = $false }
    ) {
        $what = if ($What -eq 'ODD') { "($OddSelect)" } else { $What }
        $expected = $Rows
        if ($expected -lt 0) { $expected = [long](Get-ExecValue "SELECT count(*) FROM $Table") }
        $expected | Should -BeGreaterThan 0
        $d = New-TestDirectory 'partx'
        try {
            $s = Export-CenateAseguradosCsv @X -Table $Table -Path $d -Verbose 4> "$d.verbose"
            $verbose = Get-Content -Raw "$d.verbose"
            $verbose | Should -Match 'docker exec stdio'
            if ($Partitioned) { $verbose | Should -Match 'a partitioned table, read through all its partitions' }
            else { $verbose | Should -Not -Match 'partitioned table' }
            $s.Files[0].Rows | Should -Be $expected
            Get-Sha (Expand-Gzip $s.Files[0].Path "$d/ours.csv") |
                Should -Be (Get-Sha (Get-ExecCopy -What $what -OutFile "$d/psql.csv"))
            ($s | Test-CenateBackup -Level Read).Passed | Should -BeTrue
        } finally { Remove-Item -LiteralPath $d, "$d.verbose" -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'sums the partitions'' estimates there too, and never runs a name as SQL' {
        $d = New-TestDirectory 'partxe'
        try {
            $null = Export-CenateAseguradosCsv @X -Table broad.atenciones -Path $d -Verbose 4> "$d.verbose"
            Get-Content -Raw "$d.verbose" |
                Should -Match 'broad\.atenciones: a partitioned table, read through all its partitions, about 1200 rows'
            $evil = 'atenciones; DROP TABLE broad.atenciones CASCADE'
            { Export-CenateAseguradosCsv @X -Path $d -Table $evil -Schema broad } |
                Should -Throw -ErrorId 'TableNotFound,CenateBackup.PowerShell.Commands.ExportCenateAseguradosCsvCommand'
            Get-ExecValue 'SELECT count(*) FROM broad.atenciones' | Should -Be '1200'
        } finally { Remove-Item -LiteralPath $d, "$d.verbose" -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'New-CenateDump -Include Csv,Sql with a partitioned critical table' {
    It 'counts all partitions in the manifest, its SQL restores by psql -f into an empty schema copy, Read passes' {
        $d = New-TestDirectory 'partdump'
        $copy = $Db + '_rt'
        try {
            $critical = 'broad.pacientes', 'broad.atenciones', $OddTable, 'broad.documentos'
            $s = New-CenateDump @H -Path $d -CriticalTable $critical -Include Csv, Sql
            $m = Get-Content -Raw $s.Path | ConvertFrom-Json
            $m.rowCounts.'broad.atenciones' | Should -Be 1200
            $m.rowCounts.'broad.pacientes' | Should -Be 300
            $m.rowCounts.$OddTable | Should -Be 5
            function Get-File([string]$Kind, [string]$Table) {
                $s.Files | Where-Object { $_.Kind -eq $Kind -and $_.Tables -contains $Table }
            }
            foreach ($kind in 'Csv', 'Sql') {
                (Get-File $kind 'broad.atenciones').Rows | Should -Be 1200
                (Get-File $kind $OddTable).Rows | Should -Be 5
                (Get-File $kind 'broad.documentos').Rows |
                    Should -Be 50 -Because 'an inheritance parent''s files hold its own rows'
            }
            # The set's count of an inheritance parent is SELECT count(*): its children too, as a drill counts it.
            $m.rowCounts.'broad.documentos' | Should -Be 70
            $csv = Get-File Csv 'broad.atenciones'
            Get-Sha (Expand-Gzip $csv.Path "$d/ours.csv") |
                Should -Be (Get-Sha (Get-PsqlCopy -What '(SELECT * FROM broad.atenciones)' -OutFile "$d/psql.csv"))
            $i = 0
            $scripts = foreach ($t in 'broad.pacientes', 'broad.atenciones', $OddTable) {
                Expand-Gzip (Get-File Sql $t).Path "$d/$((++$i)).sql"
            }
            # The COPY targets the partitioned parent (PostgreSQL routes the rows), never a partition.
            $copyLines = @(Get-Content -LiteralPath $scripts[1] | Where-Object { $_ -like 'COPY *' })
            $copyLines.Count | Should -Be 1
            $copyLines[0] | Should -BeLike 'COPY "broad"."atenciones" ("id", "fecha", *) FROM stdin;'
            @(Get-Content -LiteralPath $scripts[2] | Where-Object { $_ -like 'COPY *' }) |
                Should -Be 'COPY "Part ""raro"""."Tabla, part" ("id", "Fecha ""x""", "nota") FROM stdin;'

            # An empty copy of the schema, then the scripts through psql -f in FK order.
            Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $copy WITH (FORCE)" | Out-Null
            Invoke-Psql -Database postgres -Sql "CREATE DATABASE $copy" | Out-Null
            $schemaCopy = 'set -o pipefail; pg_dump --schema-only -h 127.0.0.1 -p "$1" -U cenate -d "$2" | ' +
                'psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U cenate -d "$3" >/dev/null'
            $env:PGPASSWORD = $Rig.Password
            try {
                & bash -c $schemaCopy _ $Rig.Port $Db $copy
                $LASTEXITCODE | Should -Be 0
            } finally { Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue }
            Invoke-Psql -Database $copy -Sql 'SELECT count(*) FROM broad.atenciones' | Should -Be '0'
            $env:PGPASSWORD = $Rig.Password
            try {
                foreach ($f in $scripts) {
                    $out = & psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $Rig.Port -U cenate -d $copy -f $f 2>&1
                    $LASTEXITCODE | Should -Be 0 -Because "psql -f $f must restore: $out"
                }
            } finally { Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue }
            foreach ($t in @(@('broad.atenciones', 'id, fecha'), @('"Part ""raro"""."Tabla, part"', 'id'),
                    @('broad.pacientes', 'id'))) {
                Get-RowsMd5 $copy $t[0] $t[1] | Should -Be (Get-RowsMd5 $Db $t[0] $t[1]) -Because "$($t[0]) restores"
            }
            Get-Placement $copy | Should -Be (Get-Placement $Db)
            $seq = "SELECT last_value FROM pg_sequences WHERE schemaname = 'broad' AND sequencename LIKE 'atenciones%'"
            Invoke-Psql -Database $copy -Sql $seq | Should -Be (Invoke-Psql -Database $Db -Sql $seq)

            $r = $s | Test-CenateBackup -Level Read
            $r.Passed | Should -BeTrue
            @($r.Checks | Where-Object { $_ -like 'row count *' }).Count | Should -Be 8
        } finally {
            Remove-TestDatabase $copy
            Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

Describe 'Export-CenateAseguradosCsv of a partitioned table on other server versions' {
    It 'exports a two-level partitioned table with a generated column on PostgreSQL <Version>, as psql' -ForEach @(
        @{ Version = 14 }
        @{ Version = 17 }
    ) {
        $port = if ($Version -eq 14) { $Rig.Pg14Port } else { $Rig.Pg17Port }
        $vdb = 't22e_v' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $d = New-TestDirectory 'partv'
        Invoke-Psql -Port $port -Database postgres -Sql "CREATE DATABASE $vdb" | Out-Null
        try {
            Invoke-Psql -Port $port -Database $vdb -Sql @'
CREATE TABLE p (id int, g int GENERATED ALWAYS AS (id * 2) STORED, t text) PARTITION BY RANGE (id);
CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (100) PARTITION BY RANGE (id);
CREATE TABLE p1a PARTITION OF p1 FOR VALUES FROM (0) TO (50);
CREATE TABLE p1b PARTITION OF p1 DEFAULT;
CREATE TABLE p2 PARTITION OF p DEFAULT;
INSERT INTO p (id, t) SELECT g, 'x' || g FROM generate_series(1, 300) g;
ANALYZE p1a, p1b, p2;
'@ | Out-Null
            $v = @{ HostName = '127.0.0.1'; Port = $port; Credential = $Cred; Database = $vdb }
            $s = Export-CenateAseguradosCsv @v -Table p -Path $d -Verbose 4> "$d.verbose"
            $said = 'public\.p: a partitioned table, read through all its partitions, about 300 rows, .*server '
            Get-Content -Raw "$d.verbose" | Should -Match "$said$Version\."
            $s.Files[0].Rows | Should -Be 300
            $psql = Get-PsqlCopy -What '(SELECT * FROM p)' -OutFile "$d/psql.csv" -Database $vdb -Port $port
            Get-Sha (Expand-Gzip $s.Files[0].Path "$d/ours.csv") | Should -Be (Get-Sha $psql)
        } finally {
            Remove-TestDatabase $vdb -Port $port
            Remove-Item -LiteralPath $d, "$d.verbose" -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}
