using System;
using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Tests.Unit.Alerts;
using Xunit;

namespace CenateBackup.Core.Tests.Integration.Alerts;

/// <summary>
/// The webhook/heartbeat channels against servers that misbehave (raw sockets and HttpListener on 127.0.0.1,
/// ports 56870-56873, 56878, 56879): nothing but AlertDeliveryFailed, or the caller's own cancellation, comes out.
/// </summary>
public sealed class HttpEdgeServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static string Secret() => "S3cr3t" + Guid.NewGuid().ToString("N")[..12];

    [Theory]
    [InlineData(500)]
    [InlineData(200)]
    public async Task ReasonPhrase_EchoingTheUri_IsCleanedInErrorsAndReceipts(int status)
    {
        var secret = Secret();
        using var listener = new HttpListener();
        listener.Prefixes.Add("http://127.0.0.1:56870/");
        listener.Start();
        var serve = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            await context.Request.InputStream.CopyToAsync(System.IO.Stream.Null);
            context.Response.StatusCode = status;
            context.Response.StatusDescription = $"Cannot POST {context.Request.RawUrl}";
            context.Response.Close();
        });
        var uri = new Uri($"http://127.0.0.1:56870/hooks/{secret}/x?sig=Q{secret}");
        var channel = new WebhookAlertChannel(uri, WebhookFormat.Json, null, Timeout);
        string shown;
        if (status == 200)
        {
            var receipt = await channel.SendAsync(AlertSamples.Message(), CancellationToken.None);
            shown = receipt.Reply!;
            Assert.StartsWith("HTTP 200 Cannot POST …", shown);
        }
        else
        {
            var ex = await Assert.ThrowsAsync<CenateException>(() =>
                channel.SendAsync(AlertSamples.Message(), CancellationToken.None));
            Assert.Equal(ErrorIds.AlertDeliveryFailed, ex.ErrorId);
            Assert.Contains("HTTP 500 Cannot POST …", ex.Message);
            shown = ex.ToString() + ex.RecommendedAction + ex.Target;
        }
        await serve;
        Assert.DoesNotContain(secret, shown, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("/hooks", shown);
    }

    [Theory]
    [InlineData(56871, 200)]
    [InlineData(56872, 503)]
    public async Task BodyCutShort_2xxIsDelivered_OtherwiseFailedWithTheStatus(int port, int status)
    {
        using var server = new RawTcpServer(port, async (stream, token) =>
        {
            await RawTcpServer.ReadRequestAsync(stream, token);
            await RawTcpServer.WriteAsync(stream,
                $"HTTP/1.1 {status} Whatever\r\nContent-Type: text/plain\r\nContent-Length: 10000\r\n\r\nhello", token);
            await stream.FlushAsync(token);
        });
        var channel = new WebhookAlertChannel(server.Uri("/hook/" + Secret()), WebhookFormat.Json, null, Timeout);
        if (status == 200)
        {
            var receipt = await channel.SendAsync(AlertSamples.Message(), CancellationToken.None);
            Assert.Equal("HTTP 200 Whatever", receipt.Reply);
        }
        else
        {
            var ex = await Assert.ThrowsAsync<CenateException>(() =>
                channel.SendAsync(AlertSamples.Message(), CancellationToken.None));
            Assert.Equal(ErrorIds.AlertDeliveryFailed, ex.ErrorId);
            Assert.Equal(CenateErrorKind.ResourceUnavailable, ex.Kind);
            Assert.Contains("HTTP 503 Whatever", ex.Message);
        }
    }

    [Theory]
    [InlineData("close")]
    [InlineData("garbage")]
    [InlineData("headers-then-close")]
    public async Task BrokenServer_IsAlertDeliveryFailed_ConnectionError(string how)
    {
        using var server = new RawTcpServer(56873, async (stream, token) =>
        {
            await RawTcpServer.ReadRequestAsync(stream, token);
            if (how == "garbage")
            {
                await RawTcpServer.WriteAsync(stream, "garbage garbage\r\n\r\n", token);
            }
            else if (how == "headers-then-close")
            {
                await RawTcpServer.WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Le", token);
            }
        });
        var secret = Secret();
        var ex = await Assert.ThrowsAsync<CenateException>(() =>
            new HeartbeatAlertChannel(server.Uri("/ping/" + secret), Timeout)
                .SendAsync(AlertSamples.Message(), CancellationToken.None));
        Assert.Equal(ErrorIds.AlertDeliveryFailed, ex.ErrorId);
        Assert.Equal(CenateErrorKind.ConnectionError, ex.Kind);
        Assert.DoesNotContain(secret, ex.ToString());
    }

    [Fact]
    public async Task ConnectTimeoutInsideTheHandler_IsOperationTimeout_NotABareCancellation()
    {
        Assert.Equal(System.Threading.Timeout.InfiniteTimeSpan, AlertHttp.NewHandler().ConnectTimeout);
        // A handler whose own connect timeout (1 s) is shorter than the call's (20 s), and a connect that hangs:
        // SocketsHttpHandler reports it as TaskCanceledException(TimeoutException), which is not the caller's.
        var handler = AlertHttp.NewHandler();
        handler.ConnectTimeout = TimeSpan.FromSeconds(1);
        handler.ConnectCallback = async (_, token) =>
        {
            await Task.Delay(System.Threading.Timeout.Infinite, token);
            throw new InvalidOperationException("unreachable");
        };
        using var client = AlertHttp.Create(handler);
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<CenateException>(() =>
            new WebhookAlertChannel(new Uri("http://127.0.0.1:56879/hook/" + Secret()), WebhookFormat.Json, null,
                Timeout, client).SendAsync(AlertSamples.Message(), CancellationToken.None));
        Assert.Equal(ErrorIds.AlertDeliveryFailed, ex.ErrorId);
        Assert.Equal(CenateErrorKind.OperationTimeout, ex.Kind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task CancelledByTheCaller_WhileTheServerTrickles_IsACancellation_Quickly()
    {
        using var server = new RawTcpServer(56878, async (stream, token) =>
        {
            await RawTcpServer.ReadRequestAsync(stream, token);
            await RawTcpServer.WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", token);
            while (true)
            {
                await RawTcpServer.WriteAsync(stream, "x", token);
                await Task.Delay(200, token);
            }
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new WebhookAlertChannel(server.Uri("/hook/" + Secret()), WebhookFormat.Json, null, Timeout)
                .SendAsync(AlertSamples.Message(), cts.Token));
        Assert.True(cts.IsCancellationRequested);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(6), $"took {watch.Elapsed}");
    }
}
