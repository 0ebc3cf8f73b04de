using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Tests.Unit.Alerts;
using Xunit;

namespace CenateBackup.Core.Tests.Integration.Alerts;

/// <summary>
/// MailAlertChannel against real smtp4dev servers: what arrived is read back through smtp4dev's HTTP API (message,
/// secureConnection, bodies) and what was said through its session logs (STARTTLS, AUTH, 235).
/// </summary>
public sealed class MailChannelServerTests : IClassFixture<Smtp4devFixture>
{
    private readonly Smtp4devFixture _smtp;

    public MailChannelServerTests(Smtp4devFixture smtp) => _smtp = smtp;

    private MailAlertOptions Options(Smtp4devServer server, MailSecurity security, string? password = "right") => new()
    {
        Server = "127.0.0.1", Port = server.Port, Security = security, From = "CenateBackup <backup@cenate.test>",
        To = new[] { "admin@cenate.test", "ops@cenate.test" }, Cc = new[] { "jefe@cenate.test" },
        Credential = password is null ? null
            : new NetworkCredential(Smtp4devFixture.User, password == "right" ? _smtp.Password : password),
        SkipRevocationCheck = true, CertificateThumbprint = server.Sha256, Timeout = TimeSpan.FromSeconds(20),
    };

    private static AlertMessage UniqueMessage(out string subject)
    {
        subject = "[CenateBackup] FAILED nightly @ db01: prueba ñ " + Guid.NewGuid().ToString("N")[..8];
        return AlertSamples.Message(subject: subject) with
        {
            Text = "Texto plano ñ <no html>", Html = "<p>Cuerpo <b>ñ</b> &amp; más</p>",
        };
    }

    private static Task<AlertReceipt> Send(MailAlertOptions options, AlertMessage message) =>
        new MailAlertChannel(options).SendAsync(message, CancellationToken.None);

    private static CenateException Refused(MailAlertOptions options, AlertMessage message)
    {
        var ex = Assert.ThrowsAsync<CenateException>(() => Send(options, message)).GetAwaiter().GetResult();
        Assert.Equal(ErrorIds.AlertDeliveryFailed, ex.ErrorId);
        Assert.Equal(AlertTarget.Mail(options.Server, options.Port), ex.Target);
        return ex;
    }

    private void AssertOneMessageArrived(Smtp4devServer server, string subject, bool secure)
    {
        var found = server.MessagesWithSubject(subject);
        var summary = Assert.Single(found);
        Assert.Equal(new[] { "admin@cenate.test", "jefe@cenate.test", "ops@cenate.test" },
            summary.GetProperty("to").EnumerateArray().Select(t => t.GetString()).OrderBy(t => t).ToArray());
        var id = summary.GetProperty("id").GetString()!;
        var message = server.Message(id);
        Assert.Equal(secure, message.GetProperty("secureConnection").GetBoolean());
        Assert.True(message.GetProperty("hasPlainTextBody").GetBoolean());
        Assert.True(message.GetProperty("hasHtmlBody").GetBoolean());
        Assert.Equal("Texto plano ñ <no html>", server.GetText($"/api/messages/{id}/plaintext").TrimEnd());
        Assert.Equal("<p>Cuerpo <b>ñ</b> &amp; más</p>", server.GetText($"/api/messages/{id}/html").TrimEnd());
        var headers = message.GetProperty("headers").EnumerateArray()
            .ToDictionary(h => h.GetProperty("name").GetString()!, h => h.GetProperty("value").GetString(),
                StringComparer.OrdinalIgnoreCase);
        Assert.Equal("nightly", headers["X-Cenate-Job"]);
        Assert.Equal("Failure", headers["X-Cenate-State"]);
        Assert.Contains("backup@cenate.test", headers["From"]);
    }

    private static bool ClientSaid(string log, string command) =>
        log.Split('\n').Any(l => l.TrimEnd('\r').StartsWith(command, StringComparison.Ordinal));

