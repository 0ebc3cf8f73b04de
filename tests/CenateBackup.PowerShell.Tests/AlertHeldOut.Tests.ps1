#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Held-out tests for Send-CenateAlert (issue 15), written from the issue, README and help only: an admin at 3 AM and an
# attacker. Real smtp4dev (STARTTLS, AUTH required) and a real HTTP recorder on 127.0.0.1:56990-56999, child pwsh.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'AlertHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $env:CENATE_MODULE_PATH = Get-ModuleManifestPath
    $script:Cmd = 'CenateBackup.PowerShell.Commands.SendCenateAlertCommand'
    $script:Smtp = Start-Smtp4dev -Mode StartTls -SmtpPort 56990 -HttpPort 56991
    $script:Rec = Start-HttpRecorder -Port 56992
    $script:Rec.Status['/hook/down'] = 503
    $script:Root = New-AlertTempDirectory 'heldout'
    $script:Cred = [pscredential]::new($Smtp.User, (ConvertTo-SecureString $Smtp.Password -AsPlainText -Force))
    $script:Mail = @{
        SmtpServer = '127.0.0.1'; Port = 56990; From = 'backup@hospital.test'; To = 'admin@hospital.test'
        Credential = $Cred; Security = 'StartTls'; CertificateThumbprint = $Smtp.Sha256; SkipRevocationCheck = $true
        Timeout = '20s'
    }
    function script:New-Err([string]$Message, [string]$Id = 'Backup.Failed') {
        [Management.Automation.ErrorRecord]::new([Exception]::new($Message), $Id, 'ReadError', $null)
    }
    function script:New-Dir([string]$Name) {
        $d = Join-Path $Root ("$Name-" + [guid]::NewGuid().ToString('N').Substring(0, 6))
        [void][IO.Directory]::CreateDirectory($d); $d
    }
    function script:Hook([string]$Name) { "$($Rec.Uri)/hook/$Name" }
    function script:Hits([string]$Name) { @(Get-HttpRecorderRequests $Rec -PathLike "/hook/$Name*") }
    function script:Write-Child([string]$Body) {
        $p = Join-Path $Root ("child-" + [guid]::NewGuid().ToString('N').Substring(0, 6) + '.ps1')
        # param() must stay first: the module import goes after the first line (every body starts with param).
        $first, $rest = $Body -split "`r?`n", 2
        Set-Content -LiteralPath $p -Value ($first + "`nImport-Module `$env:CENATE_MODULE_PATH`n" + $rest) -Encoding utf8
        $p
    }
    function script:Ids($Errors) { @($Errors | ForEach-Object { $_.FullyQualifiedErrorId }) }
}

AfterAll {
    Stop-Smtp4dev $script:Smtp
    Stop-HttpRecorder $script:Rec
    if ($script:Root -and (Test-Path $script:Root)) { Remove-Item -LiteralPath $script:Root -Recurse -Force -EA 0 }
}

