#Requires -Version 7.4
<#
.SYNOPSIS
Packs the built module folder into out/CenateBackup.<version>.nupkg, the package Install-PSResource installs.

.DESCRIPTION
Uses Compress-PSResource (Microsoft.PowerShell.PSResourceGet 1.1+, shipped with pwsh 7.5+) on the module folder that
scripts/build.sh assembled (manifest, cmdlet assembly, bin/deps with Core and its dependencies and the Spanish
satellite, format views, help in every culture, the job scripts). Then it opens the package and checks that every file
of the module folder is inside it, byte for byte: a package that installs but lacks a dependency would fail only on the
server, at import time.

Install it on a server with pwsh 7.4+ and nothing else (no .NET SDK): copy the .nupkg to a folder or file share, then
  Register-PSResourceRepository -Name CenateLocal -Uri <folder> -Trusted
  Install-PSResource CenateBackup -Repository CenateLocal

.PARAMETER ModulePath
The built module folder (holding CenateBackup.psd1), e.g. out/CenateBackup.

.PARAMETER OutputPath
Where the .nupkg is written. Default: the parent of ModulePath (out/).

.EXAMPLE
pwsh -NoProfile -NonInteractive -File scripts/Build-Package.ps1 -ModulePath out/CenateBackup
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory, Position = 0)]
    [ValidateNotNullOrEmpty()]
    [string]$ModulePath,

    [string]$OutputPath
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

if (-not (Get-Command Compress-PSResource -ErrorAction Ignore)) {
    throw 'Build-Package needs Compress-PSResource (Microsoft.PowerShell.PSResourceGet 1.1 or later, shipped with pwsh 7.5+; the build uses the pwsh scripts/install-prereqs.sh installs). Installing the package needs only pwsh 7.4+.'
}
$module = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$manifest = Import-PowerShellDataFile -LiteralPath (Join-Path $module 'CenateBackup.psd1')
$version = $manifest.ModuleVersion
if (-not $OutputPath) { $OutputPath = Split-Path -Parent $module }
$null = New-Item -ItemType Directory -Force -Path $OutputPath
$output = (Resolve-Path -LiteralPath $OutputPath).ProviderPath
$package = Join-Path $output "CenateBackup.$version.nupkg"

# Pack in a private temporary folder, then move into place: a half-written package never has the final name.
$work = Join-Path ([System.IO.Path]::GetTempPath()) ("cenate-pack-" + [guid]::NewGuid().ToString('N'))
$null = New-Item -ItemType Directory -Path $work
try {
    Compress-PSResource -Path $module -DestinationPath $work
    $built = Join-Path $work "CenateBackup.$version.nupkg"
    if (-not (Test-Path -LiteralPath $built)) { throw "Compress-PSResource wrote no CenateBackup.$version.nupkg in $work." }

    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $zip = [System.IO.Compression.ZipFile]::OpenRead($built)
    try {
        $entries = @{}
        foreach ($e in $zip.Entries) { $entries[[uri]::UnescapeDataString($e.FullName)] = $e }
        $missing = foreach ($file in Get-ChildItem -LiteralPath $module -Recurse -File) {
            $relative = [System.IO.Path]::GetRelativePath($module, $file.FullName).Replace('\', '/')
            $entry = $entries[$relative]
            if ($null -eq $entry -or $entry.Length -ne $file.Length) { $relative }
        }
    }
    finally { $zip.Dispose() }
    if ($missing) { throw "The package lacks (or has a different size of) $(@($missing).Count) file(s): $(@($missing)[0..9] -join ', ')" }

    Get-ChildItem -LiteralPath $output -Filter 'CenateBackup.*.nupkg' | Remove-Item -Force
    Move-Item -LiteralPath $built -Destination $package
}
finally { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue }
Write-Host "Build-Package: wrote $package ($([math]::Round((Get-Item -LiteralPath $package).Length / 1MB, 1)) MB)"
