#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Audit triggers, protection and undelete against the rig's real PostgreSQL container. Every test has a database of
# its own (a fresh copy of a template made once here) and sets up what it needs itself: no test relies on the state
# another one left, so any one of them can run alone or in any order.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Tpl = "cenate_audit_tpl_$suffix"
    $script:App = "cenate_app_$suffix"
    Copy-TestDatabase -Name $Tpl
    Invoke-Psql -Database postgres -Sql "CREATE ROLE $App LOGIN PASSWORD '$($Rig.Password)'" | Out-Null
    Invoke-Psql -Database $Tpl -Sql "GRANT USAGE ON SCHEMA public TO $App; GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON public.asegurados TO $App;
        CREATE TABLE public.sin_pk (a int, b text); INSERT INTO public.sin_pk SELECT g, 'x' || g FROM generate_series(1, 20) g" | Out-Null
    $script:TplRows = [long](Invoke-Psql -Database $Tpl -Sql 'SELECT count(*) FROM public.asegurados')

    function New-AuditDatabase {
        # A fresh copy of the template and a read-only role name of its own, for one test.
        $script:Db = 't13_audit_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $script:Reader = 'cenate_ro_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Copy-TestDatabase -Name $Db -Template $Tpl
        $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db }
    }
    function Remove-AuditDatabase {
        Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
        Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS $Reader" | Out-Null
    }
    function Install-Audit([string[]]$Operation = @('Delete', 'Truncate', 'Update')) {
        Install-CenateAuditTrigger @P -Operation $Operation -Confirm:$false | Out-Null
        Q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.asegurados'::regclass AND tgname LIKE 'cenate_audit%'" |
            Should -Be "$($Operation.Count)" -Because 'the test''s own setup installs the triggers'
    }
    function Q([string]$Sql) { Invoke-Psql -Database $Db -Sql $Sql }
    function QAs([string]$Role, [string]$Sql) {
        # psql as another role; returns output and exit code.
        $env:PGPASSWORD = $Rig.Password
        try { $out = & psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $Rig.Port -U $Role -d $Db -c $Sql 2>&1 } finally { Remove-Item env:PGPASSWORD }
        [pscustomobject]@{ Out = ($out | Out-String); Code = $LASTEXITCODE }
    }
}
AfterAll {
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Tpl WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS $App" | Out-Null
}

