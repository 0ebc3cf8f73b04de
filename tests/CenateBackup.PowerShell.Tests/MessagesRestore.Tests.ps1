#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 17 for the restore, verification, storage and tools areas: the texts a person reads come from resources
# (Spanish under es-*, English otherwise, the same error ids in both), and the messages that misled are fixed: a
# directory given as a set, a -PgBinDirectory that is not there, host mode's verbose line, an edited rowCounts caught at
# the Read level, and every directory level the module creates 0700. Real rig, real cmdlets, real pwsh.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred }
    $script:HostP = @{ HostName = '127.0.0.1'; Port = $Rig.Port; Credential = $Cred }
    # A database of its own (a copy of the seeded maestro_cenate): restores and staging schemas never touch another's.
    $script:Db = 'cenate_msgr_' + [guid]::NewGuid().ToString('N').Substring(0, 6)
    Copy-TestDatabase -Name $Db
    $script:Source = New-TestDirectory 'msg-restore'
    $script:Set = New-CenateDump @P -Database $Db -Path $Source
    $script:DumpRows = [long]$Set.RowCounts['public.asegurados']
    $DumpRows | Should -BeGreaterThan 0
    $script:Cmd = 'CenateBackup.PowerShell.Commands.'
    $script:Before = [cultureinfo]::CurrentUICulture

    # Runs $Script under the UI culture $Culture and returns the first error record it threw (the culture is restored).
    function Get-ErrorUnder([string]$Culture, [scriptblock]$Script) {
        $saved = [cultureinfo]::CurrentUICulture
        try {
            [cultureinfo]::CurrentUICulture = $Culture
            try { & $Script; $null } catch { $_ }
        } finally { [cultureinfo]::CurrentUICulture = $saved }
    }
    function Get-Listing([string]$Dir) {
        @(Get-ChildItem -LiteralPath $Dir -Force | ForEach-Object { "$($_.Name):$($_.Length)" } | Sort-Object)
    }
    function Copy-Set([string]$Name) {
        $d = New-TestDirectory $Name
        New-Item -ItemType Directory -Path $d | Out-Null
        Copy-Item -LiteralPath $Set.Path, $Set.Files[0].Path -Destination $d
        [pscustomobject]@{ Dir = $d; Manifest = Join-Path $d (Split-Path -Leaf $Set.Path) }
    }
    function Edit-RowCount([string]$Manifest, [string]$Table, [long]$Value) {
        $m = Get-Content -Raw -LiteralPath $Manifest | ConvertFrom-Json -AsHashtable
        $m.rowCounts[$Table] = $Value
        # The module writes manifests 0600; keep the file's mode (only the content changes).
        [IO.File]::WriteAllText($Manifest, ($m | ConvertTo-Json -Depth 20))
    }
}
AfterAll {
    [cultureinfo]::CurrentUICulture = $Before
    Remove-TestDatabase $Db
    Remove-Item -LiteralPath $Source -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'A directory given where one backup set is expected' {
    It 'Restore-CenateTable says the directory is not a set (not that it does not exist), in English and Spanish' {
        $before = Get-Listing $Source
        $restore = { Restore-CenateTable $Source -Table asegurados @P -Database $Db -Confirm:$false }
        $en = Get-ErrorUnder 'en-US' $restore
        $en.FullyQualifiedErrorId | Should -Be "BackupPathIsDirectory,${Cmd}RestoreCenateTableCommand"
        $en.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $what = "give one set's manifest (.manifest.json) or one of its files."
        $en.Exception.Message | Should -Be "'$Source' is a directory, not a backup set: $what"
        $en.Exception.Message | Should -Not -Match 'does not exist'
        $en.ErrorDetails.RecommendedAction |
            Should -BeLike "*Get-CenateBackup '$Source' -Newest 1 | Restore-CenateTable -Table asegurados*"
        $es = Get-ErrorUnder 'es-ES' $restore
        $es.FullyQualifiedErrorId | Should -Be $en.FullyQualifiedErrorId
        $es.Exception.Message | Should -BeLike "'$Source' es un directorio, no un conjunto de copia*"
        $es.ErrorDetails.RecommendedAction |
            Should -BeLike "Elija un conjunto*Get-CenateBackup '$Source' -Newest 1 | Restore-CenateTable*"
        Get-Listing $Source | Should -Be $before
    }

    It 'Compare-CenateBackup says the same, with a command that works for a path parameter' {
        $e = Get-ErrorUnder 'en-US' { Compare-CenateBackup $Source -Live @P -Database $Db -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -Be "BackupPathIsDirectory,${Cmd}CompareCenateBackupCommand"
        $e.Exception.Message | Should -BeLike "'$Source' is a directory, not a backup set*"
        $e.ErrorDetails.RecommendedAction |
            Should -BeLike "*Compare-CenateBackup (Get-CenateBackup '$Source' -Newest 1).Path -Table asegurados*"
    }

    It 'the suggested pipeline works: the newest set of the directory restores into staging' {
        $r = Get-CenateBackup $Source -Newest 1 |
            Restore-CenateTable -Table asegurados @P -Database $Db -Mode Staging -Confirm:$false
        $r.BackupRows | Should -Be $DumpRows
        $r.StagingSchema | Should -BeLike 'cenate_restore_*'
        Invoke-Psql -Database $Db -Sql "DROP SCHEMA IF EXISTS $($r.StagingSchema) CASCADE" | Out-Null
    }

    It 'a missing file is still PathNotFound, and a file that is no set is refused without a restore' {
        $missing = Join-Path $Source 'nope.manifest.json'
        $e = Get-ErrorUnder 'en-US' { Restore-CenateTable $missing @P -Database $Db -Confirm:$false }
        $e.FullyQualifiedErrorId | Should -Be "PathNotFound,${Cmd}RestoreCenateTableCommand"
        $e.Exception.Message | Should -Be "'$missing' does not exist."
        $es = Get-ErrorUnder 'es-PE' { Restore-CenateTable $missing @P -Database $Db -Confirm:$false }
        $es.FullyQualifiedErrorId | Should -Be $e.FullyQualifiedErrorId
        $es.Exception.Message | Should -Be "'$missing' no existe."
        $lone = Join-Path (New-Item -ItemType Directory -Path (New-TestDirectory 'msg-lone')).FullName 'x.dump'
        try {
            Set-Content -LiteralPath $lone -Value 'not a dump'
            $u = Get-ErrorUnder 'en-US' { Restore-CenateTable $lone @P -Database $Db -Confirm:$false }
            $u.FullyQualifiedErrorId | Should -Be "UnverifiedBackup,${Cmd}RestoreCenateTableCommand"
        } finally { Remove-Item -LiteralPath (Split-Path $lone) -Recurse -Force }
    }

    It 'Test-CenateBackup on a missing set path: the same id in both languages, Spanish text under es-ES' {
        $missing = Join-Path $Source 'gone_20200101_000000.manifest.json'
        $en = Get-ErrorUnder 'en-US' { Test-CenateBackup -Path $missing -ErrorAction Stop }
        $en.FullyQualifiedErrorId | Should -Be "PathNotFound,${Cmd}TestCenateBackupCommand"
        $en.ErrorDetails.RecommendedAction | Should -Be 'Check -Path; list backup sets with Get-CenateBackup <dir>.'
        $es = Get-ErrorUnder 'es-ES' { Test-CenateBackup -Path $missing -ErrorAction Stop }
        $es.FullyQualifiedErrorId | Should -Be $en.FullyQualifiedErrorId
        $es.Exception.Message | Should -Be "'$missing' no existe."
        $es.ErrorDetails.RecommendedAction |
            Should -BeLike 'Revise -Path; liste los conjuntos de copia con Get-CenateBackup*'
    }
}

Describe '-PgBinDirectory names the bad path' {
    It 'a directory that does not exist: the message names it; nothing is written' {
        $bad = '/nonexistent-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $dir = New-TestDirectory 'msg-pgbin'
        try {
            $e = Get-ErrorUnder 'en-US' { New-CenateDump @HostP -Path $dir -PgBinDirectory $bad -ErrorAction Stop }
            $e.FullyQualifiedErrorId | Should -Be "PgToolNotFound,${Cmd}NewCenateDumpCommand"
            $e.Exception.Message |
                Should -Be "The -PgBinDirectory '$bad' does not exist, so 'pg_dump' cannot run from it."
            $e.ErrorDetails.RecommendedAction | Should -Not -Match 'apt-get'
            $e.ErrorDetails.RecommendedAction | Should -Match 'Give -PgBinDirectory the directory that holds pg_dump'
            $es = Get-ErrorUnder 'es-ES' { New-CenateDump @HostP -Path $dir -PgBinDirectory $bad -ErrorAction Stop }
            $es.FullyQualifiedErrorId | Should -Be $e.FullyQualifiedErrorId
            $es.Exception.Message |
                Should -Be "El -PgBinDirectory '$bad' no existe, así que 'pg_dump' no se puede ejecutar desde allí."
            $es.ErrorDetails.RecommendedAction |
                Should -BeLike 'Indique en -PgBinDirectory el directorio que contiene pg_dump*'
            if (Test-Path -LiteralPath $dir) { @(Get-ChildItem -LiteralPath $dir -Force).Count | Should -Be 0 }
        } finally { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'a directory without the tool: says it holds no pg_restore (Test-CenateBackup), not that the client is missing' {
        $empty = (New-Item -ItemType Directory -Path (New-TestDirectory 'msg-emptybin')).FullName
        try {
            $e = Get-ErrorUnder 'en-US' { Test-CenateBackup -Path $Set.Path -PgBinDirectory $empty -ErrorAction Stop }
            $e.FullyQualifiedErrorId | Should -Be "PgToolNotFound,${Cmd}TestCenateBackupCommand"
            $e.Exception.Message | Should -BeLike "The -PgBinDirectory '$empty' holds no usable 'pg_restore' (*"
            $e.ErrorDetails.RecommendedAction | Should -Not -Match 'apt-get'
        } finally { Remove-Item -LiteralPath $empty -Recurse -Force }
    }
}

Describe 'Host mode says where pg_dump runs' {
    It '-Verbose names this machine and the server it dumps, not "runs in local."' {
        $dir = New-TestDirectory 'msg-verbose'
        try {
            $out = @(New-CenateDump @HostP -Path $dir -Verbose 4>&1)
            $verbose = @($out | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message)
            $line = @($verbose | Where-Object { $_ -like 'pg_dump * runs *' })
            $line.Count | Should -Be 1
            $where = "runs on this machine \(the local PATH\) against 127\.0\.0\.1:$($Rig.Port)\.$"
            $line[0] | Should -Match "^pg_dump \d+(\.\d+)* $where"
            ($verbose -join "`n") | Should -Not -Match 'runs in local'
            $inContainer = @(New-CenateDump @P -Path $dir -Verbose 4>&1) |
                Where-Object { $_ -is [Management.Automation.VerboseRecord] -and $_.Message -like 'pg_dump * runs *' }
            $inContainer.Message | Should -Match "runs in container $($Rig.Container)\.$"
        } finally { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'The Read level compares the manifest''s rowCounts with the dump''s data' {
    It 'a set whose manifest count was edited fails at Read with RowCountMismatch (checksums still agree)' {
        foreach ($delta in 1, -1) {
            $c = Copy-Set "msg-rows$delta"
            try {
                $edited = $DumpRows + $delta
                Edit-RowCount $c.Manifest 'public.asegurados' $edited
                $r = Test-CenateBackup -Path $c.Manifest -Level Read
                $r.Passed | Should -BeFalse
                @($r.Problems.Kind) | Should -Be @('RowCountMismatch')
                $r.Problems[0].Message |
                    Should -Be "public.asegurados: $DumpRows rows in the dump's data, the manifest says $edited"
                $r.Problems[0].File | Should -Be $Set.Files[0].Name
                (Get-Content -Raw $c.Manifest | ConvertFrom-Json).verification.passed | Should -BeFalse
            } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
        }
    }

    It 'an untouched set passes at Read, with the row check among its checks' {
        $c = Copy-Set 'msg-rows-ok'
        try {
            $r = Test-CenateBackup -Path $c.Manifest -Level Read
            $r.Passed | Should -BeTrue
            @($r.Checks) -like "row counts $($Set.Files[0].Name) (*" | Should -Not -BeNullOrEmpty
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }

    It 'partitions and inheritance (a parent counted with its children) raise no false mismatch' {
        $db = 'cenate_msgrs_' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $dir = New-TestDirectory 'msg-broad'
        try {
            New-BroadDatabase -Name $db
            # broad.atenciones is partitioned (no rows of its own), broad.documentos an inheritance parent whose count
            # (70) includes its child's 20 rows, broad.turnos a plain table.
            $critical = 'broad.atenciones', 'broad.documentos', 'broad.turnos'
            $s = New-CenateDump @P -Database $db -Path $dir -CriticalTable $critical
            $s.RowCounts['broad.documentos'] | Should -Be 70
            $r = Test-CenateBackup -Path $s.Path -Level Read
            $r.Problems | Should -BeNullOrEmpty
            $r.Passed | Should -BeTrue
            # A plain table's count is compared: editing it is caught.
            Edit-RowCount $s.Path 'broad.turnos' 45
            $r2 = Test-CenateBackup -Path $s.Path -Level Read
            $r2.Passed | Should -BeFalse
            @($r2.Problems.Message) | Should -Be @("broad.turnos: 40 rows in the dump's data, the manifest says 45")
        } finally {
            Remove-TestDatabase $db
            Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

Describe 'Every directory level the module creates is 0700' {
    It 'New-CenateDump into a nested path: the created levels are 0700, the existing parent is left as it is' {
        $root = New-TestDirectory 'msg-nested'
        New-Item -ItemType Directory -Path $root | Out-Null
        & chmod 0755 $root
        try {
            $target = Join-Path $root 'a/b/c'
            New-CenateDump @P -Path $target | Out-Null
            foreach ($level in 'a', 'a/b', 'a/b/c') {
                Get-UnixMode (Join-Path $root $level) | Should -Be '0700' -Because $level
            }
            Get-UnixMode $root | Should -Be '0755'
        } finally { Remove-Item -LiteralPath $root -Recurse -Force }
    }
}

Describe 'Warnings and progress of these areas in Spanish' {
    It 'the stale-partial warning of New-CenateDump comes out Spanish under es-ES and English under en-US' {
        $dir = (New-Item -ItemType Directory -Path (New-TestDirectory 'msg-warn')).FullName
        try {
            foreach ($culture in 'es-ES', 'en-US') {
                $partial = Join-Path $dir "$($Rig.Database)_20200101_000000.dump.partial"
                Set-Content -LiteralPath $partial -Value 'x'
                (Get-Item -LiteralPath $partial).LastWriteTimeUtc = [datetime]'2020-01-01'
                $saved = [cultureinfo]::CurrentUICulture
                try {
                    [cultureinfo]::CurrentUICulture = $culture
                    $w = @(New-CenateDump @P -Path $dir 3>&1 |
                        Where-Object { $_ -is [Management.Automation.WarningRecord] })
                } finally { [cultureinfo]::CurrentUICulture = $saved }
                $w.Count | Should -Be 1
                $expected = if ($culture -eq 'es-ES') { "Se eliminó '$partial', un archivo parcial*" }
                else { "Removed '$partial', a partial file an earlier run*" }
                $w[0].Message | Should -BeLike $expected
                Test-Path -LiteralPath $partial | Should -BeFalse
            }
        } finally { Remove-Item -LiteralPath $dir -Recurse -Force }
    }

    It 'Test-CenateBackup''s progress is Spanish under es-ES' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript(
                "[cultureinfo]::CurrentUICulture = 'es-ES'; Import-Module '$(Get-ModuleManifestPath)'; " +
                "Test-CenateBackup -Path '$($Set.Path)' -Level Read")
            $result = $ps.Invoke()
            $ps.Streams.Error | Should -BeNullOrEmpty
            $result[0].Passed | Should -BeTrue
            $status = @($ps.Streams.Progress | ForEach-Object StatusDescription)
            $status | Should -Contain "Comprobando $($Set.Files[0].Name)"
            $status | Should -Contain 'Terminado'
            $status | Should -Not -Contain 'Done'
        } finally { $ps.Dispose() }
    }

    It 'a child pwsh started with LANG=es_PE.UTF-8 gets the Spanish message and the same error id' {
        $pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
        $script = "Import-Module '$(Get-ModuleManifestPath)'; " +
            "try { Restore-CenateTable '$Source' -Container '$($Rig.Container)' -Port $($Rig.Port) " +
            "-Confirm:`$false } catch { `$_.FullyQualifiedErrorId; `$_.Exception.Message; " +
            "`$_.ErrorDetails.RecommendedAction }; `$PSUICulture"
        $psi = [Diagnostics.ProcessStartInfo]::new($pwsh)
        foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $script) { $psi.ArgumentList.Add($a) }
        $psi.Environment['LANG'] = 'es_PE.UTF-8'
        $null = $psi.Environment.Remove('LC_ALL'); $null = $psi.Environment.Remove('LC_MESSAGES')
        $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
        $proc = [Diagnostics.Process]::Start($psi)
        $out = $proc.StandardOutput.ReadToEnd(); $err = $proc.StandardError.ReadToEnd(); $proc.WaitForExit()
        $lines = @($out -split "`n" | ForEach-Object TrimEnd | Where-Object { $_ })
        $lines[0] | Should -Be "BackupPathIsDirectory,${Cmd}RestoreCenateTableCommand" -Because $err
        $lines[1] | Should -BeLike "'$Source' es un directorio, no un conjunto de copia*"
        $lines[2] | Should -BeLike 'Elija un conjunto del directorio*'
        $lines[-1] | Should -Be 'es-PE'
    }
}
