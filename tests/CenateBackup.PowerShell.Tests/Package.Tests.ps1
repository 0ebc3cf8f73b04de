#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The installable package: scripts/build.sh writes out/CenateBackup.<version>.nupkg; Install-PSResource installs it from a
# folder (a file share) on a machine with pwsh 7.4+ and nothing else; Import-Module CenateBackup then works. Every step
# runs in a FRESH pwsh (env -i: no inherited module path, a throwaway HOME, so the user module path is empty).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Rig = Get-Rig
    $script:Manifest = Import-PowerShellDataFile -LiteralPath (Get-ModuleManifestPath)
    $script:Version = $Manifest.ModuleVersion
    $script:Package = Join-Path (Split-Path -Parent (Split-Path -Parent (Get-ModuleManifestPath))) "CenateBackup.$Version.nupkg"
    $script:Share = New-TestDirectory 'pkg-share'
    $script:FreshHome = New-TestDirectory 'pkg-home'
    $script:Work = New-TestDirectory 'pkg-work'
    foreach ($d in $Share, $FreshHome, $Work) { $null = New-Item -ItemType Directory -Path $d }
    $script:Pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
    # The pwsh here may be a dotnet global tool (it needs DOTNET_ROOT); a server's pwsh package brings its runtime.
    $script:DotnetRoot = if ($env:DOTNET_ROOT) { $env:DOTNET_ROOT } else {
        Split-Path (Split-Path (Split-Path ([Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory())))
    }
    $script:UserModules = Join-Path $FreshHome '.local/share/powershell/Modules'

    function Invoke-FreshPwsh([string]$Script, [hashtable]$Environment = @{}) {
        # Only what a service account on a server would have: PATH, HOME, the language; nothing of this test run.
        $file = Join-Path $Work ("step-{0}.ps1" -f [guid]::NewGuid().ToString('N').Substring(0, 8))
        Set-Content -LiteralPath $file -Value "`$ErrorActionPreference = 'Stop'`n$Script"
        $vars = @("HOME=$FreshHome", 'PATH=/usr/local/bin:/usr/bin:/bin', "DOTNET_ROOT=$DotnetRoot", 'LANG=C.UTF-8')
        foreach ($k in $Environment.Keys) { $vars += "$k=$($Environment[$k])" }
        $out = & env -i @vars $Pwsh -NoProfile -NonInteractive -File $file 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out | Out-String) }
    }
}

AfterAll {
    foreach ($d in $Share, $FreshHome, $Work) { if ($d) { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue } }
}

