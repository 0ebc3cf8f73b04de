#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Sync-CenateOffsite to directory targets on real mounts made here (tmpfs and a loop-mounted ext4 image): what is
# copied, how it is verified, what is refused before anything is written, a kill -9 half-way, and retention and
# monitoring on the target. Mounts live under a unique /tmp directory and are unmounted in AfterAll.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Fq = { param($id, $cmd) "$id,CenateBackup.PowerShell.Commands.$cmd" }
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('cenate-offsite-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Root | Out-Null
    $script:Mounts = [System.Collections.Generic.List[string]]::new()

    function Mount-TestFs {
        # A real file system mounted at $Dir: tmpfs of $Size, or an ext4 image of $Size on a loop device.
        param([Parameter(Mandatory)][string]$Dir, [string]$Size = '64m', [switch]$Ext4)
        New-Item -ItemType Directory -Path $Dir -Force | Out-Null
        if ($Ext4) {
            $img = "$Dir.img"
            & truncate -s $Size $img
            & mkfs.ext4 -q -F $img 2>&1 | Out-Null
            $out = & mount -o loop $img $Dir 2>&1
        } else {
            $out = & mount -t tmpfs -o "size=$Size,mode=0700" tmpfs $Dir 2>&1
        }
        if ($LASTEXITCODE -ne 0) { throw "mount at $Dir failed (the tests need root and mount): $out" }
        $script:Mounts.Add($Dir)
        $Dir
    }

    function Dismount-TestFs([string]$Dir) {
        & umount $Dir 2>$null
        if ($LASTEXITCODE -ne 0) { & umount -l $Dir 2>$null }
        $null = $script:Mounts.Remove($Dir)
    }

    function Get-Listing([string]$Dir) {
        # Names, sizes and sha256 of every file (hidden ones too), to prove nothing changed.
        @(Get-ChildItem -LiteralPath $Dir -Force -File -ErrorAction SilentlyContinue | Sort-Object Name |
            ForEach-Object { '{0} {1} {2}' -f $_.Name, $_.Length, (Get-Sha $_.FullName) }) -join "`n"
    }

    # The source: three verified full sets (2 MB each), one unverified full set, one data-only set.
    $script:Src = Join-Path $Root 'backups'
    $script:Old = New-FakeSet -Dir $Src -DaysAgo 3 -Size 2MB
    $script:Mid = New-FakeSet -Dir $Src -DaysAgo 2 -Size 2MB
    $script:Unverified = New-FakeSet -Dir $Src -DaysAgo 1.5 -Size 1MB -Unverified
    $script:Partial = New-FakeSet -Dir $Src -DaysAgo 1.2 -Size 1MB -Kind DataOnly -RecordKind
    $script:New = New-FakeSet -Dir $Src -DaysAgo 1 -Size 2MB
}

