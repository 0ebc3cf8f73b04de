#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The issue's real scheduled run: the shipped jobs/Daily.ps1, registered WITH its preflight into a file of the real
# Debian cron daemon (the rig starts it) for the next minute, runs by itself against the rig's container (password
# only in a 0600 environment file) and leaves a verified set, a JSON-lines log that says so, and a schedule whose
# LastResult is Succeeded; Unregister then removes only its own file. Needs root (/etc/cron.d) and a running cron.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Tag = [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:Root = Join-Path '/tmp' "cenate-c16-run-$Tag"
    New-Item -ItemType Directory -Path $Root | Out-Null
    [IO.File]::SetUnixFileMode($Root, [IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
    $script:Cron = "/etc/cron.d/cenate-c16-$Tag"
    $script:Foreign = "/etc/cron.d/c16-foreign-$Tag"
    $script:Pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
    $script:Shipped = Join-Path (Split-Path -Parent (Get-ModuleManifestPath)) 'jobs'
    $script:EnvFile = Join-Path $Root 'cenate.env'
    $script:SettingsPath = Join-Path $Root 'cenate.psd1'
    $script:Backups = Join-Path $Root 'backups'
    $script:Logs = Join-Path $Root 'logs'
    $private = [IO.UnixFileMode]'UserRead, UserWrite'
    Set-Content -LiteralPath $EnvFile -Value "PGPASSWORD=$env:CENATE_TEST_PASSWORD"
    [IO.File]::SetUnixFileMode($EnvFile, $private)
    # The settings for a daily run at hour:minute (the rig's container and database, its default rows).
    function script:Write-Settings([datetime]$At) {
        Set-Content -LiteralPath $SettingsPath -Value @"
@{
    Container = '$env:CENATE_TEST_CONTAINER'; DatabasePort = $env:CENATE_TEST_PORT
    Database = '$env:CENATE_TEST_DATABASE'; DatabaseUser = '$env:CENATE_TEST_USER'
    Path = '$Backups'; LogPath = '$Logs'; StatePath = '$Root/state'; EnvironmentFile = '$EnvFile'
    CompressionLevel = 1
    Schedule = @{ Daily = '$($At.Minute) $($At.Hour) * * *' }
}
"@
        [IO.File]::SetUnixFileMode($SettingsPath, $private)
    }
}

AfterAll {
    # Unregister even when a test failed; then make sure no file of this test is left in /etc/cron.d.
    if (Test-Path -LiteralPath $Cron) {
        Unregister-CenateBackupSchedule -Mode Cron -CronFile $Cron -Confirm:$false -ErrorAction SilentlyContinue `
            -WarningAction SilentlyContinue | Out-Null
        Remove-Item -LiteralPath $Cron -Force -ErrorAction SilentlyContinue
    }
    Remove-Item -LiteralPath $Foreign -Force -ErrorAction SilentlyContinue
    Remove-Item -Recurse -Force -LiteralPath $Root -ErrorAction SilentlyContinue
}

Describe 'The daily job run by the real cron daemon' {
    It 'registers with its preflight, runs at the next minute, leaves a verified set and a Succeeded log' {
        & pgrep -x cron | Out-Null
        $LASTEXITCODE | Should -Be 0 -Because 'the rig starts the Debian cron daemon (scripts/rig.sh up)'
        Test-Path -LiteralPath (Join-Path $Shipped 'Daily.ps1') | Should -BeTrue
        Set-Content -LiteralPath $Foreign -Value '# c16: an admin''s own cron file', '# 0 1 * * * root /bin/true'
        $script:ForeignHash = (Get-FileHash -LiteralPath $Foreign).Hash
        $script:SystemHash = (Get-FileHash -LiteralPath /etc/cron.d/e2scrub_all).Hash

        # The preflight runs pwsh under env -i (a few seconds): aim at a minute that leaves room for it and 5 s more.
        for ($attempt = 0; $attempt -lt 3; $attempt++) {
            $now = Get-Date
            $target = $now.Date.AddHours($now.Hour).AddMinutes($now.Minute + 1)
            if (($target - $now).TotalSeconds -lt 35) { $target = $target.AddMinutes(1) }
            Write-Settings $target
            $entry = Register-CenateBackupSchedule $SettingsPath -Job daily -Mode Cron -CronFile $Cron `
                -WarningAction SilentlyContinue
            if (($target - (Get-Date)).TotalSeconds -ge 5) { break }
        }
        ($target - (Get-Date)).TotalSeconds | Should -BeGreaterOrEqual 5 -Because 'cron must see the file in time'
        $entry.Action | Should -BeIn @('Created', 'Updated')
        $entry.NextRun.LocalDateTime | Should -Be $target
        $line = ((Get-Content -LiteralPath $Cron) -match 'Daily\.ps1')[0]
        $line | Should -BeLike "$($target.Minute) $($target.Hour) * * * root '$Pwsh' *'$Shipped/Daily.ps1' *"
        Get-UnixMode $Cron | Should -Be '0644'
        # The preflight ran the real job under env -i: it created the log and state directories, wrote no run log.
        Test-Path -LiteralPath (Join-Path $Root 'state/locks') | Should -BeTrue
        @(Get-ChildItem -LiteralPath $Logs -Filter 'daily-*').Count | Should -Be 0
        Test-Path -LiteralPath $Backups | Should -BeFalse

        # The run's end record: the newest daily-*.jsonl with an "end" line.
        $deadline = $target.AddSeconds(150)
        $end = $null
        while (-not $end -and (Get-Date) -lt $deadline) {
            Start-Sleep -Seconds 2
            $log = Get-ChildItem -LiteralPath $Logs -Filter 'daily-*.jsonl' -ErrorAction SilentlyContinue |
                Sort-Object Name | Select-Object -Last 1
            if ($log) {
                $records = @(Get-Content -LiteralPath $log.FullName | ForEach-Object { $_ | ConvertFrom-Json })
                $end = $records | Where-Object event -eq 'end'
            }
        }
        $end | Should -Not -BeNullOrEmpty -Because "cron should have run $Cron at $target and the job should end"
        $start = $records | Where-Object event -eq 'start'
        ([datetimeoffset]$start.time).LocalDateTime | Should -BeGreaterOrEqual $target.AddSeconds(-1)
        $start.settings | Should -Be $SettingsPath
        $steps = @($records | Where-Object event -eq 'step')
        $steps.step | Should -Be @('dump', 'verify', 'retention', 'statistics')
        foreach ($s in $steps) { $s.result | Should -Be 'Succeeded' -Because "$($s.step): $($s.message)" }
        $end.result | Should -Be 'Succeeded'
        $end.exitCode | Should -Be 0
        Get-UnixMode $log.FullName | Should -Be '0600'
        (Get-Content -Raw -LiteralPath $log.FullName) | Should -Not -Match ([regex]::Escape($env:CENATE_TEST_PASSWORD))

        # A complete, verified set of the rig's database, with its rows.
        $sets = @(Get-CenateBackup -Path $Backups -Database $env:CENATE_TEST_DATABASE -Verified)
        $sets.Count | Should -Be 1
        $sets[0].AseguradosRows | Should -Be ([long]$env:CENATE_TEST_ROWS)
        $sets[0].Files.Count | Should -BeGreaterOrEqual 3
        ($steps | Where-Object step -eq 'dump').rows | Should -Be ([long]$env:CENATE_TEST_ROWS)

        $info = Get-CenateBackupSchedule -Mode Cron -CronFile $Cron
        $info.Job | Should -Be 'daily'
        $info.LastResult | Should -Be 'Succeeded'
        $info.Status | Should -Be 'OK'
        $info.LastRun.LocalDateTime | Should -BeGreaterOrEqual $target.AddSeconds(-1)
        $info.NextRun.LocalDateTime | Should -Be $target.AddDays(1)
    }

    It 'Unregister removes only its file: another /etc/cron.d file stays byte-identical' {
        Test-Path -LiteralPath $Cron | Should -BeTrue
        $r = Unregister-CenateBackupSchedule -Mode Cron -CronFile $Cron -Confirm:$false
        $r.Job | Should -Be 'daily'
        $r.Action | Should -Be 'Removed'
        Test-Path -LiteralPath $Cron | Should -BeFalse
        (Get-FileHash -LiteralPath $Foreign).Hash | Should -Be $ForeignHash
        (Get-FileHash -LiteralPath /etc/cron.d/e2scrub_all).Hash | Should -Be $SystemHash
        @(Get-ChildItem -LiteralPath /etc/cron.d -Force | Where-Object Name -like "*$Tag*").Name |
            Should -Be "c16-foreign-$Tag"
    }
}
