#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The container-mode matrix (issue 22): the same dump, Read and Restore verification and Restore-CenateTable
# -Mode MissingRows against the rig's PostgreSQL 15 container (cenate_test_pg) and its PostgreSQL 17 container
# (cenate_test_pg17). In container mode pg_dump and pg_restore run inside the container, so the 17 server is dumped by
# pg_dump 17 (archive format 1.16) and drilled by pg_restore 17. Each server gets databases of its own.

BeforeDiscovery {
    $script:Servers = @(
        @{ Version = 15; ContainerKey = 'Container'; PortKey = 'Port' }
        @{ Version = 17; ContainerKey = 'Pg17Container'; PortKey = 'Pg17ContainerPort' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    # A missing PostgreSQL 17 container is a failure, never a skip.
    if (-not $Rig.Pg17Container -or $Rig.Pg17ContainerPort -le 0) {
        throw 'CENATE_TEST_PG17_CONTAINER/_PORT are not set: the rig (scripts/rig.sh up) starts cenate_test_pg17.'
    }
}

Describe 'Container mode on PostgreSQL <Version>' -ForEach $Servers {
    BeforeAll {
        $script:Container = $Rig.$ContainerKey
        $script:Port = [int]$Rig.$PortKey
        $suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:Db = "cenate_mx${Version}_$suffix"
        $script:Broad = "cenate_mxb${Version}_$suffix"
        Copy-TestDatabase -Name $Db -Port $Port
        $script:Dir = New-TestDirectory "matrix$Version"
        $script:P = @{ Container = $Container; Port = $Port; Credential = $Cred; Database = $Db }
        function Q([string]$Sql, [string]$Database = $Db) { Invoke-Psql -Port $Port -Database $Database -Sql $Sql }
        function Get-RowsMd5([string]$Where = 'true') {
            Q ("SELECT count(*) || ':' || coalesce(md5(string_agg(a::text, '|' ORDER BY id)), '') " +
                "FROM public.asegurados a WHERE $Where")
        }
        $script:Set = New-CenateDump @P -Path $Dir
        $script:Dump = $Set.Files | Where-Object Kind -eq 'Dump'
    }
    AfterAll {
        Remove-TestDatabase $Db -Port $Port
        Remove-TestDatabase $Broad -Port $Port
        Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'the server really is PostgreSQL <Version>' {
        [int](Q 'SHOW server_version_num') | Should -BeGreaterOrEqual ($Version * 10000)
        [int](Q 'SHOW server_version_num') | Should -BeLessThan (($Version + 1) * 10000)
        # pg_dump inside the container is the server's own major (the host has only PostgreSQL 15's tools).
        $out = docker exec $Container pg_dump --version
        $LASTEXITCODE | Should -Be 0
        $out | Should -Match "^pg_dump \(PostgreSQL\) $Version\.\d+"
    }

    It 'New-CenateDump -Container on PostgreSQL <Version>: custom dump, manifest names server and pg_dump <Version>.x' {
        $Set.Complete | Should -BeTrue
        $Set.Container | Should -Be $Container
        $Dump | Should -HaveCount 1
        $bytes = [IO.File]::ReadAllBytes($Dump.Path)[0..6]
        [Text.Encoding]::ASCII.GetString($bytes[0..4]) | Should -Be 'PGDMP'
        # Archive format: 1.14 from pg_dump 12–15, 1.16 from pg_dump 17.
        "$($bytes[5]).$($bytes[6])" | Should -Be $(if ($Version -eq 17) { '1.16' } else { '1.14' })
        $m = Get-Content -Raw -LiteralPath $Set.Path | ConvertFrom-Json
        $m.source.mode | Should -Be 'Container'
        $m.source.container | Should -Be $Container
        $m.source.serverVersion | Should -Match "^$Version\.\d+"
        [int]$m.source.serverVersionNum | Should -BeGreaterOrEqual ($Version * 10000)
        [int]$m.source.serverVersionNum | Should -BeLessThan (($Version + 1) * 10000)
        $m.source.pgDumpVersion | Should -Match "^$Version\.\d+"
        $Set.ServerVersion | Should -Match "^$Version\.\d+"
        $Set.PgDumpVersion | Should -Match "^$Version\.\d+"
        $Set.RowCounts['public.asegurados'] | Should -Be ([long](Q 'SELECT count(*) FROM public.asegurados'))
        $pkey = $m.catalog | Where-Object name -eq 'asegurados_pkey' | Where-Object kind -eq 'PrimaryKey'
        $pkey.definition | Should -Be 'PRIMARY KEY (id)'
    }

    It 'Test-CenateBackup -Level Read -Container passes on the PostgreSQL <Version> dump' {
        $r = Test-CenateBackup -Path $Set.Path -Level Read -Container $Container
        $r.Passed | Should -BeTrue -Because ($r.Problems.Message -join '; ')
        $r.Problems | Should -BeNullOrEmpty
        $r.Level | Should -Be 'Read'
    }

    It 'Test-CenateBackup -Level Restore drills the PostgreSQL <Version> dump in the same container, no problems' {
        $r = Test-CenateBackup -Path $Set.Path -Level Restore -Container $Container -Port $Port -Credential $Cred
        $r.Passed | Should -BeTrue -Because ($r.Problems.Message -join '; ')
        $r.Problems | Should -BeNullOrEmpty
        $r.DrillServer | Should -Be "container '$Container'"
        $r.DrillDatabaseKept | Should -BeFalse
        $r.ObjectsChecked | Should -BeGreaterOrEqual 9
        # Every table with its live count, counted by the server (names may need quoting: query_to_xml + format %I).
        $live = @{}
        Q ("SELECT n.nspname || '.' || c.relname || E'\t' || (xpath('/row/c/text()', query_to_xml(" +
            "format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text " +
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')") |
            ForEach-Object { $name, $count = $_ -split "`t"; $live[$name] = [long]$count }
        $live.Count | Should -BeGreaterOrEqual 2
        @($r.Tables.Table | Sort-Object) | Should -Be @($live.Keys | Sort-Object)
        foreach ($t in $r.Tables) {
            $t.Restored | Should -Be $live[$t.Table] -Because $t.Table
            $t.Expected | Should -Be $t.Restored -Because $t.Table
        }
        ($r.Tables | Where-Object Table -eq 'public.asegurados').ExpectedFrom | Should -Be 'manifest'
        Q "SELECT count(*) FROM pg_database WHERE datname = '$($r.DrillDatabase)'" -Database postgres | Should -Be '0'
        $m = Get-Content -Raw -LiteralPath $Set.Path | ConvertFrom-Json
        $m.verification.level | Should -Be 'Restore'
        $m.verification.passed | Should -BeTrue
    }

    It 'Restore-CenateTable -Mode MissingRows on PostgreSQL <Version> brings back exactly the deleted rows' {
        $all = Get-RowsMd5
        $deleted = Get-RowsMd5 'id % 7 = 3'
        $kept = Get-RowsMd5 'id % 7 <> 3'
        $n = [long]($deleted -split ':')[0]
        $n | Should -BeGreaterThan 0
        Q 'DELETE FROM public.asegurados WHERE id % 7 = 3' | Out-Null
        # A row changed after the backup stays as it is now: MissingRows adds, never overwrites.
        Q "UPDATE public.asegurados SET nombres = 'CAMBIADO' WHERE id = (SELECT min(id) FROM public.asegurados)" |
            Out-Null
        $keptNow = Get-RowsMd5 'id % 7 <> 3'
        $keptNow | Should -Not -Be $kept
        $r = Restore-CenateTable -Backup $Set.Path @P -Mode MissingRows -Confirm:$false
        $r.Mode | Should -Be 'MissingRows'
        $r.MissingRows | Should -Be $n
        $r.InsertedRows | Should -Be $n
        $r.BackupRows | Should -Be $Set.RowCounts['public.asegurados']
        Get-RowsMd5 'id % 7 = 3' | Should -Be $deleted
        Get-RowsMd5 'id % 7 <> 3' | Should -Be $keptNow
        Q "SELECT count(*) FROM public.asegurados WHERE nombres = 'CAMBIADO'" | Should -Be '1'
        ((Get-RowsMd5) -split ':')[0] | Should -Be ($all -split ':')[0]
    }

    It 'a -Format Plain set (pg_dump <Version>, \restrict lines) passes Read; MissingRows -From Sql takes the export' {
        $dir = Join-Path $Dir 'plain'
        $s = New-CenateDump @P -Path $dir -Format Plain -Include Sql
        $full = $s.Files | Where-Object { $_.Kind -eq 'Sql' -and $_.Name -notmatch '\.asegurados\.' }
        $full | Should -HaveCount 1
        # pg_dump 15.14+/17.6+ fence a plain script with \restrict <key> … \unrestrict <key> (CVE-2025-8714).
        $text = & /bin/sh -c 'gzip -dc "$0" 2>/dev/null | head -n 20' $full.Path
        ($text -match '^\\restrict ') | Should -Not -BeNullOrEmpty
        $r = Test-CenateBackup -Path $s.Path -Level Read -Container $Container
        $r.Passed | Should -BeTrue -Because ($r.Problems.Message -join '; ')
        $before = Get-RowsMd5 'id % 5 = 2'
        $kept = Get-RowsMd5 'id % 5 <> 2'
        Q 'DELETE FROM public.asegurados WHERE id % 5 = 2' | Out-Null
        $x = Restore-CenateTable -Backup $s.Path @P -Mode MissingRows -From Sql -Confirm:$false
        $x.BackupFile | Should -Match '\.asegurados\.data\.sql\.gz$'
        $x.InsertedRows | Should -Be ([long]($before -split ':')[0])
        Get-RowsMd5 'id % 5 = 2' | Should -Be $before
        Get-RowsMd5 'id % 5 <> 2' | Should -Be $kept
    }

    It 'New-CenateDump and Test-CenateBackup -Level Read of the broad schema (partitioned …), PostgreSQL <Version>' {
        New-BroadDatabase -Name $Broad -Port $Port
        $dir = Join-Path $Dir 'broad'
        $s = New-CenateDump -Container $Container -Port $Port -Credential $Cred -Database $Broad -Path $dir `
            -WarningAction SilentlyContinue
        $s.Complete | Should -BeTrue
        $s.PgDumpVersion | Should -Match "^$Version\.\d+"
        $r = Test-CenateBackup -Path $s.Path -Level Read -Container $Container
        $r.Passed | Should -BeTrue -Because ($r.Problems.Message -join '; ')
        $r.Problems | Should -BeNullOrEmpty
        # Every table of the broad schema is in the dump: the local pg_restore -l cannot read a 1.16 archive, so the
        # container's own pg_restore lists it.
        $dumpPath = ($s.Files | Where-Object Kind -eq 'Dump').Path
        $toc = & /bin/sh -c 'docker exec -i "$0" pg_restore -l < "$1"' $Container $dumpPath
        $LASTEXITCODE | Should -Be 0
        foreach ($t in 'pacientes', 'atenciones', 'recetas', 'dispensaciones', 'documentos', 'turnos') {
            ($toc | Where-Object { $_ -match " TABLE broad $t " }) | Should -Not -BeNullOrEmpty -Because $t
        }
        ($toc | Where-Object { $_ -match ' TABLE DATA broad atenciones_' }).Count | Should -BeGreaterOrEqual 6
    }
}

Describe 'Across the two servers: a 17 dump where only PostgreSQL 15 tools are, a 15 dump drilled on 17' {
    BeforeAll {
        $suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:Src = "cenate_mxx17_$suffix"
        $script:Dst = "cenate_mxx15_$suffix"
        Copy-TestDatabase -Name $Src -Port $Rig.Pg17ContainerPort
        Copy-TestDatabase -Name $Dst -Port $Rig.Port
        $script:Dir = New-TestDirectory 'matrix-x'
        $script:Set17 = New-CenateDump -Container $Rig.Pg17Container -Port $Rig.Pg17ContainerPort -Credential $Cred `
            -Database $Src -Path $Dir
        $script:Set15 = New-CenateDump -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Database $Dst `
            -Path (Join-Path $Dir 'from15')
        function Get-RowsMd5([string]$Where, [int]$Port = $Rig.Port, [string]$Database = $Dst) {
            Invoke-Psql -Port $Port -Database $Database -Sql ("SELECT count(*) || ':' || " +
                "md5(string_agg(a::text, '|' ORDER BY id)) FROM public.asegurados a WHERE $Where")
        }
    }
    AfterAll {
        Remove-TestDatabase $Src -Port $Rig.Pg17ContainerPort
        Remove-TestDatabase $Dst -Port $Rig.Port
        Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'Read with the local pg_restore 15 is NewerArchiveVersion (archive 1.16), naming pg_dump 17 and what to do' {
        $r = Test-CenateBackup -Path $Set17.Path -Level Read
        $r.Passed | Should -BeFalse
        $p = $r.Problems | Where-Object Kind -eq 'NewerArchiveVersion'
        $p | Should -HaveCount 1
        $p.Message | Should -Match 'newer pg_dump than this pg_restore \(pg_dump 17\.\d+'
        $p.Message | Should -Match '1\.16'
        $p.Message | Should -Match "server's container \(-Container\)"
    }

    It 'Read in the PostgreSQL 15 container is NewerArchiveVersion and names that container as too old' {
        $r = Test-CenateBackup -Path $Set17.Path -Level Read -Container $Rig.Container
        $r.Passed | Should -BeFalse
        $p = $r.Problems | Where-Object Kind -eq 'NewerArchiveVersion'
        $p | Should -HaveCount 1
        $p.Message | Should -Match "pg_restore in container '$($Rig.Container)' is older"
        $p.Message | Should -Match 'PostgreSQL 17 or newer'
    }

    It 'the restore drill in the PostgreSQL 15 container stops before it logs in or makes a scratch database' {
        $r = Test-CenateBackup -Path $Set17.Path -Level Restore -Container $Rig.Container -Port $Rig.Port `
            -Credential $Cred
        $r.Passed | Should -BeFalse
        @($r.Problems.Kind) | Should -Contain 'NewerArchiveVersion'
        ($r.Problems | Where-Object Kind -eq 'RestoreFailed').Message | Should -Match 'no drill server was contacted'
        $r.DrillDatabase | Should -BeNullOrEmpty
    }

    It 'a PostgreSQL 15 dump drills on the PostgreSQL 17 container (pg_restore 17 reads 1.14) with no problems' {
        $r = Test-CenateBackup -Path $Set15.Path -Level Restore -Container $Rig.Pg17Container -Port $Rig.Pg17ContainerPort `
            -Credential $Cred -WarningAction SilentlyContinue
        $r.Passed | Should -BeTrue -Because ($r.Problems.Message -join '; ')
        $r.Problems | Should -BeNullOrEmpty
        $r.DrillServer | Should -Be "container '$($Rig.Pg17Container)'"
        $r.ObjectsChecked | Should -BeGreaterOrEqual 9
        ($r.Tables | Where-Object Table -eq 'public.asegurados').Restored | Should -Be $Set15.RowCounts['public.asegurados']
        $gone = "SELECT count(*) FROM pg_database WHERE datname = '$($r.DrillDatabase)'"
        Invoke-Psql -Port $Rig.Pg17ContainerPort -Database postgres -Sql $gone | Should -Be '0'
    }

    It 'Restore-CenateTable -Mode MissingRows takes rows of the 1.16 archive (the module reads it) into PostgreSQL 15' {
        # The 17 server holds fewer rows than the 15 one: delete only rows the 17 dump has.
        $n = $Set17.RowCounts['public.asegurados']
        $n | Should -BeGreaterThan 100
        # The rows come back as the 17 server had them (the seed is deterministic: the same rows as on the 15 server).
        $deleted = Get-RowsMd5 "id % 9 = 1 AND id <= $n" -Port $Rig.Pg17ContainerPort -Database $Src
        Get-RowsMd5 "id % 9 = 1 AND id <= $n" | Should -Be $deleted
        $kept = Get-RowsMd5 "NOT (id % 9 = 1 AND id <= $n)"
        Invoke-Psql -Port $Rig.Port -Database $Dst -Sql "DELETE FROM public.asegurados WHERE id % 9 = 1 AND id <= $n" |
            Out-Null
        $x = Restore-CenateTable -Backup $Set17.Path -Container $Rig.Container -Port $Rig.Port -Credential $Cred `
            -Database $Dst -Mode MissingRows -Confirm:$false -WarningAction SilentlyContinue
        $x.InsertedRows | Should -Be ([long]($deleted -split ':')[0])
        Get-RowsMd5 "id % 9 = 1 AND id <= $n" | Should -Be $deleted
        Get-RowsMd5 "NOT (id % 9 = 1 AND id <= $n)" | Should -Be $kept
    }
}
