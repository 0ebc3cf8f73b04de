#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The Read level compares the manifest's rowCounts with the rows in the dump's data blocks: an edited count fails it,
# and a healthy set of a real shape (an inheritance parent counted with its children, a data-only dump that has no
# table definitions to tell the parents by) never fails it.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Db = 'cenate_readrows_' + [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Dir = New-TestDirectory 'readrows'
    Invoke-Psql -Database postgres -Sql "CREATE DATABASE $Db" | Out-Null
    Invoke-Psql -Database $Db -Sql (
        'CREATE TABLE asegurados (id int PRIMARY KEY, nombre text); ' +
        'CREATE TABLE asegurados_historicos () INHERITS (asegurados); ' +
        "INSERT INTO asegurados SELECT g, 'n' || g FROM generate_series(1, 30) g; " +
        "INSERT INTO asegurados_historicos SELECT g, 'h' || g FROM generate_series(31, 40) g") | Out-Null
    $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = (Get-TestCredential); Database = $Db }
}

AfterAll {
    Remove-TestDatabase $Db
    Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Read-level row counts on real shapes' {
    It 'passes a full dump whose critical table is an inheritance parent (counted with its children)' {
        $set = New-CenateDump @P -Path (Join-Path $Dir 'full')
        $set.RowCounts['public.asegurados'] | Should -Be 40
        ($set | Test-CenateBackup -Level Read).Passed | Should -BeTrue
    }

    It 'passes a data-only dump of the same database' {
        $set = New-CenateDump @P -Path (Join-Path $Dir 'dataonly') -DataOnly
        $r = $set | Test-CenateBackup -Level Read
        $r.Passed | Should -BeTrue -Because ($r.Problems | Out-String)
    }

    It 'fails a full set whose manifest count of a plain table was edited' {
        $d = Join-Path $Dir 'edited'
        $set = New-CenateDump @P -Path $d
        $json = Get-Content -Raw -LiteralPath $set.Path | ConvertFrom-Json -AsHashtable
        $json.rowCounts['public.asegurados_historicos'] = 11
        $json | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $set.Path
        $r = Test-CenateBackup -Path $set.Path -Level Read
        $r.Passed | Should -BeFalse
        @($r.Problems.Kind) | Should -Contain 'RowCountMismatch'
    }
}