Describe 'Install-CenateAuditTrigger and the audit log' {
    BeforeEach { New-AuditDatabase }
    AfterEach { Remove-AuditDatabase }

    It 'installs in one go, and a second run changes nothing and says so' {
        $first = Install-CenateAuditTrigger @P -Operation Delete, Truncate, Update -Confirm:$false
        $first.Changed | Should -BeTrue
        $first.Triggers | Should -Be @('cenate_audit_delete', 'cenate_audit_truncate', 'cenate_audit_update')
        $second = Install-CenateAuditTrigger @P -Operation Delete, Truncate, Update -Confirm:$false
        $second.Changed | Should -BeFalse
        $second.Steps | Should -BeNullOrEmpty
        Q "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'cenate_audit' AND p.prosecdef" | Should -Be '3'
        Q "SELECT count(*) FROM information_schema.role_table_grants WHERE table_schema = 'cenate_audit' AND grantee IN ('PUBLIC', '$App')" | Should -Be '0'
    }

    It 'logs every deleted row in full: 10,000 rows, to_jsonb equal' {
        Install-Audit
        Q "CREATE TABLE public.borradas AS SELECT to_jsonb(a) AS j FROM public.asegurados a WHERE id <= 10000" | Out-Null
        Q "DELETE FROM public.asegurados WHERE id <= 10000" | Out-Null
        Q "SELECT count(*) FROM cenate_audit.audit_log WHERE operation = 'DELETE' AND table_name = 'asegurados'" | Should -Be '10000'
        Q "SELECT count(*) FROM (SELECT j FROM public.borradas EXCEPT SELECT old_row FROM cenate_audit.audit_log WHERE operation = 'DELETE') x" | Should -Be '0'
        $e = Get-CenateAuditLog @P -Table asegurados -Operation Delete -First 1
        $e.Operation | Should -Be 'DELETE'
        $e.SessionUser | Should -Be 'cenate'
        $e.Statement | Should -Be 'DELETE FROM public.asegurados WHERE id <= 10000'
        ($e.OldRow | ConvertFrom-Json).id | Should -Be 1
    }

    It 'puts deleted rows back identical, and skips rows whose key exists again' {
        Install-Audit
        Q "CREATE TABLE public.borradas AS SELECT to_jsonb(a) AS j FROM public.asegurados a WHERE id <= 10000" | Out-Null
        Q "DELETE FROM public.asegurados WHERE id <= 10000" | Out-Null
        Q "SELECT count(*) FROM cenate_audit.audit_log WHERE operation = 'DELETE'" | Should -Be '10000'
        Q "INSERT INTO public.asegurados (id, tipo_documento, numero_documento, apellido_paterno, nombres, fecha_nacimiento, sexo, ubigeo, tipo_seguro, codigo_ipress, fecha_afiliacion)
           SELECT 5, 'DNI', 'OTRO5', 'X', 'Y', '2000-01-01', 'M', '150101', 'SIS', codigo, '2020-01-01' FROM public.ipress LIMIT 1" | Out-Null
        $r = Get-CenateAuditLog @P -Table asegurados -Operation Delete | Where-Object { ($_.OldRow | ConvertFrom-Json).id -le 100 } |
            Restore-CenateDeletedRow @P -Confirm:$false
        $r.Considered | Should -Be 100
        $r.Inserted | Should -Be 99
        $r.Skipped | Should -Be 1
        Q "SELECT count(*) FROM public.asegurados a JOIN public.borradas b ON to_jsonb(a) = b.j" | Should -Be '99'
        Q "SELECT numero_documento FROM public.asegurados WHERE id = 5" | Should -Be 'OTRO5'
        # The rest, by table and time window.
        $all = Restore-CenateDeletedRow @P -Table asegurados -Since (Get-Date).AddHours(-1) -Confirm:$false
        $all.Inserted | Should -Be 9900
        Q "SELECT count(*) FROM (SELECT j FROM public.borradas EXCEPT SELECT to_jsonb(a) FROM public.asegurados a) x" | Should -Be '1' -Because 'only id 5, taken again, stays different'
    }

    It 'logs a TRUNCATE row by row, with who did it and how many rows went' {
        Install-Audit
        $before = [long](Q "SELECT count(*) FROM public.asegurados")
        $before | Should -Be $TplRows
        Q "CREATE TABLE public.copia AS SELECT to_jsonb(a) AS j FROM public.asegurados a" | Out-Null
        Q "TRUNCATE public.asegurados" | Out-Null
        $t = @(Get-CenateAuditLog @P -Table asegurados -Operation Truncate)
        ($t | Where-Object OldRow).Count | Should -Be $before
        ($t | Where-Object RowCount).RowCount | Should -Be $before
        ($t | Select-Object -First 1).SessionUser | Should -Be 'cenate'
        Q "SELECT count(*) FROM (SELECT j FROM public.copia EXCEPT SELECT old_row FROM cenate_audit.audit_log WHERE operation = 'TRUNCATE') x" | Should -Be '0'
        $u = $t | Restore-CenateDeletedRow @P -Confirm:$false
        $u.Inserted | Should -Be $before
        Q "SELECT count(*) FROM public.asegurados" | Should -Be "$before"
    }

    It 'an app role cannot DELETE or TRUNCATE after Protect-CenateTable, cannot touch the log, cannot bypass the triggers' {
        Install-Audit
        $p = Protect-CenateTable @P -Role $App -Confirm:$false
        $p.Roles | Should -Be $App
        ($p.Before | Where-Object Role -eq $App).Privileges | Should -Match 'DELETE'
        ($p.After | Where-Object Role -eq $App).Privileges | Should -Not -Match 'DELETE|TRUNCATE'
        (QAs $App "DELETE FROM public.asegurados WHERE id = 20000").Out | Should -Match 'permission denied'
        (QAs $App "TRUNCATE public.asegurados").Out | Should -Match 'permission denied'
        (QAs $App "DELETE FROM cenate_audit.audit_log").Out | Should -Match 'permission denied'
        (QAs $App "SET session_replication_role = replica").Out | Should -Match 'permission denied'
        (QAs $App "ALTER TABLE public.asegurados DISABLE TRIGGER cenate_audit_delete").Out | Should -Match 'must be owner'
        (QAs $App "SELECT count(*) FROM public.asegurados").Code | Should -Be 0
        Q "SELECT count(*) FROM public.asegurados" | Should -Be "$TplRows" -Because 'nothing the app role tried went through'
    }

    It 'Uninstall removes the triggers and keeps the log; -WhatIf changes nothing' {
        Install-Audit
        Q "DELETE FROM public.asegurados WHERE id <= 25" | Out-Null
        $rows = Q "SELECT count(*) FROM cenate_audit.audit_log"
        $rows | Should -Be '25'
        Uninstall-CenateAuditTrigger @P -Operation Delete, Truncate, Update -RemoveLog -WhatIf | Should -BeNullOrEmpty
        Q "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'cenate_audit%'" | Should -Be '3'
        $u = Uninstall-CenateAuditTrigger @P -Operation Delete, Truncate, Update -Confirm:$false
        $u.Triggers | Should -BeNullOrEmpty
        Q "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'cenate_audit%'" | Should -Be '0'
        Q "SELECT count(*) FROM cenate_audit.audit_log" | Should -Be $rows
        Q "DELETE FROM public.asegurados WHERE id = 19999" | Out-Null
        Q "SELECT count(*) FROM cenate_audit.audit_log" | Should -Be $rows -Because 'no trigger is left'
        (Install-CenateAuditTrigger @P -Confirm:$false).Triggers | Should -Be @('cenate_audit_delete', 'cenate_audit_truncate')
    }

    It 'Remove-CenateAuditLog deletes only entries older than the period; -WhatIf counts them' {
        Install-Audit
        Q "DELETE FROM public.asegurados WHERE id <= 120" | Out-Null
        Q "UPDATE cenate_audit.audit_log SET logged_at = now() - interval '200 days' WHERE id IN (SELECT id FROM cenate_audit.audit_log ORDER BY id LIMIT 50)" | Out-Null
        $total = [long](Q "SELECT count(*) FROM cenate_audit.audit_log")
        $total | Should -Be 120
        Remove-CenateAuditLog @P -OlderThan '180d' -WhatIf | Should -BeNullOrEmpty
        Q "SELECT count(*) FROM cenate_audit.audit_log" | Should -Be "$total"
        $r = Remove-CenateAuditLog @P -OlderThan '180d' -Confirm:$false
        $r.Removed | Should -Be 50
        Q "SELECT count(*) FROM cenate_audit.audit_log" | Should -Be "$($total - 50)"
    }

    It 'New-CenateReadOnlyRole: the role logs in with its password, reads tables and the view, cannot write, and the password is nowhere' {
        Install-Audit
        $secret = 'Ro-' + [guid]::NewGuid().ToString('N')
        $pw = ConvertTo-SecureString $secret -AsPlainText -Force
        $r = New-CenateReadOnlyRole @P -Name $Reader -Password $pw -View asegurados -Confirm:$false -Verbose 4>&1 | Tee-Object -Variable all | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $r.Created | Should -BeTrue
        $r.Views | Should -Be 'public.v_asegurados_readonly'
        ($all | Out-String) + ($r.Steps -join ' ') | Should -Not -Match ([regex]::Escape($secret))
        $env:PGPASSWORD = $secret
        try {
            & psql -X -A -t -h 127.0.0.1 -p $Rig.Port -U $Reader -d $Db -c 'SELECT count(*) > 0 FROM public.v_asegurados_readonly' 2>&1 | Should -Be 't'
            (& psql -X -A -t -h 127.0.0.1 -p $Rig.Port -U $Reader -d $Db -c 'DELETE FROM public.asegurados WHERE id = 1' 2>&1 | Out-String) | Should -Match 'permission denied'
            (& psql -X -A -t -h 127.0.0.1 -p $Rig.Port -U $Reader -d $Db -c 'SELECT count(*) FROM cenate_audit.audit_log' 2>&1 | Out-String) | Should -Match 'permission denied'
        } finally { Remove-Item env:PGPASSWORD }
        Q "SELECT rolpassword LIKE 'SCRAM-SHA-256%' FROM pg_authid WHERE rolname = '$Reader'" | Should -Be 't'
        (New-CenateReadOnlyRole @P -Name $Reader -Password $pw -Confirm:$false).Created | Should -BeFalse
    }
}

