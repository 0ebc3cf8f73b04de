using System;
using System.IO;
using System.Net.Sockets;
using CenateBackup.Core.Errors;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;

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
        $"the mail server did not finish within {Seconds(timeout)} s",
        "Check that the port speaks the chosen -Security (465 is SslOnConnect, 587 StartTls) and that the relay "
        + "is reachable.", target, inner);

    public static CenateException PlainTextRefused(string target) => new(ErrorIds.AlertDeliveryFailed,
        CenateErrorKind.SecurityError,
        "the server offered no TLS, so the password was not sent (-Security Auto never logs in over plain text)",
        "Use -Security StartTls or SslOnConnect with a relay that offers TLS, or -Security None to allow plain text.",
        target);

    /// <summary>-Security None with a credential to a server that offers STARTTLS: the password stays home.</summary>
    public static CenateException PlainLoginRefused(string target) => new(ErrorIds.AlertDeliveryFailed,
        CenateErrorKind.SecurityError,
        "the server offers STARTTLS, so the password was not sent in plain text (-Security None)",
        "Use -Security StartTls (the default): the relay can encrypt the login.", target);

    private static (CenateErrorKind, string, string) Classify(Exception ex, MailCertificateSeen seen, TimeSpan timeout)
    {
        switch (ex)
        {
            case SslHandshakeException:
                return (CenateErrorKind.SecurityError, HandshakeReason(ex, seen),
                    seen.PinMismatch
                        ? "Check that this is the relay you meant; if its certificate changed, pin the new one."
                        : "Pin the relay's certificate with -CertificateThumbprint <its SHA-256> or fix its chain; use "
                          + "-SkipRevocationCheck when the CA's revocation server cannot be reached.");
            case MailKit.Security.AuthenticationException:
                return (CenateErrorKind.AuthenticationError,
                    $"the server refused the login: {OneLine(ex.Message)}",
                    "Check the user name and password (credential file or password variable).");
            case ServiceNotAuthenticatedException:
                return (CenateErrorKind.AuthenticationError,
                    $"the server requires a login: {OneLine(ex.Message)}",
                    "Give -Credential, or CredentialPath / UserName + PasswordVariable in the settings file.");
            case SmtpCommandException command:
                return (CenateErrorKind.InvalidOperation,
                    $"the server answered {(int)command.StatusCode} {OneLine(command.Message)}"
                    + (command.Mailbox is null ? "" : $" for {command.Mailbox.Address}"),
                    "Check the sender and recipient addresses and what the relay allows this account to send.");
            case SmtpProtocolException:
                return (CenateErrorKind.ConnectionError, $"the SMTP conversation broke: {OneLine(ex.Message)}",
                    "Check that the port speaks SMTP with the chosen -Security.");
            case NotSupportedException when ex.Message.Contains("STARTTLS", StringComparison.OrdinalIgnoreCase):
                return (CenateErrorKind.SecurityError, "the server does not offer STARTTLS",
                    "Use -Security SslOnConnect (port 465) if the relay speaks TLS from the start, or -Security None "
                    + "to allow plain text.");
            case TimeoutException:
                return (CenateErrorKind.OperationTimeout,
                    $"the mail server did not answer within {Seconds(timeout)} s",
                    "Check that the port speaks the chosen -Security (465 is SslOnConnect, 587 StartTls).");
            case SocketException socket:
                return (CenateErrorKind.ConnectionError, $"cannot connect: {OneLine(socket.Message)}",
                    "Check the server name and port and that the relay is running.");
            case System.Security.Authentication.AuthenticationException:
                return (CenateErrorKind.SecurityError, $"TLS failed: {OneLine(ex.Message)}",
                    "Check the relay's TLS settings and the chosen -Security.");
            case IOException:
                return (CenateErrorKind.ConnectionError, $"the connection failed: {OneLine(ex.Message)}",
                    "Check the server name and port and that the relay is running.");
            default:
                return (CenateErrorKind.InvalidOperation, $"{ex.GetType().Name}: {OneLine(ex.Message)}",
                    "Run Send-CenateAlert -Test to check the mail settings.");
        }
    }

    private static string HandshakeReason(Exception ex, MailCertificateSeen seen)
    {
        if (seen.PinMismatch)
        {
            return $"the relay's certificate (SHA-256 {seen.Sha256}) does not match -CertificateThumbprint";
        }
        if (seen.Sha256 is not null)
        {
            return $"the relay's certificate is not trusted ({seen.Errors}); its SHA-256 is {seen.Sha256}: if it is "
                + $"your relay's own certificate, pin it with -CertificateThumbprint {seen.Sha256}, else fix its chain "
                + "(-SkipRevocationCheck when the CA's revocation server cannot be reached)";
        }
        var inner = ex.InnerException is null ? "" : ": " + OneLine(ex.InnerException.Message);
        return "the TLS handshake failed" + inner;
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
