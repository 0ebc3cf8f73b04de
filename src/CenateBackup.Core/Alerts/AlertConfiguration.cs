using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Alerts;

/// <summary>The checked, complete settings of one Send-CenateAlert run: which channels, where the files go, how to
/// decide.</summary>
public sealed record AlertConfiguration
{
    /// <summary>The mail channel, when -SmtpServer is set.</summary>
    public MailAlertOptions? Mail { get; init; }
    /// <summary>The webhook, when set.</summary>
    public Uri? WebhookUri { get; init; }
    /// <summary>The webhook's body format.</summary>
    public WebhookFormat WebhookFormat { get; init; }
    /// <summary>Telegram chat id.</summary>
    public string? TelegramChatId { get; init; }
    /// <summary>The heartbeat, when set.</summary>
    public Uri? HeartbeatUri { get; init; }
    /// <summary>The status file, when set.</summary>
    public string? StatusPath { get; init; }
    /// <summary>Where the state and spool files live.</summary>
    public required AlertDispatchOptions Dispatch { get; init; }
    /// <summary>Why the mail channel's credential could not be had (the channel then fails and spools).</summary>
    public CenateException? MailCredentialError { get; init; }

    /// <summary>
    /// Checks <paramref name="settings"/> (parameters over the file) and fills in the defaults. Throws SettingsInvalid
    /// for an incomplete mail channel or a bad value, AlertChannelMissing when no channel is configured.
    /// </summary>
    public static AlertConfiguration Resolve(AlertSettings settings, NetworkCredential? credential, string defaultJob,
        CultureInfo defaultCulture)
    {
        ArgumentNullException.ThrowIfNull(settings);
        const string source = "(parameters and settings file)";
        var job = settings.Job ?? defaultJob;
        if (!AlertSettings.IsValidJob(job))
            throw AlertSettings.Invalid(source,
                $"the job name '{job}' must match ^[A-Za-z0-9][A-Za-z0-9_.-]{{0,63}}$ (it names the state file).");
        foreach (var (name, uri) in new[] { ("WebhookUri", settings.WebhookUri), ("HeartbeatUri",
            settings.HeartbeatUri) })
        {
            if (uri is not null && !AlertSettings.IsHttpUri(uri)) throw AlertSettings.Invalid(source,
                $"{name} must be an absolute http:// or https:// URI.");
        }
        var mail = settings.SmtpServer is null ? null : MailOptions(settings, credential, source);
        var dispatch = new AlertDispatchOptions
        {
            StateDirectory = System.IO.Path.GetFullPath(settings.StateDirectory
                ?? AlertSettings.DefaultStateDirectory()),
            Job = job,
            When = settings.When ?? AlertWhen.Failure,
            Culture = settings.Culture ?? defaultCulture,
            Timeout = settings.Timeout ?? TimeSpan.FromSeconds(30),
        };
        var config = new AlertConfiguration
        {
            Mail = mail,
            WebhookUri = settings.WebhookUri,
            WebhookFormat = settings.WebhookFormat ?? Alerts.WebhookFormat.Json,
            TelegramChatId = settings.TelegramChatId,
            HeartbeatUri = settings.HeartbeatUri,
            StatusPath = settings.StatusPath is null ? null : System.IO.Path.GetFullPath(settings.StatusPath),
            Dispatch = dispatch,
        };
        if (mail is null && config.WebhookUri is null && config.HeartbeatUri is null && config.StatusPath is null)
        {
            throw new CenateException(ErrorIds.AlertChannelMissing, CenateErrorKind.InvalidArgument,
                Messages.Get("AlertChannelMissing"), Messages.Get("AlertChannelMissing.Action"));
        }
        return config;
    }

    private static MailAlertOptions MailOptions(AlertSettings s, NetworkCredential? credential, string source)
    {
        if (string.IsNullOrWhiteSpace(s.From)) throw AlertSettings.Invalid(source,
            "-SmtpServer needs -From (the sender address).");
        var to = (s.To ?? Array.Empty<string>()).Where(t => !string.IsNullOrWhiteSpace(t)).ToList();
        if (to.Count == 0) throw AlertSettings.Invalid(source, "-SmtpServer needs -To (one or more recipients).");
        if (s.Port is int p && (p < 1 || p > 65535)) throw AlertSettings.Invalid(source,
            $"the port {p} is not between 1 and 65535.");
        string? thumbprint = null;
        if (s.CertificateThumbprint is not null)
        {
            thumbprint = AlertSettings.NormaliseThumbprint(s.CertificateThumbprint)
                ?? throw AlertSettings.Invalid(source,
                    "CertificateThumbprint must be 40 (SHA-1) or 64 (SHA-256) hex digits.");
        }
        var security = s.Security ?? (s.Port == 465 ? MailSecurity.SslOnConnect : MailSecurity.StartTls);
        var port = s.Port ?? security switch { MailSecurity.SslOnConnect => 465, MailSecurity.None => 25, _ => 587 };
        return new MailAlertOptions
        {
            Server = s.SmtpServer!,
            Port = port,
            Security = security,
            From = s.From!,
            To = to,
            Cc = (s.Cc ?? Array.Empty<string>()).Where(c => !string.IsNullOrWhiteSpace(c)).ToList(),
            Credential = credential,
            SkipRevocationCheck = s.SkipRevocationCheck ?? false,
            CertificateThumbprint = thumbprint,
            Timeout = s.Timeout ?? TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>UserName + the password in the environment variable PasswordVariable; null when neither is
    /// set.</summary>
    public static NetworkCredential? CredentialFromEnvironment(AlertSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.PasswordVariable is null) return null;
        if (settings.UserName is null)
            throw AlertSettings.Invalid("(settings)", "PasswordVariable needs UserName.");
        var password = Environment.GetEnvironmentVariable(settings.PasswordVariable);
        if (string.IsNullOrEmpty(password))
        {
            throw new CenateException(ErrorIds.PasswordVariableNotSet, CenateErrorKind.InvalidArgument,
                Messages.Format("PasswordVariableNotSet", settings.PasswordVariable),
                Messages.Get("PasswordVariableNotSet.Action"),
                settings.PasswordVariable);
        }
        return new NetworkCredential(settings.UserName, password);
    }

    /// <summary>The channels this configuration names (mail, webhook, heartbeat, status file).</summary>
    public IReadOnlyList<IAlertChannel> CreateChannels() => AlertChannelFactory.Create(this);
}