AfterAll {
    foreach ($m in @($script:Mounts)) { Dismount-TestFs $m }
    Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Sync-CenateOffsite to a USB disk (tmpfs)' {
    BeforeAll {
        $script:Usb = Mount-TestFs (Join-Path $Root 'usb')
        $script:Target = Join-Path $Usb 'cenate'
        Initialize-CenateOffsiteTarget -Destination $Target -Label usb-a -Confirm:$false | Out-Null
    }

    It 'copies the newest verified full set, verified at the target, manifest last, files 0600' {
        $r = Get-CenateBackup -Path $Src -Verified -Newest 1 | Sync-CenateOffsite -Destination $Target -Label usb-a
        $r.Status | Should -Be 'Copied'
        $r.Stamp | Should -Be $New.Stamp
        $r.BytesCopied | Should -Be 2MB
        $r.Path | Should -Be (Join-Path $Target (Split-Path $New.Manifest -Leaf))
        $copied = Join-Path $Target (Split-Path $New.Dump -Leaf)
        Get-Sha $copied | Should -Be (Get-Sha $New.Dump)
        Get-UnixMode $copied | Should -Be '0600'
        Get-UnixMode $r.Path | Should -Be '0600'
        $m = Get-Content -Raw $r.Path | ConvertFrom-Json
        $m.verification.level | Should -Be 'Checksum'
        $m.verification.passed | Should -BeTrue
        $m.copy.from | Should -Be $Src
        $m.copy.method | Should -Match 'page cache'
        $m.copy.sourceVerification.level | Should -Be 'Read'
        # Only that set travelled.
        @(Get-ChildItem -LiteralPath $Target -Filter '*.manifest.json').Count | Should -Be 1
        (Get-CenateBackup -Path $Target).VerifiedLevel | Should -Be 'Checksum'
    }

    It 'does not copy a set again (AlreadyPresent, nothing moved, files untouched)' {
        $before = Get-Listing $Target
        $r = Sync-CenateOffsite -Path $Src -Destination $Target -Stamp $New.Stamp
        $r.Status | Should -Be 'AlreadyPresent'
        $r.BytesCopied | Should -Be 0
        Get-Listing $Target | Should -Be $before
    }

    It '-WhatIf lists what would be copied and writes nothing' {
        $before = Get-Listing $Target
        $r = @(Sync-CenateOffsite -Path $Src -Destination $Target -WhatIf)
        ($r | Where-Object Status -eq 'WouldCopy').Stamp | Sort-Object | Should -Be (@($Old.Stamp, $Mid.Stamp) | Sort-Object)
        ($r | Where-Object Status -eq 'AlreadyPresent').Stamp | Should -Be $New.Stamp
        Get-Listing $Target | Should -Be $before
    }

    It 'copies only complete verified full sets by default; -IncludePartial adds the data-only set' {
        $r = @(Sync-CenateOffsite -Path $Src -Destination $Target)
        ($r | Where-Object Status -eq 'Copied').Stamp | Sort-Object | Should -Be (@($Old.Stamp, $Mid.Stamp) | Sort-Object)
        $r.Stamp | Should -Not -Contain $Unverified.Stamp
        $r.Stamp | Should -Not -Contain $Partial.Stamp
        $p = @(Sync-CenateOffsite -Path $Src -Destination $Target -IncludePartial) | Where-Object Status -eq 'Copied'
        $p.Stamp | Should -Be $Partial.Stamp
        $p.Kind | Should -Be 'DataOnly'
    }

    It 'refuses a named set that is not verified, with its error id, and copies nothing of it' {
        $r = Sync-CenateOffsite -Path $Src -Destination $Target -Stamp $Unverified.Stamp -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Failed'
        $err[0].FullyQualifiedErrorId | Should -Be (& $Fq 'OffsiteSourceNotVerified' 'SyncCenateOffsiteCommand')
        Test-Path (Join-Path $Target (Split-Path $Unverified.Dump -Leaf)) | Should -BeFalse
    }

    It 'a flipped byte at the target is found by Test-CenateBackup there' {
        $copy = Join-Path $Target (Split-Path $Mid.Dump -Leaf)
        $bytes = [IO.File]::ReadAllBytes($copy); $bytes[1000] = $bytes[1000] -bxor 0xFF; [IO.File]::WriteAllBytes($copy, $bytes)
        $v = Test-CenateBackup -Path (Join-Path $Target (Split-Path $Mid.Manifest -Leaf)) -Level Checksum -Confirm:$false
        $v.Passed | Should -BeFalse
        $v.Problems.Kind | Should -Contain 'ChecksumMismatch'
        # Recorded there; the next sync reads the copy back and replaces the damaged file of this very set.
        $r = Sync-CenateOffsite -Path $Src -Destination $Target -Stamp $Mid.Stamp
        $r.Status | Should -Be 'Copied'
        $r.Reason | Should -Match 'last verification there failed'
        $r.BytesCopied | Should -Be 2MB
        Get-Sha $copy | Should -Be (Get-Sha $Mid.Dump)
        (Test-CenateBackup -Path $r.Path -Level Checksum -Confirm:$false).Passed | Should -BeTrue
    }

    It 'Sync | Test-CenateBackup: the destination is unlocked before results go down the pipeline, and the result is recorded' {
        $src2 = Join-Path $Root 'backups2'
        $one = New-FakeSet -Dir $src2 -DaysAgo 0.9 -Size 64KB
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $v = Sync-CenateOffsite -Path $src2 -Destination $Target -Stamp $one.Stamp | Test-CenateBackup -Level Checksum -WarningVariable warn -Confirm:$false
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 20
        $warn | Should -BeNullOrEmpty
        $v.Passed | Should -BeTrue
        # Test's own record replaced the sync's in the copy's manifest (the warning would say when it could not).
        $m = Get-Content -Raw $v.Path | ConvertFrom-Json
        ([datetime]$m.verification.at) | Should -BeGreaterThan ([datetime]$m.copy.at)
    }

    It 'a set put on the target by another tool (no copy record) is read back and gets its copy record; a bad file of it is replaced' {
        $src3 = Join-Path $Root 'backups3'
        $other = New-FakeSet -Dir $src3 -DaysAgo 0.8 -Size 64KB -VerifiedAt $src3
        Copy-Item -LiteralPath $other.Dump, $other.Manifest -Destination $Target
        $placed = Join-Path $Target (Split-Path $other.Dump -Leaf)
        $bytes = [IO.File]::ReadAllBytes($placed); $bytes[100] = $bytes[100] -bxor 1; [IO.File]::WriteAllBytes($placed, $bytes)
        $r = Sync-CenateOffsite -Path $src3 -Destination $Target -Stamp $other.Stamp
        $r.Status | Should -Be 'Copied'
        $r.Reason | Should -Match 'never verified there'
        Get-Sha $placed | Should -Be (Get-Sha $other.Dump)
        (Get-Content -Raw $r.Path | ConvertFrom-Json).copy.from | Should -Be $src3
    }

    It 'refuses another disk (another label) with TargetMarkerMismatch and writes nothing' {
        $before = Get-Listing $Target
        { Sync-CenateOffsite -Path $Src -Destination $Target -Label usb-b -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'TargetMarkerMismatch' 'SyncCenateOffsiteCommand')
        Get-Listing $Target | Should -Be $before
    }
}

