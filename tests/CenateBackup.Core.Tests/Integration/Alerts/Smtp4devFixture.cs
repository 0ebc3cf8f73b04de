using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace CenateBackup.Core.Tests.Integration.Alerts;

/// <summary>One smtp4dev instance: its TLS mode, SMTP port, API, certificate fingerprints and process.</summary>
public sealed class Smtp4devServer
{
    private static readonly HttpClient s_api = new() { Timeout = TimeSpan.FromSeconds(20) };

    public required string Mode { get; init; }
    public required int Port { get; init; }
    public required Uri Api { get; init; }
    public required string Directory { get; init; }
    public required Process Process { get; init; }
    public required StringBuilder Output { get; init; }
    public string? Sha1 { get; set; }
    public string? Sha256 { get; set; }

    private JsonElement Get(string path)
    {
        var text = s_api.GetStringAsync(new Uri(Api, path)).GetAwaiter().GetResult();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public string GetText(string path) => s_api.GetStringAsync(new Uri(Api, path)).GetAwaiter().GetResult();

    /// <summary>Every message (the API pages, 5 by default: ask for 100 and check there is one page).</summary>
    public IReadOnlyList<JsonElement> Messages()
    {
        var page = Get("/api/messages?page=1&pageSize=100");
        Assert.True(page.GetProperty("pageCount").GetInt32() <= 1, "more than 100 messages in smtp4dev");
        return page.GetProperty("results").EnumerateArray().ToArray();
    }

    /// <summary>The messages with exactly this subject.</summary>
    public IReadOnlyList<JsonElement> MessagesWithSubject(string subject) =>
        Messages().Where(m => m.GetProperty("subject").GetString() == subject).ToArray();

    public JsonElement Message(string id) => Get("/api/messages/" + id);

    /// <summary>The session ids (newest sessions included; the list pages too).</summary>
    public IReadOnlyList<string> SessionIds()
    {
        var page = Get("/api/sessions?page=1&pageSize=100");
        Assert.True(page.GetProperty("pageCount").GetInt32() <= 1, "more than 100 sessions in smtp4dev");
        return page.GetProperty("results").EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToArray();
    }

    /// <summary>The SMTP conversations of the sessions that are not in <paramref name="before"/>. smtp4dev records
    /// a session when it ends, so wait a little for it.</summary>
    public IReadOnlyList<string> NewSessionLogs(IReadOnlyCollection<string> before, int expected = 1)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var fresh = SessionIds().Where(id => !before.Contains(id)).ToArray();
            if (fresh.Length >= expected || DateTime.UtcNow > until)
            {
                return fresh.Select(id => GetText("/api/sessions/" + id + "/log")).ToArray();
            }
            Thread.Sleep(100);
        }
    }
}

/// <summary>
/// Four real smtp4dev 3.15.0 servers on 127.0.0.1 (ports 56940-56949), started once for the mail tests, each with
/// authentication required and only the right password accepted (--smtpallowanycredentials-): plain (None), STARTTLS
/// and implicit TLS, the last two with TLS required and a self-signed certificate (CN=localhost); and a plain open
/// relay without login (56947). HOME and the working
/// directory are a temp directory, so nothing is written outside it. A missing smtp4dev fails the tests (it is
/// installed by scripts/install-prereqs.sh); a busy port fails them too (a leftover server from another run).
/// </summary>
public sealed class Smtp4devFixture : IDisposable
{
    public const string User = "alerts";
    public string Password { get; } = "Pa55-" + Guid.NewGuid().ToString("N")[..10];
    public const int ClosedPort = 56946;

    private readonly List<Smtp4devServer> _servers = new();

    public Smtp4devFixture()
    {
        Root = System.IO.Directory.CreateTempSubdirectory("cenate-smtp4dev-").FullName;
        try
        {
            var exe = Executable();
            AssertFree(ClosedPort);
            Plain = Start(exe, "None", 56940);
            StartTls = Start(exe, "StartTls", 56942);
            ImplicitTls = Start(exe, "ImplicitTls", 56944);
            OpenRelay = Start(exe, "None", 56947, authentication: false);
            foreach (var s in _servers)
            {
                WaitReady(s);
            }
        }
        catch
        {
            // xunit never disposes a fixture whose constructor threw.
            Dispose();
            throw;
        }
    }

