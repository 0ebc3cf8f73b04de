#Requires -Version 7.4
<#
.SYNOPSIS
Builds the MAML help of the CenateBackup cmdlets from the markdown in docs/en-US.

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

Run it in a fresh pwsh after `dotnet publish` (the publish step recreates the module folder):
  pwsh -NoProfile -NonInteractive -File scripts/Build-Help.ps1 -ModulePath out/CenateBackup

.PARAMETER ModulePath
The built module folder (holding CenateBackup.psd1), e.g. out/CenateBackup.

.PARAMETER DocsPath
The folder with one <Cmdlet>.md per cmdlet. Default: docs/en-US of this repository.

.PARAMETER Culture
The culture folder the help file is written to. Default: the name of the DocsPath folder when it is a
culture name such as en-US or es-PE, else en-US.

.EXAMPLE
pwsh -NoProfile -NonInteractive -File scripts/Build-Help.ps1 -ModulePath out/CenateBackup
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory, Position = 0)]
    [ValidateNotNullOrEmpty()]
    [string]$ModulePath,

    [ValidateNotNullOrEmpty()]
    [string]$DocsPath = (Join-Path $PSScriptRoot '../docs/en-US'),

    [ValidatePattern('^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$')]
    [string]$Culture
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$script:Problems = [System.Collections.Generic.List[string]]::new()
function Add-Problem([string]$Message) { $script:Problems.Add($Message) }
function Stop-Build([string]$Message) {
    $Host.UI.WriteErrorLine("Build-Help: $Message")
    exit 1
}

