#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Real schemas (issue 22): the restore drill of a database with partitioned tables (foreign keys at two levels,
# default, attached and detached partitions), inheritance, identity and generated columns, exclusion constraints,
# domains, enums, composite types, a materialized view and triggers (tests/sql/broad-schema.sql) finds no problem where
# a hand-run pg_dump + pg_restore completes, and still finds an object that is really gone.

BeforeDiscovery {
    # Both test containers, in container mode (pg_dump and pg_restore of the server's own version run inside them).
    $script:Servers = @(
        @{ Version = 15; Container = $env:CENATE_TEST_CONTAINER; Port = [int]$env:CENATE_TEST_PORT }
        @{ Version = 17; Container = $env:CENATE_TEST_PG17_CONTAINER; Port = [int]$env:CENATE_TEST_PG17_CONTAINER_PORT }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential

    # The catalog as psql sees it, the oracle for what the drill must compare: every constraint, index and
    # non-internal trigger of the user tables (partitioned and plain), one "table|name|definition" line each.
    $script:CatalogSql = @'
SELECT c.oid::regclass::text || '|' || x.name || '|' || x.def FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'broad'
JOIN LATERAL (
  SELECT conname::text AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = c.oid
  UNION ALL SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = c.oid AND i.indisvalid
  UNION ALL SELECT tgname::text, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = c.oid AND NOT tgisinternal) x ON true
WHERE c.relkind IN ('r', 'p') ORDER BY 1
'@
    function Get-LeafCounts([string]$Database, [int]$Port) {
        $sql = "SELECT string_agg(format('SELECT %L, count(*) FROM ONLY %s', c.oid::regclass::text, c.oid::regclass), ' UNION ALL ') " +
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'broad' AND c.relkind = 'r'"
        $union = Invoke-Psql -Database $Database -Port $Port -Sql $sql
        $counts = @{}
        foreach ($line in Invoke-Psql -Database $Database -Port $Port -Sql $union) {
            $name, $n = $line -split '\|'
            $counts[$name] = [long]$n
        }
        $counts
    }
    function Edit-Manifest([string]$Path, [scriptblock]$Change) {
        $m = Get-Content -Raw -LiteralPath $Path | ConvertFrom-Json -AsHashtable
        & $Change $m
        Set-Content -LiteralPath $Path -Value ($m | ConvertTo-Json -Depth 20) -NoNewline
    }
    function Get-DrillDatabases([int]$Port) {
        @(Invoke-Psql -Database postgres -Port $Port -Sql "SELECT datname FROM pg_database WHERE datname LIKE 'cenate\_drill\_%' ORDER BY 1") | Where-Object { $_ }
    }
}

Describe 'Restore drill of a broad schema on PostgreSQL <Version> (container mode)' -ForEach $Servers {
    BeforeAll {
        $script:Db = 'cenate_broad_drill'
        New-BroadDatabase -Name $Db -Port $Port
        $script:Dir = New-TestDirectory 'broad-drill'
        $script:Set = New-CenateDump -Container $Container -Port $Port -Database $Db -Credential $Cred -Path $Dir
        $script:DumpFile = ($Set.Files | Where-Object Kind -eq 'Dump').Path
    }
    AfterAll {
        Remove-TestDatabase $Db -Port $Port
        Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'a hand-run pg_restore of the dump completes (the premise; pg_restore of the server, in its container)' {
        $scratch = 'cenate_broad_by_hand'
        Remove-TestDatabase $scratch -Port $Port
        Invoke-Psql -Database postgres -Port $Port -Sql "CREATE DATABASE $scratch" | Out-Null
        try {
            $out = & bash -c 'docker exec -i "$1" pg_restore --exit-on-error -p "$2" -U cenate -d "$3" < "$4" 2>&1' bash $Container $Port $scratch $DumpFile
            $LASTEXITCODE | Should -Be 0 -Because "$out"
            Invoke-Psql -Database $scratch -Port $Port -Sql 'SELECT count(*) FROM broad.atenciones' | Should -Be '1200'
        } finally { Remove-TestDatabase $scratch -Port $Port }
    }

    It 'reads the whole set back (Read level)' {
        $r = Test-CenateBackup -Path $Set.Path -Level Read -Container $Container -Port $Port
        $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
        @($r.Problems).Count | Should -Be 0
    }

    It 'records the catalog with the objects PostgreSQL derives from partitioned parents marked' {
        $catalog = @((Get-Content -Raw -LiteralPath $Set.Path | ConvertFrom-Json).catalog)
        $catalog.Count | Should -Be @(Invoke-Psql -Database $Db -Port $Port -Sql $CatalogSql).Count
        # The foreign key of recetas to the partitioned atenciones has a clone for each partition it references.
        $clones = @($catalog | Where-Object { $_.table -eq 'broad.recetas' -and $_.kind -eq 'ForeignKey' -and $_.derived })
        $clones.Count | Should -Be 6
        ($catalog | Where-Object name -eq 'pacientes_pkey').derived | Should -BeFalse
    }

    It 'finds no problem: every leaf table counted, every key, index, constraint and trigger found' {
        $r = Test-CenateBackup -Path $Set.Path -Level Restore -Credential $Cred -Container $Container -Port $Port
        $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
        @($r.Problems).Count | Should -Be 0
        $r.ObjectsChecked | Should -Be @(Invoke-Psql -Database $Db -Port $Port -Sql $CatalogSql).Count
        $live = Get-LeafCounts $Db -Port $Port
        foreach ($table in $live.Keys) {
            $t = $r.Tables | Where-Object Table -eq $table
            $t | Should -Not -BeNullOrEmpty -Because "$table is a table that holds rows"
            $t.Restored | Should -Be $live[$table] -Because $table
        }
        ($r.Tables | Where-Object Table -eq 'broad.atenciones_2025_11').Restored | Should -Be 10
        ($r.Tables | Where-Object Table -eq 'broad.atenciones_2026_03').Restored | Should -Be 100
        $r.DrillDatabase | Should -Not -BeNullOrEmpty
        Get-DrillDatabases -Port $Port | Should -Not -Contain $r.DrillDatabase
    }

    It 'does not count an invalid index (a failed CREATE INDEX CONCURRENTLY), which pg_dump leaves out' {
        $db2 = 'cenate_broad_drill_invalid'
        $dir2 = New-TestDirectory 'broad-drill-invalid'
        try {
            Copy-TestDatabase -Name $db2 -Template $Db -Port $Port
            { Invoke-Psql -Database $db2 -Port $Port -Sql 'CREATE UNIQUE INDEX CONCURRENTLY recetas_medicamento_unico ON broad.recetas_otras (medicamento)' } |
                Should -Throw '*could not create unique index*'
            Invoke-Psql -Database $db2 -Port $Port -Sql "SELECT indisvalid FROM pg_index WHERE indexrelid = 'broad.recetas_medicamento_unico'::regclass" | Should -Be 'f'
            $set2 = New-CenateDump -Container $Container -Port $Port -Database $db2 -Credential $Cred -Path $dir2 -WarningAction SilentlyContinue
            $r = Test-CenateBackup -Path $set2.Path -Level Restore -Credential $Cred -Container $Container -Port $Port
            $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
        } finally {
            Remove-TestDatabase $db2 -Port $Port
            Remove-Item -LiteralPath $dir2 -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'a partitioned and an inheritance parent as critical tables: counted with all their partitions and children, and drilled without a false alarm' {
        $dir2 = New-TestDirectory 'broad-drill-critical'
        try {
            $set2 = New-CenateDump -Container $Container -Port $Port -Database $Db -Credential $Cred -Path $dir2 `
                -CriticalTable broad.atenciones, broad.documentos, broad.atenciones_2026_02
            $set2.RowCounts['broad.atenciones'] | Should -Be 1200
            $set2.RowCounts['broad.atenciones_2026_02'] | Should -Be ([long](Invoke-Psql -Database $Db -Port $Port -Sql 'SELECT count(*) FROM broad.atenciones_2026_02'))
            $set2.RowCounts['broad.documentos'] | Should -Be 70
            $read = Test-CenateBackup -Path $set2.Path -Level Read -Container $Container -Port $Port
            $read.Passed | Should -BeTrue -Because ($read.Problems -join '; ')
            $r = Test-CenateBackup -Path $set2.Path -Level Restore -Credential $Cred -Container $Container -Port $Port
            $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
            $t = $r.Tables | Where-Object Table -eq 'broad.atenciones'
            $t.ExpectedFrom | Should -Be 'manifest'
            $t.Restored | Should -Be 1200
            ($r.Tables | Where-Object Table -eq 'broad.documentos').Restored | Should -Be 70
            # The leaves are still counted one by one against the dump's data.
            ($r.Tables | Where-Object Table -eq 'broad.atenciones_2026_01').ExpectedFrom | Should -Be 'dump'
        } finally {
            Remove-Item -LiteralPath $dir2 -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'New-CenateDump -Table of a partitioned table dumps the rows of all its partitions (pg_dump --table alone dumps none)' {
        $dir2 = New-TestDirectory 'broad-drill-table'
        try {
            $set2 = New-CenateDump -Container $Container -Port $Port -Database $Db -Credential $Cred -Path $dir2 `
                -Table broad.atenciones -CriticalTable broad.atenciones
            $set2.RowCounts['broad.atenciones'] | Should -Be 1200
            $dump = ($set2.Files | Where-Object Kind -eq 'Dump').Path
            $list = & bash -c 'docker exec -i "$1" pg_restore -l < "$2"' bash $Container $dump
            $data = @($list | Where-Object { $_ -match 'TABLE DATA broad (\S+)' } | ForEach-Object { $Matches[1] } | Sort-Object)
            $data | Should -Be @('atenciones_2026_01', 'atenciones_2026_02_a', 'atenciones_2026_02_b', 'atenciones_2026_03', 'atenciones_default')
            # Every row of every partition is in the dump's data: pg_restore prints them as COPY blocks.
            $out = & bash -c 'docker exec -i "$1" pg_restore --data-only -f - < "$2"' bash $Container $dump
            $rows = 0; $inCopy = $false
            foreach ($l in $out) {
                if ($inCopy) { if ($l -eq '\.') { $inCopy = $false } else { $rows++ } }
                elseif ($l -like 'COPY *') { $inCopy = $true }
            }
            $rows | Should -Be 1200
            $read = Test-CenateBackup -Path $set2.Path -Level Read -Container $Container -Port $Port
            $read.Passed | Should -BeTrue -Because ($read.Problems -join '; ')
        } finally {
            Remove-Item -LiteralPath $dir2 -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'reports a foreign key between partitioned tables that is really missing from the restored copy, and nothing else' {
        # The same database without the foreign key of dispensaciones to recetas, dumped and put in the set's place:
        # the set's manifest (recorded when the key existed) now describes a dump that lacks it.
        $other = New-TestDirectory 'broad-drill-nofk'
        $c = New-TestDirectory 'broad-drill-copy'
        try {
            $before = @(Invoke-Psql -Database $Db -Port $Port -Sql $CatalogSql)
            Invoke-Psql -Database $Db -Port $Port -Sql 'ALTER TABLE broad.dispensaciones DROP CONSTRAINT dispensaciones_receta_id_fecha_fkey' | Out-Null
            $after = @(Invoke-Psql -Database $Db -Port $Port -Sql $CatalogSql)
            $gone = @($before | Where-Object { $after -notcontains $_ })
            $gone.Count | Should -BeGreaterThan 2 -Because 'the key and its clones for partitions go together'
            $nofk = New-CenateDump -Container $Container -Port $Port -Database $Db -Credential $Cred -Path $other
            New-Item -ItemType Directory -Path $c | Out-Null
            Copy-Item -LiteralPath $Set.Path -Destination $c
            $dumpName = Split-Path -Leaf $DumpFile
            $target = Join-Path $c $dumpName
            Copy-Item -LiteralPath ($nofk.Files | Where-Object Kind -eq 'Dump').Path -Destination $target
            $manifest = Join-Path $c (Split-Path -Leaf $Set.Path)
            Edit-Manifest $manifest {
                param($m)
                $f = $m.files | Where-Object { $_.name -eq $dumpName }
                $f.sha256 = (Get-FileHash -LiteralPath $target -Algorithm SHA256).Hash.ToLowerInvariant()
                $f.size = (Get-Item -LiteralPath $target).Length
            }
            $r = Test-CenateBackup -Path $manifest -Level Restore -Credential $Cred -Container $Container -Port $Port
            $r.Passed | Should -BeFalse
            @($r.Problems | Where-Object Kind -ne 'ObjectMissing') | Should -BeNullOrEmpty -Because ($r.Problems -join '; ')
            @($r.Problems).Count | Should -Be $gone.Count
            foreach ($line in $gone) {
                $table, $name, $null = $line -split '\|', 3
                @($r.Problems | Where-Object { $_.Message -match [regex]::Escape("foreign key $name on $table is missing") }).Count |
                    Should -Be 1 -Because "$name on $table was dropped"
            }
        } finally {
            Invoke-Psql -Database $Db -Port $Port -Sql ('ALTER TABLE broad.dispensaciones ADD CONSTRAINT dispensaciones_receta_id_fecha_fkey ' +
                'FOREIGN KEY (receta_id, fecha) REFERENCES broad.recetas (id, fecha) ON UPDATE CASCADE') | Out-Null
            Remove-Item -LiteralPath $other, $c -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}
