# Runs every *.Tests.ps1 here with Pester 5 against the built module and writes the counts as JSON.
param(
    [Parameter(Mandatory)][string]$PesterPath,
    [Parameter(Mandatory)][string]$CountsPath,
    [string]$ResultsPath,
    [string[]]$Path = @($PSScriptRoot)
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force
$config = New-PesterConfiguration
$config.Run.Path = $Path
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
if ($ResultsPath) {
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputFormat = 'NUnitXml'
    $config.TestResult.OutputPath = $ResultsPath
}
$result = Invoke-Pester -Configuration $config
# A container (file) that fails in BeforeAll counts its tests as failed, never as silently skipped.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[pscustomobject]@{ passed = $result.PassedCount; failed = $failed; skipped = $result.SkippedCount + $result.NotRunCount } |
    ConvertTo-Json | Set-Content -LiteralPath $CountsPath
