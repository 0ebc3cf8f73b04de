#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 23 §2 and §4: Restore-CenateTable runs only statements it built itself. A backup file (and its manifest) is
# data written by whoever can write the backup directory: changed files are refused before anything of them runs
# (checked on the server: marker files in the container, tables that must not appear or disappear), files no manifest
# vouches for need -AllowUnverifiedBackup, and Replace recreates the views that depend on the table.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Db = "cenate_trust_$Suffix"
    $script:Tpl = "cenate_trust_tpl_$Suffix"
    # Other suites on the shared rig connect to maestro_cenate now and then: the copy is retried while they do.
    Copy-TestDatabase -Name $Tpl
    # A table no restore of asegurados may touch, and a table whose names carry quotes, semicolons and $cenate$.
    Invoke-Psql -Database $Tpl -Sql "CREATE TABLE public.tr_victim (a int); INSERT INTO public.tr_victim VALUES (1), (2);
        CREATE TABLE public.""tr;""""q`$cenate`$"" (id int PRIMARY KEY, ""co;l""""x`$cenate`$`nz"" text);
        INSERT INTO public.""tr;""""q`$cenate`$"" SELECT g, 'v;' || g || '''`$cenate`$' FROM generate_series(1, 40) g" | Out-Null
    function Reset-Db {
        Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
        Invoke-Psql -Database postgres -Sql "CREATE DATABASE $Db TEMPLATE $Tpl" | Out-Null
    }
    Reset-Db
    $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db }
    $script:Dir = New-TestDirectory 'trust'
    $script:Set = New-CenateDump @P -Path $Dir -Include Sql
    $script:Rows = [long]$Set.RowCounts['public.asegurados']
    $script:WeirdTable = 'tr;"q$cenate$'
    # The column name holds a newline too: it spans two lines in the export's COPY header and in the dump's DDL.
    $script:WeirdColumn = '"co;l""x$cenate$' + "`n" + 'z"'
    function Q([string]$Sql) { Invoke-Psql -Database $Db -Sql $Sql }
    function Get-Checksum { Q "SELECT count(*) || ':' || md5(string_agg(a::text, '|' ORDER BY id)) FROM public.asegurados a" }
    function Get-Schemas { @(Q "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'cenate\_restore\_%' ORDER BY 1") | Where-Object { $_ } }
    function Test-InContainer([string]$Path) {
        & docker exec $Rig.Container test -e $Path
        $LASTEXITCODE -eq 0
    }
    function Copy-Set {
        # A copy of the whole set in a directory of its own; returns the copy's manifest path.
        $copy = New-TestDirectory 'trust-copy'
        New-Item -ItemType Directory $copy | Out-Null
        Copy-Item -LiteralPath (@($Set.Path) + @($Set.Files.Path)) -Destination $copy
        Join-Path $copy (Split-Path -Leaf $Set.Path)
    }
    function Update-ManifestEntry([string]$Manifest, [string]$File) {
        # What an attacker who can write the directory does too: the manifest is data, so it is rewritten to match.
        $m = Get-Content -Raw -LiteralPath $Manifest | ConvertFrom-Json
        $entry = $m.files | Where-Object name -eq (Split-Path -Leaf $File)
        $entry.size = (Get-Item -LiteralPath $File).Length
        $entry.sha256 = (Get-FileHash -Algorithm SHA256 -LiteralPath $File).Hash.ToLowerInvariant()
        Set-Content -LiteralPath $Manifest -Value ($m | ConvertTo-Json -Depth 20) -NoNewline
    }
    function Edit-SqlExport([string]$Manifest, [scriptblock]$Edit) {
        # Decompresses the set's .sql.gz, changes its text, compresses it again, and fixes the manifest to match.
        $file = Get-ChildItem (Split-Path $Manifest) -Filter '*.sql.gz' | Select-Object -First 1
        $in = [IO.Compression.GZipStream]::new([IO.File]::OpenRead($file.FullName), [IO.Compression.CompressionMode]::Decompress)
        $reader = [IO.StreamReader]::new($in, [Text.UTF8Encoding]::new($false))
        $text = $reader.ReadToEnd(); $reader.Dispose()
        $changed = & $Edit $text
        $changed | Should -Not -Be $text -Because 'the edit must change the file'
        $out = [IO.Compression.GZipStream]::new([IO.File]::Create($file.FullName), [IO.Compression.CompressionLevel]::Fastest)
        $bytes = [Text.UTF8Encoding]::new($false).GetBytes($changed)
        $out.Write($bytes, 0, $bytes.Length); $out.Dispose()
        Update-ManifestEntry $Manifest $file.FullName
        $file.FullName
    }
    function Edit-DumpString([string]$Manifest, [string]$Prefix, [scriptblock]$Edit) {
        # Rewrites one string of the dump's table of contents (the first that starts with $Prefix), with its length
        # prefix (a sign byte and a 4-byte little-endian length, as pg_dump writes them); the TOC is not compressed.
        $file = Get-ChildItem (Split-Path $Manifest) -Filter '*.dump' | Select-Object -First 1
        $bytes = [IO.File]::ReadAllBytes($file.FullName)
        $latin = [Text.Encoding]::Latin1
        $at = $latin.GetString($bytes).IndexOf($Prefix, [StringComparison]::Ordinal)
        $at | Should -BeGreaterThan 5 -Because "the dump's TOC holds a string starting with $Prefix"
        $bytes[$at - 5] | Should -Be 0
        $length = [BitConverter]::ToInt32($bytes, $at - 4)
        $old = [Text.Encoding]::UTF8.GetString($bytes, $at, $length)
        $new = [Text.Encoding]::UTF8.GetBytes((& $Edit $old))
        $result = [Collections.Generic.List[byte]]::new()
        $result.AddRange([byte[]]$bytes[0..($at - 5)])
        $result.AddRange([BitConverter]::GetBytes([int]$new.Length))
        $result.AddRange($new)
        $result.AddRange([byte[]]$bytes[($at + $length)..($bytes.Length - 1)])
        [IO.File]::WriteAllBytes($file.FullName, $result.ToArray())
        Update-ManifestEntry $Manifest $file.FullName
        $file.FullName
    }
    function Assert-Refused([scriptblock]$Restore, [string[]]$ErrorId) {
        $err = $null
        try { & $Restore } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty -Because 'the restore must be refused'
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -BeIn $ErrorId
        $err.FullyQualifiedErrorId | Should -BeLike '*,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
        $err
    }
}
AfterAll {
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Tpl WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS tr_reader_$Suffix" | Out-Null
    Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Restore-CenateTable -From Sql runs no text of the file' {
    BeforeEach {
        Reset-Db
        Q "DELETE FROM public.asegurados WHERE id % 50 = 0" | Out-Null
        $script:Before = Get-Checksum
        $script:Marker = "/tmp/cenate_trust_marker_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $script:Copy = Copy-Set
    }
    AfterEach { Remove-Item -LiteralPath (Split-Path $Copy) -Recurse -Force -ErrorAction SilentlyContinue }

    It 'a COPY line turned into COPY … FROM PROGRAM; COPY … FROM stdin; is refused and the program never runs' {
        Edit-SqlExport $Copy {
            param($t) [regex]::Replace($t, '(?m)^(COPY [^\n]*?) FROM stdin;$', "`$1 FROM PROGRAM 'touch $Marker'; `$1 FROM stdin;")
        } | Out-Null
        $err = Assert-Refused { Restore-CenateTable -Backup $Copy @P -From Sql -Mode MissingRows -Confirm:$false } 'UnsafeBackupContent'
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        Test-InContainer $Marker | Should -BeFalse -Because 'COPY FROM PROGRAM must never reach the server'
        Get-Checksum | Should -Be $Before
        Get-Schemas | Should -BeNullOrEmpty
    }

    It 'is refused (<Name>) and changes nothing' -ForEach @(
        @{ Name = 'a statement after the end marker'; Ids = @('UnsafeBackupContent')
           Edit = { param($t) $t.Replace("\.`n", "\.`nDROP TABLE public.tr_victim;`n") } }
        @{ Name = 'a statement before the COPY line'; Ids = @('UnsafeBackupContent')
           Edit = { param($t) [regex]::Replace($t, '(?m)^(COPY )', "DROP TABLE public.tr_victim;`n`$1") } }
        @{ Name = 'a statement hidden after a comment on a SET line'; Ids = @('UnsafeBackupContent')
           Edit = { param($t) $t.Replace("SET row_security = off;", "SET row_security = off; /* ; */ DROP TABLE public.tr_victim;") } }
        @{ Name = 'a COPY with options (FROM stdin WITH …)'; Ids = @('UnsafeBackupContent')
           Edit = { param($t) [regex]::Replace($t, '(?m)^(COPY [^\n]*?) FROM stdin;$', '$1 FROM stdin WITH (FORMAT text);') } }
        @{ Name = 'a COPY into another table'; Ids = @('TableNotInBackup')
           Edit = { param($t) [regex]::Replace($t, '(?m)^COPY "public"\."asegurados"', 'COPY "public"."tr_victim"') } }
        @{ Name = 'a COPY with a column the table does not have'; Ids = @('BackupCorrupt')
           Edit = { param($t) [regex]::Replace($t, '(?m)^(COPY [^\n]*?)"nombres"', '$1"nombres_x"') } }
    ) {
        Edit-SqlExport $Copy $Edit | Out-Null
        Assert-Refused { Restore-CenateTable -Backup $Copy @P -From Sql -Mode MissingRows -Confirm:$false } $Ids | Out-Null
        Get-Checksum | Should -Be $Before
        Q "SELECT count(*) FROM public.tr_victim" | Should -Be '2'
        Get-Schemas | Should -BeNullOrEmpty
    }

    It 'the untouched export still restores (the header, setval and comment lines are skipped, not run)' {
        $r = Restore-CenateTable -Backup $Copy @P -From Sql -Mode MissingRows -Confirm:$false
        $r.InsertedRows | Should -Be ($Rows / 50)
        $r.Warnings | Should -BeNullOrEmpty
        Q "SELECT count(*) FROM public.asegurados" | Should -Be "$Rows"
    }
}

Describe 'Restore-CenateTable -From Dump runs only the statements pg_dump writes for the table' {
    BeforeEach {
        Reset-Db
        Q "DELETE FROM public.asegurados WHERE id % 50 = 0" | Out-Null
        $script:Before = Get-Checksum
        $script:Marker = "/tmp/cenate_trust_marker_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $script:Copy = Copy-Set
    }
    AfterEach { Remove-Item -LiteralPath (Split-Path $Copy) -Recurse -Force -ErrorAction SilentlyContinue }

    It 'a TOC <Name> carrying an extra statement is refused, and the extra statement did not run (<Mode>)' -ForEach @(
        @{ Name = 'TABLE definition'; Prefix = 'CREATE TABLE public.asegurados ('; Mode = 'Staging'
           Edit = { param($t) $t + "`nCREATE TABLE public.tr_injected (x int);`n" } }
        @{ Name = 'TABLE definition (statement after a dollar-quoted string)'; Prefix = 'CREATE TABLE public.asegurados ('; Mode = 'Replace'
           Edit = { param($t) $t + "`nCOMMENT ON TABLE public.tr_victim IS `$x`$;`$x`$; CREATE TABLE public.tr_injected (x int);`n" } }
        @{ Name = 'TABLE definition (a CHECK that reads a server file)'; Prefix = 'CREATE TABLE public.asegurados ('; Mode = 'Staging'
           Edit = { param($t) $t -replace '\n\);\s*$', ",`n    CONSTRAINT tr_chk CHECK ((length(pg_read_file('/etc/hostname')) > 0))`n);`n" } }
        @{ Name = 'primary key CONSTRAINT'; Prefix = 'ALTER TABLE ONLY public.asegurados'; Mode = 'Replace'
           Edit = { param($t) $t + "`nCREATE TABLE public.tr_injected (x int);`n" } }
    ) {
        Edit-DumpString $Copy $Prefix $Edit | Out-Null
        $err = Assert-Refused { Restore-CenateTable -Backup $Copy @P -Mode $Mode -Confirm:$false } 'UnsafeBackupContent'
        $err.Exception.Message | Should -Match 'Nothing from the dump was run'
        Q "SELECT to_regclass('public.tr_injected') IS NULL" | Should -Be 't'
        Q "SELECT count(*) FROM public.tr_victim" | Should -Be '2'
        Get-Checksum | Should -Be $Before
        Get-Schemas | Should -BeNullOrEmpty
    }

    # Attacker review, finding 1: the server's lexer ends a -- comment at a carriage return too, and reads U+00A0 (or
    # U+2000) as an identifier character, not white space — so "\u00A0$a$" is a name, not a dollar quote.
    It 'a TABLE definition with COPY … TO PROGRAM hidden from a lexer that is not the server''s (<Name>) is refused and the program never runs' -ForEach @(
        @{ Name = 'a -- comment ended by a carriage return'
           Edit = { param($t) $t -replace '\n\);\s*$', ("`n);`n-- x`rCOPY (SELECT 1) TO PROGRAM 'touch $Marker';`n") } }
        @{ Name = 'U+00A0 before $a$'
           Edit = { param($t) $t -replace '\n\);\s*$', (",`n    $([char]0xA0)`$a`$ integer`n);`nCOPY (SELECT 1) TO PROGRAM 'touch $Marker';`nSELECT 1 FROM (SELECT 1) AS s($([char]0xA0)`$a`$)`n").Replace('$', '$$') } }
        @{ Name = 'U+2000 before $a$'
           Edit = { param($t) $t -replace '\n\);\s*$', (",`n    $([char]0x2000)`$a`$ integer`n);`nCOPY (SELECT 1) TO PROGRAM 'touch $Marker';`nSELECT 1 FROM (SELECT 1) AS s($([char]0x2000)`$a`$)`n").Replace('$', '$$') } }
    ) {
        Edit-DumpString $Copy 'CREATE TABLE public.asegurados (' $Edit | Out-Null
        $err = Assert-Refused { Restore-CenateTable -Backup $Copy @P -Mode Staging -Confirm:$false } 'UnsafeBackupContent'
        $err.Exception.Message | Should -Match 'Nothing from the dump was run'
        Test-InContainer $Marker | Should -BeFalse -Because 'COPY … TO PROGRAM must never reach the server'
        Get-Checksum | Should -Be $Before
        Get-Schemas | Should -BeNullOrEmpty
    }

    # Attacker review, finding 4: ts_rewrite(tsquery, text) runs its text as a query; its error would show the file.
    It 'a CHECK that runs SQL text through ts_rewrite is refused, and no byte of /etc/passwd reaches an error or a warning' {
        Edit-DumpString $Copy 'CREATE TABLE public.asegurados (' {
            param($t) $t -replace '\n\);\s*$', ",`n    CONSTRAINT rev_chk CHECK ((ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, (pg_read_file(''/etc/passwd'', 0, 40))::int::text::tsquery') IS NOT NULL))`n);`n"
        } | Out-Null
        $passwd = (& docker exec $Rig.Container head -c 40 /etc/passwd) -join "`n"
        $passwd | Should -Match '^root:' -Because 'the test must know what it looks for'
        $err = Assert-Refused { Restore-CenateTable -Backup $Copy @P -Mode Staging -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue } 'UnsafeBackupContent'
        $err.Exception.Message | Should -Match 'ts_rewrite'
        ($err.Exception.Message + ' ' + $err.ErrorDetails.RecommendedAction + ' ' + ($w -join ' ')) | Should -Not -Match 'root:x:0'
        Get-Checksum | Should -Be $Before
        Get-Schemas | Should -BeNullOrEmpty
    }

    It 'a TABLE DATA entry whose COPY statement reads FROM PROGRAM is refused and the program never runs' {
        Edit-DumpString $Copy 'COPY public.asegurados (' {
            param($t) $t.Replace(' FROM stdin;', " FROM PROGRAM 'touch $Marker'; " + $t.Trim())
        } | Out-Null
        Assert-Refused { Restore-CenateTable -Backup $Copy @P -Mode MissingRows -Confirm:$false } 'UnsafeBackupContent' | Out-Null
        Test-InContainer $Marker | Should -BeFalse
        Get-Checksum | Should -Be $Before
    }
}

Describe 'Restore-CenateTable accepts what pg_dump really writes' {
    BeforeEach { Reset-Db }

    It 'a table with CLUSTER ON, column and index statistics targets, REPLICA IDENTITY, comments and a rule restores (Staging and Replace)' {
        # pg_dump appends these to the TABLE, CONSTRAINT and INDEX entries as second statements: they must pass the guard.
        Q "ALTER TABLE public.asegurados CLUSTER ON asegurados_pkey; ALTER TABLE public.asegurados ALTER COLUMN nombres SET STATISTICS 500;
           ALTER TABLE public.asegurados REPLICA IDENTITY FULL; COMMENT ON TABLE public.asegurados IS 'tabla; cr''tica';
           COMMENT ON COLUMN public.asegurados.nombres IS 'n'; CREATE INDEX tr_expr ON public.asegurados (lower(nombres));
           ALTER INDEX public.tr_expr ALTER COLUMN 1 SET STATISTICS 300;
           CREATE RULE tr_no_delete_99 AS ON DELETE TO public.asegurados WHERE old.id = -99 DO INSTEAD NOTHING" | Out-Null
        $dir = New-TestDirectory 'trust-extras'
        try {
            $set = New-CenateDump @P -Path $dir
            Q "DELETE FROM public.asegurados WHERE id % 50 = 0" | Out-Null
            $r = Restore-CenateTable -Backup $set.Path @P -Mode Staging
            $st = '"' + $r.StagingSchema + '".asegurados'
            Q "SELECT count(*) FROM $st" | Should -Be "$Rows"
            Q "SELECT i.indexrelid::regclass::text FROM pg_index i WHERE i.indrelid = '$st'::regclass AND i.indisclustered" | Should -Match 'asegurados_pkey'
            Q "SELECT attstattarget FROM pg_attribute WHERE attrelid = '$st'::regclass AND attname = 'nombres'" | Should -Be '500'
            Q "SELECT relreplident FROM pg_class WHERE oid = '$st'::regclass" | Should -Be 'f'
            Q "SELECT obj_description('$st'::regclass, 'pg_class')" | Should -Be "tabla; cr'tica"
            Q "DROP SCHEMA ""$($r.StagingSchema)"" CASCADE" | Out-Null
            $r = Restore-CenateTable -Backup $set.Path @P -Mode Replace -DropReplaced -Confirm:$false
            $r.LiveRowsAfter | Should -Be $Rows
            Q "SELECT count(*) FROM pg_index WHERE indrelid = 'public.asegurados'::regclass AND indisclustered" | Should -Be '1'
        } finally { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Restore-CenateTable restores only files a manifest vouches for, unless told otherwise' {
    BeforeEach {
        Reset-Db
        Q "DELETE FROM public.asegurados WHERE id % 50 = 0" | Out-Null
        $script:Before = Get-Checksum
        $script:Copy = Copy-Set
        $script:Dump = (Get-ChildItem (Split-Path $Copy) -Filter '*.dump').FullName
    }
    AfterEach { Remove-Item -LiteralPath (Split-Path $Copy) -Recurse -Force -ErrorAction SilentlyContinue }

    It 'a lone <Kind> (no manifest) is UnverifiedBackup, and the message names -AllowUnverifiedBackup' -ForEach @(@{ Kind = 'dump'; Filter = '*.dump' }, @{ Kind = 'SQL export'; Filter = '*.sql.gz' }) {
        Remove-Item -LiteralPath $Copy
        $file = (Get-ChildItem (Split-Path $Copy) -Filter $Filter).FullName
        $err = Assert-Refused { Restore-CenateTable -Backup $file @P -Mode MissingRows -Confirm:$false } 'UnverifiedBackup'
        $err.Exception.Message | Should -Match 'cannot be verified'
        ($err.Exception.Message + ' ' + $err.ErrorDetails.RecommendedAction) | Should -Match 'AllowUnverifiedBackup'
        Get-Checksum | Should -Be $Before
    }

    It 'a file whose manifest is damaged is UnverifiedBackup' {
        Set-Content -LiteralPath $Copy -Value '{ "stamp": "2026' -NoNewline
        Assert-Refused { Restore-CenateTable -Backup $Dump @P -Mode MissingRows -Confirm:$false } 'UnverifiedBackup' | Out-Null
        Get-Checksum | Should -Be $Before
    }

    It 'a file whose checksum differs from its manifest is BackupCorrupt, with or without -AllowUnverifiedBackup' {
        $fs = [IO.File]::Open($Dump, 'Open', 'ReadWrite')
        try { $fs.Position = [long]($fs.Length / 2); $b = $fs.ReadByte(); $fs.Position--; $fs.WriteByte(($b -bxor 0xFF)) } finally { $fs.Dispose() }
        Assert-Refused { Restore-CenateTable -Backup $Dump @P -Mode MissingRows -Confirm:$false } 'BackupCorrupt' | Out-Null
        Assert-Refused { Restore-CenateTable -Backup $Dump @P -Mode MissingRows -AllowUnverifiedBackup -Confirm:$false } 'BackupCorrupt' | Out-Null
        Get-Checksum | Should -Be $Before
    }

    It 'a lone file with -AllowUnverifiedBackup is restored, and Warnings say it was not verified' {
        Remove-Item -LiteralPath $Copy
        $r = Restore-CenateTable -Backup $Dump @P -Mode MissingRows -AllowUnverifiedBackup -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue
        $r.InsertedRows | Should -Be ($Rows / 50)
        ($r.Warnings -join ' ') | Should -Match 'NOT verified'
        ($w -join ' ') | Should -Match 'NOT verified'
        Q "SELECT count(*) FROM public.asegurados" | Should -Be "$Rows"
    }
}

Describe 'Restore-CenateTable -Mode Replace recreates the views that depend on the table' {
    BeforeEach { Reset-Db }

    It 'the v_asegurados_readonly view of New-CenateReadOnlyRole survives Replace, shows the restored rows, and its role still reads it' {
        $reader = "tr_reader_$Suffix"
        Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS $reader" | Out-Null
        $pw = ConvertTo-SecureString ('Ro-' + [guid]::NewGuid().ToString('N')) -AsPlainText -Force
        New-CenateReadOnlyRole @P -Name $reader -Password $pw -View asegurados -Confirm:$false | Out-Null
        # A view on that view, with a comment and a grant of its own, is recreated too, after the view it reads.
        Q "CREATE VIEW public.tr_on_view AS SELECT id FROM public.v_asegurados_readonly WHERE id % 2 = 0; COMMENT ON VIEW public.tr_on_view IS 'par;es'; GRANT SELECT ON public.tr_on_view TO $reader;
           ALTER VIEW public.tr_on_view ALTER COLUMN id SET DEFAULT 7; COMMENT ON COLUMN public.tr_on_view.id IS 'id;par'" | Out-Null
        $options = Q "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = 'public.v_asegurados_readonly'::regclass"
        Q "DELETE FROM public.asegurados WHERE id % 50 = 0" | Out-Null
        $r = Restore-CenateTable -Backup $Set.Path @P -Mode Replace -DropReplaced -Confirm:$false
        $r.LiveRowsAfter | Should -Be $Rows
        Q "SELECT count(*) FROM public.v_asegurados_readonly" | Should -Be "$Rows"
        Q "SELECT count(*) FROM public.tr_on_view" | Should -Be "$([long]($Rows / 2))"
        # The view reads the restored table, not the old one (which was dropped).
        Q "SELECT count(*) FROM pg_depend d JOIN pg_rewrite rw ON rw.oid = d.objid WHERE rw.ev_class = 'public.v_asegurados_readonly'::regclass AND d.refobjid = 'public.asegurados'::regclass" | Should -Not -Be '0'
        Q "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = 'public.v_asegurados_readonly'::regclass" | Should -Be $options
        Q "SELECT obj_description('public.tr_on_view'::regclass, 'pg_class')" | Should -Be 'par;es'
        Q "SELECT col_description('public.tr_on_view'::regclass, 1)" | Should -Be 'id;par'
        Q "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'public.tr_on_view'::regclass" | Should -Be '7'
        Q "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'public.v_asegurados_readonly'::regclass" | Should -Be 'cenate'
        Q "SET ROLE $reader; SELECT count(*) FROM public.v_asegurados_readonly" | Should -Be "$Rows"
        Q "SET ROLE $reader; SELECT count(*) FROM public.tr_on_view" | Should -Be "$([long]($Rows / 2))"
        (Q "SELECT has_table_privilege('$reader', 'public.v_asegurados_readonly', 'INSERT')") | Should -Be 'f'
        Get-Schemas | Should -BeNullOrEmpty
        Q "DROP OWNED BY $reader" | Out-Null
        Invoke-Psql -Database $Tpl -Sql "DROP OWNED BY $reader" | Out-Null
        Invoke-Psql -Database postgres -Sql "DROP OWNED BY $reader; DROP ROLE $reader" | Out-Null
    }

    It 'a materialized view is refused before anything changes (DependentObjects names it and the command)' {
        Q "CREATE MATERIALIZED VIEW public.tr_mv AS SELECT count(*) AS n FROM public.asegurados" | Out-Null
        Q "DELETE FROM public.asegurados WHERE id % 50 = 0" | Out-Null
        $before = Get-Checksum
        $err = Assert-Refused { Restore-CenateTable -Backup $Set.Path @P -Mode Replace -Confirm:$false } 'DependentObjects'
        $err.Exception.Message | Should -Match 'public\.tr_mv'
        $err.ErrorDetails.RecommendedAction | Should -Match 'DROP MATERIALIZED VIEW public\.tr_mv'
        Get-Checksum | Should -Be $before
        Get-Schemas | Should -BeNullOrEmpty
    }
}

Describe 'Restore-CenateTable with names that carry quotes, semicolons, newlines and $cenate$' {
    BeforeEach { Reset-Db }

    It 'MissingRows from the SQL export and Replace from the dump (with a dependent view) both work' {
        $dir = New-TestDirectory 'trust-weird'
        try {
            $set = New-CenateDump @P -Path $dir -Table "public.$WeirdTable" -CriticalTable $WeirdTable -Include Sql
            $qt = 'public."tr;""q$cenate$"'
            Q "DELETE FROM $qt WHERE id > 30" | Out-Null
            $r = Restore-CenateTable -Backup $set.Path @P -Table $WeirdTable -From Sql -Mode MissingRows -Confirm:$false
            $r.InsertedRows | Should -Be 10
            Q "SELECT count(*) FROM $qt WHERE $WeirdColumn = 'v;' || id || '''`$cenate`$'" | Should -Be '40'
            Q "CREATE VIEW public.""v;""""w`$cenate`$"" AS SELECT $WeirdColumn FROM $qt" | Out-Null
            Q "DELETE FROM $qt WHERE id <= 5" | Out-Null
            $r = Restore-CenateTable -Backup $set.Path @P -Table $WeirdTable -Mode Replace -DropReplaced -Confirm:$false
            $r.LiveRowsAfter | Should -Be 40
            Q "SELECT count(*) FROM public.""v;""""w`$cenate`$""" | Should -Be '40'
        } finally { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue }
    }
}
