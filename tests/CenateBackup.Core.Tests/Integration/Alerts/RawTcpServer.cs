using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace CenateBackup.Core.Tests.Integration.Alerts;

/// <summary>
/// A raw TCP server on 127.0.0.1 for the edge-case alert tests (ports 56870-56889): every connection is handed to
/// the given script, which writes whatever broken or slow bytes the test needs, then the connection is closed.
/// </summary>
public sealed class RawTcpServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<Task> _handlers = new();

    public RawTcpServer(int port, Func<NetworkStream, CancellationToken, Task> script)
    {
        _listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            _listener.Start();
        }
        catch (SocketException ex)
        {
            Assert.Fail($"cannot listen on 127.0.0.1:{port} (the alert edge tests own 56870-56889): {ex.Message}");
        }
        Port = port;
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    return;
                }
                lock (_handlers)
                {
                    _handlers.Add(Task.Run(async () =>
                    {
                        using (client)
                        {
                            try
                            {
                                await script(client.GetStream(), _stop.Token).ConfigureAwait(false);
                            }
                            catch (Exception)
                            {
                                // The client went away or the test ended.
                            }
                        }
                    }));
                }
            }
        });
    }

    public int Port { get; }

    public Uri Uri(string pathAndQuery) => new($"http://127.0.0.1:{Port}{pathAndQuery}");

    /// <summary>Reads the request head and its Content-Length body, so closing never resets the connection before
    /// the client has read the answer. Returns the head.</summary>
    public static async Task<string> ReadRequestAsync(NetworkStream stream, CancellationToken token)
    {
        var head = new StringBuilder();
        var buffer = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(buffer, token).ConfigureAwait(false) == 0)
            {
                return head.ToString();
            }
            head.Append((char)buffer[0]);
        }
        var length = Regex.Match(head.ToString(), @"(?im)^Content-Length:\s*(\d+)");
        var left = length.Success ? int.Parse(length.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var body = new byte[4096];
        while (left > 0)
        {
            var n = await stream.ReadAsync(body.AsMemory(0, Math.Min(left, body.Length)), token).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            left -= n;
        }
        return head.ToString();
    }

    public static Task WriteAsync(NetworkStream stream, string text, CancellationToken token) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes(text), token).AsTask();

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
            Task[] handlers;
            lock (_handlers)
            {
                handlers = _handlers.ToArray();
            }
            Task.WaitAll(handlers, TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }
}
