using System;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// A chat or automation webhook: POSTs <see cref="WebhookPayload"/> as application/json; charset=utf-8. Any 2xx is
/// delivered (Teams Workflows answers 202). The URI is a secret: only <see cref="AlertTarget.Redact"/> of it is shown.
/// For Telegram a chat_id in the URI's query is moved into the body and removed from the URL.
/// </summary>
public sealed class WebhookAlertChannel : IAlertChannel
{
    private readonly Uri _uri;
    private readonly WebhookFormat _format;
    private readonly string? _chatId;
    private readonly TimeSpan _timeout;
    private readonly HttpClient _client;

    /// <summary>A webhook on the shared HTTP client.</summary>
    public WebhookAlertChannel(Uri uri, WebhookFormat format, string? telegramChatId, TimeSpan timeout)
        : this(uri, format, telegramChatId, timeout, AlertHttp.Shared)
    {
    }

    /// <summary>For tests: a webhook on the given client.</summary>
    internal WebhookAlertChannel(Uri uri, WebhookFormat format, string? telegramChatId, TimeSpan timeout,
        HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(uri);
        CheckHttp(uri, "webhook");
        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive.");
        }
        _format = format;
        _timeout = timeout;
        _client = client;
        _uri = uri;
        if (format == WebhookFormat.Telegram)
        {
            var (rest, fromQuery) = TakeQueryParameter(uri, "chat_id");
            _uri = rest;
            _chatId = string.IsNullOrWhiteSpace(telegramChatId) ? fromQuery : telegramChatId.Trim();
            if (string.IsNullOrWhiteSpace(_chatId))
            {
                throw new CenateException(ErrorIds.SettingsInvalid, CenateErrorKind.InvalidArgument,
                    Messages.Get("SettingsInvalid.2"),
                    Messages.Get("SettingsInvalid.Action.2"),
                    AlertTarget.Redact(uri));
            }
        }
        Target = AlertTarget.Redact(uri);
    }

    /// <inheritdoc />
    public AlertChannelKind Kind => AlertChannelKind.Webhook;

    /// <inheritdoc />
    public string Target { get; }

    /// <inheritdoc />
    public bool Spools => true;

    /// <summary>The format.</summary>
    public WebhookFormat Format => _format;

    /// <summary>The URI the request goes to (Telegram: without chat_id). Secret: never print it.</summary>
    internal Uri RequestUri => _uri;

    /// <summary>The Telegram chat id in use.</summary>
    internal string? ChatId => _chatId;

    /// <inheritdoc />
    public Task<AlertReceipt> SendAsync(AlertMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var json = WebhookPayload.Build(message, _format, _chatId);
        var content = new StringContent(json, new UTF8Encoding(false), "application/json");
        return AlertHttp.PostAsync(_client, _uri, content, Target, _timeout, cancellationToken);
    }

    /// <summary>Only absolute http and https URIs, without user info.</summary>
    internal static void CheckHttp(Uri uri, string what)
    {
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CenateException(ErrorIds.SettingsInvalid, CenateErrorKind.InvalidArgument,
                Messages.Format("SettingsInvalid.3", what),
                Messages.Get("SettingsInvalid.Action.3"), uri.IsAbsoluteUri ? uri.Scheme + "://…" : null);
        }
        if (uri.UserInfo.Length > 0)
        {
            // Never echo the user info: it is a password.
            throw new CenateException(ErrorIds.SettingsInvalid, CenateErrorKind.InvalidArgument,
                Messages.Format("SettingsInvalid.4", what),
                Messages.Get("SettingsInvalid.Action.4"), AlertTarget.Redact(uri));
        }
    }

    /// <summary>The URI without the named query parameter (all its occurrences), and the parameter's last
    /// value (unescaped), if any. The rest of the query keeps its escaping byte for byte.</summary>
    internal static (Uri Remaining, string? Value) TakeQueryParameter(Uri uri, string name)
    {
        var query = uri.GetComponents(UriComponents.Query, UriFormat.UriEscaped);
        if (query.Length == 0)
        {
            return (uri, null);
        }
        string? value = null;
        var kept = query.Split('&').Where(pair =>
        {
            var eq = pair.IndexOf('=');
            var key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            if (!string.Equals(key, name, StringComparison.Ordinal))
            {
                return pair.Length > 0;
            }
            value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            return false;
        }).ToArray();
        var left = uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.UserInfo | UriComponents.Path,
            UriFormat.UriEscaped);
        var rest = kept.Length == 0 ? left : left + "?" + string.Join("&", kept);
        return (new Uri(rest), string.IsNullOrWhiteSpace(value) ? null : value);
    }
}