Describe 'One message per run' {
    It 'sends one mail and one webhook for 50 piped objects and several ErrorRecords' {
        Clear-Smtp4dev $Smtp
        $sd = New-Dir 'one'
        $in = @(1..50 | ForEach-Object { $true }) + @((New-Err 'disk full' 'A.One'), (New-Err 'dump died' 'B.Two'),
            (New-Err 'checksum' 'C.Three'))
        $r = $in | Send-CenateAlert @Mail -WebhookUri (Hook 'one') -StateDirectory $sd -Job one -EA SilentlyContinue `
            -ErrorVariable ev
        @(Get-Smtp4devMessages -Server $Smtp -Expect 1).Count | Should -Be 1
        Start-Sleep -Milliseconds 300
        @(Hits 'one').Count | Should -Be 1
        $m = Get-Smtp4devMessages -Server $Smtp -Detail
        foreach ($t in 'disk full', 'dump died', 'checksum', 'A.One', 'B.Two', 'C.Three') { $m.Text | Should -Match $t }
        @(Ids $ev)[-1] | Should -Be "BackupRunFailed,$Cmd"
        @($r | Where-Object Status -eq 'Sent').Count | Should -Be 2
    }
}

Describe '-When Change across processes and jobs' {
    It 'keeps separate state per job name, across child processes and a background job' {
        $sd = New-Dir 'chg'
        $s = Write-Child @'
param($sd, $uri, $job, $ok)
$in = if ($ok -eq 'ok') { $true } else { [Management.Automation.ErrorRecord]::new([Exception]::new('fail'), 'F.X', 'ReadError', $null) }
$in | Send-CenateAlert -WebhookUri $uri -StateDirectory $sd -Job $job -When Change -ErrorAction SilentlyContinue | Out-Null
'@
        $u = Hook 'chg'
        (Invoke-ChildPwsh -ScriptPath $s -Arguments $sd, $u, 'alpha', 'fail').ExitCode | Should -Be 0
        @(Hits 'chg').Count | Should -Be 1
        (Invoke-ChildPwsh -ScriptPath $s -Arguments $sd, $u, 'alpha', 'fail') | Out-Null
        @(Hits 'chg').Count | Should -Be 1 -Because 'failure -> failure of the same job sends nothing'
        (Invoke-ChildPwsh -ScriptPath $s -Arguments $sd, $u, 'beta', 'fail') | Out-Null
        @(Hits 'chg').Count | Should -Be 2 -Because 'another job has its own state'
        $job = Start-Job -ScriptBlock {
            param($m, $sd, $u) Import-Module $m; $true | Send-CenateAlert -WebhookUri $u -StateDirectory $sd -Job alpha -When Change
        } -ArgumentList $env:CENATE_MODULE_PATH, $sd, $u
        $res = $job | Wait-Job -Timeout 90 | Receive-Job; $job | Remove-Job -Force
        @(Hits 'chg').Count | Should -Be 3 -Because 'alpha recovered'
        (Hits 'chg')[-1].Body | Should -Match '"change":\s*"Recovered"'
        $true | Send-CenateAlert -WebhookUri $u -StateDirectory $sd -Job alpha -When Change | Out-Null
        @(Hits 'chg').Count | Should -Be 3
    }

    It 'refuses a job name with path traversal or CR/LF and writes nothing outside the state directory' {
        $sd = New-Dir 'trav'
        foreach ($j in '../x', '..', 'a/b', "a`r`nBcc: evil@x.test", ('a' * 65)) {
            { $true | Send-CenateAlert -StatusPath (Join-Path $sd 's.json') -StateDirectory $sd -Job $j -EA Stop } |
                Should -Throw -Because "job '$j'"
        }
        Test-Path (Join-Path $Root 'x.state.json') | Should -BeFalse
        @(Get-ChildItem -LiteralPath $sd -Force).Count | Should -Be 0
    }
}

Describe 'Spool' {
    It 'spools while the webhook is down and delivers the spooled alert first from another process' {
        $sd = New-Dir 'spool'
        $s = Write-Child @'
param($sd, $uri)
$e = [Management.Automation.ErrorRecord]::new([Exception]::new('night failure'), 'N.F', 'ReadError', $null)
$e | Send-CenateAlert -WebhookUri $uri -StateDirectory $sd -Job sp -ErrorAction SilentlyContinue -ErrorVariable ev | Out-Null
$ev | ForEach-Object { Write-Output "ERR $($_.FullyQualifiedErrorId)" }
'@
        $c = Invoke-ChildPwsh -ScriptPath $s -Arguments $sd, (Hook 'down')
        $c.StdOut | Should -Match "ERR AlertDeliveryFailed"
        $spool = Join-Path $sd 'sp.spool.json'
        Get-UnixMode $spool | Should -Be '0600'
        $c2 = Invoke-ChildPwsh -ScriptPath $s -Arguments $sd, (Hook 'up1')
        $h = Hits 'up1'
        $h.Count | Should -Be 2
        ($h[0].Body | ConvertFrom-Json).delayed | Should -BeTrue
        ($h[1].Body | ConvertFrom-Json).delayed | Should -BeFalse
        if (Test-Path $spool) { (Get-Content $spool -Raw) | Should -Not -Match 'night failure' }
    }

    Context 'tampered spool file' {
        BeforeEach {
            $script:sd = New-Dir 'tamp'
            New-Err 'first' | Send-CenateAlert -WebhookUri (Hook 'down') -StateDirectory $sd -Job t -EA SilentlyContinue |
                Out-Null
            $script:spool = Join-Path $sd 't.spool.json'
            Test-Path $spool | Should -BeTrue
        }
        It 'never sends to a destination or with a credential written into the spool' {
            $j = Get-Content $spool -Raw | ConvertFrom-Json
            foreach ($e in $j.entries) {
                $e.target = "$($Rec.Uri)/evil/target"
                $e | Add-Member uri "$($Rec.Uri)/evil/uri"; $e | Add-Member webhookUri "$($Rec.Uri)/evil/w"
                $e | Add-Member destination "$($Rec.Uri)/evil/d"; $e | Add-Member smtpServer '127.0.0.1'
                $e | Add-Member password 'leak-me'; $e.channel = 'Heartbeat'
            }
            $j | ConvertTo-Json -Depth 10 | Set-Content $spool
            New-Err 'second' | Send-CenateAlert -WebhookUri (Hook 'tamp1') -StateDirectory $sd -Job t -EA SilentlyContinue `
                -WarningAction SilentlyContinue | Out-Null
            @(Get-HttpRecorderRequests $Rec -PathLike '/evil*').Count | Should -Be 0
            @(Hits 'tamp1').Count | Should -BeGreaterOrEqual 1
            (Hits 'tamp1') | ForEach-Object { $_.Body | Should -Not -Match 'leak-me' }
        }
        It 'survives invalid JSON: warns, sets it aside, still alerts' {
            Set-Content $spool '{ "entries": [ {"channel": "Webhook", ' -NoNewline
            $r = New-Err 'second' | Send-CenateAlert -WebhookUri (Hook 'tamp2') -StateDirectory $sd -Job t `
                -EA SilentlyContinue -WarningVariable wv -WarningAction SilentlyContinue
            @(Hits 'tamp2').Count | Should -Be 1
            $wv.Count | Should -BeGreaterThan 0
            @(Get-ChildItem $sd -Filter 't.spool.json.corrupt-*').Count + @(Get-ChildItem $sd -Filter '*corrupt*').Count |
                Should -BeGreaterThan 0
        }
        It 'survives a huge spool file (64 MB) without crash and still alerts' {
            $fs = [IO.File]::Open($spool, 'Create'); $fs.SetLength(64MB); $fs.Dispose()
            $r = New-Err 'second' | Send-CenateAlert -WebhookUri (Hook 'tamp3') -StateDirectory $sd -Job t `
                -EA SilentlyContinue -WarningAction SilentlyContinue -Timeout '20s'
            @(Hits 'tamp3').Count | Should -Be 1
        }
        It 'does not follow a spool symlink to overwrite another file' {
            $victim = Join-Path (New-Dir 'victim') 'precious.txt'
            Set-Content $victim 'precious content' -NoNewline
            Remove-Item $spool; New-Item -ItemType SymbolicLink -Path $spool -Target $victim | Out-Null
            New-Err 'second' | Send-CenateAlert -WebhookUri (Hook 'down') -StateDirectory $sd -Job t -EA SilentlyContinue `
                -WarningAction SilentlyContinue | Out-Null
            Get-Content $victim -Raw | Should -Be 'precious content'
        }
        It 'still alerts when the spool file is 0644 and leaves no world-readable spool' {
            chmod 0644 $spool
            New-Err 'second' | Send-CenateAlert -WebhookUri (Hook 'tamp5') -StateDirectory $sd -Job t -EA SilentlyContinue `
                -WarningAction SilentlyContinue | Out-Null
            @(Hits 'tamp5').Count | Should -BeGreaterOrEqual 1
            if (Test-Path $spool) { Get-UnixMode $spool | Should -Be '0600' }
        }
    }
}

