#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Spanish help, as an admin in Peru sees it: Get-Help -Full in a fresh pwsh whose language is Spanish (LANG=es_PE.UTF-8,
# or [cultureinfo]::CurrentUICulture = 'es-ES') shows the words of docs/es-ES for EVERY exported cmdlet, with all its
# parameters and the same examples as docs/en-US; English stays English. And Build-Help refuses a translation that
# drops a parameter or an example or changes an example's code (exit 1, no help file written).
# Needs no database, Docker or PostgreSQL tools.

BeforeDiscovery {
    $path = $env:CENATE_MODULE_PATH
    if (-not $path) { $path = Join-Path $PSScriptRoot '../../out/CenateBackup/CenateBackup.psd1' }
    if (Test-Path -LiteralPath $path -PathType Container) { $path = Join-Path $path 'CenateBackup.psd1' }
    # A module that is not built fails discovery, and so the run: help is never skipped silently.
    $module = Import-Module -Name $path -Force -PassThru -ErrorAction Stop
    $Names = @($module.ExportedCmdlets.Keys | Sort-Object)
    $Cultures = @(
        @{ How = 'LANG=es_PE.UTF-8'; Lang = 'es_PE.UTF-8'; Set = ''; Folder = 'es'; Spanish = $true }
        @{ How = 'CurrentUICulture es-ES'; Lang = 'en_US.UTF-8'; Set = "[cultureinfo]::CurrentUICulture = 'es-ES'"
            Folder = 'es-ES'; Spanish = $true }
        @{ How = 'LANG=en_US.UTF-8'; Lang = 'en_US.UTF-8'; Set = ''; Folder = 'en-US'; Spanish = $false }
    )
}

BeforeAll {
    $script:ManifestPath = $env:CENATE_MODULE_PATH
    if (-not $ManifestPath) {
        $script:ManifestPath = Join-Path $PSScriptRoot '../../out/CenateBackup/CenateBackup.psd1'
    }
    if (Test-Path -LiteralPath $ManifestPath -PathType Container) {
        $script:ManifestPath = Join-Path $ManifestPath 'CenateBackup.psd1'
    }
    $script:ManifestPath = (Resolve-Path -LiteralPath $ManifestPath).Path
    $imported = Import-Module -Name $ManifestPath -Force -PassThru -ErrorAction Stop
    $script:AllNames = @($imported.ExportedCmdlets.Keys | Sort-Object)
    $script:Repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:DocsEn = Join-Path $Repo 'docs/en-US'
    $script:DocsEs = Join-Path $Repo 'docs/es-ES'

    # The pages are read with Build-Help's own markdown reader (the text a page gives Get-Help); a problem it finds
    # fails the test that read the page.
    function Add-Problem([string]$Message) { throw "markdown problem: $Message" }
    . (Join-Path $Repo 'scripts/lib/help-markdown.ps1')
    . (Join-Path $Repo 'scripts/lib/help-translation.ps1')
    function Read-Page([string]$Folder, [string]$Name) { Read-HelpMarkdown (Join-Path $Folder "$Name.md") $Name }
    function Format-Words([string[]]$Text) { (($Text -join ' ') -replace '\s+', ' ').Trim() }

    function Invoke-Pwsh([string]$ScriptPath, [hashtable]$Environment, [string[]]$Arguments = @()) {
        # pwsh installed as a dotnet tool runs as `dotnet pwsh.dll`: start the same host the same way.
        $psi = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
        if ((Split-Path -Leaf ([Environment]::ProcessPath)) -like 'dotnet*') {
            $psi.ArgumentList.Add([Environment]::GetCommandLineArgs()[0])
        }
        foreach ($a in @('-NoProfile', '-NonInteractive', '-File', $ScriptPath) + $Arguments) {
            $psi.ArgumentList.Add($a)
        }
        $psi.Environment['NO_COLOR'] = '1'
        [void]$psi.Environment.Remove('LC_ALL'); [void]$psi.Environment.Remove('LC_MESSAGES')
        foreach ($k in $Environment.Keys) { $psi.Environment[$k] = [string]$Environment[$k] }
        $psi.UseShellExecute = $false; $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
        $p = [Diagnostics.Process]::Start($psi)
        $out = $p.StandardOutput.ReadToEndAsync(); $err = $p.StandardError.ReadToEndAsync()
        if (-not $p.WaitForExit(300000)) {
            try { $p.Kill($true) } catch { }
            throw "child pwsh ($ScriptPath) did not finish in 300 s"
        }
        $p.WaitForExit()
        [pscustomobject]@{ ExitCode = $p.ExitCode; StdOut = $out.Result; StdErr = $err.Result }
    }

    # What Get-Help -Full shows for every cmdlet in a fresh pwsh, as JSON (one child per culture, run once).
    $script:HelpSeen = @{}
    function Get-HelpSeen([hashtable]$Culture) {
        if ($HelpSeen.ContainsKey($Culture.How)) { return $HelpSeen[$Culture.How] }
        $json = Join-Path $TestDrive "help-$($Culture.Folder).json"
        $script = Join-Path $TestDrive "help-$($Culture.Folder).ps1"
        Set-Content -LiteralPath $script -Encoding utf8 -Value @"
`$ErrorActionPreference = 'Stop'
$($Culture.Set)
`$m = Import-Module '$ManifestPath' -PassThru
`$text = { param(`$v)
    (@(`$v) | ForEach-Object { if (`$_ -is [string]) { `$_ } elseif (`$null -ne `$_) { `$_.Text } }) -join "``n" }
