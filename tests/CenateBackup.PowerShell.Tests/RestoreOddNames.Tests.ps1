#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Restore-CenateTable -Mode Replace on tables whose names hold a dot, a quote and SQL (a schema too): the swap names
# every object from the catalog, quoted by the module, so nothing is cut out of a quoted name and no text of a name
# runs as SQL. A canary table proves no injected statement ran.

BeforeDiscovery {
    $script:OddCases = @(
        @{ Schema = 'public'; Table = 'pa.c x; DROP TABLE public.canary; --' }
        @{ Schema = 'sch.ema"; DROP TABLE public.canary; --'; Table = 'dot.ted' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Db = 'cenate_oddnames_' + [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Dir = New-TestDirectory 'oddnames'
    Invoke-Psql -Database postgres -Sql "CREATE DATABASE $Db" | Out-Null
    $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = (Get-TestCredential); Database = $Db }
    $script:Cases = @(
        @{ Schema = 'public'; Table = 'pa.c x; DROP TABLE public.canary; --' }
        @{ Schema = 'sch.ema"; DROP TABLE public.canary; --'; Table = 'dot.ted' }
    )   # the same as OddCases (discovery runs before BeforeAll)
    $sql = [System.Text.StringBuilder]::new("CREATE TABLE public.canary (id int); INSERT INTO public.canary VALUES (1);`n")
    foreach ($c in $Cases) {
        $s = '"' + $c.Schema.Replace('"', '""') + '"'
        $t = $s + '."' + $c.Table.Replace('"', '""') + '"'
        if ($c.Schema -ne 'public') { [void]$sql.AppendLine("CREATE SCHEMA $s;") }
        [void]$sql.AppendLine("CREATE TABLE $t (id serial PRIMARY KEY, name text NOT NULL, UNIQUE (name));")
        [void]$sql.AppendLine("INSERT INTO $t (name) SELECT 'n' || g FROM generate_series(1, 50) g;")
    }
    Invoke-Psql -Database $Db -Sql $sql.ToString() | Out-Null
    $script:Set = New-CenateDump @P -Path $Dir | Test-CenateBackup -Level Read
    $script:SetPath = (Get-CenateBackup -Path $Dir -Newest 1).Path
}

AfterAll {
    Remove-TestDatabase $Db
    Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Replace on names holding a dot, a quote or SQL' {
    It 'swaps <Schema>.<Table> in, keeps the old one beside it and runs no text of the name' -ForEach $OddCases {
        $s = '"' + $Schema.Replace('"', '""') + '"'
        $t = $s + '."' + $Table.Replace('"', '""') + '"'
        Invoke-Psql -Database $Db -Sql "DELETE FROM $t WHERE id <= 20" | Out-Null
        $r = Restore-CenateTable @P -Backup $SetPath -Schema $Schema -Table $Table -Mode Replace -Confirm:$false
        $r.LiveRowsAfter | Should -Be 50
        (Invoke-Psql -Database $Db -Sql "SELECT count(*) FROM $t").Trim() | Should -Be '50'
        (Invoke-Psql -Database $Db -Sql 'SELECT count(*) FROM public.canary').Trim() | Should -Be '1'
        # The old table kept in the same schema, its sequence renamed beside it; the restored table's sequence moves on.
        $old = Invoke-Psql -Database $Db -Sql ("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE n.nspname = '$($Schema.Replace("'", "''"))' AND c.relkind = 'r' AND c.relname LIKE '%replaced%'")
        $old.Trim() | Should -Be '1'
        Invoke-Psql -Database $Db -Sql "INSERT INTO $t (name) VALUES ('after-replace')" | Out-Null
        (Invoke-Psql -Database $Db -Sql "SELECT count(*) FROM $t").Trim() | Should -Be '51'
    }

    It 'lists what the swaps left and drops it again' {
        $left = @(Get-CenateRestoreStaging @P -Kind Replaced)
        $left.Count | Should -Be 2
        $left | Remove-CenateRestoreStaging @P -Confirm:$false
        @(Get-CenateRestoreStaging @P -Kind Replaced).Count | Should -Be 0
        (Invoke-Psql -Database $Db -Sql 'SELECT count(*) FROM public.canary').Trim() | Should -Be '1'
    }
}
