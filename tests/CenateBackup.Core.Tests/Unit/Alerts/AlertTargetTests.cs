using System;
using CenateBackup.Core.Alerts;
using Xunit;

namespace CenateBackup.Core.Tests.Unit.Alerts;

public sealed class AlertTargetTests
{
    [Theory]
    [InlineData("https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX", "https://hooks.slack.com/…")]
    [InlineData("https://api.telegram.org/bot123456:AAHsecret/sendMessage?chat_id=-100",
        "https://api.telegram.org/…")]
    [InlineData("https://prod-01.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=1"
        + "&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SECRETSIG", "https://prod-01.westus.logic.azure.com/…")]
    [InlineData("http://user:pa55word@127.0.0.1:8080/ping/uuid#frag", "http://127.0.0.1:8080/…")]
    [InlineData("http://user:pa55word@hc.example/", "http://hc.example/")]
    [InlineData("https://hc.example?token=abc", "https://hc.example/…")]
    [InlineData("http://[::1]:9000/x", "http://[::1]:9000/…")]
    public void Redact_KeepsOnlySchemeHostAndPort(string uri, string expected)
    {
        var shown = AlertTarget.Redact(new Uri(uri));
        Assert.Equal(expected, shown);
        foreach (var secret in new[] { "secret", "SECRET", "pa55word", "user", "uuid", "chat_id", "frag", "token" })
        {
            Assert.DoesNotContain(secret, shown);
        }
    }

    [Theory]
    [InlineData("smtp.example.org", 587, "smtp://smtp.example.org:587")]
    [InlineData("127.0.0.1", 25, "smtp://127.0.0.1:25")]
    [InlineData("::1", 465, "smtp://[::1]:465")]
    [InlineData("alerts:pw@relay.example", 587, "smtp://relay.example:587")]
    public void Mail_IsSmtpHostPort(string server, int port, string expected) =>
        Assert.Equal(expected, AlertTarget.Mail(server, port));
}
