#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Send-CenateAlert without mail or chat servers: settings and trust errors, AlertChannelMissing, the status file
# (contents, mode), item conversion (also deserialized), -WhatIf, BackupRunFailed last (and the exit code of a child
# pwsh), languages, and the spool with a closed-port webhook then a tiny HttpListener. Ports 56970-56979.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Fq = { param($id) "$id,CenateBackup.PowerShell.Commands.SendCenateAlertCommand" }
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) `
        ('cenate-alert-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Root | Out-Null
    # A webhook URI whose path and query are secrets: none of it may appear anywhere.
    $script:ClosedHook = 'http://127.0.0.1:56971/hooks/SECRETPATH123?key=QUERYSECRET456'

    function New-Case([string]$Name) {
        $dir = Join-Path $Root ($Name + '-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
        New-Item -ItemType Directory -Path $dir | Out-Null
        $dir
    }

    function Get-AllText([string]$Dir) {
        $files = Get-ChildItem -LiteralPath $Dir -Recurse -File -Force
        ($files | ForEach-Object { Get-Content -LiteralPath $_.FullName -Raw }) -join "`n"
    }

    function Write-Settings([string]$Path, [string]$Text) {
        Set-Content -LiteralPath $Path -Value $Text
        & chmod 600 $Path
        $Path
    }

    function Start-TestListener([int]$Port, [int]$Count) {
        # Answers $Count POSTs with 200 and returns their bodies when received.
        Start-ThreadJob -ArgumentList $Port, $Count -ScriptBlock {
            param($Port, $Count)
            $l = [System.Net.HttpListener]::new()
            $l.Prefixes.Add("http://127.0.0.1:$Port/")
            $l.Start()
            try {
                for ($i = 0; $i -lt $Count; $i++) {
                    $task = $l.GetContextAsync()
                    if (-not $task.Wait(30000)) { break }
                    $c = $task.Result
                    $body = [IO.StreamReader]::new($c.Request.InputStream).ReadToEnd()
                    [pscustomobject]@{ Path = $c.Request.Url.PathAndQuery; Body = $body }
                    $c.Response.StatusCode = 200
                    $c.Response.Close()
                }
            } finally { $l.Stop() }
        }
    }
}

