# Restore-CenateTable on the bench container's 4,000,000-row asegurados (issue 5's targets), timed around the cmdlet
# in one pwsh session. Prints JSON: restore_missing10k (s), restore_replace (s), restore_staging (s), and checks.
# Every case verifies its result (rows back, row count, primary key) and fails loudly otherwise.
param([Parameter(Mandatory)][string]$ModulePath, [Parameter(Mandatory)][string]$Container, [Parameter(Mandatory)][int]$Port,
      [Parameter(Mandatory)][string]$Work, [int]$Repeat = 1)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$cred = [pscredential]::new('cenate', (ConvertTo-SecureString $env:PGPASSWORD -AsPlainText -Force))
$P = @{ Container = $Container; Port = $Port; Credential = $cred; ProgressAction = 'SilentlyContinue' }
function Q([string]$Sql) {
    $out = & psql -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $Port -U cenate -d maestro_cenate -c $Sql 2>&1
    if ($LASTEXITCODE -ne 0) { throw "psql: $out" }
    $out
}
$set = New-CenateDump @P -Path (Join-Path $Work 'restore-set')
$rows = [long]$set.RowCounts['public.asegurados']
$result = [ordered]@{ restore_rows = $rows; restore_dump_bytes = $set.Files[0].Size }
$best = @{}
foreach ($i in 1..$Repeat) {
    # MissingRows: 10,000 random rows deleted, then brought back.
    Q "DELETE FROM asegurados WHERE id IN (SELECT id FROM asegurados ORDER BY random() LIMIT 10000)" | Out-Null
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $r = Restore-CenateTable -Backup $set.Path @P -Mode MissingRows -Confirm:$false -WarningAction SilentlyContinue
    $t = $sw.Elapsed.TotalSeconds
    if ($r.InsertedRows -ne 10000 -or [long](Q 'SELECT count(*) FROM asegurados') -ne $rows) { throw "MissingRows did not bring back the 10,000 rows: $($r.InsertedRows)" }
    $best['restore_missing10k'] = [math]::Min(($best['restore_missing10k'] ?? [double]::MaxValue), $t)

    # Replace: the whole table from the dump, with its primary key and indexes, verified, the old one dropped.
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $r = Restore-CenateTable -Backup $set.Path @P -Mode Replace -DropReplaced -Confirm:$false -WarningAction SilentlyContinue
    $t = $sw.Elapsed.TotalSeconds
    if ($r.LiveRowsAfter -ne $rows -or (Q "SELECT count(*) FROM pg_constraint WHERE conrelid = 'public.asegurados'::regclass AND contype = 'p'") -ne '1') { throw 'Replace did not leave the table with its rows and primary key' }
    $best['restore_replace'] = [math]::Min(($best['restore_replace'] ?? [double]::MaxValue), $t)

    # Staging: the table beside the live one, compared; then its schema is dropped.
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $r = Restore-CenateTable -Backup $set.Path @P -Mode Staging -WarningAction SilentlyContinue
    $t = $sw.Elapsed.TotalSeconds
    if ($r.BackupRows -ne $rows -or $r.MissingRows -ne 0) { throw 'Staging did not load the backup' }
    Q "DROP SCHEMA $($r.StagingSchema) CASCADE" | Out-Null
    $best['restore_staging'] = [math]::Min(($best['restore_staging'] ?? [double]::MaxValue), $t)
}
foreach ($k in $best.Keys) { $result[$k] = [math]::Round($best[$k], 1) }
$result | ConvertTo-Json -Compress
