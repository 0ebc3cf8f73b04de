using System;
using System.Threading;
using System.Threading.Tasks;

namespace CenateBackup.Core.Alerts;

/// <summary>Where an alert goes.</summary>
public enum AlertChannelKind
{
    /// <summary>E-mail through an SMTP relay (MailKit).</summary>
    Mail,
    /// <summary>An HTTP webhook (JSON, Slack, Teams Workflows, Telegram).</summary>
    Webhook,
    /// <summary>A dead-man's-switch ping (healthchecks style): the URI on success, URI/fail on failure.</summary>
    Heartbeat,
    /// <summary>A small JSON file a monitoring agent reads.</summary>
    StatusFile,
}

/// <summary>What a channel reports after delivering a message.</summary>
public sealed record AlertReceipt
{
    /// <summary>The server's reply (SMTP final reply, HTTP status and the start of the body).</summary>
    public string? Reply { get; init; }
    /// <summary>Mail: true when the connection was encrypted.</summary>
    public bool? Secure { get; init; }
    /// <summary>Mail: the TLS protocol, when encrypted.</summary>
    public string? Protocol { get; init; }
    /// <summary>Something the admin should know although it worked (Auto ended in plain text…).</summary>
    public string? Warning { get; init; }
}

/// <summary>
/// One configured destination. <see cref="SendAsync"/> throws <c>CenateException</c> with
/// <c>ErrorIds.AlertDeliveryFailed</c> (and a specific kind) when the message was not accepted; the message of that
/// exception carries the SMTP/HTTP reason and never a password, token or full webhook URI.
/// </summary>
public interface IAlertChannel
{
    /// <summary>The kind of channel.</summary>
    AlertChannelKind Kind { get; }

    /// <summary>Where it goes, safe to print: smtp://host:port, https://host/… (no path, query or user info).</summary>
    string Target { get; }

    /// <summary>True when an undelivered message is kept in the spool and sent first next time (mail, webhook).</summary>
    bool Spools { get; }

    /// <summary>Delivers one message; honours the token (the cmdlet links its Ctrl+C and the overall timeout).</summary>
    Task<AlertReceipt> SendAsync(AlertMessage message, CancellationToken cancellationToken);
}
