#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 23 (attacker review): a set piped from Get-CenateBackup was read from its manifest, which anyone who can write
# the backup directory can edit. Restore-CenateTable takes the server and the database from its parameters (or their
# defaults) only; the manifest's source and database only produce a warning when they differ. A fake listener on the
# port the manifest names proves no connection (and so no credential) goes there.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Db = "cenate_pipe_$Suffix"
    $script:Tpl = "cenate_pipe_tpl_$Suffix"
    # A database name the manifest claims; it must never be created, connected to or restored into.
    $script:EvilDb = "cenate_pipe_evil_$Suffix"
    $script:EvilContainer = "cenate_pipe_evil_$Suffix"
    $script:FakePort = 56571
    # Other suites on the shared rig connect to maestro_cenate now and then: the copy is retried while they do.
    Copy-TestDatabase -Name $Tpl
    function Reset-Db {
        Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
        Invoke-Psql -Database postgres -Sql "CREATE DATABASE $Db TEMPLATE $Tpl" | Out-Null
    }
    Reset-Db
    $script:Source = New-TestDirectory 'pipe-src'
    $script:Set = New-CenateDump -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Database $Db -Path $Source
    $script:Rows = [long]$Set.RowCounts['public.asegurados']
    function Q([string]$Sql) { Invoke-Psql -Database $Db -Sql $Sql }
    function Get-Schemas { @(Q "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'cenate\_restore\_%' ORDER BY 1") | Where-Object { $_ } }
    function Test-EvilDbExists { [bool](Invoke-Psql -Database postgres -Sql "SELECT 1 FROM pg_database WHERE datname = '$EvilDb'") }
    function Copy-Set([scriptblock]$Change) {
        # A copy of the set whose manifest an attacker rewrote; returns its directory.
        $d = New-TestDirectory 'pipe'
        New-Item -ItemType Directory -Path $d | Out-Null
        Copy-Item -LiteralPath (@($Set.Path) + @($Set.Files.Path)) -Destination $d
        $manifest = Join-Path $d (Split-Path -Leaf $Set.Path)
        $m = Get-Content -Raw -LiteralPath $manifest | ConvertFrom-Json -AsHashtable
        & $Change $m
        Set-Content -LiteralPath $manifest -Value ($m | ConvertTo-Json -Depth 20) -NoNewline
        $d
    }
    function Clear-Defaults {
        foreach ($k in @($PSDefaultParameterValues.Keys)) { if ($k -like 'Restore-CenateTable:*') { $PSDefaultParameterValues.Remove($k) } }
    }
}
AfterAll {
    Clear-Defaults
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Db WITH (FORCE)" | Out-Null
    Invoke-Psql -Database postgres -Sql "DROP DATABASE IF EXISTS $Tpl WITH (FORCE)" | Out-Null
    Remove-Item -LiteralPath $Source -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Restore-CenateTable: a piped set never chooses the server or the database' {
    BeforeEach {
        Reset-Db
        Clear-Defaults
        Q "DELETE FROM public.asegurados WHERE id % 100 = 0" | Out-Null
        # Anything that connects to the port the manifest names is queued here, accepted or not.
        $script:Listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $FakePort)
        $Listener.Start()
        $script:Dir = $null
    }
    AfterEach {
        $Listener.Stop()
        Clear-Defaults
        if ($Dir) { Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'a manifest naming another container, port and database: the restore goes to the parameters'' server and database, and a warning names the difference' {
        $script:Dir = Copy-Set { param($m) $m.source.container = $EvilContainer; $m.source.port = $FakePort; $m.database = $EvilDb }
        $set = Get-CenateBackup -Path $Dir | Select-Object -First 1
        $set.Container | Should -Be $EvilContainer -Because 'the set carries what its manifest says'
        $r = $set | Restore-CenateTable -Container $Rig.Container -Port $Rig.Port -Database $Db -Credential $Cred -Mode MissingRows -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue
        $r.Database | Should -Be $Db
        $r.InsertedRows | Should -Be ($Rows / 100)
        Q "SELECT count(*) FROM public.asegurados" | Should -Be "$Rows"
        $warning = @($w | ForEach-Object { "$_" }) -match 'manifest says'
        $warning.Count | Should -Be 1 -Because 'the warning is written once, before the restore is confirmed'
        $warning[0] | Should -Match ([regex]::Escape($EvilContainer))
        $warning[0] | Should -Match "port $FakePort"
        $warning[0] | Should -Match ([regex]::Escape("'$EvilDb'"))
        $warning[0] | Should -Match 'server and database differ'
        ($r.Warnings -join ' ') | Should -Match ([regex]::Escape($EvilContainer))
        $Listener.Pending() | Should -BeFalse -Because 'the port in the manifest must never be contacted'
        Test-EvilDbExists | Should -BeFalse
    }

    It 'with $PSDefaultParameterValues and no connection parameters: the defaults win over the manifest''s port and database' {
        # The rig's container, but the manifest's port is the fake listener: the old behaviour connected there.
        $script:Dir = Copy-Set { param($m) $m.source.container = $Rig.Container; $m.source.port = $FakePort; $m.database = $EvilDb }
        $PSDefaultParameterValues['Restore-CenateTable:Container'] = $Rig.Container
        $PSDefaultParameterValues['Restore-CenateTable:Port'] = $Rig.Port
        $PSDefaultParameterValues['Restore-CenateTable:Database'] = $Db
        $r = Get-CenateBackup -Path $Dir -Newest 1 | Restore-CenateTable -Credential $Cred -WarningVariable w -WarningAction SilentlyContinue
        $r.Database | Should -Be $Db
        $r.StagingSchema | Should -Match '^cenate_restore_'
        $r.MissingRows | Should -Be ($Rows / 100)
        (@($w | ForEach-Object { "$_" }) -join ' ') | Should -Match "port $FakePort.*as named by the parameters"
        $Listener.Pending() | Should -BeFalse -Because 'the port in the manifest must never be contacted'
        Test-EvilDbExists | Should -BeFalse
    }

    It 'without any connection parameter the restore goes to postgres_cenate, never to the container and port of the manifest' {
        $script:Dir = Copy-Set { param($m) $m.source.container = $Rig.Container; $m.source.port = $FakePort; $m.database = $Db }
        $err = $null
        try { Get-CenateBackup -Path $Dir -Newest 1 | Restore-CenateTable -Credential $Cred -Mode Replace -Confirm:$false } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty -Because 'postgres_cenate is not running on the test machine'
        $err.FullyQualifiedErrorId | Should -Be 'ContainerNotFound,CenateBackup.PowerShell.Commands.RestoreCenateTableCommand'
        $err.Exception.Message | Should -Match 'postgres_cenate'
        $Listener.Pending() | Should -BeFalse -Because 'the port in the manifest must never be contacted'
        Q "SELECT count(*) FROM public.asegurados" | Should -Be "$($Rows - $Rows / 100)" -Because 'nothing was restored into the database the manifest names'
        Get-Schemas | Should -BeNullOrEmpty
    }

    It '-WhatIf shows the warning, changes nothing and connects only to the parameters'' server' {
        $script:Dir = Copy-Set { param($m) $m.source.mode = 'Host'; $m.source.host = '127.0.0.1'; $m.source.port = $FakePort; $m.source.container = $null }
        $r = Get-CenateBackup -Path $Dir -Newest 1 |
            Restore-CenateTable -Container $Rig.Container -Port $Rig.Port -Database $Db -Credential $Cred -Mode Replace -WhatIf -WarningVariable w -WarningAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $warning = (@($w | ForEach-Object { "$_" }) -join ' ')
        $warning | Should -Match ([regex]::Escape("127.0.0.1:$FakePort"))
        $warning | Should -Match '\(the server differs\)'
        Q "SELECT count(*) FROM public.asegurados" | Should -Be "$($Rows - $Rows / 100)"
        Get-Schemas | Should -BeNullOrEmpty
        $Listener.Pending() | Should -BeFalse
    }

    It 'a set restored where its manifest says it came from gets no such warning' {
        $r = Get-CenateBackup -Path $Source -Newest 1 |
            Restore-CenateTable -Container $Rig.Container -Port $Rig.Port -Database $Db -Credential $Cred -Mode MissingRows -Confirm:$false -WarningVariable w
        $r.InsertedRows | Should -Be ($Rows / 100)
        @($w | ForEach-Object { "$_" }) -match 'manifest says' | Should -BeNullOrEmpty
        @($r.Warnings) -match 'manifest says' | Should -BeNullOrEmpty
    }
}