Describe 'Sync-CenateOffsite refuses a target that is not the disk it should be' {
    It 'the disk is unmounted: TargetNotMounted, and nothing lands on the system disk' {
        $mnt = Mount-TestFs (Join-Path $Root 'gone')
        $target = Join-Path $mnt 'cenate'
        Initialize-CenateOffsiteTarget -Destination $target -Label usb-a -Confirm:$false | Out-Null
        Dismount-TestFs $mnt
        # Refused as being on the root file system, or (where /tmp is a file system of its own) as another disk.
        $onRoot = (& findmnt -n -o TARGET --target $mnt) -eq '/'
        $expected = if ($onRoot) { 'TargetNotMounted' } else { 'TargetMarkerMismatch' }
        { Sync-CenateOffsite -Path $Src -Destination $target -Newest 1 -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq $expected 'SyncCenateOffsiteCommand')
        @(Get-ChildItem -LiteralPath $mnt -Force -Recurse).Count | Should -Be 0
        # A script that created the directory on the system disk anyway: still refused, still nothing written.
        New-Item -ItemType Directory -Path $target | Out-Null
        { Sync-CenateOffsite -Path $Src -Destination $target -Newest 1 -RequireMountPoint $mnt -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'TargetNotMounted' 'SyncCenateOffsiteCommand')
        # Without -RequireMountPoint: the same refusal.
        { Sync-CenateOffsite -Path $Src -Destination $target -Newest 1 -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq $expected 'SyncCenateOffsiteCommand')
        @(Get-ChildItem -LiteralPath $target -Force).Count | Should -Be 0
    }

    It 'bringing sets from a target or remote with -RequireMountPoint or -Label still checks the destination' {
        # From the USB target (a marked directory) to a directory on the system disk: without these it is the way home.
        $homeDir = Join-Path $Root 'home-on-root'
        $usbTarget = Join-Path (Join-Path $Root 'usb') 'cenate'
        { Sync-CenateOffsite -Path $usbTarget -Destination $homeDir -RequireMountPoint (Join-Path $Root 'usb') -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'TargetNotMounted' 'SyncCenateOffsiteCommand')
        $onRoot = (& findmnt -n -o TARGET --target $Root) -eq '/'
        $expected = if ($onRoot) { 'TargetNotMounted' } else { 'TargetMarkerMismatch' }
        { Sync-CenateOffsite -Path $usbTarget -Destination $homeDir -Label usb-z -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq $expected 'SyncCenateOffsiteCommand')
        Test-Path -LiteralPath $homeDir | Should -BeFalse
    }

    It '-WhatIf on a fresh target writes nothing at all, not even the lock file' {
        $mnt = Mount-TestFs (Join-Path $Root 'fresh')
        $target = Join-Path $mnt 'cenate'
        Initialize-CenateOffsiteTarget -Destination $target -Confirm:$false | Out-Null
        $r = @(Sync-CenateOffsite -Path $Src -Destination $target -WhatIf)
        $r.Status | Should -Contain 'WouldCopy'
        (Get-ChildItem -LiteralPath $target -Force).Name | Should -Be '.cenate-offsite.json'
    }

    It 'a directory never initialised as a target: TargetMarkerMismatch, nothing written' {
        $mnt = Mount-TestFs (Join-Path $Root 'plain')
        { Sync-CenateOffsite -Path $Src -Destination $mnt -Newest 1 -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'TargetMarkerMismatch' 'SyncCenateOffsiteCommand')
        @(Get-ChildItem -LiteralPath $mnt -Force).Count | Should -Be 0
    }

    It 'a mount point other than -RequireMountPoint: TargetNotMounted' {
        $mnt = Mount-TestFs (Join-Path $Root 'other')
        $target = Join-Path $mnt 'cenate'
        Initialize-CenateOffsiteTarget -Destination $target -Confirm:$false | Out-Null
        { Sync-CenateOffsite -Path $Src -Destination $target -Newest 1 -RequireMountPoint (Join-Path $Root 'usb') -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'TargetNotMounted' 'SyncCenateOffsiteCommand')
        @(Get-ChildItem -LiteralPath $target -Filter '*_*').Count | Should -Be 0
    }

    It 'a disk too small for the set: TargetFull before anything is written' {
        $mnt = Mount-TestFs (Join-Path $Root 'tiny') -Size '1m'
        $target = Join-Path $mnt 'cenate'
        Initialize-CenateOffsiteTarget -Destination $target -Confirm:$false | Out-Null
        $r = Sync-CenateOffsite -Path $Src -Destination $target -Newest 1 -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Failed'
        $r.ErrorId | Should -Be 'TargetFull'
        $err[0].FullyQualifiedErrorId | Should -Be (& $Fq 'TargetFull' 'SyncCenateOffsiteCommand')
        # Nothing at all: not even the lock file (the destination is locked by the first copy, which never came).
        @(Get-ChildItem -LiteralPath $target -Force | Where-Object Name -ne '.cenate-offsite.json').Count | Should -Be 0
    }

    It 'a destination that is the source: OffsiteRouteNotSupported' {
        { Sync-CenateOffsite -Path $Src -Destination $Src -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'OffsiteRouteNotSupported' 'SyncCenateOffsiteCommand')
    }
}

