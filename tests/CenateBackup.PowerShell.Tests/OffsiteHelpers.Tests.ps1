#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The offsite test helpers start real remotes on 127.0.0.1 and write a usable rclone config, with no password in any
# command line and the config 0600. Ports 56120-56122 are this file's own.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'OffsiteHelpers.psm1') -Force
    $script:Sftp = Start-TestRemote -Kind sftp -Port 56120
    $script:Dav = Start-TestRemote -Kind webdav -Port 56121
    $script:S3 = Start-TestRemote -Kind s3 -Port 56122
    $leaf = 'cenate-offsite-helpers-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) $leaf
    New-Item -ItemType Directory -Path $Work | Out-Null
    $script:Conf = New-TestRcloneConfig -Path (Join-Path $Work 'rclone.conf') -Remotes $Sftp, $Dav, $S3
    $script:Src = Join-Path $Work 'src'
    New-Item -ItemType Directory -Path $Src | Out-Null
    [IO.File]::WriteAllBytes((Join-Path $Src 'payload.bin'), [byte[]](1..200 | ForEach-Object { $_ }))
    $script:Rc = { param([string[]]$a) Invoke-TestRclone -Arguments (@($a) + @('--config', $Conf.Path)) }
}

AfterAll {
    $Sftp, $Dav, $S3 | Where-Object { $_ } | Stop-TestRemote -RemoveDirectory
    if ($Conf) { Remove-Item -LiteralPath $Conf.CryptLocalDirectory -Recurse -Force -ErrorAction SilentlyContinue }
    if ($Work) { Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'Start-TestRemote and New-TestRcloneConfig' {
    It 'serves <Remote> so that a copy lands in the served directory' -ForEach @(
        @{ Remote = 'sftp'; Server = 'Sftp'; Sub = 'h1' }
        @{ Remote = 'dav'; Server = 'Dav'; Sub = 'h2' }
    ) {
        $server = Get-Variable -Scope Script -Name $Server -ValueOnly
        $r = & $Rc @('copy', $Src, "${Remote}:$Sub")
        $r.ExitCode | Should -Be 0 -Because $r.Error
        [IO.File]::ReadAllBytes((Join-Path $server.Directory "$Sub/payload.bin")).Length | Should -Be 200
    }

    It 'serves S3 (a bucket, then objects in it)' {
        (& $Rc @('mkdir', 's3:bkt')).ExitCode | Should -Be 0
        $r = & $Rc @('copy', $Src, 's3:bkt/h3')
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $list = (& $Rc @('lsjson', 's3:bkt/h3')).Output | ConvertFrom-Json
        $list.Name | Should -Be 'payload.bin'
        $list.Size | Should -Be 200
    }

    It 'gives crypt remotes over a local directory and over WebDAV that encrypt names and bytes' {
        foreach ($remote in 'cryptlocal', 'cryptdav') {
            $r = & $Rc @('copy', $Src, "${remote}:h4")
            $r.ExitCode | Should -Be 0 -Because $r.Error
            (& $Rc @('cat', "${remote}:h4/payload.bin")).Output.Length | Should -BeGreaterThan 0
        }
        $files = Get-ChildItem -LiteralPath $Conf.CryptLocalDirectory -Recurse -File
        $files.Count | Should -Be 1
        $files[0].Name | Should -Not -Be 'payload.bin'
        $files[0].Length | Should -BeGreaterThan 200
        $davFiles = Get-ChildItem -LiteralPath (Join-Path $Dav.Directory 'enc') -Recurse -File
        $davFiles.Count | Should -Be 1
        $davFiles.Name | Should -Not -Contain 'payload.bin'
        # The same directory read with another password shows nothing.
        (& $Rc @('lsjson', 'cryptwrong:h4')).ExitCode | Should -Be 3
    }

    It 'writes the config 0600, with obscured passwords only, and returns the plaintexts' {
        $owner = [IO.UnixFileMode]::UserRead -bor [IO.UnixFileMode]::UserWrite
        [IO.File]::GetUnixFileMode($Conf.Path) | Should -Be $owner
        $text = Get-Content -LiteralPath $Conf.Path -Raw
        foreach ($plain in $Sftp.Password, $Dav.Password, $Conf.CryptPassword, $Conf.CryptSalt) {
            $Conf.Secrets | Should -Contain $plain
            $text | Should -Not -Match ([regex]::Escape($plain))
        }
    }

    It 'never puts a password in a command line' {
        $lines = @(Get-ProcessCommandLines)
        $lines | Where-Object { $_ -match 'rclone serve sftp' } | Should -Not -BeNullOrEmpty
        foreach ($secret in $Conf.Secrets) {
            $lines | Where-Object { $_.Contains($secret) } | Should -BeNullOrEmpty
        }
    }

    It 'refuses a wrong sftp password (the server really checks it)' {
        $bad = Join-Path $Work 'bad.conf'
        $wrong = [pscustomobject]@{ Kind = 'sftp'; Port = $Sftp.Port; User = $Sftp.User; Password = 'not-the-password' }
        $c = New-TestRcloneConfig -Path $bad -Remotes $wrong
        try {
            $r = Invoke-TestRclone -Arguments @('lsjson', 'sftp:', '--config', $bad, '--low-level-retries', '1',
                '--retries', '1')
            $r.ExitCode | Should -Not -Be 0
            $r.Error | Should -Match 'unable to authenticate'
        } finally { Remove-Item -LiteralPath $c.CryptLocalDirectory -Recurse -Force }
    }

    It 'Stop-TestRemote ends the server' {
        $extra = Start-TestRemote -Kind webdav -Port 56123
        $extra.Process.HasExited | Should -BeFalse
        $extra | Stop-TestRemote -RemoveDirectory
        $extra.Process.HasExited | Should -BeTrue
        Test-Path -LiteralPath $extra.Directory | Should -BeFalse
    }
}
