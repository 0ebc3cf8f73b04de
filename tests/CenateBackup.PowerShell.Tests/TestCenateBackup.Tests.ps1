#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Test-CenateBackup (first version): checksums against the manifest and a full read of the archive.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Source = New-TestDirectory 'verify-src'
    $script:Set = New-CenateDump -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Path $Source
    $script:DumpName = $Set.Files[0].Name
    $script:ManifestName = Split-Path -Leaf $Set.Path
    # Hashes come from sha256sum, not from the module (whose own figure is what is under test).
    function Get-Sha256Sum([string]$Path) { ((& sha256sum $Path) -split ' ')[0] }
    $script:DumpSha = Get-Sha256Sum $Set.Files[0].Path
    $DumpSha | Should -Match '^[0-9a-f]{64}$'

    function Copy-Set([string]$Name) {
        $d = New-TestDirectory $Name
        New-Item -ItemType Directory -Path $d | Out-Null
        Copy-Item -LiteralPath $Set.Path, $Set.Files[0].Path -Destination $d
        [pscustomobject]@{ Dir = $d; Manifest = Join-Path $d $ManifestName; Dump = Join-Path $d $DumpName }
    }
    function Set-Truncated([string]$Path, [double]$Fraction) {
        $fs = [IO.File]::Open($Path, 'Open', 'ReadWrite')
        try { $fs.SetLength([long]($fs.Length * $Fraction)) } finally { $fs.Dispose() }
    }
    function Switch-MiddleByte([string]$Path) {
        $fs = [IO.File]::Open($Path, 'Open', 'ReadWrite')
        try {
            $fs.Position = [long]($fs.Length / 2); $b = $fs.ReadByte()
            $fs.Position = [long]($fs.Length / 2); $fs.WriteByte(($b -bxor 0xFF))
        } finally { $fs.Dispose() }
    }
}
AfterAll { Remove-Item -LiteralPath $Source -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Test-CenateBackup' {
    It 'passes a good set, locally and in the container, and records the verification in the manifest' {
        $local = Test-CenateBackup -Path $Set.Path
        $local.Passed | Should -BeTrue
        $local.Problems | Should -BeNullOrEmpty
        $inContainer = Test-CenateBackup -Path $Set.Path -Container $Rig.Container
        $inContainer.Passed | Should -BeTrue
        $m = Get-Content -Raw $Set.Path | ConvertFrom-Json
        $m.verification.level | Should -Be 'Read'
        $m.verification.passed | Should -BeTrue
        Get-UnixMode $Set.Path | Should -Be '0600'
    }

    It 'fails a truncated copy with a precise problem' {
        $c = Copy-Set 'trunc'
        try {
            Set-Truncated $c.Dump 0.6
            $r = Test-CenateBackup -Path $c.Manifest
            $r.Passed | Should -BeFalse
            $r.Problems.Kind | Should -Contain 'Truncated'
            $r.Problems.Kind | Should -Contain 'ChecksumMismatch'
            ($r.Problems | Where-Object Kind -eq 'Truncated' | Select-Object -First 1).File | Should -Be $DumpName
            (Get-Content -Raw $c.Manifest | ConvertFrom-Json).verification.passed | Should -BeFalse
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }

    It 'fails a copy with one flipped byte in the middle' {
        $c = Copy-Set 'flip'
        try {
            Switch-MiddleByte $c.Dump
            $flipped = Get-Sha256Sum $c.Dump
            $flipped | Should -Not -Be $DumpSha
            $r = Test-CenateBackup -Path $c.Manifest
            $r.Passed | Should -BeFalse
            $r.Problems.Kind | Should -Contain 'ChecksumMismatch'
            ($r.Problems | Where-Object Kind -eq 'ChecksumMismatch').Message | Should -Match $DumpSha
            ($r.Problems | Where-Object Kind -eq 'ChecksumMismatch').Message | Should -Match $flipped
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }

    It 'reads the whole archive: a truncated dump without a manifest still fails (pg_restore -l would pass it)' {
        $c = Copy-Set 'lone'
        try {
            Remove-Item -LiteralPath $c.Manifest
            Set-Truncated $c.Dump 0.9
            & pg_restore -l $c.Dump *> $null
            $LASTEXITCODE | Should -Be 0 -Because 'the table of contents alone still reads'
            $r = Test-CenateBackup -Path $c.Dump
            $r.Passed | Should -BeFalse
            $r.Problems.Kind | Should -Contain 'ManifestMissing'
            $r.Problems.Kind | Should -Contain 'Truncated'
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }

    It 'Checksum level checks hashes without reading the archive' {
        $r = Test-CenateBackup -Path $Set.Path -Level Checksum
        $r.Passed | Should -BeTrue
        $r.Checks -join ';' | Should -Not -Match 'pg_restore'
    }

    It 'reports a missing path as an error and goes on with the next one' {
        $missing = Join-Path $Source 'nope.manifest.json'
        $results = Test-CenateBackup -Path $missing, $Set.Path -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'PathNotFound,CenateBackup.PowerShell.Commands.TestCenateBackupCommand'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        @($results).Count | Should -Be 1
        $results.Passed | Should -BeTrue
    }

    It '-Quiet returns only $true or $false' {
        Test-CenateBackup -Path $Set.Path -Quiet | Should -BeExactly $true
        $c = Copy-Set 'quiet'
        try {
            Switch-MiddleByte $c.Dump
            Test-CenateBackup -Path $c.Manifest -Quiet | Should -BeExactly $false
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }

    It 'accepts sets from Get-CenateBackup and the files of a set from the pipeline' {
        $r = Get-CenateBackup -Path $Source | Test-CenateBackup -Level Checksum
        $r.Passed | Should -BeTrue
        $r.Path | Should -Be $Set.Path
        $f = $Set.Files | Test-CenateBackup
        $f.Passed | Should -BeTrue
        $f.Files | Should -Be $DumpName
    }

    It 'accepts files from Get-ChildItem by property name' {
        $r = Get-ChildItem -LiteralPath $Source -Filter *.manifest.json | Test-CenateBackup -Level Checksum
        $r.Passed | Should -BeTrue
    }
}

Describe 'Test-CenateBackup on bad input: Passed = false with the precise problem, never a crash' {
    BeforeAll {
        $script:Lone = New-TestDirectory 'badinput'
        New-Item -ItemType Directory -Path $Lone | Out-Null
        $script:LoneName = 'maestro_cenate_20260101_020000.dump'
        function New-Lone([byte[]]$Bytes) {
            $p = Join-Path $Lone $LoneName
            [IO.File]::WriteAllBytes($p, $Bytes)
            $p
        }
        function Edit-Manifest([string]$Path, [scriptblock]$Change) {
            $m = Get-Content -Raw -LiteralPath $Path | ConvertFrom-Json -AsHashtable
            & $Change $m
            Set-Content -LiteralPath $Path -Value ($m | ConvertTo-Json -Depth 20) -NoNewline
        }
    }
    AfterAll { Remove-Item -LiteralPath $Lone -Recurse -Force -ErrorAction SilentlyContinue }

    It 'a PNG renamed .dump is Unreadable: not a pg_dump archive' {
        $png = [byte[]](0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A) + [byte[]](1..200)
        $r = Test-CenateBackup -Path (New-Lone $png)
        $r.Passed | Should -BeFalse
        ($r.Problems | Where-Object Kind -eq 'Unreadable').Message | Should -Match 'not a pg_dump custom-format archive'
    }

    It 'a CSV renamed .dump is Unreadable' {
        $r = Test-CenateBackup -Path (New-Lone ([Text.Encoding]::UTF8.GetBytes("id,nombres`n1,Ana`n2,Luis`n")))
        $r.Passed | Should -BeFalse
        $r.Problems.Kind | Should -Contain 'Unreadable'
    }

    It 'an empty file is Unreadable: empty' {
        $r = Test-CenateBackup -Path (New-Lone ([byte[]]@()))
        $r.Passed | Should -BeFalse
        ($r.Problems | Where-Object Kind -eq 'Unreadable').Message | Should -Be 'the file is empty'
    }

    It 'a dump truncated at <Percent>% is Truncated (with the manifest) and fails without it too' -ForEach @(
        @{ Percent = 10 }, @{ Percent = 60 }, @{ Percent = 99 }
    ) {
        $c = Copy-Set "trunc$Percent"
        try {
            Set-Truncated $c.Dump ($Percent / 100)
            $r = Test-CenateBackup -Path $c.Manifest
            $r.Passed | Should -BeFalse
            ($r.Problems | Where-Object Kind -eq 'Truncated').File | Should -Contain $DumpName
            $r.Problems.Kind | Should -Contain 'ChecksumMismatch'
            Remove-Item -LiteralPath $c.Manifest
            $lone = Test-CenateBackup -Path $c.Dump
            $lone.Passed | Should -BeFalse
            $lone.Problems.Kind | Should -Contain 'Truncated'
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }

    It 'a .csv.gz cut short is Truncated' {
        $d = New-TestDirectory 'cutcsv'
        try {
            $s = New-CenateDump -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Path $d -Include Csv
            $csv = ($s.Files | Where-Object Kind -eq 'Csv').Path
            Set-Truncated $csv 0.5
            $r = $s | Test-CenateBackup
            $r.Passed | Should -BeFalse
            ($r.Problems | Where-Object Kind -eq 'Truncated').File | Should -Contain (Split-Path -Leaf $csv)
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'a manifest whose sha256 was edited gives ChecksumMismatch with both hashes' {
        $c = Copy-Set 'editsha'
        try {
            $fake = 'ab' * 32
            Edit-Manifest $c.Manifest { param($m) $m.files[0].sha256 = $fake }
            $r = Test-CenateBackup -Path $c.Manifest
            $r.Passed | Should -BeFalse
            $p = $r.Problems | Where-Object Kind -eq 'ChecksumMismatch'
            $p.Message | Should -Be "sha256 is $DumpSha, the manifest says $fake"
            @($r.Problems).Count | Should -Be 1 -Because 'the archive itself still reads'
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }

    It 'a dump of another database under this database''s name is ForeignDatabase' {
        $other = 'cenate_otra_' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        Invoke-Psql -Database postgres -Sql "CREATE DATABASE $other" | Out-Null
        $c = Copy-Set 'foreign'
        try {
            Invoke-Psql -Database $other -Sql 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)' | Out-Null
            $env:PGPASSWORD = $Rig.Password
            & pg_dump -Fc -h 127.0.0.1 -p $Rig.Port -U cenate -d $other -f $c.Dump
            Remove-Item env:PGPASSWORD
            $LASTEXITCODE | Should -Be 0
            # The manifest is made to match the foreign file, so only the archive's own header can tell.
            $hash = (Get-FileHash -Algorithm SHA256 -LiteralPath $c.Dump).Hash.ToLowerInvariant()
            $size = (Get-Item -LiteralPath $c.Dump).Length
            Edit-Manifest $c.Manifest { param($m) $m.files[0].sha256 = $hash; $m.files[0].size = $size }
            $r = Test-CenateBackup -Path $c.Manifest
            $r.Passed | Should -BeFalse
            ($r.Problems | Where-Object Kind -eq 'ForeignDatabase').Message | Should -Match "a dump of database '$other'.*not of 'maestro_cenate'"
            Remove-Item -LiteralPath $c.Manifest
            (Test-CenateBackup -Path $c.Dump).Problems.Kind | Should -Contain 'ForeignDatabase'
        } finally {
            Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue
            Remove-Item -LiteralPath $c.Dir -Recurse -Force
            Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $other" | Out-Null
        }
    }

    It 'a dump made by a newer pg_dump than the pg_restore is NewerArchiveVersion, with what to do' {
        # No pg_dump newer than 15 exists on this machine: the archive's format version bytes are set to 1.16
        # (the format of pg_dump 17), which is exactly what pg_restore 15 checks and refuses.
        $bytes = [IO.File]::ReadAllBytes($Set.Files[0].Path)
        $bytes[5] | Should -Be 1
        $bytes[6] = 16
        $r = Test-CenateBackup -Path (New-Lone $bytes)
        $r.Passed | Should -BeFalse
        $p = $r.Problems | Where-Object Kind -eq 'NewerArchiveVersion'
        $p.Message | Should -Match 'newer pg_dump than this pg_restore'
        $p.Message | Should -Match '1\.16'
        $p.Message | Should -Match '-Container'
    }
}