$KnownSections = @('SYNOPSIS', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS')
$SectionsWithSubheadings = @('EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS')
$CommonParameters = [System.Management.Automation.Cmdlet]::CommonParameters

#region Markdown → text model

# Inline markdown becomes plain text, because Get-Help prints to a console: `code` and **bold** lose their
# markers, [text](url) becomes "text (url)", \* becomes *. Anything else stays as written.
function ConvertTo-PlainText([string]$Text) {
    $t = [regex]::Replace($Text, '\[([^\]]+)\]\(([^)\s]+)\)', {
            param($m)
            $label = $m.Groups[1].Value; $url = $m.Groups[2].Value
            if ($url -match '^[a-z]+://' -and $url -ne $label) { "$label ($url)" } else { $label }
        })
    $t = [regex]::Replace($t, '\*\*(.+?)\*\*', '$1')
    $t = [regex]::Replace($t, '__(.+?)__', '$1')
    $t = [regex]::Replace($t, '`([^`]+)`', '$1')
    $t = [regex]::Replace($t, '\\([\\`*_{}\[\]()#+\-.!<>|])', '$1')
    $t.Trim()
}

# Splits the lines of one block into paragraphs (each becomes one <maml:para>):
#   text lines separated by blank lines are joined with spaces (Get-Help wraps them to the console);
#   each list item ("- ", "* ", "1. ") is a paragraph of its own, indented continuation lines included;
#   a fenced code block keeps its lines, indented by four spaces; the fence lines are dropped.
function ConvertTo-Paragraphs([string[]]$Lines) {
    $paras = [System.Collections.Generic.List[string]]::new()
    $current = [System.Collections.Generic.List[string]]::new()
    $flush = {
        if ($current.Count -gt 0) {
            $text = ConvertTo-PlainText ($current -join ' ')
            if ($text) { $paras.Add($text) }
            $current.Clear()
        }
    }
    $inCode = $false
    $code = [System.Collections.Generic.List[string]]::new()
    foreach ($line in $Lines) {
        if ($line -match '^\s*(```|~~~)') {
            if ($inCode) {
                $inCode = $false
                if ($code.Count -gt 0) { $paras.Add((($code | ForEach-Object { '    ' + $_ }) -join "`n")) }
                $code.Clear()
            } else {
                & $flush
                $inCode = $true
            }
            continue
        }
        if ($inCode) { $code.Add($line.TrimEnd()); continue }
        if ($line -match '^\s*$') { & $flush; continue }
        if ($line -match '^\s{0,3}([-*+]|\d+\.)\s+(.*)$') {
            & $flush
            $bullet = $Matches[1]; $itemText = $Matches[2]
            $marker = if ($bullet -match '^\d') { $bullet } else { '-' }
            $current.Add("$marker $itemText")
            continue
        }
        $current.Add($line.Trim())
    }
    & $flush
    if ($inCode -and $code.Count -gt 0) { $paras.Add((($code | ForEach-Object { '    ' + $_ }) -join "`n")) }
    , $paras.ToArray()
}

# Reads one <Cmdlet>.md into a model. Structural problems are reported, not thrown, so one run lists them all.
function Read-HelpMarkdown([string]$Path, [string]$CommandName) {
    $file = Split-Path -Leaf $Path
    $lines = [System.IO.File]::ReadAllLines($Path)
    $start = 0
    # Optional YAML front matter (platyPS writes one) is ignored.
    if ($lines.Count -gt 0 -and $lines[0] -eq '---') {
        for ($i = 1; $i -lt $lines.Count; $i++) { if ($lines[$i] -eq '---') { $start = $i + 1; break } }
    }

    $title = $null
    $sections = [ordered]@{}         # name → lines (sections without sub-headings)
    $subs = [ordered]@{}             # name → ordered list of @{ Heading; Lines }
    $section = $null
    $sub = $null
    $inCode = $false
    for ($i = $start; $i -lt $lines.Count; $i++) {
        $line = $lines[$i]
        if ($line -match '^\s*(```|~~~)') { $inCode = -not $inCode }
        if (-not $inCode) {
            if ($line -match '^#\s+(.+?)\s*$') {
                if ($null -ne $title) { Add-Problem "${file}: a second '# ' title '$($Matches[1])' (line $($i + 1))." }
                $title = $Matches[1]
                continue
            }
            if ($line -match '^##\s+(.+?)\s*$') {
                $name = $Matches[1].ToUpperInvariant()
                $sub = $null
                if ($name -eq 'SYNTAX') {
                    Add-Problem "${file}: remove '## SYNTAX' (line $($i + 1)): the syntax is generated from the cmdlet's parameter sets."
                    $section = $null
                } elseif ($name -notin $KnownSections) {
                    Add-Problem "${file}: unknown section '## $($Matches[1])' (line $($i + 1)); known: $($KnownSections -join ', ')."
                    $section = $null
                } elseif ($sections.Contains($name) -or $subs.Contains($name)) {
                    Add-Problem "${file}: section '## $name' appears twice (line $($i + 1))."
                    $section = $null
                } else {
                    $section = $name
                    if ($name -in $SectionsWithSubheadings) { $subs[$name] = [System.Collections.Generic.List[object]]::new() }
                    else { $sections[$name] = [System.Collections.Generic.List[string]]::new() }
                }
                continue
            }
            if ($line -match '^###\s+(.+?)\s*$') {
                if ($null -eq $section) { continue }
                if ($section -notin $SectionsWithSubheadings) {
                    Add-Problem "${file}: '### $($Matches[1])' (line $($i + 1)) is not allowed in '## $section'."
                    continue
                }
                $sub = @{ Heading = $Matches[1]; Lines = [System.Collections.Generic.List[string]]::new(); Line = $i + 1 }
                $subs[$section].Add($sub)
                continue
            }
            if ($line -match '^#{4,}\s') {
                Add-Problem "${file}: headings below '###' are not supported (line $($i + 1))."
                continue
            }
        }
        if ($null -eq $section) {
            if ($line.Trim() -and $null -eq $title) { Add-Problem "${file}: text before the '# $CommandName' title (line $($i + 1))." }
            continue
        }
        if ($section -in $SectionsWithSubheadings) {
            if ($null -eq $sub) {
                if ($line.Trim()) { Add-Problem "${file}: text in '## $section' before its first '###' heading (line $($i + 1))." }
            } else { $sub.Lines.Add($line) }
        } else { $sections[$section].Add($line) }
    }

    if ($title -ne $CommandName) { Add-Problem "${file}: the title must be '# $CommandName' (found '# $title')." }

    $model = [ordered]@{
        Synopsis    = @()
        Description = @()
        Examples    = [System.Collections.Generic.List[object]]::new()
        Parameters  = [ordered]@{}
        Inputs      = [System.Collections.Generic.List[object]]::new()
        Outputs     = [System.Collections.Generic.List[object]]::new()
        Notes       = @()
        Links       = [System.Collections.Generic.List[object]]::new()
    }
    if ($sections.Contains('SYNOPSIS')) { $model.Synopsis = ConvertTo-Paragraphs $sections['SYNOPSIS'] }
    if ($sections.Contains('DESCRIPTION')) { $model.Description = ConvertTo-Paragraphs $sections['DESCRIPTION'] }
    if ($sections.Contains('NOTES')) { $model.Notes = ConvertTo-Paragraphs $sections['NOTES'] }
    if ($model.Synopsis.Count -eq 0) { Add-Problem "${file}: '## SYNOPSIS' is missing or empty." }
    elseif ($model.Synopsis.Count -gt 1) { Add-Problem "${file}: '## SYNOPSIS' must be one paragraph." }
    if ($model.Description.Count -eq 0) { Add-Problem "${file}: '## DESCRIPTION' is missing or empty." }

    if ($sections.Contains('RELATED LINKS')) {
        foreach ($line in $sections['RELATED LINKS']) {
            if ($line -match '^\s*[-*+]\s+(.+?)\s*$') {
                $item = $Matches[1]
                if ($item -match '^\[([^\]]+)\]\(([^)\s]*)\)$') {
                    $linkText = $Matches[1]; $target = $Matches[2]
                    # A link to another page (Test-CenateBackup.md) keeps only its text; Get-Help finds that topic by name.
                    $uri = if ($target -match '^[a-z]+://') { $target } else { '' }
                    $model.Links.Add(@{ Text = $linkText; Uri = $uri })
                } elseif ($item -match '^<?([a-z]+://[^>\s]+)>?$') {
                    $address = $Matches[1]
                    $model.Links.Add(@{ Text = $address; Uri = $address })
                } else {
                    $model.Links.Add(@{ Text = (ConvertTo-PlainText $item); Uri = '' })
                }
            } elseif ($line.Trim()) {
                Add-Problem "${file}: '## RELATED LINKS' takes list items ('- [text](url)'), found: $($line.Trim())"
            }
        }
    }

    if ($subs.Contains('EXAMPLES')) {
        foreach ($ex in $subs['EXAMPLES']) {
            $code = [System.Collections.Generic.List[string]]::new()
            $rest = [System.Collections.Generic.List[string]]::new()
            $fence = $null
            $block = $null
            foreach ($line in $ex.Lines) {
                if ($null -eq $fence -and $line -match '^\s*(```|~~~)\s*([\w-]*)') {
                    $fence = $Matches[1]
                    # powershell/ps/pwsh/no language: the example's code; anything else (output, text): shown in the remarks.
                    $isCode = $Matches[2] -in @('', 'powershell', 'ps', 'pwsh', 'ps1')
                    $block = @{ Code = $isCode; Lines = [System.Collections.Generic.List[string]]::new() }
                    continue
                }
                if ($null -ne $fence -and $line -match "^\s*$([regex]::Escape($fence))\s*$") {
                    if ($block.Code) {
                        if ($code.Count -gt 0) { $code.Add('') }
                        $code.AddRange($block.Lines)
                    } else {
                        $rest.Add('```'); $rest.AddRange($block.Lines); $rest.Add('```')
                    }
                    $fence = $null
                    continue
                }
                if ($null -ne $fence) { $block.Lines.Add($line.TrimEnd()) } else { $rest.Add($line) }
            }
            if ($null -ne $fence) { Add-Problem "${file}: example '$($ex.Heading)' has an unclosed code fence." }
            $codeText = ($code -join "`n").Trim("`n")
            if (-not $codeText.Trim()) { Add-Problem ("${file}: example '$($ex.Heading)' (line $($ex.Line)) has no " + '```powershell code block.') }
            $model.Examples.Add(@{ Title = $ex.Heading; Code = $codeText; Remarks = (ConvertTo-Paragraphs $rest.ToArray()) })
        }
    }

    if ($subs.Contains('PARAMETERS')) {
        foreach ($p in $subs['PARAMETERS']) {
            if ($p.Heading -notmatch '^-([A-Za-z][\w]*)$') {
                Add-Problem "${file}: parameter heading '### $($p.Heading)' (line $($p.Line)) must be '### -Name'."
                continue
            }
            $name = $Matches[1]
            if ($model.Parameters.Contains($name)) { Add-Problem "${file}: parameter -$name is documented twice."; continue }
            $model.Parameters[$name] = ConvertTo-Paragraphs $p.Lines.ToArray()
        }
    }

    foreach ($kind in 'INPUTS', 'OUTPUTS') {
        if (-not $subs.Contains($kind)) { Add-Problem "${file}: '## $kind' is missing (use '### None' when there is nothing)."; continue }
        foreach ($t in $subs[$kind]) {
            $entry = @{ Type = (ConvertTo-PlainText $t.Heading); Description = (ConvertTo-Paragraphs $t.Lines.ToArray()) }
            if ($kind -eq 'INPUTS') { $model.Inputs.Add($entry) } else { $model.Outputs.Add($entry) }
        }
        if (($kind -eq 'INPUTS' -and $model.Inputs.Count -eq 0) -or ($kind -eq 'OUTPUTS' -and $model.Outputs.Count -eq 0)) {
            Add-Problem "${file}: '## $kind' has no '### TypeName' entry (use '### None' when there is nothing)."
        }
    }
    $model
}

#endregion

#region Cmdlet metadata

function Get-FriendlyTypeName([type]$Type) {
    $u = [Nullable]::GetUnderlyingType($Type)
    if ($u) { $Type = $u }
    $Type.Name
}

function Get-FullTypeName([type]$Type) {
    $u = [Nullable]::GetUnderlyingType($Type)
    if ($u) { $Type = $u }
    if ($Type.IsArray) { return (Get-FullTypeName $Type.GetElementType()) + '[]' }
    $Type.FullName
}

function Format-DefaultValue($Value) {
    if ($null -eq $Value) { return 'None' }
    if ($Value -is [System.Management.Automation.SwitchParameter]) { return [string][bool]$Value }
    if ($Value -is [string]) { if ($Value) { return $Value } else { return 'None' } }
    if ($Value -is [System.Collections.IEnumerable]) {
        $items = @($Value | ForEach-Object { [System.Convert]::ToString($_, [cultureinfo]::InvariantCulture) })
        if ($items.Count -eq 0) { return 'None' } else { return $items -join ', ' }
    }
    [System.Convert]::ToString($Value, [cultureinfo]::InvariantCulture)
}

# Default values as the cmdlet really has them: a fresh instance of the cmdlet class, property by property.
function Get-DefaultValues([System.Management.Automation.CmdletInfo]$Command) {
    $defaults = @{}
    $type = $Command.ImplementingType
    $instance = $null
    try {
        $instance = [System.Activator]::CreateInstance($type)
        foreach ($name in $Command.Parameters.Keys) {
            $flags = [System.Reflection.BindingFlags]'Public, Instance'
            $prop = $type.GetProperty($name, $flags)
            if ($prop) { $defaults[$name] = Format-DefaultValue $prop.GetValue($instance); continue }
            $field = $type.GetField($name, $flags)
            if ($field) { $defaults[$name] = Format-DefaultValue $field.GetValue($instance) }
        }
    } catch {
        Write-Warning "$($Command.Name): default values could not be read ($($_.Exception.Message)); they are shown as None."
    } finally {
        if ($instance -is [System.IDisposable]) { $instance.Dispose() }
    }
    $defaults
}

function Get-CommandModel([System.Management.Automation.CmdletInfo]$Command) {
    $defaults = Get-DefaultValues $Command
    $allSets = @($Command.ParameterSets | ForEach-Object Name)
    $params = [System.Collections.Generic.List[object]]::new()
    foreach ($p in $Command.Parameters.Values) {
        if ($p.Name -in $CommonParameters) { continue }
        $attrs = @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
        # "__AllParameterSets" means every set.
        $sets = [ordered]@{}
        foreach ($a in $attrs) {
            $names = if ($a.ParameterSetName -eq [System.Management.Automation.ParameterAttribute]::AllParameterSets) { $allSets } else { @($a.ParameterSetName) }
            foreach ($n in $names) { $sets[$n] = $a }
        }
        $byValue = [bool]($attrs | Where-Object ValueFromPipeline)
        $byName = [bool]($attrs | Where-Object ValueFromPipelineByPropertyName)
        $pipeline = if ($byValue -and $byName) { 'True (ByValue, ByPropertyName)' } elseif ($byValue) { 'True (ByValue)' } elseif ($byName) { 'True (ByPropertyName)' } else { 'False' }
        $positions = @($attrs | Where-Object { $_.Position -ge 0 } | ForEach-Object Position | Select-Object -Unique)
        $validateSet = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
        $validateRange = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateRangeAttribute] } | Select-Object -First 1
        $isSwitch = $p.ParameterType -eq [System.Management.Automation.SwitchParameter]
        # (An if-expression would turn an empty array into $null.)
        $validValues = [string[]]@()
        if ($validateSet) { $validValues = [string[]]@($validateSet.ValidValues) }
        # Required in the parameter list means: in every set it belongs to (the syntax shows it per set).
        $mandatory = @($sets.Values | Where-Object Mandatory)
        $params.Add([pscustomobject]@{
                Name          = $p.Name
                Type          = $p.ParameterType
                IsSwitch      = $isSwitch
                Sets          = $sets
                InAllSets     = ($sets.Count -eq $allSets.Count)
                Required      = ($mandatory.Count -gt 0 -and $mandatory.Count -eq $sets.Count)
                Position      = if ($positions.Count -gt 0) { [string]$positions[0] } else { 'named' }
                Pipeline      = $pipeline
                Aliases       = @($p.Aliases)
                Default       = if ($defaults.ContainsKey($p.Name)) { $defaults[$p.Name] } else { if ($isSwitch) { 'False' } else { 'None' } }
                ValidValues   = $validValues
                Range         = if ($validateRange) { "$($validateRange.MinRange) to $($validateRange.MaxRange)" } else { $null }
                Globbing      = [bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
            })
    }
    [pscustomobject]@{
        Name        = $Command.Name
        Verb        = $Command.Verb
        Noun        = $Command.Noun
        Sets        = $allSets
        DefaultSet  = $Command.DefaultParameterSet
        Parameters  = $params
        OutputTypes = @($Command.OutputType)
        Command     = $Command
    }
}

