#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Get-CenateBackup and Remove-CenateOldBackup on real directories. Sets are written as a backup job would
# (file + manifest with size and sha256, UTC stamp); retention must judge them by the manifest only.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Fq = { param($id, $cmd) "$id,CenateBackup.PowerShell.Commands.$cmd" }

    function New-TwiceDaily([string]$Dir, [int]$FromDaysAgo, [int]$ToDaysAgo, [switch]$Unverified) {
        for ($d = $FromDaysAgo; $d -ge $ToDaysAgo; $d--) {
            New-FakeSet -Dir $Dir -DaysAgo ($d + 0.5) -Unverified:$Unverified
            New-FakeSet -Dir $Dir -DaysAgo ($d + 0.0) -Unverified:$Unverified
        }
    }
}

Describe 'Get-CenateBackup' {
    BeforeAll {
        $script:Dir = New-TestDirectory 'list'
        $script:A = New-FakeSet -Dir $Dir -DaysAgo 3
        $script:B = New-FakeSet -Dir $Dir -DaysAgo 2 -Unverified
        $script:C = New-FakeSet -Dir $Dir -DaysAgo 1 -Database otra_db
        $script:D = New-FakeSet -Dir $Dir -DaysAgo 0.5
        Set-Content -LiteralPath (Join-Path $Dir 'notes.txt') -Value 'not a backup'
    }
    AfterAll { Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'lists every set oldest first, as typed objects with the manifest''s facts' {
        $sets = Get-CenateBackup -Path $Dir
        $sets.Count | Should -Be 4
        $sets | ForEach-Object { $_ | Should -BeOfType ([CenateBackup.PowerShell.Output.CenateBackupSet]) }
        $sets.Stamp | Should -Be @($A.Stamp, $B.Stamp, $C.Stamp, $D.Stamp)
        $sets[0].AseguradosRows | Should -Be 1000
        $sets[0].VerificationPassed | Should -BeTrue
        $sets[1].VerifiedLevel | Should -BeNullOrEmpty
        $sets[0].Complete | Should -BeTrue
    }

    It 'filters by database, verification, time and count' {
        (Get-CenateBackup $Dir -Database otra_db).Stamp | Should -Be $C.Stamp
        (Get-CenateBackup $Dir -Verified).Stamp | Should -Not -Contain $B.Stamp
        (Get-CenateBackup $Dir -Since (Get-Date).AddDays(-1.5)).Count | Should -Be 2
        (Get-CenateBackup $Dir -Newest 1).Stamp | Should -Be $D.Stamp
    }

    It 'gives the plan''s statistics from the manifests' {
        $sum = (Get-CenateBackup $Dir | Measure-Object -Sum TotalSize).Sum
        $sum | Should -Be ((Get-ChildItem $Dir -Filter *.dump | Measure-Object -Sum Length).Sum)
    }

    It 'shows orphans only with -IncludeOrphans and never the lock file' {
        (Get-CenateBackup $Dir | Where-Object { $_ -is [CenateBackup.PowerShell.Output.CenateBackupFile] }) | Should -BeNullOrEmpty
        $orphans = Get-CenateBackup $Dir -IncludeOrphans | Where-Object { $_ -is [CenateBackup.PowerShell.Output.CenateBackupFile] }
        $orphans.Name | Should -Be @('notes.txt')
        $orphans.Kind | Should -Be 'Orphan'
    }

    It 'reports a damaged manifest and goes on' {
        $d = New-TestDirectory 'damaged'
        try {
            $good = New-FakeSet -Dir $d -DaysAgo 1
            Set-Content -LiteralPath (Join-Path $d 'maestro_cenate_20200101_000000.manifest.json') -Value '{ not json'
            $sets = Get-CenateBackup $d -ErrorVariable errs -ErrorAction SilentlyContinue
            $sets.Stamp | Should -Be $good.Stamp
            $errs[0].FullyQualifiedErrorId | Should -Be (& $Fq 'ManifestInvalid' 'GetCenateBackupCommand')
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }

    It 'says PathNotFound for a directory that does not exist' {
        Get-CenateBackup (Join-Path $Dir 'nope') -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -Be (& $Fq 'PathNotFound' 'GetCenateBackupCommand')
    }

    It 'lists a real set made by New-CenateDump' {
        $rig = Get-Rig
        $d = New-TestDirectory 'real'
        try {
            $made = New-CenateDump -Container $rig.Container -Port $rig.Port -Credential (Get-TestCredential) -Path $d | Test-CenateBackup
            $listed = Get-CenateBackup $d
            $listed.Path | Should -Be $made.Path
            $listed.VerificationPassed | Should -BeTrue
            $listed.AseguradosRows | Should -Be ([long](Invoke-Psql -Sql 'SELECT count(*) FROM asegurados'))
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Remove-CenateOldBackup' {
    It 'removes nothing when backups stopped 45 days ago' {
        $d = New-TestDirectory 'stopped'
        try {
            $sets = New-TwiceDaily -Dir $d -FromDaysAgo 120 -ToDaysAgo 45
            $before = (Get-ChildItem $d).Count
            $decisions = Remove-CenateOldBackup -Path $d -Confirm:$false
            # The oracle is what the test generated, not Get-CenateBackup: one decision per set written.
            $sets.Count | Should -Be 152
            $decisions.Count | Should -Be $sets.Count
            ($decisions.Stamp | Sort-Object) | Should -Be ($sets.Stamp | Sort-Object)
            $decisions.Action | Sort-Object -Unique | Should -Be 'Kept'
            $decisions.Rule | Sort-Object -Unique | Should -Be 'BackupsStopped'
            (Get-ChildItem $d).Count | Should -Be $before
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }

    It 'with -Force after the outage removes expired sets but keeps the newest three verified ones' {
        $d = New-TestDirectory 'force'
        try {
            $sets = New-TwiceDaily -Dir $d -FromDaysAgo 120 -ToDaysAgo 45
            # The newest three by the stamps the test generated (not by Get-CenateBackup, the module's own view).
            $newest3 = ($sets | Sort-Object Stamp | Select-Object -Last 3).Manifest
            $decisions = Remove-CenateOldBackup -Path $d -Force -Confirm:$false
            ($decisions | Where-Object Rule -eq 'MinimumKeep').Path | Sort-Object | Should -Be ($newest3 | Sort-Object)
            ($decisions | Where-Object Action -eq 'Removed').Count | Should -BeGreaterThan 0
            $newest3 | ForEach-Object { Test-Path $_ | Should -BeTrue }
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }

    It 'never counts unverified sets as the good ones' {
        $d = New-TestDirectory 'unverified'
        try {
            $verified = 100, 101, 102 | ForEach-Object { New-FakeSet -Dir $d -DaysAgo $_ }
            $unverifiedSets = New-TwiceDaily -Dir $d -FromDaysAgo 99 -ToDaysAgo 0 -Unverified
            New-FakeSet -Dir $d -DaysAgo 0.1 -FailedVerification | Out-Null
            $decisions = Remove-CenateOldBackup -Path $d -Force -Confirm:$false
            $verified | ForEach-Object { Test-Path $_.Dump | Should -BeTrue; Test-Path $_.Manifest | Should -BeTrue }
            ($decisions | Where-Object { $_.Path -in $verified.Manifest }).Rule | Sort-Object -Unique | Should -Be 'MinimumKeep'
            # Unverified sets older than the daily window went; the recent ones stay.
            $now = [DateTimeOffset]::UtcNow
            $unverified = $decisions | Where-Object { -not $_.Verified }
            $unverified.Count | Should -Be 201
            ($unverified | Where-Object { ($now - $_.Time).TotalDays -gt 30.01 }).Action | Sort-Object -Unique | Should -Be 'Removed'
            ($unverified | Where-Object { ($now - $_.Time).TotalDays -lt 29.99 }).Rule | Sort-Object -Unique | Should -Be 'Daily'
            # What is left on disk (the generated manifests that still exist, plus the failed one), not Get-CenateBackup.
            (@($unverifiedSets | Where-Object { Test-Path -LiteralPath $_.Manifest }).Count + 1) | Should -Be ($unverified | Where-Object Action -eq 'Kept').Count
            $unverifiedSets | Where-Object { Test-Path -LiteralPath $_.Manifest } | ForEach-Object { Test-Path -LiteralPath $_.Dump | Should -BeTrue }
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }

    It 'judges sets by the recorded time, not by file dates' {
        $d = New-TestDirectory 'mtime'
        try {
            New-TwiceDaily -Dir $d -FromDaysAgo 5 -ToDaysAgo 0 | Out-Null
            $old = New-FakeSet -Dir $d -DaysAgo 400
            $young = New-FakeSet -Dir $d -DaysAgo 10
            # A copy or restore gives the old set fresh dates, and the young one old dates.
            Get-ChildItem $d | Where-Object Name -like "*$($old.Stamp)*" | ForEach-Object { $_.LastWriteTime = Get-Date }
            Get-ChildItem $d | Where-Object Name -like "*$($young.Stamp)*" | ForEach-Object { $_.LastWriteTime = (Get-Date).AddYears(-3) }
            $decisions = Remove-CenateOldBackup -Path $d -Confirm:$false
            ($decisions | Where-Object Path -eq $old.Manifest).Action | Should -Be 'Removed'
            ($decisions | Where-Object Path -eq $young.Manifest).Rule | Should -Be 'Daily'
            Test-Path $old.Dump | Should -BeFalse
            Test-Path $young.Dump | Should -BeTrue
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }

    It 'leaves foreign files and damaged manifests alone' {
        $d = New-TestDirectory 'foreign'
        try {
            New-TwiceDaily -Dir $d -FromDaysAgo 3 -ToDaysAgo 0 | Out-Null
            New-FakeSet -Dir $d -DaysAgo 500 | Out-Null
            Set-Content -LiteralPath (Join-Path $d 'leeme.txt') -Value 'notas del DBA'
            Set-Content -LiteralPath (Join-Path $d 'maestro_cenate_20190101_000000.dump') -Value 'an old dump with no manifest'
            Set-Content -LiteralPath (Join-Path $d 'maestro_cenate_20190101_000001.manifest.json') -Value '{ damaged'
            (Get-Item (Join-Path $d 'leeme.txt')).LastWriteTime = (Get-Date).AddYears(-5)
            $null = Remove-CenateOldBackup -Path $d -Confirm:$false -WarningVariable warns 3>$null
            'leeme.txt', 'maestro_cenate_20190101_000000.dump', 'maestro_cenate_20190101_000001.manifest.json' | ForEach-Object { Test-Path (Join-Path $d $_) | Should -BeTrue }
            $warns.Count | Should -Be 1
            (Get-ChildItem $d -Filter *.manifest.json).Count | Should -Be 9
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }

    It 'finishes an interrupted removal on the next run' {
        $d = New-TestDirectory 'interrupted'
        try {
            New-TwiceDaily -Dir $d -FromDaysAgo 3 -ToDaysAgo 0 | Out-Null
            $half = New-FakeSet -Dir $d -DaysAgo 400
            Remove-Item -LiteralPath $half.Dump   # the files went, the manifest (last) did not
            $listed = Get-CenateBackup $d | Where-Object Path -eq $half.Manifest
            $listed.Complete | Should -BeFalse
            $listed.MissingFiles | Should -Be @((Split-Path -Leaf $half.Dump))
            $decision = Remove-CenateOldBackup -Path $d -Confirm:$false | Where-Object Path -eq $half.Manifest
            $decision.Action | Should -Be 'Removed'
            Test-Path $half.Manifest | Should -BeFalse
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }

    It 'changes nothing with -WhatIf and reports every decision' {
        $d = New-TestDirectory 'whatif'
        try {
            New-TwiceDaily -Dir $d -FromDaysAgo 200 -ToDaysAgo 0 | Out-Null
            $before = Get-ChildItem $d | Sort-Object Name | ForEach-Object Name
            # In a runspace without a host, so the 300 "What if" lines do not flood the test log.
            $ps = [powershell]::Create()
            $decisions = $ps.AddScript("Import-Module '$(Get-ModuleManifestPath)'; Remove-CenateOldBackup -Path '$d' -WhatIf").Invoke()
            $ps.Dispose()
            $decisions.Count | Should -Be 402
            ($decisions | Where-Object Action -eq 'WouldRemove').Count | Should -BeGreaterThan 0
            ($decisions.Action | Sort-Object -Unique) | Should -Be @('Kept', 'WouldRemove')
            (Get-ChildItem $d | Sort-Object Name | ForEach-Object Name) | Should -Be $before
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }

    It 'applies the plan''s policy: 30 days of everything, weekly for 90 days, monthly for a year' {
        $d = New-TestDirectory 'policy'
        try {
            New-TwiceDaily -Dir $d -FromDaysAgo 500 -ToDaysAgo 0 | Out-Null
            $decisions = Remove-CenateOldBackup -Path $d -Confirm:$false -TimeZone 'America/Lima'
            $kept = $decisions | Where-Object Action -eq 'Kept'
            $kept | Where-Object { ([DateTimeOffset]::UtcNow - $_.Time).TotalDays -gt 365.01 } | Should -BeNullOrEmpty
            ($kept | Where-Object Rule -eq 'Daily').Count | Should -BeIn 57, 58, 59, 60, 61
            ($kept | Where-Object Rule -eq 'Weekly').Count | Should -BeIn 8, 9, 10
            ($kept | Where-Object Rule -eq 'Monthly').Count | Should -BeIn 9, 10, 11
            # On disk, not through Get-CenateBackup: exactly the kept manifests and their dumps are left.
            (Get-ChildItem -LiteralPath $d -Filter *.manifest.json).FullName | Sort-Object | Should -Be ($kept.Path | Sort-Object)
            (Get-ChildItem -LiteralPath $d -Filter *.dump).Count | Should -Be $kept.Count
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }

    It 'removes stale partial files but not fresh ones' {
        $d = New-TestDirectory 'partial'
        try {
            New-TwiceDaily -Dir $d -FromDaysAgo 2 -ToDaysAgo 0 | Out-Null
            $stale = Join-Path $d 'maestro_cenate_20200101_000000.dump.partial'
            $fresh = Join-Path $d 'maestro_cenate_29990101_000000.dump.partial'
            Set-Content $stale 'x'; Set-Content $fresh 'y'
            (Get-Item $stale).LastWriteTime = (Get-Date).AddDays(-2)
            $null = Remove-CenateOldBackup -Path $d -Confirm:$false
            Test-Path $stale | Should -BeFalse
            Test-Path $fresh | Should -BeTrue
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }

    It 'never touches a directory while a backup job holds it' {
        $d = New-TestDirectory 'busy'
        try {
            New-TwiceDaily -Dir $d -FromDaysAgo 200 -ToDaysAgo 0 | Out-Null
            $before = (Get-ChildItem $d).Count
            # What New-CenateDump holds while it writes a set: the directory lock, shared.
            $held = [IO.File]::Open((Join-Path $d '.cenate.lock'), 'OpenOrCreate', 'ReadWrite', 'ReadWrite')
            try {
                { Remove-CenateOldBackup -Path $d -Confirm:$false -LockTimeout 00:00:01 } |
                    Should -Throw -ErrorId (& $Fq 'BackupDirectoryBusy' 'RemoveCenateOldBackupCommand')
            } finally { $held.Dispose() }
            (Get-ChildItem $d).Count | Should -Be $before
            (Remove-CenateOldBackup -Path $d -Confirm:$false | Where-Object Action -eq 'Removed').Count | Should -BeGreaterThan 0
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }

    It 'waits for a real New-CenateDump that is writing, then plans its finished set' {
        $rig = Get-Rig
        $c = Start-ThrowawayContainer -Name cenate_test_retention -Port 55444 -Rows 300000
        $d = New-TestDirectory 'realbusy'
        try {
            New-TwiceDaily -Dir $d -FromDaysAgo 40 -ToDaysAgo 35 | Out-Null
            $job = Invoke-InBackground -Script {
                param($Container, $Port, $Credential, $Path)
                New-CenateDump -Container $Container -Port $Port -Credential $Credential -Path $Path -CompressionLevel 9 | Test-CenateBackup
            } -Arguments @{ Container = $c.Name; Port = $c.Port; Credential = (Get-TestCredential); Path = $d }
            # A generous deadline: on a loaded machine the dump's first bytes took more than the helper's default 60 s.
            $null = Wait-ForFile -Directory $d -Filter '*.dump.*.partial' -MinimumSize 1 -TimeoutSeconds 300
            $decisions = Remove-CenateOldBackup -Path $d -Confirm:$false -LockTimeout 00:02:00
            $verification = $job.PowerShell.EndInvoke($job.Handle)
            $verification.Passed | Should -BeTrue
            # Retention ran after the dump released the directory: the new set is the newest good one.
            ($decisions | Sort-Object Time | Select-Object -Last 1).Path | Should -Be $verification.Path
            Test-Path $verification.Path | Should -BeTrue
            @(Get-ChildItem $d -Filter *.partial).Count | Should -Be 0
        } finally { Remove-ThrowawayContainer $c.Name; Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'says PathNotFound for a directory that does not exist' {
        { Remove-CenateOldBackup -Path '/nonexistent/cenate-backups' -Confirm:$false } |
            Should -Throw -ErrorId (& $Fq 'PathNotFound' 'RemoveCenateOldBackupCommand')
    }
}

Describe 'Set kinds: only full database sets stand for the database' {
    It 'keeps the full dumps of the old daily routine (full dump, then a data-only set seconds later) for every week and month' {
        $d = New-TestDirectory 'routine'
        try {
            for ($day = 120; $day -ge 0; $day--) {
                foreach ($half in 0.5, 0.0) {
                    New-FakeSet -Dir $d -DaysAgo ($day + $half) | Out-Null
                    New-FakeSet -Dir $d -DaysAgo ($day + $half - 30 / 86400) -Kind DataOnly -RecordKind:($day % 2 -eq 0) | Out-Null
                }
            }
            $decisions = Remove-CenateOldBackup -Path $d -KeepDaily 30 -KeepWeekly 90 -KeepMonthly 365 -TimeZone 'America/Lima' -Confirm:$false
            $now = [DateTimeOffset]::UtcNow
            $old = $decisions | Where-Object { ($now - $_.Time).TotalDays -gt 30.01 }
            $keptOld = $old | Where-Object Action -eq 'Kept'
            # Before the fix none of these was a full dump; now every kept old set is one, one per week and per month.
            $keptOld.Count | Should -BeGreaterOrEqual 9
            $keptOld.Kind | Sort-Object -Unique | Should -Be 'Full'
            ($keptOld.Rule | Sort-Object -Unique) | Should -Be @('Monthly', 'Weekly')
            ($old | Where-Object Kind -eq 'DataOnly').Action | Sort-Object -Unique | Should -Be 'Removed'
            $keptOld | ForEach-Object { Test-Path (Join-Path $d ("maestro_cenate_{0}.dump" -f $_.Stamp)) | Should -BeTrue }
            # MinimumKeep holds full sets only, although data-only sets are newer.
            ($decisions | Where-Object Rule -eq 'MinimumKeep').Kind | Sort-Object -Unique | Should -Be 'Full'
            # Data-only sets of the last 30 days stay, by their own rule.
            ($decisions | Where-Object { $_.Kind -eq 'DataOnly' -and ($now - $_.Time).TotalDays -lt 29.9 }).Rule | Sort-Object -Unique | Should -Be 'Partial'
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }

    It 'never lets export sets fill MinimumKeep or prove that backups run' {
        $d = New-TestDirectory 'exports'
        try {
            $full = New-FakeSet -Dir $d -DaysAgo 40
            0.3, 0.2, 0.1 | ForEach-Object { New-FakeSet -Dir $d -DaysAgo $_ -Kind Exports -RecordKind | Out-Null }
            $decisions = Remove-CenateOldBackup -Path $d -Confirm:$false
            $decisions.Rule | Sort-Object -Unique | Should -Be 'BackupsStopped'
            $forced = Remove-CenateOldBackup -Path $d -Force -Confirm:$false
            ($forced | Where-Object Path -eq $full.Manifest).Rule | Should -Be 'MinimumKeep'
            Test-Path $full.Dump | Should -BeTrue
            ($forced | Where-Object Kind -eq 'Exports').Rule | Sort-Object -Unique | Should -Be 'Partial'
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }

    It 'judges sets written before the kind was recorded by their files, and a manifest that claims Full without a full dump is not one' {
        $d = New-TestDirectory 'legacy'
        try {
            $a = New-FakeSet -Dir $d -DaysAgo 3
            $b = New-FakeSet -Dir $d -DaysAgo 2 -Kind DataOnly
            $c = New-FakeSet -Dir $d -DaysAgo 1 -Kind Exports
            $liar = New-FakeSet -Dir $d -DaysAgo 0.5 -Kind Exports
            $m = Get-Content -Raw $liar.Manifest | ConvertFrom-Json
            $m | Add-Member -NotePropertyName kind -NotePropertyValue 'Full' -Force
            $m | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath $liar.Manifest
            $sets = Get-CenateBackup $d
            $sets.Kind | Should -Be @('Full', 'DataOnly', 'Exports', 'Exports')
            (Get-CenateBackup $d -Newest 1).Path | Should -Be $a.Manifest
            (Get-CenateBackup $d -Kind Exports).Path | Should -Be @($c.Manifest, $liar.Manifest)
            (Get-CenateBackup $d -Kind Any -Newest 1).Path | Should -Be $liar.Manifest
            (Get-CenateBackup $d | Out-String -Width 80) | Should -Match 'Kind'
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }

    It 'records the kind of real sets, and the monitor and -Newest look at full sets only' {
        $rig = Get-Rig
        $d = New-TestDirectory 'realkinds'
        $P = @{ Container = $rig.Container; Port = $rig.Port; Credential = (Get-TestCredential) }
        try {
            $csvOnly = Export-CenateAseguradosCsv @P -Path $d
            $csvOnly.Kind | Should -Be 'Exports'
            # A directory holding only CSV exports is not a backup of the database.
            Test-CenateBackup -Path $d -MaxAge 26h -MinimumSize 1KB -Quiet | Should -BeFalse
            $r = Test-CenateBackup -Path $d -MaxAge 26h -MinimumSize 1KB
            $r.Problems.Kind | Should -Contain 'NoBackup'
            ($r.Problems | Where-Object Kind -eq 'NoBackup').Message | Should -Match 'full database'
            Test-CenateBackup -Path $d -MaxAge 26h -Kind Exports -Quiet | Should -BeTrue
            (Get-CenateBackup $d -Newest 1 -WarningVariable w 3>$null) | Should -BeNullOrEmpty
            $w | Should -Match 'Kind'

            $full = New-CenateDump @P -Path $d -Include Csv
            $tables = New-CenateDump @P -Path $d -Table asegurados
            $data = New-CenateDump @P -Path $d -Table asegurados -DataOnly
            $csv2 = Export-CenateAseguradosCsv @P -Path $d
            $full.Kind, $tables.Kind, $data.Kind, $csv2.Kind | Should -Be @('Full', 'Tables', 'DataOnly', 'Exports')
            (Get-Content -Raw $full.Path | ConvertFrom-Json).kind | Should -Be 'Full'
            (Get-Content -Raw $data.Path | ConvertFrom-Json).kind | Should -Be 'DataOnly'
            # The newest set is a CSV export; -Newest and the monitor still pick the full one.
            (Get-CenateBackup $d -Newest 1).Path | Should -Be $full.Path
            (Test-CenateBackup -Path $d -MaxAge 26h -Level Checksum).Path | Should -Be $full.Path
            Test-CenateBackup -Path $d -MaxAge 26h -MinimumSize 1KB -Quiet | Should -BeTrue
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'the shipped daily routine writes one full set per run (dump, SQL and CSV of one moment), verified, that retention keeps' {
        $rig = Get-Rig
        $d = New-TestDirectory 'routine-real'
        $script = Join-Path $PSScriptRoot '../../examples/Backup-CenateDaily.ps1'
        $env:PGPASSWORD = $rig.Password
        $oldPath = $env:PSModulePath
        $env:PSModulePath = (Split-Path (Split-Path (Get-ModuleManifestPath))) + [IO.Path]::PathSeparator + $oldPath
        try {
            foreach ($run in 1, 2) {
                $out = & pwsh -NoProfile -NonInteractive -File $script -Path $d -Container $rig.Container -Port $rig.Port -CredentialPath '/nonexistent' -CompressionLevel 1 2>&1
                $LASTEXITCODE | Should -Be 0 -Because ($out | Out-String)
            }
            $sets = Get-CenateBackup $d
            $sets.Count | Should -Be 2
            $sets.Kind | Sort-Object -Unique | Should -Be 'Full'
            $sets | ForEach-Object {
                ($_.Files.Kind | Sort-Object) | Should -Be @('Csv', 'Dump', 'Sql')
                $_.VerificationPassed | Should -BeTrue
            }
            ($out | Out-String) | Should -Not -Match $rig.Password
        } finally {
            $env:PSModulePath = $oldPath
            Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue
            Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'refuses a critical table that does not exist (a typo) before writing anything' {
        $rig = Get-Rig
        $d = New-TestDirectory 'typo'
        $P = @{ Container = $rig.Container; Port = $rig.Port; Credential = (Get-TestCredential) }
        try {
            { New-CenateDump @P -Path $d -CriticalTable asegurado -Include Csv } | Should -Throw -ErrorId 'TableNotFound,CenateBackup.PowerShell.Commands.NewCenateDumpCommand'
            { New-CenateDump @P -Path $d -CriticalTable asegurado } | Should -Throw -ErrorId 'TableNotFound,CenateBackup.PowerShell.Commands.NewCenateDumpCommand'
            @(Get-ChildItem -LiteralPath $d -Force -ErrorAction SilentlyContinue | Where-Object Name -ne '.cenate.lock').Count | Should -Be 0
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }
}
