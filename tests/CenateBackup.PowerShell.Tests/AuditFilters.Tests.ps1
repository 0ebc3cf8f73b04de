#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Get-CenateAuditLog's filters (-Table, -Schema, -Since, -Until, -Operation, -User, -First, combined) against the same
# question asked of the log table with psql, and Install-CenateAuditTrigger -TruncateMode CountOnly. One database copy
# of its own; every entry id is compared, not only counts.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:Db = "t13_auditf_$suffix"
    $script:App = "t13_app_$suffix"
    Copy-TestDatabase -Name $Db
    $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db }
    function Q([string]$Sql) { Invoke-Psql -Database $Db -Sql $Sql }
    function QAs([string]$Role, [string]$Sql) {
        $env:PGPASSWORD = $Rig.Password
        try { $out = & psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $Rig.Port -U $Role -d $Db -c $Sql 2>&1 } finally { Remove-Item env:PGPASSWORD }
        if ($LASTEXITCODE -ne 0) { throw "psql as ${Role} failed: $out" }
    }
    function Ids([string]$Where) {
        # The oracle: the ids of the matching log rows, oldest first, straight from the table.
        @(Q "SELECT id FROM cenate_audit.audit_log WHERE $Where ORDER BY id") | Where-Object { $_ } | ForEach-Object { [long]$_ }
    }

    Invoke-Psql -Database postgres -Sql "CREATE ROLE $App LOGIN PASSWORD '$($Rig.Password)'" | Out-Null
    Q "GRANT USAGE ON SCHEMA public TO $App; GRANT SELECT, UPDATE, DELETE ON public.asegurados TO $App;
       CREATE SCHEMA otro; CREATE TABLE otro.asegurados (id int PRIMARY KEY, v text); INSERT INTO otro.asegurados SELECT g, 'o' || g FROM generate_series(1, 10) g;
       CREATE TABLE public.cosas (id int PRIMARY KEY, v text); INSERT INTO public.cosas SELECT g, 'c' || g FROM generate_series(1, 10) g;
       CREATE TABLE public.conteo (id int PRIMARY KEY); INSERT INTO public.conteo SELECT generate_series(1, 25)" | Out-Null
    Install-CenateAuditTrigger @P -Operation Delete, Truncate, Update -Confirm:$false | Out-Null
    Install-CenateAuditTrigger @P -Schema otro -Table asegurados -Confirm:$false | Out-Null
    Install-CenateAuditTrigger @P -Table cosas -Operation Delete, Truncate -Confirm:$false | Out-Null
    # Old events (moved 10 days back below), then recent ones by two roles, on three tables with two of one name.
    Q "DELETE FROM public.asegurados WHERE id IN (1, 2, 3)" | Out-Null
    Q "UPDATE cenate_audit.audit_log SET logged_at = now() - interval '10 days'" | Out-Null
    QAs $App "DELETE FROM public.asegurados WHERE id IN (10, 11)"
    QAs $App "UPDATE public.asegurados SET nombres = 'Cambiado' WHERE id = 20"
    Q "DELETE FROM otro.asegurados WHERE id <= 4" | Out-Null
    Q "DELETE FROM public.cosas WHERE id = 7" | Out-Null
    Q "TRUNCATE public.cosas" | Out-Null
    $script:Total = [long](Q "SELECT count(*) FROM cenate_audit.audit_log")
}
AfterAll {
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS $App" | Out-Null
}