Describe 'The package' {
    It 'is written by the build next to the module folder and holds every file of the module' {
        $Package | Should -Exist
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($Package)
        try { $names = @($zip.Entries | ForEach-Object { [uri]::UnescapeDataString($_.FullName) }) } finally { $zip.Dispose() }
        foreach ($f in 'CenateBackup.psd1', 'CenateBackup.psm1', 'CenateBackup.Format.ps1xml', 'bin/CenateBackup.PowerShell.dll',
                       'bin/deps/CenateBackup.Core.dll', 'bin/deps/Npgsql.dll', 'bin/deps/Docker.DotNet.dll', 'bin/deps/MailKit.dll',
                       'bin/deps/es/CenateBackup.Core.resources.dll', 'en-US/CenateBackup.PowerShell.dll-Help.xml', 'jobs/Daily.ps1') {
            $names | Should -Contain $f -Because "the installed module needs $f"
        }
        $moduleDir = Split-Path -Parent (Get-ModuleManifestPath)
        $files = @(Get-ChildItem -LiteralPath $moduleDir -Recurse -File)
        foreach ($file in $files) {
            $names | Should -Contain ([IO.Path]::GetRelativePath($moduleDir, $file.FullName).Replace('\', '/'))
        }
        # Nothing of the build tree or the tests: no source, no test results.
        @($names | Where-Object { $_ -match '\.cs$|\.csproj$|test-results|/obj/' }) | Should -BeNullOrEmpty
    }

    It 'installs with Install-PSResource from a folder (a file share) into a fresh pwsh with an empty module path' {
        Copy-Item -LiteralPath $Package -Destination $Share
        $r = Invoke-FreshPwsh @"
if (Get-Module -ListAvailable CenateBackup) { throw 'the fresh pwsh already sees a CenateBackup module' }
Register-PSResourceRepository -Name CenateLocal -Uri '$Share' -Trusted
Install-PSResource CenateBackup -Repository CenateLocal -Scope CurrentUser
`$m = Get-Module -ListAvailable CenateBackup
'INSTALLED ' + `$m.Version + ' ' + `$m.ModuleBase
"@
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match ([regex]::Escape("INSTALLED $Version $UserModules/CenateBackup/$Version"))
        Join-Path $UserModules "CenateBackup/$Version/bin/deps/CenateBackup.Core.dll" | Should -Exist
    }

    It 'then Import-Module CenateBackup works from the installed copy: every cmdlet, a real backup and its verification' {
        $set = Join-Path $Work 'sets'
        $r = Invoke-FreshPwsh @"
Import-Module CenateBackup
`$m = Get-Module CenateBackup
'BASE ' + `$m.ModuleBase
'COUNT ' + @(Get-Command -Module CenateBackup).Count
`$cred = [pscredential]::new('$($Rig.User)', (ConvertTo-SecureString `$env:CENATE_PKG_PASSWORD -AsPlainText -Force))
`$s = New-CenateDump -Container '$($Rig.Container)' -Port $($Rig.Port) -Database '$($Rig.Database)' -Credential `$cred -Path '$set' -Table asegurados
`$v = `$s | Test-CenateBackup -Level Read
'PASSED ' + `$v.Passed + ' ROWS ' + `$s.RowCounts['public.asegurados']
"@ -Environment @{ CENATE_PKG_PASSWORD = $Rig.Password }
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match ([regex]::Escape("BASE $UserModules/CenateBackup/$Version"))
        $r.Output | Should -Match "COUNT $(@($Manifest.CmdletsToExport).Count)\b"
        $r.Output | Should -Match "PASSED True ROWS $($Rig.Rows)\b"
        $r.Output | Should -Not -Match ([regex]::Escape($Rig.Password))
    }

    It 'brings its help and its Spanish texts: help and messages follow LANG (es_PE in Spanish, C in English)' {
        function Get-Synopsis([string]$Culture) {
            $lines = Get-Content -LiteralPath (Join-Path $PSScriptRoot "../../docs/$Culture/New-CenateDump.md")
            $at = [array]::IndexOf($lines, '## SYNOPSIS')
            ($lines[($at + 1)..($lines.Count - 1)] | Where-Object { $_.Trim() } | Select-Object -First 1).Trim()
        }
        $probe = @"
Import-Module CenateBackup
'SYNOPSIS ' + (Get-Help New-CenateDump).Synopsis
try { Get-CenateBackup -Path '$Work/does-not-exist' -ErrorAction Stop } catch { 'ERR ' + `$_.FullyQualifiedErrorId + ' | ' + `$_.Exception.Message }
"@
        $es = Invoke-FreshPwsh $probe -Environment @{ LANG = 'es_PE.UTF-8' }
        $en = Invoke-FreshPwsh $probe -Environment @{ LANG = 'C.UTF-8' }
        $es.ExitCode | Should -Be 0 -Because $es.Output
        $en.ExitCode | Should -Be 0 -Because $en.Output
        $es.Output | Should -Match ([regex]::Escape('SYNOPSIS ' + (Get-Synopsis 'es-ES')))
        $en.Output | Should -Match ([regex]::Escape('SYNOPSIS ' + (Get-Synopsis 'en-US')))
        $esErr = ($es.Output -split "`n" | Where-Object { $_ -like 'ERR *' }) -split ' \| '
        $enErr = ($en.Output -split "`n" | Where-Object { $_ -like 'ERR *' }) -split ' \| '
        $esErr[0] | Should -Match '^ERR \w+,CenateBackup'
        $esErr[0] | Should -Be $enErr[0] -Because 'the error id does not change with the language'
        $esErr[1] | Should -Not -Be $enErr[1] -Because 'the message comes from the Spanish resources'
    }

    It 'Uninstall-PSResource removes it again' {
        $r = Invoke-FreshPwsh "Uninstall-PSResource CenateBackup -Scope CurrentUser; 'LEFT ' + @(Get-Module -ListAvailable CenateBackup).Count"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'LEFT 0'
    }
}

Describe 'scripts/install-prereqs.sh on a machine without the .NET SDK' {
    It 'fails at once, before installing anything, naming the SDK and version to install' {
        # A PATH with a shell and the few tools the check uses, and no dotnet: what a fresh Debian 12 machine has.
        $bin = Join-Path $Work 'nodotnet-bin'
        $null = New-Item -ItemType Directory -Path $bin -Force
        foreach ($c in 'bash', 'grep', 'awk', 'paste', 'cat', 'id', 'mkdir', 'printf', 'dirname', 'apt-get') {
            $src = (Get-Command $c -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1).Source
            if ($c -eq 'apt-get') {
                # If the script got as far as apt-get it did not fail at once: this stand-in leaves a mark.
                Set-Content -LiteralPath (Join-Path $bin $c) -Value "#!$((Get-Command bash).Source)`ntouch '$Work/apt-get-ran'`nexit 0"
                chmod 755 (Join-Path $bin $c)
            }
            elseif ($src) { $null = New-Item -ItemType SymbolicLink -Path (Join-Path $bin $c) -Target $src -Force }
        }
        $script = Join-Path $PSScriptRoot '../../scripts/install-prereqs.sh'
        $out = & env -i "HOME=$Work" "PATH=$bin" (Join-Path $bin 'bash') $script 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 1
        $out | Should -Match 'The \.NET SDK 10\.0 is needed'
        $out | Should -Match 'dotnet-sdk-10\.0'
        $out | Should -Match 'no dotnet on PATH'
        Join-Path $Work 'apt-get-ran' | Should -Not -Exist
    }
}
