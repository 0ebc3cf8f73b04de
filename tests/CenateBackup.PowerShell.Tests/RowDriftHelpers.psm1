# Helpers for RowDriftEndToEnd.Tests.ps1: real daily sets of a qa21_* database, stores that hold chosen sets (the
# "previous set" is the newest earlier full set of the same store, so a store's contents choose the pair compared),
# manifest edits as an attacker with write access to the backup directory would make them, and result filters.
Set-StrictMode -Version Latest
$script:Inv = [Globalization.CultureInfo]::InvariantCulture

function Set-RowDriftContext {
    # Where stores go (a 0700 directory) and the server the sets are dumped from.
    param([Parameter(Mandatory)][string]$Work, [Parameter(Mandatory)]$Rig,
        [Parameter(Mandatory)][pscredential]$Credential)
    $script:Work = $Work; $script:Rig = $Rig; $script:Cred = $Credential
}

function Get-RowCount([string]$Db, [string]$Table) {
    [long](Invoke-Psql -Database $Db -Sql "SELECT count(*) FROM $Table")
}

function New-RealSet([string]$Db, [string]$Dir, [string[]]$Critical) {
    # Stamps have one-second resolution: start in a fresh second so two sets never share one.
    Start-Sleep -Milliseconds (1050 - [DateTime]::UtcNow.Millisecond)
    $p = @{ Container = $script:Rig.Container; Port = $script:Rig.Port; Credential = $script:Cred }
    $p.Database = $Db; $p.Path = $Dir
    if ($Critical) { $p.CriticalTable = $Critical }
    New-CenateDump @p -WarningAction SilentlyContinue
}

function New-Store([string]$Name, [object[]]$Sets) {
    # A new directory holding copies of the sets (manifest and files).
    $dir = Join-Path $script:Work ($Name + '-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
    New-Item -ItemType Directory -Path $dir | Out-Null
    foreach ($s in $Sets) {
        Copy-Item -LiteralPath $s.Path -Destination $dir
        foreach ($f in $s.Files) { Copy-Item -LiteralPath $f.Path -Destination $dir }
    }
    $dir
}

function ManifestIn([string]$Store, $Set) { Join-Path $Store (Split-Path -Leaf $Set.Path) }
function DumpIn([string]$Store, $Set) { Join-Path $Store $Set.Files[0].Name }
function Read-Manifest([string]$Path) { Get-Content -Raw -LiteralPath $Path | ConvertFrom-Json }

function Set-RowCount([string]$Manifest, [string]$Table, [long]$Rows) {
    # The attacker's edit: one figure of rowCounts, everything else as it was (dates kept as text).
    $m = Get-Content -Raw -LiteralPath $Manifest | ConvertFrom-Json -AsHashtable -DateKind String
    $m.rowCounts[$Table] = $Rows
    $m | ConvertTo-Json -Depth 20 | Set-Content -LiteralPath $Manifest
}

function Confirm-Verified([string]$Store) {
    # Retention only trusts verified sets: verify each (no drift threshold: a plain read).
    $r = Get-ChildItem -LiteralPath $Store -Filter *.manifest.json | Test-CenateBackup -Level Read
    if ($r.Passed -contains $false) { throw "a set in $Store did not verify: $($r.Problems -join '; ')" }
}

function Drift($Result, [string]$Table, [string]$After) {
    # The RowDrift entries of one table (and one AfterStamp, e.g. 'live').
    @($Result.RowDrift | Where-Object { $_.Table -eq $Table -and (-not $After -or $_.AfterStamp -eq $After) })
}

function Dropped($Result) { @($Result.Problems | Where-Object { "$($_.Kind)" -eq 'RowCountDropped' }) }

function Pct([long]$Before, [long]$After) { (($Before - $After) * 100.0 / $Before).ToString('0.00', $script:Inv) }

function Write-Settings([string]$Path, [string]$Text) {
    Set-Content -LiteralPath $Path -Value $Text
    & chmod 600 $Path
    $Path
}

Export-ModuleMember -Function Set-RowDriftContext, Get-RowCount, New-RealSet, New-Store, ManifestIn, DumpIn,
    Read-Manifest, Set-RowCount, Confirm-Verified, Drift, Dropped, Pct, Write-Settings