@(foreach (`$name in (`$m.ExportedCmdlets.Keys | Sort-Object)) {
    `$h = Get-Help -Name `$name -Full
    [ordered]@{
        Name = `$name; UICulture = "`$PSUICulture"; HelpFile = (Get-Command `$name).HelpFile
        Synopsis = "`$(`$h.Synopsis)"; Description = (& `$text `$h.description)
        Parameters = @(`$h.parameters.parameter |
            ForEach-Object { [ordered]@{ Name = `$_.name; Text = (& `$text `$_.description) } })
        Examples = @(`$h.examples.example |
            ForEach-Object { [ordered]@{ Title = "`$(`$_.title)"; Code = "`$(`$_.code)" } })
    }
}) | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath '$json' -Encoding utf8
"@
        $run = Invoke-Pwsh $script @{ LANG = $Culture.Lang }
        $run.StdErr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $byName = @{}
        foreach ($h in @(Get-Content -Raw -LiteralPath $json | ConvertFrom-Json)) { $byName[$h.Name] = $h }
        $HelpSeen[$Culture.How] = $byName
        $byName
    }
}

Describe 'Help in <How>' -ForEach $Cultures {
    BeforeAll {
        $script:Seen = Get-HelpSeen @{ How = $How; Lang = $Lang; Set = $Set; Folder = $Folder }
        $script:Docs = if ($Spanish) { $DocsEs } else { $DocsEn }
        $script:ModuleBase = Split-Path -Parent $ManifestPath
    }

    It 'is read from <Folder> of the module' {
        # Get-Help records the full path of the help file on the cmdlet that loaded it (the first one asked); the
        # others are served from that loaded file and keep the bare file name. Their words are checked below.
        $Seen.Count | Should -Be $AllNames.Count
        $expected = Join-Path $ModuleBase $Folder 'CenateBackup.PowerShell.dll-Help.xml'
        $Seen[$AllNames[0]].HelpFile | Should -Be $expected
        foreach ($name in $AllNames) {
            $Seen[$name].HelpFile | Should -BeIn @($expected, 'CenateBackup.PowerShell.dll-Help.xml') -Because $name
        }
    }

    It 'shows the synopsis and description of docs/<Folder> for <_>' -ForEach $Names {
        $name = $_
        $page = Read-Page $Docs $name
        $h = $Seen[$name]
        Format-Words $h.Synopsis | Should -BeExactly (Format-Words $page.Synopsis)
        Format-Words $h.Description | Should -BeExactly (Format-Words $page.Description)
        if ($Spanish) {
            # The Spanish page says something else than the English one (not a copy left untranslated).
            Format-Words $h.Synopsis | Should -Not -Be (Format-Words (Read-Page $DocsEn $name).Synopsis)
        }
    }

    It 'shows every parameter of <_>, described in its language' -ForEach $Names {
        $name = $_
        $page = Read-Page $Docs $name
        $common = [System.Management.Automation.Cmdlet]::CommonParameters
        $real = @((Get-Command $name).Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $shown = @($Seen[$name].Parameters)
        @($shown.Name | Sort-Object) | Should -Be $real
        foreach ($p in $shown) {
            # Build-Help appends the parameter set, accepted values and range sentences; the page's words come first.
            $text = Format-Words $p.Text
            $words = Format-Words $page.Parameters[$p.Name]
            $because = "-$($p.Name) of $name"
            $text.Substring(0, [Math]::Min($text.Length, $words.Length)) | Should -BeExactly $words -Because $because
            if ($Spanish) {
                $english = 'Parameter set:|Mandatory in parameter set:|Accepted values:|Accepted range:'
                $text | Should -Not -Match $english -Because $because
            }
        }
    }

    It 'shows the examples of <_>: the English ones, in the same order, with the same code' -ForEach $Names {
        $name = $_
        $page = Read-Page $Docs $name
        $english = Read-Page $DocsEn $name
        $shown = @($Seen[$name].Examples)
        $shown.Count | Should -Be $english.Examples.Count
        for ($i = 0; $i -lt $shown.Count; $i++) {
            $shown[$i].Title | Should -Match ([regex]::Escape($page.Examples[$i].Title))
            $shown[$i].Code.Trim() | Should -BeExactly $page.Examples[$i].Code.Trim()
            $englishKey = Get-ExampleCodeKey $english.Examples[$i].Code
            Get-ExampleCodeKey $shown[$i].Code | Should -BeExactly $englishKey -Because "example $($i + 1) of $name"
        }
    }
}

Describe 'Build-Help with a translation that drops or changes something' {
    BeforeAll {
        # A copy of the built module in TestDrive: Build-Help writes (or must not write) its Spanish help there.
        $null = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'module')
        $script:ModuleCopy = Join-Path $TestDrive 'module/CenateBackup'
        Copy-Item -Recurse -LiteralPath (Split-Path -Parent $ManifestPath) -Destination $ModuleCopy
        Test-Path -LiteralPath (Join-Path $ModuleCopy 'CenateBackup.psd1') | Should -BeTrue
        $script:BuildHelp = Join-Path $Repo 'scripts/Build-Help.ps1'

        # A fresh copy of docs/en-US and docs/es-ES (a page not translated yet in this checkout is the English one,
        # so that only what a test breaks is wrong) and a module copy without Spanish help.
        function New-DocsCopy([string]$Name) {
            $root = Join-Path $TestDrive $Name
            Copy-Item -Recurse -LiteralPath $DocsEn -Destination (Join-Path $root 'en-US')
            $es = Join-Path $root 'es-ES'
            Copy-Item -Recurse -LiteralPath $DocsEs -Destination $es
            foreach ($page in Get-ChildItem -LiteralPath $DocsEn -Filter '*-*.md') {
                if (-not (Test-Path -LiteralPath (Join-Path $es $page.Name))) {
                    Copy-Item -LiteralPath $page.FullName -Destination $es
                }
            }
            $es
        }
        function Get-SpanishHelpFiles {
            @(Get-ChildItem -LiteralPath $ModuleCopy -Recurse -Filter '*-Help.xml' |
                    Where-Object { $_.Directory.Name -like 'es*' })
        }
        function Invoke-BuildHelp([string]$EsDocs) {
            Get-ChildItem -LiteralPath $ModuleCopy -Recurse -Directory | Where-Object Name -like 'es*' |
                Remove-Item -Recurse -Force
            $run = Invoke-Pwsh $BuildHelp @{ LANG = 'C.UTF-8' } @('-ModulePath', $ModuleCopy, '-DocsPath', $EsDocs)
            $run | Add-Member -PassThru -NotePropertyName Written -NotePropertyValue @(Get-SpanishHelpFiles)
        }
        # Removes the lines of one '### <heading>' block (up to the next '##'/'###' heading outside code) from a page.
        function Remove-Block([string]$Page, [string]$Heading) {
            $lines = [System.IO.File]::ReadAllLines($Page)
            $start = [array]::IndexOf($lines, "### $Heading")
            $start | Should -BeGreaterOrEqual 0 -Because "'### $Heading' is in $Page"
            $end = $start + 1; $inCode = $false
            while ($end -lt $lines.Count) {
                if ($lines[$end] -match '^\s*```') { $inCode = -not $inCode }
                if (-not $inCode -and $lines[$end] -match '^##') { break }
                $end++
            }
            $kept = $lines[0..($start - 1)] + $lines[$end..($lines.Count - 1)]
            [System.IO.File]::WriteAllLines($Page, [string[]]$kept)
        }
        $script:Page = 'Get-CenateBackup'
    }

    It 'builds the complete translation, also with a comment translated or added in an example (control)' {
        # Each Build-Help run costs a module import: the control also carries the one change that must pass.
        $es = New-DocsCopy 'complete'
        $file = Join-Path $es "$Page.md"
        $text = [System.IO.File]::ReadAllText($file)
        $i = $text.IndexOf('```powershell') + '```powershell'.Length
        [System.IO.File]::WriteAllText($file, $text.Insert($i, "`n# un comentario en español"))
        $run = Invoke-BuildHelp $es
        $run.StdErr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $rel = @($run.Written | ForEach-Object { [System.IO.Path]::GetRelativePath($ModuleCopy, $_.FullName) } |
                Sort-Object)
        $rel | Should -Be @('bin/es-ES/CenateBackup.PowerShell.dll-Help.xml',
            'bin/es/CenateBackup.PowerShell.dll-Help.xml',
            'es-ES/CenateBackup.PowerShell.dll-Help.xml', 'es/CenateBackup.PowerShell.dll-Help.xml')
    }

    It 'fails, writing nothing, when a Spanish page lacks a parameter the English page has' {
        $es = New-DocsCopy 'noparam'
        Remove-Block (Join-Path $es "$Page.md") '-Newest'
        $run = Invoke-BuildHelp $es
        $run.ExitCode | Should -Be 1
        $run.StdErr | Should -Match "$Page\.md: lacks '### -Newest', which en-US/$Page\.md has"
        $run.Written | Should -BeNullOrEmpty
    }

    It 'fails, writing nothing, when a Spanish page lacks an example the English page has' {
        $es = New-DocsCopy 'noexample'
        $file = Join-Path $es "$Page.md"
        $last = @(Get-Content -LiteralPath $file | Where-Object { $_ -match '^### (Ejemplo|Example) ' })[-1]
        Remove-Block $file $last.Substring(4)
        $run = Invoke-BuildHelp $es
        $run.ExitCode | Should -Be 1
        $run.StdErr | Should -Match "$Page\.md: \d+ example\(s\); en-US/$Page\.md has \d+"
        $run.Written | Should -BeNullOrEmpty
    }

    It 'fails, writing nothing, when the code of an example was changed or a cmdlet has no Spanish page' {
        $es = New-DocsCopy 'code'
        $file = Join-Path $es "$Page.md"
        $text = [System.IO.File]::ReadAllText($file)
        $i = $text.IndexOf('```powershell') + '```powershell'.Length
        $j = $text.IndexOf('Get-CenateBackup', $i)
        $changed = $text.Remove($j, 'Get-CenateBackup'.Length).Insert($j, 'Obtener-CenateBackup')
        [System.IO.File]::WriteAllText($file, $changed)
        Remove-Item -LiteralPath (Join-Path $es 'Complete-CenateJob.md')
        $run = Invoke-BuildHelp $es
        $run.ExitCode | Should -Be 1
        $run.StdErr | Should -Match "$Page\.md: the code of example 1 .* differs from example 1 of en-US/$Page\.md"
        $run.StdErr | Should -Match 'Complete-CenateJob: no markdown file'
        $run.Written | Should -BeNullOrEmpty
    }
}
