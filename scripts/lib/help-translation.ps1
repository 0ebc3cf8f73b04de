#Requires -Version 7.4
# Build-Help, part 4: a translated page (docs/es-ES/<Cmdlet>.md) checked against the reference page it translates
# (docs/en-US/<Cmdlet>.md), so that a translation cannot drop a parameter or an example or change an example's code.
# Dot-sourced by scripts/Build-Help.ps1 (it runs in that script's scope: Add-Problem comes from there).

#region Translation

# The code of an example as PowerShell's own tokenizer sees it, without comments and line breaks: a translator
# translates the comments and nothing else, so two codes that differ in anything but comments and layout differ here.
function Get-ExampleCodeKey([string]$Code) {
    $tokens = $null; $errors = $null
    $null = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref]$tokens, [ref]$errors)
    $skip = @('Comment', 'NewLine', 'LineContinuation', 'EndOfInput')
    (@($tokens | Where-Object { "$($_.Kind)" -notin $skip } | ForEach-Object Text) -join ' ')
}

# Reports every way the translated page $Doc differs in substance from the reference page $Reference.
function Compare-HelpTranslation($Doc, $Reference, [string]$File, [string]$ReferenceFile) {
    foreach ($name in $Reference.Parameters.Keys) {
        if (-not $Doc.Parameters.Contains($name)) { Add-Problem "${File}: lacks '### -$name', which $ReferenceFile has." }
    }
    foreach ($name in $Doc.Parameters.Keys) {
        if (-not $Reference.Parameters.Contains($name)) { Add-Problem "${File}: documents -$name, which $ReferenceFile does not." }
    }
    if ($Doc.Examples.Count -ne $Reference.Examples.Count) {
        Add-Problem "${File}: $($Doc.Examples.Count) example(s); $ReferenceFile has $($Reference.Examples.Count)."
    }
    $n = [Math]::Min($Doc.Examples.Count, $Reference.Examples.Count)
    for ($i = 0; $i -lt $n; $i++) {
        if ((Get-ExampleCodeKey $Doc.Examples[$i].Code) -cne (Get-ExampleCodeKey $Reference.Examples[$i].Code)) {
            Add-Problem ("${File}: the code of example $($i + 1) ('$($Doc.Examples[$i].Title)') differs from example " +
                "$($i + 1) of $ReferenceFile; translate only its comments.")
        }
    }
    foreach ($kind in 'Inputs', 'Outputs') {
        $mine = @($Doc[$kind] | ForEach-Object Type)
        $theirs = @($Reference[$kind] | ForEach-Object Type)
        if (($mine -join '|') -cne ($theirs -join '|')) {
            Add-Problem "${File}: ## $($kind.ToUpperInvariant()) names $($mine -join ', '); $ReferenceFile names $($theirs -join ', ')."
        }
    }
}

#endregion
