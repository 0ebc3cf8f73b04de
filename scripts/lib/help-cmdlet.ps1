#Requires -Version 7.4
# Build-Help, part 2: what the cmdlet itself knows (parameter sets, types, defaults, [OutputType]).
# Dot-sourced by scripts/Build-Help.ps1 (it runs in that script's scope: $script:Problems, Add-Problem and
# Stop-Build come from there).

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
                Range         = if ($validateRange) { @($validateRange.MinRange, $validateRange.MaxRange) } else { $null }
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

# The sentences of the generated facts, in the language of the help being built (Build-Help sets $FactLanguage
# from -Culture: es for any es-* culture, else en).
$FactTexts = @{
    en = @{ SetOnly = 'Parameter set: {0} only.'; MandatoryIn = 'Mandatory in parameter set: {0}.'
        Values = 'Accepted values: {0}.'; Range = 'Accepted range: {0} to {1}.' }
    es = @{ SetOnly = 'Solo en el conjunto de parámetros: {0}.'
        MandatoryIn = 'Obligatorio en el conjunto de parámetros: {0}.'
        Values = 'Valores aceptados: {0}.'; Range = 'Rango aceptado: de {0} a {1}.' }
}
$FactLanguage = 'en'

# Facts the cmdlet knows and the reader needs, appended to the parameter's description.
function Get-GeneratedFacts($Param, $Model) {
    $t = $FactTexts[$FactLanguage]
    $facts = [System.Collections.Generic.List[string]]::new()
    if ($Model.Sets.Count -gt 1 -and -not $Param.InAllSets) {
        $facts.Add(($t.SetOnly -f (@($Param.Sets.Keys) -join ', ')))
    }
    if ($Model.Sets.Count -gt 1 -and $Param.InAllSets) {
        $mandatoryIn = @($Param.Sets.Keys | Where-Object { $Param.Sets[$_].Mandatory })
        if ($mandatoryIn.Count -gt 0 -and $mandatoryIn.Count -lt $Param.Sets.Count) {
            $facts.Add(($t.MandatoryIn -f ($mandatoryIn -join ', ')))
        }
    }
    if ($Param.ValidValues.Count -gt 0) { $facts.Add(($t.Values -f ($Param.ValidValues -join ', '))) }
    if ($Param.Range) {
        $facts.Add([string]::Format([cultureinfo]::InvariantCulture, $t.Range, $Param.Range[0], $Param.Range[1]))
    }
    $facts -join ' '
}

#endregion
