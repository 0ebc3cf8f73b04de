# The daily set at the module's defaults (dump level 6, gzip 6: New-CenateDump -Include Csv,Sql), verified with
# Test-CenateBackup -Level Read, as one scheduled pwsh process runs it. run-bench.sh runs this file under
# /usr/bin/time -v for the set_rss case (peak RSS and wall clock of the whole process). Exits 1 unless every
# result passed. The password comes from PGPASSWORD in the environment, never from the command line.
#   PGPASSWORD=… pwsh -NoProfile -File bench/Run-DailySet.ps1 -ModulePath out/CenateBackup/CenateBackup.psd1 `
#       -Container cenate_bench_pg -Port 55450 -Path /tmp/set
param([Parameter(Mandatory)][string]$ModulePath, [Parameter(Mandatory)][string]$Container,
      [Parameter(Mandatory)][int]$Port, [Parameter(Mandatory)][string]$Path)
$ErrorActionPreference = 'Stop'
if (-not $env:PGPASSWORD) { [Console]::Error.WriteLine('[bench] PGPASSWORD is not set'); exit 2 }
Import-Module (Resolve-Path -LiteralPath $ModulePath).Path
$cred = [pscredential]::new('cenate', (ConvertTo-SecureString $env:PGPASSWORD -AsPlainText -Force))
$results = @(New-CenateDump -Container $Container -Port $Port -Credential $cred -Path $Path -Include Csv,Sql -ProgressAction SilentlyContinue |
             Test-CenateBackup -Level Read -ProgressAction SilentlyContinue)
$failed = @($results | Where-Object { -not $_.Passed })
if ($results.Count -eq 0 -or $failed.Count -gt 0) {
    [Console]::Error.WriteLine("[bench] the daily set did not pass Test-CenateBackup: $(($failed.Problems | ForEach-Object { "$_" }) -join '; ')")
    exit 1
}
exit 0
