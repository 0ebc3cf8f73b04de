# The rclone layer's own cost on a loopback sftp remote (issue 14 §3): `rclone copy` + `rclone check --download`
# (what an admin would run) against RcloneClient.UploadAsync + ChecksumAsync (what Sync-CenateOffsite runs) for one
# file of -SizeMB random bytes. Best of -Runs. Needs a Release build of src/CenateBackup.Core and rclone.
# Usage: pwsh -NoProfile -File bench/Measure-RcloneSftp.ps1 [-SizeMB 200] [-Runs 2] [-Port 56140]
param([int]$SizeMB = 200, [int]$Runs = 2, [int]$Port = 56140)
$ErrorActionPreference = 'Stop'
$repo = Split-Path -Parent $PSScriptRoot
Import-Module (Join-Path $repo 'tests/CenateBackup.PowerShell.Tests/OffsiteHelpers.psm1') -Force
Add-Type -Path (Join-Path $repo 'src/CenateBackup.Core/bin/Release/net8.0/CenateBackup.Core.dll')

$work = Join-Path ([IO.Path]::GetTempPath()) ('cenate-bench-rclone-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory -Path $work, "$work/src" | Out-Null
$server = Start-TestRemote -Kind sftp -Port $Port
try {
    $conf = New-TestRcloneConfig -Path "$work/rclone.conf" -Remotes $server
    $name = 'maestro_cenate_20261130_000000.dump'
    $file = "$work/src/$name"
    $buf = [byte[]]::new(1MB)
    $fs = [IO.File]::Create($file)
    for ($i = 0; $i -lt $SizeMB; $i++) {
        [Security.Cryptography.RandomNumberGenerator]::Fill($buf); $fs.Write($buf, 0, $buf.Length)
    }
    $fs.Dispose()
    $sha = (Get-FileHash -LiteralPath $file -Algorithm SHA256).Hash.ToLowerInvariant()   # the manifest has it already
    $options = [CenateBackup.Core.Offsite.Rclone.RcloneOptions]::new($null, $conf.Path)
    $client = [CenateBackup.Core.Offsite.Rclone.RcloneClient]::new($options)
    $none = [Threading.CancellationToken]::None
    $sums = [Collections.Generic.Dictionary[string, string]]::new(); $sums[$name] = $sha
    $plain = [double]::MaxValue; $module = [double]::MaxValue
    for ($r = 1; $r -le $Runs; $r++) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $a = Invoke-TestRclone -Arguments @('copy', "$work/src", "sftp:plain$r", '--config', $conf.Path)
        $b = Invoke-TestRclone -Arguments @('check', "$work/src", "sftp:plain$r", '--download', '--config', $conf.Path)
        $sw.Stop()
        if ($a.ExitCode -ne 0 -or $b.ExitCode -ne 0) { throw "rclone failed: $($a.Error) $($b.Error)" }
        $plain = [Math]::Min($plain, $sw.Elapsed.TotalSeconds)

        $loc = [CenateBackup.Core.Offsite.Rclone.RemoteLocation]::new('sftp', "module$r")
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $null = $client.UploadAsync("$work/src", [string[]]@($name), $loc, $null, $none).GetAwaiter().GetResult()
        $report = $client.ChecksumAsync($loc, $sums, $none).GetAwaiter().GetResult()
        $sw.Stop()
        if (-not $report.Passed) { throw 'checksum did not pass' }
        $module = [Math]::Min($module, $sw.Elapsed.TotalSeconds)
        Remove-Item -LiteralPath (Join-Path $server.Directory "plain$r"), (Join-Path $server.Directory "module$r") `
            -Recurse -Force
    }
    [pscustomobject]@{
        SizeMB = $SizeMB; Runs = $Runs
        'rclone copy + check --download (s)' = [Math]::Round($plain, 2)
        'UploadAsync + ChecksumAsync (s)' = [Math]::Round($module, 2)
        Ratio = [Math]::Round($module / $plain, 2)
    }
} finally {
    $server | Stop-TestRemote -RemoveDirectory
    if ($conf) { Remove-Item -LiteralPath $conf.CryptLocalDirectory -Recurse -Force -ErrorAction SilentlyContinue }
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}
