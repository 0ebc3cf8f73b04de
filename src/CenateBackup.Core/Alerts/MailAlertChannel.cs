using System;
using System.Linq;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using MimeKit.Utils;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// Mail through an SMTP relay (MailKit). Trust: with -CertificateThumbprint, only the pinned certificate (SHA-1 or
/// SHA-256) is accepted, whatever .NET thinks of its chain — a pin means "only this certificate"; without one, a
/// certificate is accepted only when .NET finds no fault in it. Never "trust all". -Security Auto is MailKit's Auto
/// (TLS from the start on 465, STARTTLS when offered elsewhere) and may end in plain text; then the password is
/// never sent. The whole exchange is capped by the timeout.
/// </summary>
public sealed class MailAlertChannel : IAlertChannel
{
    private readonly MailAlertOptions _options;
    private readonly string? _pin;
    private readonly MailboxAddress _from;
    private readonly MailboxAddress[] _to;
    private readonly MailboxAddress[] _cc;

    /// <summary>Checks the options (addresses, port, pin); nothing is contacted yet.</summary>
    public MailAlertChannel(MailAlertOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Server))
        {
            throw Invalid("the SMTP server name is empty");
        }
        if (options.Port is < 1 or > 65535)
        {
            throw Invalid($"the SMTP port {options.Port} is not between 1 and 65535");
        }
        if (options.Timeout <= TimeSpan.Zero)
        {
            throw Invalid("the mail timeout must be positive");
        }
        _options = options;
        _pin = options.CertificateThumbprint is null ? null : CertificatePin.Normalize(options.CertificateThumbprint);
        _from = Address(options.From, "From");
        _to = options.To.Select(a => Address(a, "To")).ToArray();
        _cc = options.Cc.Select(a => Address(a, "Cc")).ToArray();
        if (_to.Length == 0)
        {
            throw Invalid("no recipient (To) is given");
        }
        Target = AlertTarget.Mail(options.Server, options.Port);
    }

    /// <inheritdoc />
    public AlertChannelKind Kind => AlertChannelKind.Mail;

    /// <inheritdoc />
    public string Target { get; }

    /// <inheritdoc />
    public bool Spools => true;

    /// <inheritdoc />
    public async Task<AlertReceipt> SendAsync(AlertMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var seen = new MailCertificateSeen();
        using var timeout = new CancellationTokenSource(_options.Timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var client = new SmtpClient
        {
            Timeout = (int)Math.Min(_options.Timeout.TotalMilliseconds, int.MaxValue),
            CheckCertificateRevocation = !_options.SkipRevocationCheck,
            ServerCertificateValidationCallback = (_, cert, _, errors) => Validate(cert, errors, seen),
        };
        try
        {
            var mime = Compose(message);
            await client.ConnectAsync(_options.Server, _options.Port, Map(_options.Security), linked.Token)
                .ConfigureAwait(false);
            string? warning = null;
            if (!client.IsSecure && _options.Security == MailSecurity.Auto)
            {
                if (_options.Credential is not null)
                {
                    await QuietDisconnectAsync(client, cancellationToken).ConfigureAwait(false);
                    throw MailErrors.PlainTextRefused(Target);
                }
                warning = "the server offered no TLS: the alert went in plain text (-Security Auto)";
            }
            if (!client.IsSecure && _options.Security == MailSecurity.None && _options.Credential is not null)
            {
                // None was named, for a relay without TLS; a relay that offers STARTTLS gets no password in clear.
                if (client.Capabilities.HasFlag(SmtpCapabilities.StartTLS))
                {
                    await QuietDisconnectAsync(client, cancellationToken).ConfigureAwait(false);
                    throw MailErrors.PlainLoginRefused(Target);
                }
                warning = "the password went unencrypted: the relay offers no TLS (-Security None)";
            }
            if (_options.Credential is not null)
            {
                await client.AuthenticateAsync(_options.Credential, linked.Token).ConfigureAwait(false);
            }
            var reply = await client.SendAsync(mime, linked.Token).ConfigureAwait(false);
            var receipt = new AlertReceipt
            {
                Reply = MailErrors.OneLine(reply ?? ""),
                Secure = client.IsSecure,
                Protocol = client.IsSecure ? client.SslProtocol.ToString() : null,
                Warning = warning,
            };
            await QuietDisconnectAsync(client, cancellationToken).ConfigureAwait(false);
            return receipt;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex)
        {
            // The timer, or a cancellation inside MailKit or the socket layer: not the caller's.
            throw MailErrors.Timeout(Target, _options.Timeout, ex);
        }
        catch (Exception ex) when (ex is not CenateException && ex is not OperationCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw MailErrors.Map(ex, Target, seen, _options.Timeout);
        }
    }

    /// <summary>The MIME message: text + HTML alternatives and headers a mail filter can sort on.</summary>
    internal MimeMessage Compose(AlertMessage message)
    {
        var mime = new MimeMessage();
        mime.From.Add(_from);
        mime.To.AddRange(_to);
        mime.Cc.AddRange(_cc);
        mime.Subject = message.Subject;
        mime.Date = DateTimeOffset.Now;
        mime.MessageId = MimeUtils.GenerateMessageId(_from.Domain is { Length: > 0 } d ? d : "cenate.invalid");
        mime.Headers.Add("X-Cenate-Job", message.Run.Job);
        mime.Headers.Add("X-Cenate-State", message.IsTest ? "Test" : message.Run.State.ToString());
        mime.Headers.Add("X-Cenate-Run", message.Run.RunId.ToString("D"));
        mime.Body = new BodyBuilder { TextBody = message.Text, HtmlBody = message.Html }.ToMessageBody();
        return mime;
    }

    private bool Validate(X509Certificate? certificate, SslPolicyErrors errors, MailCertificateSeen seen)
    {
        var accepted = AcceptCertificate(certificate, errors, _pin);
        if (!accepted)
        {
            seen.Errors = errors.ToString();
            seen.Sha256 = certificate is null ? null : CertificatePin.Sha256(certificate);
            seen.PinMismatch = _pin is not null && certificate is not null;
        }
        return accepted;
    }

    /// <summary>The trust decision. With a pin: only the pinned certificate, whatever the chain and name errors say
    /// (a self-signed relay is pinned; a CA-signed certificate that is not the pinned one is refused). Without a pin:
    /// only a certificate .NET finds no fault in.</summary>
    internal static bool AcceptCertificate(X509Certificate? certificate, SslPolicyErrors errors, string? pin)
    {
        if (pin is not null)
        {
            return certificate is not null && CertificatePin.Matches(certificate, pin);
        }
        return errors == SslPolicyErrors.None;
    }

    private static async Task QuietDisconnectAsync(SmtpClient client, CancellationToken cancellationToken)
    {
        try
        {
            using var quit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            quit.CancelAfter(TimeSpan.FromSeconds(5));
            await client.DisconnectAsync(true, quit.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The message is delivered (or the refusal decided); a QUIT that fails changes nothing.
        }
    }

    internal static SecureSocketOptions Map(MailSecurity security) => security switch
    {
        MailSecurity.StartTls => SecureSocketOptions.StartTls,
        MailSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        MailSecurity.None => SecureSocketOptions.None,
        // 465: TLS from the start; elsewhere STARTTLS when the server offers it, else plain text.
        _ => SecureSocketOptions.Auto,
    };

    private static MailboxAddress Address(string text, string field)
    {
        if (text is not null && HasSeparator(text))
        {
            throw Invalid($"one address per entry: the {field} entry '{text}' holds more than one (',' or ';'); "
                + "give each address as its own entry");
        }
        if (!string.IsNullOrWhiteSpace(text) && MailboxAddress.TryParse(text, out var address)
            && address.Address.Contains('@'))
        {
            return address;
        }
        throw Invalid($"the {field} address '{text}' is not a mail address");
    }

    /// <summary>A ',' or ';' outside a quoted display name: two addresses in one entry.</summary>
    private static bool HasSeparator(string text)
    {
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && quoted)
            {
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && (c == ',' || c == ';'))
            {
                return true;
            }
        }
        return false;
    }

    private static CenateException Invalid(string why) => new(ErrorIds.SettingsInvalid,
        CenateErrorKind.InvalidArgument, Messages.Format("SettingsInvalid.Mail", why),
            Messages.Get("SettingsInvalid.Mail.Action"));
}
