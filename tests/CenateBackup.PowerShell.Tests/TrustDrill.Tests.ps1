#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 23 §1 and §5 (credentials): a manifest is data. The restore drill goes only to the server the parameters name,
# never after a failed read, the password is never sent in cleartext, and in container mode it is not put into the
# exec's environment when the container's socket needs none. Real PostgreSQL, real Docker, a fake server that records
# what it is sent.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Source = New-TestDirectory 'trust-src'
    $script:Set = New-CenateDump -Container $Rig.Container -Port $Rig.Port -Credential $Cred -Path $Source -Include Csv
    $script:Dump = $Set.Files | Where-Object Kind -eq 'Dump'
    $script:Csv = $Set.Files | Where-Object Kind -eq 'Csv'
    $script:ManifestName = Split-Path -Leaf $Set.Path
    # A throwaway server of this file's own, whose pg_hba.conf the tests change.
    $script:Own = Start-ThrowawayContainer -Name 'cenate_trust_drill' -Port 56110 -Rows 3000
    $script:FakePort = 56111

    function Copy-Set([string]$Name) {
        $d = New-TestDirectory $Name
        New-Item -ItemType Directory -Path $d | Out-Null
        Copy-Item -LiteralPath $Set.Path -Destination $d
        foreach ($f in $Set.Files) { Copy-Item -LiteralPath $f.Path -Destination $d }
        [pscustomobject]@{ Dir = $d; Manifest = Join-Path $d $ManifestName; Dump = Join-Path $d $Dump.Name; Csv = Join-Path $d $Csv.Name }
    }
    function Edit-Manifest([string]$Path, [scriptblock]$Change) {
        $m = Get-Content -Raw -LiteralPath $Path | ConvertFrom-Json -AsHashtable
        & $Change $m
        Set-Content -LiteralPath $Path -Value ($m | ConvertTo-Json -Depth 20) -NoNewline
    }
    function Get-DrillDatabases([int]$Port = $Rig.Port) {
        @(Invoke-Psql -Port $Port -Database postgres -Sql "SELECT datname FROM pg_database WHERE datname LIKE 'cenate\_drill\_%' ORDER BY 1") | Where-Object { $_ }
    }
    function Invoke-InContainer([string]$Sql, [string]$Database = 'maestro_cenate') {
        # Over the container's socket (trusted), so it works whatever pg_hba.conf says for TCP.
        $out = & docker exec $Own.Name psql -X -q -A -t -v ON_ERROR_STOP=1 -p $Own.Port -U cenate -d $Database -c $Sql 2>&1
        if ($LASTEXITCODE -ne 0) { throw "psql in $($Own.Name) failed: $out" }
        $out
    }
    function Set-Hba([string]$Local, [string]$TcpMethod) {
        # Rewrites the throwaway server's pg_hba.conf and reloads it (pg_ctl reload waits for nothing; the check below does).
        $conf = "local all all $Local`nhost all all 127.0.0.1/32 $TcpMethod`n"
        $script = "printf '%s' ""`$0"" > /var/lib/cenate/data/pg_hba.conf && setpriv --reuid=postgres --regid=postgres --init-groups pg_ctl reload -D /var/lib/cenate/data >/dev/null"
        & docker exec $Own.Name sh -c $script $conf
        if ($LASTEXITCODE -ne 0) { throw 'pg_hba.conf could not be changed' }
        $deadline = (Get-Date).AddSeconds(20)
        do {
            Start-Sleep -Milliseconds 300
            $applied = & docker exec $Own.Name sh -c "PGPASSWORD= psql -X -A -t -w -p $($Own.Port) -U cenate -d postgres -c 'SELECT 1' >/dev/null 2>&1 && echo socket-trusted || echo socket-needs-password"
            $ok = if ($Local -eq 'trust') { $applied -eq 'socket-trusted' } else { $applied -eq 'socket-needs-password' }
        } until ($ok -or (Get-Date) -gt $deadline)
        $ok | Should -BeTrue -Because "the server must have reloaded pg_hba.conf (local $Local)"
    }
    function Get-AuthorizedConnections {
        # log_connections is on in the throwaway server: every login of the module is a line in its log.
        @(& docker logs $Own.Name 2>&1 | Where-Object { "$_" -match 'connection authorized: .*application_name=CenateBackup' }).Count
    }

    function Start-FakePostgres([int]$Port) {
        # A server that speaks just enough of the protocol: it answers SSL/GSS requests with 'N', records the startup
        # message, asks for the password in cleartext (AuthenticationCleartextPassword) and records whatever comes back.
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $Port)
        $listener.Start()
        $log = [System.Collections.ArrayList]::Synchronized([System.Collections.ArrayList]::new())
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
            param($listener, $log)
            function Read-Exactly($s, [int]$n) {
                $b = [byte[]]::new($n); $o = 0
                while ($o -lt $n) { $r = $s.Read($b, $o, $n - $o); if ($r -le 0) { return $null }; $o += $r }
                , $b
            }
            function Get-Int32([byte[]]$b, [int]$i) { [System.Net.IPAddress]::NetworkToHostOrder([BitConverter]::ToInt32($b, $i)) }
            while ($true) {
                try { $client = $listener.AcceptTcpClient() } catch { break }
                $null = $log.Add('connect')
                try {
                    $s = $client.GetStream(); $s.ReadTimeout = 15000
                    while ($true) {
                        $h = Read-Exactly $s 8
                        if ($null -eq $h) { $null = $log.Add('closed before the startup'); break }
                        $len = Get-Int32 $h 0; $code = Get-Int32 $h 4
                        if ($code -eq 80877103 -or $code -eq 80877104) { $s.WriteByte([byte][char]'N'); continue }
                        $rest = Read-Exactly $s ($len - 8)
                        $null = $log.Add('startup ' + ([Text.Encoding]::UTF8.GetString($rest) -replace "`0", ' ').Trim())
                        $s.Write([byte[]](0x52, 0, 0, 0, 8, 0, 0, 0, 3), 0, 9)
                        $t = Read-Exactly $s 5
                        if ($null -eq $t) { $null = $log.Add('closed without a password'); break }
                        $body = Read-Exactly $s ((Get-Int32 $t 1) - 4)
                        $null = $log.Add("message $([char]$t[0]): " + [Text.Encoding]::UTF8.GetString($body).TrimEnd([char]0))
                        break
                    }
                } catch {
                    $null = $log.Add("error $($_.Exception.Message)")
                } finally { $client.Dispose() }
            }
        }).AddArgument($listener).AddArgument($log)
        $handle = $ps.BeginInvoke()
        [pscustomobject]@{ Port = $Port; Log = $log; Listener = $listener; PowerShell = $ps; Handle = $handle }
    }
    function Stop-FakePostgres($Fake) {
        $Fake.Listener.Stop()
        $null = $Fake.Handle.AsyncWaitHandle.WaitOne(5000)
        $Fake.PowerShell.Dispose()
    }

    Invoke-InContainer -Database postgres -Sql "ALTER SYSTEM SET log_connections = on" | Out-Null
    Invoke-InContainer -Database postgres -Sql "SELECT pg_reload_conf()" | Out-Null
}
AfterAll {
    Remove-ThrowawayContainer $Own.Name
    Remove-Item -LiteralPath $Source -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The restore drill goes only where the admin says (issue 23 §1)' {
    BeforeEach {
        $script:Fake = Start-FakePostgres $FakePort
        foreach ($k in @($PSDefaultParameterValues.Keys)) { if ($k -like 'Test-CenateBackup:*') { $PSDefaultParameterValues.Remove($k) } }
    }
    AfterEach {
        Stop-FakePostgres $Fake
        foreach ($k in @($PSDefaultParameterValues.Keys)) { if ($k -like 'Test-CenateBackup:*') { $PSDefaultParameterValues.Remove($k) } }
    }

    It 'a manifest naming another host gets no connection and no password: the drill goes to the default server, postgres_cenate' {
        $c = Copy-Set 'trust-host'
        try {
            Edit-Manifest $c.Manifest { param($m) $m.source.mode = 'Host'; $m.source.host = '127.0.0.1'; $m.source.port = $FakePort; $m.source.container = $null }
            Test-CenateBackup -Path $c.Manifest -Level Restore -Credential $Cred -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Should -BeNullOrEmpty
            $errs[0].FullyQualifiedErrorId | Should -Be 'ContainerNotFound,CenateBackup.PowerShell.Commands.TestCenateBackupCommand'
            $errs[0].Exception.Message | Should -Match 'postgres_cenate'
            Start-Sleep -Milliseconds 300
            @($Fake.Log) | Should -BeNullOrEmpty -Because 'the host in the manifest must never be contacted'
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }

    It 'with -HostName/-Port the drill goes there, and a warning names the different server of the manifest' {
        $c = Copy-Set 'trust-hostparam'
        try {
            Edit-Manifest $c.Manifest { param($m) $m.source.mode = 'Host'; $m.source.host = '127.0.0.1'; $m.source.port = $FakePort; $m.source.user = 'mallory'; $m.source.container = $null }
            $r = Test-CenateBackup -Path $c.Manifest -Level Restore -HostName 127.0.0.1 -Port $Rig.Port -Credential $Cred -WarningVariable warned -WarningAction SilentlyContinue
            $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
            $r.DrillServer | Should -Be "127.0.0.1:$($Rig.Port)"
            ($warned -join "`n") | Should -Match "127\.0\.0\.1:$FakePort"
            ($warned -join "`n") | Should -Match "the drill runs on 127\.0\.0\.1:$($Rig.Port)"
            @($Fake.Log) | Should -BeNullOrEmpty
            # The aliases of the earlier parameters still work, and $PSDefaultParameterValues set the server once.
            $PSDefaultParameterValues['Test-CenateBackup:TargetHost'] = '127.0.0.1'
            $PSDefaultParameterValues['Test-CenateBackup:TargetPort'] = $Rig.Port
            $r2 = Test-CenateBackup -Path $c.Manifest -Level Restore -Credential $Cred -WarningAction SilentlyContinue
            $r2.DrillServer | Should -Be "127.0.0.1:$($Rig.Port)"
            @($Fake.Log) | Should -BeNullOrEmpty
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }

    It 'a drill as a superuser says in its Checks that the dump''s SQL ran with all its rights, and names the remedy' {
        $r = Test-CenateBackup -Path $Set.Path -Level Restore -Container $Rig.Container -Port $Rig.Port -Credential $Cred
        $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
        ($r.Checks -join "`n") | Should -Match "The drill role 'cenate' is a superuser on container '$($Rig.Container)'"
        ($r.Checks -join "`n") | Should -Match 'CREATEDB only, on a scratch server'
    }

    It 'a piped set whose manifest names another container and port drills on the parameter server; that container gets no login' {
        $c = Copy-Set 'trust-piped'
        try {
            Edit-Manifest $c.Manifest { param($m) $m.source.container = $Own.Name; $m.source.port = $Own.Port }
            $before = Get-AuthorizedConnections
            $PSDefaultParameterValues['Test-CenateBackup:Container'] = $Rig.Container
            $PSDefaultParameterValues['Test-CenateBackup:Port'] = $Rig.Port
            $set = Get-CenateBackup -Path $c.Dir
            $set.Container | Should -Be $Own.Name
            $r = $set | Test-CenateBackup -Level Restore -Credential $Cred -WarningVariable warned -WarningAction SilentlyContinue
            $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
            $r.DrillServer | Should -Be "container '$($Rig.Container)'"
            ($warned -join "`n") | Should -Match ([regex]::Escape("container $($Own.Name) (port $($Own.Port))"))
            Start-Sleep -Seconds 1
            Get-AuthorizedConnections | Should -Be $before -Because 'the container named in the manifest must not see a login'
            Get-DrillDatabases -Port $Own.Port | Should -BeNullOrEmpty
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }

    It 'no drill on a set whose <Case>: the problems are reported, the drill server is never contacted' -ForEach @(
        @{ Case = 'dump checksum differs from the manifest'; Kind = 'ChecksumMismatch'; Damage = { param($c) Edit-Manifest $c.Manifest { param($m) ($m.files | Where-Object kind -eq 'Dump').sha256 = ('0' * 64) } } }
        @{ Case = 'CSV export checksum differs'; Kind = 'ChecksumMismatch'; Damage = { param($c) Edit-Manifest $c.Manifest { param($m) ($m.files | Where-Object kind -eq 'Csv').sha256 = ('f' * 64) } } }
        @{ Case = 'dump is longer than recorded'; Kind = 'SizeMismatch'; Damage = { param($c) [IO.File]::AppendAllText($c.Dump, 'x') } }
        @{ Case = 'manifest says incomplete'; Kind = 'Incomplete'; Damage = { param($c) Edit-Manifest $c.Manifest { param($m) $m.complete = $false } } }
    ) {
        $c = Copy-Set 'trust-failed'
        try {
            & $Damage $c
            # -TargetHost/-TargetPort: the names the module had before, so this test runs unchanged against the old code too.
            $r = Test-CenateBackup -Path $c.Manifest -Level Restore -TargetHost 127.0.0.1 -TargetPort $FakePort -Credential $Cred -WarningAction SilentlyContinue
            $r.Passed | Should -BeFalse
            $r.Problems.Kind | Should -Contain $Kind
            $skip = $r.Problems | Where-Object Kind -eq 'RestoreFailed'
            $skip.Message | Should -Match "not restored: the set failed the read \(.*$Kind"
            $r.DrillDatabase | Should -BeNullOrEmpty
            Start-Sleep -Milliseconds 300
            @($Fake.Log) | Should -BeNullOrEmpty -Because 'a set that failed the read must not cause a login anywhere (the fake server is the drill server here)'
        } finally { Remove-Item -LiteralPath $c.Dir -Recurse -Force }
    }
}

Describe 'The password is never sent in cleartext (issue 23 §1)' {
    BeforeAll { $script:Fake = Start-FakePostgres $FakePort }
    AfterAll { Stop-FakePostgres $Fake }
    BeforeEach { $Fake.Log.Clear() }

    It '<Command> to a server that asks for a cleartext password: CleartextPasswordRefused, and no password message reaches it' -ForEach @(
        @{ Command = 'Test-CenateBackup -Level Restore'; Run = { [CmdletBinding()] param($port, $dir) Test-CenateBackup -Path $Set.Path -Level Restore -TargetHost 127.0.0.1 -TargetPort $port -Credential $Cred -WarningAction SilentlyContinue }; Id = 'TestCenateBackupCommand' }
        @{ Command = 'New-CenateDump -HostName'; Run = { [CmdletBinding()] param($port, $dir) New-CenateDump -HostName 127.0.0.1 -Port $port -Credential $Cred -Path $dir }; Id = 'NewCenateDumpCommand' }
        @{ Command = 'Export-CenateAseguradosCsv -HostName'; Run = { [CmdletBinding()] param($port, $dir) Export-CenateAseguradosCsv -HostName 127.0.0.1 -Port $port -Credential $Cred -Path $dir }; Id = 'ExportCenateAseguradosCsvCommand' }
    ) {
        $dir = New-TestDirectory 'trust-clear'
        try {
            $out = $null
            # New-CenateDump and Export-CenateAseguradosCsv end with a terminating error, the drill with a non-terminating one.
            try { $out = & $Run $FakePort $dir -ErrorVariable errs -ErrorAction SilentlyContinue } catch { $errs = @($_) }
            $out | Should -BeNullOrEmpty
            $errs[0].FullyQualifiedErrorId | Should -Be "CleartextPasswordRefused,CenateBackup.PowerShell.Commands.$Id"
            $errs[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
            ($errs[0] | Out-String) | Should -Not -Match ([regex]::Escape($Rig.Password))
            $log = @($Fake.Log) -join "`n"
            $log | Should -Match 'startup .*user cenate' -Because 'the fake server must have been reached'
            $log | Should -Not -Match 'message p' -Because 'no password message may be sent'
            $log | Should -Not -Match ([regex]::Escape($Rig.Password))
            if (Test-Path -LiteralPath $dir) { @(Get-ChildItem -LiteralPath $dir -Force) | Should -BeNullOrEmpty }
        } finally { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue }
    }

    Context 'a real PostgreSQL whose pg_hba.conf says "password" for TCP' {
        BeforeAll { Set-Hba -Local trust -TcpMethod password }
        AfterAll { Set-Hba -Local trust -TcpMethod scram-sha-256 }

        It 'New-CenateDump (host and container mode) and the drill refuse it: CleartextPasswordRefused, no file, no drill database' {
            $dir = New-TestDirectory 'trust-realclear'
            try {
                foreach ($run in @(
                        { [CmdletBinding()] param() New-CenateDump -HostName 127.0.0.1 -Port $Own.Port -Credential $Cred -Path $dir },
                        { [CmdletBinding()] param() New-CenateDump -Container $Own.Name -Port $Own.Port -Credential $Cred -Path $dir },
                        { [CmdletBinding()] param() Test-CenateBackup -Path $Set.Path -Level Restore -TargetHost 127.0.0.1 -TargetPort $Own.Port -Credential $Cred -WarningAction SilentlyContinue },
                        { [CmdletBinding()] param() Test-CenateBackup -Path $Set.Path -Level Restore -TargetContainer $Own.Name -TargetPort $Own.Port -Credential $Cred -WarningAction SilentlyContinue })) {
                    $out = $null
                    try { $out = & $run -ErrorVariable errs -ErrorAction SilentlyContinue } catch { $errs = @($_) }
                    $out | Should -BeNullOrEmpty
                    $errs[0].FullyQualifiedErrorId | Should -BeLike 'CleartextPasswordRefused,*' -Because "$run"
                    $errs[0].Exception.Message | Should -Match "127\.0\.0\.1:$($Own.Port)"
                    $errs[0].ErrorDetails.RecommendedAction + $errs[0].Exception.Message | Should -Match 'scram-sha-256'
                }
                if (Test-Path -LiteralPath $dir) { @(Get-ChildItem -LiteralPath $dir -Force | Where-Object Name -ne '.cenate.lock') | Should -BeNullOrEmpty }
                Invoke-InContainer -Database postgres -Sql "SELECT count(*) FROM pg_database WHERE datname LIKE 'cenate\_drill\_%'" | Should -Be '0'
            } finally { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue }
        }
    }
}

Describe 'Container mode: the password stays out of the exec environment when the socket needs none (issue 23 §5)' {
    It 'while a container-mode dump runs, no process in the container has PGPASSWORD in its environment' {
        Set-Hba -Local trust -TcpMethod scram-sha-256
        Invoke-InContainer -Sql 'CREATE TABLE IF NOT EXISTS trust_slow (x int); INSERT INTO trust_slow VALUES (1)' | Out-Null
        $dir = New-TestDirectory 'trust-environ'
        # Holds a lock pg_dump must wait for, so the dump is caught running; ended below (or after 120 s at the latest).
        & docker exec -d $Own.Name psql -X -p $Own.Port -U cenate -d maestro_cenate -c "BEGIN; LOCK TABLE trust_slow IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120); COMMIT;"
        $bg = $null
        try {
            $deadline = (Get-Date).AddSeconds(20)
            while ((Invoke-InContainer "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'trust_slow' AND l.mode = 'AccessExclusiveLock' AND l.granted") -ne '1') {
                if ((Get-Date) -gt $deadline) { throw 'the lock was not taken' }
                Start-Sleep -Milliseconds 200
            }
            $bg = Invoke-InBackground -Script {
                param($Name, $Port, $Cred, $Dir)
                New-CenateDump -Container $Name -Port $Port -Credential $Cred -Path $Dir
            } -Arguments @{ Name = $Own.Name; Port = $Own.Port; Cred = $Cred; Dir = $dir }
            $deadline = (Get-Date).AddSeconds(90)
            $waiting = '0'
            while ($waiting -eq '0' -and (Get-Date) -lt $deadline) {
                $waiting = Invoke-InContainer "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'CenateBackup' AND wait_event_type = 'Lock' AND query LIKE 'LOCK TABLE%'"
                Start-Sleep -Milliseconds 200
            }
            $waiting | Should -Be '1' -Because 'pg_dump must be caught while it runs'
            # Every process of the container: its command line, and whether its environment has PGPASSWORD. The server's own
            # processes (user postgres) are unreadable to an exec without CAP_SYS_PTRACE; the tools the module runs are not.
            $sample = & docker exec $Own.Name sh -c 'for d in /proc/[0-9]*; do c=$(tr "\0" " " 2>/dev/null < $d/cmdline); e=$(tr "\0" "\n" 2>/dev/null < $d/environ) || { echo "?? $c"; continue; }; if printf "%s\n" "$e" | grep -q "^PGPASSWORD="; then echo "PW $c"; elif printf "%s\n" "$e" | grep -q "^CENATE_EXEC_RUN="; then echo "MODULE $c"; else echo "-- $c"; fi; done'
            ($sample | Where-Object { $_ -match '^(MODULE|PW) .*pg_dump' }) | Should -Not -BeNullOrEmpty -Because "the running pg_dump's environment must have been read: $($sample -join ' | ')"
            $sample | Where-Object { $_ -like 'PW *' } | Should -BeNullOrEmpty -Because 'no process may carry PGPASSWORD when the socket needs none'
            ($sample | Where-Object { $_ -match '^MODULE .*pg_dump' }) | Should -Not -BeNullOrEmpty
        } finally {
            Invoke-InContainer -Database postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()" | Out-Null
            if ($bg) {
                $result = $bg.PowerShell.EndInvoke($bg.Handle)
                $bg.PowerShell.Streams.Error | Should -BeNullOrEmpty
                $result.Complete | Should -BeTrue
                $result.RowCounts['public.asegurados'] | Should -Be 3000
                $bg.PowerShell.Dispose()
            }
            Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'a container whose socket asks for a password still works: dump and drill send it there' {
        Set-Hba -Local scram-sha-256 -TcpMethod scram-sha-256
        $dir = New-TestDirectory 'trust-localpw'
        try {
            $set = New-CenateDump -Container $Own.Name -Port $Own.Port -Credential $Cred -Path $dir
            $set.Complete | Should -BeTrue
            $set.RowCounts['public.asegurados'] | Should -Be 3000
            Restore-IntoScratch -DumpPath ($set.Files | Where-Object Kind -eq 'Dump').Path -Port $Own.Port | Should -Be 3000
            $r = Test-CenateBackup -Path $set.Path -Level Restore -Container $Own.Name -Port $Own.Port -Credential $Cred
            $r.Passed | Should -BeTrue -Because ($r.Problems -join '; ')
            ($r.Tables | Where-Object Table -eq 'public.asegurados').Restored | Should -Be 3000
        } finally {
            Set-Hba -Local trust -TcpMethod scram-sha-256
            Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}