AfterAll {
    Remove-Item -LiteralPath $Root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Send-CenateAlert: configuration errors, before anything is sent or written' {
    It 'refuses a run with no channel (AlertChannelMissing, InvalidArgument) and writes no state' {
        $dir = New-Case 'nochannel'
        $err = { $false | Send-CenateAlert -StateDirectory $dir -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'AlertChannelMissing')
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        @(Get-ChildItem $dir -Force).Count | Should -Be 0
    }

    It 'refuses <Name> at the boundary' -ForEach @(
        @{ Name = 'a file:// webhook'; Splat = @{ WebhookUri = 'file:///etc/passwd' } }
        @{ Name = 'an ftp heartbeat'; Splat = @{ HeartbeatUri = 'ftp://127.0.0.1/x' } }
        @{ Name = 'a relative webhook'; Splat = @{ WebhookUri = '/hooks/x' } }
        @{ Name = 'a 39-digit thumbprint'
            Splat = @{ SmtpServer = 'r'; From = 'a@b'; To = 'c@d'; CertificateThumbprint = ('a' * 39) } }
        @{ Name = 'a bare-number timeout'; Splat = @{ StatusPath = '/tmp/x.json'; Timeout = 30 } }
        @{ Name = 'a job name with a slash'; Splat = @{ StatusPath = '/tmp/x.json'; Job = '../etc' } }
    ) {
        $err = { Send-CenateAlert @Splat -ErrorAction Stop } | Should -Throw -PassThru
        $ids = 'ParameterArgumentValidationError|ParameterArgumentTransformationError|CannotConvertArgumentNoMessage'
        $err.FullyQualifiedErrorId | Should -Match "^($ids),CenateBackup\.PowerShell\.Commands\.SendCenateAlertCommand$"
    }

    It 'needs -From and -To with -SmtpServer (SettingsInvalid)' {
        $err = { Send-CenateAlert -SmtpServer relay -To a@b -StateDirectory (New-Case 'nofrom') -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'SettingsInvalid')
        $err.Exception.Message | Should -Match '-From'
    }

    It 'a missing settings file is SettingsNotFound (ObjectNotFound)' {
        $err = { Send-CenateAlert -Settings (Join-Path $Root 'nope.psd1') -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'SettingsNotFound')
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'a settings file with <Name> is SettingsInvalid and nothing runs' -ForEach @(
        @{ Name = 'a command'; Text = "@{ StatusPath = (Get-Date).ToString() }"; Match = 'constant' }
        @{ Name = 'an environment variable'; Text = "@{ StatusPath = `$env:HOME }"; Match = 'constant' }
        @{ Name = 'a subexpression in a string'; Match = 'constant'
            Text = "@{ StatusPath = `"/tmp/`$(New-Item -Path /tmp/cenate-alert-pwned -ItemType File)`" }" }
        @{ Name = 'an unknown key'; Text = "@{ SmtpHost = 'relay' }"; Match = "unknown key 'SmtpHost'" }
        @{ Name = 'a password'; Match = 'never holds a password'
            Text = "@{ SmtpServer = 'r'; From = 'a@b'; To = 'c@d'; Password = 'Hunter2Secret' }" }
        @{ Name = 'an SmtpPassword'; Text = "@{ SmtpPassword = 'Hunter2Secret' }"; Match = 'never holds a password' }
        @{ Name = 'two statements'; Match = 'exactly one hashtable'
            Text = "@{ StatusPath = '/tmp/a' }`n@{ StatusPath = '/tmp/b' }" }
        @{ Name = 'a script'; Text = "Remove-Item /tmp/x"; Match = 'exactly one hashtable' }
        @{ Name = 'a bad duration'; Text = "@{ StatusPath = '/tmp/a'; Timeout = 30 }"; Match = 'bare number' }
    ) {
        $dir = New-Case 'badsettings'
        $file = Write-Settings (Join-Path $dir 'alerts.psd1') $Text
        $err = { $false | Send-CenateAlert -Settings $file -StateDirectory $dir -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'SettingsInvalid')
        $err.Exception.Message | Should -Match ([regex]::Escape($Match))
        $err.Exception.Message | Should -Not -Match 'Hunter2Secret'
        Test-Path /tmp/cenate-alert-pwned | Should -BeFalse
        @(Get-ChildItem $dir -Force).Name | Should -Be @('alerts.psd1')
    }

    It 'a settings file others may write, or owned by another user, is SettingsFileInsecure (SecurityError)' {
        $dir = New-Case 'insecure'
        $file = Write-Settings (Join-Path $dir 'alerts.psd1') "@{ StatusPath = 'status.json' }"
        & chmod 620 $file
        $err = { $false | Send-CenateAlert -Settings $file -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'SettingsFileInsecure')
        $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
        & chmod 600 $file
        & chown nobody $file
        if ($LASTEXITCODE -ne 0) { throw 'chown nobody failed: the test needs root' }
        $err = { $false | Send-CenateAlert -Settings $file -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'SettingsFileInsecure')
        Test-Path (Join-Path $dir 'status.json') | Should -BeFalse
    }

    It 'a settings file in a directory others may write (not sticky) is SettingsFileInsecure; a sticky one is fine' {
        $dir = New-Case 'swappable'
        $file = Write-Settings (Join-Path $dir 'alerts.psd1') "@{ StatusPath = 'status.json' }"
        & chmod 0777 $dir
        $err = { $false | Send-CenateAlert -Settings $file -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'SettingsFileInsecure')
        $err.Exception.Message | Should -Match 'others could replace the file'
        Test-Path (Join-Path $dir 'status.json') | Should -BeFalse
        & chmod 1777 $dir
        $r = $true | Send-CenateAlert -Settings $file -StateDirectory (Join-Path $dir 'st')
        $r.Status | Should -Be 'Written'
    }

    It 'reads a trusted settings file (relative paths from its directory); explicit parameters win' {
        $dir = New-Case 'goodsettings'
        $file = Write-Settings (Join-Path $dir 'alerts.psd1') `
            "@{ StatusPath = 'status.json'; StateDirectory = 'state'; Job = 'from-file'; When = 'Always' }"
        $r = @(Send-CenateAlert -Settings $file -InputObject $true)
        $r.Count | Should -Be 1
        $r[0].Channel | Should -Be 'StatusFile'
        $r[0].Job | Should -Be 'from-file'
        (Get-Content (Join-Path $dir 'status.json') -Raw | ConvertFrom-Json).job | Should -Be 'from-file'
        Test-Path (Join-Path $dir 'state/from-file.state.json') | Should -BeTrue
        Get-UnixMode (Join-Path $dir 'state') | Should -Be '0700'
        $r = @(Send-CenateAlert -Settings $file -InputObject $true -Job 'explicit')
        $r[0].Job | Should -Be 'explicit'
    }

    It 'a credential file others may read is CredentialFileInsecure; not a PSCredential is CredentialFileInvalid' {
        $dir = New-Case 'cred'
        $cred = Join-Path $dir 'smtp.xml'
        [pscredential]::new('mailer', (ConvertTo-SecureString 'CredFilePassw0rd' -AsPlainText -Force)) |
            Export-Clixml -LiteralPath $cred
        & chmod 640 $cred
        $file = Write-Settings (Join-Path $dir 'alerts.psd1') @'
@{ SmtpServer = '127.0.0.1'; Port = 56979; Security = 'None'; From = 'a@b.local'; To = 'c@d.local'
   CredentialPath = 'smtp.xml' }
'@
        $err = { $false | Send-CenateAlert -Settings $file -StateDirectory $dir -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'CredentialFileInsecure')
        $err.Exception.Message | Should -Not -Match 'CredFilePassw0rd'
        Set-Content -LiteralPath $cred -Value '<Objs><Obj>not a credential</Obj></Objs>'
        & chmod 600 $cred
        $err = { $false | Send-CenateAlert -Settings $file -StateDirectory $dir -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'CredentialFileInvalid')
    }

    It 'a good credential file reaches the mail channel; SMTP down is AlertDeliveryFailed and the password is nowhere' {
        $dir = New-Case 'credok'
        $cred = Join-Path $dir 'smtp.xml'
        [pscredential]::new('mailer', (ConvertTo-SecureString 'CredFilePassw0rd' -AsPlainText -Force)) |
            Export-Clixml -LiteralPath $cred
        & chmod 600 $cred
        $file = Write-Settings (Join-Path $dir 'alerts.psd1') @'
@{ SmtpServer = '127.0.0.1'; Port = 56979; Security = 'None'; From = 'a@b.local'; To = 'c@d.local'
   CredentialPath = 'smtp.xml'; Timeout = '10s' }
'@
        $r = $false | Send-CenateAlert -Settings $file -StateDirectory (Join-Path $dir 'st') `
            -ErrorVariable ev -ErrorAction SilentlyContinue -Verbose 4>&1
        $results = @($r | Where-Object { $_ -is [CenateBackup.PowerShell.Output.CenateAlertResult] })
        $results[0].Channel | Should -Be 'Mail'
        $results[0].Status | Should -Be 'Failed'
        $results[0].Target | Should -Be 'smtp://127.0.0.1:56979'
        $results[0].Spooled | Should -BeTrue
        $ev[0].FullyQualifiedErrorId | Should -Be (& $Fq 'AlertDeliveryFailed')
        $ev[-1].FullyQualifiedErrorId | Should -Be (& $Fq 'BackupRunFailed')
        $all = ($r | Out-String) + ($ev | Out-String) + (Get-AllText (Join-Path $dir 'st'))
        $all | Should -Not -Match 'CredFilePassw0rd'
    }

    It 'UserName + PasswordVariable: an unset variable is PasswordVariableNotSet' {
        $dir = New-Case 'pwvar'
        $name = 'CENATE_ALERT_TEST_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $file = Write-Settings (Join-Path $dir 'alerts.psd1') `
            ("@{ SmtpServer = '127.0.0.1'; Port = 56979; From = 'a@b'; To = 'c@d'; UserName = 'mailer'; " +
             "PasswordVariable = '$name' }")
        $err = { $false | Send-CenateAlert -Settings $file -StateDirectory $dir -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'PasswordVariableNotSet')
    }
}

Describe 'Send-CenateAlert: status file, items, state' {
    It 'writes the status file (0600 when new) from real backup sets, with the last good backup' {
        $dir = New-Case 'status'
        $sets = Join-Path $dir 'sets'
        $null = New-FakeSet -Dir $sets -DaysAgo 2
        $null = New-FakeSet -Dir $sets -DaysAgo 1
        $status = Join-Path $dir 'status.json'
        $r = Get-CenateBackup -Path $sets | Send-CenateAlert -StatusPath $status -StateDirectory $dir -Job nightly
        $r.Status | Should -Be 'Written'
        $r.State | Should -Be 'Success'
        Get-UnixMode $status | Should -Be '0600'
        $doc = Get-Content $status -Raw | ConvertFrom-Json
        $doc.schemaVersion | Should -Be 1
        $doc.job | Should -Be 'nightly'
        $doc.host | Should -Be ([Environment]::MachineName)
        $doc.state | Should -Be 'Success'
        $doc.change | Should -Be 'New'
        @($doc.problems).Count | Should -Be 0
        $newest = Get-CenateBackup -Path $sets -Newest 1
        $doc.lastGoodBackup.stamp | Should -Be $newest.Stamp
        $doc.lastGoodBackup.database | Should -Be 'maestro_cenate'
        $doc.lastGoodBackup.path | Should -Be $newest.Path
        $doc.lastSuccess | Should -Not -BeNullOrEmpty
        $doc.lastFailure | Should -BeNullOrEmpty
        $doc.moduleVersion | Should -Not -BeNullOrEmpty
    }

    It 'a run whose steps emitted nothing is a failure (NothingReported), not a silent success' {
        $dir = New-Case 'empty'
        $status = Join-Path $dir 'status.json'
        $empty = Join-Path $dir 'no-sets'
        New-Item -ItemType Directory -Path $empty | Out-Null
        # An empty directory lists nothing: a monitor built on it must not say all is well.
        $errors = $null
        $r = Get-CenateBackup -Path $empty | Send-CenateAlert -StatusPath $status -StateDirectory $dir -Job empty `
            -ErrorVariable errors -ErrorAction SilentlyContinue
        $r.State | Should -Be 'Failure'
        $errors[-1].FullyQualifiedErrorId | Should -Be (& $Fq 'BackupRunFailed')
        $errors[-1].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $doc = Get-Content $status -Raw | ConvertFrom-Json
        $doc.state | Should -Be 'Failure'
        ($doc.problems -join "`n") | Should -Match 'NothingReported'
        # Objects the module does not report (strings) do not count as results either.
        $r = 'hello', 42 | Send-CenateAlert -StatusPath $status -StateDirectory $dir -Job empty -ErrorAction SilentlyContinue
        $r.State | Should -Be 'Failure'
        (Get-Content $status -Raw | ConvertFrom-Json).problems -join "`n" | Should -Match '2 other object'
    }

    It 'a set verified in the same run (New-CenateDump | Test-CenateBackup) is not reported as not verified' {
        $dir = New-Case 'samerun'
        $sets = Join-Path $dir 'sets'
        $null = New-FakeSet -Dir $sets -DaysAgo 0.1 -Unverified
        $null = New-FakeSet -Dir $sets -DaysAgo 0.2 -Unverified -Database otra_db
        $set, $other = Get-CenateBackup -Path $sets | Sort-Object Database
        $set.VerificationPassed | Should -BeNullOrEmpty
        $job = Start-TestListener -Port 56977 -Count 1
        try {
            Start-Sleep -Milliseconds 500
            $null = @($set; $other; ($set | Test-CenateBackup -Level Checksum)) |
                Send-CenateAlert -WebhookUri 'http://127.0.0.1:56977/hook' -StateDirectory $dir -Job samerun -When Always
            $doc = @($job | Wait-Job -Timeout 20 | Receive-Job)[0].Body | ConvertFrom-Json
        } finally { $job | Stop-Job -PassThru | Remove-Job -Force }
        $backups = @($doc.items | Where-Object kind -eq 'Backup')
        ($backups | Where-Object database -eq 'maestro_cenate').status | Should -Be 'Ok'
        ($backups | Where-Object database -eq 'maestro_cenate').message | Should -Be 'complete, verified in this run'
        # The set nobody verified keeps its warning.
        ($backups | Where-Object database -eq 'otra_db').status | Should -Be 'Warning'
    }

    It 'turns a real monitor result into the state: stale is a failure, fresh enough names the last good backup' {
        $dir = New-Case 'monitor'
        $sets = Join-Path $dir 'sets'
        $set = New-FakeSet -Dir $sets -DaysAgo 2
        $status = Join-Path $dir 'status.json'
        Test-CenateBackup -Path $sets -MaxAge 26h -Level Checksum |
            Send-CenateAlert -StatusPath $status -StateDirectory $dir -Job mon -ErrorAction SilentlyContinue | Out-Null
        $doc = Get-Content $status -Raw | ConvertFrom-Json
        $doc.state | Should -Be 'Failure'
        $doc.problems[0] | Should -Match "^Verification maestro_cenate $($set.Stamp): Stale: .*\[VerificationFailed\]$"
        Test-CenateBackup -Path $sets -MaxAge '3d' -Level Checksum |
            Send-CenateAlert -StatusPath $status -StateDirectory $dir -Job mon | Out-Null
        $doc = Get-Content $status -Raw | ConvertFrom-Json
        $doc.state | Should -Be 'Success'
        $doc.change | Should -Be 'Recovered'
        $doc.lastGoodBackup.stamp | Should -Be $set.Stamp
        $setTime = [DateTimeOffset]::ParseExact($set.Stamp, 'yyyyMMdd_HHmmss', $null, 'AssumeUniversal')
        ([DateTimeOffset]$doc.lastGoodBackup.time - $setTime).Duration().TotalMinutes | Should -BeLessThan 5
    }

    It 'keeps an existing status file''s mode (0640 for an agent) and tracks the change New, Same, Failed, Recovered' {
        $dir = New-Case 'change'
        $status = Join-Path $dir 'status.json'
        $true | Send-CenateAlert -StatusPath $status -StateDirectory $dir -Job chg | Out-Null
        & chmod 640 $status
        $true | Send-CenateAlert -StatusPath $status -StateDirectory $dir -Job chg | Out-Null
        (Get-Content $status -Raw | ConvertFrom-Json).change | Should -Be 'Same'
        Get-UnixMode $status | Should -Be '0640'
        $false | Send-CenateAlert -StatusPath $status -StateDirectory $dir -Job chg `
            -ErrorAction SilentlyContinue | Out-Null
        $doc = Get-Content $status -Raw | ConvertFrom-Json
        $doc.change | Should -Be 'Failed'
        $doc.state | Should -Be 'Failure'
        @($doc.problems) | Should -Be @('Check check: a check returned False [CheckFailed]')
        $true | Send-CenateAlert -StatusPath $status -StateDirectory $dir -Job chg | Out-Null
        (Get-Content $status -Raw | ConvertFrom-Json).change | Should -Be 'Recovered'
        Get-UnixMode $status | Should -Be '0640'
        Get-UnixMode (Join-Path $dir 'chg.state.json') | Should -Be '0600'
    }

    It 'counts failed verifications, incomplete sets and ErrorRecords, also deserialized, and redacts foreign text' {
        $dir = New-Case 'items'
        $sets = Join-Path $dir 'sets'
        $null = New-FakeSet -Dir $sets -DaysAgo 3 -FailedVerification
        $null = New-FakeSet -Dir $sets -DaysAgo 2 -Incomplete
        $bad = @(Get-CenateBackup -Path $sets -ErrorAction SilentlyContinue)
        $bad.Count | Should -Be 2
        $text = 'upload to https://user:Passw0rdInUri@host/path/TOKENINPATH?sig=QUERYTOKEN failed; password=PlainPw1'
        $record = [System.Management.Automation.ErrorRecord]::new([Exception]::new($text),
            'MyUploadFailed', 'ConnectionError', 'offsite-upload')
        $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new(
            'upload failed for https://host/private/TOKENINPATH')
        $record.ErrorDetails.RecommendedAction = 'Check the network.'
        $xml = [System.Management.Automation.PSSerializer]::Serialize($bad[0], 3)
        $deserialized = [System.Management.Automation.PSSerializer]::Deserialize($xml)
        $deserialized.PSObject.TypeNames[0] | Should -BeLike 'Deserialized.*CenateBackupSet'
        $status = Join-Path $dir 'status.json'
        $r = @($deserialized, $bad[1], $record, 'ignored string', 42) |
            Send-CenateAlert -StatusPath $status -StateDirectory $dir -Job items `
                -ErrorVariable ev -ErrorAction SilentlyContinue -Verbose 4>&1
        $verbose = @($r | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        @($verbose | Where-Object Message -Match 'ignores a (String|Int32)').Count | Should -Be 2
        $doc = Get-Content $status -Raw | ConvertFrom-Json
        $doc.state | Should -Be 'Failure'
        @($doc.problems).Count | Should -Be 3
        $doc.problems[0] |
            Should -Match 'Backup maestro_cenate \d{8}_\d{6}: its last verification failed \[VerificationFailed\]'
        $doc.problems[1] | Should -Match 'incomplete.*\[BackupIncomplete\]'
        $doc.problems[2] | Should -Match '^Error offsite-upload: upload failed for https://host/… \[MyUploadFailed\]$'
        $ev[-1].FullyQualifiedErrorId | Should -Be (& $Fq 'BackupRunFailed')
        $ev[-1].CategoryInfo.Category | Should -Be 'InvalidResult'
        $ev[-1].TargetObject | Should -BeLike 'maestro_cenate *'
        $ev[-1].Exception.Message |
            Should -Match ('^The run failed: maestro_cenate \d{8}_\d{6}: its last verification failed ' +
                '\(\+2 more\)\. Alert: not sent\.$')
        $all = (Get-AllText $dir) + ($r | Out-String) + ($ev | Out-String)
        foreach ($secret in 'Passw0rdInUri', 'TOKENINPATH', 'QUERYTOKEN', 'PlainPw1') {
            $all | Should -Not -Match $secret
        }
    }

    It 'BackupRunFailed takes the first failure''s category and comes after every result and delivery error' {
        $dir = New-Case 'order'
        $record = [System.Management.Automation.ErrorRecord]::new([Exception]::new('disk full'), 'DumpWriteFailed',
            'WriteError', '/srv/backups')
        $out = @($record | Send-CenateAlert -StatusPath (Join-Path $dir 's.json') `
            -HeartbeatUri 'http://127.0.0.1:56972/ping/SECRETUUID' -StateDirectory $dir -Job order -Timeout '5s' `
            -ErrorAction Continue 2>&1)
        $out[-1].FullyQualifiedErrorId | Should -Be (& $Fq 'BackupRunFailed')
        $out[-1].CategoryInfo.Category | Should -Be 'WriteError'
        $out[-1].TargetObject | Should -Be '/srv/backups'
        $beat = $out | Where-Object {
            $_ -is [System.Management.Automation.ErrorRecord] -and
                $_.FullyQualifiedErrorId -like 'AlertDeliveryFailed,*'
        }
        @($beat).Count | Should -Be 1
        $beat.Exception.Message | Should -Match '^Heartbeat to http://127\.0\.0\.1:56972/… failed: '
        $beat.Exception.Message | Should -Not -Match 'spooled|SECRETUUID'
        Test-Path (Join-Path $dir 'order.spool.json') | Should -BeFalse
        Test-Path (Join-Path $dir 'order.state.json') | Should -BeTrue
    }

    It 'a failed run ending in Send-CenateAlert exits non-zero with EAP Stop (child pwsh), 0 when it succeeded' {
        $dir = New-Case 'exit'
        $pwsh = Join-Path $PSHOME 'pwsh'
        $script = Join-Path $dir 'nightly-job.ps1'
        Set-Content -LiteralPath $script -Value @"
`$ErrorActionPreference = 'Stop'
`$Ok = `$env:CENATE_ALERT_OK -eq '1'
Import-Module '$(Get-ModuleManifestPath)'
`$Ok | Send-CenateAlert -StatusPath '$dir/status.json' -StateDirectory '$dir' | Out-Null
"@
        $env:CENATE_ALERT_OK = '0'
        & $pwsh -NoProfile -NonInteractive -File $script *> $null
        $LASTEXITCODE | Should -Not -Be 0
        (Get-Content "$dir/status.json" -Raw | ConvertFrom-Json).state | Should -Be 'Failure'
        (Get-Content "$dir/status.json" -Raw | ConvertFrom-Json).job | Should -Be 'nightly-job'
        Test-Path "$dir/nightly-job.state.json" | Should -BeTrue
        $env:CENATE_ALERT_OK = '1'
        try { & $pwsh -NoProfile -NonInteractive -File $script *> $null } finally { Remove-Item env:CENATE_ALERT_OK }
        $LASTEXITCODE | Should -Be 0
        (Get-Content "$dir/status.json" -Raw | ConvertFrom-Json).change | Should -Be 'Recovered'
    }

    It '-WhatIf sends, pings and writes nothing (WouldSend per channel)' {
        $dir = New-Case 'whatif'
        $r = @($false | Send-CenateAlert -StatusPath (Join-Path $dir 's.json') -WebhookUri $ClosedHook `
            -StateDirectory (Join-Path $dir 'st') -WhatIf -ErrorAction SilentlyContinue)
        $r.Channel | Should -Be @('Webhook', 'StatusFile')
        $r.Status | Should -Be @('WouldSend', 'WouldSend')
        @(Get-ChildItem $dir -Force).Count | Should -Be 0
    }

    It 'writes the subject in Spanish for -Culture es-PE and for an es UI culture, English otherwise' {
        $dir = New-Case 'lang'
        (@($false | Send-CenateAlert -StatusPath "$dir/s.json" -StateDirectory $dir -Job lang -Culture es-PE `
            -ErrorAction SilentlyContinue))[0].Subject |
            Should -BeLike '`[CenateBackup`] FALLÓ lang @ *: check: a check returned False'
        $old = [cultureinfo]::CurrentUICulture
        try {
            [cultureinfo]::CurrentUICulture = 'es-ES'
            (@($true | Send-CenateAlert -StatusPath "$dir/s.json" `
                -StateDirectory $dir -Job lang))[0].Subject | Should -BeLike '`[CenateBackup`] RECUPERADO lang @ *'
            [cultureinfo]::CurrentUICulture = 'fr-FR'
            (@($true | Send-CenateAlert -StatusPath "$dir/s.json" `
                -StateDirectory $dir -Job lang))[0].Subject | Should -BeLike '`[CenateBackup`] OK lang @ *'
        } finally { [cultureinfo]::CurrentUICulture = $old }
    }

    It 'a missing status directory is AlertStatusWriteFailed and the state is still written' {
        $dir = New-Case 'nostatusdir'
        $r = @($true | Send-CenateAlert -StatusPath (Join-Path $dir 'missing/s.json') -StateDirectory $dir -Job nodir `
            -ErrorVariable ev -ErrorAction SilentlyContinue)
        $r[0].Status | Should -Be 'Failed'
        $ev[0].FullyQualifiedErrorId | Should -Be (& $Fq 'AlertStatusWriteFailed')
        $ev[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Test-Path (Join-Path $dir 'nodir.state.json') | Should -BeTrue
    }
}

Describe 'Send-CenateAlert: spool' {
    It 'spools an undelivered webhook alert (0600, no secret) and sends it first, delayed, when the webhook works' {
        $dir = New-Case 'spool'
        $r = @($false | Send-CenateAlert -WebhookUri $ClosedHook -StateDirectory $dir -Job sp -Timeout '5s' `
            -ErrorVariable ev -ErrorAction SilentlyContinue)
        $r[0].Status | Should -Be 'Failed'
        $r[0].Spooled | Should -BeTrue
        $r[0].Target | Should -Be 'http://127.0.0.1:56971/…'
        $ev[0].FullyQualifiedErrorId | Should -Be (& $Fq 'AlertDeliveryFailed')
        $ev[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $spooled = "The alert was spooled in $dir/sp.spool.json and will be sent first next time."
        $ev[0].Exception.Message | Should -Match ([regex]::Escape($spooled))
        Get-UnixMode "$dir/sp.spool.json" | Should -Be '0600'
        $all = (Get-AllText $dir) + ($r | Out-String) + ($ev | Out-String) + ($r | Format-List * | Out-String)
        $all | Should -Not -Match 'SECRETPATH123|QUERYSECRET456'

        $job = Start-TestListener -Port 56975 -Count 2
        try {
            Start-Sleep -Milliseconds 500
            $r2 = @($true | Send-CenateAlert -WebhookUri 'http://127.0.0.1:56975/hooks/OTHERSECRET' `
                -StateDirectory $dir -Job sp -When Always -Timeout '10s')
            $r2.Status | Should -Be @('Sent', 'Sent')
            $r2[0].Delayed | Should -BeTrue
            $r2[0].QueuedAt | Should -Not -BeNullOrEmpty
            $r2[0].Subject |
                Should -Match '^\(delayed from \d{4}-\d\d-\d\d \d\d:\d\d UTC\) \[CenateBackup\] FAILED sp @ '
            $r2[1].Delayed | Should -BeFalse
            $r2[1].Subject | Should -Match '^\[CenateBackup\] RECOVERED sp @ '
            $received = @($job | Wait-Job -Timeout 20 | Receive-Job)
            $received.Count | Should -Be 2
            $received[0].Body | Should -Match 'delayed from'
            Test-Path "$dir/sp.spool.json" | Should -BeFalse
        } finally { $job | Stop-Job -PassThru | Remove-Job -Force }
    }

    It 'a damaged spool is set aside with a warning and the alert still goes out' {
        $dir = New-Case 'corrupt'
        Set-Content -LiteralPath "$dir/cr.spool.json" -Value '{ "schemaVersion": 1, "entries": [ {' 
        Set-Content -LiteralPath "$dir/cr.state.json" -Value 'not json'
        $r = @($true | Send-CenateAlert -StatusPath "$dir/s.json" -WebhookUri $ClosedHook -When Failure `
            -StateDirectory $dir -Job cr -WarningVariable wv -WarningAction SilentlyContinue)
        $r.Status | Should -Be @('Skipped', 'Written')
        @($wv).Count | Should -Be 2
        @(Get-ChildItem $dir -Filter 'cr.spool.json.corrupt-*').Count | Should -Be 1
        (Get-Content "$dir/cr.state.json" -Raw | ConvertFrom-Json).state | Should -Be 'Success'
    }
}

Describe 'Send-CenateAlert -Test' {
    It 'checks the status directory without rewriting the file, reports a failed channel, changes no state or spool' {
        $dir = New-Case 'test'
        $status = Join-Path $dir 'status.json'
        Set-Content -LiteralPath $status -Value 'left as it is'
        $before = Get-Sha $status
        $r = @(Send-CenateAlert -Test -StatusPath $status -WebhookUri $ClosedHook `
            -StateDirectory (Join-Path $dir 'st') -Job t `
            -Timeout '5s' -ErrorVariable ev -ErrorAction SilentlyContinue)
        $r.Channel | Should -Be @('Webhook', 'StatusFile')
        $r.Status | Should -Be @('Failed', 'Written')
        $r[0].Spooled | Should -BeFalse
        $r[0].Subject | Should -Match '^\[CenateBackup\] (TEST|PRUEBA) t @ '
        $r[1].Reply | Should -Match 'writable \(the status file was not changed\)'
        @($ev).Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -Be (& $Fq 'AlertDeliveryFailed')
        $ev[0].Exception.Message | Should -Not -Match 'spooled'
        Get-Sha $status | Should -Be $before
        Test-Path (Join-Path $dir 'st') | Should -BeFalse
        @(Get-ChildItem $dir -Force).Name | Should -Be @('status.json')
    }

    It 'refuses -Test with pipeline input (parameter sets) and -Test without a channel' {
        { $false | Send-CenateAlert -Test -StatusPath /tmp/x.json -ErrorAction Stop } | Should -Throw
        $err = { Send-CenateAlert -Test -StateDirectory (New-Case 'testnone') -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'AlertChannelMissing')
    }
}

Describe 'Send-CenateAlert: bookkeeping never hides the run' {
    It 'an unwritable state directory is a warning: the results and BackupRunFailed still come' {
        $dir = New-Case 'badstate'
        $notADir = Join-Path $dir 'state-is-a-file'
        Set-Content -LiteralPath $notADir -Value 'x'
        $out = @($false | Send-CenateAlert -StatusPath "$dir/s.json" -StateDirectory $notADir -Job bs `
            -WarningVariable wv -WarningAction SilentlyContinue -ErrorAction Continue 2>&1)
        $out[0].Status | Should -Be 'Written'
        $out[-1].FullyQualifiedErrorId | Should -Be (& $Fq 'BackupRunFailed')
        @($wv | Where-Object { "$_" -match 'cannot be written' }).Count | Should -Be 1
        (Get-Content "$dir/s.json" -Raw | ConvertFrom-Json).state | Should -Be 'Failure'
    }

    It 'takes its settings from $PSDefaultParameterValues as any cmdlet does' {
        $dir = New-Case 'defaults'
        $PSDefaultParameterValues['Send-CenateAlert:StatusPath'] = "$dir/default.json"
        $PSDefaultParameterValues['Send-CenateAlert:StateDirectory'] = $dir
        try {
            $r = $true | Send-CenateAlert -Job defaults
            $r.Target | Should -Be "$dir/default.json"
            Test-Path "$dir/defaults.state.json" | Should -BeTrue
        } finally {
            $PSDefaultParameterValues.Remove('Send-CenateAlert:StatusPath')
            $PSDefaultParameterValues.Remove('Send-CenateAlert:StateDirectory')
        }
    }

    It 'counts audit entries (also deserialized) and never sends their rows' {
        $dir = New-Case 'audit'
        $entries = 1..3 | ForEach-Object {
            $o = [pscustomobject]@{
                Id = $_; Table = 'public.asegurados'; Operation = 'DELETE'; OldRow = '{"dni":"SECRETDNI4711"}'
            }
            $o.PSObject.TypeNames.Insert(0, 'Deserialized.CenateBackup.PowerShell.Output.CenateAuditEntry')
            $o
        }
        $job = Start-TestListener -Port 56976 -Count 1
        try {
            Start-Sleep -Milliseconds 500
            $r = @(@($entries) + $false | Send-CenateAlert -WebhookUri 'http://127.0.0.1:56976/hook' `
                -StateDirectory $dir -Job au `
                -Timeout '10s' -ErrorAction SilentlyContinue)
            $r[0].Status | Should -Be 'Sent'
            $received = @($job | Wait-Job -Timeout 20 | Receive-Job)
            $received.Count | Should -Be 1
            $received[0].Body | Should -Match '3 counted \(contents are never sent\)'
            $received[0].Body | Should -Not -Match 'SECRETDNI4711'
        } finally { $job | Stop-Job -PassThru | Remove-Job -Force }
        (Get-AllText $dir) | Should -Not -Match 'SECRETDNI4711'
    }
}

Describe 'Send-CenateAlert: a broken piece never silences the rest' {
    It 'an unset password variable fails the mail (spooled) while the status file is still written' {
        $dir = New-Case 'credbroken'
        $name = 'CENATE_ALERT_UNSET_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $status = Join-Path $dir 'status.json'
        $file = Write-Settings (Join-Path $dir 'alerts.psd1') `
            ("@{ SmtpServer = '127.0.0.1'; Port = 56979; From = 'a@b.local'; To = 'c@d.local'; UserName = 'mailer'; " +
             "PasswordVariable = '$name'; StatusPath = 'status.json' }")
        $r = @($false | Send-CenateAlert -Settings $file -StateDirectory $dir -Job cb -ErrorVariable ev `
            -ErrorAction SilentlyContinue)
        ($r | Where-Object Channel -eq 'Mail').Status | Should -Be 'Failed'
        ($r | Where-Object Channel -eq 'Mail').Spooled | Should -BeTrue
        ($r | Where-Object Channel -eq 'StatusFile').Status | Should -Be 'Written'
        (Get-Content $status -Raw | ConvertFrom-Json).state | Should -Be 'Failure'
        $ev[0].FullyQualifiedErrorId | Should -Be (& $Fq 'PasswordVariableNotSet')
        $ev[0].Exception.Message | Should -Match 'The run itself failed: .*a check returned False'
        $ev[-1].FullyQualifiedErrorId | Should -Be (& $Fq 'BackupRunFailed')
        Test-Path (Join-Path $dir 'cb.spool.json') | Should -BeTrue
    }

    It 'a settings error still names the run''s failure in its message' {
        $dir = New-Case 'setbroken'
        $file = Write-Settings (Join-Path $dir 'alerts.psd1') "@{ StatusPath = 'status.json'; Colour = 'red' }"
        $err = { $false | Send-CenateAlert -Settings $file -StateDirectory $dir -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be (& $Fq 'SettingsInvalid')
        $err.Exception.Message | Should -Match 'The run itself failed: .*a check returned False'
    }

    It '-InputObject with an array reports each element, as the pipeline does' {
        $dir = New-Case 'inputarray'
        $status = Join-Path $dir 'status.json'
        $errors = @(
            [System.Management.Automation.ErrorRecord]::new([Exception]::new('first broke'), 'One', 'ReadError', 'a')
            [System.Management.Automation.ErrorRecord]::new([Exception]::new('second broke'), 'Two', 'WriteError', 'b')
        )
        $null = Send-CenateAlert -InputObject $errors -StatusPath $status -StateDirectory $dir -Job ia `
            -ErrorAction SilentlyContinue
        $problems = (Get-Content $status -Raw | ConvertFrom-Json).problems -join "`n"
        $problems | Should -Match 'first broke'
        $problems | Should -Match 'second broke'
        $problems | Should -Not -Match 'NothingReported'
    }

    It 'expands ~ in the settings file''s paths to the home directory' {
        $dir = New-Case 'tilde'
        $oldHome = $env:HOME
        $env:HOME = $dir
        try {
            $file = Write-Settings (Join-Path $dir 'alerts.psd1') "@{ StatusPath = '~/tilde-status.json' }"
            $null = $true | Send-CenateAlert -Settings $file -StateDirectory $dir -Job tilde
            Test-Path (Join-Path $dir 'tilde-status.json') | Should -BeTrue
            Test-Path (Join-Path $dir '~') | Should -BeFalse
        } finally { $env:HOME = $oldHome }
    }

    It 'keeps the time of a good set that went through a job (deserialized), never "now"' {
        $dir = New-Case 'deser'
        $sets = Join-Path $dir 'sets'
        $null = New-FakeSet -Dir $sets -DaysAgo 3
        $manifest = Get-ModuleManifestPath
        $set = Start-Job -ScriptBlock { param($m, $d) Import-Module $m; Get-CenateBackup -Path $d } `
            -ArgumentList $manifest, $sets | Wait-Job -Timeout 60 | Receive-Job
        $set.PSObject.TypeNames[0] | Should -BeLike 'Deserialized.*'
        $status = Join-Path $dir 'status.json'
        $null = $set | Send-CenateAlert -StatusPath $status -StateDirectory $dir -Job deser
        $good = (Get-Content $status -Raw | ConvertFrom-Json).lastGoodBackup
        $age = [DateTimeOffset]::UtcNow - [DateTimeOffset]$good.time
        $age.TotalDays | Should -BeGreaterThan 2.5
    }
}
