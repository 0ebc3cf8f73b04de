# Real rclone remotes on 127.0.0.1 for the offsite tests: `rclone serve sftp|webdav` over a private directory and
# npm s3rver as an S3 server, plus an rclone config (0600) with those remotes and crypt remotes over a local directory
# and over WebDAV. Credentials reach the servers through environment variables (RCLONE_USER/RCLONE_PASS) and rclone
# through the config file: never a command line. A missing rclone or s3rver throws (no silent skip).
Set-StrictMode -Version Latest

function New-PrivateDirectory([string]$Name) {
    $leaf = "cenate-{0}-{1}" -f $Name, [guid]::NewGuid().ToString('N').Substring(0, 8)
    $path = Join-Path ([IO.Path]::GetTempPath()) $leaf
    $mode = [IO.UnixFileMode]::UserRead -bor [IO.UnixFileMode]::UserWrite -bor [IO.UnixFileMode]::UserExecute
    [void][IO.Directory]::CreateDirectory($path, $mode)
    $path
}

function Get-S3rverPath {
    $home_ = if ($env:CENATE_RIG_HOME) { $env:CENATE_RIG_HOME } else { Join-Path $HOME '.cache/cenate-rig' }
    $path = if ($env:CENATE_S3RVER) { $env:CENATE_S3RVER } else { Join-Path $home_ 's3rver/node_modules/.bin/s3rver' }
    if (-not (Test-Path -LiteralPath $path)) {
        throw "s3rver not found at ${path}: run scripts/install-prereqs.sh (or set CENATE_S3RVER)."
    }
    $path
}

function Get-RcloneExecutable {
    $cmd = Get-Command rclone -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $cmd) { throw 'rclone is not installed: run scripts/install-prereqs.sh (apt-get install rclone).' }
    $cmd.Source
}

function ConvertTo-RcloneObscured([Parameter(Mandatory)][string]$Plain) {
    # `rclone obscure -` reads the secret from stdin, so it never appears in a command line.
    $psi = [Diagnostics.ProcessStartInfo]::new((Get-RcloneExecutable))
    $psi.ArgumentList.Add('obscure'); $psi.ArgumentList.Add('-')
    $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true; $psi.UseShellExecute = $false
    $p = [Diagnostics.Process]::Start($psi)
    $p.StandardInput.Write($Plain); $p.StandardInput.Close()
    $out = $p.StandardOutput.ReadToEnd().Trim()
    $p.WaitForExit()
    if ($p.ExitCode -ne 0 -or -not $out) { throw 'rclone obscure failed' }
    $out
}

function Wait-TcpPort([int]$Port, [Diagnostics.Process]$Process, [string]$What, [int]$Seconds = 30) {
    $until = [DateTime]::UtcNow.AddSeconds($Seconds)
    while ([DateTime]::UtcNow -lt $until) {
        if ($Process.HasExited) {
            throw "$What exited with code $($Process.ExitCode) before listening on 127.0.0.1:$Port"
        }
        $c = [Net.Sockets.TcpClient]::new()
        try { $c.Connect([Net.IPAddress]::Loopback, $Port); return }
        catch { Start-Sleep -Milliseconds 200 }
        finally { $c.Dispose() }
    }
    throw "$What did not listen on 127.0.0.1:$Port within $Seconds s"
}

function Start-TestRemote {
    <#
    .SYNOPSIS Starts a remote server on 127.0.0.1:Port over a private directory; returns Kind, Pid, Process, Directory,
    Port, User, Password (plaintext, so tests can look for it where it must not be).
    #>
    param(
        [Parameter(Mandatory)][ValidateSet('sftp', 'webdav', 's3')][string]$Kind,
        [Parameter(Mandatory)][ValidateRange(1024, 65535)][int]$Port,
        [string]$Directory,
        [string]$User = 'cenate',
        [string]$Password
    )
    if (-not $Directory) { $Directory = New-PrivateDirectory "remote-$Kind" }
    if ($Kind -eq 's3') {
        # s3rver's fixed credentials (S3RVER/S3RVER) are public: the test of secrets uses the sftp/webdav/crypt ones.
        $User = 'S3RVER'; $Password = 'S3RVER'
        $psi = [Diagnostics.ProcessStartInfo]::new((Get-S3rverPath))
        foreach ($a in '-d', $Directory, '-p', "$Port", '-a', '127.0.0.1', '--silent') { $psi.ArgumentList.Add($a) }
    } else {
        if (-not $Password) { $Password = "$Kind-" + [guid]::NewGuid().ToString('N').Substring(0, 12) }
        $psi = [Diagnostics.ProcessStartInfo]::new((Get-RcloneExecutable))
        # --dir-cache-time 0s: the tests change the served directory behind the server's back (a flipped byte, a file
        # left by a killed copy); a cached listing would hide that from the module under test.
        foreach ($a in 'serve', $Kind, $Directory, '--addr', "127.0.0.1:$Port", '--config', '/dev/null', '--dir-cache-time', '0s') {
            $psi.ArgumentList.Add($a)
        }
        $psi.Environment['RCLONE_USER'] = $User
        $psi.Environment['RCLONE_PASS'] = $Password
    }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.RedirectStandardInput = $true
    $p = [Diagnostics.Process]::Start($psi)
    # Drained and dropped, so a chatty server never blocks on a full pipe.
    $p.BeginOutputReadLine(); $p.BeginErrorReadLine()
    try { Wait-TcpPort -Port $Port -Process $p -What "$Kind server" }
    catch { Stop-TestRemote -Remote ([pscustomobject]@{ Process = $p }); throw }
    [pscustomobject]@{
        Kind = $Kind; Pid = $p.Id; Process = $p; Directory = $Directory; Port = $Port
        User = $User; Password = $Password
    }
}

