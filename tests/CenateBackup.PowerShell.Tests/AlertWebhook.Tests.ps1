#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Send-CenateAlert's webhooks and heartbeat against a real HTTP server on 127.0.0.1 (HttpListener started here; port
# 56910 is this file's) that records every request. Each format's body is parsed and checked; the heartbeat's success,
# /fail and /log URLs are hit in order; a hook answering 500/404 is AlertDeliveryFailed with the status; and the
# secret parts of a webhook URI (path, query, token) appear in no error, verbose line, warning, result or file.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'AlertHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Fq = { param($id) "$id,CenateBackup.PowerShell.Commands.SendCenateAlertCommand" }
    $script:Rec = Start-HttpRecorder -Port 56910
    $script:Work = New-AlertTempDirectory 'webhook'

    function New-Failure {
        param([string]$Message = 'pg_dump: error: could not write to file: No space left on device',
              [string]$Id = 'DumpFailed', [object]$Target = '/backups/cenate/maestro_cenate_20261130_020000.dump')
        [Management.Automation.ErrorRecord]::new([IO.IOException]::new($Message), $Id, 'WriteError', $Target)
    }
    function New-HookParams {
        $job = 'hook-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        @{ StateDirectory = (Join-Path $Work $job); Job = $job; Culture = 'en-US'; Timeout = '10s' }
    }
    function Get-Bodies([string]$PathLike) {
        @(Get-HttpRecorderRequests -Recorder $Rec -PathLike $PathLike | ForEach-Object { $_.Body | ConvertFrom-Json })
    }
}

