using System;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// The body each webhook format receives (pure; see the tests for each shape). Chat formats carry the subject and the
/// short text, escaped for the receiver's markup: Slack (&amp; &lt; &gt;), Telegram HTML (&amp; &lt; &gt; and
/// quotes). Teams Workflows takes an Adaptive Card in a message's attachments.
/// </summary>
public static class WebhookPayload
{
    /// <summary>Telegram's limit on a message's text.</summary>
    public const int TelegramMaxText = 4096;

    /// <summary>The module's own document's version.</summary>
    public const int SchemaVersion = 1;

    // Letters of every language stay as they are (Spanish texts); HTML-sensitive characters are still \u-escaped.
    private static readonly JsonSerializerOptions s_json = new()
    {
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
    };

    /// <summary>The JSON body for the format (UTF-8 text).</summary>
    public static string Build(AlertMessage message, WebhookFormat format, string? telegramChatId)
    {
        ArgumentNullException.ThrowIfNull(message);
        JsonNode node = format switch
        {
            WebhookFormat.Json => Json(message),
            WebhookFormat.Slack => new JsonObject { ["text"] = SlackEscape(message.Subject + "\n" + Body(message)) },
            WebhookFormat.Teams => Teams(message),
            WebhookFormat.Telegram => Telegram(message, telegramChatId),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
        return node.ToJsonString(s_json);
    }

    /// <summary>The short text without its first line when that line is the subject (chat formats show the
    /// subject themselves).</summary>
    internal static string Body(AlertMessage message)
    {
        var text = message.Short.Replace("\r\n", "\n").TrimEnd();
        if (text.StartsWith(message.Subject, StringComparison.Ordinal))
        {
            text = text[message.Subject.Length..].TrimStart('\n');
        }
        return text;
    }

    private static JsonObject Json(AlertMessage m)
    {
        var run = m.Run.Bounded();
        var items = new JsonArray(run.Items.Select(i => (JsonNode)new JsonObject
        {
            ["kind"] = i.Kind,
            ["status"] = i.Status.ToString(),
            ["subject"] = i.Subject,
            ["message"] = i.Message,
            ["errorId"] = i.ErrorId,
            ["database"] = i.Database,
            ["stamp"] = i.Stamp,
            ["path"] = i.Path,
            ["size"] = i.Size,
            ["ageSeconds"] = i.Age is { } age ? (long)Math.Round(age.TotalSeconds) : null,
            ["time"] = i.Time,
        }).ToArray());
        var good = run.LastGoodBackup;
        return new JsonObject
        {
            ["schemaVersion"] = SchemaVersion,
            ["source"] = "CenateBackup",
            ["moduleVersion"] = run.ModuleVersion,
            ["runId"] = run.RunId.ToString("D"),
            ["host"] = run.Host,
            ["job"] = run.Job,
            ["state"] = run.State.ToString(),
            ["change"] = m.Change.ToString(),
            ["test"] = m.IsTest,
            ["delayed"] = m.Delayed,
            ["subject"] = m.Subject,
            ["startedAt"] = run.StartedAt,
            ["endedAt"] = run.EndedAt,
            ["problems"] = new JsonArray(run.Failures.Select(f => (JsonNode?)Problem(f))
                .Concat(run.OmittedFailures > 0 ? new JsonNode?[] { AlertRun.MoreText(run.OmittedFailures) }
                    : Array.Empty<JsonNode?>()).ToArray()),
            ["items"] = items,
            ["omittedItems"] = run.OmittedFailures + run.OmittedOthers,
            ["lastGoodBackup"] = good is null ? null : new JsonObject
            {
                ["database"] = good.Database,
                ["stamp"] = good.Stamp,
                ["path"] = good.Path,
                ["size"] = good.Size,
                ["time"] = good.Time,
            },
        };
    }

    /// <summary>One failure as one line: "subject: message".</summary>
    internal static string Problem(AlertItem item) =>
        string.IsNullOrWhiteSpace(item.Message) ? item.Subject : item.Subject + ": " + item.Message;

    private static JsonObject Teams(AlertMessage m)
    {
        var state = m.IsTest ? "Test" : m.Run.State.ToString();
        var body = new JsonArray
        {
            new JsonObject { ["type"] = "TextBlock", ["text"] = m.Subject, ["weight"] = "Bolder", ["wrap"] = true },
        };
        var text = Body(m);
        if (!string.IsNullOrWhiteSpace(text))
        {
            body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = text, ["wrap"] = true });
        }
        body.Add(new JsonObject
        {
            ["type"] = "FactSet",
            ["facts"] = new JsonArray
            {
                Fact("Host", m.Run.Host), Fact("Job", m.Run.Job), Fact("State", state),
            },
        });
        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray
            {
                new JsonObject
                {
                    ["contentType"] = "application/vnd.microsoft.card.adaptive",
                    ["contentUrl"] = null,
                    ["content"] = new JsonObject
                    {
                        ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
                        ["type"] = "AdaptiveCard",
                        ["version"] = "1.4",
                        ["body"] = body,
                    },
                },
            },
        };
    }

    private static JsonObject Fact(string title, string value) => new() { ["title"] = title, ["value"] = value };

    private static JsonObject Telegram(AlertMessage m, string? chatId)
    {
        if (string.IsNullOrWhiteSpace(chatId))
        {
            throw new CenateException(ErrorIds.SettingsInvalid, CenateErrorKind.InvalidArgument,
                Messages.Get("SettingsInvalid.2"),
                Messages.Get("SettingsInvalid.Action.5"));
        }
        // The subject is cut first so the closing </b> is never lost to the length limit.
        var subject = m.Subject.Length > 512 ? CutAtTextElement(m.Subject, 512) + "…" : m.Subject;
        var text = "<b>" + HtmlEscape(subject) + "</b>\n" + HtmlEscape(Body(m));
        return new JsonObject
        {
            ["chat_id"] = chatId.Trim(),
            ["text"] = TruncateEscaped(text, TelegramMaxText),
            ["parse_mode"] = "HTML",
        };
    }

    /// <summary>The longest start of <paramref name="text"/> of at most <paramref name="max"/> UTF-16 units that
    /// ends on a text-element boundary (never half a surrogate pair or a letter without its accent).</summary>
    internal static string CutAtTextElement(string text, int max)
    {
        var end = 0;
        while (end < text.Length)
        {
            var next = end + StringInfo.GetNextTextElementLength(text, end);
            if (next > max)
            {
                break;
            }
            end = next;
        }
        return text[..end];
    }

    /// <summary>Slack's mrkdwn control characters.</summary>
    internal static string SlackEscape(string text) =>
        text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>Telegram's HTML parse mode: the three it requires, and quotes.</summary>
    internal static string HtmlEscape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;")
        .Replace(">", "&gt;").Replace("\"", "&quot;");

    /// <summary>At most <paramref name="max"/> characters, ending in "…" when cut, never inside an entity
    /// (&amp;…;) or a surrogate pair.</summary>
    internal static string TruncateEscaped(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }
        var cut = max - 1;
        if (char.IsLowSurrogate(text[cut]))
        {
            cut--;
        }
        var amp = text.LastIndexOf('&', cut - 1);
        if (amp >= 0 && text.IndexOf(';', amp) >= cut)
        {
            cut = amp;
        }
        var sb = new StringBuilder(text, 0, cut, max);
        return sb.Append('…').ToString();
    }
}
