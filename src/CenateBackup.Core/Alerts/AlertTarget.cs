using System;
using System.Globalization;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// The printable name of an alert destination. A webhook URI is a secret as a whole (Slack's path, Teams' sig=,
/// Telegram's bot token, user info): only its scheme, host and port ever reach a message, error, file or result.
/// </summary>
public static class AlertTarget
{
    /// <summary>scheme://host[:port]/… — never the path, query, fragment or user info.</summary>
    public static string Redact(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
        {
            return "(relative URI)";
        }
        var port = uri.IsDefaultPort || uri.Port < 0 ? "" : ":" + uri.Port.ToString(CultureInfo.InvariantCulture);
        // Host is the bare name or the bracketed IPv6 literal; no user info, no path.
        var bare = (uri.AbsolutePath == "/" || uri.AbsolutePath.Length == 0) && uri.Query.Length == 0
            && uri.Fragment.Length == 0;
        return uri.Scheme + "://" + uri.Host + port + (bare ? "/" : "/…");
    }

    /// <summary>smtp://host:port (an IPv6 literal in brackets).</summary>
    public static string Mail(string server, int port)
    {
        ArgumentNullException.ThrowIfNull(server);
        var host = server.Trim();
        // A user@host or anything after a '/' is not a host name: keep only what a host can be.
        var at = host.LastIndexOf('@');
        if (at >= 0)
        {
            host = host[(at + 1)..];
        }
        var slash = host.IndexOf('/');
        if (slash >= 0)
        {
            host = host[..slash];
        }
        if (host.Contains(':') && !host.StartsWith('['))
        {
            host = "[" + host + "]";
        }
        return "smtp://" + host + ":" + port.ToString(CultureInfo.InvariantCulture);
    }
}