Describe 'Sync-CenateOffsite killed half-way (loop-mounted ext4)' {
    It 'kill -9 of pwsh leaves no manifest at the target; the next run keeps the good file and completes the set' {
        $src = Join-Path $Root 'big'
        $set = New-FakeSet -Dir $src -DaysAgo 1 -Size 1MB
        # Two large files in the set: the kill lands after the first is in place and while the second is being written.
        $second = Join-Path $src ("maestro_cenate_{0}.zz.csv.gz" -f $set.Stamp)
        & head -c 300M /dev/urandom > $second
        & head -c 300M /dev/urandom > $set.Dump
        $m = Get-Content -Raw $set.Manifest | ConvertFrom-Json
        $m.files[0].size = (Get-Item $set.Dump).Length
        $m.files[0].sha256 = (Get-Sha $set.Dump).ToLowerInvariant()
        $m.files += [pscustomobject]@{ name = (Split-Path $second -Leaf); kind = 'Csv'; size = (Get-Item $second).Length; sha256 = (Get-Sha $second).ToLowerInvariant();
            compression = 'gzip'; compressionLevel = 6; dataOnly = $true; tables = @('public.asegurados'); completedAt = $m.files[0].completedAt }
        $m | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath $set.Manifest
        $mnt = Mount-TestFs (Join-Path $Root 'ext4') -Size '1g' -Ext4
        $target = Join-Path $mnt 'cenate'
        Initialize-CenateOffsiteTarget -Destination $target -Confirm:$false | Out-Null

        $script = "Import-Module '$(Get-ModuleManifestPath)'; Sync-CenateOffsite -Path '$src' -Destination '$target' | Out-Null"
        # The real pwsh process (not the dotnet-tool shim), so kill -9 hits the process that copies.
        $psi = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
        if ((Split-Path -Leaf ([Environment]::ProcessPath)) -like 'dotnet*') { $psi.ArgumentList.Add([Environment]::GetCommandLineArgs()[0]) }
        foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $script) { $psi.ArgumentList.Add($a) }
        $psi.UseShellExecute = $false
        $p = [Diagnostics.Process]::Start($psi)
        $first = Split-Path $set.Dump -Leaf
        $deadline = [DateTime]::UtcNow.AddSeconds(120)
        while ([DateTime]::UtcNow -lt $deadline -and -not (Test-Path (Join-Path $target $first))) { Start-Sleep -Milliseconds 5 }
        Test-Path (Join-Path $target $first) | Should -BeTrue -Because 'the first file must land before the kill'
        & kill -9 $p.Id
        $p.WaitForExit()
        @(Get-ChildItem -LiteralPath $target -Filter '*.manifest.json').Count | Should -Be 0
        Get-CenateBackup -Path $target | Should -BeNullOrEmpty

        $r = Sync-CenateOffsite -Path $src -Destination $target
        $r.Status | Should -Be 'Copied'
        # The first file was already right at the target: kept, not copied again.
        $r.BytesCopied | Should -BeLessThan $r.TotalSize
        foreach ($f in $set.Dump, $second) { Get-Sha (Join-Path $target (Split-Path $f -Leaf)) | Should -Be (Get-Sha $f) }
        @(Get-ChildItem -LiteralPath $target -Filter '*.partial').Count | Should -Be 0
        (Test-CenateBackup -Path $r.Path -Level Checksum -Confirm:$false).Passed | Should -BeTrue
        Remove-Item -LiteralPath $src -Recurse -Force
    }
}

