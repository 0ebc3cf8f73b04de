using System;
using System.Linq;
using System.Text.Json;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using Xunit;

namespace CenateBackup.Core.Tests.Unit.Alerts;

public sealed class WebhookPayloadTests
{
    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public void Json_CarriesTheRunFieldByField()
    {
        var m = AlertSamples.Message(delayed: true);
        var root = Parse(WebhookPayload.Build(m, WebhookFormat.Json, null));
        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("CenateBackup", root.GetProperty("source").GetString());
        Assert.Equal("0.1.0", root.GetProperty("moduleVersion").GetString());
        Assert.Equal("0f8fad5b-d9cb-469f-a165-70867728950e", root.GetProperty("runId").GetString());
        Assert.Equal("db01", root.GetProperty("host").GetString());
        Assert.Equal("nightly", root.GetProperty("job").GetString());
        Assert.Equal("Failure", root.GetProperty("state").GetString());
        Assert.Equal("Failed", root.GetProperty("change").GetString());
        Assert.False(root.GetProperty("test").GetBoolean());
        Assert.True(root.GetProperty("delayed").GetBoolean());
        Assert.Equal(m.Subject, root.GetProperty("subject").GetString());
        Assert.Equal(AlertSamples.Start, root.GetProperty("startedAt").GetDateTimeOffset());
        Assert.Equal(AlertSamples.Start.AddMinutes(7), root.GetProperty("endedAt").GetDateTimeOffset());
        var problems = root.GetProperty("problems").EnumerateArray().Select(p => p.GetString()).ToArray();
        Assert.Equal(new[] { "maestro_cenate 20261130_020000: pg_dump failed: <disk> & \"quota\"" }, problems);

        var items = root.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(2, items.Length);
        var f = items[0];
        Assert.Equal("Backup", f.GetProperty("kind").GetString());
        Assert.Equal("Failed", f.GetProperty("status").GetString());
        Assert.Equal("maestro_cenate 20261130_020000", f.GetProperty("subject").GetString());
        Assert.Equal("pg_dump failed: <disk> & \"quota\"", f.GetProperty("message").GetString());
        Assert.Equal("PgDumpFailed", f.GetProperty("errorId").GetString());
        Assert.Equal("maestro_cenate", f.GetProperty("database").GetString());
        Assert.Equal("20261130_020000", f.GetProperty("stamp").GetString());
        Assert.Equal("/backups/cenate/maestro_cenate_20261130_020000.dump", f.GetProperty("path").GetString());
        Assert.Equal(1234, f.GetProperty("size").GetInt64());
        Assert.Equal(9000, f.GetProperty("ageSeconds").GetInt64());
        Assert.Equal(AlertSamples.Start, f.GetProperty("time").GetDateTimeOffset());
        Assert.Equal("Ok", items[1].GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, items[1].GetProperty("errorId").ValueKind);
        Assert.Equal(JsonValueKind.Null, items[1].GetProperty("size").ValueKind);

        var good = root.GetProperty("lastGoodBackup");
        Assert.Equal("maestro_cenate", good.GetProperty("database").GetString());
        Assert.Equal("20261129_020000", good.GetProperty("stamp").GetString());
        Assert.Equal("/backups/x.dump", good.GetProperty("path").GetString());
        Assert.Equal(99, good.GetProperty("size").GetInt64());
        Assert.Equal(AlertSamples.Start.AddDays(-1), good.GetProperty("time").GetDateTimeOffset());
    }

    [Fact]
    public void Json_SuccessTestRunWithoutGoodBackup()
    {
        var m = AlertSamples.Message(new[] { AlertSamples.GoodVerification }, test: true) with
        {
            Run = AlertSamples.Message().Run with
            {
                Items = new[] { AlertSamples.GoodVerification }, LastGoodBackup = null,
            },
        };
        var root = Parse(WebhookPayload.Build(m, WebhookFormat.Json, null));
        Assert.Equal("Success", root.GetProperty("state").GetString());
        Assert.True(root.GetProperty("test").GetBoolean());
        Assert.Empty(root.GetProperty("problems").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("lastGoodBackup").ValueKind);
    }

