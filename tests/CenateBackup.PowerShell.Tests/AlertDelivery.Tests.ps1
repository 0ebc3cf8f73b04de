#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# What happens around a delivery (ports 56920-56925 are this file's): the relay is down (spooled 0600,
# AlertDeliveryFailed, the original failure still written last), then up (the spooled alerts go first, in order,
# then the current one);
# a script ending `… | Send-CenateAlert` under $ErrorActionPreference='Stop' exits non-zero in a fresh pwsh when the
# backup failed and 0 when it succeeded; -When Change; and no password in any output stream or file, whichever source
# it came from (-Credential, an Export-Clixml credential file, an environment variable), in plain, base64 (SMTP AUTH
# PLAIN) or UTF-16LE-hex (Export-Clixml on Unix) form.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'AlertHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Fq = { param($id) "$id,CenateBackup.PowerShell.Commands.SendCenateAlertCommand" }
    $script:SmtpPort = 56920; $script:SmtpHttp = 56921; $script:ClosedPort = 56923
    $script:Rec = Start-HttpRecorder -Port 56922
    $script:Work = New-AlertTempDirectory 'delivery'
    $script:User = 'alerts'
    $script:Password = 'Pa55-' + [guid]::NewGuid().ToString('N').Substring(0, 12)
    $script:Smtp = $null
    if (Test-TcpPortOpen $ClosedPort) { throw "port $ClosedPort must be closed for the SMTP-down tests" }

    function Get-DeliverySmtp {
        # Started by the down-then-up scenario (which needs the port closed first), else on first use.
        if (-not $script:Smtp) {
            $script:Smtp = Start-Smtp4dev -Mode None -SmtpPort $SmtpPort -HttpPort $SmtpHttp -User $User `
                -Password $Password
        }
        $script:Smtp
    }
    function New-Failure {
        param([string]$Message = 'pg_dump: error: could not write to file: No space left on device',
              [string]$Id = 'DumpFailed', [object]$Target = '/backups/cenate/maestro_cenate_20261130_020000.dump')
        [Management.Automation.ErrorRecord]::new([IO.IOException]::new($Message), $Id, 'WriteError', $Target)
    }
    function New-MailParams([int]$Port = $SmtpPort) {
        $job = 'dlv-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        @{
            SmtpServer = '127.0.0.1'; Port = $Port; Security = 'None'
            From = 'cenate@hospital.test'; To = 'admin@hospital.test'
            Credential = [pscredential]::new($User, (ConvertTo-SecureString $Password -AsPlainText -Force))
            StateDirectory = (Join-Path $Work $job); Job = $job; Culture = 'en-US'; Timeout = '10s'
        }
    }
}

AfterAll {
    Stop-HttpRecorder $Rec
    Stop-Smtp4dev $Smtp
    if ($Work) { Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'SMTP down, then up' {
    BeforeAll {
        if (Test-TcpPortOpen $SmtpPort) { throw "port $SmtpPort must still be closed here" }
        $script:P = New-MailParams
        $script:Spool = Join-Path $P.StateDirectory "$($P.Job).spool.json"
        # Run 1 and 2: the relay is down.
        $script:R1 = @(New-Failure -Id 'FirstFailure' |
            Send-CenateAlert @P -Verbose -ErrorVariable ev1 -ErrorAction Continue *>&1)
        $script:E1 = @($ev1)
        $script:SpoolMode1 = if (Test-Path $Spool) { Get-UnixMode $Spool } else { 'missing' }
        $script:R2 = @(New-Failure -Id 'SecondFailure' | Send-CenateAlert @P -ErrorAction SilentlyContinue)
        $script:SpoolText = if (Test-Path $Spool) { Get-Content -LiteralPath $Spool -Raw } else { '' }
        $script:SpoolMode2 = if (Test-Path $Spool) { Get-UnixMode $Spool } else { 'missing' }
        # Run 3: the relay is back; a success under -When Always.
        $null = Get-DeliverySmtp
        Clear-Smtp4dev -Server $Smtp
        $script:R3 = @($true | Send-CenateAlert @P -When Always -ErrorVariable ev3 -ErrorAction SilentlyContinue)
        $script:E3 = @($ev3)
        $script:M3 = @(Get-Smtp4devMessages -Server $Smtp -Detail -Expect 3)
        # Run 4: nothing is left to resend.
        $script:R4 = @($true | Send-CenateAlert @P -When Always -ErrorAction SilentlyContinue)
        $script:M4 = @(Get-Smtp4devMessages -Server $Smtp -Expect 4)
    }

    It 'writes AlertDeliveryFailed (ConnectionError) naming the spool, and still BackupRunFailed last' {
        $e = @($E1 | Where-Object FullyQualifiedErrorId -eq (& $Fq 'AlertDeliveryFailed'))
        $e.Count | Should -Be 1
        "$($e[0].CategoryInfo.Category)" | Should -Be 'ConnectionError'
        $e[0].Exception.Message | Should -Match "smtp://127\.0\.0\.1:$SmtpPort"
        $e[0].Exception.Message | Should -Match ([regex]::Escape($Spool))
        $E1[-1].FullyQualifiedErrorId | Should -Be (& $Fq 'BackupRunFailed')
        $E1[-1].Exception.Message | Should -Match 'No space left on device'
        $mail = @($R1 | Where-Object { $_.PSObject.TypeNames -match 'CenateAlertResult' } |
            Where-Object Channel -eq 'Mail')
        "$($mail[0].Status)" | Should -Be 'Failed'
        $mail[0].Spooled | Should -BeTrue
    }

    It 'keeps the undelivered alerts in a 0600 spool without the credential' {
        $SpoolMode1 | Should -Be '0600'
        $SpoolMode2 | Should -Be '0600'
        $SpoolText | Should -Match 'FirstFailure'
        $SpoolText | Should -Match 'SecondFailure'
        $texts = @{ spool = $SpoolText; run1 = Get-AlertText $R1 }
        Find-Secret -Secret (Get-PasswordForms -User $User -Password $Password) -Text $texts | Should -BeNullOrEmpty
    }

    It 'sends the spooled alerts first, oldest first, marked delayed, then the current one' {
        @($E3 | Where-Object FullyQualifiedErrorId -eq (& $Fq 'AlertDeliveryFailed')).Count | Should -Be 0
        $M3.Count | Should -Be 3
        $M3[0].Text | Should -Match 'FirstFailure'
        $M3[1].Text | Should -Match 'SecondFailure'
        $M3[0].Subject | Should -Match '(?i)delayed from'
        $M3[1].Subject | Should -Match '(?i)delayed from'
        $M3[0].Subject | Should -BeLike '*FAILED*'
        $M3[2].Subject | Should -BeLike '`[CenateBackup`] *'
        $M3[2].Subject | Should -Not -Match '(?i)delayed'
        $M3[2].Subject | Should -Match 'OK|RECOVERED'
        $mail = @($R3 | Where-Object Channel -eq 'Mail')
        $mail.Count | Should -Be 3
        $mail[0].Delayed | Should -BeTrue
        $mail[0].QueuedAt | Should -Not -BeNullOrEmpty
        $mail[1].Delayed | Should -BeTrue
        $mail[2].Delayed | Should -BeFalse
        @($mail | ForEach-Object { "$($_.Status)" }) | Should -Be @('Sent', 'Sent', 'Sent')
    }

    It 'empties the spool once delivered: the next run sends one message' {
        $spoolLeft = if (Test-Path $Spool) { Get-Content -LiteralPath $Spool -Raw } else { '' }
        $spoolLeft | Should -Not -Match 'FirstFailure|SecondFailure'
        @($R4 | Where-Object Channel -eq 'Mail').Count | Should -Be 1
        $M4.Count | Should -Be 4
    }
}

Describe 'Each channel has its own spool' {
    It 'mail down, webhook up: only the mail is spooled and resent (through the relay given now)' {
        $null = Get-DeliverySmtp
        Clear-Smtp4dev -Server $Smtp
        Clear-HttpRecorder $Rec
        $p = New-MailParams -Port $ClosedPort
        $hook = "$($Rec.Uri)/perchannel/hook"
        $r1 = New-Failure -Id 'MailWasDown' | Send-CenateAlert @p -WebhookUri $hook -ErrorAction SilentlyContinue
        "$(($r1 | Where-Object Channel -eq 'Mail').Status)" | Should -Be 'Failed'
        "$(($r1 | Where-Object Channel -eq 'Webhook').Status)" | Should -Be 'Sent'
        # The admin fixes the port; the spooled alert goes through the relay given now.
        $p.Port = $SmtpPort
        $r2 = $true | Send-CenateAlert @p -WebhookUri $hook -When Always -ErrorAction SilentlyContinue
        $m = @(Get-Smtp4devMessages -Server $Smtp -Detail -Expect 2)
        $m.Count | Should -Be 2
        $m[0].Text | Should -Match 'MailWasDown'
        $j = @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/perchannel/*' |
            ForEach-Object Body | ConvertFrom-Json)
        $j.Count | Should -Be 2
        @($j | Where-Object delayed).Count | Should -Be 0
        @($r2 | Where-Object Channel -eq 'Webhook').Count | Should -Be 1
    }
}

Describe 'A spooled webhook alert goes to the destination given now, never to one read from the spool' {
    It 'resends to the current -WebhookUri' {
        Clear-HttpRecorder $Rec
        $job = 'trust-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $state = Join-Path $Work $job
        $Rec.Status['/old/hook'] = 503
        $null = New-Failure | Send-CenateAlert -WebhookUri "$($Rec.Uri)/old/hook" -StateDirectory $state -Job $job `
            -ErrorAction SilentlyContinue
        $spool = Join-Path $state "$job.spool.json"
        $text = Get-Content -LiteralPath $spool -Raw
        $text | Should -Not -Match '/old/hook'
        # Someone rewrites the spool to send the alert elsewhere, and leaves it readable by all.
        $evil = "$($Rec.Uri)/evil/steal"
        $tampered = $text -replace 'http://127\.0\.0\.1:56922/[^"]*', $evil
        $tampered | Should -Match 'evil/steal'
        Set-Content -LiteralPath $spool -Value $tampered
        [IO.File]::SetUnixFileMode($spool, [IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
        $null = $true | Send-CenateAlert -When Always -WebhookUri "$($Rec.Uri)/new/hook" -StateDirectory $state `
            -Job $job -ErrorAction SilentlyContinue
        @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/evil/*').Count | Should -Be 0
        @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/old/*').Count | Should -Be 1
        $new = @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/new/*' | ForEach-Object Body | ConvertFrom-Json)
        $new.Count | Should -Be 2
        $new[0].delayed | Should -BeTrue
        "$($new[0].state)" | Should -Be 'Failure'
        $new[1].delayed | Should -BeFalse
        # Spooled again (the hook fails): the spool is rewritten 0600 whatever mode it was left in.
        $Rec.Status['/new/hook'] = 500
        $null = New-Failure | Send-CenateAlert -WebhookUri "$($Rec.Uri)/new/hook" -StateDirectory $state -Job $job `
            -ErrorAction SilentlyContinue
        [IO.File]::SetUnixFileMode($spool, [IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
        $null = New-Failure | Send-CenateAlert -WebhookUri "$($Rec.Uri)/new/hook" -StateDirectory $state -Job $job `
            -ErrorAction SilentlyContinue
        Get-UnixMode $spool | Should -Be '0600'
    }
}

Describe 'The alert''s own bookkeeping never blocks an alert' {
    BeforeEach { Clear-HttpRecorder $Rec }

    It 'a corrupt spool is set aside (JOB.spool.json.corrupt-STAMP) with a warning, and the alert is sent' {
        $job = 'corrupt-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $state = Join-Path $Work $job
        $null = New-Item -ItemType Directory -Path $state
        Set-Content -LiteralPath (Join-Path $state "$job.spool.json") -Value '{"entries": [ {"broken'
        Set-Content -LiteralPath (Join-Path $state "$job.state.json") -Value 'not json at all'
        $out = @(New-Failure | Send-CenateAlert -WebhookUri "$($Rec.Uri)/corrupt/hook" -StateDirectory $state `
            -Job $job -ErrorAction SilentlyContinue -WarningVariable wv 3>$null)
        @($wv).Count | Should -BeGreaterOrEqual 1
        "$(($out | Where-Object Channel -eq 'Webhook').Status)" | Should -Be 'Sent'
        @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/corrupt/*').Count | Should -Be 1
        @(Get-ChildItem -LiteralPath $state -Filter "$job.spool.json.corrupt-*").Count | Should -Be 1
        # The state file is readable again afterwards.
        { Get-Content -LiteralPath (Join-Path $state "$job.state.json") -Raw | ConvertFrom-Json } | Should -Not -Throw
    }

    It 'keeps at most 20 undelivered alerts per channel, dropping the oldest with a warning' {
        $job = 'cap-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $state = Join-Path $Work $job
        $Rec.Status['/cap/hook'] = 503
        $warnings = foreach ($i in 1..22) {
            $null = New-Failure -Id ('Run{0:D2}' -f $i) | Send-CenateAlert -WebhookUri "$($Rec.Uri)/cap/hook" `
                -StateDirectory $state -Job $job -ErrorAction SilentlyContinue -WarningVariable wv 3>$null
            $wv
        }
        @($warnings).Count | Should -BeGreaterOrEqual 1
        $Rec.Status.Remove('/cap/hook')
        Clear-HttpRecorder $Rec
        $null = $true | Send-CenateAlert -When Always -WebhookUri "$($Rec.Uri)/cap/hook" -StateDirectory $state `
            -Job $job -ErrorAction SilentlyContinue
        $j = @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/cap/*' | ForEach-Object Body | ConvertFrom-Json)
        $j.Count | Should -Be 21
        @($j[0..19] | Where-Object delayed).Count | Should -Be 20
        ($j[0].items | Where-Object errorId).errorId | Should -Be 'Run03'
        ($j[19].items | Where-Object errorId).errorId | Should -Be 'Run22'
        $j[20].delayed | Should -BeFalse
    }
}

Describe 'A script ending "| Send-CenateAlert" keeps the backup''s result as its exit code (fresh pwsh, EAP Stop)' {
    BeforeAll {
        $script:Fresh = Join-Path $Work 'fresh-sets'
        $script:Old = Join-Path $Work 'old-sets'
        $null = New-FakeSet -Dir $Fresh -DaysAgo 0.05
        $null = New-FakeSet -Dir $Old -DaysAgo 3
        $script:Monitor = Join-Path $Work 'monitor.ps1'
        Set-Content -LiteralPath $Monitor -Value @'
param([string]$Dir, [string]$Hook, [string]$State, [string]$Mode)
$ErrorActionPreference = 'Stop'
Import-Module $env:CENATE_MODULE_PATH
if ($Mode -eq 'mail') {
    $cred = [pscredential]::new('alerts', (ConvertTo-SecureString $env:ALERT_TEST_PW -AsPlainText -Force))
    Test-CenateBackup -Path $Dir -MaxAge '26h' -Level Checksum |
        Send-CenateAlert -SmtpServer 127.0.0.1 -Port ([int]$Hook) -Security None -From c@h.test -To a@h.test `
            -Credential $cred -StateDirectory $State -Job monitor -Timeout '10s'
} elseif ($Mode -eq 'errorvariable') {
    Get-Item -LiteralPath $Dir -ErrorAction SilentlyContinue -ErrorVariable failed | Out-Null
    $failed | Send-CenateAlert -WebhookUri $Hook -StateDirectory $State -Job monitor
} else {
    Test-CenateBackup -Path $Dir -MaxAge '26h' -Level Checksum |
        Send-CenateAlert -WebhookUri $Hook -StateDirectory $State -Job monitor
}
'done'
'@
        function Invoke-Monitor([string]$Dir, [string]$Hook, [string]$Mode = 'webhook') {
            $state = Join-Path $Work ('state-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
            $vars = @{ CENATE_MODULE_PATH = (Get-ModuleManifestPath); ALERT_TEST_PW = $Password }
            $run = Invoke-ChildPwsh -ScriptPath $Monitor -Environment $vars -Arguments $Dir, $Hook, $state, $Mode
            $run | Add-Member -NotePropertyName State -NotePropertyValue $state -PassThru
        }
    }
    BeforeEach { Clear-HttpRecorder $Rec }

    It 'exits non-zero when the backup is stale, after the alert went out' {
        $run = Invoke-Monitor -Dir $Old -Hook "$($Rec.Uri)/monitor/stale"
        $run.ExitCode | Should -Not -Be 0
        $run.StdOut | Should -Not -Match 'done'
        $j = @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/monitor/*' | ForEach-Object Body | ConvertFrom-Json)
        $j.Count | Should -Be 1
        "$($j[0].state)" | Should -Be 'Failure'
    }

    It 'exits 0 when the backup is fresh and verified (no alert under -When Failure)' {
        $run = Invoke-Monitor -Dir $Fresh -Hook "$($Rec.Uri)/monitor/fresh"
        $run.StdErr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $run.StdOut | Should -Match 'done'
        @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/monitor/*').Count | Should -Be 0
        Test-Path -LiteralPath (Join-Path $run.State 'monitor.state.json') | Should -BeTrue
    }

    It 'exits non-zero for a failed step passed by -ErrorVariable' {
        $run = Invoke-Monitor -Dir (Join-Path $Work 'no-such-dir') -Hook "$($Rec.Uri)/monitor/ev" -Mode errorvariable
        $run.ExitCode | Should -Not -Be 0
        @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/monitor/*').Count | Should -Be 1
    }

    It 'exits non-zero, spools, and still names the backup failure when the relay is down too' {
        $run = Invoke-Monitor -Dir $Old -Hook "$ClosedPort" -Mode mail
        $run.ExitCode | Should -Not -Be 0
        Get-UnixMode (Join-Path $run.State 'monitor.spool.json') | Should -Be '0600'
        # The admin reading cron's mail must learn that the BACKUP failed, not only that the alert did.
        $run.StdErr | Should -Match '(?i)run failed|stale'
        $texts = @{ out = $run.StdOut; err = $run.StdErr }
        Find-Secret -Secret (Get-PasswordForms -User $User -Password $Password) -Text $texts -Path $run.State |
            Should -BeNullOrEmpty
    }
}

Describe '-When Change' {
    It 'sends the first failure once, stays quiet while it goes on failing, and sends RECOVERED once' {
        Clear-HttpRecorder $Rec
        $job = 'change-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $a = @{ When = 'Change'; WebhookUri = "$($Rec.Uri)/change/hook"; StateDirectory = (Join-Path $Work $job)
                Job = $job; Culture = 'en-US' }
        $status = foreach ($in in @((New-Failure), (New-Failure), $true, $true)) {
            $r = $in | Send-CenateAlert @a -ErrorAction SilentlyContinue
            "$(($r | Where-Object Channel -eq 'Webhook').Status)"
        }
        $status | Should -Be @('Sent', 'Skipped', 'Sent', 'Skipped')
        $j = @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/change/*' | ForEach-Object Body | ConvertFrom-Json)
        $j.Count | Should -Be 2
        "$($j[0].state)" | Should -Be 'Failure'
        "$($j[1].state)" | Should -Be 'Success'
        "$($j[1].change)" | Should -Be 'Recovered'
        $j[1].subject | Should -BeLike '`[CenateBackup`] RECOVERED *'
    }

    It 'says RECUPERADO in Spanish' {
        Clear-HttpRecorder $Rec
        $job = 'cambio-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $a = @{ When = 'Change'; WebhookUri = "$($Rec.Uri)/cambio/hook"; StateDirectory = (Join-Path $Work $job)
                Job = $job; Culture = 'es-ES' }
        $null = New-Failure | Send-CenateAlert @a -ErrorAction SilentlyContinue
        $null = $true | Send-CenateAlert @a -ErrorAction SilentlyContinue
        $j = @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/cambio/*' | ForEach-Object Body | ConvertFrom-Json)
        $j.Count | Should -Be 2
        $j[0].subject | Should -BeLike '`[CenateBackup`] FALLÓ *'
        $j[1].subject | Should -BeLike '`[CenateBackup`] RECUPERADO *'
    }
}

Describe 'No password in any output or file, from any credential source' {
    BeforeAll {
        $null = Get-DeliverySmtp
        $script:Forms = Get-PasswordForms -User $User -Password $Password
        $script:CredFile = Join-Path $Work 'smtp-cred.xml'
        [pscredential]::new($User, (ConvertTo-SecureString $Password -AsPlainText -Force)) |
            Export-Clixml -LiteralPath $CredFile
        function New-Settings([hashtable]$Extra) {
            $path = Join-Path $Work ('settings-' + [guid]::NewGuid().ToString('N').Substring(0, 6) + '.psd1')
            $lines = @("SmtpServer = '127.0.0.1'", "Port = $SmtpPort", "Security = 'None'", "From = 'c@h.test'",
                "To = @('a@h.test')", "When = 'Always'")
            foreach ($k in $Extra.Keys) { $lines += "$k = '$($Extra[$k])'" }
            Set-Content -LiteralPath $path -Value ("@{`n" + ($lines -join "`n") + "`n}")
            [IO.File]::SetUnixFileMode($path, [IO.UnixFileMode]'UserRead, UserWrite')
            $path
        }
    }

    It 'a credential file (Export-Clixml, 0600) named in -Settings: sent, and no form of the password anywhere' {
        [IO.File]::SetUnixFileMode($CredFile, [IO.UnixFileMode]'UserRead, UserWrite')
        (Get-Content -LiteralPath $CredFile -Raw) | Should -Match ([regex]::Escape($Forms[3]))   # the hex form is real
        Clear-Smtp4dev -Server $Smtp
        $job = 'cf-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $state = Join-Path $Work $job; $status = Join-Path $Work "$job.status.json"
        $s = New-Settings @{ CredentialPath = $CredFile }
        $ok = @(New-Failure |
            Send-CenateAlert -Settings $s -StateDirectory $state -Job $job -StatusPath $status -Verbose `
            -ErrorAction Continue *>&1)
        # The same, with the relay unreachable: the spool and AlertDeliveryFailed get their chance to leak.
        $down = @(New-Failure | Send-CenateAlert -Settings $s -Port $ClosedPort -StateDirectory $state -Job $job `
            -StatusPath $status -Verbose -ErrorAction Continue *>&1)
        @(Get-Smtp4devMessages -Server $Smtp -Expect 1).Count | Should -Be 1
        (Get-Smtp4devSessionLogs -Server $Smtp).Log -join "`n" | Should -Match '235 '
        @($down | Where-Object { $_ -is [Management.Automation.ErrorRecord] } | ForEach-Object FullyQualifiedErrorId) |
            Should -Contain (& $Fq 'AlertDeliveryFailed')
        Test-Path -LiteralPath (Join-Path $state "$job.spool.json") | Should -BeTrue
        Find-Secret -Secret $Forms -Text @{ ok = Get-AlertText $ok; down = Get-AlertText $down } -Path $state, $status |
            Should -BeNullOrEmpty
    }

    It 'refuses a credential file other users can read (0644): CredentialFileInsecure, nothing sent' {
        [IO.File]::SetUnixFileMode($CredFile, [IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
        Clear-Smtp4dev -Server $Smtp
        $job = 'cf644-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $s = New-Settings @{ CredentialPath = $CredFile }
        $state = Join-Path $Work $job
        $err = { New-Failure | Send-CenateAlert -Settings $s -StateDirectory $state -Job $job -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'CredentialFileInsecure')
        @(Get-Smtp4devSessionLogs -Server $Smtp).Count | Should -Be 0
        Find-Secret -Secret $Forms -Text @{ err = Get-AlertText @($err) } | Should -BeNullOrEmpty
    }

    It 'UserName + PasswordVariable: the password from the environment authenticates and appears nowhere' {
        Clear-Smtp4dev -Server $Smtp
        $job = 'env-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $state = Join-Path $Work $job
        $s = New-Settings @{ UserName = $User; PasswordVariable = 'CENATE_ALERT_TEST_SMTP_PW' }
        $env:CENATE_ALERT_TEST_SMTP_PW = $Password
        try { $out = @(New-Failure | Send-CenateAlert -Settings $s -StateDirectory $state -Job $job -Verbose `
            -ErrorAction Continue *>&1) }
        finally { Remove-Item Env:CENATE_ALERT_TEST_SMTP_PW }
        @(Get-Smtp4devMessages -Server $Smtp -Expect 1).Count | Should -Be 1
        (Get-Smtp4devSessionLogs -Server $Smtp).Log -join "`n" | Should -Match '235 '
        Find-Secret -Secret $Forms -Text @{ out = Get-AlertText $out } -Path $state | Should -BeNullOrEmpty
        $err = { New-Failure | Send-CenateAlert -Settings $s -StateDirectory $state -Job $job -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'PasswordVariableNotSet')
    }

    It 'refuses a password written into the settings file, without repeating it' {
        $s = New-Settings @{ SmtpPassword = $Password }
        $state = Join-Path $Work 'pw-in-settings'
        $err = { New-Failure | Send-CenateAlert -Settings $s -StateDirectory $state -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'SettingsInvalid')
        Find-Secret -Secret $Forms -Text @{ err = Get-AlertText @($err) } | Should -BeNullOrEmpty
    }
}
