# Shared helpers for the Pester suites. Every helper talks to 127.0.0.1 only.
Set-StrictMode -Version Latest

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

function Get-ModuleManifestPath {
    if ($env:CENATE_MODULE_PATH) { return $env:CENATE_MODULE_PATH }
    Join-Path $script:RepoRoot 'out/CenateBackup/CenateBackup.psd1'
}

function Get-Rig {
    # The rig must be up: a missing service is a failure, never a silent skip.
    foreach ($name in 'CENATE_TEST_CONTAINER', 'CENATE_TEST_PORT', 'CENATE_TEST_PASSWORD', 'CENATE_TEST_PG14_PORT', 'CENATE_TEST_PG17_PORT', 'CENATE_RIG_SCRIPTS') {
        if (-not (Get-Item -Path "env:$name" -ErrorAction SilentlyContinue)) {
            throw "Test rig variable $name is not set: run the tests through scripts/test.sh (it starts the rig)."
        }
    }
    [pscustomobject]@{
        Container = $env:CENATE_TEST_CONTAINER
        Port      = [int]$env:CENATE_TEST_PORT
        Password  = $env:CENATE_TEST_PASSWORD
        User      = $env:CENATE_TEST_USER
        Database  = $env:CENATE_TEST_DATABASE
        Rows      = [long]$env:CENATE_TEST_ROWS
        Pg14Port  = [int]$env:CENATE_TEST_PG14_PORT
        Pg17Port  = [int]$env:CENATE_TEST_PG17_PORT
        Scripts   = $env:CENATE_RIG_SCRIPTS
        # The PostgreSQL 17 container (cenate-postgres:17, pg_dump 17 inside it) for the container-mode matrix; tests
        # that use it check that it is set (a rig.env written before the container existed lacks it).
        Pg17Container     = $env:CENATE_TEST_PG17_CONTAINER
        Pg17ContainerPort = [int]$env:CENATE_TEST_PG17_CONTAINER_PORT
        Pg17Image         = $env:CENATE_TEST_PG17_IMAGE
    }
}

function Get-TestCredential([string]$Password = $env:CENATE_TEST_PASSWORD, [string]$User = 'cenate') {
    [pscredential]::new($User, (ConvertTo-SecureString -String $Password -AsPlainText -Force))
}

function New-TestDirectory([string]$Name = 'set') {
    $path = Join-Path ([IO.Path]::GetTempPath()) ("cenate-test-{0}-{1}" -f $Name, [guid]::NewGuid().ToString('N').Substring(0, 8))
    # Not created: the cmdlet must create it (0700).
    $path
}

function Invoke-Psql {
    # Runs SQL over TCP on 127.0.0.1; the password travels in PGPASSWORD, never on the command line.
    param([Parameter(Mandatory)][string]$Sql, [int]$Port = [int]$env:CENATE_TEST_PORT, [string]$Database = 'maestro_cenate', [string]$User = 'cenate')
    $env:PGPASSWORD = $env:CENATE_TEST_PASSWORD
    try {
        $out = & psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $Port -U $User -d $Database -c $Sql 2>&1
        if ($LASTEXITCODE -ne 0) { throw "psql failed: $out" }
        $out
    } finally { Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue }
}

function Restore-IntoScratch {
    # Restores a custom dump with the local pg_restore into a new database and returns the row count of a table.
    param([Parameter(Mandatory)][string]$DumpPath, [string]$Table = 'public.asegurados', [int]$Port = [int]$env:CENATE_TEST_PORT)
    $db = 'cenate_scratch_' + [guid]::NewGuid().ToString('N').Substring(0, 10)
    Invoke-Psql -Sql "CREATE DATABASE $db" -Port $Port -Database postgres | Out-Null
    try {
        $env:PGPASSWORD = $env:CENATE_TEST_PASSWORD
        $out = & pg_restore --no-owner -h 127.0.0.1 -p $Port -U cenate -d $db $DumpPath 2>&1
        if ($LASTEXITCODE -ne 0) { throw "pg_restore failed: $out" }
        [long](Invoke-Psql -Sql "SELECT count(*) FROM $Table" -Port $Port -Database $db)
    } finally {
        Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue
        Invoke-Psql -Sql "DROP DATABASE IF EXISTS $db" -Port $Port -Database postgres | Out-Null
    }
}

