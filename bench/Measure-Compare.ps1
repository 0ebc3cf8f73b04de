# Compare-CenateBackup on two sets of the bench's asegurados (issue 21 §3): the first set, then 10,000 rows deleted,
# 500 inserted and 100 updated, then the second set (both New-CenateDump -Include Csv). Times Compare-CenateBackup in a
# pwsh process of its own under /usr/bin/time -v (wall time, peak RSS) against `gzip -dc ref.csv.gz diff.csv.gz >
# /dev/null` (reading both CSV.gz files once), and checks the exact key lists against psql EXCEPT on the table and a
# copy taken before the changes (asegurados_before): EXCEPT on the key for missing/added, on the full row for changed.
# Works on a copy of the bench database (CREATE DATABASE … TEMPLATE maestro_cenate), cut to -Rows rows when given, so
# the bench table is left as it was. Prints JSON (compare_* keys); fails loudly when a list or a count is wrong.
#   pwsh bench/Measure-Compare.ps1 -ModulePath out/CenateBackup/CenateBackup.psd1 -Container cenate_bench_pg `
#       -Port 55450 -Work /tmp/w [-Rows 200000]
param([Parameter(Mandatory)][string]$ModulePath, [Parameter(Mandatory)][string]$Container,
      [Parameter(Mandatory)][int]$Port, [Parameter(Mandatory)][string]$Work, [long]$Rows = 0,
      [int]$Deleted = 10000, [int]$Inserted = 500, [int]$Updated = 100, [string]$Database = 'bench_compare',
      [switch]$Keep)
$ErrorActionPreference = 'Stop'
if (-not $env:PGPASSWORD) { throw 'PGPASSWORD must hold the bench role''s password.' }
if (-not (Test-Path -LiteralPath /usr/bin/time)) {
    throw '/usr/bin/time is needed for the peak RSS (apt-get install time).'
}
$ModulePath = (Resolve-Path -LiteralPath $ModulePath).Path
Import-Module $ModulePath
$cred = [pscredential]::new('cenate', (ConvertTo-SecureString $env:PGPASSWORD -AsPlainText -Force))
$P = @{ Container = $Container; Port = $Port; Credential = $cred; Database = $Database
    ProgressAction = 'SilentlyContinue' }
function Q([string]$Sql, [string]$Db = $Database) {
    $out = & psql -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $Port -U cenate -d $Db -c $Sql 2>&1
    if ($LASTEXITCODE -ne 0) { throw "psql: $out" }
    $out
}
function Note([string]$Text) { [Console]::Error.WriteLine("[compare] $Text") }
# /usr/bin/time -v around a command: wall seconds and peak RSS in MB.
function Measure-Process([string[]]$Command, [string]$Label) {
    $t = Join-Path $Work "$Label.time"
    & /usr/bin/time -v -o $t @Command
    if ($LASTEXITCODE -ne 0) { throw "$Label failed (exit $LASTEXITCODE)" }
    $text = Get-Content -Raw -LiteralPath $t
    $wall = [regex]::Match($text, 'Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)')
    $secs = [double]$wall.Groups[2].Value * 60 + [double]::Parse($wall.Groups[3].Value, [cultureinfo]::InvariantCulture)
    if ($wall.Groups[1].Success) { $secs += [double]$wall.Groups[1].Value * 3600 }
    $rss = [double][regex]::Match($text, 'Maximum resident set size \(kbytes\): (\d+)').Groups[1].Value / 1024
    [pscustomobject]@{ Seconds = [math]::Round($secs, 2); RssMB = [math]::Round($rss, 1) }
}

