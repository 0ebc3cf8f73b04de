# Helpers for Jobs.Tests.ps1: a private plan (settings file, environment file, backup/log/state directories) per test,
# and the shipped job scripts run as cron runs them: `pwsh -NoProfile -NonInteractive -File <module>/jobs/X.ps1
# -Settings <file>` in a fresh process, the built module found through PSModulePath, secrets only in the 0600
# environment file the job loads (never in this process's environment or on a command line).
Set-StrictMode -Version Latest

# The built module (as TestHelpers' Get-ModuleManifestPath finds it).
$script:Manifest = if ($env:CENATE_MODULE_PATH) { $env:CENATE_MODULE_PATH } else {
    Join-Path (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path 'out/CenateBackup/CenateBackup.psd1'
}

function Get-JobScriptPath([Parameter(Mandatory)][string]$Name) {
    # The BUILT module's copy (out/CenateBackup/jobs), the one Register-CenateBackupSchedule points at.
    $module = Split-Path -Parent $script:Manifest
    $path = Join-Path $module "jobs/$Name.ps1"
    if (-not (Test-Path -LiteralPath $path)) {
        throw "job script $path is not in the built module (bash scripts/build.sh)"
    }
    $path
}

function Write-PrivateFile([string]$Path, [string]$Text) {
    # Created 0600 from the start (the environment file holds passwords; the settings file must be trusted).
    $options = [IO.FileStreamOptions]@{ Mode = 'Create'; Access = 'Write'
        UnixCreateMode = [IO.UnixFileMode]::UserRead -bor [IO.UnixFileMode]::UserWrite }
    $writer = [IO.StreamWriter]::new([IO.FileStream]::new($Path, $options))
    try { $writer.Write($Text) } finally { $writer.Dispose() }
    $Path
}

function New-JobPlan {
    <#
    .SYNOPSIS A private directory with settings.psd1 (0600), cenate.env (0600: PGPASSWORD, CENATE_SMTP_PASSWORD) and
    the paths backups/, logs/, state/ (not created: the job creates what it needs). -Smtp adds the mail keys of that
    smtp4dev server; -Extra is more lines inside the settings hashtable. Returns the paths.
    #>
    param(
        [Parameter(Mandatory)][string]$Name,
        [Parameter(Mandatory)][string]$Database,
        [string]$Container = $env:CENATE_TEST_CONTAINER,
        [int]$Port = [int]$env:CENATE_TEST_PORT,
        $Smtp,
        [string]$Extra = ''
    )
    $leaf = "cenate-p16-{0}-{1}" -f $Name, [guid]::NewGuid().ToString('N').Substring(0, 8)
    $dir = Join-Path ([IO.Path]::GetTempPath()) $leaf
    $mode = [IO.UnixFileMode]::UserRead -bor [IO.UnixFileMode]::UserWrite -bor [IO.UnixFileMode]::UserExecute
    [void][IO.Directory]::CreateDirectory($dir, $mode)
    $plan = [pscustomobject]@{
        Directory = $dir; Settings = (Join-Path $dir 'cenate.psd1'); EnvFile = (Join-Path $dir 'cenate.env')
        Backups = (Join-Path $dir 'backups'); Logs = (Join-Path $dir 'logs'); State = (Join-Path $dir 'state')
        AlertState = (Join-Path $dir 'alert-state'); Database = $Database
    }
    $envText = "# the job's secrets`nPGPASSWORD=$($env:CENATE_TEST_PASSWORD)`n"
    $mail = ''
    if ($Smtp) {
        $envText += "CENATE_SMTP_PASSWORD=$($Smtp.Password)`n"
        $mail = @"
    SmtpServer = '127.0.0.1'; Port = $($Smtp.Port); Security = 'None'; From = 'cenate@hospital.test'
    To = 'dba@hospital.test'; UserName = '$($Smtp.User)'; PasswordVariable = 'CENATE_SMTP_PASSWORD'
    Culture = 'en-US'; Timeout = '20s'; StateDirectory = '$($plan.AlertState)'
"@
    }
    Write-PrivateFile $plan.EnvFile $envText | Out-Null
    Write-PrivateFile $plan.Settings @"
@{
    Container = '$Container'; DatabasePort = $Port; Database = '$Database'; DatabaseUser = 'cenate'
    Path = '$($plan.Backups)'; LogPath = '$($plan.Logs)'; StatePath = '$($plan.State)'
    EnvironmentFile = '$($plan.EnvFile)'
    CompressionLevel = 1
$mail
$Extra
}
"@ | Out-Null
    $plan
}

function New-JobProcessStartInfo([string]$Script, [string[]]$Arguments) {
    # pwsh installed as a dotnet tool runs as `dotnet pwsh.dll`: start the same host the same way.
    $psi = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
    if ((Split-Path -Leaf ([Environment]::ProcessPath)) -like 'dotnet*') {
        $psi.ArgumentList.Add([Environment]::GetCommandLineArgs()[0])
    }
    foreach ($a in @('-NoProfile', '-NonInteractive', '-File', $Script) + $Arguments) { $psi.ArgumentList.Add($a) }
    $modules = Split-Path -Parent (Split-Path -Parent $script:Manifest)
    $psi.Environment['PSModulePath'] = $modules + [IO.Path]::PathSeparator + $psi.Environment['PSModulePath']
    $psi.Environment['NO_COLOR'] = '1'
    # The job must get its database password from the environment file, nowhere else.
    foreach ($k in 'PGPASSWORD', 'PGPASSFILE', 'CENATE_SMTP_PASSWORD') { [void]$psi.Environment.Remove($k) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi
}

function Start-JobScript {
    <#
    .SYNOPSIS Starts a job script (-Name Daily …, or -Script a path) with -Settings <plan> and returns at once:
    Process, StdOut/StdErr (tasks). Wait-JobScript collects it.
    #>
    param([string]$Name, [string]$Script, [Parameter(Mandatory)][string]$Settings, [string[]]$Arguments = @())
    if (-not $Script) { $Script = Get-JobScriptPath $Name }
    $psi = New-JobProcessStartInfo $Script (@('-Settings', $Settings) + $Arguments)
    $p = [Diagnostics.Process]::Start($psi)
    [pscustomobject]@{
        Process = $p; StdOut = $p.StandardOutput.ReadToEndAsync(); StdErr = $p.StandardError.ReadToEndAsync()
        Started = [DateTime]::UtcNow
    }
}

function Wait-JobScript {
    # Waits for a started job; returns ExitCode, StdOut, StdErr, Seconds. A job that hangs is killed and fails the test.
    param([Parameter(Mandatory, ValueFromPipeline)]$Run, [int]$TimeoutSeconds = 180)
    process {
        if (-not $Run.Process.WaitForExit($TimeoutSeconds * 1000)) {
            try { $Run.Process.Kill($true) } catch { }
            throw "job did not finish within $TimeoutSeconds s: $($Run.StdOut.Result)"
        }
        $Run.Process.WaitForExit()
        [pscustomobject]@{
            ExitCode = $Run.Process.ExitCode; StdOut = $Run.StdOut.Result; StdErr = $Run.StdErr.Result
            Seconds = ([DateTime]::UtcNow - $Run.Started).TotalSeconds
        }
    }
}

function Invoke-JobScript {
    param([string]$Name, [string]$Script, [Parameter(Mandatory)][string]$Settings, [string[]]$Arguments = @(),
          [int]$TimeoutSeconds = 180)
    Start-JobScript -Name $Name -Script $Script -Settings $Settings -Arguments $Arguments |
        Wait-JobScript -TimeoutSeconds $TimeoutSeconds
}

function Get-JobLog {
    <#
    .SYNOPSIS The run logs of -Job in -Directory, newest last: Log/Json paths and Records (the JSON lines parsed).
    #>
    param([Parameter(Mandatory)][string]$Directory, [Parameter(Mandatory)][string]$Job)
    foreach ($json in @(Get-ChildItem -LiteralPath $Directory -Filter "$Job-*Z.jsonl" -File | Sort-Object Name)) {
        [pscustomobject]@{
            Json = $json.FullName
            Log = [IO.Path]::ChangeExtension($json.FullName, '.log')
            Records = @(Get-Content -LiteralPath $json.FullName | Where-Object { $_ } | ConvertFrom-Json)
        }
    }
}

function Get-StepRecord($Log, [string]$Step) {
    @($Log.Records | Where-Object { $_.event -eq 'step' -and $_.step -eq $Step })
}

function Get-DirectoryListing([string]$Path) {
    # Every entry under Path (recursively, hidden too) with its size and write time: "nothing touched" compares these.
    if (-not (Test-Path -LiteralPath $Path)) { return @() }
    @(Get-ChildItem -LiteralPath $Path -Recurse -Force | ForEach-Object {
        '{0}|{1}|{2:o}' -f $_.FullName, $(if ($_.PSIsContainer) { 'dir' } else { $_.Length }), $_.LastWriteTimeUtc
    } | Sort-Object)
}

function Mount-JobTestDisk {
    # The USB disk of the weekly job: a real tmpfs mounted at $Dir (the tests run as root), 0700, $Size large.
    param([Parameter(Mandatory)][string]$Dir, [string]$Size = '64m')
    New-Item -ItemType Directory -Path $Dir -Force | Out-Null
    $out = & mount -t tmpfs -o "size=$Size,mode=0700" tmpfs $Dir 2>&1
    if ($LASTEXITCODE -ne 0) { throw "mount at $Dir failed (the tests need root and mount): $out" }
    $Dir
}

function Dismount-JobTestDisk([string]$Dir) {
    & umount $Dir 2>$null
    if ($LASTEXITCODE -ne 0) { & umount -l $Dir 2>$null }
}

Export-ModuleMember -Function Get-JobScriptPath, Write-PrivateFile, New-JobPlan, Start-JobScript, Wait-JobScript,
    Invoke-JobScript, Get-JobLog, Get-StepRecord, Get-DirectoryListing, Mount-JobTestDisk, Dismount-JobTestDisk
