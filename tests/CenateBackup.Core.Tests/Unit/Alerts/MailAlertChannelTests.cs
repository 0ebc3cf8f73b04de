using System;
using System.Linq;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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

    [Theory]
    [InlineData("admin@x.example, ops@x.example")]
    [InlineData("admin@x.example;ops@x.example")]
    [InlineData("Admin <admin@x.example>, ops@x.example")]
    [InlineData("admin@x.example,")]
    public void TwoAddressesInOneEntry_AreSettingsInvalid(string entry)
    {
        foreach (var o in new[]
        {
            Options with { To = new[] { entry } }, Options with { Cc = new[] { entry } }, Options with { From = entry },
        })
        {
            var ex = Assert.Throws<CenateException>(() => new MailAlertChannel(o));
            Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
            Assert.Contains("one address per entry", ex.Message);
        }
    }

    [Fact]
    public void ACommaInsideAQuotedDisplayName_IsOneAddress()
    {
        var ch = new MailAlertChannel(Options with { To = new[] { "\"Doe, John; Ops\" <john@x.example>" } });
        Assert.Equal("john@x.example", ch.Compose(AlertSamples.Message()).To.Mailboxes.Single().Address);
    }

    public static TheoryData<SslPolicyErrors> AllPolicyErrors()
    {
        var data = new TheoryData<SslPolicyErrors>();
        for (var e = 0; e <= 7; e++)
        {
            data.Add((SslPolicyErrors)e);
        }
        return data;
    }

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    [Theory]
    [MemberData(nameof(AllPolicyErrors))]
    public void AcceptCertificate_WithAPin_OnlyThePinnedCertificate_WhateverTheErrors(SslPolicyErrors errors)
    {
        using var pinned = SelfSigned("relay.example");
        using var other = SelfSigned("relay.example");
        foreach (var pin in new[] { CertificatePin.Sha256(pinned), CertificatePin.Sha1(pinned) })
        {
            Assert.True(MailAlertChannel.AcceptCertificate(pinned, errors, pin));
            Assert.False(MailAlertChannel.AcceptCertificate(other, errors, pin));
            Assert.False(MailAlertChannel.AcceptCertificate(null, errors, pin));
        }
    }

    [Theory]
    [MemberData(nameof(AllPolicyErrors))]
    public void AcceptCertificate_WithoutAPin_OnlyWithoutErrors(SslPolicyErrors errors)
    {
        using var cert = SelfSigned("relay.example");
        Assert.Equal(errors == SslPolicyErrors.None, MailAlertChannel.AcceptCertificate(cert, errors, null));
    }

    [Theory]
    [InlineData(MailSecurity.Auto, MailKit.Security.SecureSocketOptions.Auto)]
    [InlineData(MailSecurity.StartTls, MailKit.Security.SecureSocketOptions.StartTls)]
    [InlineData(MailSecurity.SslOnConnect, MailKit.Security.SecureSocketOptions.SslOnConnect)]
    [InlineData(MailSecurity.None, MailKit.Security.SecureSocketOptions.None)]
    public void Security_MapsToMailKit(MailSecurity security, MailKit.Security.SecureSocketOptions expected) =>
        Assert.Equal(expected, MailAlertChannel.Map(security));
}
