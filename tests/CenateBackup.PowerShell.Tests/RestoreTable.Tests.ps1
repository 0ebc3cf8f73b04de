#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Restore-CenateTable against the rig's real PostgreSQL container: a database of its own (a copy of the seeded
# maestro_cenate), a real set made by New-CenateDump, and the three modes with the faults the issue names.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Db = "cenate_rt_$suffix"
    $script:Tpl = "cenate_rt_tpl_$suffix"
    Copy-TestDatabase -Name $Tpl
    # In the template: a table without a primary key; a serial table whose sequence name starts with "asegurados_"
    # (a restore of asegurados must never touch it); a serial table of its own; an inheritance child; a partition.
    Invoke-Psql -Database $Tpl -Sql "CREATE TABLE public.sin_pk (a int, b text); INSERT INTO public.sin_pk SELECT g, 'x' || g FROM generate_series(1, 50) g;
        CREATE TABLE public.asegurados_hist (id serial PRIMARY KEY, nota text); INSERT INTO public.asegurados_hist (nota) SELECT 'h' || g FROM generate_series(1, 30) g;
        CREATE TABLE public.con_serial (id serial PRIMARY KEY, v text); INSERT INTO public.con_serial (v) SELECT 'v' || g FROM generate_series(1, 40) g;
        CREATE TABLE public.padre (a int); CREATE TABLE public.hijo () INHERITS (public.padre); INSERT INTO public.hijo VALUES (1);
        CREATE TABLE public.particionada (id int) PARTITION BY RANGE (id); CREATE TABLE public.particion_1 PARTITION OF public.particionada FOR VALUES FROM (0) TO (100);
        INSERT INTO public.particionada VALUES (5)" | Out-Null
    function Reset-Db {
        Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
        Copy-TestDatabase -Name $Db -Template $Tpl
    }
    Reset-Db
    $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db }
    $script:Dir = New-TestDirectory 'restore'
    # The row count comes from psql (the oracle), and the manifest must agree with it.
    $script:Rows = [long](Invoke-Psql -Database $Db -Sql 'SELECT count(*) FROM public.asegurados')
    $script:Set = New-CenateDump @P -Path $Dir -Include Csv, Sql
    [long]$Set.RowCounts['public.asegurados'] | Should -Be $Rows
    function Q([string]$Sql) { Invoke-Psql -Database $Db -Sql $Sql }
    function Get-Checksum { Q "SELECT count(*) || ':' || md5(string_agg(a::text, '|' ORDER BY id)) FROM public.asegurados a" }
    function Start-Psql([string]$Sql) {
        # A psql of its own (a concurrent writer, a lock holder); the password travels in its environment only.
        $psi = [Diagnostics.ProcessStartInfo]::new('psql')
        foreach ($a in '-X', '-q', '-h', '127.0.0.1', '-p', "$($Rig.Port)", '-U', 'cenate', '-d', $Db, '-c', $Sql) { $psi.ArgumentList.Add($a) }
        $psi.Environment['PGPASSWORD'] = $Rig.Password
        $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
        [Diagnostics.Process]::Start($psi)
    }
    function Get-Schemas { @(Q "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'cenate\_restore\_%' ORDER BY 1") | Where-Object { $_ } }
}
AfterAll {
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Tpl WITH (FORCE)" | Out-Null
    Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Restore-CenateTable' {
    BeforeEach { Reset-Db }

    It 'MissingRows brings back exactly the 10,000 deleted rows and keeps the 500 new rows and the 100 updates' {
        Q "CREATE SCHEMA t; CREATE TABLE t.deleted AS SELECT to_jsonb(a) AS j, id FROM public.asegurados a ORDER BY random() LIMIT 10000" | Out-Null
        Q "DELETE FROM public.asegurados WHERE id IN (SELECT id FROM t.deleted)" | Out-Null
        Q "INSERT INTO public.asegurados (tipo_documento, numero_documento, apellido_paterno, apellido_materno, nombres, fecha_nacimiento, sexo, ubigeo, direccion, telefono, email, tipo_seguro, estado, codigo_ipress, fecha_afiliacion, monto, extras)
           SELECT tipo_documento, 'N' || id, apellido_paterno, apellido_materno, 'NUEVO', fecha_nacimiento, sexo, ubigeo, direccion, telefono, email, tipo_seguro, estado, codigo_ipress, fecha_afiliacion, monto, extras
           FROM public.asegurados ORDER BY id LIMIT 500" | Out-Null
        Q "CREATE TABLE t.updated AS SELECT id FROM public.asegurados WHERE nombres <> 'NUEVO' ORDER BY random() LIMIT 100;
           UPDATE public.asegurados SET nombres = 'ACTUALIZADO' WHERE id IN (SELECT id FROM t.updated)" | Out-Null
        $r = Restore-CenateTable -Backup $Set.Path @P -Mode MissingRows -Confirm:$false
        $r.Mode | Should -Be 'MissingRows'
        $r.BackupRows | Should -Be $Rows
        $r.MissingRows | Should -Be 10000
        $r.InsertedRows | Should -Be 10000
        $r.DifferentRows | Should -BeNullOrEmpty -Because 'only Staging compares every column'
        $r.LiveRowsBefore | Should -Be ($Rows - 10000 + 500)
        $r.LiveRowsAfter | Should -Be ($Rows + 500)
        $r.KeptRows | Should -Be ($Rows - 10000 + 500)
        # The restored rows are the backup's rows, column for column.
        Q "SELECT count(*) FROM (SELECT j FROM t.deleted EXCEPT SELECT to_jsonb(a) FROM public.asegurados a) x" | Should -Be '0'
        Q "SELECT count(*) FROM public.asegurados a JOIN t.deleted d USING (id) WHERE to_jsonb(a) = d.j" | Should -Be '10000'
        Q "SELECT count(*) FROM public.asegurados WHERE nombres = 'NUEVO'" | Should -Be '500'
        Q "SELECT count(*) FROM public.asegurados WHERE nombres = 'ACTUALIZADO'" | Should -Be '100'
        Q "SELECT count(*) = count(DISTINCT id) FROM public.asegurados" | Should -Be 't'
        # The identity sequence did not go backwards: the next id is beyond every row.
        Q "SELECT nextval('public.asegurados_id_seq') > max(id) FROM public.asegurados" | Should -Be 't'
        Get-Schemas | Should -BeNullOrEmpty
    }

    It 'Staging loads the backup beside the live table, with its keys, indexes and trigger, and leaves the live table byte-identical' {
        Q "DELETE FROM public.asegurados WHERE id % 100 = 7; UPDATE public.asegurados SET email = 'x@y' WHERE id % 100 = 8" | Out-Null
        $before = Get-Checksum
        $r = Restore-CenateTable -Backup $Set.Path @P
        Get-Checksum | Should -Be $before
        $r.StagingSchema | Should -Match '^cenate_restore_\d{8}_\d{6}(_\d+)?$'
        $r.BackupRows | Should -Be $Rows
        $r.MissingRows | Should -Be ($Rows / 100)
        $r.DifferentRows | Should -Be ($Rows / 100)
        $r.LiveRowsAfter | Should -Be $r.LiveRowsBefore
        Q "SELECT count(*) FROM $($r.StagingSchema).asegurados" | Should -Be "$Rows"
        Q "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = '$($r.StagingSchema)'" |
            Should -Be 'asegurados_apellidos_idx,asegurados_numero_documento_key,asegurados_pkey,asegurados_ubigeo_idx'
        Q "SELECT count(*) FROM pg_trigger WHERE tgrelid = '$($r.StagingSchema).asegurados'::regclass AND tgname = 'asegurados_set_updated_at'" | Should -Be '1'
        # No foreign key on the copy: it would block deletes from the live ipress. It is named in a warning instead.
        Q "SELECT count(*) FROM pg_constraint WHERE conrelid = '$($r.StagingSchema).asegurados'::regclass AND contype = 'f'" | Should -Be '0'
        $r.Warnings -join ' ' | Should -Match 'asegurados_codigo_ipress_fkey'
        # Its own identity sequence, not the live one.
        Q "SELECT pg_get_serial_sequence('$($r.StagingSchema).asegurados', 'id')" | Should -Be "$($r.StagingSchema).asegurados_id_seq"
    }

    It 'Replace puts the backup''s table in place with the same primary key, indexes and rows, recreates the foreign key pointing at it, and keeps the old one' {
        Q "DELETE FROM public.asegurados WHERE id > 15000 AND id NOT IN (SELECT asegurado_id FROM public.afiliaciones_log)" | Out-Null
        # A foreign key of another table pointing at asegurados: it must follow the table that replaces it.
        Q "ALTER TABLE public.afiliaciones_log ADD CONSTRAINT afiliaciones_log_asegurado_fkey FOREIGN KEY (asegurado_id) REFERENCES public.asegurados(id)" | Out-Null
        Q "GRANT SELECT ON public.asegurados TO PUBLIC" | Out-Null
        $r = Restore-CenateTable -Backup $Set.Path @P -Mode Replace -Confirm:$false
        $r.LiveRowsAfter | Should -Be $Rows
        $r.ReplacedTable | Should -Match '^public\.asegurados_replaced_\d{8}_\d{6}$'
        $r.ForeignKeysRecreated | Should -Be 'public.afiliaciones_log.afiliaciones_log_asegurado_fkey'
        Q "SELECT count(*) FROM public.asegurados" | Should -Be "$Rows"
        Q "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'public.asegurados'::regclass AND contype = 'p'" | Should -Be 'PRIMARY KEY (id)'
        Q "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'asegurados'" |
            Should -Be 'asegurados_apellidos_idx,asegurados_numero_documento_key,asegurados_pkey,asegurados_ubigeo_idx'
        Q "SELECT confrelid::regclass::text FROM pg_constraint WHERE conname = 'afiliaciones_log_asegurado_fkey'" | Should -Be 'asegurados'
        Q "SELECT has_table_privilege('public', 'public.asegurados', 'SELECT')" | Should -Be 't'
        Q "SELECT count(*) FROM $($r.ReplacedTable)" | Should -Be "$($r.LiveRowsBefore)"
        Q "SELECT nextval('public.asegurados_id_seq') > max(id) FROM public.asegurados" | Should -Be 't'
        Get-Schemas | Should -BeNullOrEmpty
        $d = Restore-CenateTable -Backup $Set.Path @P -Mode Replace -DropReplaced -Confirm:$false
        $d.ReplacedTable | Should -BeNullOrEmpty
        Q "SELECT count(*) FROM pg_class WHERE relname LIKE 'asegurados_replaced%' AND relkind = 'r'" | Should -Be '1'
    }

    It 'takes a set from Get-CenateBackup through the pipeline, into the database and container the parameters name' {
        Q "DELETE FROM public.asegurados WHERE id % 1000 = 1" | Out-Null
        $r = Get-CenateBackup -Path $Dir -Newest 1 | Restore-CenateTable -Container $Rig.Container -Port $Rig.Port -Database $Db -Mode MissingRows -Credential $Cred -Confirm:$false
        $r.Database | Should -Be $Db
        $r.InsertedRows | Should -Be ($Rows / 1000)
        $f = Get-ChildItem -LiteralPath $Dir -Filter *.manifest.json | Restore-CenateTable -Container $Rig.Container -Port $Rig.Port -Database $Db -Credential $Cred
        $f.StagingSchema | Should -Match '^cenate_restore_'
        $f.MissingRows | Should -Be 0
    }

    It 'never moves another table''s sequence whose name starts with the table''s name' {
        Q "SELECT setval('public.asegurados_hist_id_seq', 1000)" | Out-Null
        Restore-CenateTable -Backup $Set.Path @P | Out-Null
        Restore-CenateTable -Backup $Set.Path @P -Mode Replace -DropReplaced -Confirm:$false | Out-Null
        Q "SELECT last_value FROM public.asegurados_hist_id_seq" | Should -Be '1000'
    }

    It 'a serial table: Replace from the dump and from the CSV keeps a working default, sequences never go backwards' {
        Q "INSERT INTO public.con_serial (v) VALUES ('nuevo')" | Out-Null   # the live sequence is now ahead of the backup's
        $s = Restore-CenateTable -Backup $Set.Path @P -Table con_serial
        Q "SELECT pg_get_serial_sequence('$($s.StagingSchema).con_serial', 'id')" | Should -Be "$($s.StagingSchema).con_serial_id_seq"
        $r = Restore-CenateTable -Backup $Set.Path @P -Table con_serial -Mode Replace -DropReplaced -Confirm:$false
        $r.LiveRowsAfter | Should -Be 40
        Q "INSERT INTO public.con_serial (v) VALUES ('otro') RETURNING id" | Should -Be '42'
        $serialDir = New-TestDirectory 'restore-serial'
        $serialSet = New-CenateDump @P -Path $serialDir -CriticalTable con_serial -Include Csv
        $c = Restore-CenateTable -Backup $serialSet.Path @P -Table con_serial -Mode Replace -From Csv -DropReplaced -Confirm:$false
        Remove-Item -LiteralPath $serialDir -Recurse -Force
        $c.LiveRowsAfter | Should -Be 41 -Because 'that set was taken after the row with id 42 was added'
        Q "INSERT INTO public.con_serial (v) VALUES ('y otro') RETURNING id > 42" | Should -Be 't'
        Q "SELECT count(*) FROM pg_class WHERE relname LIKE 'con_serial_replaced%'" | Should -Be '0'
    }

    It 'refuses an inheritance child, and Replace of a partition, with TableNotSupported' {
        $before = Q "SELECT count(*) FROM public.padre"
        { Restore-CenateTable -Backup $Set.Path @P -Table hijo } | Should -Throw -ErrorId 'TableNotSupported,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
        Q "SELECT count(*) FROM public.padre" | Should -Be $before
        { Restore-CenateTable -Backup $Set.Path @P -Table particion_1 -Mode Replace -DropReplaced -Confirm:$false } | Should -Throw -ErrorId 'TableNotSupported,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
        Q "SELECT count(*) FROM public.particionada" | Should -Be '1'
    }

    It 'Replace refuses, before changing anything, when a materialized view depends on the table (plain views are recreated: TrustRestore.Tests.ps1)' {
        Q "CREATE MATERIALIZED VIEW public.v_asegurados_activos AS SELECT id FROM public.asegurados WHERE estado = 'ACTIVO'" | Out-Null
        $before = Get-Checksum
        { Restore-CenateTable -Backup $Set.Path @P -Mode Replace -Confirm:$false } | Should -Throw -ErrorId 'DependentObjects,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
        try { Restore-CenateTable -Backup $Set.Path @P -Mode Replace -Confirm:$false } catch { $_.Exception.Message | Should -Match 'public\.v_asegurados_activos' }
        Get-Checksum | Should -Be $before
        Get-Schemas | Should -BeNullOrEmpty
    }

    It 'restores the missing rows from the set''s <From> export too' -ForEach @(@{ From = 'Csv' }, @{ From = 'Sql' }) {
        Q "CREATE SCHEMA t; CREATE TABLE t.deleted AS SELECT to_jsonb(a) AS j FROM public.asegurados a WHERE id % 400 = 1; DELETE FROM public.asegurados WHERE id % 400 = 1" | Out-Null
        $r = Restore-CenateTable -Backup $Set.Path @P -Mode MissingRows -From $From -Confirm:$false
        $r.From | Should -Be $From
        $r.InsertedRows | Should -Be ($Rows / 400)
        Q "SELECT count(*) FROM (SELECT j FROM t.deleted EXCEPT SELECT to_jsonb(a) FROM public.asegurados a) x" | Should -Be '0'
        Q "SELECT count(*) FROM public.asegurados" | Should -Be "$Rows"
    }

    It 'Replace from the CSV export rebuilds the table in the live definition, keys and trigger included' {
        $r = Restore-CenateTable -Backup $Set.Path @P -Mode Replace -From Csv -DropReplaced -Confirm:$false
        $r.LiveRowsAfter | Should -Be $Rows
        Q "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'asegurados'" | Should -Be '4'
        Q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.asegurados'::regclass AND NOT tgisinternal" | Should -Be '1'
        Q "SELECT nextval('public.asegurados_id_seq') > max(id) FROM public.asegurados" | Should -Be 't'
    }

    It '-WhatIf shows the plan with its counts and SQL and changes nothing' {
        Q "DELETE FROM public.asegurados WHERE id % 10 = 0" | Out-Null
        $before = Get-Checksum
        # "What if:" goes to the host, not to a stream: run it in a pwsh of its own and read what it prints.
        $env:CENATE_RT_PASSWORD = $Rig.Password
        $script = "Import-Module '$(Get-ModuleManifestPath)'; `$c = [pscredential]::new('cenate', (ConvertTo-SecureString `$env:CENATE_RT_PASSWORD -AsPlainText -Force)); " +
                  "Restore-CenateTable -Backup '$($Set.Path)' -Container $($Rig.Container) -Port $($Rig.Port) -Database $Db -Credential `$c -Mode Replace -WhatIf"
        $out = & (Get-Command pwsh).Source -NoProfile -NonInteractive -Command $script 2>&1 | Out-String -Width 4096
        Remove-Item env:CENATE_RT_PASSWORD
        $out | Should -Not -Match ([regex]::Escape($Rig.Password))
        $out | Should -Match "backup rows $Rows, live rows $($Rows * 9 / 10)"
        $out | Should -Match 'ALTER TABLE public\.asegurados RENAME TO'
        $out | Should -Match 'COPY "cenate_restore_\d{8}_\d{6}"\.asegurados \(id, '
        Get-Checksum | Should -Be $before
        Get-Schemas | Should -BeNullOrEmpty
        (Get-Command Restore-CenateTable).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'High'
    }
}

