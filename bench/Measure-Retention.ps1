<#
.SYNOPSIS
    Benchmark: plan retention over N backup sets (default 10,000: about 14 years of twice-daily backups).
    Prints the planner's own time (target: under one second) and the whole Remove-CenateOldBackup -WhatIf
    run, which also reads every manifest. Not a test.
#>
param([int]$Sets = 10000, [string]$ModulePath = (Join-Path $PSScriptRoot '../out/CenateBackup/CenateBackup.psd1'))
$ErrorActionPreference = 'Stop'
$dir = Join-Path ([IO.Path]::GetTempPath()) ("cenate-bench-retention-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory -Path $dir | Out-Null
try {
    $template = @'
{"formatVersion":1,"tool":"bench","database":"maestro_cenate","stamp":"STAMP","startedAt":"TIME","completedAt":"TIME","complete":true,
"source":{"mode":"Container","container":"postgres_cenate","host":null,"port":5432,"user":"cenate","serverVersion":"15.18","serverVersionNum":150018,"pgDumpVersion":"15.18"},
"snapshotId":"x","rowCounts":{"public.asegurados":4000000},
"files":[{"name":"maestro_cenate_STAMP.dump","kind":"Dump","size":1,"sha256":"00","compression":"gzip","compressionLevel":9,"dataOnly":false,"tables":[],"completedAt":"TIME"}],
"verification":{"level":"Read","at":"TIME","passed":true,"problems":[]}}
'@
    $now = [DateTimeOffset]::UtcNow
    for ($i = 0; $i -lt $Sets; $i++) {
        $t = $now.AddHours(-12 * $i - 1)
        $stamp = $t.UtcDateTime.ToString('yyyyMMdd_HHmmss')
        [IO.File]::WriteAllText((Join-Path $dir "maestro_cenate_$stamp.manifest.json"), $template.Replace('STAMP', $stamp).Replace('TIME', $t.ToString('o')))
        [IO.File]::WriteAllBytes((Join-Path $dir "maestro_cenate_$stamp.dump"), [byte[]]@(0))
    }
    $ps = [powershell]::Create()
    $null = $ps.AddScript("Import-Module '$ModulePath'; Remove-CenateOldBackup -Path '$dir' -WhatIf -Verbose")
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $decisions = $ps.Invoke()
    $total = $sw.Elapsed.TotalSeconds
    $planned = $ps.Streams.Verbose | Where-Object Message -like 'Planned *' | Select-Object -First 1
    $ps.Dispose()
    "Retention benchmark: $Sets sets ($(($decisions | Where-Object Action -eq 'Kept').Count) kept, $(($decisions | Where-Object Action -eq 'WouldRemove').Count) to remove)"
    "  planner: $($planned.Message)   (target: under 1 s)"
    "  whole Remove-CenateOldBackup -WhatIf, reading $Sets manifests: $([math]::Round($total, 2)) s"
} finally {
    Remove-Item -LiteralPath $dir -Recurse -Force
}
