#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Restore-CenateTable -Mode Replace keeps what the people running the database added since the backup: audit triggers,
# row-level security and its policies, grants and comments (issue 12 §6); a bounded -LockTimeout; Ctrl+C while the dump is
# hashed (§7). A database of its own (a copy of the seeded maestro_cenate) and a real set made by New-CenateDump.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Db = "cenate_rl_$suffix"
    $script:Tpl = "cenate_rl_tpl_$suffix"
    $script:Reader = "cenate_rl_lector_$suffix"
    Copy-TestDatabase -Name $Tpl
    Invoke-Psql -Database postgres -Sql "CREATE ROLE $Reader NOLOGIN" | Out-Null
    function Reset-Db {
        Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
        Copy-TestDatabase -Name $Db -Template $Tpl
    }
    Reset-Db
    $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db }
    $script:Dir = New-TestDirectory 'restore-live'
    $script:Set = New-CenateDump @P -Path $Dir -Include Csv
    $script:Rows = [long]$Set.RowCounts['public.asegurados']
    function Q([string]$Sql) { Invoke-Psql -Database $Db -Sql $Sql }
    function Get-Checksum { Q "SELECT count(*) || ':' || md5(string_agg(a::text, '|' ORDER BY id)) FROM public.asegurados a" }
    function Get-Schemas { @(Q "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'cenate\_restore\_%' ORDER BY 1") | Where-Object { $_ } }
    function Get-Triggers { @(Q "SELECT pg_get_triggerdef(oid) || ' ' || tgenabled::text FROM pg_trigger WHERE tgrelid = 'public.asegurados'::regclass AND NOT tgisinternal ORDER BY tgname") }
    function Start-Psql([string]$Sql) {
        $psi = [Diagnostics.ProcessStartInfo]::new('psql')
        foreach ($a in '-X', '-q', '-h', '127.0.0.1', '-p', "$($Rig.Port)", '-U', 'cenate', '-d', $Db, '-c', $Sql) { $psi.ArgumentList.Add($a) }
        $psi.Environment['PGPASSWORD'] = $Rig.Password
        $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
        [Diagnostics.Process]::Start($psi)
    }
    function Wait-Holder([string]$Mode) {
        $deadline = (Get-Date).AddSeconds(20)
        while ((Q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.datname = '$Db' AND l.relation = 'public.asegurados'::regclass AND l.granted AND l.mode = '$Mode' AND a.query LIKE '%pg_sleep%'") -eq '0' -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 50 }
        Q "SELECT pid FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.datname = '$Db' AND l.relation = 'public.asegurados'::regclass AND l.granted AND l.mode = '$Mode' AND a.query LIKE '%pg_sleep%'"
    }
}
AfterAll {
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Tpl WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS $Reader" | Out-Null
    Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Restore-CenateTable -Mode Replace keeps what the live table has that the backup has not' {
    BeforeEach { Reset-Db }

    It 'audit triggers installed after the set survive Replace from the <From> and log a DELETE afterwards' -ForEach @(@{ From = 'Dump' }, @{ From = 'Csv' }) {
        Install-CenateAuditTrigger @P -Operation Delete, Truncate, Update -Confirm:$false | Out-Null
        # A trigger the backup has and the live table dropped since, and one disabled since: the live table's state wins.
        Q "DROP TRIGGER asegurados_set_updated_at ON public.asegurados; ALTER TABLE public.asegurados DISABLE TRIGGER cenate_audit_update" | Out-Null
        Q "DELETE FROM public.asegurados WHERE id > $Rows - 100; DELETE FROM cenate_audit.audit_log" | Out-Null
        $before = Get-Triggers
        $before.Count | Should -Be 3
        $r = Restore-CenateTable -Backup $Set.Path @P -Mode Replace -From $From -Confirm:$false -WarningAction SilentlyContinue
        $r.LiveRowsAfter | Should -Be $Rows
        Get-Triggers | Should -Be $before
        if ($From -eq 'Dump') {
            $w = $r.Warnings -join "`n"
            $w | Should -Match 'Trigger cenate_audit_delete was added to the live table since the backup'
            $w | Should -Match 'Trigger cenate_audit_update was added'
            $w | Should -Match 'Trigger asegurados_set_updated_at of the backup is not on the live table'
        }
        $r.Steps -join "`n" | Should -Match 'LOCK TABLE ONLY public\.asegurados IN ACCESS EXCLUSIVE MODE   -- waits at most 30 s'
        # The audit trigger on the restored table logs as the table it is: public.asegurados.
        Q "DELETE FROM public.asegurados WHERE id IN (1, 2, 3)" | Out-Null
        Q "SELECT string_agg(schema_name || '.' || table_name || ':' || operation || ':' || (old_row->>'id'), ',' ORDER BY (old_row->>'id')::int) FROM cenate_audit.audit_log" |
            Should -Be 'public.asegurados:DELETE:1,public.asegurados:DELETE:2,public.asegurados:DELETE:3'
        # The disabled trigger stayed disabled: an update logs nothing.
        Q "UPDATE public.asegurados SET email = 'x@y' WHERE id = 4" | Out-Null
        Q "SELECT count(*) FROM cenate_audit.audit_log WHERE operation = 'UPDATE'" | Should -Be '0'
        Q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.asegurados'::regclass AND tgname = 'asegurados_set_updated_at'" | Should -Be '0'
        # The replaced table keeps its own triggers (and its rows written since the backup).
        Q "SELECT count(*) FROM pg_trigger WHERE tgrelid = '$($r.ReplacedTable)'::regclass AND NOT tgisinternal" | Should -Be '3'
        Get-Schemas | Should -BeNullOrEmpty
    }

    It 'row-level security (enabled and forced), a policy, table and column grants and comments survive Replace from the <From>' -ForEach @(@{ From = 'Dump' }, @{ From = 'Csv' }) {
        Q "ALTER TABLE public.asegurados ENABLE ROW LEVEL SECURITY; ALTER TABLE public.asegurados FORCE ROW LEVEL SECURITY;
           CREATE POLICY solo_activos ON public.asegurados AS PERMISSIVE FOR SELECT TO $Reader USING (estado = 'ACTIVO');
           GRANT SELECT ON public.asegurados TO $Reader; GRANT UPDATE (email) ON public.asegurados TO $Reader;
           COMMENT ON TABLE public.asegurados IS 'padrón de asegurados'; COMMENT ON COLUMN public.asegurados.email IS 'correo, ''validado''';
           TRUNCATE public.asegurados CASCADE" | Out-Null
        $policy = Q "SELECT policyname || '|' || permissive || '|' || roles::text || '|' || cmd || '|' || qual FROM pg_policies WHERE tablename = 'asegurados'"
        $r = Restore-CenateTable -Backup $Set.Path @P -Mode Replace -From $From -DropReplaced -Confirm:$false -WarningAction SilentlyContinue
        $r.LiveRowsAfter | Should -Be $Rows
        $r.ReplacedTable | Should -BeNullOrEmpty
        Q "SELECT relrowsecurity || ',' || relforcerowsecurity FROM pg_class WHERE oid = 'public.asegurados'::regclass" | Should -Be 'true,true'
        Q "SELECT policyname || '|' || permissive || '|' || roles::text || '|' || cmd || '|' || qual FROM pg_policies WHERE tablename = 'asegurados'" | Should -Be $policy
        # The policy works on the restored rows: the reader sees the active ones only.
        $active = Q "SELECT count(*) FROM public.asegurados WHERE estado = 'ACTIVO'"
        [long]$active | Should -BeGreaterThan 0
        [long]$active | Should -BeLessThan $Rows
        Q "SET ROLE $Reader; SELECT count(*) FROM public.asegurados" | Should -Be $active
        Q "SELECT has_table_privilege('$Reader', 'public.asegurados', 'SELECT')::text || has_column_privilege('$Reader', 'public.asegurados', 'email', 'UPDATE')::text || has_column_privilege('$Reader', 'public.asegurados', 'nombres', 'UPDATE')::text" |
            Should -Be 'truetruefalse'
        Q "SELECT obj_description('public.asegurados'::regclass, 'pg_class')" | Should -Be 'padrón de asegurados'
        Q "SELECT col_description('public.asegurados'::regclass, (SELECT attnum FROM pg_attribute WHERE attrelid = 'public.asegurados'::regclass AND attname = 'email'))" | Should -Be "correo, 'validado'"
        if ($From -eq 'Dump') {
            $w = $r.Warnings -join "`n"
            $w | Should -Match 'Row-level security is enabled on the live table, disabled in the backup'
            $w | Should -Match 'Policy solo_activos was added to the live table since the backup'
            $w | Should -Match 'comment'
        }
        Get-Schemas | Should -BeNullOrEmpty
    }

    It 'a policy and a trigger of the backup that differ from the live ones: the live definitions win, Warnings say what differed' {
        Q "ALTER TABLE public.asegurados DISABLE TRIGGER asegurados_set_updated_at" | Out-Null
        $before = Get-Triggers
        $r = Restore-CenateTable -Backup $Set.Path @P -Mode Replace -DropReplaced -Confirm:$false -WarningAction SilentlyContinue
        Get-Triggers | Should -Be $before
        ($r.Warnings -join "`n") | Should -Match 'Trigger asegurados_set_updated_at is disabled on the live table, enabled in the backup'
        # Without any change since the backup, Replace from the dump has nothing to say.
        Reset-Db
        $same = Restore-CenateTable -Backup $Set.Path @P -Mode Replace -DropReplaced -Confirm:$false
        @($same.Warnings | Where-Object { $_ -match 'Trigger|Policy|Row-level|comment|Columns' }) | Should -BeNullOrEmpty
    }
}

Describe 'Restore-CenateTable -LockTimeout: a bounded wait, LockTimeout, nothing changed' {
    BeforeEach { Reset-Db }

    It '<Mode> behind a long transaction holding the table in <LockMode> stops after -LockTimeout with LockTimeout and changes nothing' -ForEach @(
        @{ Mode = 'Replace'; LockMode = 'ACCESS SHARE'; Held = 'AccessShareLock' },
        @{ Mode = 'MissingRows'; LockMode = 'SHARE'; Held = 'ShareLock' }) {
        Q "DELETE FROM public.asegurados WHERE id % 10 = 0" | Out-Null
        $before = Get-Checksum
        $indexes = Q "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'"
        $holder = Start-Psql "BEGIN; LOCK TABLE public.asegurados IN $LockMode MODE; SELECT pg_sleep(90); COMMIT;"
        try {
            $holderPid = Wait-Holder $Held
            $holderPid | Should -Not -BeNullOrEmpty
            $err = $null
            $clock = [Diagnostics.Stopwatch]::StartNew()
            try { Restore-CenateTable -Backup $Set.Path @P -Mode $Mode -LockTimeout '2s' -Confirm:$false } catch { $err = $_ }
            $clock.Stop()
            $holder.HasExited | Should -BeFalse -Because 'the holder still holds the table: the restore gave up, it did not wait for it'
        } finally {
            # The server keeps the holder's transaction until it ends: end it there, then the client.
            Invoke-Psql -Database postgres -Sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$Db' AND query LIKE '%pg_sleep(90)%' AND pid <> pg_backend_pid()" | Out-Null
            if (-not $holder.HasExited) { $holder.Kill() }
            $holder.WaitForExit(10000) | Out-Null
        }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -Be 'LockTimeout,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
        $err.CategoryInfo.Category | Should -Be 'ResourceBusy'
        $err.Exception.Message | Should -Match 'public\.asegurados'
        $err.Exception.Message | Should -Match "pid $holderPid"
        $err.Exception.Message | Should -Match 'rolled back'
        $err.ErrorDetails.RecommendedAction | Should -Match 'pg_stat_activity'
        $err.ErrorDetails.RecommendedAction | Should -Match '-LockTimeout'
        $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 2
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 45
        Get-Checksum | Should -Be $before
        Get-Schemas | Should -BeNullOrEmpty
        Q "SELECT count(*) FROM pg_class WHERE relname LIKE 'asegurados_replaced%'" | Should -Be '0'
        Q "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'" | Should -Be $indexes
        # The holder gone, the same restore goes through.
        (Restore-CenateTable -Backup $Set.Path @P -Mode $Mode -LockTimeout '5s' -Confirm:$false -WarningAction SilentlyContinue).LiveRowsAfter | Should -Be $Rows
    }

    It 'refuses a lock timeout that is not a bounded positive duration before doing anything: <Value>' -ForEach @(
        # Zero and negative durations are refused by the module's one duration rule (transformation); a positive one out of range by the range check.
        @{ Value = [TimeSpan]::Zero; Id = 'ParameterArgumentTransformationError' }, @{ Value = [TimeSpan]::FromSeconds(-5); Id = 'ParameterArgumentTransformationError' },
        @{ Value = '2d'; Id = 'ParameterArgumentValidationError' }, @{ Value = [TimeSpan]::FromTicks(2); Id = 'ParameterArgumentValidationError' }, @{ Value = 2; Id = 'ParameterArgumentTransformationError' }) {
        $before = Get-Checksum
        $err = $null
        try { Restore-CenateTable -Backup $Set.Path @P -Mode Replace -LockTimeout $Value -Confirm:$false } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be "$Id,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand"
        Get-Checksum | Should -Be $before
    }
}

Describe 'Restore-CenateTable: Ctrl+C while the dump is checked against its manifest' {
    It 'stops the SHA-256 of a large dump at once, connects to nothing and changes nothing' {
        Reset-Db
        $before = Get-Checksum
        $copy = New-TestDirectory 'restore-hash'
        New-Item -ItemType Directory $copy | Out-Null
        try {
            # A set whose dump is a 24 GB sparse file with that size in its manifest: hashing it takes many seconds.
            $size = 24GB
            $dumpName = (Split-Path -Leaf ($Set.Files | Where-Object Kind -eq 'Dump').Path)
            $text = Get-Content -Raw -LiteralPath $Set.Path
            $edited = [regex]::Replace($text, '("name":\s*"' + [regex]::Escape($dumpName) + '",\s*"kind":\s*"Dump",\s*"size":\s*)\d+', "`${1}$size")
            $edited | Should -Not -Be $text
            $manifest = Join-Path $copy (Split-Path -Leaf $Set.Path)
            Set-Content -LiteralPath $manifest -Value $edited -NoNewline
            $fs = [IO.File]::Create((Join-Path $copy $dumpName)); try { $fs.SetLength($size) } finally { $fs.Dispose() }
            $bg = Invoke-InBackground -Script { param($Backup, $P) Restore-CenateTable -Backup $Backup @P -Mode Replace -Confirm:$false } -Arguments @{ Backup = $manifest; P = $P }
            Start-Sleep -Seconds 3
            $bg.Handle.IsCompleted | Should -BeFalse -Because 'the dump is still being hashed'
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $bg.PowerShell.Stop()
            $clock.Stop()
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5 -Because 'Ctrl+C must stop the hashing, not wait for it'
            $bg.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
            $bg.PowerShell.Dispose()
        } finally { Remove-Item -LiteralPath $copy -Recurse -Force }
        Q "SELECT count(*) FROM pg_stat_activity WHERE datname = '$Db' AND application_name = 'CenateBackup'" | Should -Be '0'
        Get-Checksum | Should -Be $before
        Get-Schemas | Should -BeNullOrEmpty
    }
}
