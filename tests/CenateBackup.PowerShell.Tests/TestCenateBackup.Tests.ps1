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
            $r = Test-CenateBackup -Path $c.Manifest
            $r.Passed | Should -BeFalse
            $r.Problems.Kind | Should -Contain 'ChecksumMismatch'
            ($r.Problems | Where-Object Kind -eq 'ChecksumMismatch').Message | Should -Match $Set.Files[0].Sha256
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

    It 'accepts files from Get-ChildItem by property name' {
        $r = Get-ChildItem -LiteralPath $Source -Filter *.manifest.json | Test-CenateBackup -Level Checksum
        $r.Passed | Should -BeTrue
    }
}