Describe 'Restore-CenateTable faults: stable error ids, the live table unchanged' {
    BeforeEach { Reset-Db }

    It 'a table that is not in the backup is TableNotInBackup' {
        { Restore-CenateTable -Backup $Set.Path @P -Table no_existe } | Should -Throw -ErrorId 'TableNotInBackup,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
    }

    It 'a truncated dump is BackupCorrupt, with or without its manifest, and nothing changes' {
        $copy = New-TestDirectory 'restore-trunc'
        New-Item -ItemType Directory $copy | Out-Null
        try {
            Copy-Item $Set.Path, ($Set.Files | Where-Object Kind -eq 'Dump').Path -Destination $copy
            $dump = Get-ChildItem $copy -Filter *.dump
            $fs = [IO.File]::Open($dump.FullName, 'Open', 'ReadWrite'); try { $fs.SetLength([long]($fs.Length * 0.6)) } finally { $fs.Dispose() }
            Q "DELETE FROM public.asegurados WHERE id % 10 = 0" | Out-Null
            $before = Get-Checksum
            { Restore-CenateTable -Backup (Get-ChildItem $copy -Filter *.manifest.json).FullName @P -Mode MissingRows -Confirm:$false } |
                Should -Throw -ErrorId 'BackupCorrupt,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
            Remove-Item (Get-ChildItem $copy -Filter *.manifest.json).FullName
            $err = $null
            # Without its manifest the dump is unverified: -AllowUnverifiedBackup, so that the damage itself is what stops it.
            try { Restore-CenateTable -Backup $dump.FullName @P -Mode MissingRows -AllowUnverifiedBackup -Confirm:$false } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'BackupCorrupt,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.Exception.Message | Should -Match 'ends early'
            Get-Checksum | Should -Be $before
            Get-Schemas | Should -BeNullOrEmpty
        } finally { Remove-Item -LiteralPath $copy -Recurse -Force }
    }

    It 'a database that does not exist is DatabaseNotFound' {
        $q = $P.Clone(); $q.Database = 'cenate_no_existe'
        { Restore-CenateTable -Backup $Set.Path @q } | Should -Throw -ErrorId 'DatabaseNotFound,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
    }

    It 'a missing live table: MissingRows says LiveTableMissing, Staging and Replace bring it back' {
        Q "DROP TABLE public.asegurados CASCADE" | Out-Null
        $err = $null
        try { Restore-CenateTable -Backup $Set.Path @P -Mode MissingRows -Confirm:$false } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'LiveTableMissing,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
        $err.Exception.Message + $err.ErrorDetails.RecommendedAction | Should -Match 'Replace'
        $s = Restore-CenateTable -Backup $Set.Path @P
        $s.LiveTableExisted | Should -BeFalse
        $s.BackupRows | Should -Be $Rows
        $r = Restore-CenateTable -Backup $Set.Path @P -Mode Replace -Confirm:$false
        $r.LiveRowsAfter | Should -Be $Rows
        Q "SELECT count(*) FROM public.asegurados" | Should -Be "$Rows"
        Q "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'asegurados'" | Should -Be '4'
        Q "INSERT INTO public.asegurados (tipo_documento, numero_documento, apellido_paterno, nombres, fecha_nacimiento, sexo, ubigeo, tipo_seguro, codigo_ipress, fecha_afiliacion)
           SELECT tipo_documento, 'Z1', apellido_paterno, nombres, fecha_nacimiento, sexo, ubigeo, tipo_seguro, codigo_ipress, fecha_afiliacion FROM public.asegurados LIMIT 1 RETURNING id > $Rows" | Should -Be 't'
    }

    It 'a table without a primary key is refused by MissingRows with NoPrimaryKey' {
        $err = $null
        try { Restore-CenateTable -Backup $Set.Path @P -Table sin_pk -Mode MissingRows -Confirm:$false } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'NoPrimaryKey,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidOperation'
        (Restore-CenateTable -Backup $Set.Path @P -Table sin_pk).BackupRows | Should -Be 50
    }

    It 'concurrent inserts and deletes during MissingRows: no duplicates, no lost concurrent rows' {
        Q "DELETE FROM public.asegurados WHERE id % 20 = 5" | Out-Null
        Q "CREATE TABLE public.conc_log (id bigint); CREATE TABLE public.conc_stop (x int); CREATE TABLE public.conc_done (writes int)" | Out-Null
        # The writer writes until the test tells it to stop (a row in conc_stop), so it outlives the restore however
        # fast or slow the machine is; a 10-minute deadline of its own ends it if the test never does. It records how
        # many writes it committed.
        $writerSql = "DO `$`$ DECLARE n bigint; i int := 0; started timestamptz := clock_timestamp(); BEGIN
              WHILE NOT EXISTS (SELECT 1 FROM public.conc_stop) AND clock_timestamp() < started + interval '10 minutes' LOOP
              i := i + 1;
              INSERT INTO public.asegurados (tipo_documento, numero_documento, apellido_paterno, nombres, fecha_nacimiento, sexo, ubigeo, tipo_seguro, codigo_ipress, fecha_afiliacion)
              SELECT tipo_documento, 'C' || i, apellido_paterno, nombres, fecha_nacimiento, sexo, ubigeo, tipo_seguro, codigo_ipress, fecha_afiliacion FROM public.asegurados WHERE id = 1 RETURNING id INTO n;
              INSERT INTO public.conc_log VALUES (n);
              DELETE FROM public.asegurados WHERE id = (SELECT min(id) FROM public.asegurados WHERE id % 20 = 6);
              COMMIT; PERFORM pg_sleep(0.005); END LOOP;
              INSERT INTO public.conc_done VALUES (i); COMMIT; END `$`$;"
        $writer = Start-Psql $writerSql
        try {
            $deadline = (Get-Date).AddSeconds(60)
            while ([long](Q "SELECT count(*) FROM public.conc_log") -lt 20 -and -not $writer.HasExited -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 50 }
            [long](Q "SELECT count(*) FROM public.conc_log") | Should -BeGreaterOrEqual 20 -Because 'the writer must be writing before the restore starts'
            $r = Restore-CenateTable -Backup $Set.Path @P -Mode MissingRows -Confirm:$false
            $writer.HasExited | Should -BeFalse -Because 'the writer must still be writing when the restore ends'
        } finally {
            Q "INSERT INTO public.conc_stop VALUES (1)" | Out-Null
            $writer.WaitForExit(60000) | Out-Null
        }
        $writer.HasExited | Should -BeTrue -Because 'the writer stops within 60 s of being told to'
        $writer.ExitCode | Should -Be 0 -Because $writer.StandardError.ReadToEnd()
        $r.InsertedRows | Should -Be $r.MissingRows
        Q "SELECT count(*) = count(DISTINCT id) AND count(*) = count(DISTINCT numero_documento) FROM public.asegurados" | Should -Be 't'
        Q "SELECT count(*) FROM public.conc_log c WHERE NOT EXISTS (SELECT 1 FROM public.asegurados a WHERE a.id = c.id)" | Should -Be '0'
        # Every write the writer committed is logged (it says how many it made).
        $writes = Q "SELECT writes FROM public.conc_done"
        [long]$writes | Should -BeGreaterOrEqual 20
        Q "SELECT count(*) FROM public.conc_log" | Should -Be $writes
        # Every row deleted before the restore is back (rows the writer added are above the backup's ids).
        Q "SELECT count(*) FROM public.asegurados WHERE id % 20 = 5 AND id <= $Rows" | Should -Be "$($Rows / 20)"
    }

    It 'a connection killed mid-restore rolls everything back: no staging schema, the live table unchanged' {
        Q "DELETE FROM public.asegurados WHERE id % 10 = 0" | Out-Null
        $before = Get-Checksum
        # A reader holds a lock the swap must wait for, so the restore is caught after its staging load.
        $holder = Start-Psql 'BEGIN; LOCK TABLE public.asegurados IN ACCESS SHARE MODE; SELECT pg_sleep(600); COMMIT;'
        $deadline = (Get-Date).AddSeconds(20)
        while ((Q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.datname = '$Db' AND l.relation = 'public.asegurados'::regclass AND l.granted AND a.query LIKE '%pg_sleep%'") -eq '0' -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 50 }
        try {
            $bg = Invoke-InBackground -Script {
                param($Backup, $P)
                try { Restore-CenateTable -Backup $Backup @P -Mode Replace -Confirm:$false; 'no error' } catch { $_.FullyQualifiedErrorId; $_.Exception.Message }
            } -Arguments @{ Backup = $Set.Path; P = $P }
            $pid_ = $null
            # Generous: on a loaded machine the staging load before the swap took more than a minute. The holder sleeps
            # 600 s (and is killed in finally), so it outlives any wait here.
            $deadline = (Get-Date).AddSeconds(300)
            while (-not $pid_ -and (Get-Date) -lt $deadline) {
                $pid_ = Q "SELECT pid FROM pg_stat_activity WHERE datname = '$Db' AND application_name = 'CenateBackup' AND wait_event_type = 'Lock'"
                Start-Sleep -Milliseconds 100
            }
            $pid_ | Should -Not -BeNullOrEmpty
            Q "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'cenate\_restore\_%'" | Should -Be '0' -Because 'the staging schema is not committed'
            Invoke-Psql -Database postgres -Sql "SELECT pg_terminate_backend($pid_)" | Out-Null
            $out = $bg.PowerShell.EndInvoke($bg.Handle)
            $bg.PowerShell.Dispose()
            $out[0] | Should -Be 'ConnectionLost,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
            $out[1] | Should -Match 'rolled back'
        } finally {
            if (-not $holder.HasExited) { $holder.Kill() }
            $holder.WaitForExit(10000) | Out-Null
        }
        Get-Checksum | Should -Be $before
        Get-Schemas | Should -BeNullOrEmpty
        Q "SELECT count(*) FROM pg_class WHERE relname LIKE 'asegurados_replaced%'" | Should -Be '0'
        Q "SELECT count(*) FROM pg_indexes WHERE tablename = 'asegurados' AND indexname LIKE '%\_r2%'" | Should -Be '0'
    }

    It 'Ctrl+C while Replace waits for its lock rolls everything back' {
        $before = Get-Checksum
        $holder = Start-Psql 'BEGIN; LOCK TABLE public.asegurados IN ACCESS SHARE MODE; SELECT pg_sleep(600); COMMIT;'
        try {
            $deadline = (Get-Date).AddSeconds(20)
            while ((Q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.datname = '$Db' AND l.relation = 'public.asegurados'::regclass AND l.granted AND a.query LIKE '%pg_sleep%'") -eq '0' -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 50 }
            $bg = Invoke-InBackground -Script { param($Backup, $P) Restore-CenateTable -Backup $Backup @P -Mode Replace -Confirm:$false } -Arguments @{ Backup = $Set.Path; P = $P }
            $waiting = $null
            $deadline = (Get-Date).AddSeconds(300)
            while (-not $waiting -and (Get-Date) -lt $deadline) {
                $waiting = Q "SELECT pid FROM pg_stat_activity WHERE datname = '$Db' AND application_name = 'CenateBackup' AND wait_event_type = 'Lock'"
                Start-Sleep -Milliseconds 100
            }
            $waiting | Should -Not -BeNullOrEmpty
            $bg.PowerShell.Stop()
        } finally {
            if (-not $holder.HasExited) { $holder.Kill() }
            $holder.WaitForExit(10000) | Out-Null
        }
        $deadline = (Get-Date).AddSeconds(20)
        while ((Q "SELECT count(*) FROM pg_stat_activity WHERE datname = '$Db' AND application_name = 'CenateBackup'") -ne '0' -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Get-Checksum | Should -Be $before
        Get-Schemas | Should -BeNullOrEmpty
        Q "SELECT count(*) FROM pg_class WHERE relname LIKE 'asegurados_replaced%'" | Should -Be '0'
    }
}
