#Requires -Version 7.4
# Build-Help, part 3: the MAML XML that Get-Help reads, written from the cmdlet's model and its markdown.
# Dot-sourced by scripts/Build-Help.ps1 (it runs in that script's scope: $script:Problems, Add-Problem and
# Stop-Build come from there).

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
