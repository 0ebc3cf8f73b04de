#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The plan's settings file: Get-CenateSettings (values resolved, every kind of mistake named), New-CenateSettings (the
# commented template, 0600 in a 0700 directory, read back as written, never overwritten without -Force), and the same
# file serving Send-CenateAlert. Needs no database or Docker.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'AlertHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Root = New-AlertTempDirectory 'settings'
    $script:Fq = { param($id, $cmd) "$id,CenateBackup.PowerShell.Commands.$cmd" }
    function New-SettingsFile([string[]]$Lines, [string]$Mode = '600') {
        $dir = Join-Path $Root ([guid]::NewGuid().ToString('N').Substring(0, 8))
        [void][IO.Directory]::CreateDirectory($dir, [IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        $file = Join-Path $dir 'cenate.psd1'
        Set-Content -LiteralPath $file -Value ("@{`n    " + ($Lines -join "`n    ") + "`n}")
        chmod $Mode $file
        $file
    }
}

AfterAll {
    if ($Root) { Remove-Item -LiteralPath $Root -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'Get-CenateSettings' {
    It 'Weekly and Monthly take the same keys: Destination, RequireMountPoint, RcloneConfig, Keep' {
        $file = New-SettingsFile @("Path = 'backups'",
            "Weekly = @{ Destination = 'wk:c'; RequireMountPoint = '/mnt/w'; RcloneConfig = 'w.conf'; Keep = 7 }",
            "Monthly = @{ Destination = '/mnt/m/c'; RequireMountPoint = '/mnt/m'; RcloneConfig = '~/m.conf'; Keep = 9 }")
        $s = Get-CenateSettings -Path $file
        $dir = Split-Path -Parent $file
        $s.Weekly.Destination, $s.Weekly.RequireMountPoint, $s.Weekly.RcloneConfig, $s.Weekly.Keep |
            Should -Be @('wk:c', '/mnt/w', (Join-Path $dir 'w.conf'), 7)
        $s.Monthly.Destination, $s.Monthly.RequireMountPoint, $s.Monthly.RcloneConfig, $s.Monthly.Keep |
            Should -Be @('/mnt/m/c', '/mnt/m', (Join-Path $HOME 'm.conf'), 9)
        @($s.Weekly.Keys | Sort-Object) | Should -Be @(@($s.Monthly.Keys | Sort-Object))
        $bad = New-SettingsFile @("Path = 'backups'", "Weekly = @{ Destination = 'wk:c'; Rclone = 'x' }")
        { Get-CenateSettings -Path $bad -ErrorAction Stop } | Should -Throw -ErrorId 'SettingsInvalid*'
    }

    It 'resolves paths against the file and the home directory, and fills the defaults' {
        $file = New-SettingsFile @("Path = 'backups'", "LogPath = '~/cenate-logs'", "HostName = '127.0.0.1'",
            "DatabasePort = 55432", "Weekly = @{ Destination = '../usb'; Keep = 12 }",
            "Schedule = @{ Monitor = '*/30 * * * *'; Daily = '0 3 * * *' }", "TimeZone = 'America/Lima'")
        $s = Get-CenateSettings -Path $file
        $s | Should -BeOfType ([CenateBackup.PowerShell.Output.CenateSettings])
        $dir = Split-Path -Parent $file
        $s.SettingsPath | Should -Be $file
        $s.BackupPath | Should -Be (Join-Path $dir 'backups')
        $s.LogPath | Should -Be (Join-Path $HOME 'cenate-logs')
        $s.Container | Should -BeNullOrEmpty
        $s.HostName | Should -Be '127.0.0.1'
        $s.Port | Should -Be 55432
        $s.Database | Should -Be 'maestro_cenate'
        $s.Weekly.Destination | Should -Be ([IO.Path]::GetFullPath((Join-Path $dir '../usb')))
        $s.Weekly.Keep | Should -Be 12
        $s.Monthly | Should -BeNullOrEmpty
        $s.Retention.Daily | Should -Be 30
        $s.AuditLogRetention | Should -Be ([TimeSpan]::FromDays(180))
        $s.Monitor.MinimumSize | Should -Be 500MB
        @($s.Schedule.Keys) | Should -Be @('daily', 'monitor')
        $s.Schedule['monitor'] | Should -Be '*/30 * * * *'
        $s.TimeZone | Should -Be 'America/Lima'
        $s.HasAlerts | Should -BeFalse
        ($s | Format-List | Out-String -Width 80) -split "`n" |
            ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual 80 }
    }

    It '<Name> is <Id>' -ForEach @(
        @{ Name = 'a typo in a key'; Lines = @("Path = '/b'", "Contaner = 'pg'"); Id = 'SettingsInvalid'
            Match = "unknown key 'Contaner'" }
        @{ Name = 'a typo in a nested key'; Lines = @("Path = '/b'", "Monthly = @{ Destinaton = 'x:y' }")
            Id = 'SettingsInvalid'; Match = 'Monthly.Destinaton' }
        @{ Name = 'a bare number as a duration'; Lines = @("Path = '/b'", "LogRetention = 90"); Id = 'SettingsInvalid'
            Match = 'LogRetention' }
        @{ Name = 'a missing Path'; Lines = @("Container = 'pg'"); Id = 'SettingsInvalid'; Match = "'Path'" }
        @{ Name = 'a password key'; Lines = @("Path = '/b'", "PGPASSWORD = 'x'"); Id = 'SettingsInvalid'
            Match = 'PGPASSWORD' }
        @{ Name = 'a command in the file'; Lines = @("Path = (Get-Date)"); Id = 'SettingsInvalid'; Match = 'constant' }
        @{ Name = 'a bad cron expression'; Lines = @("Path = '/b'", "Schedule = @{ Drill = '0 6 32 * *' }")
            Id = 'ScheduleInvalid'; Match = 'drill' }
        @{ Name = 'an unknown time zone'; Lines = @("Path = '/b'", "TimeZone = 'Lima'"); Id = 'SettingsInvalid'
            Match = 'TimeZone' }
    ) {
        $file = New-SettingsFile $Lines
        $err = $null
        try { Get-CenateSettings -Path $file -ErrorAction Stop } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -Be (& $Fq $Id 'GetCenateSettingsCommand')
        $err.Exception.Message | Should -Match ([regex]::Escape($Match))
    }

    It 'refuses a file others may write (SettingsFileInsecure) and a missing one (SettingsNotFound)' {
        $file = New-SettingsFile @("Path = '/b'") -Mode '666'
        { Get-CenateSettings -Path $file -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'SettingsFileInsecure' 'GetCenateSettingsCommand')
        { Get-CenateSettings -Path (Join-Path $Root 'none.psd1') -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'SettingsNotFound' 'GetCenateSettingsCommand')
    }
}

Describe 'New-CenateSettings' {
    It 'writes the commented template 0600 in a new 0700 directory, and it reads back as written' {
        $file = Join-Path $Root 'new/etc/cenate.psd1'
        $f = New-CenateSettings -Path $file -BackupPath "/srv/it's backups" -Container pg_test -LogPath '~/logs' `
            -StatePath 'state'
        $f | Should -BeOfType ([CenateBackup.PowerShell.Output.CenateSettings])
        $f.SettingsPath | Should -Be $file
        ($f | Out-String -Width 80) | Should -Match 'BackupPath\s+: /srv/it''s backups'
        [IO.File]::GetUnixFileMode($file) | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        foreach ($d in 'new', 'new/etc') {
            [IO.File]::GetUnixFileMode((Join-Path $Root $d)) |
                Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        }
        $text = Get-Content -LiteralPath $file -Raw
        $text | Should -Match '(?m)^\s*# SmtpServer = '
        $text | Should -Not -Match '(?im)^\s*\w*password\w*\s*=\s*'''
        $s = Get-CenateSettings -Path $file
        $s.BackupPath | Should -Be "/srv/it's backups"
        $s.Container | Should -Be 'pg_test'
        $s.LogPath | Should -Be (Join-Path $HOME 'logs')
        $s.StatePath | Should -Be (Join-Path $Root 'new/etc/state')
        @($s.Schedule.Keys) | Should -Be @('daily', 'weekly', 'monthly', 'monitor', 'drill', 'auditretention')
        $s.Schedule['daily'] | Should -Be '0 2,14 * * *'
        $s.Weekly.RequireMountPoint | Should -Be '/mnt/backup-externo'
        $s.Monthly.Destination | Should -Be 'gdrive-crypt:cenate'
        $s.HasAlerts | Should -BeFalse
    }

    It 'never overwrites without -Force; -WhatIf writes nothing' {
        $file = Join-Path $Root 'exists/cenate.psd1'
        New-CenateSettings -Path $file -BackupPath /b1 | Out-Null
        { New-CenateSettings -Path $file -BackupPath /b2 -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'SettingsFileExists' 'NewCenateSettingsCommand')
        (Get-CenateSettings -Path $file).BackupPath | Should -Be '/b1'
        New-CenateSettings -Path $file -BackupPath /b3 -Force | Out-Null
        (Get-CenateSettings -Path $file).BackupPath | Should -Be '/b3'
        $other = Join-Path $Root 'whatif/cenate.psd1'
        New-CenateSettings -Path $other -WhatIf
        Test-Path -LiteralPath (Split-Path -Parent $other) | Should -BeFalse
    }
}

Describe 'One file for the plan and Send-CenateAlert' {
    It 'Send-CenateAlert -Settings reads the plan file (its Port is the SMTP one; the plan keys are skipped)' {
        $status = Join-Path $Root 'status.json'
        $file = New-SettingsFile @("Path = '/b'", "Container = 'pg'", "DatabasePort = 5433",
            "Weekly = @{ Destination = '/mnt/usb/cenate' }", "Schedule = @{ Daily = '0 2 * * *' }",
            "StatusPath = '$status'", "StateDirectory = '$(Join-Path $Root 'alert-state')'",
            "RowDrop = @{ 'public.asegurados' = '1%' }")
        (Get-CenateSettings -Path $file).HasAlerts | Should -BeTrue
        $r = $true | Send-CenateAlert -Settings $file -Job plantest -When Always -ErrorAction Stop
        @($r | Where-Object Channel -eq 'StatusFile').Status | Should -Be 'Written'
        (Get-Content -LiteralPath $status -Raw | ConvertFrom-Json).job | Should -Be 'plantest'
        $typo = New-SettingsFile @("Path = '/b'", "Contaner = 'pg'", "StatusPath = '$status'")
        { $true | Send-CenateAlert -Settings $typo -Job plantest -ErrorAction Stop } |
            Should -Throw -ErrorId (& $Fq 'SettingsInvalid' 'SendCenateAlertCommand')
    }
}
