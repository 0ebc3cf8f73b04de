#Requires -Version 7.4
<#
.SYNOPSIS
Builds the MAML help of the CenateBackup cmdlets from the markdown in docs/en-US (or a translation such as docs/es-ES).

.DESCRIPTION
Imports the built module, reads docs/<culture>/<Cmdlet>.md for every exported cmdlet and the cmdlet's real
metadata (parameter sets, types, Mandatory, Position, pipeline binding, aliases, validation, default values
read from a fresh instance of the cmdlet class, [OutputType]), and writes one MAML file per cmdlet assembly,
named as PowerShell looks for it (<Assembly>.dll-Help.xml), to:

  <ModulePath>/<culture>/            the module root: found through the manifest module (Import-Module of the .psd1)
  <folder of the dll>/<culture>/     next to the dll: also found when the dll is imported on its own

The markdown gives the words (synopsis, description, examples, parameter descriptions, inputs, outputs,
notes, links); everything that the cmdlet itself knows comes from the cmdlet, so the help cannot drift
from the code. The markdown layout is described in docs/en-US/README.md.

Fails (exit code 1, nothing written) when a cmdlet has no markdown file, a parameter (common parameters
excepted; -WhatIf and -Confirm included) has no description, the markdown documents a parameter the cmdlet
does not have, a cmdlet has fewer than two examples or an example without code, or an [OutputType] is not
named under OUTPUTS.

A translation (any culture but en-US) is checked against the English pages (-ReferenceDocsPath, default: the en-US
folder beside DocsPath): it fails as well when a translated page lacks a parameter or an example that the English
page has, documents one it does not have, changes the code of an example (comments aside) or names other INPUTS or
OUTPUTS types. A translation is also written to the culture's neutral parent folder (es-ES also to es), because
Get-Help looks in <culture>, then its parents (es-PE → es-419 → es), then en-US: so every es-* culture finds it.

Run it in a fresh pwsh after `dotnet publish` (the publish step recreates the module folder):
  pwsh -NoProfile -NonInteractive -File scripts/Build-Help.ps1 -ModulePath out/CenateBackup

.PARAMETER ModulePath
The built module folder (holding CenateBackup.psd1), e.g. out/CenateBackup.

.PARAMETER DocsPath
The folder with one <Cmdlet>.md per cmdlet. Default: docs/en-US of this repository.

.PARAMETER Culture
The culture folder the help file is written to. Default: the name of the DocsPath folder when it is a
culture name such as en-US or es-PE, else en-US.

.PARAMETER ReferenceDocsPath
The English pages a translation is checked against. Default: <parent of DocsPath>/en-US when Culture is not en-US.

.PARAMETER AllowMissingTranslation
Only while translating: a translated page that does not exist yet is replaced by the English page (with a warning)
instead of failing the build. Never used by scripts/build.sh unless CENATE_HELP_ALLOW_MISSING=1 is set.

.EXAMPLE
pwsh -NoProfile -NonInteractive -File scripts/Build-Help.ps1 -ModulePath out/CenateBackup

.EXAMPLE
pwsh -NoProfile -NonInteractive -File scripts/Build-Help.ps1 -ModulePath out/CenateBackup -DocsPath docs/es-ES
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory, Position = 0)]
    [ValidateNotNullOrEmpty()]
    [string]$ModulePath,

    [ValidateNotNullOrEmpty()]
    [string]$DocsPath = (Join-Path $PSScriptRoot '../docs/en-US'),

    [ValidatePattern('^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$')]
    [string]$Culture,

    [string]$ReferenceDocsPath,

    [switch]$AllowMissingTranslation
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$script:Problems = [System.Collections.Generic.List[string]]::new()
function Add-Problem([string]$Message) { $script:Problems.Add($Message) }
function Stop-Build([string]$Message) {
    $Host.UI.WriteErrorLine("Build-Help: $Message")
    exit 1
}

$CommonParameters = [System.Management.Automation.Cmdlet]::CommonParameters