AfterAll {
    Stop-HttpRecorder $Rec
    if ($Work) { Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'Webhook formats' {
    BeforeEach { Clear-HttpRecorder $Rec }

    It 'Json: the module''s own document, schemaVersion 1, posted as UTF-8 JSON with a User-Agent' {
        $p = New-HookParams
        $r = @((New-Failure), $true) | Send-CenateAlert @p -WebhookUri "$($Rec.Uri)/json/hook1" -WebhookFormat Json `
            -ErrorAction SilentlyContinue
        $req = @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/json/*')
        $req.Count | Should -Be 1
        $req[0].Method | Should -Be 'POST'
        $req[0].ContentType | Should -Match '^application/json'
        $req[0].ContentType | Should -Match 'charset=utf-8'
        $req[0].Headers['User-Agent'] | Should -Match '^CenateBackup/'
        $j = $req[0].Body | ConvertFrom-Json
        $j.schemaVersion | Should -Be 1
        $j.source | Should -Be 'CenateBackup'
        $j.job | Should -Be $p.Job
        $j.host | Should -Be ([Environment]::MachineName)
        "$($j.state)" | Should -Be 'Failure'
        $j.test | Should -BeFalse
        $j.delayed | Should -BeFalse
        [guid]::Parse("$($j.runId)") | Should -Not -Be ([guid]::Empty)
        $j.subject | Should -BeLike '`[CenateBackup`] FAILED *'
        @($j.problems).Count | Should -BeGreaterThan 0
        $failed = @($j.items | Where-Object { $_.errorId -eq 'DumpFailed' })
        $failed.Count | Should -Be 1
        "$($failed[0].status)" | Should -Be 'Failed'
        $failed[0].message | Should -Match 'No space left on device'
        "$(($r | Where-Object Channel -eq 'Webhook').Status)" | Should -Be 'Sent'
    }

    It 'Slack: {"text": ...} with the ampersand and angle brackets escaped' {
        $p = New-HookParams
        $null = New-Failure -Target '/backups/<script>x</script>/R&D' -Message 'a <b> & c' |
            Send-CenateAlert @p -WebhookUri "$($Rec.Uri)/slack/T0/B0/tok" -WebhookFormat Slack `
                -ErrorAction SilentlyContinue
        $j = Get-Bodies '/slack/*'
        $j.Count | Should -Be 1
        $j[0].text | Should -BeLike '`[CenateBackup`] FAILED *'
        $j[0].text | Should -Match 'DumpFailed|No space|a &lt;b&gt; &amp; c'
        $j[0].text | Should -Not -Match '<script|<b>'
        $j[0].text | Should -Match '&amp;'
    }

    It 'Teams (Workflows): a message with one Adaptive Card 1.4 attachment' {
        $p = New-HookParams
        $uri = "$($Rec.Uri)/teams/run?sp=%2Ftriggers%2Fmanual%2Frun&sig=S1G"
        $null = New-Failure | Send-CenateAlert @p -WebhookUri $uri `
            -WebhookFormat Teams -ErrorAction SilentlyContinue
        $req = @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/teams/*')
        $req.Count | Should -Be 1
        # The encoded query of a Workflows URL reaches the server unchanged.
        $req[0].RawUrl | Should -BeLike '*sp=%2Ftriggers%2Fmanual%2Frun*'
        $j = $req[0].Body | ConvertFrom-Json
        $j.type | Should -Be 'message'
        @($j.attachments).Count | Should -Be 1
        $a = $j.attachments[0]
        $a.contentType | Should -Be 'application/vnd.microsoft.card.adaptive'
        $a.content.type | Should -Be 'AdaptiveCard'
        $a.content.version | Should -Be '1.4'
        $a.content.'$schema' | Should -Be 'http://adaptivecards.io/schemas/adaptive-card.json'
        $a.content.body[0].type | Should -Be 'TextBlock'
        $a.content.body[0].text | Should -BeLike '`[CenateBackup`] FAILED *'
        @($a.content.body | Where-Object type -eq 'FactSet').Count | Should -Be 1
    }

    It 'Telegram: chat_id from -TelegramChatId, parse_mode HTML, escaped text within 4096 characters' {
        $p = New-HookParams
        $long = 'x' * 1500
        $inputs = foreach ($i in 1..12) { New-Failure -Id "Step$i" -Message "<fail> & $long" }
        $uri = "$($Rec.Uri)/bot123456:AAsecret/sendMessage"
        $null = $inputs | Send-CenateAlert @p -WebhookUri $uri -WebhookFormat Telegram `
            -TelegramChatId '@cenate_alerts' -ErrorAction SilentlyContinue
        $j = Get-Bodies '/bot*'
        $j.Count | Should -Be 1
        "$($j[0].chat_id)" | Should -Be '@cenate_alerts'
        $j[0].parse_mode | Should -Be 'HTML'
        $j[0].text.Length | Should -BeLessOrEqual 4096
        $j[0].text | Should -Not -Match '<fail>'
        $j[0].text | Should -Match '&lt;fail&gt;'
    }

    It 'Telegram: chat_id taken from the URI''s query into the body' {
        $p = New-HookParams
        $null = New-Failure | Send-CenateAlert @p -WebhookUri "$($Rec.Uri)/bot99:tok/sendMessage?chat_id=-100123" `
            -WebhookFormat Telegram -ErrorAction SilentlyContinue
        $j = Get-Bodies '/bot99*'
        $j.Count | Should -Be 1
        "$($j[0].chat_id)" | Should -Be '-100123'
    }

    It 'does not call the webhook for a successful run under -When Failure (Skipped), and does with -When Always' {
        $p = New-HookParams
        $r = $true | Send-CenateAlert @p -WebhookUri "$($Rec.Uri)/when/hook" -ErrorAction SilentlyContinue
        "$(($r | Where-Object Channel -eq 'Webhook').Status)" | Should -Be 'Skipped'
        @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/when/*').Count | Should -Be 0
        $r = $true | Send-CenateAlert @p -WebhookUri "$($Rec.Uri)/when/hook" -When Always -ErrorAction SilentlyContinue
        "$(($r | Where-Object Channel -eq 'Webhook').Status)" | Should -Be 'Sent'
        $j = Get-Bodies '/when/*'
        $j.Count | Should -Be 1
        "$($j[0].state)" | Should -Be 'Success'
    }

    It 'refuses a job name that could leave the state directory (<Job>), and a bare-number -Timeout' -ForEach @(
        @{ Job = '../escape' }, @{ Job = '/etc/cron.d/x' }, @{ Job = 'a b' }, @{ Job = '.hidden' }
    ) {
        $p = New-HookParams
        $p.Job = $Job
        $err = { $true | Send-CenateAlert @p -When Always -WebhookUri "$($Rec.Uri)/job/hook" -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ParameterArgument*'
        $p.Job = 'fine'
        $p.Timeout = 30
        { $true | Send-CenateAlert @p -When Always -WebhookUri "$($Rec.Uri)/job/hook" -ErrorAction Stop } |
            Should -Throw
        @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/job/*').Count | Should -Be 0
        Test-Path -LiteralPath (Join-Path $Work 'escape.state.json') | Should -BeFalse
    }

    It 'refuses a URI that is not http(s) (<Uri>) before anything is sent' -ForEach @(
        @{ Uri = 'file:///etc/passwd' }, @{ Uri = 'ftp://127.0.0.1:56910/x' }, @{ Uri = 'hook/relative' }
    ) {
        $p = New-HookParams
        # A success under -When Always: the only possible error is the refusal itself.
        foreach ($name in 'WebhookUri', 'HeartbeatUri') {
            $a = @{ $name = $Uri }
            $err = { $true | Send-CenateAlert @p @a -When Always -ErrorAction Stop } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -Not -BeLike 'AlertDeliveryFailed*'
            $err.FullyQualifiedErrorId | Should -Not -BeLike 'BackupRunFailed*'
        }
        @(Get-HttpRecorderRequests -Recorder $Rec).Count | Should -Be 0
        Test-Path -LiteralPath (Join-Path $p.StateDirectory "$($p.Job).state.json") | Should -BeFalse
    }
}

Describe 'A webhook that answers <Code>' -ForEach @(@{ Code = 500 }, @{ Code = 404 }) {
    BeforeAll {
        Clear-HttpRecorder $Rec
        $script:Secret = 'T0SECRET/B0SECRET/' + [guid]::NewGuid().ToString('N')
        $script:Sig = 'SiG' + [guid]::NewGuid().ToString('N').Substring(0, 16)
        $path = "/err$Code/services/$Secret"
        $Rec.Status[$path] = $Code
        $script:P = New-HookParams
        $script:StatusPath = Join-Path $Work "$($P.Job)-status.json"
        $script:Out = @(New-Failure | Send-CenateAlert @P -WebhookUri "$($Rec.Uri)$path`?sig=$Sig&token=tok$Sig" `
            -StatusPath $StatusPath -Verbose -ErrorVariable ev -ErrorAction Continue *>&1)
        $script:Errors = @($ev)
    }

    It 'is AlertDeliveryFailed with the HTTP status in the message, and the alert is spooled' {
        @(Get-HttpRecorderRequests -Recorder $Rec -PathLike "/err$Code/*").Count | Should -Be 1
        $e = @($Errors | Where-Object FullyQualifiedErrorId -eq (& $Fq 'AlertDeliveryFailed'))
        $e.Count | Should -Be 1
        $e[0].Exception.Message | Should -Match "\b$Code\b"
        $e[0].Exception.Message | Should -Match "127\.0\.0\.1:56910"
        $w = @($Out | Where-Object { $_.PSObject.TypeNames -match 'CenateAlertResult' } |
            Where-Object Channel -eq 'Webhook')
        $w.Count | Should -Be 1
        "$($w[0].Status)" | Should -Be 'Failed'
        $w[0].Spooled | Should -BeTrue
        Get-UnixMode (Join-Path $P.StateDirectory "$($P.Job).spool.json") | Should -Be '0600'
        $Errors[-1].FullyQualifiedErrorId | Should -Be (& $Fq 'BackupRunFailed')
    }

    It 'never shows the URI''s path, query or token in an error, verbose line, warning, result or file' {
        $texts = @{
            all     = ($Out | Out-String -Width 500)
            records = ($Out | ForEach-Object {
                if ($_ -is [Management.Automation.ErrorRecord]) {
                    $_.Exception.ToString(); "$($_.TargetObject)"; $_.ErrorDetails; $_.CategoryInfo.TargetName
                } elseif ($_ -is [Management.Automation.InformationalRecord]) { $_.Message }
                else { $_ | ConvertTo-Json -Depth 5 -WarningAction SilentlyContinue }
            }) -join "`n"
        }
        @($Out | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Count | Should -BeGreaterThan 0
        $secrets = @($Secret, 'T0SECRET', $Sig, "tok$Sig", "/err$Code/services")
        Find-Secret -Secret $secrets -Text $texts -Path $P.StateDirectory, $StatusPath | Should -BeNullOrEmpty
        Test-Path -LiteralPath $StatusPath | Should -BeTrue
    }
}

Describe 'Hostile or broken webhook servers' {
    BeforeEach { Clear-HttpRecorder $Rec }

    It 'does not follow a redirect (the alert would go where the server says): 302 is AlertDeliveryFailed' {
        $p = New-HookParams
        $Rec.Status['/redir/hook'] = 302
        $Rec.Location['/redir/hook'] = "$($Rec.Uri)/elsewhere/collect"
        $r = New-Failure | Send-CenateAlert @p -WebhookUri "$($Rec.Uri)/redir/hook" -ErrorVariable ev `
            -ErrorAction SilentlyContinue
        @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/elsewhere/*').Count | Should -Be 0
        @($ev).FullyQualifiedErrorId | Should -Contain (& $Fq 'AlertDeliveryFailed')
        "$(($r | Where-Object Channel -eq 'Webhook').Status)" | Should -Be 'Failed'
    }

    It 'gives up on a webhook that does not answer within -Timeout' {
        $p = New-HookParams
        $p.Timeout = '2s'
        $Rec.DelayMs['/slow/hook'] = 4000
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $r = New-Failure | Send-CenateAlert @p -WebhookUri "$($Rec.Uri)/slow/hook" -ErrorVariable ev `
            -ErrorAction SilentlyContinue
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 3.9
        $e = @($ev | Where-Object FullyQualifiedErrorId -eq (& $Fq 'AlertDeliveryFailed'))
        $e.Count | Should -Be 1
        $e[0].Exception.Message | Should -Not -Match '/slow/hook'
        "$(($r | Where-Object Channel -eq 'Webhook').Status)" | Should -Be 'Failed'
        Start-Sleep -Seconds 2   # let the recorder finish the late answer before the next test
    }

    It 'refuses a webhook URI with user-info (http://user:password@host/…) without showing it, sending nothing' {
        # HttpClient would silently drop the user-info (no Basic auth): refused as SettingsInvalid instead.
        $p = New-HookParams
        $Rec.Status['/ui/hook'] = 500
        $uri = 'http://hookuser:Us3rInf0Secret@127.0.0.1:56910/ui/hook'
        $out = @()
        $refused = $null
        try { $out = @(New-Failure | Send-CenateAlert @p -WebhookUri $uri -Verbose 4>&1 3>&1) } catch { $refused = $_ }
        $refused.FullyQualifiedErrorId | Should -Be (& $Fq 'SettingsInvalid')
        $out += $refused
        @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/ui/*').Count | Should -Be 0
        Find-Secret -Secret 'Us3rInf0Secret', 'hookuser', '/ui/hook' -Text @{ out = Get-AlertText $out } `
            -Path $p.StateDirectory | Should -BeNullOrEmpty
    }

    It '-Test reports each channel: a failing webhook is AlertDeliveryFailed, the heartbeat is still pinged' {
        $p = New-HookParams
        $Rec.Status['/test/hook'] = 500
        $r = Send-CenateAlert -Test @p -WebhookUri "$($Rec.Uri)/test/hook" -HeartbeatUri "$($Rec.Uri)/test/ping" `
            -ErrorVariable ev -ErrorAction SilentlyContinue
        "$(($r | Where-Object Channel -eq 'Webhook').Status)" | Should -Be 'Failed'
        "$(($r | Where-Object Channel -eq 'Heartbeat').Status)" | Should -Be 'Pinged'
        @($ev | Where-Object FullyQualifiedErrorId -eq (& $Fq 'AlertDeliveryFailed')).Count | Should -Be 1
        $j = @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/test/hook' | ForEach-Object Body | ConvertFrom-Json)
        $j.Count | Should -Be 1
        $j[0].test | Should -BeTrue
        $j[0].subject | Should -BeLike '`[CenateBackup`] TEST *'
        (Get-HttpRecorderRequests -Recorder $Rec -PathLike '/test/ping*').Path | Should -Be '/test/ping/log'
        # -Test changes no state and spools nothing.
        Test-Path -LiteralPath (Join-Path $p.StateDirectory "$($p.Job).spool.json") | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $p.StateDirectory "$($p.Job).state.json") | Should -BeFalse
    }
}

Describe 'What an alert must never carry' {
    BeforeEach { Clear-HttpRecorder $Rec }

    It 'no row contents of audit entries, no secret from a failed step''s error text, in the body or any file' {
        $p = New-HookParams
        $status = Join-Path $Work "$($p.Job).status.json"
        $Rec.Status['/leak/down'] = 500
        $audit = [pscustomobject]@{
            PSTypeName = 'Deserialized.CenateBackup.PowerShell.Output.CenateAuditEntry'
            Id = 7; Table = 'public.asegurados'; Operation = 'DELETE'; Database = 'maestro_cenate'
            OldRow = '{"dni":"40404040","nombre":"Marisol Quispe Huaman"}'
            Statement = "DELETE FROM asegurados WHERE dni = '40404040'"
        }
        $leaky = New-Failure -Id 'ConnectFailed' -Target 'postgres://cenate:PgS3cretUser@db:5432/x' -Message (
            'could not connect to postgres://cenate:PgS3cretUser@db:5432/maestro?sslpassword=SslPw77 ' +
            'using password=Hunter2Pw; Password=Other9Pw')
        foreach ($uri in "$($Rec.Uri)/leak/ok", "$($Rec.Uri)/leak/down") {
            $null = @($audit, $leaky) | Send-CenateAlert @p -WebhookUri $uri -StatusPath $status `
                -ErrorAction SilentlyContinue
        }
        $bodies = (Get-HttpRecorderRequests -Recorder $Rec -PathLike '/leak/*').Body -join "`n"
        $bodies | Should -Match 'ConnectFailed'
        $secrets = '40404040', 'Marisol', 'PgS3cretUser', 'SslPw77', 'Hunter2Pw', 'Other9Pw'
        Find-Secret -Secret $secrets -Text @{ bodies = $bodies } -Path $p.StateDirectory, $status |
            Should -BeNullOrEmpty
    }

    It 'takes the webhook from -Settings or $PSDefaultParameterValues (secrets stay off the command line)' {
        $p = New-HookParams
        $settings = Join-Path $Work "$($p.Job).psd1"
        Set-Content -LiteralPath $settings `
            -Value "@{ WebhookUri = '$($Rec.Uri)/fromsettings/hook'; WebhookFormat = 'Slack' }"
        [IO.File]::SetUnixFileMode($settings, [IO.UnixFileMode]'UserRead, UserWrite')
        $null = New-Failure | Send-CenateAlert @p -Settings $settings -ErrorAction SilentlyContinue
        $j = @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/fromsettings/*' |
            ForEach-Object Body | ConvertFrom-Json)
        $j.Count | Should -Be 1
        $j[0].text | Should -BeLike '`[CenateBackup`] FAILED *'
        $PSDefaultParameterValues['Send-CenateAlert:WebhookUri'] = "$($Rec.Uri)/fromdefaults/hook"
        try { $null = New-Failure | Send-CenateAlert @p -ErrorAction SilentlyContinue }
        finally { $PSDefaultParameterValues.Remove('Send-CenateAlert:WebhookUri') }
        @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/fromdefaults/*').Count | Should -Be 1
    }
}

Describe 'Heartbeat (dead-man''s switch)' {
    BeforeEach { Clear-HttpRecorder $Rec }

    It 'pings the URI on success, URI/fail on failure and URI/log for -Test, in order, keeping the query' {
        $p = New-HookParams
        $hb = "$($Rec.Uri)/ping/0f1e2d3c?create=1"
        $r1 = $true | Send-CenateAlert @p -HeartbeatUri $hb -ErrorAction SilentlyContinue
        $r2 = New-Failure | Send-CenateAlert @p -HeartbeatUri $hb -ErrorAction SilentlyContinue
        $r3 = Send-CenateAlert -Test -HeartbeatUri $hb -StateDirectory $p.StateDirectory -Job $p.Job `
            -ErrorAction SilentlyContinue
        $req = @(Get-HttpRecorderRequests -Recorder $Rec -PathLike '/ping/*')
        $req.Path | Should -Be @('/ping/0f1e2d3c', '/ping/0f1e2d3c/fail', '/ping/0f1e2d3c/log')
        foreach ($q in $req) {
            $q.Method | Should -Be 'POST'
            $q.Query | Should -Match 'create=1'
            $q.Query | Should -Match 'rid='
            $q.ContentType | Should -Match '^text/plain'
        }
        $req[1].Body | Should -Match 'DumpFailed|No space left'
        foreach ($r in $r1, $r2, $r3) { "$(($r | Where-Object Channel -eq 'Heartbeat').Status)" | Should -Be 'Pinged' }
    }

    It 'builds URI/fail from a URI with a trailing slash' {
        $p = New-HookParams
        $null = New-Failure | Send-CenateAlert @p -HeartbeatUri "$($Rec.Uri)/ping/slash/" -ErrorAction SilentlyContinue
        (Get-HttpRecorderRequests -Recorder $Rec -PathLike '/ping/*').Path | Should -Be '/ping/slash/fail'
    }

    It 'writes AlertDeliveryFailed when the heartbeat service answers 500 (not spooled: a late ping is a lie)' {
        $p = New-HookParams
        $Rec.Status['/ping/down/fail'] = 500
        $r = New-Failure | Send-CenateAlert @p -HeartbeatUri "$($Rec.Uri)/ping/down" -ErrorVariable ev `
            -ErrorAction SilentlyContinue
        $e = @($ev | Where-Object FullyQualifiedErrorId -eq (& $Fq 'AlertDeliveryFailed'))
        $e.Count | Should -Be 1
        $e[0].Exception.Message | Should -Match '\b500\b'
        $e[0].Exception.Message | Should -Not -Match '/ping/down'
        "$(($r | Where-Object Channel -eq 'Heartbeat').Status)" | Should -Be 'Failed'
        $ev[-1].FullyQualifiedErrorId | Should -Be (& $Fq 'BackupRunFailed')
    }
}
