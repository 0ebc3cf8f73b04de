# Real servers on 127.0.0.1 for the Send-CenateAlert tests: smtp4dev 3.15.0 (an SMTP relay with an HTTP API, in one
# of three TLS modes, authentication required and checked) and an HTTP recorder (System.Net.HttpListener in a runspace)
# that keeps every request (method, raw URL, headers, body) and answers a status chosen per path.
# smtp4dev's traps (research memo §2): it accepts ANY password unless --smtpallowanycredentials- is given; it writes
# DataProtection keys under $HOME and logs its cwd, so both point into a private temp directory; --db= keeps the
# database in memory, --nousersettings skips ~/.config/smtp4dev. Its API pages 5 messages by default.
# A missing smtp4dev throws (no silent skip).
Set-StrictMode -Version Latest

function New-AlertTempDirectory([string]$Name) {
    $leaf = "cenate-alert-{0}-{1}" -f $Name, [guid]::NewGuid().ToString('N').Substring(0, 8)
    $path = Join-Path ([IO.Path]::GetTempPath()) $leaf
    $mode = [IO.UnixFileMode]::UserRead -bor [IO.UnixFileMode]::UserWrite -bor [IO.UnixFileMode]::UserExecute
    [void][IO.Directory]::CreateDirectory($path, $mode)
    $path
}

function Get-Smtp4devPath {
    $candidates = @($env:CENATE_SMTP4DEV, (Join-Path $HOME '.dotnet/tools/smtp4dev')) | Where-Object { $_ }
    foreach ($c in $candidates) { if (Test-Path -LiteralPath $c) { return $c } }
    $cmd = Get-Command smtp4dev -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($cmd) { return $cmd.Source }
    throw ('smtp4dev not found: run scripts/install-prereqs.sh ' +
        '(dotnet tool install --global Rnwood.Smtp4dev --version 3.15.0).')
}

function Test-TcpPortOpen([int]$Port) {
    $c = [Net.Sockets.TcpClient]::new()
    try { $c.Connect([Net.IPAddress]::Loopback, $Port); $true } catch { $false } finally { $c.Dispose() }
}

function Start-Smtp4dev {
    <#
    .SYNOPSIS Starts smtp4dev on 127.0.0.1 (SMTP on -SmtpPort, API on -HttpPort) with AUTH required for -User/-Password.
    Returns Mode, Port, HttpPort, ApiUri, Directory, CertificatePath, Sha1, Sha256 (hex, upper case; TLS modes only),
    Pid, Process, User, Password. -NoWait returns at once (start several, then Wait-Smtp4dev each).
    #>
    param(
        [Parameter(Mandatory)][ValidateSet('None', 'StartTls', 'ImplicitTls')][string]$Mode,
        [Parameter(Mandatory)][ValidateRange(1024, 65535)][int]$SmtpPort,
        [Parameter(Mandatory)][ValidateRange(1024, 65535)][int]$HttpPort,
        [string]$User = 'alerts',
        [string]$Password = ('Sm7p-' + [guid]::NewGuid().ToString('N').Substring(0, 12)),
        # PLAIN first: its base64 form \0user\0password is what a leaking protocol log would carry.
        [string]$AuthTypes = 'PLAIN,LOGIN',
        [switch]$NoWait
    )
    foreach ($p in $SmtpPort, $HttpPort) {
        if (Test-TcpPortOpen $p) { throw "port 127.0.0.1:$p is already in use: another smtp4dev or test left running?" }
    }
    $dir = New-AlertTempDirectory "smtp4dev-$Mode"
    $homeDir = Join-Path $dir 'home'
    [void][IO.Directory]::CreateDirectory($homeDir)
    $arguments = @(
        "--baseappdatapath=$dir", '--db=', '--nousersettings', '--imapport=', '--pop3port=',
        '--bindaddress=127.0.0.1', '--hostname=localhost', '--authenticationrequired', '--smtpallowanycredentials-',
        "--user=$User=$Password", "--tlsmode=$Mode", "--smtpport=$SmtpPort", "--urls=http://127.0.0.1:$HttpPort",
        "--SmtpAuthTypesSecure=$AuthTypes", "--SmtpAuthTypesNotSecure=$AuthTypes"
    )
    if ($Mode -ne 'None') { $arguments += '--secureconnectionrequired' }
    # sh exec keeps the pid (smtp4dev replaces the shell) and sends its chatter to a log file in its directory.
    $psi = [Diagnostics.ProcessStartInfo]::new('/bin/sh')
    foreach ($a in @('-c', 'log="$1"; shift; exec "$@" >"$log" 2>&1', 'sh', (Join-Path $dir 'smtp4dev.log'),
            (Get-Smtp4devPath)) + $arguments) { $psi.ArgumentList.Add($a) }
    $psi.WorkingDirectory = $dir
    $psi.Environment['HOME'] = $homeDir
    $psi.UseShellExecute = $false
    $proc = [Diagnostics.Process]::Start($psi)
    $server = [pscustomobject]@{
        Mode = $Mode; Port = $SmtpPort; HttpPort = $HttpPort; ApiUri = "http://127.0.0.1:$HttpPort"
        Directory = $dir; CertificatePath = (Join-Path $dir 'selfsigned-certificate.cer'); Sha1 = $null; Sha256 = $null
        Pid = $proc.Id; Process = $proc; User = $User; Password = $Password
        LogPath = (Join-Path $dir 'smtp4dev.log')
    }
    if (-not $NoWait) { Wait-Smtp4dev -Server $server }
    $server
}