# The markdown reader, the cmdlet metadata and the MAML writer, each in a file of its own; they run in this scope.
. (Join-Path $PSScriptRoot 'lib/help-markdown.ps1')
. (Join-Path $PSScriptRoot 'lib/help-cmdlet.ps1')
. (Join-Path $PSScriptRoot 'lib/help-maml.ps1')
. (Join-Path $PSScriptRoot 'lib/help-translation.ps1')

#region Main

if (-not (Test-Path -LiteralPath $ModulePath -PathType Container)) {
    Stop-Build "module folder '$ModulePath' does not exist; build it first (dotnet publish src/CenateBackup.PowerShell -c Release)."
}
$moduleDir = (Resolve-Path -LiteralPath $ModulePath).Path
$manifest = Join-Path $moduleDir "$(Split-Path -Leaf $moduleDir).psd1"
if (-not (Test-Path -LiteralPath $manifest)) {
    $candidates = @(Get-ChildItem -LiteralPath $moduleDir -Filter *.psd1)
    if ($candidates.Count -ne 1) { Stop-Build "no module manifest in '$moduleDir' (expected $(Split-Path -Leaf $manifest))." }
    $manifest = $candidates[0].FullName
}
if (-not (Test-Path -LiteralPath $DocsPath -PathType Container)) { Stop-Build "docs folder '$DocsPath' does not exist." }
$docsDir = (Resolve-Path -LiteralPath $DocsPath).Path
if (-not $Culture) {
    # docs/es-PE gives es-PE help; a folder not named like a culture gives en-US.
    $leaf = Split-Path -Leaf $docsDir
    $Culture = if ($leaf -cmatch '^[a-z]{2,3}-[A-Z]{2}$') { $leaf } else { 'en-US' }
}
$referenceDir = $null
if ($Culture -ne 'en-US') {
    if (-not $ReferenceDocsPath) { $ReferenceDocsPath = Join-Path (Split-Path -Parent $docsDir) 'en-US' }
    if (-not (Test-Path -LiteralPath $ReferenceDocsPath -PathType Container)) {
        Stop-Build "reference docs folder '$ReferenceDocsPath' (the English pages a translation is checked against) does not exist."
    }
    $referenceDir = (Resolve-Path -LiteralPath $ReferenceDocsPath).Path
}
# Where Get-Help finds the file: the culture's folder, and for a translation also its neutral parent (es-ES → es),
# which Get-Help reaches from every es-* culture (es-PE → es-419 → es → en-US).
$cultureFolders = @($Culture)
$neutral = ([cultureinfo]$Culture).Parent.Name
if ($Culture -ne 'en-US' -and $neutral -and $neutral -ne $Culture) { $cultureFolders += $neutral }

try {
    $module = Import-Module -Name $manifest -Force -PassThru -ErrorAction Stop
} catch {
    Stop-Build "importing '$manifest' failed: $($_.Exception.Message)"
}
$commands = @($module.ExportedCmdlets.Values | Sort-Object Name)
if ($commands.Count -eq 0) { Stop-Build "module '$manifest' exports no cmdlets." }

