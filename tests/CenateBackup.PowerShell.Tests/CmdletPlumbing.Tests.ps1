#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 13 §5: the cmdlets' plan -> ShouldProcess -> run goes through one RunPlanned, and the argument errors that
# were string literals are ErrorIds constants with the same ids. Each bad input: its exact FullyQualifiedErrorId and
# nothing changed (psql is the oracle). Against the rig's real PostgreSQL, in a database and roles of its own.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:S = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Db = "cenate_plumb_$S"
    $script:App = "plumb_app_$S"
    $script:Reader = "plumb_reader_$S"
    Invoke-Psql -Database postgres -Sql "CREATE DATABASE $Db" | Out-Null
    Invoke-Psql -Database postgres -Sql "CREATE ROLE $App NOLOGIN" | Out-Null
    $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db }
    function script:Q([string]$Sql) { Invoke-Psql -Database $Db -Sql $Sql }
    function script:CanDelete { Q "SELECT has_table_privilege('$App', 'public.fichas', 'DELETE')" }
    function script:Fq([string]$Id, [string]$Command) { "$Id,CenateBackup.PowerShell.Commands.$Command" }
    Q "CREATE TABLE public.fichas (id int PRIMARY KEY); GRANT DELETE, TRUNCATE ON public.fichas TO $App" | Out-Null
}
AfterAll {
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS $Reader" | Out-Null
    Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS $App" | Out-Null
}

Describe 'Argument errors keep their ids (now ErrorIds constants)' {
    It 'Protect-CenateTable without -Role or -AllExcept, or with both: RoleOrAllExcept, nothing revoked' {
        { Protect-CenateTable @P -Table fichas -Confirm:$false } |
            Should -Throw -ErrorId (Fq 'RoleOrAllExcept' 'ProtectCenateTableCommand')
        { Protect-CenateTable @P -Table fichas -Role $App -AllExcept @() -Confirm:$false } |
            Should -Throw -ErrorId (Fq 'RoleOrAllExcept' 'ProtectCenateTableCommand')
        CanDelete | Should -Be 't'
    }

    It 'Restore-CenateDeletedRow with nothing selected: NothingSelected' {
        { Restore-CenateDeletedRow @P -Confirm:$false } | Should -Throw -ErrorId (Fq 'NothingSelected' 'RestoreCenateDeletedRowCommand')
    }

    It 'New-CenateReadOnlyRole with an empty password: EmptyPassword, no role' {
        { New-CenateReadOnlyRole @P -Name $Reader -Password ([securestring]::new()) -Confirm:$false } |
            Should -Throw -ErrorId (Fq 'EmptyPassword' 'NewCenateReadOnlyRoleCommand')
        Q "SELECT count(*) FROM pg_roles WHERE rolname = '$Reader'" | Should -Be '0'
    }

    It 'Remove-CenateOldBackup with an unknown -TimeZone: TimeZoneNotFound, the directory untouched' {
        $d = New-TestDirectory 'plumb-tz'
        New-Item -ItemType Directory -Path $d | Out-Null
        try {
            Set-Content -LiteralPath (Join-Path $d 'maestro_cenate_20200101_000000.dump') -Value 'x'
            $before = @(Get-ChildItem -LiteralPath $d -Force | ForEach-Object Name)
            { Remove-CenateOldBackup -Path $d -TimeZone 'Nowhere/Atlantis' -Confirm:$false } |
                Should -Throw -ErrorId (Fq 'TimeZoneNotFound' 'RemoveCenateOldBackupCommand')
            @(Get-ChildItem -LiteralPath $d -Force | ForEach-Object Name) | Should -Be $before
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'RunPlanned: -WhatIf runs only the plan; a confirmed plan is carried out' {
    It 'Protect-CenateTable -WhatIf revokes nothing; -Confirm:$false revokes; then nothing is left to do' {
        Protect-CenateTable @P -Table fichas -Role $App -WhatIf | Should -BeNullOrEmpty
        CanDelete | Should -Be 't'
        $r = Protect-CenateTable @P -Table fichas -Role $App -Confirm:$false
        $r.Roles | Should -Be @($App)
        CanDelete | Should -Be 'f'
        # Nothing left to revoke (-AllExcept: every role that still holds DELETE or TRUNCATE): the plan is the outcome,
        # written without a question even under -WhatIf.
        $again = Protect-CenateTable @P -Table fichas -AllExcept @() -WhatIf
        @($again).Count | Should -Be 1
        @($again.Steps).Count | Should -Be 0
    }

    It 'New-CenateReadOnlyRole -WhatIf creates no role; -Confirm:$false creates it as planned' {
        $pw = ConvertTo-SecureString "Plumb-$S!" -AsPlainText -Force
        New-CenateReadOnlyRole @P -Name $Reader -Password $pw -WhatIf | Should -BeNullOrEmpty
        Q "SELECT count(*) FROM pg_roles WHERE rolname = '$Reader'" | Should -Be '0'
        $r = New-CenateReadOnlyRole @P -Name $Reader -Password $pw -Confirm:$false
        $r.Created | Should -BeTrue
        Q "SELECT rolcanlogin FROM pg_roles WHERE rolname = '$Reader'" | Should -Be 't'
        Q "SELECT has_table_privilege('$Reader', 'public.fichas', 'SELECT')" | Should -Be 't'
    }
}