function Stop-TestRemote {
    param([Parameter(Mandatory, ValueFromPipeline)]$Remote, [switch]$RemoveDirectory)
    process {
        $p = $Remote.Process
        if ($p -and -not $p.HasExited) {
            try { $p.Kill($true) } catch [InvalidOperationException] { }
            [void]$p.WaitForExit(10000)
        }
        if ($RemoveDirectory -and $Remote.Directory -and (Test-Path -LiteralPath $Remote.Directory)) {
            Remove-Item -LiteralPath $Remote.Directory -Recurse -Force
        }
    }
}

function New-TestRcloneConfig {
    <#
    .SYNOPSIS Writes an rclone config (0600) with a remote per server given: [sftp], [dav] (webdav), [s3]; and crypt
    remotes [cryptlocal] over a private local directory, [cryptdav] over dav:enc (when a webdav server is given) and
    [cryptwrong] (another password over the same local directory). Returns Path, the crypt password and salt in
    plaintext, CryptLocalDirectory, and Secrets (every password, plaintext and obscured) to look for in ps/errors.
    #>
    param(
        [Parameter(Mandatory)][string]$Path,
        [object[]]$Remotes = @(),
        [string]$CryptPassword = ('crypt-' + [guid]::NewGuid().ToString('N').Substring(0, 16)),
        [string]$CryptSalt = ('salt-' + [guid]::NewGuid().ToString('N').Substring(0, 16)),
        [string]$CryptLocalDirectory
    )
    if (-not $CryptLocalDirectory) { $CryptLocalDirectory = New-PrivateDirectory 'cryptlocal' }
    $secrets = [Collections.Generic.List[string]]::new()
    $obscure = { param($plain) $o = ConvertTo-RcloneObscured $plain; $secrets.Add($plain); $secrets.Add($o); $o }
    $cryptPass = & $obscure $CryptPassword
    $cryptSaltObscured = & $obscure $CryptSalt
    $lines = [Collections.Generic.List[string]]::new()
    foreach ($r in $Remotes) {
        switch ($r.Kind) {
            'sftp' {
                $lines.AddRange([string[]]@('[sftp]', 'type = sftp', 'host = 127.0.0.1', "port = $($r.Port)",
                    "user = $($r.User)", "pass = $(& $obscure $r.Password)"))
            }
            'webdav' {
                $lines.AddRange([string[]]@('[dav]', 'type = webdav', "url = http://127.0.0.1:$($r.Port)",
                    'vendor = other', "user = $($r.User)", "pass = $(& $obscure $r.Password)", '',
                    '[cryptdav]', 'type = crypt', 'remote = dav:enc', "password = $cryptPass",
                    "password2 = $cryptSaltObscured"))
            }
            's3' {
                $lines.AddRange([string[]]@('[s3]', 'type = s3', 'provider = Other',
                    "endpoint = http://127.0.0.1:$($r.Port)", "access_key_id = $($r.User)",
                    "secret_access_key = $($r.Password)", 'region = us-east-1'))
            }
        }
        $lines.Add('')
    }
    $wrong = ConvertTo-RcloneObscured ('wrong-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $lines.AddRange([string[]]@('[cryptlocal]', 'type = crypt', "remote = $CryptLocalDirectory",
        "password = $cryptPass", "password2 = $cryptSaltObscured", '',
        '[cryptwrong]', 'type = crypt', "remote = $CryptLocalDirectory", "password = $wrong",
        "password2 = $cryptSaltObscured", ''))
    # Created 0600 from the start: the obscured passwords are as good as plaintext to anyone who can read the file.
    $options = [IO.FileStreamOptions]@{ Mode = 'CreateNew'; Access = 'Write'
        UnixCreateMode = [IO.UnixFileMode]::UserRead -bor [IO.UnixFileMode]::UserWrite }
    $stream = [IO.FileStream]::new($Path, $options)
    $writer = [IO.StreamWriter]::new($stream)
    try { $writer.Write(($lines -join "`n")) } finally { $writer.Dispose() }
    [pscustomobject]@{
        Path = $Path; CryptPassword = $CryptPassword; CryptSalt = $CryptSalt; CryptLocalDirectory = $CryptLocalDirectory
        Secrets = $secrets.ToArray()
    }
}

function Invoke-TestRclone {
    # Runs rclone for a test's own checks (never the module's path). AWS_CA_BUNDLE is dropped: set on some machines,
    # it makes rclone's s3 backend fail with "unable to load custom CA bundle" before any request.
    param([Parameter(Mandatory)][string[]]$Arguments)
    $psi = [Diagnostics.ProcessStartInfo]::new((Get-RcloneExecutable))
    foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
    [void]$psi.Environment.Remove('AWS_CA_BUNDLE')
    $psi.UseShellExecute = $false; $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
    $p = [Diagnostics.Process]::Start($psi)
    $err = $p.StandardError.ReadToEndAsync()
    $out = $p.StandardOutput.ReadToEnd()
    $p.WaitForExit()
    [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $out; Error = $err.Result }
}

function Get-ProcessCommandLines {
    # Every process's command line (what `ps` shows), for "no secret in ps" checks.
    foreach ($d in [IO.Directory]::EnumerateDirectories('/proc')) {
        if (-not [char]::IsAsciiDigit([IO.Path]::GetFileName($d)[0])) { continue }
        try { [IO.File]::ReadAllText("$d/cmdline").Replace([char]0, ' ') } catch { }
    }
}

Export-ModuleMember -Function Start-TestRemote, Stop-TestRemote, New-TestRcloneConfig, Invoke-TestRclone,
    Get-ProcessCommandLines, ConvertTo-RcloneObscured
