#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Sync-CenateOffsite, Get-/Test-/Remove- on real rclone remotes served on 127.0.0.1 (ports 56130-56139 are this file's):
# rclone serve sftp and webdav, the S3 server s3rver, crypt over a local directory and over WebDAV. A flipped byte, a
# wrong crypt password, a file already there with other bytes, the way back with a restore drill, retention on a
# remote, and no password in ps, errors or -Verbose while rclone runs.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'OffsiteHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Fq = { param($id, $cmd) "$id,CenateBackup.PowerShell.Commands.$cmd" }
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) ('cenate-remote-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Work | Out-Null
    $script:Sftp = Start-TestRemote -Kind sftp -Port 56130
    $script:Dav = Start-TestRemote -Kind webdav -Port 56131
    $script:S3 = Start-TestRemote -Kind s3 -Port 56132
    $script:Conf = New-TestRcloneConfig -Path (Join-Path $Work 'rclone.conf') -Remotes $Sftp, $Dav, $S3
    $r = Invoke-TestRclone -Arguments 'mkdir', 's3:bucket', '--config', $Conf.Path
    if ($r.ExitCode -ne 0) { throw "could not create the S3 bucket: $($r.Error)" }
    $script:RC = @{ RcloneConfig = $Conf.Path }

    # The source: two verified full sets and an unverified one.
    $script:Src = Join-Path $Work 'backups'
    $script:Older = New-FakeSet -Dir $Src -DaysAgo 2 -Size 300KB
    $script:Newer = New-FakeSet -Dir $Src -DaysAgo 1 -Size 300KB
    $script:Unverified = New-FakeSet -Dir $Src -DaysAgo 0.5 -Size 100KB -Unverified

    function Switch-Byte([string]$Path, [long]$Offset) {
        $fs = [IO.File]::Open($Path, 'Open', 'ReadWrite')
        try { $fs.Position = $Offset; $b = $fs.ReadByte(); $fs.Position = $Offset; $fs.WriteByte($b -bxor 0x5A) } finally { $fs.Dispose() }
    }
    function Get-LargestFile([string]$Dir) {
        Get-ChildItem -LiteralPath $Dir -Recurse -File -Force | Sort-Object Length -Descending | Select-Object -First 1
    }
}

AfterAll {
    $Sftp, $Dav, $S3 | Where-Object { $_ } | Stop-TestRemote -RemoveDirectory
    if ($Conf) { Remove-Item -LiteralPath $Conf.CryptLocalDirectory -Recurse -Force -ErrorAction SilentlyContinue }
    Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Sync-CenateOffsite to <Remote>' -ForEach @(
    @{ Remote = 'sftp:cenate' }
    @{ Remote = 'dav:cenate' }
    @{ Remote = 's3:bucket/cenate' }
    @{ Remote = 'cryptlocal:cenate' }
    @{ Remote = 'cryptdav:cenate' }
) {
    It 'copies the newest verified set, verifies it by downloading it, and lists it there' {
        $r = Get-CenateBackup -Path $Src -Verified -Newest 1 | Sync-CenateOffsite -Destination $Remote @RC
        $r.Status | Should -Be 'Copied'
        $r.Stamp | Should -Be $Newer.Stamp
        $r.VerifiedBy | Should -Match 'rclone checksum sha256 --download'
        $r.Path | Should -Be "$Remote/$(Split-Path $Newer.Manifest -Leaf)"
        $listed = @(Get-CenateBackup -Path $Remote @RC)
        $listed.Count | Should -Be 1
        $listed[0].Stamp | Should -Be $Newer.Stamp
        $listed[0].VerifiedLevel | Should -Be 'Checksum'
        $listed[0].MissingFiles | Should -BeNullOrEmpty
        (Test-CenateBackup -Path $r.Path -Level Checksum @RC).Passed | Should -BeTrue
    }

    It 'a second run finds it AlreadyPresent and moves nothing' {
        $r = Sync-CenateOffsite -Path $Src -Destination $Remote -Stamp $Newer.Stamp @RC
        $r.Status | Should -Be 'AlreadyPresent'
        $r.BytesCopied | Should -Be 0
    }
}

