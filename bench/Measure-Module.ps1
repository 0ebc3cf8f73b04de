# Times the module's cases inside one pwsh session (as a scheduled script runs them) and prints JSON.
# A case that fails is reported on stderr and left out of the JSON (the table shows '-'); the others still run.
# -Only: run only the cases whose name starts with it, or with one of its comma-separated prefixes (as run-bench.sh's ONLY).
param([Parameter(Mandatory)][string]$ModulePath, [Parameter(Mandatory)][string]$Container, [Parameter(Mandatory)][int]$Port,
      [Parameter(Mandatory)][string]$Work, [int]$Repeat = 2, [string]$Only = '', [string]$VerifySet = '')
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$cred = [pscredential]::new('cenate', (ConvertTo-SecureString $env:PGPASSWORD -AsPlainText -Force))
# Each case: a script block run with the output directory; for New-CenateDump alone it returns the set.
$cases = [ordered]@{
    container_z9_module = { param($dir) New-CenateDump -Container $Container -CompressionLevel 9 -Port $Port -Credential $cred -Path $dir -ProgressAction SilentlyContinue }
    container_z1_module = { param($dir) New-CenateDump -Container $Container -CompressionLevel 1 -Port $Port -Credential $cred -Path $dir -ProgressAction SilentlyContinue }
    host_z6_module      = { param($dir) New-CenateDump -HostName '127.0.0.1' -CompressionLevel 6 -Port $Port -Credential $cred -Path $dir -ProgressAction SilentlyContinue }
    # Export group: CSV of asegurados (vs docker exec psql COPY | gzip, and vs the local psql over TCP > file).
    export_csvgz_module = { param($dir) Export-CenateAseguradosCsv -Container $Container -Port $Port -Credential $cred -Path $dir -ProgressAction SilentlyContinue }
    export_csv_module   = { param($dir) Export-CenateAseguradosCsv -Container $Container -Port $Port -Credential $cred -Path $dir -NoCompression -ProgressAction SilentlyContinue }
    # Set group: the plan's whole daily set (dump + data-only SQL + CSV), written and verified (vs bench/plan-backup.sh).
    set_z9_module       = { param($dir) New-CenateDump -Container $Container -Port $Port -Credential $cred -Path $dir -CompressionLevel 9 -Include Csv,Sql -ProgressAction SilentlyContinue |
                                        Test-CenateBackup -Level Read -ProgressAction SilentlyContinue }
    set_default_module  = { param($dir) New-CenateDump -Container $Container -Port $Port -Credential $cred -Path $dir -Include Csv,Sql -ProgressAction SilentlyContinue |
                                        Test-CenateBackup -Level Read -ProgressAction SilentlyContinue }
    # Verify group: Test-CenateBackup on one module-made set (the manifest lists only the dump).
    verify_read_module      = { param($dir) Test-CenateBackup -Path $VerifySet -Level Read -ProgressAction SilentlyContinue }
    verify_read_exec_module = { param($dir) Test-CenateBackup -Path $VerifySet -Level Read -Container $Container -ProgressAction SilentlyContinue }
    verify_drill_module     = { param($dir) Test-CenateBackup -Path $VerifySet -Level Restore -Container $Container -Port $Port -Credential $cred -ProgressAction SilentlyContinue -Confirm:$false }
    # Base group (issue 19): a base backup of the whole cluster (vs docker exec pg_basebackup -D - -Ft -X fetch | gzip),
    # and the same followed by its Read-level check (pg_verifybackup in a throwaway container).
    base_module          = { param($dir) New-CenateBaseBackup -Container $Container -Port $Port -Credential $cred -Path $dir -ProgressAction SilentlyContinue }
    base_z1_module       = { param($dir) New-CenateBaseBackup -Container $Container -Port $Port -Credential $cred -Path $dir -CompressionLevel 1 -ProgressAction SilentlyContinue }
    base_verified_module = { param($dir) New-CenateBaseBackup -Container $Container -Port $Port -Credential $cred -Path $dir -ProgressAction SilentlyContinue |
                                         Test-CenateBackup -Level Read -Container $Container -ProgressAction SilentlyContinue }
}
function Get-Bytes([string]$dir, [string]$filter) {
    $files = @(Get-ChildItem -LiteralPath $dir -Recurse -File -Filter $filter -ErrorAction SilentlyContinue)
    if ($files.Count -eq 0) { return 0 }
    [long]($files | Measure-Object -Sum Length).Sum
}
$result = [ordered]@{}
foreach ($name in $cases.Keys) {
    if ($Only -and -not @($Only -split ',' | Where-Object { $name.StartsWith($_) })) { continue }
    if ($name.StartsWith('verify_') -and -not $VerifySet) { continue }
    $best = [double]::MaxValue
    $extra = [ordered]@{}
    try {
        foreach ($i in 1..$Repeat) {
            $dir = Join-Path $Work "m-$name-$i"
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $out = & $cases[$name] $dir
            $elapsed = $sw.Elapsed.TotalSeconds
            if ($name.StartsWith('set_') -or $name.StartsWith('verify_') -or $name -eq 'base_verified_module') {
                $failed = @($out | Where-Object { -not $_.Passed })
                if (@($out).Count -eq 0 -or $failed.Count -gt 0) {
                    throw "Test-CenateBackup did not pass: $(($failed.Problems | ForEach-Object { "$_" }) -join '; ')"
                }
            }
            $best = [math]::Min($best, $elapsed)
            # Sizes of the last run: the set's TotalSize for a plain New-CenateDump, else the files written.
            $extra["${name}_size"] = if ($out -and $out.PSObject.Properties['TotalSize']) { $out.TotalSize } else { Get-Bytes $dir '*' }
            if ($name.StartsWith('export_') -or $name.StartsWith('set_')) {
                $extra["${name}_csvgz_size"] = Get-Bytes $dir '*.csv.gz'
                $extra["${name}_csv_size"] = Get-Bytes $dir '*.csv'
            }
            if (Test-Path -LiteralPath $dir) { Remove-Item -LiteralPath $dir -Recurse -Force }
        }
        foreach ($k in $extra.Keys) { $result[$k] = $extra[$k] }
        $result[$name] = [math]::Round($best, 1)
    } catch {
        [Console]::Error.WriteLine("[bench] $name FAILED: $($_.Exception.Message)")
        if ($dir -and (Test-Path -LiteralPath $dir)) { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue }
    }
}
$result | ConvertTo-Json -Compress
