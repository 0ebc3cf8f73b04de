#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Every duration parameter of every cmdlet follows one rule: a TimeSpan, or a string with a unit; a bare number of any
# numeric type is refused (never ticks, never a guess). PowerShell turns unquoted 180d into the decimal 180 and 45s into
# the 16-bit integer 45 before the cmdlet sees them, so those two are bare numbers too. The literals below are written
# exactly as an admin would type them, so PowerShell's own parser makes the values.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    # Every parameter of the module whose type is TimeSpan or TimeSpan? (new cmdlets and parameters are found by themselves).
    $script:DurationParameters = foreach ($cmd in Get-Command -Module CenateBackup -CommandType Cmdlet) {
        foreach ($p in $cmd.Parameters.Values) {
            if ($p.ParameterType -eq [timespan] -or $p.ParameterType -eq [Nullable[timespan]]) {
                @{ Command = $cmd.Name; Parameter = $p.Name }
            }
        }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    function Get-DurationTransformation([string]$Command, [string]$Parameter) {
        (Get-Command $Command).Parameters[$Parameter].Attributes | Where-Object { $_.GetType().Name -eq 'DurationTransformationAttribute' }
    }
}

Describe 'Duration parameters' {
    It 'the module has duration parameters to check' {
        $DurationParameters.Count | Should -BeGreaterOrEqual 4
        ($DurationParameters | ForEach-Object { "$($_.Command) -$($_.Parameter)" }) | Should -Contain 'Remove-CenateAuditLog -OlderThan'
    }

    It '<Command> -<Parameter> takes TimeSpans and strings with units, exactly, and refuses bare numbers' -ForEach $DurationParameters {
        $t = Get-DurationTransformation $Command $Parameter
        $t | Should -Not -BeNullOrEmpty -Because "every duration parameter uses the one rule"
        $e = $ExecutionContext
        # Accepted, exact.
        $t.Transform($e, '45s') | Should -Be ([timespan]::FromSeconds(45))
        $t.Transform($e, '180d') | Should -Be ([timespan]::FromDays(180))
        $t.Transform($e, (Write-Output 26h)) | Should -Be ([timespan]::FromHours(26))  # unquoted 26h on a command line is a string: it works
        $t.Transform($e, (Write-Output 90m)) | Should -Be ([timespan]::FromMinutes(90))
        $t.Transform($e, '1d12h') | Should -Be ([timespan]::FromHours(36))
        $t.Transform($e, [timespan]'1.00:00:00') | Should -Be ([timespan]::FromDays(1))
        $t.Transform($e, '1.02:00:00') | Should -Be ([timespan]::FromHours(26))
        # Refused, with the right spelling in the message.
        # Each value as an unquoted command-line argument gives it: 180 (int), 45s (short), 180d/2d (decimal), 180L (long), 1.5 (double).
        $typed = @((Write-Output 180), (Write-Output 45s), (Write-Output 180d), (Write-Output 2d), (Write-Output 180L), (Write-Output 1.5))
        $typed[1] | Should -BeOfType [int16]
        $typed[2] | Should -BeOfType [decimal]
        foreach ($bad in $typed + @([byte]3, '180', '', 'mañana', [timespan]::Zero, [timespan]::FromHours(-1), (Get-Date))) {
            $err = { $t.Transform($e, $bad) } | Should -Throw -PassThru
            $err.Exception.InnerException.GetType().Name + $err.Exception.GetType().Name | Should -Match 'ArgumentTransformationMetadataException'
        }
        $msg = ({ $t.Transform($e, 180d) } | Should -Throw -PassThru).Exception.InnerException.Message
        $msg | Should -Match "'180d'"
        $msg | Should -Match 'decimal'
        $msg | Should -Match 'never read as ticks'
        (({ $t.Transform($e, 45s) } | Should -Throw -PassThru).Exception.InnerException.Message) | Should -Match "'45s'"
    }
}

Describe 'Duration parameters on real command lines' {
    BeforeAll {
        $script:Dir = New-TestDirectory 'durations'
        New-Item -ItemType Directory -Path $Dir | Out-Null
        $script:Fq = { param($id, $cmd) "$id,CenateBackup.PowerShell.Commands.$cmd" }
    }
    AfterAll { Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'Remove-CenateAuditLog -OlderThan 180 (an admin meaning 180 days) is refused before anything is deleted' {
        { Remove-CenateAuditLog -OlderThan 180 -WhatIf } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,CenateBackup.PowerShell.Commands.RemoveCenateAuditLogCommand'
        { Remove-CenateAuditLog -OlderThan 180d -WhatIf } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,CenateBackup.PowerShell.Commands.RemoveCenateAuditLogCommand'
    }

    It 'Test-CenateBackup -MaxAge 45s (unquoted: a 16-bit integer) is refused; ''45s'' is 45 seconds' {
        { Test-CenateBackup -Path $Dir -MaxAge 45s } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,CenateBackup.PowerShell.Commands.TestCenateBackupCommand'
        $r = Test-CenateBackup -Path $Dir -MaxAge '45s'
        $r.Passed | Should -BeFalse
        $r.Problems.Kind | Should -Be 'NoBackup'
    }

    It 'Remove-CenateOldBackup takes -MaxNewestAge ''8d'' like -MaxAge, refuses 8d and 2, and -LockTimeout 2s' {
        { Remove-CenateOldBackup -Path $Dir -MaxNewestAge 8d -WhatIf } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,CenateBackup.PowerShell.Commands.RemoveCenateOldBackupCommand'
        { Remove-CenateOldBackup -Path $Dir -MaxNewestAge 2 -WhatIf } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,CenateBackup.PowerShell.Commands.RemoveCenateOldBackupCommand'
        { Remove-CenateOldBackup -Path $Dir -LockTimeout 2s -WhatIf } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,CenateBackup.PowerShell.Commands.RemoveCenateOldBackupCommand'
        @(Remove-CenateOldBackup -Path $Dir -MaxNewestAge '8d' -LockTimeout '2s' -WhatIf).Count | Should -Be 0
    }

    It 'Remove-CenateOldBackup -MaxNewestAge below one hour needs -Force' {
        { Remove-CenateOldBackup -Path $Dir -MaxNewestAge '30m' -WhatIf } | Should -Throw -ErrorId (& $Fq 'DurationBelowFloor' 'RemoveCenateOldBackupCommand')
        @(Remove-CenateOldBackup -Path $Dir -MaxNewestAge '30m' -Force -WhatIf).Count | Should -Be 0
    }
}

Describe 'Help and README examples write durations that work' {
    It 'no example gives a duration parameter a bare or unquoted-suffix number' {
        $names = 'OlderThan', 'MaxAge', 'MaxNewestAge', 'LockTimeout'
        $files = @(Get-ChildItem (Join-Path $PSScriptRoot '../../docs/en-US'), (Join-Path $PSScriptRoot '../../docs/es-ES') -Filter *.md) +
            @(Get-Item (Join-Path $PSScriptRoot '../../README.md'))
        $bad = foreach ($f in $files) {
            $n = 0
            foreach ($line in Get-Content -LiteralPath $f.FullName) {
                $n++
                foreach ($name in $names) {
                    if ($line -match "-$name\s+\d+(\.\d+)?[dDsSlL]?(?![\w:.])") { "$($f.Name):${n}: $line" }
                }
            }
        }
        $bad | Should -BeNullOrEmpty
    }
}