Describe 'What a remote holds is checked, never trusted' {
    It 'the copy on the sftp server has the source bytes, and the served files are those of the set only' {
        $served = Join-Path $Sftp.Directory 'cenate'
        Get-Sha (Join-Path $served (Split-Path $Newer.Dump -Leaf)) | Should -Be (Get-Sha $Newer.Dump)
        (Get-ChildItem -LiteralPath $served | ForEach-Object Name | Sort-Object) |
            Should -Be (@((Split-Path $Newer.Dump -Leaf), (Split-Path $Newer.Manifest -Leaf)) | Sort-Object)
    }

    It 'a flipped byte on <Remote> is found by Test-CenateBackup -Level <Level>' -ForEach @(
        @{ Remote = 'dav:cenate'; Served = 'Dav'; Level = 'Checksum' }
        @{ Remote = 'cryptlocal:cenate'; Served = 'CryptLocal'; Level = 'Checksum' }
        @{ Remote = 'cryptdav:cenate'; Served = 'CryptDav'; Level = 'Read' }
    ) {
        $dir = switch ($Served) { 'Dav' { Join-Path $Dav.Directory 'cenate' } 'CryptLocal' { $Conf.CryptLocalDirectory } 'CryptDav' { Join-Path $Dav.Directory 'enc' } }
        $file = Get-LargestFile $dir
        Switch-Byte $file.FullName ([long]($file.Length / 2))
        $manifest = "$Remote/$(Split-Path $Newer.Manifest -Leaf)"
        $v = Test-CenateBackup -Path $manifest -Level $Level @RC
        $v.Passed | Should -BeFalse
        $v.Problems.Kind | Should -Contain 'ChecksumMismatch'
        $v.Problems.File | Should -Contain (Split-Path $Newer.Dump -Leaf)
        # Monitoring of the remote says the same.
        (Test-CenateBackup -Path $Remote -MaxAge '8d' -Level Checksum -Quiet @RC) | Should -BeFalse
    }

    It 'a crypt remote with the wrong password cannot pass for the copy' {
        # cryptwrong is the same directory as cryptlocal with another password: file names do not decrypt, so no set is
        # there, and monitoring says NoBackup.
        $v = Test-CenateBackup -Path 'cryptwrong:cenate' -MaxAge '8d' -Level Checksum @RC -ErrorAction SilentlyContinue -ErrorVariable err
        if ($v) {
            $v.Passed | Should -BeFalse
            $v.Problems.Kind | Should -Contain 'NoBackup'
        } else {
            $err[0].FullyQualifiedErrorId | Should -Match '^(PathNotFound|RemotePathNotFound),'
        }
        @(Get-CenateBackup -Path 'cryptwrong:cenate' @RC -ErrorAction SilentlyContinue).Count | Should -Be 0
    }

    It 'a file of the set already at the remote with other bytes and no manifest is never overwritten: RemoteFileConflict' {
        $served = Join-Path $Sftp.Directory 'conflict'
        New-Item -ItemType Directory -Path $served | Out-Null
        $name = Split-Path $Older.Dump -Leaf
        $bytes = [IO.File]::ReadAllBytes($Older.Dump); $bytes[10] = $bytes[10] -bxor 1
        [IO.File]::WriteAllBytes((Join-Path $served $name), $bytes)
        $r = Sync-CenateOffsite -Path $Src -Destination 'sftp:conflict' -Stamp $Older.Stamp @RC -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Failed'
        $r.ErrorId | Should -Be 'RemoteFileConflict'
        $err[0].FullyQualifiedErrorId | Should -Be (& $Fq 'RemoteFileConflict' 'SyncCenateOffsiteCommand')
        [IO.File]::ReadAllBytes((Join-Path $served $name)) | Should -Be $bytes
        Test-Path (Join-Path $served (Split-Path $Older.Manifest -Leaf)) | Should -BeFalse
    }

    It 'a shorter file at the remote that is not the start of the set''s file is never replaced: RemoteFileConflict' {
        $served = Join-Path $Sftp.Directory 'shorter'
        New-Item -ItemType Directory -Path $served | Out-Null
        $name = Split-Path $Older.Dump -Leaf
        $bytes = [byte[]]::new(2000); [Random]::new().NextBytes($bytes)
        [IO.File]::WriteAllBytes((Join-Path $served $name), $bytes)
        $r = Sync-CenateOffsite -Path $Src -Destination 'sftp:shorter' -Stamp $Older.Stamp @RC -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Failed'
        $r.ErrorId | Should -Be 'RemoteFileConflict'
        [IO.File]::ReadAllBytes((Join-Path $served $name)) | Should -Be $bytes
    }

    It 'a truncated file left by a killed upload is replaced, and the set completes' {
        $served = Join-Path $Sftp.Directory 'resume'
        New-Item -ItemType Directory -Path $served | Out-Null
        $name = Split-Path $Older.Dump -Leaf
        $bytes = [IO.File]::ReadAllBytes($Older.Dump)
        [IO.File]::WriteAllBytes((Join-Path $served $name), $bytes[0..1000])
        $r = Sync-CenateOffsite -Path $Src -Destination 'sftp:resume' -Stamp $Older.Stamp @RC
        $r.Status | Should -Be 'Copied'
        Get-Sha (Join-Path $served $name) | Should -Be (Get-Sha $Older.Dump)
    }

    It 'a set at the remote with a file gone (its manifest still there) is repaired by the next sync' {
        $served = Join-Path $Sftp.Directory 'repair'
        (Sync-CenateOffsite -Path $Src -Destination 'sftp:repair' -Stamp $Older.Stamp @RC).Status | Should -Be 'Copied'
        Remove-Item -LiteralPath (Join-Path $served (Split-Path $Older.Dump -Leaf))
        (Get-CenateBackup -Path 'sftp:repair' @RC).MissingFiles | Should -Be (Split-Path $Older.Dump -Leaf)
        $r = Sync-CenateOffsite -Path $Src -Destination 'sftp:repair' -Stamp $Older.Stamp @RC
        $r.Status | Should -Be 'Copied'
        Get-Sha (Join-Path $served (Split-Path $Older.Dump -Leaf)) | Should -Be (Get-Sha $Older.Dump)
        (Test-CenateBackup -Path $r.Path -Level Checksum @RC).Passed | Should -BeTrue
    }

    It 'an unknown remote, a connection string, and a missing rclone are refused with their ids' {
        { Sync-CenateOffsite -Path $Src -Destination 'nosuchremote:x' @RC -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'RemoteNotConfigured' 'SyncCenateOffsiteCommand')
        { Sync-CenateOffsite -Path $Src -Destination ":sftp,host=127.0.0.1,pass=$($Sftp.Password):x" @RC -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'RemoteSpecRefused' 'SyncCenateOffsiteCommand')
        { Sync-CenateOffsite -Path $Src -Destination 'sftp:x' @RC -RclonePath (Join-Path $Work 'no-rclone') -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'RcloneNotFound' 'SyncCenateOffsiteCommand')
        { Sync-CenateOffsite -Path 'sftp:cenate' -Destination 'dav:other' @RC -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'OffsiteRouteNotSupported' 'SyncCenateOffsiteCommand')
    }
}

