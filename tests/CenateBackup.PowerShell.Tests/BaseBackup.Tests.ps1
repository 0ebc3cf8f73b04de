#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 19 §1, part 2: base backups. A real pg_basebackup runs in a real PostgreSQL 15 container (host networking on
# a loopback port) and streams its tar through the Docker exec API into a .base.tar.gz set; pg_verifybackup runs in a
# throwaway container of the same image; a byte changed inside the backup (its checksum forged to match) is caught by
# pg_verifybackup, a cut or flipped file by the read.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'JobHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Pg = Start-ThrowawayContainer -Name cenate_base_pg -Port 56490 -Rows 3000
    $script:P = @{ Container = $Pg.Name; Port = $Pg.Port; Credential = $Cred }
    $script:Dir = New-TestDirectory 'base'

    function script:Sql([string]$Sql, [string]$Database = 'maestro_cenate') { Invoke-Psql -Port $Pg.Port -Database $Database -Sql $Sql }
    function script:Get-VerifyContainers { @(& docker ps -a --filter 'label=cenate.role=verify-base' --format '{{.Names}}') | Where-Object { $_ } }

    function script:Copy-Set([string]$Name) {
        # A copy of the set in its own directory, so that a damaged copy never touches the good one.
        $d = Join-Path $Dir $Name
        New-Item -ItemType Directory -Path $d | Out-Null
        Copy-Item -LiteralPath $Set.Path, (Join-Path $Set.Directory $Tar) -Destination $d
        [pscustomobject]@{ Dir = $d; Manifest = Join-Path $d (Split-Path $Set.Path -Leaf); Tar = Join-Path $d $Tar }
    }

    function script:Set-ManifestFile([string]$Manifest, [string]$File) {
        # What someone who rewrote the file would also do: make the manifest's size and sha256 match it.
        $m = Get-Content -Raw -LiteralPath $Manifest | ConvertFrom-Json -AsHashtable
        $m.files[0].size = (Get-Item -LiteralPath $File).Length
        $m.files[0].sha256 = (Get-FileHash -LiteralPath $File -Algorithm SHA256).Hash.ToLowerInvariant()
        $m.verification = $null
        Set-Content -LiteralPath $Manifest -Value ($m | ConvertTo-Json -Depth 20) -NoNewline
    }
}