function Wait-Smtp4dev {
    # Ready when the API answers 200 (the SMTP listener starts before Kestrel); then reads the TLS certificate's hashes.
    param([Parameter(Mandatory, ValueFromPipeline)]$Server, [int]$Seconds = 90)
    process {
        $until = [DateTime]::UtcNow.AddSeconds($Seconds)
        while ($true) {
            if ($Server.Process.HasExited) {
                $tail = (Get-Content -LiteralPath $Server.LogPath -Tail 15 -ErrorAction SilentlyContinue) -join "`n"
                throw "smtp4dev ($($Server.Mode)) exited with code $($Server.Process.ExitCode):`n$tail"
            }
            try {
                $r = Invoke-WebRequest -Uri "$($Server.ApiUri)/api/messages" -TimeoutSec 5 -SkipHttpErrorCheck
                if ($r.StatusCode -eq 200 -and (Test-TcpPortOpen $Server.Port)) { break }
            } catch { }
            if ([DateTime]::UtcNow -gt $until) {
                $tail = (Get-Content -LiteralPath $Server.LogPath -Tail 15 -ErrorAction SilentlyContinue) -join "`n"
                throw "smtp4dev ($($Server.Mode)) did not answer on $($Server.ApiUri) within $Seconds s:`n$tail"
            }
            Start-Sleep -Milliseconds 250
        }
        if ($Server.Mode -ne 'None') {
            $cert = [Security.Cryptography.X509Certificates.X509Certificate2]::new($Server.CertificatePath)
            try {
                $Server.Sha1 = $cert.Thumbprint.ToUpperInvariant()
                $sha256 = [Security.Cryptography.HashAlgorithmName]::SHA256
                $Server.Sha256 = $cert.GetCertHashString($sha256).ToUpperInvariant()
            } finally { $cert.Dispose() }
        }
    }
}

