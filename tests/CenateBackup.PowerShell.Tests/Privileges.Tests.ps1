#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 23 §4 and §5: the privilege cmdlets never widen or hijack, and the SCRAM verifier follows SASLprep as PostgreSQL does.
# Against the rig's real PostgreSQL container, in a database and with roles of its own (names carry a random suffix).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:S = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Db = "cenate_priv_$S"
    $script:Roles = [System.Collections.Generic.List[string]]::new()
    function script:NewRole([string]$Name, [string]$Options = 'NOLOGIN') {
        Invoke-Psql -Database postgres -Sql "CREATE ROLE $Name $Options" | Out-Null
        $script:Roles.Add($Name)
        $Name
    }
    Invoke-Psql -Database postgres -Sql "CREATE DATABASE $Db" | Out-Null
    # A second database: grants there are invisible from $Db's catalog but still count.
    Invoke-Psql -Database postgres -Sql "CREATE DATABASE ${Db}_b" | Out-Null
    $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db }
    function script:Q([string]$Sql) { Invoke-Psql -Database $Db -Sql $Sql }
    function script:LoginAs([string]$Role, [string]$Password, [string]$Sql = 'SELECT 1') {
        # libpq (psql) applies SASLprep to the password, as the server does.
        $env:PGPASSWORD = $Password
        try { $out = & psql -X -q -A -t -h 127.0.0.1 -p $Rig.Port -U $Role -d $Db -c $Sql 2>&1 } finally { Remove-Item env:PGPASSWORD }
        [pscustomobject]@{ Out = ($out | Out-String).Trim(); Code = $LASTEXITCODE }
    }
    function script:StoredPassword([string]$Role) { Q "SELECT coalesce(rolpassword, '<null>') FROM pg_authid WHERE rolname = '$Role'" }
    function script:Secure([string]$Text) { ConvertTo-SecureString $Text -AsPlainText -Force }
    $script:Owner = NewRole "priv_owner_$S"
    Q "CREATE TABLE public.pacientes (id int PRIMARY KEY, nombre text); INSERT INTO public.pacientes SELECT g, 'p' || g FROM generate_series(1, 20) g;
       ALTER TABLE public.pacientes OWNER TO $Owner" | Out-Null
}
AfterAll {
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS ${Db}_b WITH (FORCE)" | Out-Null
    # Members before the roles they belong to does not matter for DROP ROLE; drop in reverse creation order anyway.
    for ($i = $Roles.Count - 1; $i -ge 0; $i--) { Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS $($Roles[$i])" | Out-Null }
}

Describe 'Protect-CenateTable checks what the roles can still do, not only their own grants' {
    BeforeAll {
        $script:App1 = NewRole "priv_app1_$S" "LOGIN PASSWORD '$($Rig.Password)'"
        $script:App2 = NewRole "priv_app2_$S" "LOGIN PASSWORD '$($Rig.Password)'"
        $script:Grp = NewRole "priv_grp_$S"
        Invoke-Psql -Database postgres -Sql "GRANT $Grp TO $App2" | Out-Null
        function script:ResetGrants {
            Q "REVOKE ALL ON public.pacientes FROM PUBLIC, $App1, $App2, $Grp;
               GRANT SELECT, INSERT, DELETE, TRUNCATE ON public.pacientes TO $App1, $App2;
               GRANT DELETE ON public.pacientes TO PUBLIC; GRANT SELECT, TRUNCATE ON public.pacientes TO $Grp" | Out-Null
        }
        function script:Acl { Q "SELECT relacl::text FROM pg_class WHERE oid = 'public.pacientes'::regclass" }
    }

    It 'fails with PrivilegeStillGranted, naming each role and its path (PUBLIC, group role), and changes nothing; -WhatIf says the same' {
        ResetGrants
        $before = Acl
        $e = { Protect-CenateTable @P -Table pacientes -Role $App1, $App2 -Confirm:$false } | Should -Throw -ErrorId 'PrivilegeStillGranted,CenateBackup.PowerShell.Commands.ProtectCenateTableCommand' -PassThru
        $e.Exception.Message | Should -Match ([regex]::Escape("'$App1' can still DELETE through PUBLIC"))
        $e.Exception.Message | Should -Match ([regex]::Escape("'$App2' can still DELETE through PUBLIC"))
        $e.Exception.Message | Should -Match ([regex]::Escape("TRUNCATE through group role $Grp"))
        $e.Exception.Message | Should -Not -Match "'$App1' can still TRUNCATE"
        $e.ErrorDetails.RecommendedAction | Should -Match 'IncludeInherited'
        Acl | Should -Be $before -Because 'the transaction was rolled back: even the direct grants are still there'
        (LoginAs $App1 $Rig.Password "SELECT has_table_privilege('public.pacientes', 'DELETE')").Out | Should -Be 't'
        { Protect-CenateTable @P -Table pacientes -Role $App1, $App2 -WhatIf } | Should -Throw -ErrorId 'PrivilegeStillGranted,CenateBackup.PowerShell.Commands.ProtectCenateTableCommand'
        Acl | Should -Be $before
    }

    It '-IncludeInherited also revokes from PUBLIC and the group role, says so, and the roles really cannot DELETE or TRUNCATE' {
        ResetGrants
        $r = Protect-CenateTable @P -Table pacientes -Role $App1, $App2 -IncludeInherited -Confirm:$false 3>&1 | Tee-Object -Variable all | Where-Object { $_ -isnot [System.Management.Automation.WarningRecord] }
        @($r.Inherited) | Sort-Object | Should -Be (@('PUBLIC', $Grp) | Sort-Object)
        @($r.Roles) | Should -Contain 'PUBLIC'
        @($r.Roles) | Should -Contain $Grp
        $r.Steps | Should -Contain "REVOKE DELETE, TRUNCATE ON TABLE `"public`".`"pacientes`" FROM PUBLIC"
        ($all | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | Out-String) | Should -Match "PUBLIC.*$Grp|$Grp.*PUBLIC"
        foreach ($role in $App1, $App2) {
            foreach ($priv in 'DELETE', 'TRUNCATE') {
                Q "SELECT has_table_privilege('$role', 'public.pacientes', '$priv') OR has_table_privilege('$Grp', 'public.pacientes', '$priv')" | Should -Be 'f'
            }
        }
        (LoginAs $App1 $Rig.Password 'DELETE FROM public.pacientes WHERE id = 1').Out | Should -Match 'permission denied'
        (LoginAs $App2 $Rig.Password "SET ROLE $Grp; TRUNCATE public.pacientes").Out | Should -Match 'permission denied'
        (LoginAs $App2 $Rig.Password 'SELECT count(*) FROM public.pacientes').Out | Should -Be '20'
        Q "SELECT has_table_privilege('$Grp', 'public.pacientes', 'SELECT')" | Should -Be 't' -Because 'only DELETE and TRUNCATE are taken'
    }

    It 'counts a NOINHERIT member (it can SET ROLE) and pg_write_all_data, which -IncludeInherited cannot revoke' {
        $noinh = NewRole "priv_noinh_$S" 'LOGIN NOINHERIT'
        $grp2 = NewRole "priv_grp2_$S"
        Invoke-Psql -Database postgres -Sql "GRANT $grp2 TO $noinh" | Out-Null
        Q "REVOKE ALL ON public.pacientes FROM PUBLIC; GRANT DELETE ON public.pacientes TO $grp2" | Out-Null
        Q "SELECT has_table_privilege('$noinh', 'public.pacientes', 'DELETE')" | Should -Be 'f' -Because 'NOINHERIT hides it from has_table_privilege, yet SET ROLE reaches it'
        $e = { Protect-CenateTable @P -Table pacientes -Role $noinh -Confirm:$false } | Should -Throw -ErrorId 'PrivilegeStillGranted,CenateBackup.PowerShell.Commands.ProtectCenateTableCommand' -PassThru
        $e.Exception.Message | Should -Match ([regex]::Escape("DELETE through group role $grp2"))

        $writer = NewRole "priv_wad_$S" 'LOGIN'
        Invoke-Psql -Database postgres -Sql "GRANT pg_write_all_data TO $writer" | Out-Null
        $e = { Protect-CenateTable @P -Table pacientes -Role $writer -IncludeInherited -Confirm:$false } | Should -Throw -ErrorId 'PrivilegeStillGranted,CenateBackup.PowerShell.Commands.ProtectCenateTableCommand' -PassThru
        $e.Exception.Message | Should -Match 'membership in pg_write_all_data'
        $e.ErrorDetails.RecommendedAction | Should -Match 'REVOKE pg_write_all_data'
    }

    It 'refuses the owner, a member of the owner role and a superuser, names the remedy, and revokes nothing' {
        $before = Acl
        $e = { Protect-CenateTable @P -Table pacientes -Role $Owner -Confirm:$false } | Should -Throw -ErrorId 'RoleOwnsTable,CenateBackup.PowerShell.Commands.ProtectCenateTableCommand' -PassThru
        $e.Exception.Message | Should -Match "owns public.pacientes"
        $e.ErrorDetails.RecommendedAction | Should -Match 'NOLOGIN'
        $e.CategoryInfo.Category | Should -Be 'InvalidOperation'
        $member = NewRole "priv_ownmem_$S" 'LOGIN'
        Invoke-Psql -Database postgres -Sql "GRANT $Owner TO $member" | Out-Null
        $e = { Protect-CenateTable @P -Table pacientes -Role $App1, $member -Confirm:$false } | Should -Throw -ErrorId 'RoleOwnsTable,CenateBackup.PowerShell.Commands.ProtectCenateTableCommand' -PassThru
        $e.Exception.Message | Should -Match "member of '$Owner', the owner"
        { Protect-CenateTable @P -Table pacientes -Role cenate -Confirm:$false } | Should -Throw -ErrorId 'RoleIsSuperuser,CenateBackup.PowerShell.Commands.ProtectCenateTableCommand'
        Acl | Should -Be $before
    }

    It 'a partitioned table: its partitions are revoked and checked too, and the owner of a partition is refused' {
        Q "CREATE TABLE public.citas (id int, y int) PARTITION BY RANGE (y);
           CREATE TABLE public.citas_2024 PARTITION OF public.citas FOR VALUES FROM (2024) TO (2025);
           CREATE TABLE public.citas_2025 PARTITION OF public.citas FOR VALUES FROM (2025) TO (2026);
           INSERT INTO public.citas VALUES (1, 2024), (2, 2025);
           ALTER TABLE public.citas OWNER TO $Owner; ALTER TABLE public.citas_2024 OWNER TO $Owner; ALTER TABLE public.citas_2025 OWNER TO $Owner" | Out-Null
        $app = NewRole "priv_part_$S" "LOGIN PASSWORD '$($Rig.Password)'"
        Q "GRANT USAGE ON SCHEMA public TO $app; GRANT SELECT, DELETE ON public.citas TO $app; GRANT DELETE ON public.citas_2024 TO $app; GRANT TRUNCATE ON public.citas_2025 TO PUBLIC" | Out-Null
        $e = { Protect-CenateTable @P -Table citas -Role $app -Confirm:$false } | Should -Throw -ErrorId 'PrivilegeStillGranted,CenateBackup.PowerShell.Commands.ProtectCenateTableCommand' -PassThru
        $e.Exception.Message | Should -Match ([regex]::Escape('TRUNCATE on partition public.citas_2025 through PUBLIC'))
        Q "SELECT has_table_privilege('$app', 'public.citas_2024', 'DELETE')" | Should -Be 't' -Because 'rolled back'

        $r = Protect-CenateTable @P -Table citas -Role $app -IncludeInherited -Confirm:$false 3>$null
        $r.Steps | Should -Contain "REVOKE DELETE, TRUNCATE ON TABLE `"public`".`"citas`", `"public`".`"citas_2024`", `"public`".`"citas_2025`" FROM `"$app`""
        foreach ($rel in 'citas', 'citas_2024', 'citas_2025') {
            Q "SELECT has_table_privilege('$app', 'public.$rel', 'DELETE') OR has_table_privilege('$app', 'public.$rel', 'TRUNCATE')" | Should -Be 'f'
        }
        (LoginAs $app $Rig.Password 'DELETE FROM public.citas_2024').Out | Should -Match 'permission denied'
        (LoginAs $app $Rig.Password 'SELECT count(*) FROM public.citas').Out | Should -Be '2'

        Q "ALTER TABLE public.citas_2025 OWNER TO $app" | Out-Null
        $e = { Protect-CenateTable @P -Table citas -Role $app -Confirm:$false } | Should -Throw -ErrorId 'RoleOwnsTable,CenateBackup.PowerShell.Commands.ProtectCenateTableCommand' -PassThru
        $e.Exception.Message | Should -Match ([regex]::Escape('owns public.citas_2025 (a partition of public.citas)'))
    }

    It 'refuses the owner of the table''s schema, who can DROP the table' {
        $so = NewRole "priv_schown_$S" 'LOGIN'
        Q "CREATE SCHEMA zona_$S AUTHORIZATION $so; CREATE TABLE zona_$S.t (a int); ALTER TABLE zona_$S.t OWNER TO $Owner; GRANT DELETE ON zona_$S.t TO $so" | Out-Null
        $e = { Protect-CenateTable @P -Schema "zona_$S" -Table t -Role $so -Confirm:$false } | Should -Throw -ErrorId 'RoleOwnsTable,CenateBackup.PowerShell.Commands.ProtectCenateTableCommand' -PassThru
        $e.Exception.Message | Should -Match "owns schema zona_$S"
        Q "SELECT has_table_privilege('$so', 'zona_$S.t', 'DELETE')" | Should -Be 't' -Because 'nothing was revoked'
    }

    It '-IncludeInherited without -Role is refused before connecting' {
        { Protect-CenateTable @P -Table pacientes -AllExcept @() -IncludeInherited -Confirm:$false } | Should -Throw -ErrorId 'IncludeInheritedNeedsRole,CenateBackup.PowerShell.Commands.ProtectCenateTableCommand'
    }
}

Describe 'New-CenateReadOnlyRole never hijacks or widens an existing role' {
    It 'refuses an application role that can write and has a password: RoleNotReadOnly, its password and grants untouched' {
        $app = NewRole "priv_roapp_$S" "LOGIN PASSWORD 'app-secret-1'"
        Q "GRANT SELECT, INSERT, UPDATE ON public.pacientes TO $app" | Out-Null
        $stored = StoredPassword $app
        $e = { New-CenateReadOnlyRole @P -Name $app -Password (Secure 'otra-clave') -Confirm:$false } | Should -Throw -ErrorId 'RoleNotReadOnly,CenateBackup.PowerShell.Commands.NewCenateReadOnlyRoleCommand' -PassThru
        $e.Exception.Message | Should -Match 'INSERT, UPDATE on public.pacientes'
        StoredPassword $app | Should -Be $stored
        (LoginAs $app 'app-secret-1').Code | Should -Be 0
        Q "SELECT has_table_privilege('$app', 'public.pacientes', 'INSERT')" | Should -Be 't'
        Q "SELECT shobj_description(oid, 'pg_authid') IS NULL FROM pg_roles WHERE rolname = '$app'" | Should -Be 't'
    }

    It 'refuses every kind of write capability, direct or through membership: <Kind>' -ForEach @(
        @{ Kind = 'DELETE via a group role'; Setup = { param($r) Invoke-Psql -Database postgres -Sql "CREATE ROLE ${r}_g; GRANT ${r}_g TO $r" | Out-Null; $script:Roles.Add("${r}_g"); Q "GRANT DELETE ON public.pacientes TO ${r}_g" | Out-Null }; Reason = 'DELETE on public.pacientes \(through membership in' }
        @{ Kind = 'UPDATE on a column'; Setup = { param($r) Q "GRANT UPDATE (nombre) ON public.pacientes TO $r" | Out-Null }; Reason = 'UPDATE on columns of public.pacientes' }
        @{ Kind = 'TRIGGER'; Setup = { param($r) Q "GRANT TRIGGER ON public.pacientes TO $r" | Out-Null }; Reason = 'TRIGGER on public.pacientes' }
        @{ Kind = 'REFERENCES'; Setup = { param($r) Q "GRANT REFERENCES ON public.pacientes TO $r" | Out-Null }; Reason = 'REFERENCES on public.pacientes' }
        @{ Kind = 'UPDATE on a sequence'; Setup = { param($r) Q "CREATE SEQUENCE public.${r}_seq; GRANT UPDATE ON SEQUENCE public.${r}_seq TO $r" | Out-Null }; Reason = 'UPDATE on public.\w+_seq' }
        @{ Kind = 'CREATE on a schema'; Setup = { param($r) Q "GRANT CREATE ON SCHEMA public TO $r" | Out-Null }; Reason = 'CREATE on schema public' }
        @{ Kind = 'CREATE on the database'; Setup = { param($r) Q "GRANT CREATE ON DATABASE $Db TO $r" | Out-Null }; Reason = "CREATE on database $Db" }
        @{ Kind = 'owns a table'; Setup = { param($r) Q "CREATE TABLE public.${r}_t (a int); ALTER TABLE public.${r}_t OWNER TO $r" | Out-Null }; Reason = 'owns table public.\w+_t' }
        @{ Kind = 'owns a function'; Setup = { param($r) Q "CREATE FUNCTION public.${r}_f() RETURNS int LANGUAGE sql AS 'SELECT 1'; ALTER FUNCTION public.${r}_f() OWNER TO $r" | Out-Null }; Reason = 'owns function public.\w+_f\(\)' }
        @{ Kind = 'CREATEDB'; Setup = { param($r) Invoke-Psql -Database postgres -Sql "ALTER ROLE $r CREATEDB" | Out-Null }; Reason = 'CREATEDB' }
        @{ Kind = 'CREATEROLE through a group role'; Setup = { param($r) Invoke-Psql -Database postgres -Sql "CREATE ROLE ${r}_cr CREATEROLE; GRANT ${r}_cr TO $r" | Out-Null; $script:Roles.Add("${r}_cr") }; Reason = 'CREATEROLE\) \(through membership in' }
        @{ Kind = 'BYPASSRLS'; Setup = { param($r) Invoke-Psql -Database postgres -Sql "ALTER ROLE $r BYPASSRLS" | Out-Null }; Reason = 'BYPASSRLS' }
        @{ Kind = 'REPLICATION'; Setup = { param($r) Invoke-Psql -Database postgres -Sql "ALTER ROLE $r REPLICATION" | Out-Null }; Reason = 'REPLICATION' }
        @{ Kind = 'superuser through a group role'; Setup = { param($r) Invoke-Psql -Database postgres -Sql "CREATE ROLE ${r}_su SUPERUSER; GRANT ${r}_su TO $r" | Out-Null; $script:Roles.Add("${r}_su") }; Reason = 'is a superuser \(through membership in' }
        @{ Kind = 'pg_write_all_data'; Setup = { param($r) Invoke-Psql -Database postgres -Sql "GRANT pg_write_all_data TO $r" | Out-Null }; Reason = 'member of pg_write_all_data' }
        @{ Kind = 'pg_execute_server_program'; Setup = { param($r) Invoke-Psql -Database postgres -Sql "GRANT pg_execute_server_program TO $r" | Out-Null }; Reason = 'member of pg_execute_server_program' }
        @{ Kind = 'default privileges on future tables'; Setup = { param($r) Q "ALTER DEFAULT PRIVILEGES FOR ROLE cenate IN SCHEMA public GRANT INSERT ON TABLES TO $r" | Out-Null }; Reason = 'INSERT on the future tables of cenate in schema public' }
        @{ Kind = 'owns a schema'; Setup = { param($r) Q "CREATE SCHEMA ${r}_s AUTHORIZATION $r" | Out-Null }; Reason = 'owns schema \w+_s' }
        @{ Kind = 'EXECUTE on a SECURITY DEFINER function'; Setup = { param($r) Q "CREATE FUNCTION public.${r}_sd() RETURNS void LANGUAGE sql SECURITY DEFINER AS 'DELETE FROM public.pacientes WHERE false'; REVOKE ALL ON FUNCTION public.${r}_sd() FROM PUBLIC; GRANT EXECUTE ON FUNCTION public.${r}_sd() TO $r" | Out-Null }; Reason = 'EXECUTE on SECURITY DEFINER function public.\w+_sd\(\) \(runs as cenate\)' }
        @{ Kind = 'UPDATE on a large object'; Setup = { param($r) $lo = Q "SELECT lo_create(0)"; Q "GRANT UPDATE ON LARGE OBJECT $lo TO $r" | Out-Null }; Reason = 'UPDATE on large object' }
        @{ Kind = 'write grants in another database'; Setup = { param($r) Invoke-Psql -Database "${Db}_b" -Sql "CREATE TABLE public.${r}_pay (a int); GRANT INSERT, UPDATE, DELETE ON public.${r}_pay TO $r" | Out-Null }; Reason = 'has privileges on 1 object\(s\) in database cenate_priv_\w+_b \(not readable from this database' }
    ) {
        $r = NewRole ("priv_w{0}_$S" -f [guid]::NewGuid().ToString('N').Substring(0, 6))
        & $Setup $r
        $e = { New-CenateReadOnlyRole @P -Name $r -Force:$false -Confirm:$false } | Should -Throw -ErrorId 'RoleNotReadOnly,CenateBackup.PowerShell.Commands.NewCenateReadOnlyRoleCommand' -PassThru
        $e.Exception.Message | Should -Match $Reason
        Q "SELECT rolcanlogin::text || coalesce(shobj_description(oid, 'pg_authid'), '<none>') FROM pg_roles WHERE rolname = '$r'" | Should -Be 'false<none>' -Because 'nothing was changed'
    }

    It 'a read-only role with a password it did not set is RoleExists; -Force adopts it without touching the password; -Force -Password replaces it and says so' {
        $ro = NewRole "priv_roext_$S" "LOGIN PASSWORD 'clave-A'"
        Q "GRANT SELECT ON public.pacientes TO $ro" | Out-Null
        $stored = StoredPassword $ro
        { New-CenateReadOnlyRole @P -Name $ro -Password (Secure 'clave-B') -Confirm:$false } | Should -Throw -ErrorId 'RoleExists,CenateBackup.PowerShell.Commands.NewCenateReadOnlyRoleCommand'
        StoredPassword $ro | Should -Be $stored

        $a = New-CenateReadOnlyRole @P -Name $ro -Force -Confirm:$false
        $a.Created | Should -BeFalse
        StoredPassword $ro | Should -Be $stored
        (LoginAs $ro 'clave-A').Code | Should -Be 0
        $a.Changes | Should -Contain "Role '$ro' marked as a CenateBackup read-only role (COMMENT ON ROLE)."
        ($a.Changes -join "`n") | Should -Not -Match 'assword'
        ($a.Steps -join "`n") | Should -Not -Match 'PASSWORD'

        $b = New-CenateReadOnlyRole @P -Name $ro -Password (Secure 'clave-B') -Force -Confirm:$false
        $b.Changes | Should -Contain "Password of role '$ro' replaced: the old password no longer works."
        (LoginAs $ro 'clave-B').Code | Should -Be 0
        (LoginAs $ro 'clave-A').Code | Should -Not -Be 0

        # Now it is ours: a run without -Force goes on, but the password stays and a warning says so.
        $c = New-CenateReadOnlyRole @P -Name $ro -Password (Secure 'clave-C') -Confirm:$false 3>&1 | Tee-Object -Variable all | Where-Object { $_ -isnot [System.Management.Automation.WarningRecord] }
        $c.Created | Should -BeFalse
        ($all | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | Out-String) | Should -Match 'was NOT changed'
        (LoginAs $ro 'clave-B').Code | Should -Be 0
    }

    It '-Force on a writer lists exactly what changed and warns about what it keeps' {
        $w = NewRole "priv_wforce_$S" "LOGIN CREATEDB PASSWORD 'clave-W'"
        Q "GRANT SELECT, INSERT ON public.pacientes TO $w" | Out-Null
        $stored = StoredPassword $w
        $r = New-CenateReadOnlyRole @P -Name $w -Force -Confirm:$false 3>&1 | Tee-Object -Variable all | Where-Object { $_ -isnot [System.Management.Automation.WarningRecord] }
        $r.Changes | Should -Contain "CREATEDB removed from role '$w'."
        ($r.Changes -join "`n") | Should -Not -Match 'assword|SUPERUSER|LOGIN added'
        $r.Warnings | Should -Contain "Role '$w' keeps what makes it not read-only: it INSERT on public.pacientes."
        ($all | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | Out-String) | Should -Match 'INSERT on public.pacientes'
        Q "SELECT rolcreatedb FROM pg_roles WHERE rolname = '$w'" | Should -Be 'f'
        Q "SELECT has_table_privilege('$w', 'public.pacientes', 'INSERT')" | Should -Be 't'
        StoredPassword $w | Should -Be $stored
    }

    It 'a group role with members, not created by the cmdlet, is RoleExists (its grants would reach the members); -Force names them' {
        $g = NewRole "priv_rogrp_$S"
        $m = NewRole "priv_rogm_$S" 'LOGIN'
        Invoke-Psql -Database postgres -Sql "GRANT $g TO $m" | Out-Null
        $e = { New-CenateReadOnlyRole @P -Name $g -Password (Secure 'clave-G') -Confirm:$false } | Should -Throw -ErrorId 'RoleExists,CenateBackup.PowerShell.Commands.NewCenateReadOnlyRoleCommand' -PassThru
        $e.Exception.Message | Should -Match $m
        Q "SELECT has_table_privilege('$m', 'public.pacientes', 'SELECT')" | Should -Be 'f'
        $r = New-CenateReadOnlyRole @P -Name $g -Force -Confirm:$false 3>$null
        ($r.Warnings -join "`n") | Should -Match $m
        $r.Changes | Should -Contain "LOGIN added to role '$g' (it could not log in before)."
    }

    It 'a session that cannot read pg_authid treats an unmarked existing role as having a password (RoleExists); a superuser sees it has none' {
        $adm = NewRole "priv_adm_$S" "LOGIN CREATEROLE PASSWORD '$($Rig.Password)'"
        $x = NewRole "priv_nopw2_$S" 'NOLOGIN'
        $q = $P.Clone(); $q.Credential = Get-TestCredential -User $adm
        $e = { New-CenateReadOnlyRole @q -Name $x -Confirm:$false } | Should -Throw -ErrorId 'RoleExists,CenateBackup.PowerShell.Commands.NewCenateReadOnlyRoleCommand' -PassThru
        $e.Exception.Message | Should -Match 'may have a password \(only a superuser can read pg_authid'
        Q "SELECT rolcanlogin FROM pg_roles WHERE rolname = '$x'" | Should -Be 'f'
        # A superuser session reads pg_authid: no password, no write capability, so it is adopted without -Force.
        $r = New-CenateReadOnlyRole @P -Name $x -Confirm:$false
        $r.Created | Should -BeFalse
        $r.Changes | Should -Contain "LOGIN added to role '$x' (it could not log in before)."
        StoredPassword $x | Should -Be '<null>'
    }

    It 'a new role needs -Password (PasswordRequired) and nothing is created' {
        $name = "priv_nopw_$S"
        { New-CenateReadOnlyRole @P -Name $name -Confirm:$false } | Should -Throw -ErrorId 'PasswordRequired,CenateBackup.PowerShell.Commands.NewCenateReadOnlyRoleCommand'
        Q "SELECT count(*) FROM pg_roles WHERE rolname = '$name'" | Should -Be '0'
    }

    It 'a v_<table>_readonly that someone else created first is refused (ReadOnlyViewUnsafe), not adopted: nothing created, the view still theirs' {
        $squatter = NewRole "priv_sq_$S"
        Q "CREATE SCHEMA sq_$S; ALTER SCHEMA sq_$S OWNER TO $Owner; CREATE TABLE sq_$S.pacientes (id int); ALTER TABLE sq_$S.pacientes OWNER TO $Owner;
           GRANT USAGE, CREATE ON SCHEMA sq_$S TO $squatter; GRANT SELECT ON sq_$S.pacientes TO $squatter" | Out-Null
        Q "SET ROLE $squatter; CREATE VIEW sq_$S.v_pacientes_readonly AS SELECT * FROM sq_$S.pacientes" | Out-Null
        $name = "priv_view_$S"
        $e = { New-CenateReadOnlyRole @P -Name $name -Password (Secure 'vista-1') -ReadSchema "sq_$S" -View "sq_$S.pacientes" -Confirm:$false } |
            Should -Throw -ErrorId 'ReadOnlyViewUnsafe,CenateBackup.PowerShell.Commands.NewCenateReadOnlyRoleCommand' -PassThru
        $e.Exception.Message | Should -Match "belongs to '$squatter'"
        Q "SELECT count(*) FROM pg_roles WHERE rolname = '$name'" | Should -Be '0'
        Q "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'sq_$S.v_pacientes_readonly'::regclass" | Should -Be $squatter
        Q "DROP SCHEMA sq_$S CASCADE" | Out-Null
    }
}

Describe 'The SCRAM verifier follows SASLprep as PostgreSQL and libpq do' {
    It 'a password with a soft hyphen and a zero-width space logs in with psql (libpq), and the cmdlet warns that Npgsql clients cannot' {
        $name = "priv_sasl1_$S"; $script:Roles.Add($name)
        $secret = "I`u{00AD}X-" + [guid]::NewGuid().ToString('N').Substring(0, 8) + "`u{200B}fin"
        $r = New-CenateReadOnlyRole @P -Name $name -Password (Secure $secret) -Confirm:$false 3>&1 | Tee-Object -Variable all | Where-Object { $_ -isnot [System.Management.Automation.WarningRecord] }
        $r.Created | Should -BeTrue
        (LoginAs $name $secret 'SELECT count(*) FROM public.pacientes').Out | Should -Be '20'
        ($all | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | Out-String) | Should -Match 'Npgsql'
        $r.Warnings | Should -Match 'Npgsql'
        # What the warning says: Npgsql applies NFKC only, keeps the soft hyphen, and fails. If a later Npgsql does SASLprep, drop the warning.
        $npgsql = @{ HostName = '127.0.0.1'; Port = $Rig.Port; Database = $Db; Credential = [pscredential]::new($name, (Secure $secret)) }
        { Get-CenateAuditLog @npgsql -AuditSchema "no_hay_$S" } | Should -Throw -ErrorId 'AuthenticationFailed,CenateBackup.PowerShell.Commands.GetCenateAuditLogCommand'
    }

    It 'a password with U+2168, a no-break space and an ideographic space logs in with psql and with Npgsql (the module itself), without a warning' {
        $name = "priv_sasl2_$S"; $script:Roles.Add($name)
        $secret = "`u{2168}-clave`u{00A0}con`u{3000}espacios-" + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $r = New-CenateReadOnlyRole @P -Name $name -Password (Secure $secret) -Confirm:$false 3>&1 | Tee-Object -Variable all | Where-Object { $_ -isnot [System.Management.Automation.WarningRecord] }
        $r.Created | Should -BeTrue
        @($all | Where-Object { $_ -is [System.Management.Automation.WarningRecord] }) | Should -HaveCount 0
        (LoginAs $name $secret 'SELECT 1').Out | Should -Be '1'
        # Npgsql logs in (host mode, the module's own connection); the error after login proves the authentication passed.
        $npgsql = @{ HostName = '127.0.0.1'; Port = $Rig.Port; Database = $Db; Credential = [pscredential]::new($name, (Secure $secret)) }
        { Get-CenateAuditLog @npgsql -AuditSchema "no_hay_$S" } | Should -Throw -ErrorId 'AuditLogNotFound,CenateBackup.PowerShell.Commands.GetCenateAuditLogCommand'
        $bad = @{ HostName = '127.0.0.1'; Port = $Rig.Port; Database = $Db; Credential = [pscredential]::new($name, (Secure ($secret + 'x'))) }
        { Get-CenateAuditLog @bad -AuditSchema "no_hay_$S" } | Should -Throw -ErrorId 'AuthenticationFailed,CenateBackup.PowerShell.Commands.GetCenateAuditLogCommand'
    }
}

Describe 'The catalog checks work on PostgreSQL <Version> too (host mode)' -ForEach @(
    @{ Version = 14; PortVar = 'CENATE_TEST_PG14_PORT' }
    @{ Version = 17; PortVar = 'CENATE_TEST_PG17_PORT' }
) {
    BeforeAll {
        $script:VPort = [int](Get-Item "env:$PortVar").Value
        $script:VDb = "cenate_privv_$S"
        $script:VApp = "priv_vapp_$S"
        $script:VRo = "priv_vro_$S"
        Invoke-Psql -Port $VPort -Database postgres -Sql "CREATE DATABASE $VDb" | Out-Null
        Invoke-Psql -Port $VPort -Database postgres -Sql "CREATE ROLE $VApp LOGIN PASSWORD 'clave-app'; CREATE ROLE $VRo NOLOGIN" | Out-Null
        Invoke-Psql -Port $VPort -Database $VDb -Sql "CREATE TABLE public.fichas (id int); REVOKE ALL ON public.fichas FROM PUBLIC;
            GRANT SELECT, INSERT, DELETE ON public.fichas TO $VApp; GRANT DELETE ON public.fichas TO $VRo; GRANT $VRo TO $VApp" | Out-Null
        $script:V = @{ HostName = '127.0.0.1'; Port = $VPort; Credential = $Cred; Database = $VDb }
    }
    AfterAll {
        Invoke-Psql -Port $VPort -Database postgres -Sql "DROP DATABASE IF EXISTS $VDb WITH (FORCE)" | Out-Null
        Invoke-Psql -Port $VPort -Database postgres -Sql "DROP ROLE IF EXISTS $VApp, $VRo, priv_vnew_$S" | Out-Null
    }

    It 'Protect-CenateTable names the group role path, and -IncludeInherited closes it' {
        $e = { Protect-CenateTable @V -Table fichas -Role $VApp -Confirm:$false } | Should -Throw -ErrorId 'PrivilegeStillGranted,CenateBackup.PowerShell.Commands.ProtectCenateTableCommand' -PassThru
        $e.Exception.Message | Should -Match ([regex]::Escape("DELETE through group role $VRo"))
        (Protect-CenateTable @V -Table fichas -Role $VApp -IncludeInherited -Confirm:$false 3>$null).Inherited | Should -Be $VRo
        Invoke-Psql -Port $VPort -Database $VDb -Sql "SELECT has_table_privilege('$VApp', 'public.fichas', 'DELETE') OR has_table_privilege('$VRo', 'public.fichas', 'DELETE')" | Should -Be 'f'
        { Protect-CenateTable @V -Table fichas -Role cenate -Confirm:$false } | Should -Throw -ErrorId 'RoleIsSuperuser,CenateBackup.PowerShell.Commands.ProtectCenateTableCommand'
    }

    It 'New-CenateReadOnlyRole refuses the application role and creates a new one that logs in' {
        { New-CenateReadOnlyRole @V -Name $VApp -Password (Secure 'x-clave') -Confirm:$false } | Should -Throw -ErrorId 'RoleNotReadOnly,CenateBackup.PowerShell.Commands.NewCenateReadOnlyRoleCommand'
        $secret = "nueva`u{00A0}clave-" + [guid]::NewGuid().ToString('N').Substring(0, 6)
        (New-CenateReadOnlyRole @V -Name "priv_vnew_$S" -Password (Secure $secret) -Confirm:$false).Created | Should -BeTrue
        $env:PGPASSWORD = $secret
        try { & psql -X -q -A -t -h 127.0.0.1 -p $VPort -U "priv_vnew_$S" -d $VDb -c 'SELECT count(*) FROM public.fichas' 2>&1 | Should -Be '0' } finally { Remove-Item env:PGPASSWORD }
    }
}
