#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 23 §3: the audit log is append-only for everyone but its own owner. The log belongs to a dedicated NOLOGIN role
# that neither the table's owner nor the application roles can become; the install refuses (AuditOwnerUnsafe) when that
# cannot be arranged or when an existing schema/log/function belongs to someone else; a guard refuses DISABLE/DROP of the
# audit triggers to the table's owner; partitioned tables are refused; odd identifiers do not break the install SQL.
# Real PostgreSQL 15 (the rig's container), real pwsh, databases and roles of its own (names end in a random suffix).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $s = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Sfx = $s
    $script:Db = "cao_$s"
    $script:Owner = "cao_t_$s"        # owns public.asegurados; LOGIN, not a superuser
    $script:App = "cao_app_$s"        # the application: LOGIN, DML on asegurados
    $script:AuditOwner = "cao_a_$s"   # the audit owner named with -AuditOwner
    $script:Roles = [System.Collections.Generic.List[string]]::new()
    $script:Roles.Add($AuditOwner)    # created by the install; dropped after the databases that hold its objects
    $script:Dbs = [System.Collections.Generic.List[string]]::new()
    $script:OwnerTap = (Resolve-Path (Join-Path $PSScriptRoot '../sql/audit-owner.pgtap.sql')).Path
    $script:OldLog = (Resolve-Path (Join-Path $PSScriptRoot '../sql/audit-log-owned-by-installer.sql')).Path

    function Q([string]$Sql, [string]$Database = $Db) { Invoke-Psql -Database $Database -Sql $Sql }
    function New-Role([string]$Name, [string]$Options = 'NOLOGIN') {
        $pw = if ($Options -match '\bLOGIN\b' -and $Options -notmatch 'NOLOGIN') { " PASSWORD '$($Rig.Password.Replace("'", "''"))'" } else { '' }
        Q "CREATE ROLE $Name $Options$pw" 'postgres' | Out-Null
        $script:Roles.Add($Name)
    }
    function New-Db([string]$Name, [switch]$Empty) {
        # A copy of maestro_cenate (retried: CREATE DATABASE … TEMPLATE fails while another session uses the template), or
        # an empty database with a small asegurados of its own.
        if ($Empty) { Q "CREATE DATABASE $Name" 'postgres' | Out-Null } else { Copy-TestDatabase -Name $Name -Tries 40 }
        $script:Dbs.Add($Name)
        if ($Empty) { Q 'CREATE TABLE public.asegurados (id int PRIMARY KEY, v text); INSERT INTO public.asegurados SELECT g, g::text FROM generate_series(1, 10) g' $Name | Out-Null }
    }
    function Invoke-PsqlAs {
        # psql as a role (its password is the rig's); SQL on stdin. Returns exit code and output.
        param([string]$User, [string]$Sql, [string]$Database = $Db, [string[]]$Arguments = @())
        $env:PGPASSWORD = $Rig.Password
        try { $out = $Sql | & psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $Rig.Port -U $User -d $Database @Arguments -f - 2>&1 }
        finally { Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue }
        [pscustomobject]@{ Code = $LASTEXITCODE; Out = (@($out | ForEach-Object { "$_" }) -join "`n") }
    }
    function Params([string]$Database = $Db, [string]$User) {
        $c = if ($User) { Get-TestCredential -User $User } else { $Cred }
        @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $c; Database = $Database }
    }
    function Get-Owner([string]$Kind, [string]$Name, [string]$Database = $Db) {
        switch ($Kind) {
            'schema' { Q "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = '$Name'" $Database }
            'table' { Q "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass('$Name')" $Database }
        }
    }

    New-Db $Db
    New-Role $Owner 'LOGIN'
    New-Role $App 'LOGIN'
    Q "ALTER TABLE public.asegurados OWNER TO $Owner; CREATE SCHEMA t_own_$s AUTHORIZATION $Owner;
       GRANT USAGE ON SCHEMA public TO $App; GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON public.asegurados TO $App;
       CREATE TABLE public.small (id int PRIMARY KEY, v text); INSERT INTO public.small SELECT g, 'v' || g FROM generate_series(1, 20) g;
       ALTER TABLE public.small OWNER TO $Owner" | Out-Null
    $script:P = Params
    $script:Install = Install-CenateAuditTrigger @P -Operation Delete, Truncate, Update -AuditOwner $AuditOwner -Confirm:$false -WarningVariable installWarnings -WarningAction SilentlyContinue
    $script:InstallWarnings = @($installWarnings)
    $script:Small = Install-CenateAuditTrigger @P -Table small -AuditOwner $AuditOwner -Confirm:$false -WarningAction SilentlyContinue
}
AfterAll {
    foreach ($d in $script:Dbs) { Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $d WITH (FORCE)" | Out-Null }
    foreach ($r in $script:Roles) {
        $x = Invoke-PsqlAs -User cenate -Database postgres -Sql "DROP ROLE IF EXISTS $r;"
        if ($x.Code -ne 0) { Write-Warning "could not drop role ${r}: $($x.Out)" }
    }
}

Describe 'Install-CenateAuditTrigger gives the log to a NOLOGIN audit owner' {
    It 'creates the audit owner NOLOGIN, not a superuser, and gives it the schema, the tables and every function' {
        $Install.Changed | Should -BeTrue
        $Install.AuditOwner | Should -Be $AuditOwner
        $Install.Triggers | Should -Be @('cenate_audit_delete', 'cenate_audit_truncate', 'cenate_audit_update')
        Q "SELECT rolcanlogin::text || rolsuper::text || rolcreaterole::text FROM pg_roles WHERE rolname = '$AuditOwner'" | Should -Be 'falsefalsefalse'
        Get-Owner schema cenate_audit | Should -Be $AuditOwner
        Get-Owner table cenate_audit.audit_log | Should -Be $AuditOwner
        Get-Owner table cenate_audit.audit_row_shape | Should -Be $AuditOwner
        Q "SELECT string_agg(DISTINCT pg_get_userbyid(proowner), ',') FROM pg_proc WHERE pronamespace = 'cenate_audit'::regnamespace" | Should -Be $AuditOwner
        Q "SELECT count(*) FROM pg_proc WHERE pronamespace = 'cenate_audit'::regnamespace" | Should -Be '5'
        Q "SELECT count(*) FROM pg_auth_members WHERE roleid = '$AuditOwner'::regrole" | Should -Be '0' -Because 'nobody is a member of the audit owner'
    }

    It 'warns of nothing when a superuser installs on a table whose owner is not one' {
        $InstallWarnings | Should -BeNullOrEmpty
        $Install.Warnings | Should -BeNullOrEmpty
    }

    It 'a second run changes nothing' {
        $again = Install-CenateAuditTrigger @P -Operation Delete, Truncate, Update -AuditOwner $AuditOwner -Confirm:$false
        $again.Changed | Should -BeFalse
        $again.Steps | Should -BeNullOrEmpty
    }

    It 'warns (and still installs) when the table''s owner is a superuser: a superuser can always erase the log' {
        $r = Install-CenateAuditTrigger @P -Table ipress -AuditOwner $AuditOwner -Operation Delete -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue
        $r.Triggers | Should -Be @('cenate_audit_delete')
        @($w).Count | Should -Be 1
        "$($w[0])" | Should -Match "table owner 'cenate' is a superuser"
        "$($w[0])" | Should -Match 'OWNER TO'
        $r.Warnings | Should -HaveCount 1
    }

    It 'the table owner''s DELETE and TRUNCATE are logged by the audit owner (which may read the table)' {
        $r = Invoke-PsqlAs -User $Owner -Sql 'DELETE FROM public.small WHERE id <= 2; TRUNCATE public.small;'
        $r.Code | Should -Be 0 -Because $r.Out
        Q "SELECT count(*) FROM cenate_audit.audit_log WHERE table_name = 'small' AND operation = 'DELETE' AND current_user_name = '$Owner'" | Should -Be '2'
        Q "SELECT count(*) FROM cenate_audit.audit_log WHERE table_name = 'small' AND operation = 'TRUNCATE' AND old_row IS NOT NULL" | Should -Be '18'
        Q "SELECT row_count FROM cenate_audit.audit_log WHERE table_name = 'small' AND operation = 'TRUNCATE' AND old_row IS NULL" | Should -Be '18'
    }
}

Describe 'the table owner cannot erase the log nor switch the triggers off (pgTAP, and its own login)' {
    BeforeAll {
        $planMatch = [regex]::Match((Get-Content -Raw -LiteralPath $OwnerTap), 'SELECT plan\((\d+)\);')
        $script:Planned = [int]$planMatch.Groups[1].Value
        $env:PGPASSWORD = $Rig.Password
        try {
            $out = & psql -X -q -A -t -v ON_ERROR_STOP=1 -v "table_owner=$Owner" -v "audit_owner=$AuditOwner" -v "own_schema=t_own_$Sfx" `
                -h 127.0.0.1 -p $Rig.Port -U cenate -d $Db -f $OwnerTap 2>&1
            $script:TapCode = $LASTEXITCODE
        } finally { Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue }
        $script:TapLines = @($out | ForEach-Object { "$_" })
        $script:LogBefore = [long](Q 'SELECT count(*) FROM cenate_audit.audit_log')
    }

    It 'runs audit-owner.pgtap.sql: exit 0, exactly the planned assertions, none failing' {
        $text = $TapLines -join "`n"
        $TapCode | Should -Be 0 -Because $text
        @($TapLines | Where-Object { $_ -match '^not ok' }) | Should -BeNullOrEmpty -Because $text
        @($TapLines | Where-Object { $_ -match '^ok \d+' }).Count | Should -Be $Planned -Because $text
    }

    It 'logged in as itself, the table owner can neither empty the log nor disable or drop the audit triggers' {
        foreach ($sql in 'DELETE FROM cenate_audit.audit_log', 'TRUNCATE cenate_audit.audit_log', 'UPDATE cenate_audit.audit_log SET old_row = NULL',
            'DROP TABLE cenate_audit.audit_log', 'ALTER TABLE public.asegurados DISABLE TRIGGER cenate_audit_delete', 'ALTER TABLE public.asegurados DISABLE TRIGGER ALL',
            'DROP TRIGGER cenate_audit_delete ON public.asegurados', 'DROP TRIGGER cenate_audit_truncate ON public.asegurados', "SET ROLE $AuditOwner") {
            $r = Invoke-PsqlAs -User $Owner -Sql "$sql;"
            $r.Code | Should -Not -Be 0 -Because "'$sql' must be refused"
            $r.Out | Should -Match 'permission denied|may be disabled, renamed, replaced or dropped only by' -Because "'$sql' must be refused for lack of privilege"
        }
        Q "SELECT string_agg(tgname || ':' || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger WHERE tgrelid = 'public.asegurados'::regclass AND tgname LIKE 'cenate_audit%'" |
            Should -Be 'cenate_audit_delete:O,cenate_audit_truncate:O,cenate_audit_update:O'
        [long](Q 'SELECT count(*) FROM cenate_audit.audit_log') | Should -Be $LogBefore
    }

    It 'Uninstall-CenateAuditTrigger as the table owner is refused (InsufficientPrivilege); as a superuser it works' {
        $asOwner = Params -User $Owner
        { Uninstall-CenateAuditTrigger @asOwner -Table small -Confirm:$false } |
            Should -Throw -ErrorId 'InsufficientPrivilege,CenateBackup.PowerShell.Commands.UninstallCenateAuditTriggerCommand'
        Q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.small'::regclass AND tgname LIKE 'cenate_audit%'" | Should -Be '2'
        $u = Uninstall-CenateAuditTrigger @P -Table small -Confirm:$false
        $u.Triggers | Should -BeNullOrEmpty
        Q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.small'::regclass AND tgname LIKE 'cenate_audit%'" | Should -Be '0'
    }

    It 'Remove-CenateAuditLog: a superuser still purges old entries; the table owner gets InsufficientPrivilege and nothing goes' {
        Q "UPDATE cenate_audit.audit_log SET logged_at = now() - interval '200 days' WHERE table_name = 'small' AND operation = 'DELETE'" | Out-Null
        $asOwner = Params -User $Owner
        { Remove-CenateAuditLog @asOwner -OlderThan '180d' -Confirm:$false } |
            Should -Throw -ErrorId 'InsufficientPrivilege,CenateBackup.PowerShell.Commands.RemoveCenateAuditLogCommand'
        Q "SELECT count(*) FROM cenate_audit.audit_log WHERE logged_at < now() - interval '180 days'" | Should -Be '2'
        Remove-CenateAuditLog @P -OlderThan '180d' -Confirm:$false | Out-Null
        Q "SELECT count(*) FROM cenate_audit.audit_log WHERE logged_at < now() - interval '180 days'" | Should -Be '0'
        (Get-CenateAuditLog @P -Table small -Operation Truncate).Count | Should -Be 19
    }
}

Describe 'Install-CenateAuditTrigger refuses an owner arrangement it cannot trust (AuditOwnerUnsafe)' {
    BeforeAll {
        $script:SmallTriggers = Q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.small'::regclass AND tgname LIKE 'cenate_audit%'"
    }
    It 'the table owner is a member of the audit owner through another role: refused, nothing created' {
        $a = "cao_a2_$Sfx"; $mid = "cao_mid_$Sfx"
        New-Role $a; New-Role $mid
        Q "GRANT $a TO $mid; GRANT $mid TO $Owner" 'postgres' | Out-Null
        $err = { Install-CenateAuditTrigger @P -Table small -AuditSchema "cao_s1_$Sfx" -AuditOwner $a -Confirm:$false } |
            Should -Throw -ErrorId 'AuditOwnerUnsafe,CenateBackup.PowerShell.Commands.InstallCenateAuditTriggerCommand' -PassThru
        $err.Exception.Message | Should -Match "table owner '$Owner' is a member of the audit owner role '$a'"
        $err.ErrorDetails.RecommendedAction | Should -Match ([regex]::Escape("REVOKE `"$a`" FROM `"$Owner`""))
        Q "SELECT count(*) FROM pg_namespace WHERE nspname = 'cao_s1_$Sfx'" | Should -Be '0'
        Q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.small'::regclass AND tgname LIKE 'cenate_audit%'" | Should -Be $SmallTriggers
    }

    It 'an application role that can become the audit owner: refused, and the message names it' {
        $a = "cao_a3_$Sfx"
        New-Role $a
        Q "GRANT $a TO $App" 'postgres' | Out-Null
        $err = { Install-CenateAuditTrigger @P -Table small -AuditSchema "cao_s2_$Sfx" -AuditOwner $a -Confirm:$false } |
            Should -Throw -ErrorId 'AuditOwnerUnsafe,CenateBackup.PowerShell.Commands.InstallCenateAuditTriggerCommand' -PassThru
        $err.Exception.Message | Should -Match $App
        Q "SELECT count(*) FROM pg_namespace WHERE nspname = 'cao_s2_$Sfx'" | Should -Be '0'
    }

    It 'an audit owner role that can log in: refused' {
        $a = "cao_a4_$Sfx"
        New-Role $a 'LOGIN'
        { Install-CenateAuditTrigger @P -Table small -AuditSchema "cao_s3_$Sfx" -AuditOwner $a -Confirm:$false } |
            Should -Throw -ErrorId 'AuditOwnerUnsafe,CenateBackup.PowerShell.Commands.InstallCenateAuditTriggerCommand'
        Q "SELECT count(*) FROM pg_namespace WHERE nspname = 'cao_s3_$Sfx'" | Should -Be '0'
    }

    It 'the installing role is the table owner (not a superuser): refused, and told to run it as a superuser; no role created' {
        Q "GRANT CREATE ON DATABASE $Db TO $Owner" 'postgres' | Out-Null
        $a = "cao_a5_$Sfx"
        $asOwner = Params -User $Owner
        $err = { Install-CenateAuditTrigger @asOwner -Table small -AuditSchema "cao_s4_$Sfx" -AuditOwner $a -Confirm:$false } |
            Should -Throw -ErrorId 'AuditOwnerUnsafe,CenateBackup.PowerShell.Commands.InstallCenateAuditTriggerCommand' -PassThru
        $err.Exception.Message | Should -Match "installing role '$Owner' owns the table"
        $err.ErrorDetails.RecommendedAction | Should -Match 'superuser'
        Q "SELECT count(*) FROM pg_roles WHERE rolname = '$a'" 'postgres' | Should -Be '0'
        Q "SELECT count(*) FROM pg_namespace WHERE nspname = 'cao_s4_$Sfx'" | Should -Be '0'
    }

    It 'a table owner with CREATEROLE on PostgreSQL 15 (it could grant itself the audit owner): refused' {
        $t2 = "cao_t2_$Sfx"
        New-Role $t2 'NOLOGIN CREATEROLE'
        Q "CREATE TABLE public.small2 (id int PRIMARY KEY); ALTER TABLE public.small2 OWNER TO $t2" | Out-Null
        $err = { Install-CenateAuditTrigger @P -Table small2 -AuditSchema "cao_s5_$Sfx" -AuditOwner $AuditOwner -Confirm:$false } |
            Should -Throw -ErrorId 'AuditOwnerUnsafe,CenateBackup.PowerShell.Commands.InstallCenateAuditTriggerCommand' -PassThru
        $err.Exception.Message | Should -Match 'CREATEROLE'
        $err.ErrorDetails.RecommendedAction | Should -Match ([regex]::Escape("ALTER ROLE `"$t2`" NOCREATEROLE"))
        Q "SELECT count(*) FROM pg_namespace WHERE nspname = 'cao_s5_$Sfx'" | Should -Be '0'
        Q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.small2'::regclass" | Should -Be '0'
    }

    It 'an audit schema that holds an object CenateBackup does not create (a view of another role): refused, naming it' {
        Q "CREATE SCHEMA cao_s6_$Sfx; GRANT USAGE, CREATE ON SCHEMA cao_s6_$Sfx TO $App" | Out-Null
        $r = Invoke-PsqlAs -User $App -Sql "CREATE VIEW cao_s6_$Sfx.peek AS SELECT 1 AS x;"
        $r.Code | Should -Be 0 -Because $r.Out
        $err = { Install-CenateAuditTrigger @P -Table small -AuditSchema "cao_s6_$Sfx" -AuditOwner $AuditOwner -Confirm:$false } |
            Should -Throw -ErrorId 'AuditOwnerUnsafe,CenateBackup.PowerShell.Commands.InstallCenateAuditTriggerCommand' -PassThru
        $err.Exception.Message | Should -Match "VIEW peek, owned by '$App'"
        Q "SELECT count(*) FROM pg_class WHERE relnamespace = 'cao_s6_$Sfx'::regnamespace" | Should -Be '1'
        Q "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'cao_s6_$Sfx'" | Should -Be 'cenate'
    }

    It 'a schema cenate_audit pre-created by another role: refused, naming the schema and its owner; nothing adopted' {
        $db2 = "cao2_$Sfx"
        New-Db $db2 -Empty
        $pdb2 = Params -Database $db2
        Q "GRANT CREATE ON DATABASE $db2 TO $App" 'postgres' | Out-Null
        $r = Invoke-PsqlAs -User $App -Database $db2 -Sql 'CREATE SCHEMA cenate_audit; CREATE TABLE cenate_audit.audit_log (id int);'
        $r.Code | Should -Be 0 -Because $r.Out
        $err = { Install-CenateAuditTrigger @pdb2 -Confirm:$false } |
            Should -Throw -ErrorId 'AuditOwnerUnsafe,CenateBackup.PowerShell.Commands.InstallCenateAuditTriggerCommand' -PassThru
        $err.Exception.Message | Should -Match "cenate_audit"
        $err.Exception.Message | Should -Match "belongs to '$App'"
        Get-Owner schema cenate_audit $db2 | Should -Be $App
        Q "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'cenate_audit%'" $db2 | Should -Be '0'
    }

    It 'a log function pre-created by another role in a schema of the installer: refused, naming the function and its owner' {
        $db3 = "cao3_$Sfx"
        New-Db $db3 -Empty
        $pdb3 = Params -Database $db3
        Q "CREATE SCHEMA cenate_audit; GRANT USAGE, CREATE ON SCHEMA cenate_audit TO $App" $db3 | Out-Null
        $r = Invoke-PsqlAs -User $App -Database $db3 -Sql "CREATE FUNCTION cenate_audit.row_shape(relid oid) RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid';"
        $r.Code | Should -Be 0 -Because $r.Out
        $err = { Install-CenateAuditTrigger @pdb3 -Confirm:$false } |
            Should -Throw -ErrorId 'AuditOwnerUnsafe,CenateBackup.PowerShell.Commands.InstallCenateAuditTriggerCommand' -PassThru
        $err.Exception.Message | Should -Match 'row_shape'
        $err.Exception.Message | Should -Match "belongs to '$App'"
        Q "SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'row_shape'" $db3 | Should -Be $App
        Q "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'cenate_audit%'" $db3 | Should -Be '0'
    }
}

Describe 'a non-superuser installer with CREATEROLE' {
    It 'creates the audit owner, becomes its only member, gives it the log, and warns that there is no guard' {
        $dba = "cao_dba_$Sfx"; $a = "cao_a6_$Sfx"; $sch = "cao_s7_$Sfx"
        New-Role $dba 'LOGIN CREATEROLE'
        $script:Roles.Insert(0, $a)
        Q "CREATE TABLE public.small3 (id int PRIMARY KEY, v text); INSERT INTO public.small3 SELECT g, 'v' || g FROM generate_series(1, 5) g;
           ALTER TABLE public.small3 OWNER TO $Owner; GRANT TRIGGER, SELECT ON public.small3 TO $dba WITH GRANT OPTION; GRANT CREATE ON DATABASE $Db TO $dba" | Out-Null
        $asDba = Params -User $dba
        $r = Install-CenateAuditTrigger @asDba -Table small3 -AuditSchema $sch -AuditOwner $a -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue
        $r.Triggers | Should -Be @('cenate_audit_delete', 'cenate_audit_truncate')
        $r.AuditOwner | Should -Be $a
        "$w" | Should -Match 'guard \(an event trigger\) was not installed'
        Q "SELECT rolcanlogin::text FROM pg_roles WHERE rolname = '$a'" | Should -Be 'false'
        Q "SELECT string_agg(m.rolname, ',') FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.member WHERE am.roleid = '$a'::regrole" | Should -Be $dba
        Get-Owner table "$sch.audit_log" | Should -Be $a
        $x = Invoke-PsqlAs -User $Owner -Sql "DELETE FROM public.small3 WHERE id = 1; TRUNCATE public.small3;"
        $x.Code | Should -Be 0 -Because $x.Out
        Q "SELECT count(*) FROM $sch.audit_log WHERE table_name = 'small3'" | Should -Be '6'
        $x = Invoke-PsqlAs -User $Owner -Sql "DELETE FROM $sch.audit_log;"
        $x.Code | Should -Not -Be 0
        $x.Out | Should -Match 'permission denied'
        # The installer, a member of the audit owner, may purge (and read) the log.
        (Get-CenateAuditLog @asDba -AuditSchema $sch -Table small3).Count | Should -Be 6
        Q "SELECT count(*) FROM $sch.audit_log WHERE table_name = 'small3'" | Should -Be '6'
    }
}

Describe 'upgrade of a log installed by the earlier version (owned by the table owner)' {
    It 'moves every object to the audit owner, keeps every entry, revokes grants the old owner made, and the old owner loses the log' {
        $db4 = "cao4_$Sfx"
        New-Db $db4 -Empty
        $pdb4 = Params -Database $db4
        $old = "cao_old_$Sfx"
        New-Role $old 'LOGIN'
        Q "GRANT CREATE ON DATABASE $db4 TO $old; CREATE TABLE public.t4 (id int PRIMARY KEY, v text); INSERT INTO public.t4 SELECT g, 'v' || g FROM generate_series(1, 10) g;
           ALTER TABLE public.t4 OWNER TO $old; GRANT USAGE ON SCHEMA public TO $App" $db4 | Out-Null
        # What the earlier version did, run by the table's owner: the log and functions are its own; then a grant of its own.
        $sql = (Get-Content -Raw -LiteralPath $OldLog).Replace('{{audit}}', '"cenate_audit"').Replace('{{audit_name}}', 'cenate_audit')
        $sql = "BEGIN;`n$sql`nCREATE TRIGGER cenate_audit_delete AFTER DELETE ON public.t4 REFERENCING OLD TABLE AS cenate_deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION cenate_audit.log_deleted_rows();
                GRANT USAGE ON SCHEMA cenate_audit TO $App; GRANT SELECT, DELETE ON cenate_audit.audit_log TO $App;
                DELETE FROM public.t4 WHERE id <= 3;`nCOMMIT;"
        $r = Invoke-PsqlAs -User $old -Database $db4 -Sql $sql
        $r.Code | Should -Be 0 -Because $r.Out
        Get-Owner table cenate_audit.audit_log $db4 | Should -Be $old
        # The earlier version: the table owner could empty its own log (this is what the upgrade stops).
        (Invoke-PsqlAs -User $old -Database $db4 -Sql 'BEGIN; DELETE FROM cenate_audit.audit_log; ROLLBACK;').Code | Should -Be 0

        $u = Install-CenateAuditTrigger @pdb4 -Table t4 -AuditOwner $AuditOwner -Confirm:$false
        $u.Changed | Should -BeTrue
        $u.AuditOwner | Should -Be $AuditOwner
        ($u.Steps -join "`n") | Should -Match ([regex]::Escape("ALTER TABLE `"cenate_audit`".`"audit_log`" OWNER TO `"$AuditOwner`""))
        Get-Owner schema cenate_audit $db4 | Should -Be $AuditOwner
        Get-Owner table cenate_audit.audit_log $db4 | Should -Be $AuditOwner
        Q "SELECT string_agg(DISTINCT pg_get_userbyid(proowner), ',') FROM pg_proc WHERE pronamespace = 'cenate_audit'::regnamespace" $db4 | Should -Be $AuditOwner
        Q "SELECT count(*) FROM cenate_audit.audit_log WHERE table_name = 't4' AND operation = 'DELETE'" $db4 | Should -Be '3'
        foreach ($role in $old, $App) {
            $r = Invoke-PsqlAs -User $role -Database $db4 -Sql 'DELETE FROM cenate_audit.audit_log;'
            $r.Code | Should -Not -Be 0 -Because "$role must lose the log"
            $r.Out | Should -Match 'permission denied'
        }
        $r = Invoke-PsqlAs -User $old -Database $db4 -Sql 'ALTER TABLE public.t4 DISABLE TRIGGER cenate_audit_delete;'
        $r.Code | Should -Not -Be 0
        Q "SELECT count(*) FROM cenate_audit.audit_log WHERE table_name = 't4'" $db4 | Should -Be '3'
        $again = Install-CenateAuditTrigger @pdb4 -Table t4 -Operation Delete -AuditOwner $AuditOwner -Confirm:$false
        $again.Changed | Should -BeFalse
    }
}

Describe 'partitioned tables and inheritance are refused (TableNotSupported), on PostgreSQL 15' {
    BeforeAll {
        Q "CREATE TABLE public.cao_part (id int, d date, PRIMARY KEY (id, d)) PARTITION BY RANGE (d);
           CREATE TABLE public.cao_part_2025 PARTITION OF public.cao_part FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
           CREATE TABLE public.cao_part_2026 PARTITION OF public.cao_part FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
           INSERT INTO public.cao_part SELECT g, DATE '2025-06-01' + g FROM generate_series(1, 400) g;
           CREATE TABLE public.cao_parent (id int PRIMARY KEY); CREATE TABLE public.cao_child () INHERITS (public.cao_parent)" | Out-Null
        $script:LogRows = [long](Q 'SELECT count(*) FROM cenate_audit.audit_log')
    }
    It 'refuses <Table> and creates no trigger' -ForEach @(
        @{ Table = 'cao_part'; Why = 'a partitioned table' }
        @{ Table = 'cao_part_2025'; Why = 'a partition of' }
        @{ Table = 'cao_parent'; Why = 'the parent of inheriting tables' }
        @{ Table = 'cao_child'; Why = 'inherits from' }) {
        $err = { Install-CenateAuditTrigger @P -Table $Table -AuditOwner $AuditOwner -Confirm:$false } |
            Should -Throw -ErrorId 'TableNotSupported,CenateBackup.PowerShell.Commands.InstallCenateAuditTriggerCommand' -PassThru
        $err.Exception.Message | Should -Match ([regex]::Escape($Why))
        Q "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname LIKE 'cao\_p%' OR c.relname LIKE 'cao\_child'" | Should -Be '0'
    }
    It 'so a TRUNCATE of the partitioned table is not logged as 0 rows (nothing is logged for it)' {
        Q 'TRUNCATE public.cao_part' | Out-Null
        Q "SELECT count(*) FROM cenate_audit.audit_log WHERE table_name LIKE 'cao_part%'" | Should -Be '0'
        [long](Q 'SELECT count(*) FROM cenate_audit.audit_log') | Should -Be $LogRows
    }
}

Describe 'identifiers with quotes, newlines and $cenate$ do not break the install SQL' {
    It 'installs, logs a DELETE and a TRUNCATE (Rows), and reads them back with Get-CenateAuditLog' {
        $schema = "we`"ird`$cenate`$`n's_$Sfx"
        $table = "t`"a`$cenate`$`n'b"
        $audit = "au`"d`$cenate`$`n'x_$Sfx"
        $owner = "ow`"n`$cenate`$'r_$Sfx"
        $quotedOwner = '"' + $owner.Replace('"', '""') + '"'
        $script:Roles.Add($quotedOwner)
        $setup = @"
SELECT format('CREATE SCHEMA %I', :'sch') \gexec
SELECT format('CREATE TABLE %I.%I (id int PRIMARY KEY, "v`$cenate`$" text)', :'sch', :'tab') \gexec
SELECT format('INSERT INTO %I.%I SELECT g, %L || g FROM generate_series(1, 6) g', :'sch', :'tab', E'x\n`$cenate`$''') \gexec
"@
        $r = Invoke-PsqlAs -User cenate -Sql $setup -Arguments @('-v', "sch=$schema", '-v', "tab=$table")
        $r.Code | Should -Be 0 -Because $r.Out
        $i = Install-CenateAuditTrigger @P -Schema $schema -Table $table -AuditSchema $audit -AuditOwner $owner -Confirm:$false -WarningAction SilentlyContinue
        $i.Triggers | Should -Be @('cenate_audit_delete', 'cenate_audit_truncate')
        $i.AuditOwner | Should -Be $owner
        $r = Invoke-PsqlAs -User cenate -Arguments @('-v', "sch=$schema", '-v', "tab=$table") -Sql @"
SELECT format('DELETE FROM %I.%I WHERE id = 1', :'sch', :'tab') \gexec
SELECT format('TRUNCATE %I.%I', :'sch', :'tab') \gexec
"@
        $r.Code | Should -Be 0 -Because $r.Out
        $e = @(Get-CenateAuditLog @P -AuditSchema $audit -Table $table)
        $e.Count | Should -Be 7    # 1 DELETE, 5 TRUNCATE rows, 1 TRUNCATE count
        @($e | Where-Object Operation -EQ 'DELETE').Count | Should -Be 1
        ($e | Where-Object { $_.Operation -eq 'TRUNCATE' -and $null -ne $_.RowCount }).RowCount | Should -Be 5
        ($e[0].OldRow | ConvertFrom-Json).'v$cenate$' | Should -Be "x`n`$cenate`$'1"
        $e[0].Table | Should -Be "$schema.$table"
        $again = Install-CenateAuditTrigger @P -Schema $schema -Table $table -AuditSchema $audit -AuditOwner $owner -Confirm:$false -WarningAction SilentlyContinue
        $again.Changed | Should -BeFalse
    }
}

Describe 'the same arrangement on PostgreSQL <Version> (host mode)' -ForEach @(@{ Version = 14 }, @{ Version = 17 }) {
    BeforeAll {
        $script:VPort = if ($Version -eq 14) { $Rig.Pg14Port } else { $Rig.Pg17Port }
        $script:VDb = "cao_v${Version}_$Sfx"; $script:VOwner = "cao_vt${Version}_$Sfx"; $script:VAudit = "cao_va${Version}_$Sfx"
        function QV([string]$Sql, [string]$Database = $VDb) { Invoke-Psql -Port $VPort -Database $Database -Sql $Sql }
        QV "CREATE DATABASE $VDb" 'postgres' | Out-Null
        QV "CREATE ROLE $VOwner LOGIN PASSWORD '$($Rig.Password.Replace("'", "''"))'" 'postgres' | Out-Null
        QV "CREATE TABLE public.t (id int PRIMARY KEY, v text); INSERT INTO public.t SELECT g, 'v' || g FROM generate_series(1, 5) g; ALTER TABLE public.t OWNER TO $VOwner" | Out-Null
        $script:VP = @{ HostName = '127.0.0.1'; Port = $VPort; Credential = $Cred; Database = $VDb }
        $script:VInstall = Install-CenateAuditTrigger @VP -Table t -AuditOwner $VAudit -Confirm:$false
    }
    AfterAll {
        QV "DROP DATABASE IF EXISTS $VDb WITH (FORCE)" 'postgres' | Out-Null
        foreach ($r in $VAudit, $VOwner) { QV "DROP ROLE IF EXISTS $r" 'postgres' | Out-Null }
    }
    It 'gives the log to the audit owner; the table owner''s DELETE is logged, its DISABLE/DROP TRIGGER and DELETE FROM the log are refused' {
        $VInstall.AuditOwner | Should -Be $VAudit
        $VInstall.Warnings | Should -BeNullOrEmpty
        QV "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'cenate_audit.audit_log'::regclass" | Should -Be $VAudit
        $env:PGPASSWORD = $Rig.Password
        try {
            $ok = & psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $VPort -U $VOwner -d $VDb -c 'DELETE FROM public.t WHERE id <= 2' 2>&1
            $okCode = $LASTEXITCODE
            $refused = foreach ($sql in 'ALTER TABLE public.t DISABLE TRIGGER cenate_audit_delete', 'DROP TRIGGER cenate_audit_truncate ON public.t', 'DELETE FROM cenate_audit.audit_log') {
                $out = & psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $VPort -U $VOwner -d $VDb -c $sql 2>&1
                [pscustomobject]@{ Sql = $sql; Code = $LASTEXITCODE; Out = "$out" }
            }
        } finally { Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue }
        $okCode | Should -Be 0 -Because "$ok"
        foreach ($r in $refused) {
            $r.Code | Should -Not -Be 0 -Because "'$($r.Sql)' must be refused on PostgreSQL $Version"
            $r.Out | Should -Match 'permission denied|may be disabled, renamed, replaced or dropped only by'
        }
        QV "SELECT count(*) FROM cenate_audit.audit_log WHERE table_name = 't' AND operation = 'DELETE'" | Should -Be '2'
        QV "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.t'::regclass AND tgname LIKE 'cenate_audit%' AND tgenabled = 'O'" | Should -Be '2'
    }
}
