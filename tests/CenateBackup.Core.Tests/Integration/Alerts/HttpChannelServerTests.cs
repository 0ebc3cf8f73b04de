using System;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Tests.Unit.Alerts;
using Xunit;

namespace CenateBackup.Core.Tests.Integration.Alerts;

/// <summary>WebhookAlertChannel and HeartbeatAlertChannel against a real HTTP server on 127.0.0.1.</summary>
public sealed class HttpChannelServerTests : IClassFixture<HttpRecorder>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly HttpRecorder _http;

    public HttpChannelServerTests(HttpRecorder http) => _http = http;

    private static string Secret() => "S3cr3t" + Guid.NewGuid().ToString("N")[..12];

    private static void AssertJsonEqual(string expected, string actual) =>
        Assert.Equal(JsonDocument.Parse(expected).RootElement.GetRawText(),
            JsonDocument.Parse(actual).RootElement.GetRawText());

    [Theory]
    [InlineData(WebhookFormat.Json)]
    [InlineData(WebhookFormat.Slack)]
    [InlineData(WebhookFormat.Teams)]
    public async Task Webhook_PostsThePayloadAsUtf8Json_WithTheUserAgent(WebhookFormat format)
    {
        var path = $"/hook/{format}/{Secret()}";
        _http.Answer(path, new RecorderAnswer(200, "ok"));
        var uri = new Uri(_http.Base, path + "?sig=abc%2Fdef");
        var message = AlertSamples.Message(subject: "[CenateBackup] FALLÓ nightly @ db01: año ñ");
        var receipt = await new WebhookAlertChannel(uri, format, null, Timeout)
            .SendAsync(message, CancellationToken.None);
        Assert.Equal("HTTP 200 OK: ok", receipt.Reply);
        var request = Assert.Single(_http.Requests(path));
        Assert.Equal("POST", request.Method);
        Assert.Equal(path + "?sig=abc%2Fdef", request.RawUrl);
        Assert.Equal("application/json; charset=utf-8", request.ContentType);
        Assert.Matches(@"^CenateBackup/\d+\.\d+\.\d+", request.UserAgent);
        AssertJsonEqual(WebhookPayload.Build(message, format, null), request.Body);
        // UTF-8 on the wire: the recorder decodes the body as UTF-8.
        Assert.Contains("FALLÓ nightly @ db01: año ñ", request.Body);
    }

    [Fact]
    public async Task Telegram_ChatIdFromTheQuery_IsSentInTheBody_AndNotInTheUrl()
    {
        var token = "bot123456:" + Secret();
        var path = $"/{token}/sendMessage";
        _http.Answer(path, new RecorderAnswer(200, "{\"ok\":true,\"result\":{}}"));
        var uri = new Uri(_http.Base, path + "?chat_id=-100777");
        var receipt = await new WebhookAlertChannel(uri, WebhookFormat.Telegram, null, Timeout)
            .SendAsync(AlertSamples.Message(), CancellationToken.None);
        Assert.StartsWith("HTTP 200 OK: {\"ok\":true", receipt.Reply);
        var request = Assert.Single(_http.Requests(path));
        Assert.Equal(path, request.RawUrl);
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("-100777", body.GetProperty("chat_id").GetString());
        Assert.Equal("HTML", body.GetProperty("parse_mode").GetString());
    }

    [Fact]
    public async Task Webhook_Any2xxIsDelivered()
    {
        var path = "/teams/" + Secret();
        _http.Answer(path, new RecorderAnswer(202, ""));
        var receipt = await new WebhookAlertChannel(new Uri(_http.Base, path), WebhookFormat.Teams, null, Timeout)
            .SendAsync(AlertSamples.Message(), CancellationToken.None);
        Assert.Equal("HTTP 202 Accepted", receipt.Reply);
    }

    [Theory]
    [InlineData(404, CenateErrorKind.ObjectNotFound)]
    [InlineData(400, CenateErrorKind.InvalidOperation)]
    [InlineData(403, CenateErrorKind.AuthenticationError)]
    [InlineData(429, CenateErrorKind.ResourceBusy)]
    [InlineData(500, CenateErrorKind.ResourceUnavailable)]
    public async Task Webhook_ErrorStatus_IsAlertDeliveryFailed_WithTheReply_ButNeverTheUrisSecrets(int status,
        CenateErrorKind kind)
    {
        var secret = Secret();
        var path = $"/services/T0/{secret}";
        _http.Answer(path, new RecorderAnswer(status, "Cannot POST {url}\nno_text"));
        var uri = new Uri(_http.Base, path + "?sig=SIG" + secret);
        var ex = await Assert.ThrowsAsync<CenateException>(() =>
            new WebhookAlertChannel(uri, WebhookFormat.Slack, null, Timeout).SendAsync(AlertSamples.Message(),
                CancellationToken.None));
        Assert.Equal(ErrorIds.AlertDeliveryFailed, ex.ErrorId);
        Assert.Equal(kind, ex.Kind);
        Assert.Contains($"HTTP {status} ", ex.Message);
        Assert.Contains("Cannot POST", ex.Message);
        Assert.Contains("no_text", ex.Message);
        Assert.Equal($"http://127.0.0.1:{HttpRecorder.Port}/…", ex.Target);
        Assert.DoesNotContain(secret, ex.ToString() + ex.RecommendedAction);
        Assert.DoesNotContain("/services", ex.Message);
    }

    [Fact]
    public async Task Webhook_RedirectIsNotFollowed()
    {
        var path = "/moved/" + Secret();
        _http.Answer(path, new RecorderAnswer(301, "", Location: $"http://127.0.0.1:{HttpRecorder.Port}/elsewhere"));
        var ex = await Assert.ThrowsAsync<CenateException>(() =>
            new WebhookAlertChannel(new Uri(_http.Base, path), WebhookFormat.Json, null, Timeout)
                .SendAsync(AlertSamples.Message(), CancellationToken.None));
        Assert.Contains("HTTP 301", ex.Message);
        Assert.Empty(_http.Requests("/elsewhere"));
    }

    [Fact]
    public async Task Webhook_SlowServer_TimesOutWithinTheTimeout()
    {
        var path = "/slow/" + Secret();
        _http.Answer(path, new RecorderAnswer(200, "late", Delay: TimeSpan.FromSeconds(6)));
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<CenateException>(() =>
            new WebhookAlertChannel(new Uri(_http.Base, path), WebhookFormat.Json, null, TimeSpan.FromSeconds(1))
                .SendAsync(AlertSamples.Message(), CancellationToken.None));
        Assert.Equal(CenateErrorKind.OperationTimeout, ex.Kind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Webhook_ClosedPort_IsConnectionError_WithoutThePath()
    {
        var secret = Secret();
        var uri = new Uri($"http://127.0.0.1:{HttpRecorder.ClosedPort}/hook/{secret}?token={secret}");
        var ex = await Assert.ThrowsAsync<CenateException>(() =>
            new WebhookAlertChannel(uri, WebhookFormat.Json, null, Timeout).SendAsync(AlertSamples.Message(),
                CancellationToken.None));
        Assert.Equal(ErrorIds.AlertDeliveryFailed, ex.ErrorId);
        Assert.Equal(CenateErrorKind.ConnectionError, ex.Kind);
        Assert.DoesNotContain(secret, ex.Message + ex.Target + ex.RecommendedAction);
    }

    [Fact]
    public async Task Heartbeat_SuccessFailureTest_HitTheirUrlsInOrder_WithTheShortTextAndRid()
    {
        var key = Secret();
        var baseUri = new Uri(_http.Base, $"/ping/{key}/");
        var channel = new HeartbeatAlertChannel(baseUri, Timeout);
        Assert.False(channel.Spools);
        Assert.Equal(AlertChannelKind.Heartbeat, channel.Kind);
        var success = AlertSamples.Message(new[] { AlertSamples.GoodVerification });
        var failure = AlertSamples.Message();
        var receipt = await channel.SendAsync(success, CancellationToken.None);
        Assert.Equal("HTTP 200 OK: ok", receipt.Reply);
        await channel.SendAsync(failure, CancellationToken.None);
        await channel.SendAsync(failure with { IsTest = true }, CancellationToken.None);
        var rid = "rid=" + success.Run.RunId.ToString("D");
        var requests = _http.Requests($"/ping/{key}");
        Assert.Equal(new[] { $"/ping/{key}?{rid}", $"/ping/{key}/fail?{rid}", $"/ping/{key}/log?{rid}" },
            requests.Select(r => r.RawUrl).ToArray());
        Assert.All(requests, r => Assert.Equal("POST", r.Method));
        Assert.All(requests, r => Assert.Equal("text/plain; charset=utf-8", r.ContentType));
        Assert.Equal(failure.Short, requests[1].Body);
    }

    [Fact]
    public async Task Heartbeat_ErrorStatus_IsAlertDeliveryFailed_Redacted()
    {
        var key = Secret();
        _http.Answer($"/hc/{key}", new RecorderAnswer(409, "not unique: {url}"));
        var ex = await Assert.ThrowsAsync<CenateException>(() =>
            new HeartbeatAlertChannel(new Uri(_http.Base, $"/hc/{key}"), Timeout).SendAsync(AlertSamples.Message(),
                CancellationToken.None));
        Assert.Equal(ErrorIds.AlertDeliveryFailed, ex.ErrorId);
        Assert.Contains("HTTP 409", ex.Message);
        Assert.DoesNotContain(key, ex.ToString());
    }
}