Describe 'A manifest is data: a crafted source set never touches another set at the target' {
    BeforeAll {
        $script:Craft = Mount-TestFs (Join-Path $Root 'craft')
        $script:CTarget = Join-Path $Craft 'cenate'
        Initialize-CenateOffsiteTarget -Destination $CTarget -Confirm:$false | Out-Null
        $script:CSrc = Join-Path $Root 'craft-src'
        $script:Good = New-FakeSet -Dir $CSrc -DaysAgo 5 -Size 4KB
        (Sync-CenateOffsite -Path $CSrc -Destination $CTarget).Status | Should -Be 'Copied'
        # Retention at the source removes the good set there; its copy stays on the disk.
        Remove-Item -LiteralPath $Good.Dump, $Good.Manifest
        $script:GoodCopy = Join-Path $CTarget (Split-Path $Good.Dump -Leaf)
        $script:GoodSha = Get-Sha $GoodCopy
        function Write-CraftedSet([string]$Stamp, [string]$Database, [string]$FileName, [int]$Size) {
            $bytes = [byte[]]::new($Size); [Random]::new().NextBytes($bytes)
            [IO.File]::WriteAllBytes((Join-Path $CSrc $FileName), $bytes)
            $time = [DateTimeOffset]::UtcNow.AddHours(-1)
            [ordered]@{
                formatVersion = 1; tool = 'attacker'; database = $Database; stamp = $Stamp; kind = 'Full'
                startedAt = $time.ToString('o'); completedAt = $time.ToString('o'); complete = $true
                source = [ordered]@{ mode = 'Container'; container = 'x'; port = 5432; user = 'x'; serverVersion = '15'; serverVersionNum = 150000; pgDumpVersion = '15' }
                rowCounts = [ordered]@{}
                files = @([ordered]@{ name = $FileName; kind = 'Dump'; size = $Size; sha256 = (Get-Sha (Join-Path $CSrc $FileName)).ToLowerInvariant(); compression = 'gzip'; compressionLevel = 6; dataOnly = $false; tables = @(); completedAt = $time.ToString('o') })
                verification = [ordered]@{ level = 'Read'; at = $time.ToString('o'); passed = $true; problems = @() }
            } | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath (Join-Path $CSrc "${Database}_$Stamp.manifest.json")
        }
    }

    It 'a set listing a file of another stamp is refused (ManifestInvalid), and the copy on the disk is untouched' {
        Write-CraftedSet -Stamp '20200101_000000' -Database maestro_cenate -FileName (Split-Path $Good.Dump -Leaf) -Size 9000
        # By default it is only passed over (-Verbose says why); named by its stamp it is reported.
        @(Sync-CenateOffsite -Path $CSrc -Destination $CTarget | Where-Object Status -eq 'Copied').Count | Should -Be 0
        $r = Sync-CenateOffsite -Path $CSrc -Destination $CTarget -Stamp '20200101_000000' -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Failed'
        $r.ErrorId | Should -Be 'ManifestInvalid'
        Get-Sha $GoodCopy | Should -Be $GoodSha
        (Test-CenateBackup -Path (Join-Path $CTarget (Split-Path $Good.Manifest -Leaf)) -Level Checksum -Confirm:$false).Passed | Should -BeTrue
        Remove-Item -LiteralPath (Join-Path $CSrc 'maestro_cenate_20200101_000000.manifest.json'), (Join-Path $CSrc (Split-Path $Good.Dump -Leaf))
    }

    It 'a set of another database that lists a file another manifest at the target owns: OffsiteFileConflict, untouched' {
        Write-CraftedSet -Stamp $Good.Stamp -Database evil -FileName (Split-Path $Good.Dump -Leaf) -Size 9000
        $r = Sync-CenateOffsite -Path $CSrc -Destination $CTarget -Database evil -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Failed'
        $r.ErrorId | Should -Be 'OffsiteFileConflict'
        $err[0].FullyQualifiedErrorId | Should -Be (& $Fq 'OffsiteFileConflict' 'SyncCenateOffsiteCommand')
        Get-Sha $GoodCopy | Should -Be $GoodSha
        Test-Path (Join-Path $CTarget "evil_$($Good.Stamp).manifest.json") | Should -BeFalse
    }

    It 'a shorter file of the set''s name that is not the start of the set''s file is someone else''s: OffsiteFileConflict, kept' {
        $set = New-FakeSet -Dir $CSrc -DaysAgo 4.5 -Size 64KB
        $theirs = Join-Path $CTarget (Split-Path $set.Dump -Leaf)
        Set-Content -LiteralPath $theirs -Value 'something else entirely'
        $before = Get-Sha $theirs
        $r = Sync-CenateOffsite -Path $CSrc -Destination $CTarget -Stamp $set.Stamp -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Failed'
        $r.ErrorId | Should -Be 'OffsiteFileConflict'
        Get-Sha $theirs | Should -Be $before
        Remove-Item -LiteralPath $theirs
    }

    It 'a copy at the target with a file cut short is repaired by the next sync (no crash, right bytes)' {
        $set = New-FakeSet -Dir $CSrc -DaysAgo 4 -Size 64KB
        (Sync-CenateOffsite -Path $CSrc -Destination $CTarget -Stamp $set.Stamp).Status | Should -Be 'Copied'
        $copy = Join-Path $CTarget (Split-Path $set.Dump -Leaf)
        $fs = [IO.File]::Open($copy, 'Open', 'ReadWrite'); $fs.SetLength(1000); $fs.Dispose()
        $r = Sync-CenateOffsite -Path $CSrc -Destination $CTarget -Stamp $set.Stamp
        $r.Status | Should -Be 'Copied'
        $r.Reason | Should -Match 'wrong size'
        Get-Sha $copy | Should -Be (Get-Sha $set.Dump)
        # Left without a manifest (a stopped copy), shorter: replaced as well.
        Remove-Item -LiteralPath $r.Path
        $fs = [IO.File]::Open($copy, 'Open', 'ReadWrite'); $fs.SetLength(10); $fs.Dispose()
        (Sync-CenateOffsite -Path $CSrc -Destination $CTarget -Stamp $set.Stamp).Status | Should -Be 'Copied'
        Get-Sha $copy | Should -Be (Get-Sha $set.Dump)
    }
}

