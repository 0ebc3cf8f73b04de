using System;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Tests.Unit.Alerts;
using Xunit;

namespace CenateBackup.Core.Tests.Integration.Alerts;

/// <summary>
/// MailAlertChannel against SMTP servers that misbehave (raw sockets on 127.0.0.1, ports 56874-56877, 56880-56882):
/// every failure is AlertDeliveryFailed, and only the caller's own cancellation comes out as a cancellation.
/// </summary>
public sealed class MailEdgeServerTests
{
    private static MailAlertOptions Options(int port, MailSecurity security, TimeSpan timeout) => new()
    {
        Server = "127.0.0.1", Port = port, Security = security, From = "backup@cenate.test",
        To = new[] { "admin@cenate.test" }, Timeout = timeout, SkipRevocationCheck = true,
    };

    private static async Task<string?> ReadLineAsync(NetworkStream stream, CancellationToken token)
    {
        var line = new StringBuilder();
        var b = new byte[1];
        while (!line.ToString().EndsWith('\n'))
        {
            if (await stream.ReadAsync(b, token) == 0)
            {
                return null;
            }
            line.Append((char)b[0]);
        }
        return line.ToString();
    }

    [Theory]
    [InlineData(56874, "close", MailSecurity.None, CenateErrorKind.ConnectionError)]
    [InlineData(56875, "garbage", MailSecurity.None, CenateErrorKind.ConnectionError)]
    [InlineData(56876, "close-after-ehlo", MailSecurity.StartTls, CenateErrorKind.ConnectionError)]
    [InlineData(56877, "plain-greeting", MailSecurity.SslOnConnect, CenateErrorKind.SecurityError)]
    public async Task BrokenServer_IsAlertDeliveryFailed(int port, string how, MailSecurity security,
        CenateErrorKind kind)
    {
        using var server = new RawTcpServer(port, async (stream, token) =>
        {
            switch (how)
            {
                case "close":
                    return;
                case "garbage":
                    await RawTcpServer.WriteAsync(stream, "garbage that is not SMTP\r\n", token);
                    break;
                default:
                    await RawTcpServer.WriteAsync(stream, "220 relay.test ESMTP\r\n", token);
                    break;
            }
            await ReadLineAsync(stream, token);
        });
        var ex = await Assert.ThrowsAsync<CenateException>(() =>
            new MailAlertChannel(Options(port, security, TimeSpan.FromSeconds(10)))
                .SendAsync(AlertSamples.Message(), CancellationToken.None));
        Assert.Equal(ErrorIds.AlertDeliveryFailed, ex.ErrorId);
        Assert.Equal(kind, ex.Kind);
        Assert.Equal($"smtp://127.0.0.1:{port}", ex.Target);
    }

    [Fact]
    public async Task CancelledByTheCaller_WhileTheServerTrickles_IsACancellation_Quickly()
    {
        using var server = new RawTcpServer(56880, async (stream, token) =>
        {
            while (true)
            {
                await RawTcpServer.WriteAsync(stream, "220-still greeting\r\n", token);
                await Task.Delay(200, token);
            }
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new MailAlertChannel(Options(56880, MailSecurity.None, TimeSpan.FromSeconds(30)))
                .SendAsync(AlertSamples.Message(), cts.Token));
        Assert.True(cts.IsCancellationRequested);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(6), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task TricklingServer_PastTheTimeout_IsOperationTimeout()
    {
        using var server = new RawTcpServer(56881, async (stream, token) =>
        {
            while (true)
            {
                await RawTcpServer.WriteAsync(stream, "220-still greeting\r\n", token);
                await Task.Delay(200, token);
            }
        });
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<CenateException>(() =>
            new MailAlertChannel(Options(56881, MailSecurity.None, TimeSpan.FromSeconds(1)))
                .SendAsync(AlertSamples.Message(), CancellationToken.None));
        Assert.Equal(ErrorIds.AlertDeliveryFailed, ex.ErrorId);
        Assert.Equal(CenateErrorKind.OperationTimeout, ex.Kind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(6), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task CallerCancelsDuringQuit_TheReceiptComesBack_WithoutWaitingForTheQuitLimit()
    {
        using var cts = new CancellationTokenSource();
        using var server = new RawTcpServer(56882, async (stream, token) =>
        {
            await RawTcpServer.WriteAsync(stream, "220 relay.test ESMTP\r\n", token);
            while (await ReadLineAsync(stream, token) is { } line)
            {
                var verb = line.Split(' ', ':')[0].Trim().ToUpperInvariant();
                if (verb == "DATA")
                {
                    await RawTcpServer.WriteAsync(stream, "354 go on\r\n", token);
                    while (await ReadLineAsync(stream, token) is { } data && data != ".\r\n")
                    {
                    }
                    await RawTcpServer.WriteAsync(stream, "250 queued as Q1\r\n", token);
                }
                else if (verb == "QUIT")
                {
                    // The relay hangs on QUIT; the caller gives up now.
                    cts.Cancel();
                    await Task.Delay(System.Threading.Timeout.Infinite, token);
                }
                else
                {
                    await RawTcpServer.WriteAsync(stream, "250 ok\r\n", token);
                }
            }
        });
        var watch = Stopwatch.StartNew();
        var receipt = await new MailAlertChannel(Options(56882, MailSecurity.None, TimeSpan.FromSeconds(30)))
            .SendAsync(AlertSamples.Message(), cts.Token);
        Assert.True(cts.IsCancellationRequested);
        Assert.Equal("queued as Q1", receipt.Reply);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"took {watch.Elapsed}");
    }
}
