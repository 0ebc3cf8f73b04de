using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace CenateBackup.Core.Tests.Integration.Alerts;

/// <summary>One request the recorder received.</summary>
public sealed record RecordedRequest(string Method, string RawUrl, string? ContentType, string? UserAgent, string Body);

/// <summary>What the recorder answers for a path: status, body, an optional delay, an optional Location.</summary>
public sealed record RecorderAnswer(int Status, string Body = "", TimeSpan Delay = default, string? Location = null);

/// <summary>
/// A real HTTP server on 127.0.0.1:56950 (System.Net.HttpListener) for the webhook and heartbeat tests: it records
/// every request (method, path and query, content type, user agent, body) and answers per path prefix; "{url}" in an
/// answer's body is replaced by the request's path and query, like error pages that echo it.
/// </summary>
public sealed class HttpRecorder : IDisposable
{
    public const int Port = 56950;
    public const int ClosedPort = 56951;

    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, RecorderAnswer> _answers = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public HttpRecorder()
    {
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        try
        {
            _listener.Start();
        }
        catch (HttpListenerException ex)
        {
            Assert.Fail($"cannot listen on 127.0.0.1:{Port} (the alert tests own 56940-56959): {ex.Message}");
        }
        _loop = Task.Run(LoopAsync);
    }

    public Uri Base => new($"http://127.0.0.1:{Port}/");

    /// <summary>Answer requests whose path starts with <paramref name="prefix"/> this way (default: 200
    /// "ok").</summary>
    public void Answer(string prefix, RecorderAnswer answer) => _answers[prefix] = answer;

    /// <summary>The requests whose path starts with the prefix, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests(string prefix) =>
        _requests.Where(r => r.RawUrl.StartsWith(prefix, StringComparison.Ordinal)).ToArray();

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            var request = context.Request;
            string body;
            using (var reader = new StreamReader(request.InputStream, Encoding.UTF8))
            {
                body = await reader.ReadToEndAsync().ConfigureAwait(false);
            }
            var rawUrl = request.RawUrl ?? "";
            _requests.Enqueue(new RecordedRequest(request.HttpMethod, rawUrl, request.ContentType,
                request.Headers["User-Agent"], body));
            var answer = _answers.Where(a => rawUrl.StartsWith(a.Key, StringComparison.Ordinal))
                .OrderByDescending(a => a.Key.Length).Select(a => a.Value).FirstOrDefault()
                ?? new RecorderAnswer(200, "ok");
            if (answer.Delay > TimeSpan.Zero)
            {
                await Task.Delay(answer.Delay, _stop.Token).ConfigureAwait(false);
            }
            context.Response.StatusCode = answer.Status;
            if (answer.Location is not null)
            {
                context.Response.RedirectLocation = answer.Location;
            }
            var bytes = Encoding.UTF8.GetBytes(answer.Body.Replace("{url}", rawUrl));
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
            context.Response.Close();
        }
        catch (Exception)
        {
            // A client that gave up (timeout tests) or a stop in progress.
            try
            {
                context.Response.Abort();
            }
            catch (Exception)
            {
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }
}
