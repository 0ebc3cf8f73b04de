# Times New-CenateDump cases inside one pwsh session (as a scheduled script runs them) and prints JSON.
param([Parameter(Mandatory)][string]$ModulePath, [Parameter(Mandatory)][string]$Container, [Parameter(Mandatory)][int]$Port,
      [Parameter(Mandatory)][string]$Work, [int]$Repeat = 2, [string]$Only = '')
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$cred = [pscredential]::new('cenate', (ConvertTo-SecureString $env:PGPASSWORD -AsPlainText -Force))
$cases = [ordered]@{
    container_z9_module = @{ Container = $Container; CompressionLevel = 9 }
    container_z1_module = @{ Container = $Container; CompressionLevel = 1 }
    host_z6_module      = @{ HostName = '127.0.0.1'; CompressionLevel = 6 }
}
$result = [ordered]@{}
foreach ($name in $cases.Keys) {
    if ($Only -and -not $name.StartsWith($Only)) { continue }
    $best = [double]::MaxValue
    foreach ($i in 1..$Repeat) {
        $dir = Join-Path $Work "m-$name-$i"
        $p = $cases[$name]
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $set = New-CenateDump @p -Port $Port -Credential $cred -Path $dir -ProgressAction SilentlyContinue
        $best = [math]::Min($best, $sw.Elapsed.TotalSeconds)
        $result["${name}_size"] = $set.TotalSize
        Remove-Item -LiteralPath $dir -Recurse -Force
    }
    $result[$name] = [math]::Round($best, 1)
}
$result | ConvertTo-Json -Compress
