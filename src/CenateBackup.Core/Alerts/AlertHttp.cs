using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// One POST for the webhook and heartbeat channels: one shared HttpClient (pooled connections, no socket
/// exhaustion; system proxy honoured), a per-call timeout, no redirects (a redirected POST turns into a GET and loses
/// its body), any 2xx is delivered. Whatever comes back is cleaned of the URI's secret parts before it is shown.
/// </summary>
internal static class AlertHttp
{
    private const int ReplyChars = 200;

    internal static readonly HttpClient Shared = Create(NewHandler());

    /// <summary>The shared client's handler. No connect timeout of its own: only the per-call timeout rules (a fixed
    /// connect timeout shorter than it would cut a slow connect early, as a bare cancellation).</summary>
    internal static SocketsHttpHandler NewHandler() => new()
    {
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = System.Threading.Timeout.InfiniteTimeSpan,
    };

    /// <summary>CenateBackup/&lt;Core's informational version, without build metadata&gt;.</summary>
    internal static readonly ProductInfoHeaderValue UserAgent = new("CenateBackup", Version());

    internal static HttpClient Create(HttpMessageHandler handler) =>
        new(handler, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    private static string Version()
    {
        var assembly = typeof(AlertHttp).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "0";
        var plus = version.IndexOf('+');
        return plus > 0 ? version[..plus] : version;
    }

    public static async Task<AlertReceipt> PostAsync(HttpClient client, Uri uri, HttpContent content, string target,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
        request.Headers.UserAgent.Add(UserAgent);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token)
                .ConfigureAwait(false);
            var status = Status(response, uri);
            string shown;
            try
            {
                shown = Clean(await ReadStartAsync(response, linked.Token).ConfigureAwait(false), uri);
            }
            catch (IOException)
            {
                // The body was cut short: the status is what counts.
                shown = "";
            }
            if (response.IsSuccessStatusCode)
            {
                return new AlertReceipt { Reply = shown.Length == 0 ? status : status + ": " + shown };
            }
            throw new CenateException(ErrorIds.AlertDeliveryFailed, KindOf(response.StatusCode),
                Messages.Format((int)response.StatusCode is >= 300 and < 400
                        ? "Http.Answered.Redirect" : "Http.Answered",
                    shown.Length == 0 ? status : status + ": " + shown),
                Messages.Format("Http.Answered.Action", target), target);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex)
        {
            // The per-call timer, or any timeout inside the handler (connect, TLS): not the caller's cancellation.
            throw new CenateException(ErrorIds.AlertDeliveryFailed, CenateErrorKind.OperationTimeout,
                Messages.Format("AlertDeliveryFailed.2", timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)),
                Messages.Get("AlertDeliveryFailed.Action.2"), target, ex);
        }
        catch (HttpRequestException ex)
        {
            var tls = Inner<System.Security.Authentication.AuthenticationException>(ex);
            var kind = tls is not null ? CenateErrorKind.SecurityError : CenateErrorKind.ConnectionError;
            throw new CenateException(ErrorIds.AlertDeliveryFailed, kind, Messages.Format("Http.RequestFailed",
                Why(ex, uri)),
                Messages.Get(tls is not null ? "Http.RequestFailed.Action.Tls" : "AlertDeliveryFailed.Action.3"),
                    target);
        }
        catch (Exception ex) when (ex is not CenateException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new CenateException(ErrorIds.AlertDeliveryFailed, CenateErrorKind.ConnectionError,
                Messages.Format("Http.RequestFailed", Why(ex, uri)),
                Messages.Get("AlertDeliveryFailed.Action.3"), target);
        }
    }

    private static string Why(Exception ex, Uri uri) =>
        Clean(string.Join(": ", Chain(ex).Select(e => e.Message).Distinct()), uri);

    /// <summary>"HTTP 404 Not Found": the reason phrase is the server's text, so it is cleaned like the body; when
    /// nothing is left of it, the standard name.</summary>
    internal static string Status(HttpResponseMessage response, Uri uri)
    {
        var code = (int)response.StatusCode;
        var reason = Clean(response.ReasonPhrase ?? "", uri);
        if (reason.Length == 0 || reason == "…")
        {
            reason = response.StatusCode.ToString();
        }
        return "HTTP " + code.ToString(CultureInfo.InvariantCulture) + " " + reason;
    }

    private static async Task<string> ReadStartAsync(HttpResponseMessage response, CancellationToken token)
    {
        // Only the start matters; a huge or endless body must not hold the alert.
        var stream = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
        var buffer = new byte[4096];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), token).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            read += n;
        }
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    private static CenateErrorKind KindOf(HttpStatusCode code) => (int)code switch
    {
        401 or 403 => CenateErrorKind.AuthenticationError,
        404 or 410 => CenateErrorKind.ObjectNotFound,
        408 or 504 => CenateErrorKind.OperationTimeout,
        409 or 429 => CenateErrorKind.ResourceBusy,
        >= 500 => CenateErrorKind.ResourceUnavailable,
        _ => CenateErrorKind.InvalidOperation,
    };

    private static IEnumerable<Exception> Chain(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    private static T? Inner<T>(Exception ex) where T : Exception => Chain(ex).OfType<T>().FirstOrDefault();

    /// <summary>One line, at most 200 characters, with every secret-looking part of the URI (user info, path
    /// segments, query values, in escaped and unescaped form) replaced by "…": error pages like "Cannot POST
    /// /hooks/&lt;token&gt;" echo the path.</summary>
    internal static string Clean(string text, Uri uri)
    {
        var line = string.Join(" ", text.Split(new[] { '\r', '\n', '\t' },
            StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        foreach (var secret in Secrets(uri).OrderByDescending(s => s.Length))
        {
            line = line.Replace(secret, "…", StringComparison.OrdinalIgnoreCase);
        }
        return line.Length <= ReplyChars ? line : line[..ReplyChars] + "…";
    }

    internal static IEnumerable<string> Secrets(Uri uri)
    {
        var parts = new List<string> { uri.UserInfo, uri.AbsolutePath, uri.PathAndQuery, uri.Query.TrimStart('?') };
        parts.AddRange(uri.AbsolutePath.Split('/'));
        parts.AddRange(uri.Query.TrimStart('?').Split('&').SelectMany(p => p.Split('=')));
        parts.AddRange(uri.UserInfo.Split(':'));
        // Short pieces ("api", "v1", "/") are not secrets and would shred the text.
        return parts.Where(p => p.Length >= 6)
            .SelectMany(p => new[] { p, Uri.UnescapeDataString(p) }).Distinct(StringComparer.Ordinal);
    }
}