function Start-ThrowawayContainer {
    # A separate container for destructive tests (stopped, killed). Returns its name and port.
    param([Parameter(Mandatory)][string]$Name, [Parameter(Mandatory)][int]$Port, [long]$Rows = 2000)
    $out = & bash (Join-Path $env:CENATE_RIG_SCRIPTS 'rig.sh') container $Name $Port $Rows 2>&1
    if ($LASTEXITCODE -ne 0) { throw "could not start container ${Name}: $out" }
    [pscustomobject]@{ Name = $Name; Port = $Port }
}

function Remove-ThrowawayContainer([string]$Name) {
    & bash (Join-Path $env:CENATE_RIG_SCRIPTS 'rig.sh') rm-container $Name *> $null
}

function Get-UnixMode([string]$Path) {
    # e.g. 0600 / 0700
    '{0:D4}' -f [int]([Convert]::ToString([int](Get-Item -LiteralPath $Path -Force).UnixFileMode, 8))
}

function Get-ContainerProcessLines([string]$Container) {
    # Command lines of the processes in a container (no ps in a minbase image).
    & docker exec $Container sh -c 'for p in /proc/[0-9]*; do tr "\0" " " < $p/cmdline 2>/dev/null; echo; done' 2>$null
}

function Invoke-InBackground {
    # Starts a script in a separate runspace with the module loaded; returns the PowerShell instance and its async handle.
    param([Parameter(Mandatory)][scriptblock]$Script, [hashtable]$Arguments = @{})
    $ps = [powershell]::Create()
    $null = $ps.AddScript("Import-Module '$(Get-ModuleManifestPath)'").AddStatement()
    $null = $ps.AddScript($Script.ToString())
    foreach ($k in $Arguments.Keys) { $null = $ps.AddParameter($k, $Arguments[$k]) }
    [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
}

function Wait-ForFile([string]$Filter, [string]$Directory, [long]$MinimumSize = 1, [int]$TimeoutSeconds = 60) {
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        $f = Get-ChildItem -LiteralPath $Directory -Filter $Filter -Force -ErrorAction SilentlyContinue | Where-Object Length -ge $MinimumSize | Select-Object -First 1
        if ($f) { return $f }
        Start-Sleep -Milliseconds 50
    }
    throw "no file $Filter of at least $MinimumSize bytes appeared in $Directory within $TimeoutSeconds s"
}

function Copy-TestDatabase {
    # CREATE DATABASE <Name> TEMPLATE <Template>, retried: it fails while another session (another suite on the shared
    # rig) is connected to the template.
    param([Parameter(Mandatory)][string]$Name, [string]$Template = 'maestro_cenate', [int]$Tries = 30,
        [int]$Port = [int]$env:CENATE_TEST_PORT)
    for ($try = 1; ; $try++) {
        try {
            Invoke-Psql -Database postgres -Port $Port -Sql "CREATE DATABASE $Name TEMPLATE $Template" | Out-Null
            return
        }
        catch { if ($try -ge $Tries -or "$_" -notmatch 'being accessed by other users') { throw }; Start-Sleep -Milliseconds 500 }
    }
}

function New-BroadDatabase {
    # A new database <Name> on 127.0.0.1:<Port> holding tests/sql/broad-schema.sql (partitioned tables, inheritance,
    # identity and generated columns, exclusion constraints, domains, enums, a materialized view, triggers).
    param([Parameter(Mandatory)][string]$Name, [int]$Port = [int]$env:CENATE_TEST_PORT)
    Invoke-Psql -Database postgres -Port $Port -Sql "DROP DATABASE IF EXISTS $Name WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Port $Port -Sql "CREATE DATABASE $Name" | Out-Null
    $env:PGPASSWORD = $env:CENATE_TEST_PASSWORD
    try {
        $out = & psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $Port -U cenate -d $Name -f (Join-Path $script:RepoRoot 'tests/sql/broad-schema.sql') 2>&1
        if ($LASTEXITCODE -ne 0) { throw "loading broad-schema.sql into $Name failed: $out" }
    } finally { Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue }
}

function Remove-TestDatabase([string]$Name, [int]$Port = [int]$env:CENATE_TEST_PORT) {
    Invoke-Psql -Database postgres -Port $Port -Sql "DROP DATABASE IF EXISTS $Name WITH (FORCE)" | Out-Null
}

