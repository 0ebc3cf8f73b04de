#Requires -Version 7.4
# Build-Help, part 1: the markdown of one cmdlet (docs/<culture>/<Cmdlet>.md) read into a text model.
# Dot-sourced by scripts/Build-Help.ps1 (it runs in that script's scope: $script:Problems, Add-Problem and
# Stop-Build come from there).

$KnownSections = @('SYNOPSIS', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS')
$SectionsWithSubheadings = @('EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS')

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
