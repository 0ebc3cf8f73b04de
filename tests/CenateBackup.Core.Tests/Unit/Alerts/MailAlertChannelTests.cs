using System;
using System.Linq;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using Xunit;

namespace CenateBackup.Core.Tests.Unit.Alerts;

public sealed class MailAlertChannelTests
{
    private static MailAlertOptions Options => new()
    {
        Server = "smtp.example.org", Port = 587, Security = MailSecurity.StartTls,
        From = "CenateBackup <backup@cenate.example>",
        To = new[] { "admin@cenate.example", "Ops <ops@cenate.example>" }, Cc = new[] { "boss@cenate.example" },
    };

    [Fact]
    public void Target_IsSmtpHostPort_AndMailSpools()
    {
        var ch = new MailAlertChannel(Options);
        Assert.Equal("smtp://smtp.example.org:587", ch.Target);
        Assert.Equal(AlertChannelKind.Mail, ch.Kind);
        Assert.True(ch.Spools);
    }

    [Fact]
    public void Compose_TextAndHtml_HeadersAndRecipients()
    {
        var m = AlertSamples.Message();
        var mime = new MailAlertChannel(Options).Compose(m);
        Assert.Equal(m.Subject, mime.Subject);
        Assert.Equal("backup@cenate.example", mime.From.Mailboxes.Single().Address);
        Assert.Equal(new[] { "admin@cenate.example", "ops@cenate.example" }, mime.To.Mailboxes.Select(a => a.Address));
        Assert.Equal(new[] { "boss@cenate.example" }, mime.Cc.Mailboxes.Select(a => a.Address));
        Assert.Equal("text body", mime.TextBody?.TrimEnd());
        Assert.Equal("<p>html body</p>", mime.HtmlBody?.TrimEnd());
        Assert.Equal("nightly", mime.Headers["X-Cenate-Job"]);
        Assert.Equal("Failure", mime.Headers["X-Cenate-State"]);
        Assert.EndsWith("@cenate.example", mime.MessageId);
        Assert.Equal("Test", new MailAlertChannel(Options).Compose(m with { IsTest = true }).Headers["X-Cenate-State"]);
    }

    [Theory]
    [InlineData("server")]
    [InlineData("port")]
    [InlineData("from")]
    [InlineData("to")]
    [InlineData("noTo")]
    [InlineData("pin")]
    public void BadOptions_AreSettingsInvalid(string what)
    {
        var o = what switch
        {
            "server" => Options with { Server = " " },
            "port" => Options with { Port = 70000 },
            "from" => Options with { From = "not an address" },
            "to" => Options with { To = new[] { "admin@x.example", "nobody" } },
            "noTo" => Options with { To = Array.Empty<string>() },
            _ => Options with { CertificateThumbprint = "abcd" },
        };
        var ex = Assert.Throws<CenateException>(() => new MailAlertChannel(o));
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
        Assert.Equal(CenateErrorKind.InvalidArgument, ex.Kind);
    }
}