function Expand-Gzip([string]$Path, [string]$OutFile) {
    # gzip -dc <Path> > <OutFile>; returns OutFile.
    & bash -c 'gzip -dc "$1" > "$2"' _ $Path $OutFile
    if ($LASTEXITCODE -ne 0) { throw "gzip -d $Path failed" }
    $OutFile
}

function Get-Sha([string]$Path) { (Get-FileHash -Algorithm SHA256 -LiteralPath $Path).Hash }

function New-FakeSet {
    # A backup set as the module leaves it (Retention, OffsiteSync): its file(s) and manifest, recorded $DaysAgo days ago. -Kind DataOnly is the
    # old routine's second set (data-only SQL of asegurados), Exports a CSV-only set; -RecordKind writes the manifest's
    # "kind" (sets written before it existed have none and are judged by their files).
    param([string]$Dir, [double]$DaysAgo, [switch]$Unverified, [switch]$Incomplete, [string]$Database = 'maestro_cenate', [switch]$FailedVerification,
          [ValidateSet('Full', 'DataOnly', 'Exports')][string]$Kind = 'Full', [switch]$RecordKind, [int]$Size = 0,
          [switch]$CopyRecord, [string]$VerifiedAt)
    if (-not (Test-Path $Dir)) { New-Item -ItemType Directory -Path $Dir | Out-Null }
    $time = [DateTimeOffset]::UtcNow.AddDays(-$DaysAgo)
    $stamp = $time.UtcDateTime.ToString('yyyyMMdd_HHmmss')
    $name, $fileKind, $dataOnly, $tables = switch ($Kind) {
        'Full' { "${Database}_$stamp.dump", 'Dump', $false, @() }
        'DataOnly' { "asegurados_$stamp.sql.gz", 'Sql', $true, @('public.asegurados') }
        'Exports' { "asegurados_$stamp.csv.gz", 'Csv', $true, @('public.asegurados') }
    }
    $bytes = [byte[]]::new($(if ($Size -gt 0) { $Size } else { 1024 + (Get-Random -Maximum 1024) })); [Random]::new().NextBytes($bytes)
    [IO.File]::WriteAllBytes((Join-Path $Dir $name), $bytes)
    $sha = (Get-FileHash -Algorithm SHA256 -LiteralPath (Join-Path $Dir $name)).Hash.ToLowerInvariant()
    $verification = if ($Unverified) { $null } else { [ordered]@{ level = 'Read'; at = $time.AddMinutes(5).ToString('o'); passed = -not $FailedVerification; problems = @() } }
    # -VerifiedAt: the place the verification record says it was made (Test-CenateBackup records the set's directory).
    if ($verification -and $VerifiedAt) { $verification['location'] = $VerifiedAt }
    $manifest = [ordered]@{
        formatVersion = 1; tool = 'CenateBackup test'; database = $Database; stamp = $stamp
        startedAt = $time.ToString('o'); completedAt = $time.AddMinutes(1).ToString('o'); complete = -not $Incomplete
        source = [ordered]@{ mode = 'Container'; container = 'postgres_cenate'; host = $null; port = 5432; user = 'cenate'; serverVersion = '15.18'; serverVersionNum = 150018; pgDumpVersion = '15.18' }
        snapshotId = '00000003-00000001-1'; rowCounts = [ordered]@{ 'public.asegurados' = 1000 }
        files = @([ordered]@{ name = $name; kind = $fileKind; size = $bytes.Length; sha256 = $sha; compression = 'gzip'; compressionLevel = 6; dataOnly = $dataOnly; tables = $tables; completedAt = $time.AddMinutes(1).ToString('o') })
        verification = $verification
    }
    if ($RecordKind) { $manifest['kind'] = $Kind }
    # -CopyRecord: the set as Sync-CenateOffsite leaves it at a destination (verified there).
    if ($CopyRecord) { $manifest['copy'] = [ordered]@{ from = '/srv/backups'; at = $time.AddMinutes(10).ToString('o'); method = 'test'; sourceVerification = $verification } }
    $path = Join-Path $Dir "${Database}_$stamp.manifest.json"
    $manifest | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath $path
    [pscustomobject]@{ Manifest = $path; Dump = (Join-Path $Dir $name); Stamp = $stamp; Kind = $Kind }
}

Export-ModuleMember -Function *
