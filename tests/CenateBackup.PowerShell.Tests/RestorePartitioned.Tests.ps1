#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Restore-CenateTable of partitioned tables (issue 22) against the rig's real PostgreSQL, on the broad fixture
# (tests/sql/broad-schema.sql): broad.atenciones is range-partitioned by month (February sub-partitioned, a default
# partition at both levels, March attached after it was filled, November 2025 detached), broad.dispensaciones is
# hash-partitioned. A real set made by New-CenateDump in host mode; each test starts from a fresh copy of the database.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Db = "cenate_rp_$suffix"
    $script:Tpl = "cenate_rp_tpl_$suffix"
    New-BroadDatabase -Name $Tpl
    function Reset-Db {
        Remove-TestDatabase $Db
        Copy-TestDatabase -Name $Db -Template $Tpl
    }
    Reset-Db
    $script:P = @{ HostName = '127.0.0.1'; Port = $Rig.Port; Credential = $Cred; Database = $Db }
    $script:Dir = New-TestDirectory 'restore-partitioned'
    $script:Set = New-CenateDump @P -Path $Dir
    $script:Fqid = { param($id) "$id,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand" }
    function Q([string]$Sql) { Invoke-Psql -Database $Db -Sql $Sql }
    # The oracle: every row of the table as text, in key order, and where each row lives.
    function Get-Checksum([string]$Table, [string]$Where = 'true') {
        Q "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY id, fecha)), '') FROM $Table t WHERE $Where"
    }
    function Get-Placement([string]$Table) {
        (@(Q "SELECT p || '=' || n FROM (SELECT tableoid::regclass::text AS p, count(*) AS n FROM $Table GROUP BY 1) x ORDER BY 1") -join ',')
    }
    function Get-Schemas { @(Q "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'cenate\_restore\_%' ORDER BY 1") | Where-Object { $_ } }
    # Rows whose id is a multiple of 9 in every partition below April (both levels), with what references them.
    function Remove-Atenciones([string]$Where = "id % 9 = 0 AND fecha < DATE '2026-04-01'") {
        Q "DELETE FROM broad.dispensaciones WHERE receta_id IN (SELECT id FROM broad.atenciones WHERE $Where);
           DELETE FROM broad.recetas WHERE atencion_id IN (SELECT id FROM broad.atenciones WHERE $Where);
           DELETE FROM broad.atenciones WHERE $Where" | Out-Null
    }
}
AfterAll {
    Remove-TestDatabase $Db
    Remove-TestDatabase $Tpl
    Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Restore-CenateTable of a partitioned table' {
    BeforeEach { Reset-Db }

    It 'MissingRows brings back exactly the rows deleted across partitions and sub-partitions, each into its partition' {
        # Rows 10 (changed below; its trigger stamps it) and 9999 (written below) are checked on their own.
        $before = Get-Checksum broad.atenciones 'id NOT IN (10, 9999)'
        $placement = Get-Placement broad.atenciones
        # Deleted from every leaf below April: January, both February sub-partitions, March (attached after it was filled).
        $perLeaf = @(Q "SELECT DISTINCT tableoid::regclass FROM broad.atenciones WHERE id % 9 = 0 AND fecha < DATE '2026-04-01'")
        $perLeaf.Count | Should -Be 4
        $deleted = [long](Q "SELECT count(*) FROM broad.atenciones WHERE id % 9 = 0 AND fecha < DATE '2026-04-01'")
        Remove-Atenciones
        # A row written since the backup, and a row changed since: both left as they are.
        Q "INSERT INTO broad.atenciones (id, fecha, sede, paciente_id, detalle) VALUES (9999, DATE '2026-01-20', 'lima', 1, 'nueva');
           UPDATE broad.atenciones SET detalle = 'cambiada' WHERE id = 10" | Out-Null
        $r = Restore-CenateTable -Backup $Set.Path @P -Schema broad -Table atenciones -Mode MissingRows -Confirm:$false
        $r.BackupRows | Should -Be 1200 -Because 'the sum over the leaves; the detached November partition is not part of it'
        $r.MissingRows | Should -Be $deleted
        $r.InsertedRows | Should -Be $deleted
        $r.UnroutedRows | Should -Be 0
        $r.UnroutedTable | Should -BeNullOrEmpty
        $r.LiveRowsAfter | Should -Be 1201
        $r.Warnings | Should -BeNullOrEmpty
        Q "SELECT detalle FROM broad.atenciones WHERE id = 10" | Should -Be 'cambiada'
        Q "SELECT detalle FROM broad.atenciones WHERE id = 9999" | Should -Be 'nueva'
        Get-Checksum broad.atenciones 'id NOT IN (10, 9999)' | Should -Be $before
        Q "DELETE FROM broad.atenciones WHERE id = 9999" | Out-Null
        Get-Placement broad.atenciones | Should -Be $placement
        Get-Schemas | Should -BeNullOrEmpty
        # The detached partition was never touched.
        Q "SELECT count(*) FROM broad.atenciones_2025_11" | Should -Be '10'
    }

    It 'MissingRows of the hash-partitioned dispensaciones brings back exactly the deleted rows into both partitions' {
        $before = Get-Checksum broad.dispensaciones
        $placement = Get-Placement broad.dispensaciones
        @(Q "SELECT DISTINCT tableoid::regclass FROM broad.dispensaciones WHERE id % 5 = 0").Count | Should -Be 2
        Q "DELETE FROM broad.dispensaciones WHERE id % 5 = 0" | Out-Null
        $r = Restore-CenateTable -Backup $Set.Path @P -Schema broad -Table dispensaciones -Mode MissingRows -Confirm:$false
        $r.BackupRows | Should -Be 1200
        $r.InsertedRows | Should -Be 240
        $r.MissingRows | Should -Be 240
        $r.UnroutedRows | Should -Be 0
        Get-Checksum broad.dispensaciones | Should -Be $before
        Get-Placement broad.dispensaciones | Should -Be $placement
    }

    It 'MissingRows into a dropped partition: the routable rows go home, the others are kept aside and reported, exactly' {
        $all = Get-Checksum broad.atenciones
        $before = Get-Checksum broad.atenciones "fecha < DATE '2026-04-01'"
        # The default partition holds every row from April on (200 rows); it is detached and dropped. No other partition
        # takes those dates any more.
        $gone = Get-Checksum broad.atenciones_default
        $gone | Should -Match '^200:'
        Q "DELETE FROM broad.dispensaciones WHERE fecha >= DATE '2026-04-01'; DELETE FROM broad.recetas WHERE fecha >= DATE '2026-04-01';
           ALTER TABLE broad.atenciones DETACH PARTITION broad.atenciones_default; DROP TABLE broad.atenciones_default" | Out-Null
        $deleted = [long](Q "SELECT count(*) FROM broad.atenciones WHERE id % 9 = 0")
        Remove-Atenciones 'id % 9 = 0'
        $r = Restore-CenateTable -Backup $Set.Path @P -Schema broad -Table atenciones -Mode MissingRows -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue
        $r.BackupRows | Should -Be 1200
        $r.UnroutedRows | Should -Be 200
        ($r | Out-String -Width 300) | Should -Match ([regex]::Escape("200 in no partition: $($r.UnroutedTable)"))
        $r.InsertedRows | Should -Be $deleted
        $r.MissingRows | Should -Be ($deleted + 200)
        $r.UnroutedTable | Should -Match '^cenate_restore_\d{8}_\d{6}(_\d+)?\.atenciones$'
        ($r.Warnings -join "`n") | Should -Match '200 backup rows of broad\.atenciones fit no partition'
        ($r.Warnings -join "`n") | Should -Match ([regex]::Escape($r.UnroutedTable))
        # The live table holds exactly its rows before the delete; the kept table exactly the dropped partition's rows.
        Get-Checksum broad.atenciones | Should -Be $before
        $schema, $table = $r.UnroutedTable.Split('.')
        Q "SELECT relkind FROM pg_class WHERE oid = '`"$schema`".$table'::regclass" | Should -Be 'r'
        Get-Checksum "`"$schema`".$table" | Should -Be $gone
        Get-Schemas | Should -Be @($schema)
        # The kept schema carries the module's marker: Get-CenateRestoreStaging lists it as one Remove may drop.
        $left = @(Get-CenateRestoreStaging @P)
        $left.Name | Should -Be @($schema)
        $left[0].Ours | Should -BeTrue
        $left[0].Table | Should -Be 'broad.atenciones'
        $r.CleanUp | Should -BeLike "*Remove-CenateRestoreStaging -Name '$schema' -Kind Staging*"
        # And they go home as the warning says, once a partition takes them.
        Q "CREATE TABLE broad.atenciones_resto PARTITION OF broad.atenciones DEFAULT;
           INSERT INTO broad.atenciones SELECT * FROM `"$schema`".$table; DROP SCHEMA `"$schema`" CASCADE" | Out-Null
        Get-Checksum broad.atenciones | Should -Be $all
    }

    It 'Staging holds all 1200 rows of every leaf in one plain table, with the parent''s key, indexes and trigger' {
        $live = Get-Checksum broad.atenciones
        $r = Restore-CenateTable -Backup $Set.Path @P -Schema broad -Table atenciones -Mode Staging -Confirm:$false -WarningAction SilentlyContinue
        $r.BackupRows | Should -Be 1200
        $r.StagingSchema | Should -Match '^cenate_restore_'
        $st = "`"$($r.StagingSchema)`".atenciones"
        Q "SELECT relkind FROM pg_class WHERE oid = '$st'::regclass" | Should -Be 'r'
        Get-Checksum $st | Should -Be $live
        Q "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = '$st'::regclass AND contype = 'p'" | Should -Be 'PRIMARY KEY (id, fecha)'
        @(Q "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = '$st'::regclass ORDER BY 1").Count | Should -Be 3
        Q "SELECT am.amname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = '$st'::regclass AND c.relname = 'atenciones_sede_idx'" | Should -Be 'hash'
        Q "SELECT tgname FROM pg_trigger WHERE tgrelid = '$st'::regclass AND NOT tgisinternal" | Should -Be 'atenciones_touch'
        Q "SELECT count(*) FROM pg_inherits WHERE inhparent = '$st'::regclass" | Should -Be '0'
        $r.MissingRows | Should -Be 0
        $r.DifferentRows | Should -Be 0
        Get-Checksum broad.atenciones | Should -Be $live
    }

    It 'Replace of a partitioned table, of a sub-partitioned partition and of a leaf is refused with TableNotSupported; nothing changes' {
        Remove-Atenciones
        $live = Get-Checksum broad.atenciones
        foreach ($t in 'atenciones', 'atenciones_2026_02', 'atenciones_2026_01', 'dispensaciones') {
            $err = $null
            try { Restore-CenateTable -Backup $Set.Path @P -Schema broad -Table $t -Mode Replace -DropReplaced -Confirm:$false -ErrorAction Stop } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty -Because "Replace of broad.$t must be refused"
            $err.FullyQualifiedErrorId | Should -Be (& $Fqid 'TableNotSupported')
            $err.CategoryInfo.Category | Should -Be 'InvalidOperation'
            "$($err.ErrorDetails.RecommendedAction) $($err.Exception.Message)" | Should -Match 'MissingRows'
        }
        "$($err.ErrorDetails.RecommendedAction)" | Should -Match 'pg_restore into a scratch database'
        Get-Checksum broad.atenciones | Should -Be $live
        Get-Schemas | Should -BeNullOrEmpty
        Q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'broad.atenciones'::regclass" | Should -Be '4'
    }

    It '-WhatIf shows the staging, one COPY per leaf and the kept-aside steps, and changes nothing' {
        Q "DELETE FROM broad.dispensaciones WHERE fecha >= DATE '2026-04-01'; DELETE FROM broad.recetas WHERE fecha >= DATE '2026-04-01';
           ALTER TABLE broad.atenciones DETACH PARTITION broad.atenciones_default; DROP TABLE broad.atenciones_default" | Out-Null
        Remove-Atenciones
        $live = Get-Checksum broad.atenciones
        # "What if:" goes to the host, not to a stream: run it in a pwsh of its own and read what it prints.
        $env:CENATE_RP_PASSWORD = $Rig.Password
        $script = "Import-Module '$(Get-ModuleManifestPath)'; `$c = [pscredential]::new('cenate', (ConvertTo-SecureString `$env:CENATE_RP_PASSWORD -AsPlainText -Force)); " +
                  "Restore-CenateTable -Backup '$($Set.Path)' -HostName 127.0.0.1 -Port $($Rig.Port) -Database $Db -Credential `$c -Schema broad -Table atenciones -Mode MissingRows -WhatIf"
        $out = & (Get-Command pwsh).Source -NoProfile -NonInteractive -Command $script 2>&1 | Out-String -Width 4096
        Remove-Item env:CENATE_RP_PASSWORD
        $out | Should -Match 'CREATE TEMPORARY TABLE pg_temp\.atenciones'
        $out | Should -Not -Match 'PARTITION BY'
        foreach ($leaf in 'atenciones_2026_01', 'atenciones_2026_02_a', 'atenciones_2026_02_b', 'atenciones_2026_03', 'atenciones_default') {
            $out | Should -Match "COPY pg_temp\.atenciones \(id, fecha, sede, paciente_id, detalle, actualizado\) FROM STDIN   -- rows of broad\.$leaf "
        }
        $out | Should -Not -Match 'atenciones_2025_11'
        $out | Should -Match 'CREATE SCHEMA "cenate_restore_'
        Get-Checksum broad.atenciones | Should -Be $live
        Get-Schemas | Should -BeNullOrEmpty
        Restore-CenateTable -Backup $Set.Path @P -Schema broad -Table atenciones -Mode Staging -WhatIf | Out-Null
        Get-Schemas | Should -BeNullOrEmpty
    }

    It 'MissingRows from a CSV of the partitioned table (as psql writes it) routes the rows and keeps the unroutable ones aside' {
        # The CSV the export writes for a partitioned table: psql's COPY (SELECT * FROM t) TO STDOUT WITH (FORMAT csv, HEADER).
        $csv = Join-Path $Dir 'atenciones_manual.csv'
        $env:PGPASSWORD = $Rig.Password
        try {
            & psql -X -q -h 127.0.0.1 -p $Rig.Port -U cenate -d $Db -o $csv -c 'COPY (SELECT * FROM broad.atenciones) TO STDOUT WITH (FORMAT csv, HEADER)'
            $LASTEXITCODE | Should -Be 0
        } finally { Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue }
        & gzip -f $csv
        $all = Get-Checksum broad.atenciones
        $stays = Get-Checksum broad.atenciones "fecha < DATE '2026-03-01'"
        $aside = Get-Checksum broad.atenciones "fecha >= DATE '2026-03-01'"
        $aside | Should -Match '^300:'
        # March and the default partition are detached and dropped: no partition takes a date from March on.
        Q "DELETE FROM broad.dispensaciones WHERE fecha >= DATE '2026-03-01'; DELETE FROM broad.recetas WHERE fecha >= DATE '2026-03-01';
           ALTER TABLE broad.atenciones DETACH PARTITION broad.atenciones_2026_03; DROP TABLE broad.atenciones_2026_03;
           ALTER TABLE broad.atenciones DETACH PARTITION broad.atenciones_default; DROP TABLE broad.atenciones_default" | Out-Null
        $deleted = [long](Q "SELECT count(*) FROM broad.atenciones WHERE id % 9 = 0")
        Remove-Atenciones 'id % 9 = 0'
        $r = Restore-CenateTable -Backup "$csv.gz" -AllowUnverifiedBackup @P -Schema broad -Table atenciones -Mode MissingRows -Confirm:$false -WarningAction SilentlyContinue
        $r.From | Should -Be 'Csv'
        $r.BackupRows | Should -Be 1200
        $r.UnroutedRows | Should -Be 300
        $r.InsertedRows | Should -Be $deleted
        $r.MissingRows | Should -Be ($deleted + 300)
        $schema, $table = $r.UnroutedTable.Split('.')
        Get-Checksum "`"$schema`".$table" | Should -Be $aside
        Get-Checksum broad.atenciones | Should -Be $stays
        Q "CREATE TABLE broad.atenciones_resto PARTITION OF broad.atenciones DEFAULT;
           INSERT INTO broad.atenciones SELECT * FROM `"$schema`".$table; DROP SCHEMA `"$schema`" CASCADE" | Out-Null
        Get-Checksum broad.atenciones | Should -Be $all
    }

    It 'MissingRows -From <From> of the module''s own export of a partitioned table with a generated column brings back exactly the deleted rows' -ForEach @(
        @{ From = 'Csv'; How = 'Export-CenateAseguradosCsv' }
        @{ From = 'Csv'; How = 'Include' }
        @{ From = 'Sql'; How = 'Include' }
    ) {
        Q "CREATE TABLE broad.lecturas (id int, fecha date, valor int NOT NULL, doble int GENERATED ALWAYS AS (valor * 2) STORED,
             PRIMARY KEY (id, fecha)) PARTITION BY RANGE (fecha);
           CREATE TABLE broad.lecturas_a PARTITION OF broad.lecturas FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
           CREATE TABLE broad.lecturas_b PARTITION OF broad.lecturas DEFAULT;
           INSERT INTO broad.lecturas (id, fecha, valor) SELECT g, DATE '2026-01-01' + g % 60, g FROM generate_series(1, 400) g" | Out-Null
        $before = Get-Checksum broad.lecturas
        $placement = Get-Placement broad.lecturas
        $d = New-TestDirectory 'restore-partitioned-export'
        try {
            $s = if ($How -eq 'Include') {
                New-CenateDump @P -Path $d -CriticalTable broad.lecturas -Include Csv, Sql
            } else {
                Export-CenateAseguradosCsv @P -Table broad.lecturas -Path $d
            }
            Q 'DELETE FROM broad.lecturas WHERE id % 6 = 0' | Out-Null
            $r = Restore-CenateTable -Backup $s.Path @P -Schema broad -Table lecturas -From $From -Mode MissingRows -Confirm:$false
            $r.BackupRows | Should -Be 400
            $r.InsertedRows | Should -Be 66
            Get-Checksum broad.lecturas | Should -Be $before
            Get-Placement broad.lecturas | Should -Be $placement
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'MissingRows into a table whose key is DEFERRABLE (<Kind>), which ON CONFLICT refuses, brings back exactly the deleted rows' -ForEach @(
        @{ Kind = 'a plain table'; Ddl = 'CREATE TABLE broad.diferidos (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED, fecha date NOT NULL, v text)' }
        @{ Kind = 'a partitioned table'; Ddl = "CREATE TABLE broad.diferidos (id int, fecha date, v text, PRIMARY KEY (id, fecha),
             UNIQUE (v, fecha) DEFERRABLE) PARTITION BY RANGE (fecha);
           CREATE TABLE broad.diferidos_a PARTITION OF broad.diferidos FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
           CREATE TABLE broad.diferidos_b PARTITION OF broad.diferidos DEFAULT" }
    ) {
        Q "$Ddl; INSERT INTO broad.diferidos SELECT g, DATE '2026-01-01' + g % 50, 'v' || g FROM generate_series(1, 200) g" | Out-Null
        $before = Get-Checksum broad.diferidos
        $d = New-TestDirectory 'restore-deferrable'
        try {
            $s = New-CenateDump @P -Path $d -Table broad.diferidos -WarningAction SilentlyContinue
            Q 'DELETE FROM broad.diferidos WHERE id % 8 = 0' | Out-Null
            # "What if:" goes to the host: run it in a pwsh of its own and read what it prints.
            $env:CENATE_RP_PASSWORD = $Rig.Password
            $script = "Import-Module '$(Get-ModuleManifestPath)'; `$c = [pscredential]::new('cenate', (ConvertTo-SecureString `$env:CENATE_RP_PASSWORD -AsPlainText -Force)); " +
                      "Restore-CenateTable -Backup '$($s.Path)' -HostName 127.0.0.1 -Port $($Rig.Port) -Database $Db -Credential `$c -Schema broad -Table diferidos -Mode MissingRows -WhatIf"
            $plan = & (Get-Command pwsh).Source -NoProfile -NonInteractive -Command $script 2>&1 | Out-String -Width 4096
            Remove-Item env:CENATE_RP_PASSWORD
            $plan | Should -Match ([regex]::Escape('LOCK TABLE broad.diferidos IN SHARE ROW EXCLUSIVE MODE'))
            $plan | Should -Not -Match 'ON CONFLICT'
            $r = Restore-CenateTable -Backup $s.Path @P -Schema broad -Table diferidos -Mode MissingRows -Confirm:$false
            $r.InsertedRows | Should -Be 25
            Get-Checksum broad.diferidos | Should -Be $before
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'MissingRows of one leaf partition puts the rows back into that leaf' {
        $before = Get-Checksum broad.atenciones_2026_01
        $n = [long](Q "SELECT count(*) FROM broad.atenciones_2026_01 WHERE id % 4 = 0")
        $n | Should -BeGreaterThan 0
        Remove-Atenciones "id % 4 = 0 AND fecha < DATE '2026-02-01'"
        $r = Restore-CenateTable -Backup $Set.Path @P -Schema broad -Table atenciones_2026_01 -Mode MissingRows -Confirm:$false
        $r.InsertedRows | Should -Be $n
        $r.UnroutedRows | Should -BeNullOrEmpty
        Get-Checksum broad.atenciones_2026_01 | Should -Be $before
    }
}
