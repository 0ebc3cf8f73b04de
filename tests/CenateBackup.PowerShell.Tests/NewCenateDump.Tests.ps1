#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# New-CenateDump against the real rig: a postgres_cenate-style container on the host network, the local
# pg_dump 15 over TCP, and real PostgreSQL 14 and 17 servers for version tests.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:C = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred }
    $script:H = @{ HostName = '127.0.0.1'; Port = $Rig.Port; Credential = $Cred }
    $script:LiveRows = [long](Invoke-Psql -Sql 'SELECT count(*) FROM public.asegurados')
}

Describe 'New-CenateDump in container mode' {
    BeforeAll {
        $script:Dir = New-TestDirectory 'container'
        $script:Set = New-CenateDump @C -Path $Dir
        $script:Manifest = Get-Content -Raw -LiteralPath $Set.Path | ConvertFrom-Json
    }
    AfterAll { Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'returns a typed backup set' {
        $Set | Should -BeOfType ([CenateBackup.PowerShell.Output.CenateBackupSet])
        $Set.Database | Should -Be 'maestro_cenate'
        $Set.Container | Should -Be $Rig.Container
        $Set.Complete | Should -BeTrue
        $Set.Files.Count | Should -Be 1
        $Set.AseguradosRows | Should -Be $LiveRows
    }

    It 'names files database_stamp (UTC) and leaves no partial file' {
        $Set.Stamp | Should -Match '^\d{8}_\d{6}$'
        $names = (Get-ChildItem -LiteralPath $Dir -Force).Name | Sort-Object
        # .cenate.lock is the directory's lock (held shared while a set is written, exclusively by retention).
        $names | Should -Be @('.cenate.lock', "maestro_cenate_$($Set.Stamp).dump", "maestro_cenate_$($Set.Stamp).manifest.json")
    }

    It 'creates the directory 0700 and the files 0600' {
        Get-UnixMode $Dir | Should -Be '0700'
        Get-ChildItem -LiteralPath $Dir -File -Force | ForEach-Object { Get-UnixMode $_.FullName | Should -Be '0600' }
    }

    It 'records size, sha256, versions, snapshot and exact row count in the manifest' {
        $dump = Join-Path $Dir "maestro_cenate_$($Set.Stamp).dump"
        $Manifest.formatVersion | Should -Be 1
        $Manifest.complete | Should -BeTrue
        $Manifest.files[0].kind | Should -Be 'Dump'
        $Manifest.files[0].size | Should -Be (Get-Item $dump).Length
        $Manifest.files[0].sha256 | Should -Be (Get-FileHash -Algorithm SHA256 -LiteralPath $dump).Hash.ToLowerInvariant()
        $Manifest.files[0].sha256 | Should -Be ((& sha256sum $dump) -split ' ')[0] -Because 'an independent tool agrees'
        $Manifest.files[0].compressionLevel | Should -Be 6
        $Manifest.source.mode | Should -Be 'Container'
        $Manifest.source.serverVersionNum | Should -BeGreaterOrEqual 150000
        $Manifest.source.pgDumpVersion | Should -Match '^15\.'
        $Manifest.snapshotId | Should -Not -BeNullOrEmpty
        $Manifest.rowCounts.'public.asegurados' | Should -Be $LiveRows
    }

    It 'writes a dump that restores to exactly the counted rows' {
        $dump = Join-Path $Dir "maestro_cenate_$($Set.Stamp).dump"
        Restore-IntoScratch -DumpPath $dump | Should -Be $Manifest.rowCounts.'public.asegurados'
        Restore-IntoScratch -DumpPath $dump -Table public.ipress | Should -Be ([long](Invoke-Psql -Sql 'SELECT count(*) FROM public.ipress'))
    }

    It 'leaves nothing behind in the container' {
        (Get-ContainerProcessLines $Rig.Container) -match 'pg_dump' | Should -BeNullOrEmpty
        # docker diff lists every path changed in the container's filesystem: no dump may be among them.
        (& docker diff $Rig.Container) -match '\.dump|maestro_cenate_|\.partial' | Should -BeNullOrEmpty
    }

    It 'pipes into Test-CenateBackup without glue' {
        $r = $Set | Test-CenateBackup
        $r.Passed | Should -BeTrue
        $r.Level | Should -Be 'Read'
        $r.Checks -join ';' | Should -Match 'pg_restore read'
    }

    It 'writes the plan''s compression level 9' {
        $d = New-TestDirectory 'z9'
        try {
            $s = New-CenateDump @C -Path $d -CompressionLevel 9
            (Get-Content -Raw $s.Path | ConvertFrom-Json).files[0].compressionLevel | Should -Be 9
            (& pg_restore -l $s.Files[0].Path | Select-String -SimpleMatch 'Compression: 9') | Should -Not -BeNullOrEmpty
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'dumps only the tables named by -Table' {
        $d = New-TestDirectory 'table'
        try {
            $s = New-CenateDump @C -Path $d -Table asegurados
            $toc = & pg_restore -l $s.Files[0].Path
            ($toc | Select-String 'TABLE DATA public asegurados') | Should -Not -BeNullOrEmpty
            ($toc | Select-String 'TABLE DATA public ipress') | Should -BeNullOrEmpty
            $s.Files[0].Tables | Should -Be @('public.asegurados')
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'writes the data-only SQL of asegurados as .sql.gz with every row' {
        $d = New-TestDirectory 'sql'
        try {
            $s = New-CenateDump @C -Path $d -Table asegurados -DataOnly -Format Plain
            $s.Files[0].Name | Should -Be "$($s.Database)_$($s.Stamp).asegurados.sql.gz"
            $s.Files[0].Kind | Should -Be 'Sql'
            $sql = & bash -c "gzip -dc '$($s.Files[0].Path)'"
            ($sql | Select-String -SimpleMatch 'CREATE TABLE') | Should -BeNullOrEmpty
            $start = ($sql | Select-String -SimpleMatch 'COPY public.asegurados ').LineNumber
            $end = ($sql | Select-String -Pattern '^\\\.$' | Where-Object LineNumber -gt $start | Select-Object -First 1).LineNumber
            ($end - $start - 1) | Should -Be $s.AseguradosRows
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'reports progress with the bytes written, and completes the progress bar' {
        $d = New-TestDirectory 'progress'
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$(Get-ModuleManifestPath)'; `$ProgressPreference = 'Continue'").AddStatement()
            $null = $ps.AddCommand('New-CenateDump').AddParameter('Container', $Rig.Container).AddParameter('Port', $Rig.Port).AddParameter('Credential', $Cred).AddParameter('Path', $d).AddParameter('CompressionLevel', 0)
            $set = $ps.Invoke()
            $set.Complete | Should -BeTrue
            $records = $ps.Streams.Progress
            ($records | Where-Object StatusDescription -match '^Writing .+: \d+ MB$') | Should -Not -BeNullOrEmpty
            $records[-1].RecordType | Should -Be 'Completed'
            ($records.ActivityId | Sort-Object -Unique) | Should -Be 41
        } finally { $ps.Dispose(); Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'changes nothing with -WhatIf' {
        $d = New-TestDirectory 'whatif'
        New-CenateDump @C -Path $d -WhatIf | Should -BeNullOrEmpty
        Test-Path -LiteralPath $d | Should -BeFalse
    }

    It 'takes its defaults from $PSDefaultParameterValues' {
        $d = New-TestDirectory 'defaults'
        $PSDefaultParameterValues['New-CenateDump:Container'] = $Rig.Container
        $PSDefaultParameterValues['New-CenateDump:Port'] = $Rig.Port
        $PSDefaultParameterValues['New-CenateDump:Credential'] = $Cred
        $PSDefaultParameterValues['New-CenateDump:CompressionLevel'] = 1
        try {
            $s = New-CenateDump -Path $d
            $s.Container | Should -Be $Rig.Container
            (Get-Content -Raw $s.Path | ConvertFrom-Json).files[0].compressionLevel | Should -Be 1
        } finally {
            'Container', 'Port', 'Credential', 'CompressionLevel' | ForEach-Object { $PSDefaultParameterValues.Remove("New-CenateDump:$_") }
            Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

Describe 'New-CenateDump in host mode' {
    It 'dumps the same server with the local pg_dump over TCP' {
        $d = New-TestDirectory 'host'
        try {
            $s = New-CenateDump @H -Path $d
            $s.Host | Should -Be '127.0.0.1'
            $s.Container | Should -BeNullOrEmpty
            $m = Get-Content -Raw $s.Path | ConvertFrom-Json
            $m.source.mode | Should -Be 'Host'
            Restore-IntoScratch -DumpPath $s.Files[0].Path | Should -Be $m.rowCounts.'public.asegurados'
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'dumps an older server (PostgreSQL 14) and the dump restores' {
        $d = New-TestDirectory 'pg14'
        try {
            $s = New-CenateDump -HostName 127.0.0.1 -Port $Rig.Pg14Port -Credential $Cred -Path $d
            $s.ServerVersion | Should -Match '^14\.'
            $s.AseguradosRows | Should -Be ([long](Invoke-Psql -Sql 'SELECT count(*) FROM asegurados' -Port $Rig.Pg14Port))
            Restore-IntoScratch -DumpPath $s.Files[0].Path | Should -Be $s.AseguradosRows
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'refuses a newer server (PostgreSQL 17) before writing anything' {
        $d = New-TestDirectory 'pg17'
        $err = { New-CenateDump -HostName 127.0.0.1 -Port $Rig.Pg17Port -Credential $Cred -Path $d } |
            Should -Throw -ErrorId 'PgDumpOlderThanServer,CenateBackup.PowerShell.Commands.NewCenateDumpCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'NotInstalled'
        $err.ErrorDetails.RecommendedAction | Should -Match 'container mode'
        $err.Exception.Message | Should -Match '17'
        Test-Path -LiteralPath $d | Should -BeFalse
    }
}

Describe 'New-CenateDump never reveals the password' {
    It 'keeps it out of every process command line, the manifest and error text' {
        $d = New-TestDirectory 'secret'
        $hits = [System.Collections.Concurrent.ConcurrentBag[string]]::new()
        $seen = [System.Collections.Concurrent.ConcurrentBag[string]]::new()
        $stop = [System.Threading.ManualResetEventSlim]::new($false)
        $watcher = Start-ThreadJob -ScriptBlock {
            param($secret, $hits, $seen, $stop)
            while (-not $stop.IsSet) {
                foreach ($p in [IO.Directory]::GetDirectories('/proc')) {
                    try { $cmd = [IO.File]::ReadAllText("$p/cmdline").Replace([char]0, ' ') } catch { continue }
                    if ($cmd.Contains($secret)) { $hits.Add($cmd) }
                    if ($cmd -match 'pg_dump .*--snapshot') { $seen.Add($cmd) }
                }
            }
        } -ArgumentList $Rig.Password, $hits, $seen, $stop
        try {
            foreach ($i in 1..3) {
                $null = New-CenateDump @C -Path $d -CompressionLevel 9
                $null = New-CenateDump @H -Path $d -CompressionLevel 9
            }
        } finally {
            $stop.Set(); $watcher | Wait-Job -Timeout 30 | Out-Null; $watcher | Remove-Job -Force
        }
        $seen.Count | Should -BeGreaterThan 0 -Because 'the watcher must have seen pg_dump running, or the check proves nothing'
        $hits.Count | Should -Be 0
        Get-ChildItem -LiteralPath $d -Filter *.manifest.json | ForEach-Object { Get-Content -Raw $_.FullName | Should -Not -Match ([regex]::Escape($Rig.Password)) }
        $wrong = 'Wr0ng-Secret-' + [guid]::NewGuid().ToString('N')
        $e = { New-CenateDump @C -Credential (Get-TestCredential -Password $wrong) -Path $d } | Should -Throw -PassThru
        ($e | Out-String) + $e.Exception.ToString() | Should -Not -Match ([regex]::Escape($wrong))
        Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Describe 'New-CenateDump faults' {
    BeforeAll {
        function Assert-NoFiles([string]$Dir) {
            # Nothing but the directory's lock file may be there: no dump, no partial, no manifest.
            if (Test-Path -LiteralPath $Dir) {
                @(Get-ChildItem -LiteralPath $Dir -Force -Recurse -File | Where-Object Name -ne '.cenate.lock') | Should -BeNullOrEmpty
            }
        }
        $script:Fqid = { param($id) "$id,CenateBackup.PowerShell.Commands.NewCenateDumpCommand" }
    }

    It 'says ContainerNotFound for a container that does not exist' {
        $d = New-TestDirectory 'nocontainer'
        $e = { New-CenateDump -Container 'cenate_no_such_container' -Credential $Cred -Path $d } | Should -Throw -ErrorId (& $Fqid 'ContainerNotFound') -PassThru
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $e.TargetObject | Should -Be 'cenate_no_such_container'
        Assert-NoFiles $d
    }

    It 'says ContainerNotRunning for a stopped container' {
        $c = Start-ThrowawayContainer -Name cenate_test_stopped -Port 55441 -Rows 10
        try {
            & docker stop -t 5 $c.Name | Out-Null
            $d = New-TestDirectory 'stopped'
            $e = { New-CenateDump -Container $c.Name -Port $c.Port -Credential $Cred -Path $d } | Should -Throw -ErrorId (& $Fqid 'ContainerNotRunning') -PassThru
            $e.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $e.ErrorDetails.RecommendedAction | Should -Match 'docker start'
            Assert-NoFiles $d
        } finally { Remove-ThrowawayContainer $c.Name }
    }

    It 'says DatabaseNotFound for a database that does not exist' {
        $d = New-TestDirectory 'nodb'
        $e = { New-CenateDump @C -Database 'cenate_no_such_db' -Path $d } | Should -Throw -ErrorId (& $Fqid 'DatabaseNotFound') -PassThru
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Assert-NoFiles $d
    }

    It 'says AuthenticationFailed for a wrong password, in both modes' {
        $d = New-TestDirectory 'badpw'
        $bad = Get-TestCredential -Password 'not-the-password'
        $e = { New-CenateDump -Container $Rig.Container -Port $Rig.Port -Credential $bad -Path $d } | Should -Throw -ErrorId (& $Fqid 'AuthenticationFailed') -PassThru
        $e.CategoryInfo.Category | Should -Be 'AuthenticationError'
        { New-CenateDump -HostName 127.0.0.1 -Port $Rig.Port -Credential $bad -Path $d } | Should -Throw -ErrorId (& $Fqid 'AuthenticationFailed')
        Assert-NoFiles $d
    }

    It 'says TableNotFound for -Table that does not exist, and never runs a name as SQL' {
        # A canary of this run's own (unique name), dropped afterwards: no leftover in the shared maestro_cenate.
        $canary = 't13_canary_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Invoke-Psql -Sql "CREATE TABLE $canary (id int); INSERT INTO $canary VALUES (1)" | Out-Null
        $d = New-TestDirectory 'notable'
        try {
            $e = { New-CenateDump @C -Table 'no_such_table' -Path $d } | Should -Throw -ErrorId (& $Fqid 'TableNotFound') -PassThru
            $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            { New-CenateDump @C -Table "asegurados; DROP TABLE $canary" -Path $d } | Should -Throw -ErrorId (& $Fqid 'TableNotFound')
            { New-CenateDump @H -Table "asegurados`"; DROP TABLE $canary; --" -Path $d } | Should -Throw -ErrorId (& $Fqid 'TableNotFound')
            Invoke-Psql -Sql "SELECT count(*) FROM $canary" | Should -Be '1'
            Assert-NoFiles $d
        } finally {
            Invoke-Psql -Sql "DROP TABLE IF EXISTS $canary" | Out-Null
            Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'says PathNotWritable for a directory it cannot write' {
        $mnt = New-TestDirectory 'ro'
        New-Item -ItemType Directory -Path $mnt | Out-Null
        & mount -t tmpfs -o ro,size=1m tmpfs $mnt
        try {
            $e = { New-CenateDump @C -Path (Join-Path $mnt 'backups') } | Should -Throw -ErrorId (& $Fqid 'PathNotWritable') -PassThru
            $e.CategoryInfo.Category | Should -Be 'PermissionDenied'
        } finally { & umount $mnt; Remove-Item -LiteralPath $mnt -Force }
    }

    It 'says DiskFull when the disk fills during the dump and leaves no file' {
        $mnt = New-TestDirectory 'full'
        New-Item -ItemType Directory -Path $mnt | Out-Null
        & mount -t tmpfs -o size=256k tmpfs $mnt
        try {
            $e = { New-CenateDump @C -Path $mnt -CompressionLevel 0 } | Should -Throw -ErrorId (& $Fqid 'DiskFull') -PassThru
            $e.CategoryInfo.Category | Should -Be 'WriteError'
            @(Get-ChildItem -LiteralPath $mnt -Force | Where-Object Name -ne '.cenate.lock') | Should -BeNullOrEmpty
        } finally { & umount $mnt; Remove-Item -LiteralPath $mnt -Force }
    }

    It 'says ContainerStoppedDuringOperation when the container stops mid-dump, and leaves no file' {
        $c = Start-ThrowawayContainer -Name cenate_test_midstop -Port 55442 -Rows 1000000
        $d = New-TestDirectory 'midstop'
        try {
            $job = Invoke-InBackground -Script {
                param($Container, $Port, $Credential, $Path)
                try { New-CenateDump -Container $Container -Port $Port -Credential $Credential -Path $Path -CompressionLevel 9 } catch { $_ }
            } -Arguments @{ Container = $c.Name; Port = $c.Port; Credential = $Cred; Path = $d }
            $null = Wait-ForFile -Directory $d -Filter '*.dump.*.partial' -MinimumSize 1
            (Get-ContainerProcessLines $c.Name) -match 'pg_dump' | Should -Not -BeNullOrEmpty -Because 'pg_dump must still be running when the container stops'
            & docker kill $c.Name | Out-Null
            $caught = $job.PowerShell.EndInvoke($job.Handle) | Select-Object -First 1
            $caught | Should -BeOfType ([System.Management.Automation.ErrorRecord])
            $caught.FullyQualifiedErrorId | Should -Be (& $Fqid 'ContainerStoppedDuringOperation')
            $caught.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            Assert-NoFiles $d
        } finally { Remove-ThrowawayContainer $c.Name; Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'stops pg_dump in the container and removes the partial file on Ctrl+C' {
        # 1,000,000 rows: the dump must still be running when Stop() arrives, even on a fast or idle machine.
        $c = Start-ThrowawayContainer -Name cenate_test_cancel -Port 55443 -Rows 1000000
        $d = New-TestDirectory 'cancel'
        try {
            $job = Invoke-InBackground -Script {
                param($Container, $Port, $Credential, $Path)
                New-CenateDump -Container $Container -Port $Port -Credential $Credential -Path $Path -CompressionLevel 9
            } -Arguments @{ Container = $c.Name; Port = $c.Port; Credential = $Cred; Path = $d }
            $null = Wait-ForFile -Directory $d -Filter '*.dump.*.partial' -MinimumSize 1
            (Get-ContainerProcessLines $c.Name) -match 'pg_dump' | Should -Not -BeNullOrEmpty
            $job.PowerShell.Stop()
            $job.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
            Assert-NoFiles $d
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while ((Get-ContainerProcessLines $c.Name) -match 'pg_dump' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
            (Get-ContainerProcessLines $c.Name) -match 'pg_dump' | Should -BeNullOrEmpty
        } finally { Remove-ThrowawayContainer $c.Name; Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'New-CenateDump finds the password as libpq does' {
    AfterEach { Remove-Item env:PGPASSWORD, env:PGPASSFILE -ErrorAction SilentlyContinue }

    It 'uses PGPASSWORD when no -Credential is given, in both modes' {
        $d = New-TestDirectory 'pgpassword'
        try {
            $env:PGPASSWORD = $Rig.Password
            (New-CenateDump -Container $Rig.Container -Port $Rig.Port -Path $d).Complete | Should -BeTrue
            (New-CenateDump -HostName 127.0.0.1 -Port $Rig.Port -Path $d).Complete | Should -BeTrue
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'uses a password file named by PGPASSFILE' {
        $d = New-TestDirectory 'pgpass'
        $pass = Join-Path ([IO.Path]::GetTempPath()) ('cenate-pgpass-' + [guid]::NewGuid().ToString('N'))
        try {
            Set-Content -LiteralPath $pass -Value "127.0.0.1:$($Rig.Port):*:cenate:$($Rig.Password)" -NoNewline
            & chmod 600 $pass
            $env:PGPASSFILE = $pass
            (New-CenateDump -HostName 127.0.0.1 -Port $Rig.Port -Path $d).Complete | Should -BeTrue
        } finally {
            Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
            Remove-Item -LiteralPath $pass -Force -ErrorAction SilentlyContinue
        }
    }

    It 'says AuthenticationFailed when no password can be found' {
        $d = New-TestDirectory 'nopass'
        $env:PGPASSFILE = '/nonexistent/cenate-pgpass'
        { New-CenateDump -HostName 127.0.0.1 -Port $Rig.Port -Path $d } |
            Should -Throw -ErrorId 'AuthenticationFailed,CenateBackup.PowerShell.Commands.NewCenateDumpCommand'
        Test-Path -LiteralPath $d | Should -BeFalse
    }
}
