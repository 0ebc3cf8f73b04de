using System;
using System.Collections.Generic;
using System.Net;

namespace CenateBackup.Core.Alerts;

/// <summary>How the SMTP connection is secured (-Security).</summary>
public enum MailSecurity
{
    /// <summary>STARTTLS required (default, ports 587 and 25).</summary>
    StartTls,
    /// <summary>TLS from the first byte (default on port 465).</summary>
    SslOnConnect,
    /// <summary>Plain text; only when asked for by name.</summary>
    None,
    /// <summary>TLS from the start on 465, else STARTTLS when offered, else plain text (never the default; no AUTH over plain text).</summary>
    Auto,
}

/// <summary>Mail channel settings, resolved from parameters and the settings file.</summary>
public sealed record MailAlertOptions
{
    /// <summary>Relay host name or address.</summary>
    public required string Server { get; init; }
    /// <summary>Port (resolved: 465 for SslOnConnect, 25 for None, else 587 when not given).</summary>
    public required int Port { get; init; }
    /// <summary>Connection security (resolved: SslOnConnect on 465, else StartTls when not given).</summary>
    public required MailSecurity Security { get; init; }
    /// <summary>Sender address.</summary>
    public required string From { get; init; }
    /// <summary>Recipients.</summary>
    public required IReadOnlyList<string> To { get; init; }
    /// <summary>Copy recipients.</summary>
    public IReadOnlyList<string> Cc { get; init; } = Array.Empty<string>();
    /// <summary>Login, or null for none.</summary>
    public NetworkCredential? Credential { get; init; }
    /// <summary>Do not check certificate revocation (a LAN without access to the CA's CRL/OCSP servers).</summary>
    public bool SkipRevocationCheck { get; init; }
    /// <summary>
    /// SHA-1 (40 hex) or SHA-256 (64 hex) of the relay's certificate, normalised (upper case, no separators). A pin accepts
    /// only that certificate, whatever its chain says.
    /// </summary>
    public string? CertificateThumbprint { get; init; }
    /// <summary>Overall limit for connecting, authenticating and sending.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
}