Describe 'Get-CenateAuditLog filters, each against psql' {
    It 'the log holds what the setup did (the oracle is not empty)' {
        # 3 + 2 + 1 (update) + 4 + 1 + (9 rows + 1 count entry) of the TRUNCATE
        $Total | Should -Be 21
        (Get-CenateAuditLog @P).Id | Should -Be (Ids 'true')
    }

    It '<Name>' -ForEach @(
        @{ Name = '-Table matches the name in every schema'; Filter = @{ Table = 'asegurados' }; Where = "table_name = 'asegurados'" }
        @{ Name = '-Table with -Schema matches one table'; Filter = @{ Table = 'asegurados'; Schema = 'otro' }; Where = "table_name = 'asegurados' AND schema_name = 'otro'" }
        @{ Name = '-Schema alone matches every table of it'; Filter = @{ Schema = 'public' }; Where = "schema_name = 'public'" }
        @{ Name = '-Operation Update'; Filter = @{ Operation = 'Update' }; Where = "operation = 'UPDATE'" }
        @{ Name = '-Operation Delete, Truncate'; Filter = @{ Operation = 'Delete', 'Truncate' }; Where = "operation IN ('DELETE', 'TRUNCATE')" }
        @{ Name = '-User the application role'; Filter = @{ User = 'APP' }; Where = "(session_user_name = 'APP' OR current_user_name = 'APP')" }
        @{ Name = '-User cenate'; Filter = @{ User = 'cenate' }; Where = "(session_user_name = 'cenate' OR current_user_name = 'cenate')" }
        @{ Name = '-First 4 gives the oldest four'; Filter = @{ First = 4 }; Where = "id IN (SELECT id FROM cenate_audit.audit_log ORDER BY id LIMIT 4)" }
        @{ Name = 'filters combine: -Table asegurados -Schema public -Operation Delete -User APP'; Filter = @{ Table = 'asegurados'; Schema = 'public'; Operation = 'Delete'; User = 'APP' }
           Where = "table_name = 'asegurados' AND schema_name = 'public' AND operation = 'DELETE' AND (session_user_name = 'APP' OR current_user_name = 'APP')" }
        @{ Name = 'a filter that matches nothing gives nothing'; Filter = @{ Table = 'no_existe' }; Where = 'false' }
    ) {
        $f = @{}
        foreach ($k in $Filter.Keys) { $f[$k] = if ($Filter[$k] -eq 'APP') { $App } else { $Filter[$k] } }
        $expected = Ids ($Where -replace "'APP'", "'$App'")
        $got = @(Get-CenateAuditLog @P @f)
        @($got.Id) | Should -Be @($expected)
        if ($expected.Count -gt 0) { $got | ForEach-Object { $_ | Should -BeOfType ([CenateBackup.PowerShell.Output.CenateAuditEntry]) } }
    }

    It '-Since is inclusive and -Until exclusive, by the logged time' {
        $cut = [DateTimeOffset]::Parse((Q "SELECT to_char(min(logged_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD""T""HH24:MI:SS.US') || 'Z' FROM cenate_audit.audit_log WHERE logged_at > now() - interval '1 day'"))
        $old = Ids "logged_at < now() - interval '1 day'"
        $old.Count | Should -Be 3
        (Get-CenateAuditLog @P -Until (Get-Date).AddDays(-1)).Id | Should -Be $old
        (Get-CenateAuditLog @P -Since (Get-Date).AddDays(-1)).Id | Should -Be (Ids "logged_at >= now() - interval '1 day'")
        # At the exact time of the first recent entry: -Since includes it, -Until leaves it out.
        (Get-CenateAuditLog @P -Since $cut.UtcDateTime -First 1).Id | Should -Be (Ids "logged_at >= '$($cut.ToString('o'))'" | Select-Object -First 1)
        (Get-CenateAuditLog @P -Until $cut.UtcDateTime).Id | Should -Be $old
        (Get-CenateAuditLog @P -Since (Get-Date).AddDays(-11) -Until (Get-Date).AddDays(-9) -Table asegurados -Operation Delete).Id | Should -Be $old
    }
}

Describe 'Install-CenateAuditTrigger -TruncateMode CountOnly' {
    It 'logs one count entry and no rows, the rows cannot be restored from it, and the TRUNCATE still happens' {
        $i = Install-CenateAuditTrigger @P -Table conteo -Operation Truncate -TruncateMode CountOnly -Confirm:$false
        $i.Triggers | Should -Contain 'cenate_audit_truncate'
        $before = [long](Q "SELECT count(*) FROM cenate_audit.audit_log")
        Q "TRUNCATE public.conteo" | Out-Null
        Q "SELECT count(*) FROM public.conteo" | Should -Be '0'
        Q "SELECT count(*) FROM cenate_audit.audit_log" | Should -Be "$($before + 1)"
        Q "SELECT operation || ':' || row_count || ':' || (old_row IS NULL) || ':' || (old_row_image IS NULL) FROM cenate_audit.audit_log WHERE table_name = 'conteo'" |
            Should -Be 'TRUNCATE:25:true:true'
        $e = @(Get-CenateAuditLog @P -Table conteo)
        $e.Count | Should -Be 1
        $e[0].Operation | Should -Be 'TRUNCATE'
        $e[0].RowCount | Should -Be 25
        $e[0].OldRow | Should -BeNullOrEmpty
        { Restore-CenateDeletedRow @P -Table conteo -Since (Get-Date).AddHours(-1) -Confirm:$false } |
            Should -Throw -ErrorId 'AuditEntriesNotFound,CenateBackup.PowerShell.Commands.RestoreCenateDeletedRowCommand'
        Q "SELECT count(*) FROM public.conteo" | Should -Be '0'
    }

    It 'the default (Rows) on the same kind of table logs every row and the count' {
        Q "CREATE TABLE public.conteo_rows (id int PRIMARY KEY); INSERT INTO public.conteo_rows SELECT generate_series(1, 25)" | Out-Null
        Install-CenateAuditTrigger @P -Table conteo_rows -Operation Truncate -Confirm:$false | Out-Null
        Q "TRUNCATE public.conteo_rows" | Out-Null
        Q "SELECT count(*) FILTER (WHERE old_row IS NOT NULL) || ':' || max(row_count) FROM cenate_audit.audit_log WHERE table_name = 'conteo_rows'" | Should -Be '25:25'
    }
}

Describe 'Restore-CenateDeletedRow into a table with a DEFERRABLE key (ON CONFLICT refuses it)' {
    It 'puts the deleted rows back exactly, skipping a key that exists again' {
        Q "CREATE TABLE public.diferido (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED, v text UNIQUE DEFERRABLE);
           INSERT INTO public.diferido SELECT g, 'd' || g FROM generate_series(1, 30) g" | Out-Null
        $before = Q "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM public.diferido t"
        Install-CenateAuditTrigger @P -Table diferido -Operation Delete -Confirm:$false | Out-Null
        Q 'DELETE FROM public.diferido WHERE id % 3 = 0' | Out-Null
        Q "INSERT INTO public.diferido VALUES (30, 'd30')" | Out-Null
        $r = Restore-CenateDeletedRow @P -Table diferido -Confirm:$false
        $r.Considered | Should -Be 10
        $r.Inserted | Should -Be 9
        $r.Skipped | Should -Be 1
        Q "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM public.diferido t" | Should -Be $before
    }
}
