#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# SQL-level assertions (pgTAP, tests/sql/audit.pgtap.sql) on the audit triggers that Install-CenateAuditTrigger installs
# and the grants Protect-CenateTable leaves, in a database of its own (a copy of maestro_cenate) on the rig's container,
# whose image carries pgTAP (postgresql-15-pgtap). The pgTAP file rolls everything back.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:Db = "cenate_tap_$suffix"
    $script:AppRole = "cenate_tap_app_$suffix"
    $script:SqlFile = (Resolve-Path (Join-Path $PSScriptRoot '../sql/audit.pgtap.sql')).Path

    function Invoke-PsqlFile {
        # Runs psql with the given arguments (SQL on stdin if -InputSql); returns exit code and output lines. The password
        # travels in PGPASSWORD only, never on the command line.
        param([string[]]$Arguments, [string]$User = 'cenate', [string]$Password = $Rig.Password, [string]$InputSql)
        $env:PGPASSWORD = $Password
        try {
            $common = @('-X', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', "$($Rig.Port)", '-U', $User)
            $out = if ($PSBoundParameters.ContainsKey('InputSql')) { $InputSql | & psql @common @Arguments 2>&1 } else { & psql @common @Arguments 2>&1 }
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Lines = @($out | ForEach-Object { "$_" }) }
        } finally { Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue }
    }

    Copy-TestDatabase -Name $Db
    # The application role: LOGIN with the rig's password (sent on stdin, not on a command line), all DML on asegurados.
    $pw = $Rig.Password.Replace("'", "''")
    $r = Invoke-PsqlFile -Arguments @('-q', '-d', $Db, '-f', '-') -InputSql "CREATE ROLE $AppRole LOGIN PASSWORD '$pw';"
    if ($r.ExitCode -ne 0) { throw "CREATE ROLE $AppRole failed: $($r.Lines -join [Environment]::NewLine)" }
    Invoke-Psql -Database $Db -Sql "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON public.asegurados TO $AppRole" | Out-Null

    $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db }
    $script:Install = Install-CenateAuditTrigger @P -Operation Delete, Truncate, Update -Confirm:$false
    $script:Protect = Protect-CenateTable @P -Role $AppRole -Confirm:$false
    $script:RowsBefore = [long](Invoke-Psql -Database $Db -Sql 'SELECT count(*) FROM public.asegurados')

    # The plan the file declares, and one run of it (tuples only, unaligned: plain TAP lines).
    $planMatch = [regex]::Match((Get-Content -Raw -LiteralPath $SqlFile), 'SELECT plan\((\d+)\);')
    if (-not $planMatch.Success) { throw "no 'SELECT plan(N);' in $SqlFile" }
    $script:Planned = [int]$planMatch.Groups[1].Value
    $script:Tap = Invoke-PsqlFile -Arguments @('-q', '-A', '-t', '-v', "app_role=$AppRole", '-d', $Db, '-f', $SqlFile)
    $script:TapText = $Tap.Lines -join [Environment]::NewLine
}
AfterAll {
    if ($script:Db) {
        try { Invoke-Psql -Database $Db -Sql "DROP OWNED BY $AppRole" | Out-Null } catch { }
        Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
        Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS $AppRole" | Out-Null
    }
}

Describe 'Audit triggers and Protect-CenateTable at the SQL level (pgTAP)' {
    It 'the cmdlets installed the three triggers and revoked DELETE/TRUNCATE from the app role' {
        @($Install.Triggers) | Should -Be @('cenate_audit_delete', 'cenate_audit_truncate', 'cenate_audit_update')
        @($Protect.Roles) | Should -Be @($AppRole)
        ($Protect.After | Where-Object Role -EQ $AppRole).Privileges | Should -Be 'INSERT,SELECT,UPDATE'
    }

    It 'the container has pgTAP (the rig image includes postgresql-15-pgtap)' {
        (Invoke-Psql -Database $Db -Sql "SELECT count(*) FROM pg_available_extensions WHERE name = 'pgtap'") | Should -Be '1'
    }

    It 'psql runs audit.pgtap.sql without error (exit code 0)' {
        $Tap.ExitCode | Should -Be 0 -Because "psql printed:`n$TapText"
    }

    It 'prints the plan line 1..N of the file' {
        $Tap.Lines | Should -Contain "1..$Planned" -Because "psql printed:`n$TapText"
    }

    It 'has no failing assertion' {
        $failing = @(for ($i = 0; $i -lt $Tap.Lines.Count; $i++) {
                if ($Tap.Lines[$i] -match '^not ok') {
                    $Tap.Lines[$i]
                    for ($j = $i + 1; $j -lt $Tap.Lines.Count -and $Tap.Lines[$j] -match '^#'; $j++) { $Tap.Lines[$j] }
                }
            })
        @($Tap.Lines | Where-Object { $_ -match '^not ok' }).Count | Should -Be 0 -Because ("failing pgTAP assertions:`n" + ($failing -join "`n"))
    }

    It 'passes exactly N assertions (the plan)' {
        $ok = @($Tap.Lines | Where-Object { $_ -match '^ok \d+' })
        $other = @($Tap.Lines | Where-Object { $_ -notmatch '^ok \d+' -and $_ -ne "1..$Planned" })
        $ok.Count | Should -Be $Planned -Because ("the plan is $Planned; the lines other than 'ok' were:`n" + ($other -join "`n"))
        @($Tap.Lines | Where-Object { $_ -match '^# Looks like you planned' }) | Should -BeNullOrEmpty -Because 'the run must match its plan'
    }

    It 'leaves the database as it was (the pgTAP run rolls back)' {
        [long](Invoke-Psql -Database $Db -Sql 'SELECT count(*) FROM public.asegurados') | Should -Be $RowsBefore
        (Invoke-Psql -Database $Db -Sql 'SELECT count(*) FROM cenate_audit.audit_log') | Should -Be '0'
    }

    It 'the app role, logged in with its own password, cannot DELETE or TRUNCATE asegurados nor write the log' {
        foreach ($sql in 'DELETE FROM public.asegurados WHERE id = (SELECT min(id) FROM public.asegurados)', 'TRUNCATE public.asegurados',
            "DELETE FROM cenate_audit.audit_log", 'SET session_replication_role = replica') {
            $r = Invoke-PsqlFile -User $AppRole -Arguments @('-q', '-d', $Db, '-c', $sql)
            $r.ExitCode | Should -Not -Be 0 -Because "'$sql' must be refused"
            ($r.Lines -join "`n") | Should -Match 'permission denied' -Because "'$sql' must be refused for lack of privilege"
        }
        [long](Invoke-Psql -Database $Db -Sql 'SELECT count(*) FROM public.asegurados') | Should -Be $RowsBefore
    }
}