Describe 'State and status files' {
    It 'does not follow a state-file symlink to overwrite an arbitrary file' {
        $sd = New-Dir 'stsym'
        $victim = Join-Path (New-Dir 'victim2') 'passwd-like'
        Set-Content $victim 'root:x:0:0' -NoNewline
        New-Item -ItemType SymbolicLink -Path (Join-Path $sd 'sym.state.json') -Target $victim | Out-Null
        $r = New-Err 'x' | Send-CenateAlert -WebhookUri (Hook 'stsym') -StateDirectory $sd -Job sym -When Change `
            -EA SilentlyContinue -WarningAction SilentlyContinue
        Get-Content $victim -Raw | Should -Be 'root:x:0:0'
        @(Hits 'stsym').Count | Should -Be 1 -Because 'the alert still goes'
    }
    It 'reports AlertStatusWriteFailed for a status path in a nonexistent directory and still sends the webhook' {
        $sd = New-Dir 'stnx'
        $r = New-Err 'x' | Send-CenateAlert -WebhookUri (Hook 'stnx') -StatusPath (Join-Path $sd 'no/such/dir/s.json') `
            -StateDirectory $sd -Job nx -EA SilentlyContinue -ErrorVariable ev
        Ids $ev | Should -Contain "AlertStatusWriteFailed,$Cmd"
        @(Hits 'stnx').Count | Should -Be 1
        @(Ids $ev)[-1] | Should -Be "BackupRunFailed,$Cmd"
    }
}

