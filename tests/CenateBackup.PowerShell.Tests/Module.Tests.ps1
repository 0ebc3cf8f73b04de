#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The built module folder: manifest, layout, load-context isolation, format views.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ManifestPath = Get-ModuleManifestPath
    $script:ModuleDir = Split-Path -Parent $ManifestPath
    $script:Data = Import-PowerShellDataFile -LiteralPath $ManifestPath
    Import-Module $ManifestPath -Force
}

Describe 'Module manifest and folder' {
    It 'declares PowerShell 7.4+ Core only' {
        $Data.PowerShellVersion | Should -Be '7.4'
        $Data.CompatiblePSEditions | Should -Be @('Core')
    }

    It 'exports exactly the cmdlets it lists, and no functions, aliases or variables' {
        $exported = (Get-Command -Module CenateBackup).Name | Sort-Object
        $exported | Should -Be ($Data.CmdletsToExport | Sort-Object)
        $Data.FunctionsToExport | Should -BeNullOrEmpty
        $Data.AliasesToExport | Should -BeNullOrEmpty
        $Data.VariablesToExport | Should -BeNullOrEmpty
    }

    It 'carries the version from Directory.Build.props' {
        $props = [xml](Get-Content -Raw (Join-Path $PSScriptRoot '../../Directory.Build.props'))
        $Data.ModuleVersion | Should -Be $props.Project.PropertyGroup.Version
        (Get-Module CenateBackup).Version.ToString() | Should -Be $props.Project.PropertyGroup.Version
    }

    It 'does not ship System.Management.Automation.dll' {
        Get-ChildItem -LiteralPath $ModuleDir -Recurse -Filter 'System.Management.Automation.dll' | Should -BeNullOrEmpty
    }

    It 'has a table view for every output type' {
        foreach ($t in 'CenateBackupSet', 'CenateBackupFile', 'CenateVerificationResult', 'CenateRetentionDecision') {
            Get-FormatData -TypeName "CenateBackup.PowerShell.Output.$t" | Should -Not -BeNullOrEmpty
        }
    }

    It 'declares an output type for every cmdlet' {
        Get-Command -Module CenateBackup | ForEach-Object { $_.OutputType | Should -Not -BeNullOrEmpty -Because $_.Name }
    }

    It 'supports -WhatIf and -Confirm on cmdlets that change state' {
        foreach ($name in 'New-CenateDump', 'Remove-CenateOldBackup') {
            (Get-Command $name).Parameters.Keys | Should -Contain 'WhatIf'
            (Get-Command $name).Parameters.Keys | Should -Contain 'Confirm'
        }
    }
}

Describe 'Dependency isolation' {
    It 'keeps output types in the default load context and dependencies in the module''s own' {
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext([CenateBackup.PowerShell.Output.CenateBackupSet].Assembly).Name | Should -Be 'Default'
    }

    It 'imports and dumps in a pwsh that loaded an older Microsoft.Extensions.Logging.Abstractions first' {
        $rig = Get-Rig
        $old = Join-Path $HOME '.nuget/packages/microsoft.extensions.logging.abstractions/6.0.0/lib/netstandard2.0/Microsoft.Extensions.Logging.Abstractions.dll'
        Test-Path -LiteralPath $old | Should -BeTrue -Because 'scripts/test.sh downloads it (tests/CenateBackup.PowerShell.Tests/assets)'
        $dir = New-TestDirectory 'alc'
        $script = @'
$ErrorActionPreference = 'Stop'
Add-Type -LiteralPath $env:CENATE_OLD_MELA
$null = [Microsoft.Extensions.Logging.Abstractions.NullLogger]::Instance
Import-Module $env:CENATE_MODULE
$cred = [pscredential]::new('cenate', (ConvertTo-SecureString $env:CENATE_TEST_PASSWORD -AsPlainText -Force))
$set = New-CenateDump -Container $env:CENATE_TEST_CONTAINER -Port $env:CENATE_TEST_PORT -Credential $cred -Path $env:CENATE_ALC_DIR
$mela = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Microsoft.Extensions.Logging.Abstractions' }
$npgsql = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Npgsql' }
[pscustomobject]@{
    Rows = $set.AseguradosRows
    MelaVersions = @($mela | ForEach-Object { $_.GetName().Version.ToString() } | Sort-Object)
    NpgsqlContext = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($npgsql).Name
} | ConvertTo-Json -Compress
'@
        $env:CENATE_OLD_MELA = $old; $env:CENATE_MODULE = $ManifestPath; $env:CENATE_ALC_DIR = $dir
        try {
            $out = & pwsh -NoProfile -NonInteractive -Command $script 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($out | Out-String)
            $r = ($out | Select-Object -Last 1) | ConvertFrom-Json
            $r.Rows | Should -Be ([long](Invoke-Psql -Sql 'SELECT count(*) FROM asegurados'))
            $r.MelaVersions | Should -Contain '6.0.0.0'
            @($r.MelaVersions).Count | Should -Be 2
            $r.NpgsqlContext | Should -Be 'CenateBackup'
        } finally {
            Remove-Item env:CENATE_OLD_MELA, env:CENATE_MODULE, env:CENATE_ALC_DIR -ErrorAction SilentlyContinue
            Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}
