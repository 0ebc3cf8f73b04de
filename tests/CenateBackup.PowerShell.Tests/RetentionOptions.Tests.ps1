#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Remove-CenateOldBackup with non-default -Keep*, -MinimumKeep, -MaxNewestAge, -Database and -TimeZone, against the
# expected decisions computed here with the test's own date arithmetic (ISO weeks from System.Globalization.ISOWeek)
# and checked on disk with sha256sum: the module is never its own oracle. Sets are written as a backup job leaves them.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force

    function New-FakeSet {
        # A verified, complete full set of $Database recorded $DaysAgo days ago: a dump of random bytes and its manifest.
        param([string]$Dir, [double]$DaysAgo, [string]$Database = 'maestro_cenate')
        if (-not (Test-Path $Dir)) { New-Item -ItemType Directory -Path $Dir | Out-Null }
        $time = [DateTimeOffset]::UtcNow.AddDays(-$DaysAgo)
        $stamp = $time.UtcDateTime.ToString('yyyyMMdd_HHmmss')
        $name = "${Database}_$stamp.dump"
        $bytes = [byte[]]::new(1024 + (Get-Random -Maximum 1024)); [Random]::new().NextBytes($bytes)
        [IO.File]::WriteAllBytes((Join-Path $Dir $name), $bytes)
        $sha = ((& sha256sum (Join-Path $Dir $name)) -split ' ')[0]
        $path = Join-Path $Dir "${Database}_$stamp.manifest.json"
        [ordered]@{
            formatVersion = 1; tool = 'CenateBackup test'; database = $Database; stamp = $stamp; kind = 'Full'
            startedAt = $time.ToString('o'); completedAt = $time.AddMinutes(1).ToString('o'); complete = $true
            source = [ordered]@{ mode = 'Container'; container = 'postgres_cenate'; host = $null; port = 5432; user = 'cenate'; serverVersion = '15.18'; serverVersionNum = 150018; pgDumpVersion = '15.18' }
            snapshotId = '00000003-00000001-1'; rowCounts = [ordered]@{ 'public.asegurados' = 1000 }
            files = @([ordered]@{ name = $name; kind = 'Dump'; size = $bytes.Length; sha256 = $sha; compression = 'gzip'; compressionLevel = 6; dataOnly = $false; tables = @(); completedAt = $time.AddMinutes(1).ToString('o') })
            verification = [ordered]@{ level = 'Read'; at = $time.AddMinutes(5).ToString('o'); passed = $true; problems = @() }
        } | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath $path
        [pscustomobject]@{ Manifest = $path; Dump = (Join-Path $Dir $name); Stamp = $stamp }
    }
}

