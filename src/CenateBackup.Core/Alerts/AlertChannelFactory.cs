using System.Collections.Generic;

namespace CenateBackup.Core.Alerts;

/// <summary>The one place the channels are built from a checked configuration (the destinations are the
/// parameters').</summary>
public static class AlertChannelFactory
{
    /// <summary>One channel per configured destination.</summary>
    public static IReadOnlyList<IAlertChannel> Create(AlertConfiguration configuration)
    {
        System.ArgumentNullException.ThrowIfNull(configuration);
        var timeout = configuration.Dispatch.Timeout;
        var channels = new List<IAlertChannel>();
        if (configuration.Mail is { } mail)
        {
            channels.Add(configuration.MailCredentialError is { } broken
                ? new UnavailableAlertChannel(AlertChannelKind.Mail, AlertTarget.Mail(mail.Server, mail.Port), broken)
                : new MailAlertChannel(mail));
        }
        if (configuration.WebhookUri is { } webhook)
            channels.Add(new WebhookAlertChannel(webhook, configuration.WebhookFormat, configuration.TelegramChatId,
                timeout));
        if (configuration.HeartbeatUri is { } heartbeat) channels.Add(new HeartbeatAlertChannel(heartbeat, timeout));
        if (configuration.StatusPath is { } status) channels.Add(new AlertStatusFile(status));
        return channels;
    }
}
