using System;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// A dead-man's switch (healthchecks.io style): POST the short text to the URI on success, to URI/fail on failure,
/// to URI/log for a test (an event that does not change the check's state), each with ?rid=&lt;run id&gt;. The
/// service alerts when pings stop, which catches a machine that died entirely. Not spooled: a late ping is no ping.
/// </summary>
public sealed class HeartbeatAlertChannel : IAlertChannel
{
    private readonly Uri _uri;
    private readonly TimeSpan _timeout;
    private readonly HttpClient _client;

    /// <summary>A heartbeat on the shared HTTP client.</summary>
    public HeartbeatAlertChannel(Uri uri, TimeSpan timeout) : this(uri, timeout, AlertHttp.Shared)
    {
    }

    /// <summary>For tests: a heartbeat on the given client.</summary>
    internal HeartbeatAlertChannel(Uri uri, TimeSpan timeout, HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(uri);
        WebhookAlertChannel.CheckHttp(uri, "heartbeat");
        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive.");
        }
        _uri = uri;
        _timeout = timeout;
        _client = client;
        Target = AlertTarget.Redact(uri);
    }

    /// <inheritdoc />
    public AlertChannelKind Kind => AlertChannelKind.Heartbeat;

    /// <inheritdoc />
    public string Target { get; }

    /// <inheritdoc />
    public bool Spools => false;

    /// <inheritdoc />
    public Task<AlertReceipt> SendAsync(AlertMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var uri = PingUri(_uri, message);
        var content = new StringContent(message.Short, new UTF8Encoding(false), "text/plain");
        return AlertHttp.PostAsync(_client, uri, content, Target, _timeout, cancellationToken);
    }

    /// <summary>The URI for this message: /log for a test, /fail for a failure, else the URI itself.</summary>
    public static Uri PingUri(Uri baseUri, AlertMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var suffix = message.IsTest ? "/log" : message.Run.State == AlertState.Failure ? "/fail" : "";
        return PingUri(baseUri, suffix, message.Run.RunId);
    }

    /// <summary>baseUri's path (trailing '/' removed) + suffix, its query kept (without any rid) + rid.</summary>
    internal static Uri PingUri(Uri baseUri, string suffix, Guid runId)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        var (withoutRid, _) = WebhookAlertChannel.TakeQueryParameter(baseUri, "rid");
        var left = withoutRid.GetComponents(UriComponents.SchemeAndServer | UriComponents.UserInfo,
            UriFormat.UriEscaped);
        var path = withoutRid.GetComponents(UriComponents.Path | UriComponents.KeepDelimiter, UriFormat.UriEscaped)
            .TrimEnd('/');
        var query = withoutRid.GetComponents(UriComponents.Query, UriFormat.UriEscaped);
        var rid = "rid=" + runId.ToString("D");
        return new Uri(left + path + suffix + "?" + (query.Length == 0 ? rid : query + "&" + rid));
    }
}