    [Fact]
    public async Task StartTls_WithLogin_ArrivesEncrypted_AndTheLogShowsStartTlsAndAuth()
    {
        var before = _smtp.StartTls.SessionIds();
        var receipt = await Send(Options(_smtp.StartTls, MailSecurity.StartTls), UniqueMessage(out var subject));
        Assert.Equal("Mail accepted", receipt.Reply);
        Assert.True(receipt.Secure);
        Assert.StartsWith("Tls", receipt.Protocol);
        Assert.Null(receipt.Warning);
        AssertOneMessageArrived(_smtp.StartTls, subject, secure: true);
        var log = Assert.Single(_smtp.StartTls.NewSessionLogs(before));
        Assert.True(ClientSaid(log, "STARTTLS"), log);
        Assert.Contains("220 Ready to start TLS", log);
        Assert.True(ClientSaid(log, "AUTH "), log);
        Assert.Contains("235 ", log);
        // The password never crosses in plain text (CRAM-MD5 or inside TLS); the log shows no form of it.
        Assert.DoesNotContain(_smtp.Password, log);
    }

    [Fact]
    public async Task ImplicitTls_WithLogin_ArrivesEncrypted_WithTheSha1Pin()
    {
        var before = _smtp.ImplicitTls.SessionIds();
        var options = Options(_smtp.ImplicitTls, MailSecurity.SslOnConnect) with
        {
            CertificateThumbprint = string.Join(":", Enumerable.Range(0, 20)
                .Select(i => _smtp.ImplicitTls.Sha1!.Substring(i * 2, 2))).ToLowerInvariant(),
        };
        var receipt = await Send(options, UniqueMessage(out var subject));
        Assert.Equal("Mail accepted", receipt.Reply);
        Assert.True(receipt.Secure);
        AssertOneMessageArrived(_smtp.ImplicitTls, subject, secure: true);
        var log = Assert.Single(_smtp.ImplicitTls.NewSessionLogs(before));
        Assert.False(ClientSaid(log, "STARTTLS"), log);
        Assert.Contains("235 ", log);
    }

    [Fact]
    public async Task Plain_WithSecurityNone_SendsInPlainText_WhenAskedByName()
    {
        var before = _smtp.Plain.SessionIds();
        var receipt = await Send(Options(_smtp.Plain, MailSecurity.None), UniqueMessage(out var subject));
        Assert.Equal("Mail accepted", receipt.Reply);
        Assert.False(receipt.Secure);
        Assert.Null(receipt.Protocol);
        AssertOneMessageArrived(_smtp.Plain, subject, secure: false);
        Assert.Contains("235 ", Assert.Single(_smtp.Plain.NewSessionLogs(before)));
    }

    [Fact]
    public async Task Auto_AgainstAPlainServer_WithACredential_RefusesToLogIn()
    {
        var before = _smtp.Plain.SessionIds();
        var message = UniqueMessage(out var subject);
        var ex = await Assert.ThrowsAsync<CenateException>(() =>
            Send(Options(_smtp.Plain, MailSecurity.Auto), message));
        Assert.Equal(ErrorIds.AlertDeliveryFailed, ex.ErrorId);
        Assert.Equal(CenateErrorKind.SecurityError, ex.Kind);
        Assert.Contains("-Security None", ex.RecommendedAction);
        Assert.Empty(_smtp.Plain.MessagesWithSubject(subject));
        var log = Assert.Single(_smtp.Plain.NewSessionLogs(before));
        Assert.False(ClientSaid(log, "AUTH"), log);
        Assert.False(ClientSaid(log, "MAIL FROM"), log);
    }

    [Fact]
    public async Task Auto_AgainstAPlainServer_WithoutACredential_SendsAndWarns()
    {
        var options = Options(_smtp.OpenRelay, MailSecurity.Auto, password: null);
        var receipt = await Send(options, UniqueMessage(out var subject));
        Assert.Equal("Mail accepted", receipt.Reply);
        Assert.False(receipt.Secure);
        Assert.Contains("plain text", receipt.Warning);
        AssertOneMessageArrived(_smtp.OpenRelay, subject, secure: false);
    }

    [Fact]
    public async Task Auto_AgainstAStartTlsServer_UsesTls()
    {
        var receipt = await Send(Options(_smtp.StartTls, MailSecurity.Auto), UniqueMessage(out var subject));
        Assert.True(receipt.Secure);
        Assert.Null(receipt.Warning);
        AssertOneMessageArrived(_smtp.StartTls, subject, secure: true);
    }

    [Fact]
    public void WrongPassword_IsAuthenticationError_AndNothingArrives()
    {
        var message = UniqueMessage(out var subject);
        var ex = Refused(Options(_smtp.StartTls, MailSecurity.StartTls, password: "wrong-password"), message);
        Assert.Equal(CenateErrorKind.AuthenticationError, ex.Kind);
        Assert.Contains("535", ex.Message);
        Assert.DoesNotContain("wrong-password", ex.Message + ex.RecommendedAction + ex);
        Assert.Empty(_smtp.StartTls.MessagesWithSubject(subject));
    }