function Stop-Smtp4dev {
    param([Parameter(Mandatory, ValueFromPipeline)][AllowNull()]$Server, [switch]$KeepDirectory)
    process {
        if (-not $Server) { return }
        $p = $Server.Process
        if ($p -and -not $p.HasExited) {
            try { $p.Kill($true) } catch [InvalidOperationException] { }
            [void]$p.WaitForExit(10000)
        }
        if (-not $KeepDirectory -and $Server.Directory -and (Test-Path -LiteralPath $Server.Directory)) {
            Remove-Item -LiteralPath $Server.Directory -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

function Get-Smtp4devMessages {
    <#
    .SYNOPSIS Every message smtp4dev holds, oldest first, walking all pages (5 per page by default: never assume one).
    Each has Id, Subject, From, To, ReceivedDate, plus -Detail: Secure, Headers, Text, Html, Raw.
    smtp4dev stores a message a moment AFTER its "250 Mail accepted": -Expect N waits (10 s at most) until N are
    there; -Expect 0 waits 1.5 s so that a message that should not have arrived has had its chance.
    #>
    param([Parameter(Mandatory)]$Server, [switch]$Detail, [int]$Expect = -1)
    if ($Expect -ge 0) {
        $until = [DateTime]::UtcNow.AddSeconds($(if ($Expect -eq 0) { 1.5 } else { 10 }))
        while ([DateTime]::UtcNow -lt $until) {
            $n = (Invoke-RestMethod -Uri "$($Server.ApiUri)/api/messages?page=1" -TimeoutSec 20).rowCount
            if ($Expect -gt 0 -and $n -ge $Expect) { break }
            Start-Sleep -Milliseconds 200
        }
    }
    $all = [Collections.Generic.List[object]]::new()
    $page = 1
    do {
        # Oldest first, sorted by the server (receivedDate to 100 ns), paged at its default size.
        $q = "page=$page&sortColumn=receivedDate&sortIsDescending=false"
        $r = Invoke-RestMethod -Uri "$($Server.ApiUri)/api/messages?$q" -TimeoutSec 20
        foreach ($m in @($r.results)) { $all.Add($m) }
        $page++
    } while ($r.currentPage -lt $r.pageCount)
    if ($all.Count -ne [int]$r.rowCount) { throw "smtp4dev paging: collected $($all.Count) of $($r.rowCount) messages" }
    foreach ($m in $all) {
        $o = [ordered]@{
            Id = $m.id; Subject = $m.subject; From = $m.from; To = @($m.to)
            ReceivedDate = [DateTimeOffset]$m.receivedDate
        }
        if ($Detail) {
            $base = "$($Server.ApiUri)/api/messages/$($m.id)"
            $d = Invoke-RestMethod -Uri $base -TimeoutSec 20
            $o.Secure = [bool]$d.secureConnection
            $o.Headers = $d.headers
            $o.HasText = [bool]$d.hasPlainTextBody
            $o.HasHtml = [bool]$d.hasHtmlBody
            $o.Text = if ($d.hasPlainTextBody) { (Invoke-WebRequest -Uri "$base/plaintext" -TimeoutSec 20).Content }
            $o.Html = if ($d.hasHtmlBody) { (Invoke-WebRequest -Uri "$base/html" -TimeoutSec 20).Content }
            $o.Raw = (Invoke-WebRequest -Uri "$base/raw" -TimeoutSec 20).Content
            $o.Cc = @($d.cc)
        }
        [pscustomobject]$o
    }
}

function Get-Smtp4devHeader($Message, [string]$Name) {
    # smtp4dev gives headers as [{name, value}]; returns the values of $Name.
    @($Message.Headers | Where-Object { $_.name -eq $Name } | ForEach-Object value)
}

function Get-Smtp4devSessionLogs {
    # The SMTP conversation of each session, oldest first (GET /api/sessions/{id} is a 500 in 3.15.0: list + /log).
    # A session's log is complete once it has ended (stored asynchronously): waits up to 10 s for every session to end.
    param([Parameter(Mandatory)]$Server)
    $until = [DateTime]::UtcNow.AddSeconds(10)
    do {
        $all = [Collections.Generic.List[object]]::new()
        $page = 1
        do {
            $r = Invoke-RestMethod -Uri "$($Server.ApiUri)/api/sessions?page=$page" -TimeoutSec 20
            foreach ($s in @($r.results)) { $all.Add($s) }
            $page++
        } while ($r.currentPage -lt $r.pageCount)
        $open = @($all | Where-Object { -not $_.endDate })
        if ($open.Count -gt 0) { Start-Sleep -Milliseconds 200 }
    } while ($open.Count -gt 0 -and [DateTime]::UtcNow -lt $until)
    foreach ($s in ($all | Sort-Object { [DateTimeOffset]$_.startDate })) {
        [pscustomobject]@{
            Id = $s.id; Messages = $s.numberOfMessages; Error = $s.terminatedWithError
            Log = (Invoke-WebRequest -Uri "$($Server.ApiUri)/api/sessions/$($s.id)/log" -TimeoutSec 20).Content
        }
    }
}

function Clear-Smtp4dev {
    param([Parameter(Mandatory)]$Server)
    $null = Invoke-WebRequest -Method Delete -Uri "$($Server.ApiUri)/api/messages/*" -TimeoutSec 20
    $null = Invoke-WebRequest -Method Delete -Uri "$($Server.ApiUri)/api/sessions/*" -TimeoutSec 20
}

function Start-HttpRecorder {
    <#
    .SYNOPSIS An HTTP server on http://127.0.0.1:Port/ (HttpListener in a runspace of this process). Every request is
    recorded (Method, RawUrl, Path, Query, Headers, ContentType, Body, Time). The answer's status comes from
    $recorder.Status[<path>] (exact path, e.g. '/hook/T1'; set or change it at any time), else 200 "OK";
    $recorder.Location[<path>] adds a Location header (redirects); $recorder.DelayMs[<path>] answers that late.
    #>
    param([Parameter(Mandatory)][ValidateRange(1024, 65535)][int]$Port, [hashtable]$Status = @{})
    if (Test-TcpPortOpen $Port) { throw "port 127.0.0.1:$Port is already in use" }
    $requests = [Collections.ArrayList]::Synchronized([Collections.ArrayList]::new())
    $statusMap = [hashtable]::Synchronized(@{})
    foreach ($k in $Status.Keys) { $statusMap[$k] = $Status[$k] }
    $locationMap = [hashtable]::Synchronized(@{})
    $delayMap = [hashtable]::Synchronized(@{})
    $listener = [Net.HttpListener]::new()
    $listener.Prefixes.Add("http://127.0.0.1:$Port/")
    $listener.Start()
    $ps = [powershell]::Create()
    $null = $ps.AddScript({
        param($Listener, $Requests, $StatusMap, $LocationMap, $DelayMap)
        while ($Listener.IsListening) {
            try { $ctx = $Listener.GetContext() } catch { break }
            try {
                $req = $ctx.Request
                $reader = [IO.StreamReader]::new($req.InputStream, [Text.UTF8Encoding]::new($false))
                $body = $reader.ReadToEnd(); $reader.Dispose()
                $headers = @{}
                foreach ($h in $req.Headers.AllKeys) { $headers[$h] = $req.Headers[$h] }
                $path = $req.Url.AbsolutePath
                [void]$Requests.Add([pscustomobject]@{
                    Method = $req.HttpMethod; RawUrl = $req.RawUrl; Path = $path; Query = $req.Url.Query
                    Headers = $headers; ContentType = $req.ContentType; Body = $body; Time = [DateTimeOffset]::UtcNow
                })
                $code = if ($StatusMap.ContainsKey($path)) { [int]$StatusMap[$path] } else { 200 }
                $text = if ($code -ge 200 -and $code -lt 300) { 'OK' } else { "error $code from the test server" }
                $bytes = [Text.Encoding]::UTF8.GetBytes($text)
                if ($DelayMap.ContainsKey($path)) { Start-Sleep -Milliseconds ([int]$DelayMap[$path]) }
                if ($LocationMap.ContainsKey($path)) { $ctx.Response.RedirectLocation = [string]$LocationMap[$path] }
                $ctx.Response.StatusCode = $code
                $ctx.Response.ContentType = 'text/plain; charset=utf-8'
                $ctx.Response.ContentLength64 = $bytes.Length
                $ctx.Response.OutputStream.Write($bytes, 0, $bytes.Length)
                $ctx.Response.Close()
            } catch { try { $ctx.Response.Abort() } catch { } }
        }
    }).AddArgument($listener).AddArgument($requests).AddArgument($statusMap)
    $null = $ps.AddArgument($locationMap).AddArgument($delayMap)
    $handle = $ps.BeginInvoke()
    [pscustomobject]@{
        Port = $Port; Uri = "http://127.0.0.1:$Port"; Listener = $listener; PowerShell = $ps; Handle = $handle
        Requests = $requests; Status = $statusMap; Location = $locationMap; DelayMs = $delayMap
    }
}

function Get-HttpRecorderRequests {
    param([Parameter(Mandatory)]$Recorder, [string]$PathLike = '*')
    @($Recorder.Requests.ToArray() | Where-Object { $_.Path -like $PathLike })
}

function Clear-HttpRecorder([Parameter(Mandatory)]$Recorder) { $Recorder.Requests.Clear() }

function Stop-HttpRecorder {
    param([Parameter(Mandatory, ValueFromPipeline)][AllowNull()]$Recorder)
    process {
        if (-not $Recorder) { return }
        try { $Recorder.Listener.Stop(); $Recorder.Listener.Close() } catch { }
        try { [void]$Recorder.Handle.AsyncWaitHandle.WaitOne(5000); $Recorder.PowerShell.Dispose() } catch { }
    }
}

function Get-PasswordForms([Parameter(Mandatory)][string]$User, [Parameter(Mandatory)][string]$Password) {
    # The forms a password can leak in: plain, SMTP AUTH PLAIN's base64 of \0user\0password, base64 of the password,
    # Export-Clixml's UTF-16LE hex on Unix (any case), and the URL-encoded form.
    $utf16 = [Text.Encoding]::Unicode.GetBytes($Password)
    $hex = -join ($utf16 | ForEach-Object { $_.ToString('x2') })
    @(
        $Password
        [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("`0$User`0$Password"))
        [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Password))
        $hex
        [uri]::EscapeDataString($Password)
    ) | Select-Object -Unique
}

function Find-Secret {
    <#
    .SYNOPSIS Returns "<where>: <form>" for each secret form found in the given texts and in the files (recursively)
    under -Path; nothing when clean. Case-insensitive for hex forms.
    #>
    param([string[]]$Secret, [hashtable]$Text = @{}, [string[]]$Path = @())
    $hits = [Collections.Generic.List[string]]::new()
    $texts = @{} + $Text
    foreach ($p in $Path) {
        if (-not (Test-Path -LiteralPath $p)) { continue }
        foreach ($f in Get-ChildItem -LiteralPath $p -Recurse -File -Force -ErrorAction SilentlyContinue) {
            $texts["file $($f.FullName)"] = [IO.File]::ReadAllText($f.FullName)
        }
    }
    foreach ($k in $texts.Keys) {
        $t = [string]$texts[$k]
        foreach ($s in $Secret) {
            if ($s -and $t.IndexOf($s, [StringComparison]::OrdinalIgnoreCase) -ge 0) { $hits.Add("${k}: $s") }
        }
    }
    $hits
}

function Get-AlertText {
    # Everything a user or a log could see of a run's output streams (records from *>&1, results, errors).
    param([object[]]$Records)
    ($Records | ForEach-Object {
        if ($_ -is [Management.Automation.ErrorRecord]) {
            $_ | Out-String -Width 500; $_.Exception.ToString(); "$($_.TargetObject)"; "$($_.ErrorDetails)"
            "$($_.CategoryInfo)"
        } elseif ($_ -is [Management.Automation.InformationalRecord]) { $_.Message }
        elseif ($null -ne $_) {
            $_ | Out-String -Width 500; $_ | ConvertTo-Json -Depth 5 -WarningAction SilentlyContinue
        }
    }) -join "`n"
}

function Invoke-ChildPwsh {
    <#
    .SYNOPSIS Runs `pwsh -NoProfile -NonInteractive -File <script>` in a fresh process (module path in
    CENATE_MODULE_PATH) and returns ExitCode, StdOut, StdErr. -Environment adds variables (secrets go here, never on
    the command line).
    #>
    param([Parameter(Mandatory)][string]$ScriptPath, [hashtable]$Environment = @{}, [int]$TimeoutSeconds = 120,
          [string[]]$Arguments = @())
    # pwsh installed as a dotnet tool runs as `dotnet pwsh.dll`: start the same host the same way.
    $psi = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
    if ((Split-Path -Leaf ([Environment]::ProcessPath)) -like 'dotnet*') {
        $psi.ArgumentList.Add([Environment]::GetCommandLineArgs()[0])
    }
    foreach ($a in @('-NoProfile', '-NonInteractive', '-File', $ScriptPath) + $Arguments) { $psi.ArgumentList.Add($a) }
    # Plain text on stderr (no ANSI colours between the words a test looks for).
    $psi.Environment['NO_COLOR'] = '1'
    foreach ($k in $Environment.Keys) { $psi.Environment[$k] = [string]$Environment[$k] }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $p = [Diagnostics.Process]::Start($psi)
    $out = $p.StandardOutput.ReadToEndAsync()
    $err = $p.StandardError.ReadToEndAsync()
    if (-not $p.WaitForExit($TimeoutSeconds * 1000)) {
        try { $p.Kill($true) } catch { }
        throw "child pwsh ($ScriptPath) did not finish within $TimeoutSeconds s"
    }
    $p.WaitForExit()
    [pscustomobject]@{ ExitCode = $p.ExitCode; StdOut = $out.Result; StdErr = $err.Result }
}

Export-ModuleMember -Function New-AlertTempDirectory, Get-Smtp4devPath, Test-TcpPortOpen, Start-Smtp4dev, Wait-Smtp4dev,
    Stop-Smtp4dev, Get-Smtp4devMessages, Get-Smtp4devHeader, Get-Smtp4devSessionLogs, Clear-Smtp4dev,
    Start-HttpRecorder, Get-HttpRecorderRequests, Clear-HttpRecorder, Stop-HttpRecorder, Get-PasswordForms, Find-Secret,
    Get-AlertText, Invoke-ChildPwsh
