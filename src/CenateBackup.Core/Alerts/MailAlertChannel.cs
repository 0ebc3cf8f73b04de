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

namespace CenateBackup.Core.Alerts;

/// <summary>
/// Mail through an SMTP relay (MailKit). Trust: a certificate is accepted when .NET finds no fault in it, or when it
/// is the pinned one (SHA-1 or SHA-256) — never "trust all". -Security Auto may end in plain text (MailKit's
/// StartTlsWhenAvailable); then the password is never sent. The whole exchange is capped by the timeout.
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
        var mime = Compose(message);
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
            await client.ConnectAsync(_options.Server, _options.Port, Map(_options.Security), linked.Token)
                .ConfigureAwait(false);
            string? warning = null;
            if (!client.IsSecure && _options.Security == MailSecurity.Auto)
            {
                if (_options.Credential is not null)
                {
                    await QuietDisconnectAsync(client).ConfigureAwait(false);
                    throw MailErrors.PlainTextRefused(Target);
                }
                warning = "the server offered no TLS: the alert went in plain text (-Security Auto)";
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
            await QuietDisconnectAsync(client).ConfigureAwait(false);
            return receipt;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested)
        {
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
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        if (certificate is null)
        {
            seen.Errors = errors.ToString();
            return false;
        }
        seen.Sha256 = CertificatePin.Sha256(certificate);
        seen.Errors = errors.ToString();
        if (_pin is null)
        {
            return false;
        }
        var match = CertificatePin.Matches(certificate, _pin);
        seen.PinMismatch = !match;
        return match;
    }

    private static async Task QuietDisconnectAsync(SmtpClient client)
    {
        try
        {
            using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.DisconnectAsync(true, quit.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The message is delivered (or the refusal decided); a QUIT that fails changes nothing.
        }
    }

    private static SecureSocketOptions Map(MailSecurity security) => security switch
    {
        MailSecurity.StartTls => SecureSocketOptions.StartTls,
        MailSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        MailSecurity.None => SecureSocketOptions.None,
        _ => SecureSocketOptions.StartTlsWhenAvailable,
    };

    private static MailboxAddress Address(string text, string field)
    {
        if (!string.IsNullOrWhiteSpace(text) && MailboxAddress.TryParse(text, out var address)
            && address.Address.Contains('@'))
        {
            return address;
        }
        throw Invalid($"the {field} address '{text}' is not a mail address");
    }

    private static CenateException Invalid(string why) => new(ErrorIds.SettingsInvalid,
        CenateErrorKind.InvalidArgument, $"The mail settings cannot be used: {why}.",
        "Give -SmtpServer, -From and -To (or SmtpServer, From, To in the settings file).");
}