AfterAll {
    foreach ($c in Get-VerifyContainers) { & docker rm -f $c *> $null }
    Remove-ThrowawayContainer $Pg.Name
    Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'New-CenateBaseBackup' {
    It 'refuses a missing container, a wrong login and a role without REPLICATION with their error ids, and writes nothing' {
        $out = Join-Path $Dir 'refused'
        { New-CenateBaseBackup -Container cenate_no_such_pg -Port $Pg.Port -Credential $Cred -Path $out } |
            Should -Throw -ErrorId 'ContainerNotFound,CenateBackup.PowerShell.Commands.NewCenateBaseBackupCommand'
        $bad = [pscredential]::new('cenate', (ConvertTo-SecureString 'wrong-password' -AsPlainText -Force))
        { New-CenateBaseBackup -Container $Pg.Name -Port $Pg.Port -Credential $bad -Path $out } |
            Should -Throw -ErrorId 'AuthenticationFailed,CenateBackup.PowerShell.Commands.NewCenateBaseBackupCommand'
        $pw = 'Plain-' + [guid]::NewGuid().ToString('N').Substring(0, 10)
        Sql "CREATE ROLE cenate_plain LOGIN PASSWORD '$pw'" -Database postgres | Out-Null
        $plain = [pscredential]::new('cenate_plain', (ConvertTo-SecureString $pw -AsPlainText -Force))
        $e = { New-CenateBaseBackup -Container $Pg.Name -Port $Pg.Port -Credential $plain -Path $out } |
            Should -Throw -ErrorId 'InsufficientPrivilege,CenateBackup.PowerShell.Commands.NewCenateBaseBackupCommand' -PassThru
        $e.Exception.Message | Should -Match 'REPLICATION'
        $e.ErrorDetails.RecommendedAction | Should -Match 'ALTER ROLE cenate_plain REPLICATION'
        "$e" | Should -Not -Match ([regex]::Escape($pw))
        # Host mode with no pg_basebackup where it was told to look.
        $nobin = Join-Path ([IO.Path]::GetTempPath()) ('cenate-nobin-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $nobin | Out-Null
        try {
            { New-CenateBaseBackup -HostName 127.0.0.1 -Port $Pg.Port -Credential $Cred -Path $out -PgBinDirectory $nobin } |
                Should -Throw -ErrorId 'PgToolNotFound,CenateBackup.PowerShell.Commands.NewCenateBaseBackupCommand'
        }
        finally { Remove-Item -LiteralPath $nobin -Recurse -Force }
        Test-Path -LiteralPath $out | Should -BeFalse
    }

    It '-WhatIf runs no pg_basebackup and creates nothing' {
        $out = Join-Path $Dir 'whatif'
        $r = New-CenateBaseBackup @P -Path $out -WhatIf
        $r | Should -BeNullOrEmpty
        Test-Path -LiteralPath $out | Should -BeFalse
        Sql "SELECT count(*) FROM pg_stat_replication" -Database postgres | Should -Be '0'
    }

    It 'streams the whole cluster into one .base.tar.gz with a manifest of kind Base: 0600 files, the WAL range, no password, nothing left in the container' {
        Sql "CREATE TABLE base_marker (note text); INSERT INTO base_marker VALUES ('before the base backup')" | Out-Null
        $script:Set = New-CenateBaseBackup @P -Path (Join-Path $Dir 'sets') -CompressionLevel 1
        $Set.Kind | Should -Be 'Base'
        $Set.Complete | Should -BeTrue
        $script:Tar = "maestro_cenate_$($Set.Stamp).base.tar.gz"
        @(Get-ChildItem -LiteralPath $Set.Directory -Force | Where-Object Name -ne '.cenate.lock' | ForEach-Object Name | Sort-Object) |
            Should -Be @($Tar, "maestro_cenate_$($Set.Stamp).manifest.json")
        Get-UnixMode $Set.Directory | Should -Be '0700'
        Get-UnixMode (Join-Path $Set.Directory $Tar) | Should -Be '0600'
        Get-UnixMode $Set.Path | Should -Be '0600'

        $json = Get-Content -Raw -LiteralPath $Set.Path
        $json | Should -Not -Match ([regex]::Escape($Rig.Password))
        $m = $json | ConvertFrom-Json
        $m.kind | Should -Be 'Base'
        $m.files[0].kind | Should -Be 'Base'
        $m.base.pgVersion | Should -Be '15'
        $m.base.timeline | Should -Be 1
        $m.base.systemIdentifier | Should -Be (Sql 'SELECT system_identifier FROM pg_control_system()' -Database postgres)
        $m.base.startWalFile | Should -Match '^[0-9A-F]{24}$'
        $m.base.endWalFile | Should -Match '^[0-9A-F]{24}$'
        # The backup started before now and its WAL range ends at or after its start.
        [int](Sql "SELECT CASE WHEN '$($m.base.endLsn)'::pg_lsn >= '$($m.base.startLsn)'::pg_lsn AND '$($m.base.endLsn)'::pg_lsn <= pg_current_wal_lsn() THEN 1 ELSE 0 END" -Database postgres) |
            Should -Be 1

        # An independent reader: GNU tar lists pg_basebackup's own files and the WAL that ends the backup.
        $names = & tar -tzf (Join-Path $Set.Directory $Tar)
        $LASTEXITCODE | Should -Be 0
        $names | Should -Contain 'backup_manifest'
        $names | Should -Contain 'backup_label'
        $names | Should -Contain 'PG_VERSION'
        $names | Should -Contain "pg_wal/$($m.base.endWalFile)"

        # No tar, no pg_basebackup left in the container, and no replication connection.
        Get-ContainerProcessLines $Pg.Name | Where-Object { $_ -match 'pg_basebackup' } | Should -BeNullOrEmpty
        (& docker exec $Pg.Name sh -c 'find / -xdev -name "*.tar*" -newer /proc/1 2>/dev/null' ) | Should -BeNullOrEmpty
        Sql "SELECT count(*) FROM pg_stat_replication" -Database postgres | Should -Be '0'
    }

    It 'is listed by Get-CenateBackup as kind Base, and never taken for the newest full backup' {
        $all = @(Get-CenateBackup (Join-Path $Dir 'sets'))
        $all.Count | Should -Be 1
        $all[0].Kind | Should -Be 'Base'
        @(Get-CenateBackup (Join-Path $Dir 'sets') -Kind Base -Newest 1).Count | Should -Be 1
        @(Get-CenateBackup (Join-Path $Dir 'sets') -Newest 1 -WarningAction SilentlyContinue).Count | Should -Be 0
    }
}

Describe 'A full disk' {
    It 'New-CenateBaseBackup says DiskFull and leaves no file; the check of a set on a disk too small to unpack it says DiskFull and leaves nothing' {
        $mnt = Join-Path $Dir 'full'
        New-Item -ItemType Directory -Path $mnt | Out-Null
        & mount -t tmpfs -o size=512k tmpfs $mnt
        try {
            $e = { New-CenateBaseBackup @P -Path $mnt } | Should -Throw -ErrorId 'DiskFull,CenateBackup.PowerShell.Commands.NewCenateBaseBackupCommand' -PassThru
            $e.CategoryInfo.Category | Should -Be 'WriteError'
            @(Get-ChildItem -LiteralPath $mnt -Force | Where-Object Name -ne '.cenate.lock') | Should -BeNullOrEmpty
        } finally { & umount $mnt }
        # Room for the set, not for its unpacked copy.
        $size = (Get-Item -LiteralPath (Join-Path $Set.Directory $Tar)).Length + (Get-Item -LiteralPath $Set.Path).Length
        & mount -t tmpfs -o "size=$([int](($size + 2MB) / 1KB))k" tmpfs $mnt
        try {
            Copy-Item -LiteralPath $Set.Path, (Join-Path $Set.Directory $Tar) -Destination $mnt
            $m = Join-Path $mnt (Split-Path $Set.Path -Leaf)
            $before = Get-Content -Raw -LiteralPath $m
            { Test-CenateBackup -Path $m -Level Read -Container $Pg.Name -ErrorAction Stop } |
                Should -Throw -ErrorId 'DiskFull,CenateBackup.PowerShell.Commands.TestCenateBackupCommand'
            @(Get-ChildItem -LiteralPath $mnt -Force -Filter '.cenate-verify-*').Count | Should -Be 0
            Get-Content -Raw -LiteralPath $m | Should -Be $before
        } finally { & umount $mnt; Remove-Item -LiteralPath $mnt -Force }
    }
}

Describe 'Test-CenateBackup on a base backup' {
    It 'passes the Read level: the whole tar read, pg_verifybackup in a throwaway container of the image; nothing left behind' {
        $r = Test-CenateBackup -Path $Set.Path -Level Read -Container $Pg.Name
        $r.Passed | Should -BeTrue
        ($r.Checks -join "`n") | Should -Match 'pg_verifybackup maestro_cenate_.*\.base\.tar\.gz \(image of cenate_base_pg\)'
        ($r.Checks -join "`n") | Should -Match 'sha256 '
        @(Get-ChildItem -LiteralPath $Set.Directory -Force -Filter '.cenate-verify-*').Count | Should -Be 0
        @(Get-VerifyContainers).Count | Should -Be 0
        (Get-Content -Raw -LiteralPath $Set.Path | ConvertFrom-Json).verification.passed | Should -BeTrue
    }

    It 'piped from New-CenateBaseBackup it verifies in the set''s container' {
        $r = New-CenateBaseBackup @P -Path (Join-Path $Dir 'piped') | Test-CenateBackup
        $r.Passed | Should -BeTrue
        ($r.Checks -join "`n") | Should -Match 'pg_verifybackup'
    }

    It 'fails the Read level when one byte inside the backup changed, even with the manifest forged to match (pg_verifybackup)' {
        $c = Copy-Set 'forged'
        $x = Join-Path $Dir 'forged-x'
        New-Item -ItemType Directory -Path $x | Out-Null
        & tar -xzf $c.Tar -C $x
        # One byte in the middle of pg_class's file of the maestro_cenate database.
        $oid = Sql "SELECT oid FROM pg_database WHERE datname = 'maestro_cenate'" -Database postgres
        $victim = Join-Path $x "base/$oid/1259"
        $bytes = [IO.File]::ReadAllBytes($victim)
        $bytes[[int]($bytes.Length / 2)] = $bytes[[int]($bytes.Length / 2)] -bxor 0x5A
        [IO.File]::WriteAllBytes($victim, $bytes)
        Push-Location $x
        try { & bash -c "tar -cf - * | gzip -1 > '$($c.Tar)'" } finally { Pop-Location }
        Set-ManifestFile $c.Manifest $c.Tar
        $r = Test-CenateBackup -Path $c.Manifest -Level Read -Container $Pg.Name
        $r.Passed | Should -BeFalse
        $prob = @($r.Problems)[0]
        $prob.Kind | Should -Be 'Unreadable'
        $prob.Message | Should -Match "pg_verifybackup failed: .*base/$oid/1259"
        @(Get-ChildItem -LiteralPath $c.Dir -Force -Filter '.cenate-verify-*').Count | Should -Be 0
        (Get-Content -Raw -LiteralPath $c.Manifest | ConvertFrom-Json).verification.passed | Should -BeFalse
    }

    It 'fails on a flipped byte (checksum, and the gzip read) and on a cut file, without running pg_verifybackup on it' {
        $c = Copy-Set 'flipped'
        $bytes = [IO.File]::ReadAllBytes($c.Tar)
        $bytes[[int]($bytes.Length / 2)] = $bytes[[int]($bytes.Length / 2)] -bxor 0xFF
        [IO.File]::WriteAllBytes($c.Tar, $bytes)
        $r = Test-CenateBackup -Path $c.Manifest -Level Checksum
        $r.Passed | Should -BeFalse
        @($r.Problems).Kind | Should -Contain 'ChecksumMismatch'
        $r = Test-CenateBackup -Path $c.Manifest -Level Read -Container $Pg.Name
        $r.Passed | Should -BeFalse
        ($r.Checks -join "`n") | Should -Not -Match 'pg_verifybackup'

        $c = Copy-Set 'cut'
        $bytes = [IO.File]::ReadAllBytes($c.Tar)
        [IO.File]::WriteAllBytes($c.Tar, $bytes[0..([int]($bytes.Length * 0.6))])
        Set-ManifestFile $c.Manifest $c.Tar
        $r = Test-CenateBackup -Path $c.Manifest -Level Read -Container $Pg.Name
        $r.Passed | Should -BeFalse
        @($r.Problems).Kind | Should -Contain 'Truncated'
        ($r.Checks -join "`n") | Should -Not -Match 'pg_verifybackup'
    }

    It 'refuses a tar whose member climbs out of the unpack directory, writing nothing outside it' {
        $c = Copy-Set 'escape'
        $outside = Join-Path $c.Dir 'escaped'
        # A ustar member named ../escaped, written by .NET's own tar writer.
        $file = [IO.File]::Create($c.Tar)
        $gz = [IO.Compression.GZipStream]::new($file, [IO.Compression.CompressionLevel]::Fastest)
        $w = [System.Formats.Tar.TarWriter]::new($gz, [System.Formats.Tar.TarEntryFormat]::Ustar, $false)
        $e = [System.Formats.Tar.UstarTarEntry]::new([System.Formats.Tar.TarEntryType]::RegularFile, '../escaped')
        $e.DataStream = [IO.MemoryStream]::new([byte[]](1, 2, 3))
        $w.WriteEntry($e)
        $w.Dispose(); $gz.Dispose(); $file.Dispose()
        Set-ManifestFile $c.Manifest $c.Tar
        $r = Test-CenateBackup -Path $c.Manifest -Level Read -Container $Pg.Name
        $r.Passed | Should -BeFalse
        @($r.Problems)[0].Message | Should -Match 'not a plain relative path'
        Test-Path -LiteralPath $outside | Should -BeFalse
    }

    It 'without a container or a local pg_verifybackup of the same version says what to pass (BaseBackupVerifierUnavailable)' {
        $empty = Join-Path $Dir 'nobin'
        New-Item -ItemType Directory -Path $empty | Out-Null
        { Test-CenateBackup -Path $Set.Path -Level Read -PgBinDirectory $empty -ErrorAction Stop } |
            Should -Throw -ErrorId 'BaseBackupVerifierUnavailable,CenateBackup.PowerShell.Commands.TestCenateBackupCommand'
        @(Get-ChildItem -LiteralPath $Set.Directory -Force -Filter '.cenate-verify-*').Count | Should -Be 0
    }

    It 'the Restore level is refused before anything is read or recorded (BaseBackupDrillUnavailable), and no table is read from a base set' {
        $before = Get-Content -Raw -LiteralPath $Set.Path
        { Test-CenateBackup -Path $Set.Path -Level Restore -Container $Pg.Name -TargetContainer $Pg.Name -Credential $Cred -Port $Pg.Port -ErrorAction Stop } |
            Should -Throw -ErrorId 'BaseBackupDrillUnavailable,CenateBackup.PowerShell.Commands.TestCenateBackupCommand'
        Get-Content -Raw -LiteralPath $Set.Path | Should -Be $before
        foreach ($f in $Set.Path, (Join-Path $Set.Directory $Tar)) {
            { Restore-CenateTable -Backup $f @P -Mode Staging -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'BaseBackupNotATableSource,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
        }
    }

    It 'fails the Read level when the manifest''s WAL range was edited (the archive''s own backup_label and backup_manifest say otherwise)' {
        $c = Copy-Set 'facts'
        $m = Get-Content -Raw -LiteralPath $c.Manifest | ConvertFrom-Json -AsHashtable
        $m.base.endLsn = '0/FF000000'
        $m.base.systemIdentifier = '1'
        Set-Content -LiteralPath $c.Manifest -Value ($m | ConvertTo-Json -Depth 20) -NoNewline
        $r = Test-CenateBackup -Path $c.Manifest -Level Read -Container $Pg.Name
        $r.Passed | Should -BeFalse
        $prob = @($r.Problems)[0]
        $prob.Kind | Should -Be 'ChecksumMismatch'
        $prob.Message | Should -Match "endLsn is '0/FF000000' in the manifest"
        $prob.Message | Should -Match "systemIdentifier is '1' in the manifest"
        ($r.Checks -join "`n") | Should -Not -Match 'pg_verifybackup'
    }

    It 'unpacks under the temp directory, not next to the set, when another account may write the set''s directory' {
        $c = Copy-Set 'shared'
        & chmod 0777 $c.Dir
        $r = Test-CenateBackup -Path $c.Manifest -Level Read -Container $Pg.Name -Verbose 4>&1
        $result = $r | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $result.Passed | Should -BeTrue
        ($r | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n" |
            Should -Match ([regex]::Escape($c.Dir) + '.*may be written by another account: the copy is unpacked under')
        @(Get-ChildItem -LiteralPath ([IO.Path]::GetTempPath()) -Force -Filter '.cenate-verify-*').Count | Should -Be 0
    }

    It 'removes an unpacked copy a killed check left more than a day ago, and keeps a fresh one' {
        $c = Copy-Set 'stale'
        $old = Join-Path $c.Dir '.cenate-verify-0123456789abcdef0123456789abcdef'
        $new = Join-Path $c.Dir '.cenate-verify-fedcba9876543210fedcba9876543210'
        foreach ($d in $old, $new) { New-Item -ItemType Directory -Path (Join-Path $d 'base') -Force | Out-Null; Set-Content -LiteralPath (Join-Path $d 'base/x') -Value 'rows' }
        (Get-Item -LiteralPath $old -Force).LastWriteTimeUtc = [DateTime]::UtcNow.AddDays(-2)
        $r = Test-CenateBackup -Path $c.Manifest -Level Read -Container $Pg.Name
        $r.Passed | Should -BeTrue
        Test-Path -LiteralPath $old | Should -BeFalse
        Test-Path -LiteralPath $new | Should -BeTrue
    }
}

Describe 'Test-CenateBackup -WalPath: can the base backup be rolled forward with the archive?' {
    BeforeAll {
        $script:M = (Get-Content -Raw -LiteralPath $Set.Path | ConvertFrom-Json).base
        function script:New-Archive([string]$Name, [int]$Count, [string]$System = $M.systemIdentifier) {
            # pg_receivewal's layout: whole segments from the backup's end on, the newest one still .partial.
            $d = Join-Path $Dir $Name
            New-Item -ItemType Directory -Path $d | Out-Null
            Set-Content -LiteralPath (Join-Path $d '.cenate-wal-archive.json') -Value "{ `"systemIdentifier`": `"$System`" }"
            $tli = $M.endWalFile.Substring(0, 8); $log = [Convert]::ToInt64($M.endWalFile.Substring(8, 8), 16)
            $seg = [Convert]::ToInt64($M.endWalFile.Substring(16, 8), 16)
            $names = for ($i = 0; $i -lt $Count; $i++) { '{0}{1:X8}{2:X8}' -f $tli, $log, ($seg + $i) }
            foreach ($n in $names[0..($Count - 2)]) { Set-Content -LiteralPath (Join-Path $d $n) -Value 'wal' }
            Set-Content -LiteralPath (Join-Path $d "$($names[-1]).partial") -Value 'wal'
            [pscustomobject]@{ Dir = $d; Names = $names }
        }
    }

    It 'passes when every segment from the backup''s end to the newest is there' {
        $a = New-Archive 'wal-ok' 5
        $r = Test-CenateBackup -Path $Set.Path -Level Checksum -WalPath $a.Dir
        $r.Passed | Should -BeTrue
        ($r.Checks -join "`n") | Should -Match "WAL continuity $($M.endWalFile) – $($a.Names[-1]) \(5 segments\)"
    }

    It 'fails with WalArchiveGap naming the missing segment, another cluster''s archive too, and the set stays verified' {
        $a = New-Archive 'wal-gap' 6
        Remove-Item -LiteralPath (Join-Path $a.Dir $a.Names[2])
        $r = Test-CenateBackup -Path $Set.Path -Level Checksum -WalPath $a.Dir
        $r.Passed | Should -BeFalse
        $prob = @($r.Problems)
        $prob.Count | Should -Be 1
        $prob[0].Kind | Should -Be 'WalArchiveGap'
        $prob[0].Message | Should -Match "first $($a.Names[2])"
        (Get-Content -Raw -LiteralPath $Set.Path | ConvertFrom-Json).verification.passed | Should -BeTrue

        $f = New-Archive 'wal-foreign' 3 -System '1234'
        $r = Test-CenateBackup -Path $Set.Path -Level Checksum -WalPath $f.Dir
        @($r.Problems)[0].Kind | Should -Be 'WalArchiveGap'
        @($r.Problems)[0].Message | Should -Match 'another cluster'
        # The monitor's directory form: the newest base set, and the archive judged the same way.
        $r = Test-CenateBackup -Path $Set.Directory -Kind Base -Level Checksum -WalPath $a.Dir
        $r.Passed | Should -BeFalse
        @($r.Problems).Kind | Should -Contain 'WalArchiveGap'
    }
}

Describe 'Sync-CenateOffsite of a base set' {
    It 'skips it by default, copies it with -IncludePartial, and the copy passes pg_verifybackup there' {
        $mnt = Join-Path $Dir 'usb'
        New-Item -ItemType Directory -Path $mnt | Out-Null
        & mount -t tmpfs -o 'size=64m,mode=0700' tmpfs $mnt
        try {
            $target = (Initialize-CenateOffsiteTarget -Destination (Join-Path $mnt 'cenate') -Label usb-base -Confirm:$false).Path
            $src = Join-Path $Dir 'sets'
            @(Sync-CenateOffsite -Path $src -Destination $target | Where-Object Status -eq 'Copied').Count | Should -Be 0
            $r = @(Sync-CenateOffsite -Path $src -Destination $target -IncludePartial | Where-Object Status -eq 'Copied')
            $r.Count | Should -Be 1
            $r[0].Kind | Should -Be 'Base'
            $copy = Get-CenateBackup $target -Kind Base
            $copy.Stamp | Should -Be $Set.Stamp
            $v = Test-CenateBackup -Path $copy.Path -Level Read -Container $Pg.Name
            $v.Passed | Should -BeTrue
            ($v.Checks -join "`n") | Should -Match 'pg_verifybackup'
        } finally { & umount $mnt; Remove-Item -LiteralPath $mnt -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Remove-CenateOldBackup on base backups' {
    It 'plans base sets as their own family: the newest are kept by MinimumKeep' {
        $r = @(Remove-CenateOldBackup -Path (Join-Path $Dir 'sets') -WhatIf)
        $r.Count | Should -Be 1
        $r[0].Kind | Should -Be 'Base'
        $r[0].Action | Should -Be 'Kept'
    }
}

Describe 'The plan''s jobs with a BaseBackup key' {
    It 'the weekly job takes the base backup, verifies it with pg_verifybackup and expires base sets; the monitor checks their age' {
        $baseDir = Join-Path $Dir 'plan-base'
        $plan = New-JobPlan -Name base -Database maestro_cenate -Container $Pg.Name -Port $Pg.Port -Extra @"
    BaseBackup = @{ Path = '$baseDir'; CompressionLevel = 1; MaxAge = '8d' }
"@
        try {
            $b = (Get-CenateSettings -Path $plan.Settings).BaseBackup
            $b.Path | Should -Be $baseDir
            $b.MaxAge | Should -Be ([TimeSpan]::FromDays(8))
            $r = Invoke-JobScript -Name Weekly -Settings $plan.Settings
            $r.ExitCode | Should -Be 0 -Because "$($r.StdOut)`n$($r.StdErr)"
            $log = @(Get-JobLog -Directory $plan.Logs -Job weekly)[-1]
            foreach ($step in 'base', 'base-verify', 'base-retention') { (Get-StepRecord $log $step)[0].result | Should -Be 'Succeeded' }
            # Without a Weekly key there is no copy to make: no sync step at all.
            Get-StepRecord $log sync | Should -BeNullOrEmpty
            $sets = @(Get-CenateBackup $baseDir -Kind Base)
            $sets.Count | Should -Be 1
            $sets[0].VerificationPassed | Should -BeTrue
            $sets[0].VerifiedLevel | Should -Be 'Read'

            $r = Invoke-JobScript -Name Monitor -Settings $plan.Settings
            $log = @(Get-JobLog -Directory $plan.Logs -Job monitor)[-1]
            # (The local step fails: this plan has no dump set. The base step is judged on its own.)
            (Get-StepRecord $log base)[0].result | Should -Be 'Succeeded' -Because "$($r.StdOut)`n$($r.StdErr)"

            # The newest base set older than MaxAge: the monitor's base step fails and says so.
            Write-PrivateFile $plan.Settings ((Get-Content -Raw -LiteralPath $plan.Settings) -replace "MaxAge = '8d'", "MaxAge = '1s'") | Out-Null
            Start-Sleep -Seconds 2
            $r = Invoke-JobScript -Name Monitor -Settings $plan.Settings
            $r.ExitCode | Should -Be 1
            $log = @(Get-JobLog -Directory $plan.Logs -Job monitor)[-1]
            (Get-StepRecord $log base)[0].result | Should -Be 'Failed'
            (Get-StepRecord $log base)[0].errorId | Should -Be 'Stale'
        } finally {
            Remove-Item -LiteralPath $plan.Directory -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}