Describe 'Retention and monitoring on a target' {
    BeforeAll {
        # Six months of weekly copies on the USB disk, each verified there as a sync leaves it.
        $script:Weekly = Mount-TestFs (Join-Path $Root 'weekly')
        $script:WTarget = Join-Path $Weekly 'cenate'
        Initialize-CenateOffsiteTarget -Destination $WTarget -Confirm:$false | Out-Null
        $script:WeeklySets = 0..25 | ForEach-Object { New-FakeSet -Dir $WTarget -DaysAgo (7 * $_ + 3.25) -CopyRecord }
    }

    It 'sets put on a target by another tool (rsync, cp: verified elsewhere) do not count as verified there: nothing removed' {
        $plain = Join-Path (Mount-TestFs (Join-Path $Root 'rsynced')) 'cenate'
        Initialize-CenateOffsiteTarget -Destination $plain -Confirm:$false | Out-Null
        # Their records say where they were verified: the backup directory they were copied from.
        0..25 | ForEach-Object { New-FakeSet -Dir $plain -DaysAgo (7 * $_ + 3.25) -VerifiedAt '/srv/backups/maestro_cenate' } | Out-Null
        $d = Remove-CenateOldBackup -Path $plain -KeepDaily 0 -KeepWeekly 90 -KeepMonthly 0 -MaxNewestAge '8d' -TimeZone UTC -Confirm:$false
        ($d.Rule | Select-Object -Unique) | Should -Be 'NoVerifiedSet'
        @(Get-ChildItem -LiteralPath $plain -Filter '*.manifest.json').Count | Should -Be 26
    }

    It 'keeps 13 weeks (-KeepWeekly 90) and removes the older copies whole' {
        $d = Remove-CenateOldBackup -Path $WTarget -KeepDaily 0 -KeepWeekly 90 -KeepMonthly 0 -MaxNewestAge '8d' -TimeZone UTC -Confirm:$false
        $kept = @($d | Where-Object Action -eq 'Kept')
        $removed = @($d | Where-Object Action -eq 'Removed')
        $expectedKept = @($WeeklySets | Where-Object { ([DateTimeOffset]::UtcNow - [DateTimeOffset]::ParseExact($_.Stamp, 'yyyyMMdd_HHmmss', $null, 'AssumeUniversal')).TotalDays -le 90 })
        $kept.Count | Should -Be $expectedKept.Count
        $removed.Count | Should -Be (26 - $expectedKept.Count)
        foreach ($s in $removed) { Test-Path $s.Path | Should -BeFalse }
        Test-Path (Join-Path $WTarget '.cenate-offsite.json') | Should -BeTrue
    }

    It 'the stop guard: when the newest copy is older than -MaxNewestAge nothing is removed' {
        $before = Get-Listing $WTarget
        $d = Remove-CenateOldBackup -Path $WTarget -KeepDaily 0 -KeepWeekly 7 -KeepMonthly 0 -MaxNewestAge '2d' -TimeZone UTC -Confirm:$false
        ($d.Rule | Select-Object -Unique) | Should -Be 'BackupsStopped'
        Get-Listing $WTarget | Should -Be $before
    }

    It 'Test-CenateBackup -MaxAge answers "is the newest USB copy under 8 days old?"' {
        (Test-CenateBackup -Path $WTarget -MaxAge '8d' -Level Checksum -Quiet -Confirm:$false) | Should -BeTrue
        $stale = Test-CenateBackup -Path $WTarget -MaxAge '2d' -Level Checksum -Confirm:$false
        $stale.Passed | Should -BeFalse
        $stale.Problems.Kind | Should -Contain 'Stale'
    }
}