Describe 'Audit cmdlets on bad input: clear errors, nothing half done' {
    BeforeEach { New-AuditDatabase }
    AfterEach { Remove-AuditDatabase }

    It 'a table that does not exist is TableNotFound, and installs nothing' {
        { Install-CenateAuditTrigger @P -Table no_existe -Confirm:$false } | Should -Throw -ErrorId 'TableNotFound,CenateBackup.PowerShell.Commands.InstallCenateAuditTriggerCommand'
    }

    It 'a role that does not exist is RoleNotFound, and nothing is revoked' {
        Q "SELECT has_table_privilege('$App', 'public.asegurados', 'TRUNCATE')" | Should -Be 't'
        Q "GRANT DELETE ON public.asegurados TO $App" | Out-Null
        { Protect-CenateTable @P -Role $App, 'no_existe_rol' -Confirm:$false } | Should -Throw -ErrorId 'RoleNotFound,CenateBackup.PowerShell.Commands.ProtectCenateTableCommand'
        Q "SELECT has_table_privilege('$App', 'public.asegurados', 'DELETE')" | Should -Be 't'
        (Protect-CenateTable @P -AllExcept cenate -Confirm:$false).Roles | Should -Contain $App
        Q "SELECT has_table_privilege('$App', 'public.asegurados', 'DELETE')" | Should -Be 'f'
    }

    It 'undelete of a table without a primary key is refused with NoPrimaryKey' {
        Install-CenateAuditTrigger @P -Table sin_pk -Confirm:$false | Out-Null
        Q "DELETE FROM public.sin_pk WHERE a <= 5" | Out-Null
        { Restore-CenateDeletedRow @P -Table sin_pk -Since (Get-Date).AddHours(-1) -Confirm:$false } | Should -Throw -ErrorId 'NoPrimaryKey,CenateBackup.PowerShell.Commands.RestoreCenateDeletedRowCommand'
        Q "SELECT count(*) FROM public.sin_pk" | Should -Be '15'
    }

    It 'a role without privilege gets InsufficientPrivilege and nothing is half installed' {
        $q = $P.Clone(); $q.Credential = Get-TestCredential -User $App
        Invoke-Psql -Database postgres -Sql "REVOKE CREATE ON DATABASE $Db FROM PUBLIC" | Out-Null
        { Install-CenateAuditTrigger @q -AuditSchema cenate_audit_otro -Confirm:$false } | Should -Throw -ErrorId 'InsufficientPrivilege,CenateBackup.PowerShell.Commands.InstallCenateAuditTriggerCommand'
        Q "SELECT count(*) FROM pg_namespace WHERE nspname = 'cenate_audit_otro'" | Should -Be '0'
    }

    It 'Uninstall -RemoveLog refuses while another table''s trigger writes to the log, and removes everything once none does' {
        Install-Audit -Operation Delete, Truncate
        Install-CenateAuditTrigger @P -Table sin_pk -Confirm:$false | Out-Null
        { Uninstall-CenateAuditTrigger @P -Table asegurados -RemoveLog -Confirm:$false } | Should -Throw -ErrorId 'AuditLogInUse,CenateBackup.PowerShell.Commands.UninstallCenateAuditTriggerCommand'
        Q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.asegurados'::regclass AND tgname LIKE 'cenate_audit%'" | Should -Be '2'
        Uninstall-CenateAuditTrigger @P -Table sin_pk -Confirm:$false | Out-Null
        $u = Uninstall-CenateAuditTrigger @P -Table asegurados -RemoveLog -Confirm:$false
        $u.Changed | Should -BeTrue
        Q "SELECT count(*) FROM pg_namespace WHERE nspname = 'cenate_audit'" | Should -Be '0'
    }

    It 'New-CenateReadOnlyRole never turns an administrator into a read-only role' {
        $pw = ConvertTo-SecureString ('X-' + [guid]::NewGuid().ToString('N')) -AsPlainText -Force
        { New-CenateReadOnlyRole @P -Name cenate -Password $pw -Confirm:$false } | Should -Throw -ErrorId 'RoleNotReadOnly,CenateBackup.PowerShell.Commands.NewCenateReadOnlyRoleCommand'
        Q "SELECT rolsuper FROM pg_roles WHERE rolname = 'cenate'" | Should -Be 't'
    }

    It 'no audit log is AuditLogNotFound' {
        { Get-CenateAuditLog @P -AuditSchema no_hay } | Should -Throw -ErrorId 'AuditLogNotFound,CenateBackup.PowerShell.Commands.GetCenateAuditLogCommand'
    }
}