    [Fact]
    public void NoCredential_WhereLoginIsRequired_IsAuthenticationError()
    {
        var message = UniqueMessage(out var subject);
        var ex = Refused(Options(_smtp.StartTls, MailSecurity.StartTls, password: null), message);
        Assert.Equal(CenateErrorKind.AuthenticationError, ex.Kind);
        Assert.Empty(_smtp.StartTls.MessagesWithSubject(subject));
    }

    [Theory]
    [InlineData("StartTls")]
    [InlineData("ImplicitTls")]
    public void SelfSigned_WithoutAPin_IsRefused_NamingItsSha256(string mode)
    {
        var server = mode == "StartTls" ? _smtp.StartTls : _smtp.ImplicitTls;
        var security = mode == "StartTls" ? MailSecurity.StartTls : MailSecurity.SslOnConnect;
        var message = UniqueMessage(out var subject);
        var ex = Refused(Options(server, security) with { CertificateThumbprint = null }, message);
        Assert.Equal(CenateErrorKind.SecurityError, ex.Kind);
        Assert.Contains(server.Sha256!, ex.Message);
        Assert.Contains("-CertificateThumbprint", ex.RecommendedAction);
        Assert.Empty(server.MessagesWithSubject(subject));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WrongPin_IsRefused_BeforeTheLogin(bool sha256)
    {
        var before = _smtp.StartTls.SessionIds();
        // The other server's certificate: a real pin, of the wrong relay.
        var pin = sha256 ? _smtp.ImplicitTls.Sha256 : _smtp.ImplicitTls.Sha1;
        var message = UniqueMessage(out var subject);
        var ex = Refused(Options(_smtp.StartTls, MailSecurity.StartTls) with { CertificateThumbprint = pin }, message);
        Assert.Equal(CenateErrorKind.SecurityError, ex.Kind);
        Assert.Contains("does not match", ex.Message);
        Assert.Contains(_smtp.StartTls.Sha256!, ex.Message);
        Assert.Empty(_smtp.StartTls.MessagesWithSubject(subject));
        foreach (var log in _smtp.StartTls.NewSessionLogs(before))
        {
            Assert.False(ClientSaid(log, "AUTH"), log);
        }
    }

    [Fact]
    public void ClosedPort_IsConnectionError_Quickly()
    {
        var options = Options(_smtp.Plain, MailSecurity.StartTls) with { Port = Smtp4devFixture.ClosedPort };
        var watch = Stopwatch.StartNew();
        var ex = Refused(options, UniqueMessage(out _));
        Assert.Equal(CenateErrorKind.ConnectionError, ex.Kind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public void StartTls_OnTheImplicitTlsPort_TimesOutWithinTheTimeout()
    {
        var options = Options(_smtp.ImplicitTls, MailSecurity.StartTls) with { Timeout = TimeSpan.FromSeconds(2) };
        var watch = Stopwatch.StartNew();
        var ex = Refused(options, UniqueMessage(out _));
        Assert.Equal(CenateErrorKind.OperationTimeout, ex.Kind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"took {watch.Elapsed}");
    }

    [Fact]
    public void None_AgainstAServerThatRequiresTls_CarriesTheServersReply()
    {
        var message = UniqueMessage(out var subject);
        var ex = Refused(Options(_smtp.StartTls, MailSecurity.None, password: null), message);
        Assert.Equal(CenateErrorKind.InvalidOperation, ex.Kind);
        Assert.Matches(@"the server answered \d{3} .*Secure connection required", ex.Message);
        Assert.Empty(_smtp.StartTls.MessagesWithSubject(subject));
    }

    [Fact]
    public void StartTls_AgainstAServerWithoutStartTls_IsSecurityError()
    {
        var ex = Refused(Options(_smtp.Plain, MailSecurity.StartTls), UniqueMessage(out _));
        Assert.Equal(CenateErrorKind.SecurityError, ex.Kind);
        Assert.Contains("STARTTLS", ex.Message);
    }

    [Fact]
    public async Task Cancellation_ByTheCaller_IsNotAnAlertFailure()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var channel = new MailAlertChannel(Options(_smtp.StartTls, MailSecurity.StartTls));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            channel.SendAsync(UniqueMessage(out _), cts.Token));
    }
}