Describe 'No password in ps, errors or -Verbose while rclone runs' {
    It 'sampling every command line during a sync to sftp finds no secret of the config' {
        $big = Join-Path $Work 'big'
        $set = New-FakeSet -Dir $big -DaysAgo 1 -Size 64MB
        $job = Invoke-InBackground -Script { param($Src, $Conf) Sync-CenateOffsite -Path $Src -Destination 'sftp:secrets' -RcloneConfig $Conf -Verbose 4>&1 2>&1 | Out-String } -Arguments @{ Src = $big; Conf = $Conf.Path }
        $lines = [Collections.Generic.List[string]]::new()
        $sawRclone = $false
        while (-not $job.Handle.IsCompleted) {
            foreach ($l in Get-ProcessCommandLines) { if ($l -match 'rclone') { $sawRclone = $true; $lines.Add($l) } }
            Start-Sleep -Milliseconds 20
        }
        $out = $job.PowerShell.EndInvoke($job.Handle) | Out-String
        $job.PowerShell.Dispose()
        $sawRclone | Should -BeTrue -Because 'the sampling must have seen rclone running'
        $out | Should -Match 'Copied|Verbose|VERBOSE'
        foreach ($secret in $Conf.Secrets + @($Sftp.Password, $Dav.Password)) {
            ($lines -join "`n") | Should -Not -Match ([regex]::Escape($secret))
            $out | Should -Not -Match ([regex]::Escape($secret))
        }
        # The manifest at the remote holds no secret either.
        $m = Get-Content -Raw (Join-Path $Sftp.Directory "secrets/$(Split-Path $set.Manifest -Leaf)")
        foreach ($secret in $Conf.Secrets) { $m | Should -Not -Match ([regex]::Escape($secret)) }
    }

    It 'an error from a remote that refuses the login does not carry the password' {
        $bad = Join-Path $Work 'bad.conf'
        Set-Content -LiteralPath $bad -Value "[badsftp]`ntype = sftp`nhost = 127.0.0.1`nport = $($Sftp.Port)`nuser = cenate`npass = $(ConvertTo-RcloneObscured 'wrong-password-xyz')`n"
        Sync-CenateOffsite -Path $Src -Destination 'badsftp:x' -RcloneConfig $bad -Verbose -ErrorVariable err -ErrorAction SilentlyContinue 4>&1 | Out-String | Should -Not -Match 'wrong-password-xyz'
        $err.Count | Should -BeGreaterThan 0
        ($err | Out-String) | Should -Not -Match 'wrong-password-xyz'
    }
}