$byHelpFile = [ordered]@{}
foreach ($cmd in $commands) {
    $model = Get-CommandModel $cmd
    $mdPath = Join-Path $docsDir "$($cmd.Name).md"
    $refPath = if ($referenceDir) { Join-Path $referenceDir "$($cmd.Name).md" } else { $null }
    if (-not (Test-Path -LiteralPath $mdPath) -and $AllowMissingTranslation -and $refPath -and (Test-Path -LiteralPath $refPath)) {
        Write-Warning "$($cmd.Name): no '$mdPath' yet; the English page is used (-AllowMissingTranslation)."
        $mdPath = $refPath
    }
    if (-not (Test-Path -LiteralPath $mdPath)) {
        Add-Problem "$($cmd.Name): no markdown file '$mdPath'."
        continue
    }
    $doc = Read-HelpMarkdown $mdPath $cmd.Name
    $file = Split-Path -Leaf $mdPath
    if ($refPath -and $mdPath -ne $refPath) {
        if (Test-Path -LiteralPath $refPath) {
            Compare-HelpTranslation $doc (Read-HelpMarkdown $refPath $cmd.Name) $file "en-US/$file"
        } else { Add-Problem "${file}: translates no English page ('$refPath' does not exist)." }
    }

    $real = @($model.Parameters | ForEach-Object Name)
    foreach ($p in $model.Parameters) {
        if (-not $doc.Parameters.Contains($p.Name)) { Add-Problem "${file}: parameter -$($p.Name) has no '### -$($p.Name)' description." }
        elseif (@($doc.Parameters[$p.Name]).Count -eq 0) { Add-Problem "${file}: parameter -$($p.Name) has an empty description." }
    }
    foreach ($name in $doc.Parameters.Keys) {
        if ($name -in $CommonParameters) { Add-Problem "${file}: -$name is a common parameter; do not document it." }
        elseif ($name -notin $real) { Add-Problem "${file}: documents -$name, which $($cmd.Name) does not have." }
        elseif ($name -cnotin $real) { Add-Problem "${file}: -$name is spelled $(($real | Where-Object { $_ -eq $name }))) by the cmdlet." }
    }
    if ($doc.Examples.Count -lt 2) { Add-Problem "${file}: $($doc.Examples.Count) example(s); at least 2 are required." }
    foreach ($ot in $model.OutputTypes) {
        $short = ($ot.Name -split '\.')[-1]
        if (-not ($doc.Outputs | Where-Object { $_.Type -eq $ot.Name -or $_.Type -eq $short })) {
            Add-Problem "${file}: '## OUTPUTS' does not name [OutputType] $($ot.Name)."
        }
    }
    foreach ($p in $model.Parameters | Where-Object { $_.Pipeline -like '*ByValue*' }) {
        $full = Get-FullTypeName $p.Type; $short = Get-FriendlyTypeName $p.Type
        $element = if ($p.Type.IsArray) { Get-FullTypeName $p.Type.GetElementType() } else { $full }
        if (-not ($doc.Inputs | Where-Object { $_.Type -in @($full, $short, $element, ($element -split '\.')[-1]) })) {
            Add-Problem "${file}: '## INPUTS' does not name $element, which -$($p.Name) takes from the pipeline."
        }
    }

    $helpFile = $cmd.HelpFile
    if (-not $helpFile) { $helpFile = (Split-Path -Leaf $cmd.ImplementingType.Assembly.Location) + '-Help.xml' }
    $key = "$(Split-Path -Parent $cmd.ImplementingType.Assembly.Location)|$(Split-Path -Leaf $helpFile)"
    if (-not $byHelpFile.Contains($key)) { $byHelpFile[$key] = [System.Collections.Generic.List[object]]::new() }
    $byHelpFile[$key].Add(@{ Model = $model; Doc = $doc })
}

foreach ($md in Get-ChildItem -LiteralPath $docsDir -Filter '*-*.md') {
    $name = $md.BaseName
    if ($name -match '^[A-Z][a-z]+-[A-Za-z]+$' -and $name -notin $commands.Name) {
        Write-Warning "$($md.Name): the module exports no cmdlet '$name'; the file is not used."
    }
}

if ($script:Problems.Count -gt 0) {
    foreach ($p in $script:Problems) { $Host.UI.WriteErrorLine("Build-Help: $p") }
    $Host.UI.WriteErrorLine("Build-Help: $($script:Problems.Count) problem(s) in '$docsDir'; no help file was written.")
    exit 1
}

foreach ($key in $byHelpFile.Keys) {
    $assemblyDir, $fileName = $key -split '\|', 2
    $items = $byHelpFile[$key]
    # The module root is where Get-Help looks first (the cmdlets belong to the manifest module); next to the
    # dll is where it looks when the dll was imported on its own. Both get the same file.
    $targets = @(foreach ($folder in $cultureFolders) {
            Join-Path $moduleDir $folder $fileName
            if ([System.IO.Path]::GetFullPath($assemblyDir) -ne [System.IO.Path]::GetFullPath($moduleDir)) {
                Join-Path $assemblyDir $folder $fileName
            }
        })
    foreach ($t in $targets) {
        Write-MamlFile $t $items
        Write-Host "Build-Help: wrote $t ($($items.Count) cmdlet(s): $(($items | ForEach-Object { $_.Model.Name }) -join ', '))"
    }
}

#endregion
