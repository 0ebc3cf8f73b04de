using System;
using System.Linq;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using Xunit;

namespace CenateBackup.Core.Tests.Unit.Alerts;

public sealed class HttpChannelTests
{
    private static readonly Guid Rid = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
    private const string R = "rid=0f8fad5b-d9cb-469f-a165-70867728950e";

    [Theory]
    [InlineData("https://hc-ping.com/abc-uuid", "", "https://hc-ping.com/abc-uuid?" + R)]
    [InlineData("https://hc-ping.com/abc-uuid", "/fail", "https://hc-ping.com/abc-uuid/fail?" + R)]
    [InlineData("https://hc-ping.com/abc-uuid/", "/fail", "https://hc-ping.com/abc-uuid/fail?" + R)]
    [InlineData("https://hc-ping.com/abc-uuid//", "/log", "https://hc-ping.com/abc-uuid/log?" + R)]
    [InlineData("https://hc.example/ping/key/slug?create=1", "/fail",
        "https://hc.example/ping/key/slug/fail?create=1&" + R)]
    [InlineData("https://hc.example/ping/key/slug/?create=1&rid=old", "",
        "https://hc.example/ping/key/slug?create=1&" + R)]
    [InlineData("http://127.0.0.1:8000/", "/fail", "http://127.0.0.1:8000/fail?" + R)]
    [InlineData("http://127.0.0.1:8000", "", "http://127.0.0.1:8000?" + R)]
    [InlineData("https://h.example/a%2Fb/c?x=%2F", "/fail", "https://h.example/a%2Fb/c/fail?x=%2F&" + R)]
    public void PingUri_SuffixAfterTheTrimmedPath_QueryKept_RidAdded(string baseUri, string suffix, string expected) =>
        Assert.Equal(expected, HeartbeatAlertChannel.PingUri(new Uri(baseUri), suffix, Rid).OriginalString);

    [Fact]
    public void PingUri_ByMessage_SuccessFailureTest()
    {
        var b = new Uri("https://hc.example/p/");
        var failure = AlertSamples.Message();
        var success = AlertSamples.Message(new[] { AlertSamples.GoodVerification });
        Assert.Equal("https://hc.example/p/fail?" + R, HeartbeatAlertChannel.PingUri(b, failure).OriginalString);
        Assert.Equal("https://hc.example/p?" + R, HeartbeatAlertChannel.PingUri(b, success).OriginalString);
        Assert.Equal("https://hc.example/p/log?" + R,
            HeartbeatAlertChannel.PingUri(b, failure with { IsTest = true }).OriginalString);
    }

    [Fact]
    public void Telegram_ChatIdFromTheQuery_MovesIntoTheBody()
    {
        var ch = new WebhookAlertChannel(
            new Uri("https://api.telegram.org/botTOKEN123/sendMessage?chat_id=%40my_channel&x=1"),
            WebhookFormat.Telegram, null, TimeSpan.FromSeconds(5));
        Assert.Equal("@my_channel", ch.ChatId);
        Assert.Equal("https://api.telegram.org/botTOKEN123/sendMessage?x=1", ch.RequestUri.OriginalString);
        Assert.Equal("https://api.telegram.org/…", ch.Target);
    }

    [Fact]
    public void Telegram_ParameterWinsOverTheQuery_WhichIsRemovedAnyway()
    {
        var ch = new WebhookAlertChannel(new Uri("https://api.telegram.org/botT/sendMessage?chat_id=1&chat_id=2"),
            WebhookFormat.Telegram, "-100999", TimeSpan.FromSeconds(5));
        Assert.Equal("-100999", ch.ChatId);
        Assert.Equal("https://api.telegram.org/botT/sendMessage", ch.RequestUri.OriginalString);
    }

    [Theory]
    [InlineData("https://api.telegram.org/botT/sendMessage")]
    [InlineData("https://api.telegram.org/botT/sendMessage?chat_id=")]
    [InlineData("https://api.telegram.org/botT/sendMessage?other=1")]
    public void Telegram_WithoutChatId_IsRefusedAtConstruction_WithoutTheToken(string uri)
    {
        var ex = Assert.Throws<CenateException>(() =>
            new WebhookAlertChannel(new Uri(uri), WebhookFormat.Telegram, null, TimeSpan.FromSeconds(5)));
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
        Assert.DoesNotContain("botT", ex.Message + ex.Target);
    }

    [Fact]
    public void OtherFormats_KeepTheQueryByteForByte()
    {
        const string teams = "https://x.logic.azure.com/workflows/a/triggers/manual/paths/invoke?api-version=2016-06-01"
            + "&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=S1g&chat_id=5";
        var ch = new WebhookAlertChannel(new Uri(teams), WebhookFormat.Teams, "7", TimeSpan.FromSeconds(5));
        Assert.Equal(teams, ch.RequestUri.OriginalString);
        Assert.Null(ch.ChatId);
    }

    [Theory]
    [InlineData("ftp://example.org/x")]
    [InlineData("file:///etc/passwd")]
    public void NonHttpSchemes_AreRefused(string uri)
    {
        var u = new Uri(uri);
        Assert.Equal(ErrorIds.SettingsInvalid, Assert.Throws<CenateException>(() =>
            new WebhookAlertChannel(u, WebhookFormat.Json, null, TimeSpan.FromSeconds(1))).ErrorId);
        Assert.Equal(ErrorIds.SettingsInvalid, Assert.Throws<CenateException>(() =>
            new HeartbeatAlertChannel(u, TimeSpan.FromSeconds(1))).ErrorId);
    }

    [Fact]
    public void Clean_RemovesEveryPartOfTheUriAnEchoingServerRepeats()
    {
        var uri = new Uri(
            "https://u5er:pa55word@hooks.example/services/T0SECRET/B0SECRET/XyZsecretTok?sig=SIGVALUE123&a=b");
        var echoed = "Cannot POST /services/T0SECRET/B0SECRET/XyZsecretTok?sig=SIGVALUE123\n unescaped: "
            + Uri.UnescapeDataString("XyZsecretTok") + " user u5er:pa55word sigvalue123";
        var clean = AlertHttp.Clean(echoed, uri);
        foreach (var secret in new[] { "T0SECRET", "B0SECRET", "XyZsecretTok", "SIGVALUE123", "pa55word", "/services" })
        {
            Assert.DoesNotContain(secret, clean, StringComparison.OrdinalIgnoreCase);
        }
        Assert.StartsWith("Cannot POST …", clean);
        Assert.DoesNotContain("\n", clean);
    }

    [Fact]
    public void Clean_CutsTo200Characters()
    {
        var clean = AlertHttp.Clean(new string('x', 1000), new Uri("http://h/"));
        Assert.Equal(201, clean.Length);
        Assert.True(clean.Take(200).All(c => c == 'x'));
    }
}
