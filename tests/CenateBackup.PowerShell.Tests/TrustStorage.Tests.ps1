#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 23 §5: what a person who can write into a backup directory, or name a database or table, can do to the module.
# A planted .cenate.lock is never followed; names with newlines, quotes and dollar-quote tags stay names in every file
# the module writes. Databases cenate_trust_* are this file's own.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Sfx = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Db = "cenate_trust_lock_$Sfx"
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Sql "CREATE DATABASE $Db" | Out-Null
    Invoke-Psql -Database $Db -Sql "CREATE TABLE public.asegurados (id int PRIMARY KEY, nombre text NOT NULL);
        INSERT INTO public.asegurados SELECT g, 'n' || g FROM generate_series(1, 500) g;" | Out-Null
    $script:A = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db }
    # A database whose name carries a newline and a statement: a comment line that prints it must stay one line.
    $script:EvilDb = "cenate_trust_nl_$Sfx`nDROP TABLE public.asegurados; --"
    Invoke-Psql -Database postgres -Sql ('DROP DATABASE IF EXISTS "{0}" WITH (FORCE)' -f $EvilDb) | Out-Null
    Invoke-Psql -Database postgres -Sql ('CREATE DATABASE "{0}"' -f $EvilDb) | Out-Null
    $env:PGPASSWORD = $env:CENATE_TEST_PASSWORD
    try {
        & psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $Rig.Port -U cenate -d "dbname='$EvilDb'" -c (
            'CREATE TABLE public.asegurados (id int PRIMARY KEY, nombre text); INSERT INTO public.asegurados SELECT g, $q$x$q$ FROM generate_series(1, 50) g;' +
            'CREATE TABLE public."odd' + "`n" + 'na;me $cenate$ ""q""" (id int PRIMARY KEY, "co l;$cenate$" text);' +
            'INSERT INTO public."odd' + "`n" + 'na;me $cenate$ ""q""" SELECT g, $q$v$q$ || g FROM generate_series(1, 40) g;') 2>&1 | Out-Null
        if ($LASTEXITCODE -ne 0) { throw 'could not seed the database with the odd name' }
    } finally { Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue }
    $script:OddTable = "odd`nna;me `$cenate`$ `"q`""
}

AfterAll {
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Sql ('DROP DATABASE IF EXISTS "{0}" WITH (FORCE)' -f $EvilDb) | Out-Null
}

Describe 'A planted .cenate.lock is never followed' {
    It 'a symbolic link as the lock file stops New-CenateDump with UnsafeLockFile before anything is written, and its target is not created' {
        $d = New-TestDirectory 'locklink'
        $victim = Join-Path ([IO.Path]::GetTempPath()) ('cenate-victim-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $d | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $d '.cenate.lock') -Target $victim | Out-Null
        try {
            { New-CenateDump @A -Path $d -ErrorAction Stop } | Should -Throw -ErrorId 'UnsafeLockFile,CenateBackup.PowerShell.Commands.NewCenateDumpCommand'
            Test-Path -LiteralPath $victim | Should -BeFalse
            @(Get-ChildItem -LiteralPath $d -Force | Where-Object Name -ne '.cenate.lock').Count | Should -Be 0
        } finally { Remove-Item -LiteralPath $d -Recurse -Force; Remove-Item -LiteralPath $victim -Force -ErrorAction SilentlyContinue }
    }

    It 'a link to an existing file of someone else: retention refuses (UnsafeLockFile) and the file is neither changed nor locked' {
        $d = New-TestDirectory 'locklink2'
        New-CenateDump @A -Path $d -CompressionLevel 1 | Out-Null
        $victim = Join-Path ([IO.Path]::GetTempPath()) ('cenate-victim-' + [guid]::NewGuid().ToString('N'))
        Set-Content -LiteralPath $victim -Value 'precious' -NoNewline
        Remove-Item -LiteralPath (Join-Path $d '.cenate.lock') -Force
        New-Item -ItemType SymbolicLink -Path (Join-Path $d '.cenate.lock') -Target $victim | Out-Null
        try {
            $before = @(Get-ChildItem -LiteralPath $d -Filter '*.dump').Count
            { Remove-CenateOldBackup -Path $d -KeepDaily '1d' -MinimumKeep 1 -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'UnsafeLockFile,CenateBackup.PowerShell.Commands.RemoveCenateOldBackupCommand'
            Get-Content -Raw -LiteralPath $victim | Should -BeExactly 'precious'
            @(Get-ChildItem -LiteralPath $d -Filter '*.dump').Count | Should -Be $before
            # Not locked either: an exclusive flock of the target succeeds at once.
            $fs = [IO.File]::Open($victim, 'Open', 'ReadWrite', 'None'); $fs.Dispose()
        } finally { Remove-Item -LiteralPath $d -Recurse -Force; Remove-Item -LiteralPath $victim -Force -ErrorAction SilentlyContinue }
    }

    It 'a named pipe as the lock file is refused at once (UnsafeLockFile), not waited on' {
        $d = New-TestDirectory 'lockfifo'
        New-Item -ItemType Directory -Path $d | Out-Null
        & mkfifo (Join-Path $d '.cenate.lock')
        try {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            { Export-CenateAseguradosCsv @A -Path $d -ErrorAction Stop } | Should -Throw -ErrorId 'UnsafeLockFile,CenateBackup.PowerShell.Commands.ExportCenateAseguradosCsvCommand'
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
            @(Get-ChildItem -LiteralPath $d -Filter '*.csv*').Count | Should -Be 0
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }

    It 'the lock file the module creates is a 0600 regular file, and sets still work beside it' {
        $d = New-TestDirectory 'lockok'
        try {
            $set = New-CenateDump @A -Path $d -CompressionLevel 1
            $set.Complete | Should -BeTrue
            $lock = Get-Item -LiteralPath (Join-Path $d '.cenate.lock') -Force
            $lock.LinkType | Should -BeNullOrEmpty
            Get-UnixMode $lock.FullName | Should -Be '0600'
        } finally { Remove-Item -LiteralPath $d -Recurse -Force }
    }
}

Describe 'Names are data in every file the module writes' {
    It 'the data-only SQL of a database named with a newline and a statement keeps that name inside its comment line' {
        $d = New-TestDirectory 'nlname'
        try {
            $set = New-CenateDump -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Database $EvilDb -Path $d -Include Sql -CompressionLevel 1
            $set.Complete | Should -BeTrue
            $sql = @(Get-ChildItem -LiteralPath $d -Filter '*.asegurados.data.sql.gz')
            $sql.Count | Should -Be 1
            $text = & bash -c "gzip -dc '$($sql[0].FullName)'"
            # Every line before the first SET is a comment line: the name cannot start a statement of its own.
            $header = $text | Select-Object -First ([array]::IndexOf($text, ($text | Where-Object { $_ -like 'SET *' } | Select-Object -First 1)))
            $header | Where-Object { $_ -ne '' -and $_ -notlike '--*' } | Should -BeNullOrEmpty
            $text | Where-Object { $_ -like 'DROP TABLE*' } | Should -BeNullOrEmpty
            # File names carry no newline either.
            Get-ChildItem -LiteralPath $d | Where-Object { $_.Name -match "[`n`r/]" } | Should -BeNullOrEmpty
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'a table named with a newline, a semicolon, quotes and $cenate$ is dumped, exported and restored by name, row for row' {
        $d = New-TestDirectory 'oddtable'
        try {
            $set = New-CenateDump -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Database $EvilDb -Path $d -Table $OddTable -CompressionLevel 1
            $set.Complete | Should -BeTrue
            $csv = Export-CenateAseguradosCsv -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Database $EvilDb -Path $d -Table $OddTable -NoCompression
            $csv.Complete | Should -BeTrue
            $lines = Get-Content -LiteralPath $csv.Files[0].Path
            $lines.Count | Should -Be 41
            $lines[0] | Should -BeExactly 'id,co l;$cenate$'
            $csv.RowCounts.Values | Should -Be 40
            $lines[40] | Should -BeExactly '40,v40'
            # The table restores by name from the set into a staging schema, with its 40 rows.
            $r = Restore-CenateTable -Backup $set -Container $Rig.Container -Port $Rig.Port -Database $EvilDb -Table $OddTable -Credential $Cred -Confirm:$false
            $r.BackupRows | Should -Be 40
            $r.StagingSchema | Should -Not -BeNullOrEmpty
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'the audit, Protect-CenateTable and New-CenateReadOnlyRole work on that table by name: its deleted rows are logged and put back' {
        $E = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $EvilDb }
        $role = 'cenate_trust_app_' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $reader = "cenate_trust_ro`n`$cenate`$ `"r`""
        Invoke-Psql -Database postgres -Sql "CREATE ROLE $role NOLOGIN" | Out-Null
        $env:PGPASSWORD = $env:CENATE_TEST_PASSWORD
        function Q([string]$Sql) {
            $out = & psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $Rig.Port -U cenate -d "dbname='$EvilDb'" -c $Sql 2>&1
            if ($LASTEXITCODE -ne 0) { throw "psql failed: $out" }
            $out
        }
        $qt = 'public."odd' + "`n" + 'na;me $cenate$ ""q"""'
        try {
            Q "GRANT SELECT, DELETE, TRUNCATE ON $qt TO $role" | Out-Null
            $i = Install-CenateAuditTrigger @E -Table $OddTable -Confirm:$false -WarningAction SilentlyContinue
            $i | Should -Not -BeNullOrEmpty
            Q "DELETE FROM $qt WHERE id <= 3" | Out-Null
            $entries = @(Get-CenateAuditLog @E -Table $OddTable -Operation Delete)
            $entries.Count | Should -Be 3
            $back = $entries | Restore-CenateDeletedRow @E -Confirm:$false
            Q "SELECT count(*) FROM $qt" | Should -Be '40'
            $p = Protect-CenateTable @E -Table $OddTable -Role $role -Confirm:$false
            Q "SELECT has_table_privilege('$role', '$($qt -replace "'", "''")', 'DELETE')::text" | Should -Be 'false'
            $ro = New-CenateReadOnlyRole @E -Name $reader -Password (ConvertTo-SecureString 'lector-1' -AsPlainText -Force) -View $OddTable -Confirm:$false
            Q 'SELECT count(*) FROM pg_roles WHERE rolname = ''cenate_trust_ro'' || chr(10) || ''$cenate$ "r"''' | Should -Be '1'
            Q 'SELECT count(*) FROM pg_class WHERE relname = ''v_odd'' || chr(10) || ''na;me $cenate$ "q"_readonly''' | Should -Be '1'
            # The only audited table: -RemoveLog takes the log too (its own triggers are matched by oid, not by name).
            Uninstall-CenateAuditTrigger @E -Table $OddTable -RemoveLog -Confirm:$false | Out-Null
            Q "SELECT count(*) FROM pg_namespace WHERE nspname = 'cenate_audit'" | Should -Be '0'
        } finally {
            Remove-Item env:PGPASSWORD -ErrorAction SilentlyContinue
            Invoke-Psql -Database postgres -Sql ('DROP DATABASE IF EXISTS "{0}" WITH (FORCE)' -f $EvilDb) | Out-Null
            Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS $role" | Out-Null
            Invoke-Psql -Database postgres -Sql ('DROP ROLE IF EXISTS "{0}"' -f ($reader -replace '"', '""')) | Out-Null
        }
    }
}
