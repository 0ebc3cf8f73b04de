#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Send-CenateAlert by mail against real smtp4dev relays on 127.0.0.1 (ports 56900-56905 are this file's), each with
# AUTH required and a real password check: no TLS, STARTTLS and implicit TLS (self-signed certificates). What arrived
# is read back through smtp4dev's paged HTTP API, and its session log proves STARTTLS and AUTH really happened.
# Pins in every accepted spelling, a wrong pin, no pin, a wrong password, a downgrade to plain text, HTML encoding,
# Spanish texts (-Culture and the environment's language in a fresh pwsh), one message per run.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'AlertHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Fq = { param($id) "$id,CenateBackup.PowerShell.Commands.SendCenateAlertCommand" }
    # Started together (they take seconds each on 2 cores), then waited for.
    $script:Plain = Start-Smtp4dev -Mode None -SmtpPort 56900 -HttpPort 56901 -NoWait
    $script:StartTls = Start-Smtp4dev -Mode StartTls -SmtpPort 56902 -HttpPort 56903 -NoWait
    $script:Implicit = Start-Smtp4dev -Mode ImplicitTls -SmtpPort 56904 -HttpPort 56905 -NoWait
    $Plain, $StartTls, $Implicit | Wait-Smtp4dev
    $script:Work = New-AlertTempDirectory 'mail'

    function New-Failure {
        param([string]$Message = 'pg_dump: error: could not write to file: No space left on device',
              [string]$Id = 'DumpFailed', [object]$Target = '/backups/cenate/maestro_cenate_20261130_020000.dump')
        [Management.Automation.ErrorRecord]::new([IO.IOException]::new($Message), $Id, 'WriteError', $Target)
    }
    function New-MailParams {
        # A fresh state directory and job per call: no test sees another's state or spool.
        param([Parameter(Mandatory)]$Server, [string]$Security, [string]$Password = $Server.Password)
        $job = 'mail-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $p = @{
            SmtpServer = '127.0.0.1'; Port = $Server.Port; From = 'cenate@hospital.test'
            To = 'admin@hospital.test', 'dba@hospital.test'; Cc = 'jefe@hospital.test'
            Credential = [pscredential]::new($Server.User, (ConvertTo-SecureString $Password -AsPlainText -Force))
            StateDirectory = (Join-Path $Work $job); Job = $job; Culture = 'en-US'; Timeout = '20s'
        }
        if ($Security) { $p.Security = $Security }
        $p
    }
    function Get-Spool([hashtable]$P) { Join-Path $P.StateDirectory "$($P.Job).spool.json" }
}