Describe 'The way back: from the crypt remote to a restore drill' {
    BeforeAll {
        $script:Rig = Get-Rig
        $script:Cred = Get-TestCredential
        $script:Real = Join-Path $Work 'real'
        $set = New-CenateDump -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Path $Real
        $script:RealSet = $set | Test-CenateBackup -Level Read
        $RealSet.Passed | Should -BeTrue
    }

    It 'a set synced to crypt, deleted here, brought back with Sync-CenateOffsite, passes a restore drill' {
        $up = Sync-CenateOffsite -Path $Real -Destination 'cryptlocal:home' @RC
        $up.Status | Should -Be 'Copied'
        # The Read level on the remote: downloaded into a private directory, read by pg_restore there, nothing left.
        $before = @(Get-ChildItem -LiteralPath ([IO.Path]::GetTempPath()) -Filter 'cenate-remote-*' -Directory).Count
        $read = Test-CenateBackup -Path $up.Path -Level Read @RC
        $read.Passed | Should -BeTrue
        @($read.Checks -like 'pg_restore read*').Count | Should -Be 1
        $read.Path | Should -Be $up.Path
        @(Get-ChildItem -LiteralPath ([IO.Path]::GetTempPath()) -Filter 'cenate-remote-*' -Directory).Count | Should -Be $before
        $dumpName = (Get-Content -Raw $RealSet.Path | ConvertFrom-Json).files[0].name
        $sha = Get-Sha (Join-Path $Real $dumpName)
        Remove-Item -LiteralPath $Real -Recurse -Force
        $restore = Join-Path $Work 'restore'
        $back = Sync-CenateOffsite -Path 'cryptlocal:home' -Destination $restore -Stamp $up.Stamp @RC
        $back.Status | Should -Be 'Copied'
        $back.VerifiedBy | Should -Match 'read back'
        Get-UnixMode $restore | Should -Be '0700'
        Get-UnixMode (Join-Path $restore $dumpName) | Should -Be '0600'
        Get-Sha (Join-Path $restore $dumpName) | Should -Be $sha
        $m = Get-Content -Raw $back.Path | ConvertFrom-Json
        $m.copy.from | Should -Be 'cryptlocal:home'
        $drill = $back | Test-CenateBackup -Level Restore -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Confirm:$false
        $drill.Passed | Should -BeTrue
        $drill.Level | Should -Be 'Restore'
    }
}

Describe 'Retention on a remote' {
    It 'six months of weekly sets on s3: keeps 13 weeks, removes the rest whole, and the stop guard holds' {
        $weekly = Join-Path $Work 'weekly'
        $sets = 0..25 | ForEach-Object { New-FakeSet -Dir $weekly -DaysAgo (7 * $_ + 3.25) -Size 1KB -CopyRecord }
        $r = Invoke-TestRclone -Arguments 'copy', $weekly, 's3:bucket/weekly', '--config', $Conf.Path
        $r.ExitCode | Should -Be 0
        $stopped = Remove-CenateOldBackup -Path 's3:bucket/weekly' @RC -KeepDaily 0 -KeepWeekly 7 -KeepMonthly 0 -MaxNewestAge '2d' -TimeZone UTC -Confirm:$false
        ($stopped.Rule | Select-Object -Unique) | Should -Be 'BackupsStopped'
        @(Get-CenateBackup -Path 's3:bucket/weekly' @RC).Count | Should -Be 26
        $d = Remove-CenateOldBackup -Path 's3:bucket/weekly' @RC -KeepDaily 0 -KeepWeekly 90 -KeepMonthly 0 -MaxNewestAge '8d' -TimeZone UTC -Confirm:$false
        @($d | Where-Object Action -eq 'Kept').Count | Should -Be 13
        @($d | Where-Object Action -eq 'Removed').Count | Should -Be 13
        $left = @(Get-CenateBackup -Path 's3:bucket/weekly' @RC)
        ($left.Stamp | Sort-Object) | Should -Be @($sets | Sort-Object Stamp | Select-Object -Last 13 | ForEach-Object Stamp)
        # Removed whole: two files (dump and manifest) of each of the 13 sets, nothing else.
        @((Invoke-TestRclone -Arguments 'lsf', 's3:bucket/weekly', '--config', $Conf.Path).Output -split "`n" | Where-Object { $_ }).Count | Should -Be 26
    }

    It '-WhatIf on a remote removes nothing' {
        $before = (Invoke-TestRclone -Arguments 'lsf', 's3:bucket/weekly', '--config', $Conf.Path).Output
        Remove-CenateOldBackup -Path 's3:bucket/weekly' @RC -KeepDaily 0 -KeepWeekly 7 -KeepMonthly 0 -MaxNewestAge '8d' -TimeZone UTC -WhatIf | Out-Null
        (Invoke-TestRclone -Arguments 'lsf', 's3:bucket/weekly', '--config', $Conf.Path).Output | Should -Be $before
    }
}
