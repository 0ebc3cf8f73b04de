namespace CenateBackup.Core.Alerts;

/// <summary>The body a webhook receives.</summary>
public enum WebhookFormat
{
    /// <summary>The module's own JSON document (schemaVersion 1).</summary>
    Json,
    /// <summary>Slack incoming webhook: {"text": …}.</summary>
    Slack,
    /// <summary>Microsoft Teams Workflows: a message with an Adaptive Card attachment.</summary>
    Teams,
    /// <summary>Telegram Bot API sendMessage: {"chat_id", "text", "parse_mode": "HTML"}.</summary>
    Telegram,
}
