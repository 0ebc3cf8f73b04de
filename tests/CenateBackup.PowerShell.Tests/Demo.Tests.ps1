#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The README's first command shows the whole plan (examples/Invoke-CenateDemo.ps1 through the shipped job scripts):
# run it here as scripts/demo.sh does, on a throwaway container of its own, and check what it claims happened.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Name = 'cenate_demo_test'
    $script:Port = 56590
    $script:Rows = 20000
    $script:Root = Join-Path '/tmp' ('cenate-demo-test-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Root | Out-Null
    [IO.File]::SetUnixFileMode($Root, [IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
    $null = Start-ThrowawayContainer -Name $Name -Port $Port -Rows $Rows
    $pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
    $demo = Join-Path $PSScriptRoot '../../examples/Invoke-CenateDemo.ps1'
    $env:CENATE_DEMO_PASSWORD = $env:CENATE_TEST_PASSWORD
    try {
        $script:Output = & $pwsh -NoProfile -NonInteractive -File $demo -ModulePath (Get-ModuleManifestPath) `
            -Container $Name -Port $Port -BackupPath $Root 2>&1 | Out-String
        $script:ExitCode = $LASTEXITCODE
    } finally {
        Remove-Item env:CENATE_DEMO_PASSWORD -ErrorAction SilentlyContinue
    }
    $script:Plain = $Output -replace "`e\[[0-9;]*m", ''
}

AfterAll {
    Remove-ThrowawayContainer $Name
    if ($Root) { Remove-Item -LiteralPath $Root -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'scripts/demo.sh: the whole plan' {
    It 'runs to its end and says so (exit 0)' {
        $ExitCode | Should -Be 0 -Because $Plain
        $Plain | Should -Match 'The whole plan ran'
    }

    It 'left a verified daily set here and an encrypted copy on the remote' {
        $sets = @(Get-CenateBackup -Path (Join-Path $Root 'backups') -Verified)
        $sets.Count | Should -BeGreaterOrEqual 2
        $sets[-1].AseguradosRows | Should -Be $Rows
        $remote = @(Get-CenateBackup -Path demo-crypt:cenate -RcloneConfig (Join-Path $Root 'etc/rclone.conf'))
        $remote.Count | Should -Be 1
        # The remote directory holds no readable name of a backup file.
        @(Get-ChildItem -LiteralPath (Join-Path $Root 'cloud') -Recurse -File | Where-Object Name -match 'maestro') |
            Should -HaveCount 0
    }

    It 'put back exactly the 1,000 deleted rows and shows the killed run, its alert and the schedule' {
        $Plain | Should -Match 'rows the audit log kept: 1000'
        $Plain | Should -Match "rows in asegurados after the undelete: $Rows"
        $Plain | Should -Match 'previous-run\s+Failed\s+JobInterrupted'
        $Plain | Should -Match 'Mail received by the relay: .*daily'
        $Plain | Should -Match "What if: Create .*cenate-backup"
        $Plain | Should -Match 'OnCalendar=\*-\*-\* 02,14:00:00 America/Lima'
        # -WhatIf wrote nothing.
        Test-Path -LiteralPath (Join-Path $Root 'etc/cenate-backup') | Should -BeFalse
        # The password never reached the output, the logs or the settings file.
        $Plain | Should -Not -Match ([regex]::Escape($env:CENATE_TEST_PASSWORD))
        Get-ChildItem -LiteralPath (Join-Path $Root 'logs'), (Join-Path $Root 'etc/cenate.psd1') -File -Recurse |
            ForEach-Object { Get-Content -Raw -LiteralPath $_.FullName } |
            Should -Not -Match ([regex]::Escape($env:CENATE_TEST_PASSWORD))
    }
}
