#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 12 §3/§4 on real disks, a real server and real separate pwsh processes: two writers never share a partial
# file, every exit path leaves nothing half-done, retention never deletes what another manifest lists, and a
# verification is recorded only when allowed and possible. Databases cenate_stor_a/_b are this file's own.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Fqid = { param($id, $cmd = 'NewCenateDumpCommand') "$id,CenateBackup.PowerShell.Commands.$cmd" }
    $script:Dbs = @('cenate_stor_a', 'cenate_stor_b')
    foreach ($db in $Dbs) {
        Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $db" | Out-Null
        Invoke-Psql -Database postgres -Sql "CREATE DATABASE $db" | Out-Null
        Invoke-Psql -Database $db -Sql "CREATE TABLE public.asegurados (id serial PRIMARY KEY, nombre text NOT NULL, db text NOT NULL DEFAULT current_database());
            INSERT INTO public.asegurados (nombre) SELECT md5(g::text) FROM generate_series(1, 3000) g;" | Out-Null
    }
    $script:A0 = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Dbs[0] }
    $script:A1 = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Dbs[1] }
    $script:Pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source

    function script:Start-Pwsh {
        # A separate pwsh process (its own flock/fcntl locks), started at the wall-clock second $At, writing JSON to $Out.
        param([string]$Script, [datetime]$At, [string]$Out, [hashtable]$Vars)
        $file = [IO.Path]::GetTempFileName() + '.ps1'
        $lines = @("`$ErrorActionPreference = 'Stop'", "Import-Module '$(Get-ModuleManifestPath)'")
        foreach ($k in $Vars.Keys) { $lines += "`$$k = '$($Vars[$k])'" }
        $lines += "`$cred = [pscredential]::new('cenate', (ConvertTo-SecureString -String `$env:CENATE_TEST_PASSWORD -AsPlainText -Force))"
        $lines += "while ([DateTime]::UtcNow -lt [DateTime]::new($($At.Ticks), 'Utc')) { Start-Sleep -Milliseconds 5 }"
        $lines += "try { `$r = & { $Script }; `$r | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath '$Out' } catch { @{ Error = `$_.FullyQualifiedErrorId; Message = `$_.Exception.Message } | ConvertTo-Json | Set-Content -LiteralPath '$Out' }"
        Set-Content -LiteralPath $file -Value ($lines -join "`n")
        Start-Process -FilePath $Pwsh -ArgumentList '-NoProfile', '-NonInteractive', '-File', $file -PassThru
    }

    function script:Read-Out([string]$Path) { Get-Content -Raw -LiteralPath $Path | ConvertFrom-Json }
}