# Facts the cmdlet knows and the reader needs, appended to the parameter's description.
function Get-GeneratedFacts($Param, $Model) {
    $facts = [System.Collections.Generic.List[string]]::new()
    if ($Model.Sets.Count -gt 1 -and -not $Param.InAllSets) {
        $facts.Add("Parameter set: $(@($Param.Sets.Keys) -join ', ') only.")
    }
    if ($Model.Sets.Count -gt 1 -and $Param.InAllSets) {
        $mandatoryIn = @($Param.Sets.Keys | Where-Object { $Param.Sets[$_].Mandatory })
        if ($mandatoryIn.Count -gt 0 -and $mandatoryIn.Count -lt $Param.Sets.Count) { $facts.Add("Mandatory in parameter set: $($mandatoryIn -join ', ').") }
    }
    if ($Param.ValidValues.Count -gt 0) { $facts.Add("Accepted values: $($Param.ValidValues -join ', ').") }
    if ($Param.Range) { $facts.Add("Accepted range: $($Param.Range).") }
    $facts -join ' '
}

#endregion

#region MAML

$NsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$NsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$NsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'

function Write-Paras([System.Xml.XmlWriter]$W, [string[]]$Paras) {
    foreach ($para in $Paras) { $W.WriteElementString('maml', 'para', $NsMaml, $para) }
}