AfterAll {
    $Plain, $StartTls, $Implicit | Stop-Smtp4dev
    if ($Work) { Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'Mail over <Name>, authenticated' -ForEach @(
    @{ Name = 'plain text (-Security None)'; Key = 'Plain'; Security = 'None'; Pin = $null }
    @{ Name = 'STARTTLS pinned by SHA-256'; Key = 'StartTls'; Security = 'StartTls'; Pin = 'Sha256' }
    @{ Name = 'STARTTLS pinned by SHA-1'; Key = 'StartTls'; Security = $null; Pin = 'Sha1' }
    @{ Name = 'implicit TLS pinned by SHA-256'; Key = 'Implicit'; Security = 'SslOnConnect'; Pin = 'Sha256' }
    @{ Name = 'implicit TLS pinned by SHA-1'; Key = 'Implicit'; Security = 'SslOnConnect'; Pin = 'Sha1' }
) {
    BeforeAll {
        $script:Srv = Get-Variable -Name $Key -ValueOnly
        Clear-Smtp4dev -Server $Srv
        $script:P = New-MailParams -Server $Srv -Security $Security
        if ($Pin) { $P.CertificateThumbprint = $Srv.$Pin }
        # Two failures and a success in one pipeline: ONE message for the run.
        $script:Results = @((New-Failure), (New-Failure -Id 'VerifyFailed' -Message 'checksum mismatch'), $true) |
            Send-CenateAlert @P -ErrorVariable ev -ErrorAction SilentlyContinue
        $script:Errors = @($ev)
        $script:Messages = @(Get-Smtp4devMessages -Server $Srv -Detail -Expect 1)
    }

    It 'delivers exactly one message with the subject, recipients, text and HTML parts' {
        $Errors.FullyQualifiedErrorId | Should -Not -Contain (& $Fq 'AlertDeliveryFailed')
        $Messages.Count | Should -Be 1
        $m = $Messages[0]
        $m.Subject | Should -BeLike '`[CenateBackup`] FAILED *'
        $m.Subject | Should -BeLike "*$($P.Job)*"
        $m.Subject | Should -BeLike "*$([Environment]::MachineName)*"
        $m.To | Should -Contain 'admin@hospital.test'
        $m.To | Should -Contain 'dba@hospital.test'
        $m.Raw | Should -Match '(?m)^Cc:.*jefe@hospital\.test'
        $m.HasText | Should -BeTrue
        $m.HasHtml | Should -BeTrue
        foreach ($part in $m.Text, $m.Html) {
            $part | Should -Match 'DumpFailed'
            $part | Should -Match 'VerifyFailed'
            $part | Should -Match 'No space left on device'
        }
        (Get-Smtp4devHeader $m 'X-Cenate-Job') | Should -Be $P.Job
        (Get-Smtp4devHeader $m 'X-Cenate-State') | Should -Match 'Fail'
        $m.Raw | Should -Match '(?m)^Message-Id: <.+@.+>'
        $m.Raw | Should -Match '(?m)^Date: '
    }

    It 'really authenticates (and uses TLS when asked), and reports the server''s reply' {
        $log = (Get-Smtp4devSessionLogs -Server $Srv | Select-Object -Last 1).Log
        $log | Should -Match '235 '
        $mail = @($Results | Where-Object Channel -eq 'Mail')
        $mail.Count | Should -Be 1
        "$($mail[0].Status)" | Should -Be 'Sent'
        "$($mail[0].State)" | Should -Be 'Failure'
        $mail[0].Reply | Should -Match 'Mail accepted'
        $mail[0].Target | Should -Be "smtp://127.0.0.1:$($Srv.Port)"
        if ($Key -eq 'Plain') {
            $Messages[0].Secure | Should -BeFalse
            $mail[0].Secure | Should -BeFalse
        } else {
            $Messages[0].Secure | Should -BeTrue
            $mail[0].Secure | Should -BeTrue
            $mail[0].Protocol | Should -Match 'Tls1[23]'
        }
        if ($Key -eq 'StartTls') { $log | Should -Match '220 Ready to start TLS' }
    }

    It 'still writes BackupRunFailed last, so the run''s failure is the script''s result' {
        $Errors[-1].FullyQualifiedErrorId | Should -Be (& $Fq 'BackupRunFailed')
        $Errors[-1].Exception.Message | Should -Match 'No space left on device'
        Test-Path -LiteralPath (Get-Spool $P) | Should -BeFalse
    }
}

Describe 'Certificate pins in every spelling an admin copies' -ForEach @(
    @{ Name = 'SHA-256 with colons, lower case'; Hash = 'Sha256'; Shape = 'colons-lower' }
    @{ Name = 'SHA-1 with colons, lower case'; Hash = 'Sha1'; Shape = 'colons-lower' }
    @{ Name = 'SHA-256 with spaces'; Hash = 'Sha256'; Shape = 'spaces' }
) {
    It 'accepts <Name> on the implicit-TLS relay' {
        $hex = $Implicit.$Hash
        $pairs = [regex]::Matches($hex, '..') | ForEach-Object Value
        $pin = if ($Shape -eq 'colons-lower') { ($pairs -join ':').ToLowerInvariant() } else { $pairs -join ' ' }
        Clear-Smtp4dev -Server $Implicit
        $p = New-MailParams -Server $Implicit -Security SslOnConnect
        $p.CertificateThumbprint = $pin
        $r = New-Failure | Send-CenateAlert @p -ErrorVariable ev -ErrorAction SilentlyContinue
        @($ev).FullyQualifiedErrorId | Should -Not -Contain (& $Fq 'AlertDeliveryFailed')
        "$(($r | Where-Object Channel -eq 'Mail').Status)" | Should -Be 'Sent'
        @(Get-Smtp4devMessages -Server $Implicit -Expect 1).Count | Should -Be 1
    }
}

Describe 'Refused certificates and credentials' {
    It 'refuses the self-signed relay without a pin (never trust-all): SecurityError, spooled, nothing delivered' {
        Clear-Smtp4dev -Server $StartTls
        $p = New-MailParams -Server $StartTls -Security StartTls
        $r = New-Failure | Send-CenateAlert @p -SkipRevocationCheck -ErrorVariable ev -ErrorAction SilentlyContinue
        $e = @($ev | Where-Object FullyQualifiedErrorId -eq (& $Fq 'AlertDeliveryFailed'))
        $e.Count | Should -Be 1
        "$($e[0].CategoryInfo.Category)" | Should -Be 'SecurityError'
        # What the admin needs to fix it: the parameter and the hash of what the relay presented.
        $e[0].Exception.Message | Should -Match $StartTls.Sha256
        $e[0].Exception.Message | Should -Match 'CertificateThumbprint'
        $e[0].Exception.Message | Should -Match 'spool'
        $mail = $r | Where-Object Channel -eq 'Mail'
        "$($mail.Status)" | Should -Be 'Failed'
        $mail.Spooled | Should -BeTrue
        @(Get-Smtp4devMessages -Server $StartTls -Expect 0).Count | Should -Be 0
        Get-UnixMode (Get-Spool $p) | Should -Be '0600'
        # The original failure is still written, after the delivery error.
        $ev[-1].FullyQualifiedErrorId | Should -Be (& $Fq 'BackupRunFailed')
    }

    It 'refuses a wrong pin (<Hash>) and delivers nothing' -ForEach @(@{ Hash = 'Sha1' }, @{ Hash = 'Sha256' }) {
        Clear-Smtp4dev -Server $Implicit
        # Another valid certificate's hash: the STARTTLS relay's (same subject, other key).
        $p = New-MailParams -Server $Implicit -Security SslOnConnect
        $p.CertificateThumbprint = $StartTls.$Hash
        $r = New-Failure | Send-CenateAlert @p -ErrorVariable ev -ErrorAction SilentlyContinue
        $e = @($ev | Where-Object FullyQualifiedErrorId -eq (& $Fq 'AlertDeliveryFailed'))
        $e.Count | Should -Be 1
        "$($e[0].CategoryInfo.Category)" | Should -Be 'SecurityError'
        "$(($r | Where-Object Channel -eq 'Mail').Status)" | Should -Be 'Failed'
        @(Get-Smtp4devMessages -Server $Implicit -Expect 0).Count | Should -Be 0
    }

    It 'refuses a thumbprint of the wrong length at the parameter boundary, before any connection' {
        Clear-Smtp4dev -Server $Implicit
        $p = New-MailParams -Server $Implicit -Security SslOnConnect
        $err = { New-Failure | Send-CenateAlert @p -CertificateThumbprint ($Implicit.Sha1.Substring(0, 38)) } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ParameterArgument*Error,*'
        { Send-CenateAlert @p -CertificateThumbprint ('Z' * 40) } | Should -Throw
        @(Get-Smtp4devSessionLogs -Server $Implicit).Count | Should -Be 0
        Test-Path -LiteralPath $p.StateDirectory | Should -BeFalse
    }

    It 'reports a wrong password as AlertDeliveryFailed (AuthenticationError, 535), without the password' {
        Clear-Smtp4dev -Server $StartTls
        $wrong = 'Wr0ng-' + [guid]::NewGuid().ToString('N').Substring(0, 10)
        $p = New-MailParams -Server $StartTls -Security StartTls -Password $wrong
        $p.CertificateThumbprint = $StartTls.Sha256
        $r = New-Failure | Send-CenateAlert @p -ErrorVariable ev -ErrorAction SilentlyContinue
        $e = @($ev | Where-Object FullyQualifiedErrorId -eq (& $Fq 'AlertDeliveryFailed'))
        $e.Count | Should -Be 1
        "$($e[0].CategoryInfo.Category)" | Should -Be 'AuthenticationError'
        $e[0].Exception.Message | Should -Match '535|[Aa]uthentication'
        "$(($r | Where-Object Channel -eq 'Mail').Status)" | Should -Be 'Failed'
        @(Get-Smtp4devMessages -Server $StartTls -Expect 0).Count | Should -Be 0
        $forms = Get-PasswordForms -User $StartTls.User -Password $wrong
        Find-Secret -Secret $forms -Text @{ out = Get-AlertText (@($ev) + @($r)) } -Path $p.StateDirectory |
            Should -BeNullOrEmpty
    }
}

Describe 'No silent downgrade to plain text' {
    It 'by default (StartTls on a port other than 465), a relay without STARTTLS fails rather than send in clear' {
        Clear-Smtp4dev -Server $Plain
        $p = New-MailParams -Server $Plain
        $r = New-Failure | Send-CenateAlert @p -ErrorVariable ev -ErrorAction SilentlyContinue
        @($ev).FullyQualifiedErrorId | Should -Contain (& $Fq 'AlertDeliveryFailed')
        "$(($r | Where-Object Channel -eq 'Mail').Status)" | Should -Be 'Failed'
        @(Get-Smtp4devMessages -Server $Plain -Expect 0).Count | Should -Be 0
        (Get-Smtp4devSessionLogs -Server $Plain).Log -join "`n" | Should -Not -Match '(?m)^AUTH '
    }

    It '-Security Auto that ends in plain text does not send the password (no AUTH on the wire)' {
        Clear-Smtp4dev -Server $Plain
        $p = New-MailParams -Server $Plain -Security Auto
        $r = New-Failure | Send-CenateAlert @p -ErrorVariable ev -ErrorAction SilentlyContinue
        @($ev).FullyQualifiedErrorId | Should -Contain (& $Fq 'AlertDeliveryFailed')
        (@($ev | Where-Object FullyQualifiedErrorId -eq (& $Fq 'AlertDeliveryFailed'))[0].Exception.Message) |
            Should -Match 'TLS'
        (Get-Smtp4devSessionLogs -Server $Plain).Log -join "`n" | Should -Not -Match '(?m)^AUTH '
        @(Get-Smtp4devMessages -Server $Plain -Expect 0).Count | Should -Be 0
    }

    It 'gives up on a relay that never answers within -Timeout (STARTTLS client against the implicit-TLS port)' {
        $p = New-MailParams -Server $Implicit -Security StartTls
        $p.Timeout = '3s'
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $r = New-Failure | Send-CenateAlert @p -ErrorVariable ev -ErrorAction SilentlyContinue
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 15
        @($ev).FullyQualifiedErrorId | Should -Contain (& $Fq 'AlertDeliveryFailed')
        "$(($r | Where-Object Channel -eq 'Mail').Status)" | Should -Be 'Failed'
    }
}

Describe 'Ctrl+C' {
    It 'stops a send that hangs (a relay that never greets) at once, long before -Timeout' {
        $p = New-MailParams -Server $Implicit -Security StartTls
        $p.Timeout = '60s'
        Clear-Smtp4dev -Server $Implicit
        # One script in a runspace of its own (a multi-statement batch can crash the host when stopped and disposed).
        $rs = [runspacefactory]::CreateRunspace(); $rs.Open()
        $ps = [powershell]::Create(); $ps.Runspace = $rs
        $null = $ps.AddScript(@"
param(`$P)
Import-Module '$(Get-ModuleManifestPath)'
`$e = [Management.Automation.ErrorRecord]::new([Exception]::new('dump failed'), 'DumpFailed', 'WriteError', `$null)
`$e | Send-CenateAlert @P -ErrorAction SilentlyContinue
"@).AddParameter('P', $p)
        $handle = $ps.BeginInvoke()
        try {
            # Stopped only once the cmdlet is really connected and waiting (smtp4dev lists the open session).
            $until = [DateTime]::UtcNow.AddSeconds(30)
            while ([DateTime]::UtcNow -lt $until -and
                   (Invoke-RestMethod -Uri "$($Implicit.ApiUri)/api/sessions" -TimeoutSec 10).rowCount -lt 1) {
                Start-Sleep -Milliseconds 200
            }
            Start-Sleep -Milliseconds 500
            $handle.IsCompleted | Should -BeFalse
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 10
        } finally {
            if (-not $handle.IsCompleted) { $ps.Stop() }
            [void]$handle.AsyncWaitHandle.WaitOne(20000)
            $ps.Dispose(); $rs.Dispose()
        }
    }
}

Describe 'Message contents' {
    It 'HTML-encodes every value (a path with a script tag and an ampersand) and keeps the text part literal' {
        Clear-Smtp4dev -Server $Plain
        $p = New-MailParams -Server $Plain -Security None
        $target = '/backups/<script>alert(1)</script>/R&D/x.dump'
        $null = New-Failure -Target $target -Message 'bad <b>bold</b> & "quoted"' |
            Send-CenateAlert @p -ErrorAction SilentlyContinue
        $m = @(Get-Smtp4devMessages -Server $Plain -Detail -Expect 1)
        $m.Count | Should -Be 1
        $m[0].Html | Should -Match ([regex]::Escape('&lt;script&gt;alert(1)&lt;/script&gt;'))
        $m[0].Html | Should -Match ([regex]::Escape('R&amp;D'))
        $m[0].Html | Should -Match ([regex]::Escape('&lt;b&gt;bold&lt;/b&gt;'))
        $m[0].Html | Should -Not -Match '<script'
        $m[0].Html | Should -Not -Match '<b>bold'
        $m[0].Text | Should -Match ([regex]::Escape('bad <b>bold</b> & "quoted"'))
    }

    It 'names the last good backup, the database and what to do next' {
        Clear-Smtp4dev -Server $Plain
        $sets = Join-Path $Work 'good-sets'
        $set = New-FakeSet -Dir $sets -DaysAgo 0.1
        $p = New-MailParams -Server $Plain -Security None
        $good = Test-CenateBackup -Path $set.Manifest -Level Checksum
        $good.Passed | Should -BeTrue
        $offsite = New-Failure -Id 'OffsiteCopyFailed' -Message 'the USB disk is not mounted'
        $offsite.ErrorDetails = [Management.Automation.ErrorDetails]::new('the USB disk is not mounted')
        $offsite.ErrorDetails.RecommendedAction = 'Plug in the disk labelled CENATE-2 and run the sync again'
        $null = @($good, $offsite) | Send-CenateAlert @p -ErrorAction SilentlyContinue
        $m = @(Get-Smtp4devMessages -Server $Plain -Detail -Expect 1)
        $m.Count | Should -Be 1
        foreach ($part in $m[0].Text, $m[0].Html) {
            $part | Should -Match $set.Stamp
            $part | Should -Match 'maestro_cenate'
            $part | Should -Match 'the USB disk is not mounted'
            $part | Should -Match 'Plug in the disk labelled CENATE-2'
        }
    }

    It 'keeps a hostile error text out of the headers (no injected Bcc) and the subject short' {
        Clear-Smtp4dev -Server $Plain
        $p = New-MailParams -Server $Plain -Security None
        $msg = "disk full`r`nBcc: evil@attacker.test`r`nX-Injected: yes`r`n`r`n" + ('y' * 900)
        $null = New-Failure -Message $msg -Target "/x`r`nBcc: evil2@attacker.test" |
            Send-CenateAlert @p -ErrorAction SilentlyContinue
        $m = @(Get-Smtp4devMessages -Server $Plain -Detail -Expect 1)
        $m.Count | Should -Be 1
        $m[0].To | Should -Not -Match 'attacker'
        $headerBlock = ($m[0].Raw -split "`r?`n`r?`n", 2)[0]
        $headerBlock | Should -Not -Match '(?m)^(Bcc|X-Injected):'
        (Get-Smtp4devSessionLogs -Server $Plain).Log -join "`n" | Should -Not -Match 'RCPT TO:<evil'
        $m[0].Subject.Length | Should -BeLessThan 300
    }

    It 'writes the Spanish texts with -Culture es-ES' {
        Clear-Smtp4dev -Server $Plain
        $p = New-MailParams -Server $Plain -Security None
        $p.Culture = 'es-ES'
        $null = New-Failure | Send-CenateAlert @p -ErrorAction SilentlyContinue
        $m = @(Get-Smtp4devMessages -Server $Plain -Detail -Expect 1)
        $m.Count | Should -Be 1
        $m[0].Subject | Should -BeLike '`[CenateBackup`] FALLÓ *'
        $m[0].Text | Should -Not -Match 'What failed'
    }

    It 'writes Spanish by default when the admin''s language is Spanish (<How>, a fresh pwsh)' -ForEach @(
        @{ How = 'LANG=es_ES.UTF-8'; Lang = 'es_ES.UTF-8'; Set = '' }
        @{ How = 'CurrentUICulture es-ES'; Lang = 'en_US.UTF-8'; Set = "[cultureinfo]::CurrentUICulture = 'es-ES'" }
    ) {
        Clear-Smtp4dev -Server $Plain
        $tag = [guid]::NewGuid().ToString('N').Substring(0, 6)
        $state = Join-Path $Work "es-child-$tag"
        $script = Join-Path $Work "es-child-$tag.ps1"
        Set-Content -LiteralPath $script -Value @"
`$ErrorActionPreference = 'Stop'
$Set
Import-Module '$(Get-ModuleManifestPath)'
"UICULTURE=`$PSUICulture"
`$cred = [pscredential]::new('$($Plain.User)', (ConvertTo-SecureString `$env:ALERT_TEST_PW -AsPlainText -Force))
`$true | Send-CenateAlert -When Always -SmtpServer 127.0.0.1 -Port $($Plain.Port) -Security None -From c@h.test ``
    -To admin@h.test -Credential `$cred -StateDirectory '$state' -Job es-child | Out-Null
"@
        $vars = @{ ALERT_TEST_PW = $Plain.Password; LANG = $Lang; LC_ALL = $Lang }
        $run = Invoke-ChildPwsh -ScriptPath $script -Environment $vars
        $run.StdErr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $run.StdOut | Should -Match 'UICULTURE=es-ES'
        $m = @(Get-Smtp4devMessages -Server $Plain -Expect 1)
        $m.Count | Should -Be 1
        $m[0].Subject | Should -BeLike '`[CenateBackup`] CORRECTO *'
    }

    It 'sends one message per run: six runs are six messages (read back across smtp4dev''s pages of five)' {
        Clear-Smtp4dev -Server $Plain
        $p = New-MailParams -Server $Plain -Security None
        foreach ($i in 1..6) {
            $null = @((New-Failure -Id "Step$i"), (New-Failure -Id "Other$i")) |
                Send-CenateAlert @p -ErrorAction SilentlyContinue
        }
        $m = @(Get-Smtp4devMessages -Server $Plain -Detail -Expect 6)
        $m.Count | Should -Be 6
        foreach ($i in 1..6) { @($m | Where-Object { $_.Text -match "Step$i\b" }).Count | Should -Be 1 }
    }

    It '-Test sends a TEST message and leaves no state behind' {
        Clear-Smtp4dev -Server $Plain
        $p = New-MailParams -Server $Plain -Security None
        $r = Send-CenateAlert -Test @p -ErrorVariable ev -ErrorAction SilentlyContinue
        @($ev).Count | Should -Be 0
        "$(($r | Where-Object Channel -eq 'Mail').Status)" | Should -Be 'Sent'
        $m = @(Get-Smtp4devMessages -Server $Plain -Expect 1)
        $m.Count | Should -Be 1
        $m[0].Subject | Should -BeLike '`[CenateBackup`] TEST *'
        Test-Path -LiteralPath (Join-Path $p.StateDirectory "$($p.Job).state.json") | Should -BeFalse
    }
}