AfterAll {
    foreach ($db in $Dbs) { Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $db WITH (FORCE)" | Out-Null }
}

Describe 'Two writers never share a file' {
    It 'two New-CenateDump runs of two databases into one directory in the same second both verify, every file named for its database' {
        $d = New-TestDirectory 'twodb'
        try {
            $sameSecond = $false
            for ($attempt = 0; $attempt -lt 3 -and -not $sameSecond; $attempt++) {
                # Both processes start at the same whole second (plus 100 ms), each with -Include Csv,Sql of asegurados.
                $now = [DateTime]::UtcNow
                $at = [DateTime]::new($now.Ticks - ($now.Ticks % [TimeSpan]::TicksPerSecond), 'Utc').AddSeconds(6).AddMilliseconds(100)
                $outs = foreach ($db in $Dbs) { Join-Path ([IO.Path]::GetTempPath()) "cenate-stor-$db-$attempt.json" }
                $procs = for ($i = 0; $i -lt 2; $i++) {
                    Start-Pwsh -At $at -Out $outs[$i] -Vars @{ Db = $Dbs[$i]; Dir = $d; Container = $Rig.Container; Port = $Rig.Port } -Script {
                        New-CenateDump -Container $Container -Port $Port -Credential $cred -Database $Db -Path $Dir -Include Csv, Sql -CompressionLevel 1 |
                            Select-Object Path, Stamp, Database, @{ n = 'Files'; e = { @($_.Files.Name) } }
                    }
                }
                $procs | Wait-Process -Timeout 240
                $sets = $outs | ForEach-Object { Read-Out $_ }
                $sets | ForEach-Object { $_.PSObject.Properties.Name | Should -Not -Contain 'Error' -Because "$($_.Message)" }
                $sameSecond = $sets[0].Stamp -eq $sets[1].Stamp
            }
            $sameSecond | Should -BeTrue -Because 'the two runs must collide on one stamp for this test to mean anything'
            foreach ($s in $sets) {
                $s.Files.Count | Should -Be 3
                $s.Files | ForEach-Object { $_ | Should -BeLike "$($s.Database)_$($s.Stamp).*" }
                $r = Test-CenateBackup -Path $s.Path -Level Read
                $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
                # The CSV holds this database's rows, not the other's.
                $csv = Join-Path $d "$($s.Database)_$($s.Stamp).asegurados.csv.gz"
                $text = & bash -c "gzip -dc '$csv'"
                ($text | Select-Object -Skip 1 | Where-Object { $_ -notmatch ",$($s.Database)$" }) | Should -BeNullOrEmpty
                @($text).Count | Should -Be 3001
            }
            # No name is shared, nothing is left over.
            (@($sets[0].Files) + @($sets[1].Files) | Sort-Object -Unique).Count | Should -Be 6
            @(Get-ChildItem -LiteralPath $d -Force | Where-Object Name -like '*.partial') | Should -BeNullOrEmpty
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'two Test-CenateBackup runs on one set keep the manifest one valid JSON document, and both record their result' {
        $d = New-TestDirectory 'twoverify'
        try {
            $set = New-CenateDump @A0 -Path $d -Include Csv -CompressionLevel 1
            $now = [DateTime]::UtcNow
            $at = $now.AddSeconds(5)
            $outs = 0, 1 | ForEach-Object { Join-Path ([IO.Path]::GetTempPath()) "cenate-stor-verify-$_-$([guid]::NewGuid().ToString('N').Substring(0, 6)).json" }
            $procs = foreach ($o in $outs) {
                Start-Pwsh -At $at -Out $o -Vars @{ Manifest = $set.Path } -Script {
                    1..15 | ForEach-Object { (Test-CenateBackup -Path $Manifest -Level Checksum).Passed }
                }
            }
            $reads = 0
            while (@($procs | Where-Object { -not $_.HasExited }).Count -gt 0) {
                # Every read in between finds one whole manifest.
                $m = Get-Content -Raw -LiteralPath $set.Path | ConvertFrom-Json
                $m.files.Count | Should -Be 2
                $reads++
            }
            $reads | Should -BeGreaterThan 0
            foreach ($o in $outs) {
                $r = Read-Out $o
                @($r) | Should -Not -Contain $false
                @($r).Count | Should -Be 15
            }
            $m = Get-Content -Raw -LiteralPath $set.Path | ConvertFrom-Json
            $m.verification.level | Should -Be 'Checksum'
            $m.verification.passed | Should -BeTrue
            (Test-CenateBackup -Path $set.Path -Level Read).Passed | Should -BeTrue
            @(Get-ChildItem -LiteralPath $d -Force -Filter '*.partial') | Should -BeNullOrEmpty
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It '-Format Plain -Table asegurados -Include Sql writes the plain dump and the data-only export under two names; both verify' {
        $d = New-TestDirectory 'plainsql'
        try {
            $s = New-CenateDump @A1 -Path $d -Format Plain -Table asegurados -Include Sql, Csv
            ($s.Files.Name | Sort-Object) | Should -Be (@("$($Dbs[1])_$($s.Stamp).asegurados.csv.gz", "$($Dbs[1])_$($s.Stamp).asegurados.data.sql.gz", "$($Dbs[1])_$($s.Stamp).asegurados.sql.gz") | Sort-Object)
            ($s | Test-CenateBackup).Passed | Should -BeTrue
            # The plain dump has the table's definition, the export only its rows.
            (& bash -c "gzip -dc '$d/$($Dbs[1])_$($s.Stamp).asegurados.sql.gz'" | Select-String -SimpleMatch 'CREATE TABLE') | Should -Not -BeNullOrEmpty
            (& bash -c "gzip -dc '$d/$($Dbs[1])_$($s.Stamp).asegurados.data.sql.gz'" | Select-String -SimpleMatch 'CREATE TABLE') | Should -BeNullOrEmpty
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Every exit path cleans up' {
    It 'a disk that fills at the last write (the manifest) leaves neither the dump nor a manifest' {
        # Measure the set on a roomy disk, then give a tmpfs exactly the pages the reserved manifest and the dump need.
        $probe = New-TestDirectory 'probe'
        $mnt = New-TestDirectory 'lastwrite'
        New-Item -ItemType Directory -Path $mnt | Out-Null
        try {
            $p = New-CenateDump @A0 -Path $probe -CompressionLevel 0
            $dumpBytes = (Get-Item -LiteralPath $p.Files[0].Path).Length
            $manifestBytes = (Get-Item -LiteralPath $p.Path).Length
            $pages = [math]::Ceiling($dumpBytes / 4096) + [math]::Ceiling(($manifestBytes - 200) / 4096)
            $manifestBytes | Should -BeLessThan 4000 -Because 'the reserved manifest and the final one must both fit one page for this arithmetic'
            & mount -t tmpfs -o size=8m tmpfs $mnt
            $free = [long](& df --output=avail -B1 $mnt | Select-Object -Last 1)
            & fallocate -l ($free - $pages * 4096) (Join-Path $mnt 'filler')
            $dir = Join-Path $mnt 'b'
            New-Item -ItemType Directory -Path $dir | Out-Null
            $e = { New-CenateDump @A0 -Path $dir -CompressionLevel 0 } | Should -Throw -ErrorId (& $Fqid 'DiskFull') -PassThru
            # It was the manifest that did not fit: the dump had been renamed into place, and was removed again.
            "$($e.TargetObject)" | Should -BeLike '*.manifest.json'
            @(Get-ChildItem -LiteralPath $dir -Force | Where-Object Name -ne '.cenate.lock').Name | Should -BeNullOrEmpty
        } finally {
            & umount $mnt
            Remove-Item -LiteralPath $mnt, $probe -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'a run removes stale partial files of its own database with a warning, and leaves others'' alone' {
        $d = New-TestDirectory 'stale'
        New-Item -ItemType Directory -Path $d | Out-Null
        try {
            $old = [DateTime]::UtcNow.AddDays(-3).ToString('yyyyMMdd_HHmmss')
            $mine = Join-Path $d "$($Dbs[0])_$old.dump.0123456789ab.partial"
            $mineOld = Join-Path $d "$($Dbs[0])_$old.asegurados.csv.gz.partial"
            $fresh = Join-Path $d "$($Dbs[0])_$([DateTime]::UtcNow.ToString('yyyyMMdd_HHmmss')).dump.fedcba987654.partial"
            $theirs = Join-Path $d "$($Dbs[1])_$old.dump.0123456789ab.partial"
            $foreign = Join-Path $d 'notes.partial'
            foreach ($f in $mine, $mineOld, $fresh, $theirs, $foreign) { Set-Content -LiteralPath $f -Value 'x'; (Get-Item $f).LastWriteTimeUtc = [DateTime]::UtcNow.AddDays(-2) }
            (Get-Item $fresh).LastWriteTimeUtc = [DateTime]::UtcNow
            $s = New-CenateDump @A0 -Path $d -CompressionLevel 1 -WarningVariable w -WarningAction SilentlyContinue
            $s.Complete | Should -BeTrue
            Test-Path -LiteralPath $mine | Should -BeFalse
            Test-Path -LiteralPath $mineOld | Should -BeFalse
            foreach ($f in $fresh, $theirs, $foreign) { Test-Path -LiteralPath $f | Should -BeTrue -Because $f }
            @($w).Count | Should -Be 2
            ($w -join ' ') | Should -Match ([regex]::Escape((Split-Path -Leaf $mine)))
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Retention never deletes what it must not' {
    It 'a copied manifest never makes retention delete the shared dump' {
        $d = New-TestDirectory 'copied'
        try {
            $s = New-CenateDump @A0 -Path $d -CompressionLevel 1
            $null = $s | Test-CenateBackup
            # A copy of the manifest, as if from a year ago (stamp and name), listing the same dump.
            $m = Get-Content -Raw -LiteralPath $s.Path | ConvertFrom-Json
            $oldStamp = [DateTime]::UtcNow.AddDays(-400).ToString('yyyyMMdd_HHmmss')
            $m.stamp = $oldStamp
            $copy = Join-Path $d "$($Dbs[0])_$oldStamp.manifest.json"
            $m | ConvertTo-Json -Depth 8 | Set-Content -LiteralPath $copy
            $dump = $s.Files[0].Path
            $sha = (Get-FileHash -Algorithm SHA256 -LiteralPath $dump).Hash

            $decisions = Remove-CenateOldBackup -Path $d -Database $Dbs[0] -MinimumKeep 1 -Confirm:$false -Verbose 4>&1
            ($decisions | Where-Object { $_ -is [CenateBackup.PowerShell.Output.CenateRetentionDecision] -and $_.Action -eq 'Removed' }).Path | Should -Be $copy
            ($decisions | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join ' ' | Should -Match 'lists it too'
            Test-Path -LiteralPath $copy | Should -BeFalse
            (Get-FileHash -Algorithm SHA256 -LiteralPath $dump).Hash | Should -Be $sha
            (Test-CenateBackup -Path $s.Path -Level Read).Passed | Should -BeTrue
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'removes what a run that never completed left after a day, and never a foreign file or the lock file' {
        $d = New-TestDirectory 'abandoned'
        try {
            $s = New-CenateDump @A0 -Path $d -CompressionLevel 1
            $null = $s | Test-CenateBackup
            $old = [DateTime]::UtcNow.AddDays(-2).ToString('yyyyMMdd_HHmmss')
            $abandoned = "$($Dbs[0])_$old.dump", "$($Dbs[0])_$old.asegurados.csv.gz", "$($Dbs[0])_$old.dump.0123456789ab.partial" | ForEach-Object { Join-Path $d $_ }
            $kept = "notes.txt", "asegurados_$old.csv.gz", "$($Dbs[1])_$old.dump", "$($Dbs[0])_$([DateTime]::UtcNow.AddHours(-1).ToString('yyyyMMdd_HHmmss')).dump" | ForEach-Object { Join-Path $d $_ }
            foreach ($f in $abandoned + $kept) { Set-Content -LiteralPath $f -Value 'x'; (Get-Item $f).LastWriteTimeUtc = [DateTime]::UtcNow.AddDays(-2) }

            $null = Remove-CenateOldBackup -Path $d -Confirm:$false -WhatIf
            foreach ($f in $abandoned) { Test-Path -LiteralPath $f | Should -BeTrue -Because "-WhatIf removed $f" }
            $null = Remove-CenateOldBackup -Path $d -Confirm:$false
            foreach ($f in $abandoned) { Test-Path -LiteralPath $f | Should -BeFalse -Because $f }
            foreach ($f in $kept + @($s.Path, $s.Files[0].Path, (Join-Path $d '.cenate.lock'))) { Test-Path -LiteralPath $f | Should -BeTrue -Because $f }
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Test-CenateBackup records only when allowed and possible' {
    It '-WhatIf at Read and Checksum level verifies and leaves the manifest byte for byte' {
        $d = New-TestDirectory 'whatif'
        try {
            $s = New-CenateDump @A0 -Path $d -CompressionLevel 1
            $before = Get-FileHash -LiteralPath $s.Path
            foreach ($level in 'Checksum', 'Read') {
                $r = Test-CenateBackup -Path $s.Path -Level $level -WhatIf
                $r.Passed | Should -BeTrue
                (Get-FileHash -LiteralPath $s.Path).Hash | Should -Be $before.Hash
            }
            (Get-Content -Raw $s.Path | ConvertFrom-Json).verification | Should -BeNullOrEmpty
            $r = Test-CenateBackup -Path $d -Level Read -WhatIf
            $r.Passed | Should -BeTrue
            (Get-FileHash -LiteralPath $s.Path).Hash | Should -Be $before.Hash
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'verifies a set on read-only storage, warns that the record was not written, and changes nothing' {
        $mnt = New-TestDirectory 'rostore'
        New-Item -ItemType Directory -Path $mnt | Out-Null
        & mount -t tmpfs -o size=8m tmpfs $mnt
        try {
            $s = New-CenateDump @A0 -Path $mnt -CompressionLevel 1
            $before = Get-FileHash -LiteralPath $s.Path
            & mount -o remount,ro $mnt
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $r = Test-CenateBackup -Path $s.Path -Level Read -WarningVariable w -WarningAction SilentlyContinue -ErrorVariable err -ErrorAction SilentlyContinue
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 20 -Because 'a read-only mount is not a lock to wait for'
            $err | Should -BeNullOrEmpty
            $r.Passed | Should -BeTrue
            @($w).Count | Should -Be 1
            "$w" | Should -Match 'not recorded'
            (Get-FileHash -LiteralPath $s.Path).Hash | Should -Be $before.Hash
            # A failing verification on read-only storage is still reported as failed.
            (Test-CenateBackup -Path $s.Path -Level Checksum -WarningAction SilentlyContinue).Passed | Should -BeTrue
        } finally { & umount $mnt; Remove-Item -LiteralPath $mnt -Recurse -Force -ErrorAction SilentlyContinue }
    }
}