function Write-Description([System.Xml.XmlWriter]$W, [string[]]$Paras) {
    $W.WriteStartElement('maml', 'description', $NsMaml)
    Write-Paras $W $Paras
    $W.WriteEndElement()
}

function Write-Type([System.Xml.XmlWriter]$W, [string]$Name) {
    $W.WriteStartElement('dev', 'type', $NsDev)
    $W.WriteElementString('maml', 'name', $NsMaml, $Name)
    $W.WriteElementString('maml', 'uri', $NsMaml, '')
    $W.WriteEndElement()
}

function Write-Parameter([System.Xml.XmlWriter]$W, $Param, [bool]$Required, [string]$Position, [string[]]$Description, [bool]$ForSyntax) {
    $W.WriteStartElement('command', 'parameter', $NsCommand)
    $W.WriteAttributeString('required', $Required.ToString().ToLowerInvariant())
    $W.WriteAttributeString('variableLength', $Param.Type.IsArray.ToString().ToLowerInvariant())
    $W.WriteAttributeString('globbing', $Param.Globbing.ToString().ToLowerInvariant())
    $W.WriteAttributeString('pipelineInput', $Param.Pipeline)
    $W.WriteAttributeString('position', $Position)
    $W.WriteAttributeString('aliases', $(if ($Param.Aliases.Count) { $Param.Aliases -join ', ' } else { 'none' }))
    $W.WriteElementString('maml', 'name', $NsMaml, $Param.Name)
    if (-not $ForSyntax) { Write-Description $W $Description }
    if ($ForSyntax -and $Param.ValidValues.Count -gt 0) {
        # Shown by Get-Help as -Format {Custom | Plain}.
        $W.WriteStartElement('command', 'parameterValueGroup', $NsCommand)
        foreach ($v in $Param.ValidValues) {
            $W.WriteStartElement('command', 'parameterValue', $NsCommand)
            $W.WriteAttributeString('required', 'false')
            $W.WriteAttributeString('variableLength', 'false')
            $W.WriteString($v)
            $W.WriteEndElement()
        }
        $W.WriteEndElement()
    } elseif (-not ($ForSyntax -and $Param.IsSwitch)) {
        # A switch has no value in the syntax ([-DataOnly]); in the parameter list it shows [<SwitchParameter>].
        $W.WriteStartElement('command', 'parameterValue', $NsCommand)
        $W.WriteAttributeString('required', $(if ($Param.IsSwitch) { 'false' } else { 'true' }))
        $W.WriteAttributeString('variableLength', $Param.Type.IsArray.ToString().ToLowerInvariant())
        $W.WriteString((Get-FriendlyTypeName $Param.Type))
        $W.WriteEndElement()
    }
    Write-Type $W (Get-FullTypeName $Param.Type)
    $W.WriteElementString('dev', 'defaultValue', $NsDev, $Param.Default)
    $W.WriteEndElement()
}