Describe 'Settings file' {
    BeforeAll {
        function script:New-Settings([string]$Text, [string]$Mode = '0600') {
            $p = Join-Path (New-Dir 'set') 'alerts.psd1'
            Set-Content -LiteralPath $p -Value $Text -Encoding utf8
            chmod $Mode $p
            $p
        }
        function script:Get-SettingsError([string]$Path) {
            $sd = New-Dir 'setsd'
            try { $true | Send-CenateAlert -Settings $Path -StateDirectory $sd -Job s -When Always -EA Stop | Out-Null; $null }
            catch { $_.FullyQualifiedErrorId }
        }
    }
    It 'refuses <Name>' -TestCases @(
        @{ Name = 'a dynamic expression'; Text = "@{ WebhookUri = `"http://127.0.0.1:56992/hook/`$(Get-Date)`" }" }
        @{ Name = 'a subexpression call'; Text = "@{ WebhookUri = (Invoke-Expression 'x') }" }
        @{ Name = 'a variable'; Text = "@{ WebhookUri = `$env:HOME }" }
        @{ Name = 'Port as text'; Text = "@{ SmtpServer = '127.0.0.1'; Port = 'abc'; From = 'a@b.c'; To = 'd@e.f' }" }
        @{ Name = 'an unknown key'; Text = "@{ WebhookUri = 'http://127.0.0.1:56992/hook/set'; Bogus = 1 }" }
        @{ Name = 'a Password key'; Text = "@{ SmtpServer = '127.0.0.1'; From = 'a@b.c'; To = 'd@e.f'; Password = 'p' }" }
        @{ Name = 'When of a wrong value'; Text = "@{ WebhookUri = 'http://127.0.0.1:56992/hook/set'; When = 'Sometimes' }" }
    ) {
        param($Name, $Text)
        $before = @(Hits 'set').Count
        Get-SettingsError (New-Settings $Text) | Should -Be "SettingsInvalid,$Cmd"
        @(Hits 'set').Count | Should -Be $before
    }
    It 'refuses To as a number (wrong type)' {
        Get-SettingsError (New-Settings "@{ SmtpServer = '127.0.0.1'; From = 'a@b.c'; To = 5 }") |
            Should -Be "SettingsInvalid,$Cmd"
    }
    It 'accepts a here-string constant' {
        $t = "@{`n  WebhookUri = @'`nhttp://127.0.0.1:56992/hook/here`n'@`n  When = 'Always'`n}"
        Get-SettingsError (New-Settings $t) | Should -BeNullOrEmpty
        @(Hits 'here').Count | Should -Be 1
    }
    It 'refuses a group-writable settings file (SettingsFileInsecure)' {
        Get-SettingsError (New-Settings "@{ WebhookUri = 'http://127.0.0.1:56992/hook/set' }" '0664') |
            Should -Be "SettingsFileInsecure,$Cmd"
    }
    It 'refuses a settings file owned by another user (SettingsFileInsecure)' {
        $p = New-Settings "@{ WebhookUri = 'http://127.0.0.1:56992/hook/set' }"
        chown nobody $p
        Get-SettingsError $p | Should -Be "SettingsFileInsecure,$Cmd"
    }
    It 'refuses a credential file owned by another user (CredentialFileInsecure) and does not send mail' {
        Clear-Smtp4dev $Smtp
        $dir = New-Dir 'credown'
        $cf = Join-Path $dir 'smtp.cred.xml'
        $Cred | Export-Clixml $cf; chmod 0600 $cf; chown nobody $cf
        $p = New-Settings ("@{ SmtpServer = '127.0.0.1'; Port = 56990; From = 'a@b.test'; To = 'c@d.test'; " +
            "CertificateThumbprint = '$($Smtp.Sha256)'; CredentialPath = '$cf'; When = 'Always' }")
        Get-SettingsError $p | Should -Be "CredentialFileInsecure,$Cmd"
        @(Get-Smtp4devMessages -Server $Smtp -Expect 0).Count | Should -Be 0
    }
}

Describe 'SMTP failures' {
    BeforeEach { Clear-Smtp4dev $Smtp }
    It 'wrong password -> AlertDeliveryFailed, spooled, no message' {
        $sd = New-Dir 'wrongpw'
        $m = $Mail.Clone(); $m.Credential = [pscredential]::new($Smtp.User, (ConvertTo-SecureString 'nope-wrong' -AsPlainText -Force))
        $r = New-Err 'x' | Send-CenateAlert @m -StateDirectory $sd -Job wp -EA SilentlyContinue -ErrorVariable ev
        Ids $ev | Should -Contain "AlertDeliveryFailed,$Cmd"
        ($r | Where-Object Channel -eq 'Mail').Spooled | Should -BeTrue
        @(Get-Smtp4devMessages -Server $Smtp -Expect 0).Count | Should -Be 0
    }
    It 'server down -> AlertDeliveryFailed within the timeout' {
        $sd = New-Dir 'down'
        $m = $Mail.Clone(); $m.Port = 56997; $m.Timeout = '5s'
        $sw = [Diagnostics.Stopwatch]::StartNew()
        New-Err 'x' | Send-CenateAlert @m -StateDirectory $sd -Job dn -EA SilentlyContinue -ErrorVariable ev | Out-Null
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 15
        Ids $ev | Should -Contain "AlertDeliveryFailed,$Cmd"
        @(Ids $ev)[-1] | Should -Be "BackupRunFailed,$Cmd"
    }
    It 'self-signed relay without a pin is refused; with the SHA-1 pin it is accepted' {
        $sd = New-Dir 'pin'
        $m = $Mail.Clone(); $m.Remove('CertificateThumbprint')
        New-Err 'x' | Send-CenateAlert @m -StateDirectory $sd -Job pin -EA SilentlyContinue -ErrorVariable ev | Out-Null
        Ids $ev | Should -Contain "AlertDeliveryFailed,$Cmd"
        @(Get-Smtp4devMessages -Server $Smtp -Expect 0).Count | Should -Be 0
        $m.CertificateThumbprint = ($Smtp.Sha1 -replace '(..)(?!$)', '$1:').ToLowerInvariant()
        $r = New-Err 'x' | Send-CenateAlert @m -StateDirectory $sd -Job pin -EA SilentlyContinue
        @(Get-Smtp4devMessages -Server $Smtp -Expect 2).Count | Should -Be 2 -Because 'the spooled one and the new one'
    }
    It '-Security None to a STARTTLS-required server fails and never sends the password in clear' {
        $sd = New-Dir 'none'
        $m = $Mail.Clone(); $m.Security = 'None'
        New-Err 'x' | Send-CenateAlert @m -StateDirectory $sd -Job none -EA SilentlyContinue -ErrorVariable ev | Out-Null
        Ids $ev | Should -Contain "AlertDeliveryFailed,$Cmd"
        $logs = (Get-Smtp4devSessionLogs -Server $Smtp | ForEach-Object Log) -join "`n"
        Find-Secret -Secret (Get-PasswordForms $Smtp.User $Smtp.Password) -Text @{ log = $logs } | Should -BeNullOrEmpty
    }
}

Describe 'Message content' {
    BeforeEach { Clear-Smtp4dev $Smtp }
    It 'HTML-escapes a backup path named as an img tag with onerror' {
        $dir = Join-Path (New-Dir 'xss') '<img src=x onerror=alert(1)>'
        New-FakeSet -Dir $dir -DaysAgo 0.1 -Incomplete | Out-Null
        $sd = New-Dir 'xsssd'
        $in = @(Get-CenateBackup -Path $dir -EA SilentlyContinue) + (New-Err "copy to $dir failed: <script>x</script>")
        $in | Send-CenateAlert @Mail -StateDirectory $sd -Job xss -When Always -EA SilentlyContinue | Out-Null
        $m = Get-Smtp4devMessages -Server $Smtp -Detail -Expect 1
        @($m).Count | Should -Be 1
        $m.Html | Should -Not -Match '<img src=x'
        $m.Html | Should -Not -Match '<script>'
        $m.Html | Should -Match '&lt;img src=x'
        $m.Html | Should -Match '&lt;script&gt;'
    }
    It 'CR/LF in an error message does not inject headers' {
        $sd = New-Dir 'crlf'
        New-Err "boom`r`nBcc: evil@attacker.test`r`nX-Injected: yes" |
            Send-CenateAlert @Mail -StateDirectory $sd -Job crlf -EA SilentlyContinue | Out-Null
        $m = Get-Smtp4devMessages -Server $Smtp -Detail -Expect 1
        @($m).Count | Should -Be 1
        Get-Smtp4devHeader $m 'X-Injected' | Should -BeNullOrEmpty
        Get-Smtp4devHeader $m 'Bcc' | Should -BeNullOrEmpty
        @($m.To) -join ',' | Should -Not -Match 'attacker'
        $head = ($m.Raw -split "`r?`n`r?`n", 2)[0]
        $head | Should -Not -Match '(?m)^X-Injected:'
    }
    It 'es-PE: Spanish text with accents arrives intact (UTF-8) in subject, text and HTML' {
        $sd = New-Dir 'es'
        New-Err 'Falló la copia del año: ñandú, Árbol' |
            Send-CenateAlert @Mail -StateDirectory $sd -Job es -Culture es-PE -EA SilentlyContinue | Out-Null
        $m = Get-Smtp4devMessages -Server $Smtp -Detail -Expect 1
        $m.Subject | Should -Match 'Falló la copia del año'
        $m.Subject | Should -Not -Match 'FAILED'
        $m.Text | Should -Match 'ñandú, Árbol'
        $m.Html | Should -Match 'ñandú, Árbol|&#241;and&#250;'
    }
    It 'names the error id of an upstream terminating error caught with try/catch { $_ }' {
        $sd = New-Dir 'tc'
        $report = try { Get-CenateBackup -Path (Join-Path $sd 'no-such-dir') -EA Stop } catch { $_ }
        $id = $report.FullyQualifiedErrorId.Split(',')[0]
        $report | Send-CenateAlert -WebhookUri (Hook 'tc') -StateDirectory $sd -Job tc -EA SilentlyContinue | Out-Null
        (Hits 'tc')[0].Body | Should -Match ([regex]::Escape($id))
    }
}

Describe 'WhatIf, Confirm, Test' {
    It '-WhatIf sends nothing and writes no state, spool or status' {
        Clear-Smtp4dev $Smtp
        $sd = New-Dir 'wi'
        $st = Join-Path $sd 'status.json'
        $r = New-Err 'x' | Send-CenateAlert @Mail -WebhookUri (Hook 'wi') -HeartbeatUri (Hook 'wihb') -StatusPath $st `
            -StateDirectory $sd -Job wi -WhatIf -EA SilentlyContinue
        @(Get-Smtp4devMessages -Server $Smtp -Expect 0).Count | Should -Be 0
        @(Hits 'wi').Count | Should -Be 0
        @(Get-ChildItem $sd -Force).Count | Should -Be 0
    }
    It '-Confirm:$false works in a non-interactive child' {
        $sd = New-Dir 'conf'
        $s = Write-Child @'
param($sd, $uri)
$true | Send-CenateAlert -WebhookUri $uri -StateDirectory $sd -Job conf -When Always -Confirm:$false | Out-Null
'@
        $c = Invoke-ChildPwsh -ScriptPath $s -Arguments $sd, (Hook 'conf')
        $c.ExitCode | Should -Be 0
        @(Hits 'conf').Count | Should -Be 1
    }
    It '-Test with no channel is AlertChannelMissing' {
        { Send-CenateAlert -Test -StateDirectory (New-Dir 'tst') -EA Stop } |
            Should -Throw -ErrorId "AlertChannelMissing,$Cmd"
    }
}

Describe 'Exit code of a scheduled script' {
    BeforeAll {
        $script:ExitScript = Write-Child @'
param($sd, $port, $fail)
$ErrorActionPreference = 'Stop'
$cred = [pscredential]::new($env:QA_USER, (ConvertTo-SecureString $env:QA_PW -AsPlainText -Force))
$report = try {
    if ($fail -eq 'fail') { Get-CenateBackup -Path (Join-Path $sd 'missing') } else { $true }
} catch { $_ }
$report | Send-CenateAlert -SmtpServer 127.0.0.1 -Port ([int]$port) -From b@h.test -To a@h.test -Credential $cred `
    -CertificateThumbprint $env:QA_PIN -StateDirectory $sd -Job exitjob -Timeout '5s' | Out-Null
'@
        $script:ExitEnv = @{ QA_USER = $Smtp.User; QA_PW = $Smtp.Password; QA_PIN = $Smtp.Sha256 }
    }
    It '<Name>' -TestCases @(
        @{ Name = 'backup failed, mail OK -> non-zero'; Port = 56990; Fail = 'fail'; NonZero = $true }
        @{ Name = 'backup failed, mail down -> non-zero'; Port = 56997; Fail = 'fail'; NonZero = $true }
        @{ Name = 'all OK -> zero'; Port = 56990; Fail = 'ok'; NonZero = $false }
    ) {
        param($Name, $Port, $Fail, $NonZero)
        $c = Invoke-ChildPwsh -ScriptPath $ExitScript -Arguments (New-Dir 'exit'), $Port, $Fail -Environment $ExitEnv
        if ($NonZero) { $c.ExitCode | Should -Not -Be 0; ($c.StdErr -replace '[\s|]+', ' ') | Should -Match 'run (itself )?failed' }
        else { $c.ExitCode | Should -Be 0 -Because $c.StdErr }
        Find-Secret -Secret (Get-PasswordForms $Smtp.User $Smtp.Password) -Text @{ out = $c.StdOut; err = $c.StdErr } |
            Should -BeNullOrEmpty
    }
}

Describe 'Secrets never leak' {
    It 'password and webhook secret are absent from output, verbose, debug, errors, $Error, transcript and files' {
        $sd = New-Dir 'sec'
        $st = Join-Path $sd 'status.json'
        $tr = Join-Path $sd 'transcript.txt'
        $secretPath = 'T0pS3cr3tW3bh00kT0k3n'
        $m = $Mail.Clone(); $m.Port = 56997; $m.Timeout = '5s'
        $m.Credential = [pscredential]::new($Smtp.User, (ConvertTo-SecureString 'Zq9-PassW0rd-Secret' -AsPlainText -Force))
        $Error.Clear()
        Start-Transcript -LiteralPath $tr | Out-Null
        try {
            $records = New-Err 'fail' | Send-CenateAlert @m -WebhookUri "$($Rec.Uri)/hook/down/$secretPath?token=qs$secretPath" `
                -StatusPath $st -StateDirectory $sd -Job sec -Verbose -Debug -EA Continue *>&1
            $records | Out-Host
        } finally { Stop-Transcript | Out-Null }
        $errText = Get-AlertText @($Error)
        $forms = @(Get-PasswordForms $Smtp.User 'Zq9-PassW0rd-Secret') + $secretPath
        Find-Secret -Secret $forms -Text @{ stream = (Get-AlertText $records); errors = $errText } -Path $sd |
            Should -BeNullOrEmpty
        Test-Path (Join-Path $sd 'sec.spool.json') | Should -BeTrue
    }
}
