using System;
using System.IO;
using System.Net.Sockets;
using CenateBackup.Core.Errors;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Alerts;

/// <summary>What the certificate check saw during one connection (for the message when TLS is refused).</summary>
internal sealed class MailCertificateSeen
{
    /// <summary>SHA-256 of the certificate the server presented, when it presented one.</summary>
    public string? Sha256 { get; set; }
    /// <summary>The chain/name errors .NET reported.</summary>
    public string? Errors { get; set; }
    /// <summary>True when a pin was given and the certificate did not match it.</summary>
    public bool PinMismatch { get; set; }
}

/// <summary>
/// Turns what MailKit and the socket layer throw into <see cref="CenateException"/> with
/// <see cref="ErrorIds.AlertDeliveryFailed"/>, a specific kind, and a reason the admin can act on. The messages
/// carry the server's reply and never the password (MailKit never puts it in an exception).
/// </summary>
internal static class MailErrors
{
    public static CenateException Map(Exception ex, string target, MailCertificateSeen seen, TimeSpan timeout)
    {
        var (kind, reason, action) = Classify(ex, seen, timeout);
        return new CenateException(ErrorIds.AlertDeliveryFailed, kind, reason, action, target, ex);
    }

    public static CenateException Timeout(string target, TimeSpan timeout, Exception? inner) => new(
        ErrorIds.AlertDeliveryFailed, CenateErrorKind.OperationTimeout,
        Messages.Format("Mail.Timeout.Finish", Seconds(timeout)), Messages.Get("Mail.Timeout.Finish.Action"),
            target, inner);

    public static CenateException PlainTextRefused(string target) => new(ErrorIds.AlertDeliveryFailed,
        CenateErrorKind.SecurityError,
        Messages.Get("Mail.PlainTextRefused"), Messages.Get("Mail.PlainTextRefused.Action"), target);

    /// <summary>-Security None with a credential to a server that offers STARTTLS: the password stays home.</summary>
    public static CenateException PlainLoginRefused(string target) => new(ErrorIds.AlertDeliveryFailed,
        CenateErrorKind.SecurityError,
        Messages.Get("Mail.PlainLoginRefused"), Messages.Get("Mail.PlainLoginRefused.Action"), target);

    private static (CenateErrorKind, string, string) Classify(Exception ex, MailCertificateSeen seen, TimeSpan timeout)
    {
        switch (ex)
        {
            case SslHandshakeException:
                return (CenateErrorKind.SecurityError, HandshakeReason(ex, seen),
                    seen.PinMismatch
                        ? Messages.Get("Mail.Handshake.Action.Pin")
                        : Messages.Get("Mail.Handshake.Action"));
            case MailKit.Security.AuthenticationException:
                return (CenateErrorKind.AuthenticationError,
                    Messages.Format("Mail.LoginRefused", OneLine(ex.Message)),
                        Messages.Get("Mail.LoginRefused.Action"));
            case ServiceNotAuthenticatedException:
                return (CenateErrorKind.AuthenticationError,
                    Messages.Format("Mail.LoginRequired", OneLine(ex.Message)),
                        Messages.Get("Mail.LoginRequired.Action"));
            case SmtpCommandException command:
                return (CenateErrorKind.InvalidOperation,
                    command.Mailbox is null
                        ? Messages.Format("Mail.Answered", (int)command.StatusCode, OneLine(command.Message))
                        : Messages.Format("Mail.Answered.For", (int)command.StatusCode, OneLine(command.Message),
                            command.Mailbox.Address),
                    Messages.Get("Mail.Answered.Action"));
            case SmtpProtocolException:
                return (CenateErrorKind.ConnectionError, Messages.Format("Mail.Protocol", OneLine(ex.Message)),
                    Messages.Get("Mail.Protocol.Action"));
            case NotSupportedException when ex.Message.Contains("STARTTLS", StringComparison.OrdinalIgnoreCase):
                return (CenateErrorKind.SecurityError, Messages.Get("Mail.NoStartTls"),
                    Messages.Get("Mail.NoStartTls.Action"));
            case TimeoutException:
                return (CenateErrorKind.OperationTimeout,
                    Messages.Format("Mail.Timeout", Seconds(timeout)), Messages.Get("Mail.Timeout.Action"));
            case SocketException socket:
                return (CenateErrorKind.ConnectionError, Messages.Format("Mail.CannotConnect", OneLine(socket.Message)),
                    Messages.Get("Mail.CannotConnect.Action"));
            case System.Security.Authentication.AuthenticationException:
                return (CenateErrorKind.SecurityError, Messages.Format("Mail.TlsFailed", OneLine(ex.Message)),
                    Messages.Get("Mail.TlsFailed.Action"));
            case IOException:
                return (CenateErrorKind.ConnectionError, Messages.Format("Mail.ConnectionFailed", OneLine(ex.Message)),
                    Messages.Get("Mail.CannotConnect.Action"));
            default:
                return (CenateErrorKind.InvalidOperation, $"{ex.GetType().Name}: {OneLine(ex.Message)}",
                    Messages.Get("Mail.Other.Action"));
        }
    }

    private static string HandshakeReason(Exception ex, MailCertificateSeen seen)
    {
        if (seen.PinMismatch)
        {
            return Messages.Format("Mail.Handshake.PinMismatch", seen.Sha256);
        }
        if (seen.Sha256 is not null)
        {
            return Messages.Format("Mail.Handshake.Untrusted", seen.Errors, seen.Sha256);
        }
        var inner = ex.InnerException is null ? "" : ": " + OneLine(ex.InnerException.Message);
        return Messages.Format("Mail.Handshake.Failed", inner);
    }

    private static string Seconds(TimeSpan t) =>
        t.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>MailKit's messages span lines and bullet lists: one line, at most 300 characters.</summary>
    internal static string OneLine(string text)
    {
        var parts = text.Split(new[] { '\r', '\n' },
            StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = string.Join(" ", parts);
        return line.Length <= 300 ? line : line[..300] + "…";
    }
}
