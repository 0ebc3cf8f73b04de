#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Test-CenateBackup -Level Restore (the restore drill) and monitoring mode (-Path <dir> -MaxAge -MinimumSize),
# against the rig's real PostgreSQL container, real pg_restore and real backup sets.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Source = New-TestDirectory 'drill-src'
    $script:Set = New-CenateDump -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Path $Source -Include Csv
    $script:Dump = $Set.Files | Where-Object Kind -eq 'Dump'
    # The oracle for row counts is not the module: the dump restored by the local pg_restore and counted by psql.
    $script:DumpRows = Restore-IntoScratch -DumpPath $Dump.Path
    $script:DumpRows | Should -Be ([long](Invoke-Psql -Sql 'SELECT count(*) FROM asegurados'))
    $script:ManifestName = Split-Path -Leaf $Set.Path
    # The drill server comes from the parameters only (issue 23), here set once for the whole file.
    $PSDefaultParameterValues['Test-CenateBackup:Container'] = $Rig.Container
    $PSDefaultParameterValues['Test-CenateBackup:Port'] = $Rig.Port

    function Copy-Set([string]$Name) {
        $d = New-TestDirectory $Name
        New-Item -ItemType Directory -Path $d | Out-Null
        Copy-Item -LiteralPath $Set.Path -Destination $d
        foreach ($f in $Set.Files) { Copy-Item -LiteralPath $f.Path -Destination $d }
        [pscustomobject]@{ Dir = $d; Manifest = Join-Path $d $ManifestName; Dump = Join-Path $d $Dump.Name }
    }
    function Edit-Manifest([string]$Path, [scriptblock]$Change) {
        $m = Get-Content -Raw -LiteralPath $Path | ConvertFrom-Json -AsHashtable
        & $Change $m
        Set-Content -LiteralPath $Path -Value ($m | ConvertTo-Json -Depth 20) -NoNewline
    }
    function Get-DrillDatabases { @(Invoke-Psql -Database postgres -Sql "SELECT datname FROM pg_database WHERE datname LIKE 'cenate\_drill\_%' ORDER BY 1") | Where-Object { $_ } }
    function Get-LiveChecksum { Invoke-Psql -Sql "SELECT count(*) || ':' || md5(string_agg(a::text, '|' ORDER BY id)) FROM asegurados a" }
}
AfterAll {
    $PSDefaultParameterValues.Remove('Test-CenateBackup:Container')
    $PSDefaultParameterValues.Remove('Test-CenateBackup:Port')
    Remove-Item -LiteralPath $Source -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Test-CenateBackup -Level Restore' {
    It 'restores the set into a scratch database, compares every table and object, drops it, and never touches the live table' {
        $before = Get-LiveChecksum
        $drillsBefore = Get-DrillDatabases
        $r = $Set | Test-CenateBackup -Level Restore -Credential $Cred
        $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
        $r.Level | Should -Be 'Restore'
        $r.DrillDatabase | Should -Match '^cenate_drill_\d{8}_\d{6}_[a-z0-9]{6}$'
        $r.DrillServer | Should -Be "container '$($Rig.Container)'"
        $r.DrillDatabaseKept | Should -BeFalse
        $a = $r.Tables | Where-Object Table -eq 'public.asegurados'
        $a.ExpectedFrom | Should -Be 'manifest'
        $a.Expected | Should -Be $DumpRows
        $a.Restored | Should -Be $DumpRows
        $Set.RowCounts['public.asegurados'] | Should -Be $DumpRows
        $ipress = $r.Tables | Where-Object Table -eq 'public.ipress'
        $ipress.ExpectedFrom | Should -Be 'dump'
        $ipress.Restored | Should -Be ([long](Invoke-Psql -Sql 'SELECT count(*) FROM ipress'))
        $r.ObjectsChecked | Should -BeGreaterOrEqual 9
        $r.Checks -join "`n" | Should -Match 'against the catalog recorded at dump time'
        Get-DrillDatabases | Should -Be $drillsBefore
        Get-LiveChecksum | Should -Be $before
        $m = Get-Content -Raw $Set.Path | ConvertFrom-Json
        $m.verification.level | Should -Be 'Restore'
        $m.verification.passed | Should -BeTrue
        $m.verification.drillDatabase | Should -Be $r.DrillDatabase
        ($m.catalog | Where-Object name -eq 'asegurados_pkey' | Where-Object kind -eq 'PrimaryKey').definition | Should -Be 'PRIMARY KEY (id)'
        Get-Content -Raw $Set.Path | Should -Not -Match ([regex]::Escape($Rig.Password))
    }

    It '-KeepDatabase keeps the restored database with its primary key, indexes, foreign key and trigger' {
        $name = 'cenate_drill_keep_' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        try {
            $r = Test-CenateBackup -Path $Set.Path -Level Restore -Credential $Cred -ScratchDatabase $name -KeepDatabase
            $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
            $r.DrillDatabaseKept | Should -BeTrue
            [long](Invoke-Psql -Database $name -Sql 'SELECT count(*) FROM asegurados') | Should -Be $DumpRows
            $idx = Invoke-Psql -Database $name -Sql "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'asegurados'"
            $idx | Should -Be 'asegurados_apellidos_idx,asegurados_numero_documento_key,asegurados_pkey,asegurados_ubigeo_idx'
            Invoke-Psql -Database $name -Sql "SELECT count(*) FROM pg_trigger WHERE tgname = 'asegurados_set_updated_at'" | Should -Be '1'
            Invoke-Psql -Database $name -Sql "SELECT count(*) FROM pg_constraint WHERE conname = 'asegurados_codigo_ipress_fkey' AND contype = 'f'" | Should -Be '1'
        } finally {
            Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $name" | Out-Null
        }
    }

    It 'refuses a scratch name that exists and leaves that database alone' {
        $name = 'cenate_drill_taken_' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        Invoke-Psql -Database postgres -Sql "CREATE DATABASE $name" | Out-Null
        try {
            Invoke-Psql -Database $name -Sql 'CREATE TABLE keep_me (x int); INSERT INTO keep_me VALUES (42)' | Out-Null
            $r = Test-CenateBackup -Path $Set.Path -Level Restore -Credential $Cred -ScratchDatabase $name -ErrorVariable errs -ErrorAction SilentlyContinue
            $r | Should -BeNullOrEmpty
            $errs[0].FullyQualifiedErrorId | Should -Be 'ScratchDatabaseExists,CenateBackup.PowerShell.Commands.TestCenateBackupCommand'
            $errs[0].CategoryInfo.Category | Should -Be 'ResourceExists'
            $errs[0].ErrorDetails.RecommendedAction + $errs[0].Exception.Message | Should -Match '-ScratchDatabase'
            Invoke-Psql -Database $name -Sql 'SELECT x FROM keep_me' | Should -Be '42'
        } finally {
            Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $name" | Out-Null
        }
    }

    It 'refuses the live database (or a system database) as the scratch database' {
        $before = Get-LiveChecksum
        foreach ($name in 'maestro_cenate', 'postgres') {
            Test-CenateBackup -Path $Set.Path -Level Restore -Credential $Cred -ScratchDatabase $name -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'ScratchDatabaseInvalid,*'
            $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        }
        Get-LiveChecksum | Should -Be $before
    }

    It 'fails when a key, index or trigger recorded at dump time does not come back as it was' {
        $c = Copy-Set 'drill-catalog'
        try {
            Edit-Manifest $c.Manifest {
                param($m)
                $m.catalog += @{ table = 'public.asegurados'; kind = 'Index'; name = 'asegurados_fantasma_idx'; definition = 'CREATE INDEX asegurados_fantasma_idx ON public.asegurados USING btree (nombres)' }
                ($m.catalog | Where-Object { $_.name -eq 'asegurados_ubigeo_idx' }).definition = 'CREATE INDEX asegurados_ubigeo_idx ON public.asegurados USING hash (ubigeo)'
            }
            $r = Test-CenateBackup -Path $c.Manifest -Level Restore -Credential $Cred
            $r.Passed | Should -BeFalse
            ($r.Problems | Where-Object Kind -eq 'ObjectMissing').Message | Should -Match 'index asegurados_fantasma_idx on public\.asegurados is missing'
            ($r.Problems | Where-Object Kind -eq 'ObjectDiffers').Message | Should -Match 'asegurados_ubigeo_idx.*USING hash.*USING btree'
            @($r.Problems).Count | Should -Be 2
            Get-DrillDatabases | Should -Not -Contain $r.DrillDatabase
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }

    It 'fails when the restored rows differ from the count taken at dump time' {
        $c = Copy-Set 'drill-rows'
        try {
            $expected = $DumpRows + 1
            Edit-Manifest $c.Manifest { param($m) $m.rowCounts['public.asegurados'] = $expected }
            $r = Test-CenateBackup -Path $c.Manifest -Level Restore -Credential $Cred
            $r.Passed | Should -BeFalse
            $p = $r.Problems | Where-Object Kind -eq 'RowCountMismatch'
            $p.Message | Should -Be "public.asegurados: $DumpRows rows restored, the manifest says $expected"
            $p.File | Should -Be $Dump.Name
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }

    It 'does not create a scratch database for a dump that fails the read' {
        $c = Copy-Set 'drill-trunc'
        try {
            $fs = [IO.File]::Open($c.Dump, 'Open', 'ReadWrite'); try { $fs.SetLength([long]($fs.Length * 0.6)) } finally { $fs.Dispose() }
            $drillsBefore = Get-DrillDatabases
            $r = Test-CenateBackup -Path $c.Manifest -Level Restore -Credential $Cred
            $r.Passed | Should -BeFalse
            $r.Problems.Kind | Should -Contain 'Truncated'
            $r.Problems.Kind | Should -Contain 'RestoreFailed'
            $r.DrillDatabase | Should -BeNullOrEmpty
            Get-DrillDatabases | Should -Be $drillsBefore
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }

    It '-WhatIf restores nothing and records nothing' {
        $c = Copy-Set 'drill-whatif'
        try {
            $text = Get-Content -Raw $c.Manifest
            $drillsBefore = Get-DrillDatabases
            Test-CenateBackup -Path $c.Manifest -Level Restore -Credential $Cred -WhatIf | Should -BeNullOrEmpty
            Get-Content -Raw $c.Manifest | Should -BeExactly $text
            Get-DrillDatabases | Should -Be $drillsBefore
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }

    It 'drills on a server named with -TargetHost, with the local pg_restore over TCP' {
        $r = Test-CenateBackup -Path $Set.Path -Level Restore -TargetHost 127.0.0.1 -TargetPort $Rig.Port -Credential $Cred
        $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
        $r.DrillServer | Should -Be "127.0.0.1:$($Rig.Port)"
        ($r.Tables | Where-Object Table -eq 'public.asegurados').Restored | Should -Be $DumpRows
    }

    It 'a lone dump without a manifest drills on the server the parameters name (default postgres_cenate), and is checked against its own data and table of contents' {
        $c = Copy-Set 'drill-lone'
        $saved = @{ Container = $PSDefaultParameterValues['Test-CenateBackup:Container']; Port = $PSDefaultParameterValues['Test-CenateBackup:Port'] }
        try {
            Remove-Item -LiteralPath $c.Manifest
            $PSDefaultParameterValues.Remove('Test-CenateBackup:Container'); $PSDefaultParameterValues.Remove('Test-CenateBackup:Port')
            Test-CenateBackup -Path $c.Dump -Level Restore -Credential $Cred -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'ContainerNotFound,*'
            $errs[0].Exception.Message | Should -Match "'postgres_cenate'"
            $PSDefaultParameterValues['Test-CenateBackup:Container'] = $saved.Container; $PSDefaultParameterValues['Test-CenateBackup:Port'] = $saved.Port
            $r = Test-CenateBackup -Path $c.Dump -Level Restore -TargetContainer $Rig.Container -TargetPort $Rig.Port -Credential $Cred
            $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
            $r.Problems.Kind | Should -Be 'ManifestMissing'
            $a = $r.Tables | Where-Object Table -eq 'public.asegurados'
            $a.ExpectedFrom | Should -Be 'dump'
            $a.Restored | Should -Be $DumpRows
            $r.Checks -join "`n" | Should -Match "against the dump's table of contents"
            $r.ObjectsChecked | Should -BeGreaterOrEqual 7
        } finally {
            $PSDefaultParameterValues['Test-CenateBackup:Container'] = $saved.Container; $PSDefaultParameterValues['Test-CenateBackup:Port'] = $saved.Port
            Remove-Item -LiteralPath $c.Dir -Recurse -Force
        }
    }

    It 'wrong credentials give AuthenticationFailed without the password, and no scratch database' {
        $secret = 'Wr0ng-' + [guid]::NewGuid().ToString('N')
        $bad = Get-TestCredential -Password $secret
        $drillsBefore = Get-DrillDatabases
        Test-CenateBackup -Path $Set.Path -Level Restore -Credential $bad -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed,*'
        $errs[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        ($errs[0] | Out-String) | Should -Not -Match $secret
        Get-DrillDatabases | Should -Be $drillsBefore
    }

    It 'a drill container that does not exist gives ContainerNotFound' {
        Test-CenateBackup -Path $Set.Path -Level Restore -TargetContainer 'cenate_no_such_container' -Credential $Cred -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ContainerNotFound,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'Ctrl+C in the middle of the restore drops the scratch database' {
        # 1,000,000 rows, like its twins (the dump Ctrl+C test, the SIGTERM drill): pg_restore must still be loading when
        # Stop() arrives, and the test first sees that it is.
        $c = Start-ThrowawayContainer -Name 'cenate_drill_cancel' -Port 55448 -Rows 1000000
        $dir = New-TestDirectory 'drill-cancel'
        try {
            $set = New-CenateDump -Container $c.Name -Port $c.Port -Credential $Cred -Path $dir
            $bg = Invoke-InBackground -Script {
                param($Path, $Cred, $Name, $Port)
                Test-CenateBackup -Path $Path -Level Restore -Container $Name -Port $Port -Credential $Cred -ScratchDatabase cenate_drill_cancelme -Confirm:$false
            } -Arguments @{ Path = $set.Path; Cred = $Cred; Name = $c.Name; Port = $c.Port }
            # Positive control: pg_restore runs in the container and its COPY is loading rows, both seen together.
            $deadline = (Get-Date).AddSeconds(120)
            $loading = '0'; $restoring = $false
            while (-not ($loading -eq '1' -and $restoring) -and (Get-Date) -lt $deadline) {
                $loading = Invoke-Psql -Port $c.Port -Database postgres -Sql "SELECT count(*) FROM pg_stat_activity WHERE datname = 'cenate_drill_cancelme' AND query LIKE 'COPY %'"
                $restoring = [bool]((Get-ContainerProcessLines $c.Name) -match 'pg_restore')
                Start-Sleep -Milliseconds 50
            }
            $loading | Should -Be '1' -Because 'the drill must be caught while pg_restore loads the rows'
            $restoring | Should -BeTrue -Because 'pg_restore must be running in the container when Stop() arrives'
            $bg.PowerShell.Stop()
            Invoke-Psql -Port $c.Port -Database postgres -Sql "SELECT count(*) FROM pg_database WHERE datname = 'cenate_drill_cancelme'" | Should -Be '0'
            # The kill inside the container is asynchronous: poll, with a deadline, until no pg_restore is left.
            $deadline = (Get-Date).AddSeconds(30)
            while ((Get-ContainerProcessLines $c.Name) -match 'pg_restore' -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 200 }
            Get-ContainerProcessLines $c.Name | Where-Object { $_ -match 'pg_restore' } | Should -BeNullOrEmpty
            (Get-Content -Raw $set.Path | ConvertFrom-Json).verification | Should -BeNullOrEmpty -Because 'a stopped drill records nothing'
        } finally {
            Remove-ThrowawayContainer $c.Name
            Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'a set of exports only (no dump) fails the drill with a clear problem' {
        $d = New-TestDirectory 'drill-csvonly'
        try {
            $csvSet = Export-CenateAseguradosCsv -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Path $d
            $r = $csvSet | Test-CenateBackup -Level Restore -Credential $Cred
            $r.Passed | Should -BeFalse
            ($r.Problems | Where-Object Kind -eq 'RestoreFailed').Message | Should -Match 'no dump to restore'
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Test-CenateBackup monitoring mode (-Path <directory>)' {
    It 'passes the newest complete set when it is fresh and big enough, with its age and size' {
        $r = Test-CenateBackup -Path $Source -MaxAge 26h -MinimumSize 1KB
        $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
        $r.Stamp | Should -Be $Set.Stamp
        $r.Size | Should -Be $Dump.Size
        $r.Age.TotalHours | Should -BeLessThan 1
        $r.Checks -join "`n" | Should -Match 'age under 26h 00m'
        $r.Summary | Should -Be "OK: maestro_cenate $($Set.Stamp) passed Read"
    }

    It 'reports a stale set with its age, and a small dump with its size' {
        Start-Sleep -Seconds 2
        $r = Test-CenateBackup -Path $Source -MaxAge '1s' -MinimumSize 1TB -Level Checksum
        $r.Passed | Should -BeFalse
        ($r.Problems | Where-Object Kind -eq 'Stale').Message | Should -Match "^the newest complete set \($($Set.Stamp)\) is \d+m \d\ds old, more than -MaxAge 0m 01s$"
        $small = $r.Problems | Where-Object Kind -eq 'TooSmall'
        $small.File | Should -Be $Dump.Name
        $small.Message | Should -Match "\($($Dump.Size) bytes\), below -MinimumSize 1\.0 TB \(1099511627776 bytes\)"
        $r.Summary | Should -Match '^FAILED: maestro_cenate .*Stale'
        Test-CenateBackup -Path $Source -MaxAge '1s' -Level Checksum -Quiet | Should -BeExactly $false
        Test-CenateBackup -Path $Source -MaxAge '2d' -Level Checksum -Quiet | Should -BeExactly $true
    }

    It 'reports a directory without a complete set as NoBackup, and passes over a newer incomplete set' {
        $empty = New-TestDirectory 'monitor-empty'
        New-Item -ItemType Directory -Path $empty | Out-Null
        $c = Copy-Set 'monitor-newer'
        try {
            $r = Test-CenateBackup -Path $empty -MaxAge 26h
            $r.Passed | Should -BeFalse
            $r.Problems.Kind | Should -Be 'NoBackup'
            Test-CenateBackup -Path $empty -Quiet | Should -BeExactly $false
            # A newer run that failed half-way: its manifest says incomplete.
            $newer = Get-Content -Raw $c.Manifest | ConvertFrom-Json -AsHashtable
            $newer.stamp = '29991231_235959'; $newer.complete = $false
            Set-Content -LiteralPath (Join-Path $c.Dir 'maestro_cenate_29991231_235959.manifest.json') -Value ($newer | ConvertTo-Json -Depth 20)
            $r = Test-CenateBackup -Path $c.Dir -Level Checksum
            $r.Passed | Should -BeTrue
            $r.Stamp | Should -Be $Set.Stamp
            $r.Checks -join "`n" | Should -Match 'passed over: 29991231_235959'
            (Test-CenateBackup -Path $c.Dir -Database otra_base -Level Checksum).Problems.Kind | Should -Be 'NoBackup'
        } finally {
            Remove-Item -LiteralPath $empty, $c.Dir -Recurse -Force
        }
    }

    It 'fails when the newest set is damaged, naming the file' {
        $c = Copy-Set 'monitor-damaged'
        try {
            $csv = Join-Path $c.Dir ($Set.Files | Where-Object Kind -eq 'Csv').Name
            $fs = [IO.File]::Open($csv, 'Open', 'ReadWrite'); try { $fs.SetLength($fs.Length - 100) } finally { $fs.Dispose() }
            $r = Test-CenateBackup -Path $c.Dir -MaxAge 26h
            $r.Passed | Should -BeFalse
            ($r.Problems | Where-Object Kind -eq 'Truncated').File | Should -Contain (Split-Path -Leaf $csv)
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }

    It 'takes -MaxAge as 26h, 2d, 1d12h or a TimeSpan and rejects what is not a duration' {
        foreach ($age in '26h', '2d', '1d12h', '1.02:00:00', [timespan]::FromHours(3)) {
            (Test-CenateBackup -Path $Source -MaxAge $age -Level Checksum).Passed | Should -BeTrue
        }
        { Test-CenateBackup -Path $Source -MaxAge 'pronto' -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,CenateBackup.PowerShell.Commands.TestCenateBackupCommand'
        { Test-CenateBackup -Path $Source -MinimumSize 'mucho' -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,CenateBackup.PowerShell.Commands.TestCenateBackupCommand'
        (Test-CenateBackup -Path $Source -MinimumSize '1.5GB' -Level Checksum).Problems.Message | Should -Match '1610612736 bytes'
    }

    It 'a directory that does not exist is an error' {
        $missing = Join-Path $Source 'no-such-dir'
        Test-CenateBackup -Path $missing -MaxAge 26h -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'PathNotFound,*'
    }
}