function Write-Command([System.Xml.XmlWriter]$W, $Model, $Doc) {
    $W.WriteStartElement('command', 'command', $NsCommand)
    $W.WriteAttributeString('xmlns', 'maml', $null, $NsMaml)
    $W.WriteAttributeString('xmlns', 'command', $null, $NsCommand)
    $W.WriteAttributeString('xmlns', 'dev', $null, $NsDev)

    $W.WriteStartElement('command', 'details', $NsCommand)
    $W.WriteElementString('command', 'name', $NsCommand, $Model.Name)
    Write-Description $W $Doc.Synopsis
    $W.WriteElementString('command', 'verb', $NsCommand, $Model.Verb)
    $W.WriteElementString('command', 'noun', $NsCommand, $Model.Noun)
    $W.WriteEndElement()

    Write-Description $W $Doc.Description

    # One syntax item per parameter set, default set first; positional, then mandatory, then the rest, then
    # -WhatIf/-Confirm, as Get-Command -Syntax orders them.
    $W.WriteStartElement('command', 'syntax', $NsCommand)
    $orderedSets = @($Model.Sets | Sort-Object { $_ -ne $Model.DefaultSet }, { [array]::IndexOf($Model.Sets, $_) })
    foreach ($set in $orderedSets) {
        $W.WriteStartElement('command', 'syntaxItem', $NsCommand)
        $W.WriteElementString('maml', 'name', $NsMaml, $Model.Name)
        $inSet = @($Model.Parameters | Where-Object { $_.Sets.Contains($set) })
        $index = 0
        $sorted = $inSet | ForEach-Object { $a = $_.Sets[$set]; [pscustomobject]@{ P = $_; A = $a; I = $index++ } } |
            Sort-Object @{ e = { if ($_.A.Position -ge 0) { 0 } elseif ($_.P.Name -in 'WhatIf', 'Confirm') { 3 } elseif ($_.A.Mandatory) { 1 } else { 2 } } },
            @{ e = { if ($_.A.Position -ge 0) { $_.A.Position } else { $_.I } } }
        foreach ($s in $sorted) {
            $pos = if ($s.A.Position -ge 0) { [string]$s.A.Position } else { 'named' }
            Write-Parameter $W $s.P $s.A.Mandatory $pos @() $true
        }
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'parameters', $NsCommand)
    # In the order the markdown documents them: the author puts the important ones first.
    $docOrder = @($Doc.Parameters.Keys)
    foreach ($p in ($Model.Parameters | Sort-Object { $i = [array]::IndexOf($docOrder, $_.Name); if ($i -lt 0) { [int]::MaxValue } else { $i } })) {
        $paras = [System.Collections.Generic.List[string]]::new()
        $paras.AddRange([string[]]@($Doc.Parameters[$p.Name]))
        $facts = Get-GeneratedFacts $p $Model
        if ($facts) { $paras.Add($facts) }
        Write-Parameter $W $p $p.Required $p.Position $paras.ToArray() $false
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'inputTypes', $NsCommand)
    foreach ($i in $Doc.Inputs) {
        $W.WriteStartElement('command', 'inputType', $NsCommand)
        Write-Type $W $i.Type
        Write-Description $W $i.Description
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'returnValues', $NsCommand)
    foreach ($o in $Doc.Outputs) {
        $W.WriteStartElement('command', 'returnValue', $NsCommand)
        Write-Type $W $o.Type
        Write-Description $W $o.Description
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('maml', 'alertSet', $NsMaml)
    $W.WriteStartElement('maml', 'alert', $NsMaml)
    Write-Paras $W $Doc.Notes
    $W.WriteEndElement()
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'examples', $NsCommand)
    $n = 0
    foreach ($e in $Doc.Examples) {
        $n++
        $W.WriteStartElement('command', 'example', $NsCommand)
        $W.WriteElementString('maml', 'title', $NsMaml, "--------- $($e.Title) ---------")
        $W.WriteElementString('dev', 'code', $NsDev, $e.Code)
        $W.WriteStartElement('dev', 'remarks', $NsDev)
        # The empty paragraph keeps a blank line between one example's text and the next example's title.
        Write-Paras $W (@($e.Remarks) + '')
        $W.WriteEndElement()
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'relatedLinks', $NsCommand)
    foreach ($l in $Doc.Links) {
        $W.WriteStartElement('maml', 'navigationLink', $NsMaml)
        $W.WriteElementString('maml', 'linkText', $NsMaml, $l.Text)
        $W.WriteElementString('maml', 'uri', $NsMaml, $l.Uri)
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteEndElement()
}

function Write-MamlFile([string]$Path, [object[]]$Items) {
    $settings = [System.Xml.XmlWriterSettings]::new()
    $settings.Indent = $true
    $settings.Encoding = [System.Text.UTF8Encoding]::new($false)
    $settings.NewLineChars = "`n"
    $dir = Split-Path -Parent $Path
    [void][System.IO.Directory]::CreateDirectory($dir)
    $partial = "$Path.partial"
    try {
        $w = [System.Xml.XmlWriter]::Create($partial, $settings)
        try {
            $w.WriteStartDocument()
            $w.WriteStartElement('helpItems', 'http://msh')
            $w.WriteAttributeString('schema', 'maml')
            foreach ($item in $Items) { Write-Command $w $item.Model $item.Doc }
            $w.WriteEndElement()
            $w.WriteEndDocument()
        } finally { $w.Dispose() }
        # Proves the file is well-formed before it replaces the old one.
        $xml = [xml]::new(); $xml.Load($partial)
        [System.IO.File]::Move($partial, $Path, $true)
    } finally {
        if (Test-Path -LiteralPath $partial) { Remove-Item -LiteralPath $partial -Force }
    }
}

#endregion

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
    if (-not (Test-Path -LiteralPath $mdPath)) {
        Add-Problem "$($cmd.Name): no markdown file '$mdPath'."
        continue
    }
    $doc = Read-HelpMarkdown $mdPath $cmd.Name
    $file = Split-Path -Leaf $mdPath

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
    $targets = @((Join-Path $moduleDir $Culture $fileName))
    if ([System.IO.Path]::GetFullPath($assemblyDir) -ne [System.IO.Path]::GetFullPath($moduleDir)) {
        $targets += Join-Path $assemblyDir $Culture $fileName
    }
    foreach ($t in $targets) {
        Write-MamlFile $t $items
        Write-Host "Build-Help: wrote $t ($($items.Count) cmdlet(s): $(($items | ForEach-Object { $_.Model.Name }) -join ', '))"
    }
}

#endregion