New-Item -ItemType Directory -Force -Path $Work | Out-Null
Q "DROP DATABASE IF EXISTS $Database WITH (FORCE)" postgres | Out-Null
Q "CREATE DATABASE $Database TEMPLATE maestro_cenate" postgres | Out-Null
try {
    $have = [long](Q 'SELECT count(*) FROM asegurados')
    if ($Rows -gt 0) {
        if ($have -lt $Rows) { throw "the bench table has $have rows, fewer than -Rows $Rows" }
        if ($have -gt $Rows) {
            Q ("DELETE FROM asegurados WHERE id > " +
                "(SELECT id FROM asegurados ORDER BY id OFFSET $($Rows - 1) LIMIT 1)") | Out-Null
        }
    }
    Q 'VACUUM ANALYZE asegurados' | Out-Null
    $rowsBefore = [long](Q 'SELECT count(*) FROM asegurados')
    Note "database ${Database}: asegurados $rowsBefore rows; first set…"
    $ref = New-CenateDump @P -Path (Join-Path $Work 'compare-ref') -Include Csv -WarningAction SilentlyContinue
    # The table as the first set holds it, kept beside it for the EXCEPT checks (after the dump: not in the first set).
    Q 'CREATE TABLE asegurados_before AS TABLE asegurados' | Out-Null
    $cols = 'tipo_documento, numero_documento, apellido_paterno, apellido_materno, nombres, fecha_nacimiento, ' +
        'sexo, ubigeo, direccion, telefono, email, tipo_seguro, estado, codigo_ipress, fecha_afiliacion, monto, extras'
    $src = $cols -replace 'numero_documento', "'X' || lpad((row_number() OVER ())::text, 11, '0')"
    Q @"
DELETE FROM asegurados WHERE id IN (SELECT id FROM asegurados ORDER BY random() LIMIT $Deleted);
UPDATE asegurados SET monto = monto + 1, email = 'cmp' || id || '@bench.pe'
  WHERE id IN (SELECT id FROM asegurados ORDER BY random() LIMIT $Updated);
INSERT INTO asegurados (id, $cols)
  SELECT m.max_id + row_number() OVER (), s.* FROM (SELECT $src FROM asegurados_before ORDER BY id LIMIT $Inserted) s,
    (SELECT max(id) AS max_id FROM asegurados_before) m;
"@ | Out-Null
    Note 'changes made; second set…'
    $diff = New-CenateDump @P -Path (Join-Path $Work 'compare-diff') -Include Csv -WarningAction SilentlyContinue
    $refCsv = ($ref.Files | Where-Object Name -like '*.asegurados.csv.gz').Path
    $diffCsv = ($diff.Files | Where-Object Name -like '*.asegurados.csv.gz').Path
    if (-not $refCsv -or -not $diffCsv) { throw 'a set has no CSV export of asegurados' }

    # Reading both CSV.gz files once: the floor the compare is measured against (warm cache, best of 2).
    $gzipCommand = @('sh', '-c', "gzip -dc '$refCsv' '$diffCsv' > /dev/null")
    $gzip = @(1..2 | ForEach-Object { Measure-Process $gzipCommand 'gzip' }) | Sort-Object Seconds |
        Select-Object -First 1
    Note "gzip -dc of both CSV.gz: $($gzip.Seconds) s"
    # pwsh and the module alone, for the RSS the compare adds.
    $idle = Measure-Process @('pwsh', '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$ModulePath'") `
        'pwsh-idle'
    $json = Join-Path $Work 'compare.json'
    $runner = Join-Path $Work 'compare-run.ps1'
    Set-Content -LiteralPath $runner -Value @'
param($ModulePath, $Reference, $Difference, $Json)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$r = Compare-CenateBackup -Reference $Reference -Difference $Difference -Table asegurados `
    -ProgressAction SilentlyContinue
[ordered]@{ Missing = $r.Missing; Added = $r.Added; Changed = $r.Changed; Unchanged = $r.Unchanged
    ReferenceRows = $r.ReferenceRows; DifferenceRows = $r.DifferenceRows; KeysTruncated = $r.KeysTruncated
    Seconds = $r.Duration.TotalSeconds; ReferenceFile = $r.ReferenceFile; DifferenceFile = $r.DifferenceFile
    MissingKeys = @($r.MissingKeys); AddedKeys = @($r.AddedKeys); ChangedKeys = @($r.ChangedKeys) } |
    ConvertTo-Json -Depth 3 -Compress | Set-Content -LiteralPath $Json
'@
    $cmp = Measure-Process @('pwsh', '-NoProfile', '-NonInteractive', '-File', $runner, $ModulePath, $ref.Path,
        $diff.Path, $json) 'compare'
    $r = Get-Content -Raw -LiteralPath $json | ConvertFrom-Json
    Note ("Compare-CenateBackup: $([math]::Round($r.Seconds, 2)) s in the cmdlet, $($cmp.Seconds) s for the " +
        "process, peak RSS $($cmp.RssMB) MB (pwsh + module alone: $($idle.RssMB) MB)")

    # The exact lists, from PostgreSQL.
    $missing = @(Q 'SELECT id FROM asegurados_before EXCEPT SELECT id FROM asegurados ORDER BY 1')
    $added = @(Q 'SELECT id FROM asegurados EXCEPT SELECT id FROM asegurados_before ORDER BY 1')
    $changed = @(Q ('SELECT id FROM (SELECT * FROM asegurados EXCEPT SELECT * FROM asegurados_before) x ' +
        'WHERE id IN (SELECT id FROM asegurados_before) ORDER BY 1'))
    $problems = [Collections.Generic.List[string]]::new()
    foreach ($case in @(@('missing', $missing, $r.MissingKeys, $Deleted), @('added', $added, $r.AddedKeys, $Inserted),
            @('changed', $changed, $r.ChangedKeys, $Updated))) {
        $name, $expected, $got, $planned = $case
        $e = @($expected | ForEach-Object { [long]$_ } | Sort-Object)
        $g = @($got | ForEach-Object { [long]"$_" } | Sort-Object)
        if ($e.Count -ne $planned) { $problems.Add("psql EXCEPT gives $($e.Count) $name keys, not the $planned made") }
        if ($g.Count -ne $e.Count -or (Compare-Object $e $g -SyncWindow 0)) {
            $problems.Add("$name keys differ from psql EXCEPT: $($g.Count) listed, $($e.Count) expected")
        }
    }
    if ($r.Missing -ne $missing.Count -or $r.Added -ne $added.Count -or $r.Changed -ne $changed.Count) {
        $problems.Add("counts $($r.Missing)/$($r.Added)/$($r.Changed) are not " +
            "$($missing.Count)/$($added.Count)/$($changed.Count)")
    }
    if ($r.ReferenceRows -ne $rowsBefore -or $r.DifferenceRows -ne ($rowsBefore - $Deleted + $Inserted)) {
        $problems.Add("row counts $($r.ReferenceRows)/$($r.DifferenceRows) are not " +
            "$rowsBefore/$($rowsBefore - $Deleted + $Inserted)")
    }
    if ($r.KeysTruncated) { $problems.Add('KeysTruncated is set') }
    if ($problems.Count) { throw "Compare-CenateBackup is wrong: $($problems -join '; ')" }
    Note 'key lists and counts match psql EXCEPT exactly'
    [ordered]@{
        compare_rows = $rowsBefore; compare_missing = $r.Missing; compare_added = $r.Added; compare_changed = $r.Changed
        compare_csvgz_bytes = (Get-Item -LiteralPath $refCsv).Length + (Get-Item -LiteralPath $diffCsv).Length
        compare_gzip_s = $gzip.Seconds; compare_cmdlet_s = [math]::Round($r.Seconds, 2)
        compare_process_s = $cmp.Seconds; compare_ratio = [math]::Round($r.Seconds / $gzip.Seconds, 2)
        compare_process_ratio = [math]::Round($cmp.Seconds / $gzip.Seconds, 2)
        compare_rss_mb = $cmp.RssMB; compare_pwsh_idle_rss_mb = $idle.RssMB; compare_checked = $true
        compare_files = "$($r.ReferenceFile) vs $($r.DifferenceFile)"
    } | ConvertTo-Json -Compress
}
finally {
    if (-not $Keep) {
        Q "DROP DATABASE IF EXISTS $Database WITH (FORCE)" postgres | Out-Null
        foreach ($d in 'compare-ref', 'compare-diff') {
            Remove-Item -LiteralPath (Join-Path $Work $d) -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}
