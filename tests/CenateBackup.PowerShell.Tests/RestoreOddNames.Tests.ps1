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

Describe 'Remove-CenateRestoreStaging drops only what it made, where it was listed' {
    BeforeAll {
        $script:Conn = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = (Get-TestCredential) }
        $script:Other = $Db + '_b'
        Invoke-Psql -Database postgres -Sql "CREATE DATABASE $Other" | Out-Null
    }
    AfterAll { Remove-TestDatabase $Other }

    It 'refuses a look-alike copy that a live table is attached to as a partition, and the live table stays' {
        # Anyone who owns a live table can make a schema that looks like a staging copy (the marker is public text)
        # and attach the live table to a partitioned table in it: dropping that parent would drop the live table.
        $marker = 'CenateBackup staging {"kind":"staging","schema":"public","table":"victim","backup":"x.dump","created":"2026-11-01T00:00:00Z"}'
        Invoke-Psql -Database $Db -Sql (
            "CREATE TABLE public.victim_live (id int NOT NULL, v text); " +
            "INSERT INTO public.victim_live SELECT g, 'v' || g FROM generate_series(1, 10) g; " +
            "CREATE SCHEMA cenate_restore_20261101_000000; " +
            "COMMENT ON SCHEMA cenate_restore_20261101_000000 IS '$marker'; " +
            "CREATE TABLE cenate_restore_20261101_000000.victim (id int NOT NULL, v text) PARTITION BY RANGE (id); " +
            "ALTER TABLE cenate_restore_20261101_000000.victim ATTACH PARTITION public.victim_live FOR VALUES FROM (0) TO (1000000)") | Out-Null
        $item = @(Get-CenateRestoreStaging @P -Kind Staging | Where-Object Name -eq 'cenate_restore_20261101_000000')
        $item.Count | Should -Be 1
        $item[0].Ours | Should -BeFalse
        $item[0].Problem | Should -Match 'victim_live'
        $err = $null
        $item | Remove-CenateRestoreStaging @P -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StagingNotOurs,*'
        (Invoke-Psql -Database $Db -Sql 'SELECT count(*) FROM public.victim_live').Trim() | Should -Be '10'
    }

    It 'drops a piped item in the database it was listed in, and refuses another -Database' {
        # The same staging schema (name and marker) in two databases, as a clone of the live database would have it.
        $r = Restore-CenateTable @P -Backup $SetPath -Schema public -Table canary -Mode Staging -Confirm:$false
        $schema = $r.StagingSchema
        $comment = (Invoke-Psql -Database $Db -Sql "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = '$schema'").Trim()
        Invoke-Psql -Database $Other -Sql ("CREATE SCHEMA $schema; COMMENT ON SCHEMA $schema IS '$($comment.Replace("'", "''"))'; " +
            "CREATE TABLE $schema.canary (id int)") | Out-Null
        $listed = @(Get-CenateRestoreStaging @Conn -Database $Other -Kind Staging)
        $listed.Count | Should -Be 1
        $listed[0].Ours | Should -BeTrue

        $err = $null
        $listed | Remove-CenateRestoreStaging @Conn -Database $Db -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StagingNotFound,*'
        (Invoke-Psql -Database $Db -Sql "SELECT count(*) FROM pg_namespace WHERE nspname = '$schema'").Trim() | Should -Be '1'
        (Invoke-Psql -Database $Other -Sql "SELECT count(*) FROM pg_namespace WHERE nspname = '$schema'").Trim() | Should -Be '1'

        $listed | Remove-CenateRestoreStaging @Conn -Confirm:$false
        (Invoke-Psql -Database $Other -Sql "SELECT count(*) FROM pg_namespace WHERE nspname = '$schema'").Trim() | Should -Be '0'
        (Invoke-Psql -Database $Db -Sql "SELECT count(*) FROM pg_namespace WHERE nspname = '$schema'").Trim() | Should -Be '1' -Because 'the default and the other database keep theirs'
    }
}