    [Fact]
    public void Slack_TextIsSubjectAndShortOnce_Escaped()
    {
        var m = AlertSamples.Message();
        var json = WebhookPayload.Build(m, WebhookFormat.Slack, null);
        var root = Parse(json);
        Assert.Equal(new[] { "text" }, root.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("[CenateBackup] FAILED nightly @ db01: maestro_cenate &lt;x&gt; &amp; \"y\"\n"
            + "Backup maestro_cenate: pg_dump failed &lt;disk&gt; &amp; co", root.GetProperty("text").GetString());
    }

    [Fact]
    public void Slack_ShortWithoutTheSubject_GetsTheSubjectPrepended()
    {
        var m = AlertSamples.Message(subject: "S", shortText: "line a\nline b");
        Assert.Equal("S\nline a\nline b", Parse(WebhookPayload.Build(m, WebhookFormat.Slack, null))
            .GetProperty("text").GetString());
    }

    [Fact]
    public void Teams_IsAnAdaptiveCardInAMessagesAttachments()
    {
        var m = AlertSamples.Message();
        var root = Parse(WebhookPayload.Build(m, WebhookFormat.Teams, null));
        Assert.Equal("message", root.GetProperty("type").GetString());
        var att = Assert.Single(root.GetProperty("attachments").EnumerateArray());
        Assert.Equal("application/vnd.microsoft.card.adaptive", att.GetProperty("contentType").GetString());
        Assert.Equal(JsonValueKind.Null, att.GetProperty("contentUrl").ValueKind);
        var card = att.GetProperty("content");
        Assert.Equal("http://adaptivecards.io/schemas/adaptive-card.json", card.GetProperty("$schema").GetString());
        Assert.Equal("AdaptiveCard", card.GetProperty("type").GetString());
        Assert.Equal("1.4", card.GetProperty("version").GetString());
        var body = card.GetProperty("body").EnumerateArray().ToArray();
        Assert.Equal(3, body.Length);
        Assert.Equal("TextBlock", body[0].GetProperty("type").GetString());
        Assert.Equal(m.Subject, body[0].GetProperty("text").GetString());
        Assert.Equal("Bolder", body[0].GetProperty("weight").GetString());
        Assert.True(body[0].GetProperty("wrap").GetBoolean());
        Assert.Equal("Backup maestro_cenate: pg_dump failed <disk> & co", body[1].GetProperty("text").GetString());
        Assert.True(body[1].GetProperty("wrap").GetBoolean());
        Assert.Equal("FactSet", body[2].GetProperty("type").GetString());
        var facts = body[2].GetProperty("facts").EnumerateArray()
            .Select(f => f.GetProperty("title").GetString() + "=" + f.GetProperty("value").GetString()).ToArray();
        Assert.Equal(new[] { "Host=db01", "Job=nightly", "State=Failure" }, facts);
    }

    [Fact]
    public void Telegram_ChatIdTextAndHtmlParseMode_Escaped()
    {
        var m = AlertSamples.Message();
        var root = Parse(WebhookPayload.Build(m, WebhookFormat.Telegram, " -100123 "));
        Assert.Equal(new[] { "chat_id", "text", "parse_mode" }, root.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("-100123", root.GetProperty("chat_id").GetString());
        Assert.Equal("HTML", root.GetProperty("parse_mode").GetString());
        Assert.Equal("<b>[CenateBackup] FAILED nightly @ db01: maestro_cenate &lt;x&gt; &amp; &quot;y&quot;</b>\n"
            + "Backup maestro_cenate: pg_dump failed &lt;disk&gt; &amp; co", root.GetProperty("text").GetString());
    }

    [Fact]
    public void Telegram_WithoutChatId_IsRefused()
    {
        var ex = Assert.Throws<CenateException>(() =>
            WebhookPayload.Build(AlertSamples.Message(), WebhookFormat.Telegram, " "));
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
    }

    [Theory]
    [InlineData("&", 5000)]
    [InlineData("<", 4095)]
    [InlineData("a", 4094)]
    [InlineData("é😀", 3000)]
    [InlineData("x&y<z>\"", 1000)]
    public void Telegram_LongTextIsCutTo4096_NeverInsideAnEntityOrSurrogate(string unit, int repeat)
    {
        var longShort = string.Concat(Enumerable.Repeat(unit, repeat));
        var m = AlertSamples.Message(subject: new string('S', 2000), shortText: longShort);
        var text = Parse(WebhookPayload.Build(m, WebhookFormat.Telegram, "42")).GetProperty("text").GetString()!;
        Assert.True(text.Length <= WebhookPayload.TelegramMaxText, $"length {text.Length}");
        Assert.EndsWith("…", text);
        Assert.StartsWith("<b>" + new string('S', 512) + "…</b>\n", text);
        // Every '&' starts a whole entity; no lone surrogate.
        var body = text[..^1];
        for (var i = body.IndexOf('&'); i >= 0; i = body.IndexOf('&', i + 1))
        {
            var entity = body[i..Math.Min(body.Length, i + 6)];
            Assert.True(entity.StartsWith("&amp;") || entity.StartsWith("&lt;") || entity.StartsWith("&gt;")
                || entity.StartsWith("&quot;"), $"cut entity at {i}: {entity}");
        }
        Assert.False(char.IsHighSurrogate(body[^1]), "a lone high surrogate at the cut");
        Assert.DoesNotContain("<", body.Replace("<b>", "").Replace("</b>", ""));
    }

    [Fact]
    public void Telegram_ShortTextIsNotCut()
    {
        var m = AlertSamples.Message(subject: "S", shortText: "S\nok");
        Assert.Equal("<b>S</b>\nok", Parse(WebhookPayload.Build(m, WebhookFormat.Telegram, "42"))
            .GetProperty("text").GetString());
    }

    [Fact]
    public void TruncateEscaped_ExactLimitIsKept()
    {
        var s = new string('a', 4096);
        Assert.Same(s, WebhookPayload.TruncateEscaped(s, 4096));
        Assert.Equal(new string('a', 4095) + "…", WebhookPayload.TruncateEscaped(s + "b", 4096));
    }
}
