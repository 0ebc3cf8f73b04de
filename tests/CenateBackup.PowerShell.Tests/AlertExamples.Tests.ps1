#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The shipped scripts as cron runs them (a child `pwsh -File`): the daily monitor and the daily job report through
# Send-CenateAlert's status file, and exit non-zero exactly when something failed.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Examples = Join-Path $PSScriptRoot '../../examples'

    # A settings file as an admin writes it: the status file and the state directory only (no server needed).
    function New-AlertSettings([string]$Dir) {
        $settings = Join-Path $Dir 'alert.psd1'
        $status = Join-Path $Dir 'status.json'
        $state = Join-Path $Dir 'state'
        Set-Content -LiteralPath $settings -Value "@{`n    StatusPath = '$status'`n    StateDirectory = '$state'`n}"
        [pscustomobject]@{ Settings = $settings; Status = $status; State = $state }
    }

    # Runs an example script in a fresh pwsh with the built module on its path; returns exit code and output.
    function Invoke-Example([string]$Script, [string[]]$Arguments) {
        $oldPath = $env:PSModulePath
        $env:PSModulePath = (Split-Path (Split-Path (Get-ModuleManifestPath))) + [IO.Path]::PathSeparator + $oldPath
        try {
            $out = & pwsh -NoProfile -NonInteractive -File (Join-Path $Examples $Script) @Arguments 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out | Out-String) }
        } finally { $env:PSModulePath = $oldPath }
    }
}

Describe 'examples/Watch-CenateBackup.ps1 (the daily monitor)' {
    BeforeAll {
        $script:Dir = New-TestDirectory 'monitor'
        New-Item -ItemType Directory -Path $Dir -Force | Out-Null
        $script:Backups = Join-Path $Dir 'backups'
        New-Item -ItemType Directory -Path $Backups | Out-Null
        $script:S = New-AlertSettings $Dir
    }
    AfterAll { Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'fails (exit 1) with NoBackup in the status file while the directory has no set, and recovers after a good one' {
        $r = Invoke-Example 'Watch-CenateBackup.ps1' @('-Path', $Backups, '-Settings', $S.Settings, '-MinimumSize', '1024')
        $r.ExitCode | Should -Not -Be 0 -Because $r.Output
        $r.Output | Should -Match 'BackupRunFailed|NoBackup'
        $status = Get-Content -Raw -LiteralPath $S.Status | ConvertFrom-Json
        $status.state | Should -Be 'Failure'
        $status.job | Should -Be 'monitor'
        ($status.problems -join "`n") | Should -Match 'NoBackup'
        Get-UnixMode $S.Status | Should -Be '0600'

        # A real, verified set (the rig's container): the next run succeeds and says the job recovered.
        $rig = Get-Rig
        New-CenateDump -Container $rig.Container -Port $rig.Port -Credential (Get-TestCredential) -Path $Backups -CompressionLevel 1 |
            Test-CenateBackup | Out-Null
        $r = Invoke-Example 'Watch-CenateBackup.ps1' @('-Path', $Backups, '-Settings', $S.Settings, '-MinimumSize', '1024')
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $status = Get-Content -Raw -LiteralPath $S.Status | ConvertFrom-Json
        $status.state | Should -Be 'Success'
        $status.change | Should -Be 'Recovered'
        $status.lastGoodBackup.database | Should -Be 'maestro_cenate'
        $status.lastFailure | Should -Not -BeNullOrEmpty
    }

    It 'a USB target that is not there is one of the checks, not the end of the monitor' {
        $r = Invoke-Example 'Watch-CenateBackup.ps1' @('-Path', $Backups, '-Settings', $S.Settings, '-MinimumSize', '1024',
            '-UsbPath', (Join-Path $Dir 'not-mounted'))
        $r.ExitCode | Should -Not -Be 0 -Because $r.Output
        $status = Get-Content -Raw -LiteralPath $S.Status | ConvertFrom-Json
        $status.state | Should -Be 'Failure'
        $status.change | Should -Be 'Failed'
        # The local set was judged too (it is the last good backup), the missing target is the failure.
        $status.lastGoodBackup.database | Should -Be 'maestro_cenate'
        ($status.problems -join "`n") | Should -Match 'not-mounted'
    }
}

Describe 'examples/Backup-CenateDaily.ps1 -AlertSettings (the daily job)' {
    It 'a container that is not there: exit 1, the status file names ContainerNotFound, no file left in the backup directory' {
        $dir = New-TestDirectory 'daily-alert'
        New-Item -ItemType Directory -Path $dir -Force | Out-Null
        try {
            $backups = Join-Path $dir 'backups'
            $s = New-AlertSettings $dir
            $r = Invoke-Example 'Backup-CenateDaily.ps1' @('-Path', $backups, '-Container', 'cenate_no_such_container',
                '-CredentialPath', '/nonexistent', '-AlertSettings', $s.Settings)
            $r.ExitCode | Should -Not -Be 0 -Because $r.Output
            $status = Get-Content -Raw -LiteralPath $s.Status | ConvertFrom-Json
            $status.state | Should -Be 'Failure'
            $status.job | Should -Be 'daily'
            ($status.problems -join "`n") | Should -Match 'ContainerNotFound'
            @(Get-ChildItem -LiteralPath $backups -File -ErrorAction SilentlyContinue | Where-Object Name -ne '.cenate.lock').Count | Should -Be 0
        } finally { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue }
    }
}