    public string Root { get; }
    public Smtp4devServer Plain { get; }
    public Smtp4devServer StartTls { get; }
    public Smtp4devServer ImplicitTls { get; }
    /// <summary>Plain text and no login required: what -Security Auto meets on an old LAN relay.</summary>
    public Smtp4devServer OpenRelay { get; }

    /// <summary>smtp4dev from CENATE_SMTP4DEV, or the dotnet global tool.</summary>
    public static string Executable()
    {
        var path = Environment.GetEnvironmentVariable("CENATE_SMTP4DEV") ?? Path.Combine(
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "smtp4dev");
        Assert.True(File.Exists(path),
            $"smtp4dev not found at {path}: run scripts/install-prereqs.sh (dotnet tool Rnwood.Smtp4dev 3.15.0) "
            + "or set CENATE_SMTP4DEV.");
        return path;
    }

    private static void AssertFree(int port)
    {
        using var probe = new TcpClient();
        try
        {
            probe.Connect(IPAddress.Loopback, port);
        }
        catch (SocketException)
        {
            return;
        }
        Assert.Fail($"port {port} on 127.0.0.1 is in use: a server left over from another run? (the mail tests own "
            + "56940-56959)");
    }

    private Smtp4devServer Start(string exe, string mode, int smtpPort, bool authentication = true)
    {
        AssertFree(smtpPort);
        AssertFree(smtpPort + 1);
        var dir = Path.Combine(Root, mode + smtpPort);
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "home"));
        var psi = new ProcessStartInfo(exe)
        {
            WorkingDirectory = dir, UseShellExecute = false, RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["HOME"] = Path.Combine(dir, "home");
        var args = new List<string>
        {
            "--baseappdatapath=" + dir, "--db=", "--nousersettings", "--imapport=", "--pop3port=",
            "--bindaddress=127.0.0.1", "--hostname=localhost", "--tlsmode=" + mode,
            "--smtpport=" + smtpPort, $"--urls=http://127.0.0.1:{smtpPort + 1}",
        };
        if (authentication)
        {
            args.AddRange(new[]
            {
                "--authenticationrequired", "--smtpallowanycredentials-", $"--user={User}={Password}",
            });
        }
        if (mode != "None")
        {
            args.Add("--secureconnectionrequired");
        }
        args.ForEach(psi.ArgumentList.Add);
        var output = new StringBuilder();
        var process = Process.Start(psi) ?? throw new InvalidOperationException("smtp4dev did not start");
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new Smtp4devServer
        {
            Mode = mode, Port = smtpPort, Api = new Uri($"http://127.0.0.1:{smtpPort + 1}"), Directory = dir,
            Process = process, Output = output,
        };
        _servers.Add(server);
        return server;
    }

    private static void WaitReady(Smtp4devServer server)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var until = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (server.Process.HasExited)
            {
                Assert.Fail($"smtp4dev {server.Mode} exited with {server.Process.ExitCode}:\n{server.Output}");
            }
            try
            {
                using var r = http.GetAsync(new Uri(server.Api, "/api/messages")).GetAwaiter().GetResult();
                if (r.IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            Assert.True(DateTime.UtcNow < until,
                $"smtp4dev {server.Mode} did not answer within 90 s:\n{server.Output}");
            Thread.Sleep(250);
        }
        if (server.Mode != "None")
        {
            var cer = Path.Combine(server.Directory, "selfsigned-certificate.cer");
            Assert.True(File.Exists(cer), $"smtp4dev {server.Mode} wrote no certificate at {cer}");
            using var cert = X509CertificateLoader.LoadCertificateFromFile(cer);
            server.Sha1 = cert.Thumbprint;
            server.Sha256 = cert.GetCertHashString(HashAlgorithmName.SHA256);
        }
    }

    public void Dispose()
    {
        foreach (var s in _servers)
        {
            try
            {
                if (!s.Process.HasExited)
                {
                    s.Process.Kill(entireProcessTree: true);
                    s.Process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
            }
            s.Process.Dispose();
        }
        try
        {
            System.IO.Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