Describe 'Remove-CenateOldBackup with non-default options, against the test''s own date arithmetic' {
    BeforeAll {
        function Get-DirHashes([string]$Dir) {
            # sha256sum of every file but the lock: an oracle independent of the module.
            (& bash -c 'cd "$1" && find . -type f ! -name .cenate.lock -print0 | sort -z | xargs -0 -r sha256sum' _ $Dir) -join "`n"
        }
    }

    It '-Database, -KeepDaily, -KeepWeekly, -KeepMonthly/-KeepYearly 0, -MinimumKeep and -TimeZone UTC keep exactly the expected sets' {
        $d = New-TestDirectory 'options'
        try {
            # One verified full set a day, 6 h past each day mark (no set near a window edge), 40 days back.
            $mine = 0..40 | ForEach-Object { New-FakeSet -Dir $d -DaysAgo ($_ + 0.25) }
            $other = 10, 20, 30 | ForEach-Object { New-FakeSet -Dir $d -DaysAgo ($_ + 0.25) -Database otra_db }
            $otherHashes = @((Get-DirHashes $d) -split "`n" | Where-Object { $_ -like '*otra_db_*' })
            $otherHashes.Count | Should -Be 6
            $now = [DateTimeOffset]::UtcNow
            $decisions = Remove-CenateOldBackup -Path $d -Database maestro_cenate -KeepDaily 6 -KeepWeekly 21 -KeepMonthly 0 -KeepYearly 0 `
                -MinimumKeep 4 -MaxNewestAge '1d' -TimeZone 'UTC' -Confirm:$false

            # The expected rule of every set, computed here: newest 4 (MinimumKeep), then age <= 6 d (Daily), then the
            # newest set of its ISO week (UTC) if at most 21 d old (Weekly), else Expired.
            $byAge = $mine | ForEach-Object {
                $t = [DateTimeOffset]::ParseExact($_.Stamp, 'yyyyMMdd_HHmmss', [cultureinfo]::InvariantCulture, 'AssumeUniversal')
                [pscustomobject]@{ Set = $_; Time = $t; Age = ($now - $t).TotalDays
                    Week = '{0}-W{1:D2}' -f [Globalization.ISOWeek]::GetYear($t.UtcDateTime), [Globalization.ISOWeek]::GetWeekOfYear($t.UtcDateTime) }
            } | Sort-Object Time -Descending
            $newestOfWeek = @{}
            foreach ($s in $byAge) { if (-not $newestOfWeek.ContainsKey($s.Week)) { $newestOfWeek[$s.Week] = $s.Set.Stamp } }
            $expected = @{}
            for ($i = 0; $i -lt $byAge.Count; $i++) {
                $s = $byAge[$i]
                $expected[$s.Set.Stamp] = if ($i -lt 4) { 'MinimumKeep' }
                    elseif ($s.Age -le 6) { 'Daily' }
                    elseif ($s.Age -le 21 -and $newestOfWeek[$s.Week] -eq $s.Set.Stamp) { 'Weekly' }
                    else { 'Expired' }
            }
            # Sanity of the oracle itself: every rule occurs, and most old sets go.
            ($expected.Values | Sort-Object -Unique) | Should -Be @('Daily', 'Expired', 'MinimumKeep', 'Weekly')
            @($expected.Values | Where-Object { $_ -eq 'Daily' }).Count | Should -Be 2
            @($expected.Values | Where-Object { $_ -eq 'Weekly' }).Count | Should -BeIn 2, 3

            $decisions.Count | Should -Be $mine.Count -Because '-Database leaves the other database out of the plan'
            foreach ($dec in $decisions) {
                $dec.Database | Should -Be 'maestro_cenate'
                $dec.Rule | Should -Be $expected[$dec.Stamp] -Because "set $($dec.Stamp)"
                $dec.Action | Should -Be $(if ($expected[$dec.Stamp] -eq 'Expired') { 'Removed' } else { 'Kept' }) -Because "set $($dec.Stamp)"
            }
            foreach ($s in $mine) {
                $keep = $expected[$s.Stamp] -ne 'Expired'
                Test-Path -LiteralPath $s.Manifest | Should -Be $keep -Because "set $($s.Stamp)"
                Test-Path -LiteralPath $s.Dump | Should -Be $keep -Because "set $($s.Stamp)"
            }
            @((Get-DirHashes $d) -split "`n" | Where-Object { $_ -like '*otra_db_*' }) | Should -Be $otherHashes
            $other | ForEach-Object { Test-Path -LiteralPath $_.Manifest | Should -BeTrue }
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It '-MaxNewestAge: a newest set older than it stops retention (nothing changes); a longer one lets it run' {
        $d = New-TestDirectory 'maxnewest'
        try {
            # The newest verified set is 4.25 days old.
            $sets = 0..20 | ForEach-Object { New-FakeSet -Dir $d -DaysAgo ($_ + 4.25) }
            $hashes = Get-DirHashes $d
            $policy = @{ KeepDaily = 6; KeepWeekly = 0; KeepMonthly = 0; KeepYearly = 0; MinimumKeep = 2; TimeZone = 'UTC' }
            $stopped = Remove-CenateOldBackup -Path $d @policy -MaxNewestAge '3d' -Confirm:$false
            $stopped.Count | Should -Be 21
            ($stopped.Rule | Sort-Object -Unique) | Should -Be 'BackupsStopped'
            ($stopped.Action | Sort-Object -Unique) | Should -Be 'Kept'
            Get-DirHashes $d | Should -Be $hashes

            $ran = Remove-CenateOldBackup -Path $d @policy -MaxNewestAge '5d' -Confirm:$false
            # Expected here: the newest two (4.25 and 5.25 days) are kept by MinimumKeep; nothing else is within 6 days.
            $newest2 = ($sets | Sort-Object Stamp | Select-Object -Last 2).Stamp
            ($ran | Where-Object Action -eq 'Kept').Stamp | Sort-Object | Should -Be ($newest2 | Sort-Object)
            ($ran | Where-Object Action -eq 'Kept').Rule | Sort-Object -Unique | Should -Be 'MinimumKeep'
            @($ran | Where-Object Action -eq 'Removed').Count | Should -Be 19
            (Get-ChildItem -LiteralPath $d -Filter *.manifest.json).Name | Sort-Object | Should -Be ($newest2 | ForEach-Object { "maestro_cenate_$_.manifest.json" } | Sort-Object)
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }
}
