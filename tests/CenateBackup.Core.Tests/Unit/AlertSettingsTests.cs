using System;
using System.Collections;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Settings data: keys, types, no passwords; defaults of the mail channel; no channel; file trust.</summary>
public class AlertSettingsTests
{
    private static readonly CultureInfo s_en = CultureInfo.GetCultureInfo("en-US");

    private static CenateException Refused(Action action) => Assert.Throws<CenateException>(action);

    [Fact]
    public void FromData_ReadsEveryKey_CaseInsensitively()
    {
        var s = AlertSettings.FromData(new Hashtable
        {
            ["smtpserver"] = "relay", ["PORT"] = 465, ["From"] = "a@b", ["To"] = new object[] { "x@y", "z@y" },
                ["Cc"] = "c@y",
            ["Security"] = "sslonconnect", ["SkipRevocationCheck"] = true, ["CertificateThumbprint"] = new string('a',
                40),
            ["UserName"] = "u", ["PasswordVariable"] = "SMTP_PW", ["CredentialPath"] = "c.xml",
                ["WebhookUri"] = "https://h/x",
            ["WebhookFormat"] = "teams", ["TelegramChatId"] = "1", ["HeartbeatUri"] = "http://h/p",
                ["StatusPath"] = "/tmp/s.json",
            ["StateDirectory"] = "/tmp/st", ["When"] = "change", ["Job"] = "j", ["Culture"] = "es-PE",
                ["Timeout"] = "45s",
        }, "f.psd1");
        Assert.Equal(465, s.Port);
        Assert.Equal(new[] { "x@y", "z@y" }, s.To);
        Assert.Equal(new[] { "c@y" }, s.Cc);
        Assert.Equal(MailSecurity.SslOnConnect, s.Security);
        Assert.Equal(WebhookFormat.Teams, s.WebhookFormat);
        Assert.Equal(AlertWhen.Change, s.When);
        Assert.Equal("es-PE", s.Culture!.Name);
        Assert.Equal(TimeSpan.FromSeconds(45), s.Timeout);
        Assert.Equal(AlertSettings.Keys.Count, new Hashtable().Count + 21);
    }

    [Theory]
    [InlineData("Password")]
    [InlineData("SmtpPassword")]
    [InlineData("smtp_password")]
    [InlineData("Credential")]
    [InlineData("ApiSecret")]
    public void PasswordKeys_AreRefused_WithoutEchoingTheValue(string key)
    {
        var ex = Refused(() => AlertSettings.FromData(new Hashtable { [key] = "Hunter2Value" }, "f.psd1"));
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
        Assert.Contains("credential file", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Hunter2Value", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Smtp", "x", "unknown key 'Smtp'")]
    [InlineData("Port", "abc", "'Port' must be a whole number")]
    [InlineData("Timeout", "45", "bare number")]
    [InlineData("When", "1", "'When' must be one of")]
    [InlineData("WebhookUri", "ftp://h/x", "http:// or https://")]
    [InlineData("HeartbeatUri", "file:///etc/passwd", "http:// or https://")]
    [InlineData("Culture", "xx-NOPE-1", "culture")]
    [InlineData("SkipRevocationCheck", "yes", "$true or $false")]
    public void BadValues_AreSettingsInvalid_NamingTheKey(string key, string value, string expected)
    {
        var ex = Refused(() => AlertSettings.FromData(new Hashtable { [key] = value }, "f.psd1"));
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExplicitParameters_WinOverTheFile()
    {
        var file = new AlertSettings { SmtpServer = "file-relay", From = "f@x", To = new[] { "t@x" },
            When = AlertWhen.Always };
        var merged = new AlertSettings { SmtpServer = "param-relay" }.Over(file);
        Assert.Equal("param-relay", merged.SmtpServer);
        Assert.Equal("f@x", merged.From);
        Assert.Equal(AlertWhen.Always, merged.When);
    }

    [Theory]
    [InlineData(null, null, MailSecurity.StartTls, 587)]
    [InlineData(465, null, MailSecurity.SslOnConnect, 465)]
    [InlineData(25, null, MailSecurity.StartTls, 25)]
    [InlineData(null, MailSecurity.SslOnConnect, MailSecurity.SslOnConnect, 465)]
    [InlineData(null, MailSecurity.None, MailSecurity.None, 25)]
    [InlineData(null, MailSecurity.Auto, MailSecurity.Auto, 587)]
    public void MailDefaults(int? port, MailSecurity? security, MailSecurity expectedSecurity, int expectedPort)
    {
        var c = AlertConfiguration.Resolve(new AlertSettings { SmtpServer = "relay", From = "a@b",
            To = new[] { "c@d" }, Port = port, Security = security },
            null, "job", s_en);
        Assert.Equal(expectedSecurity, c.Mail!.Security);
        Assert.Equal(expectedPort, c.Mail.Port);
    }

    [Fact]
    public void Mail_NeedsFromAndTo_AndNoChannelIsAlertChannelMissing()
    {
        Assert.Equal(ErrorIds.SettingsInvalid, Refused(()
            => AlertConfiguration.Resolve(new AlertSettings { SmtpServer = "r", To = new[] { "x" } }, null, "j",
            s_en)).ErrorId);
        Assert.Equal(ErrorIds.SettingsInvalid, Refused(()
            => AlertConfiguration.Resolve(new AlertSettings { SmtpServer = "r", From = "x" }, null, "j",
            s_en)).ErrorId);
        var missing = Refused(() => AlertConfiguration.Resolve(new AlertSettings { When = AlertWhen.Always }, null,
            "j", s_en));
        Assert.Equal(ErrorIds.AlertChannelMissing, missing.ErrorId);
        Assert.Equal(CenateErrorKind.InvalidArgument, missing.Kind);
    }

    [Theory]
    [InlineData("aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd",
        "AABBCCDDEEFF00112233445566778899AABBCCDD")]
    [InlineData(" 0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789ABCDEF ",
        "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("abc", null)]
    [InlineData("zz23456789abcdef0123456789abcdef01234567", null)]
    public void Thumbprints_AreNormalised_OrRefused(string text, string? expected) => Assert.Equal(expected,
        AlertSettings.NormaliseThumbprint(text));

    [Theory]
    [InlineData("/etc/cenate/jobs/nightly-backup.ps1", "nightly-backup")]
    [InlineData("/x/my job (copy).ps1", "my-job--copy-")]
    [InlineData("/x/..ps1", "cenate")]
    [InlineData(null, "cenate")]
    [InlineData("/x/ñandú.ps1", "cenate")]
    public void DefaultJob_IsTheScriptsNameMadeSafe(string? script, string expected)
    {
        var job = AlertSettings.JobFromScript(script);
        Assert.True(AlertSettings.IsValidJob(job));
        if (expected != "cenate" || script is null) Assert.Equal(expected, job);
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("-x")]
    public void JobNames_ThatAreNotFileNames_AreRefused(string job)
    {
        var ex = Refused(() => AlertConfiguration.Resolve(new AlertSettings { Job = job, StatusPath = "/tmp/s.json" },
            null, "j", s_en));
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
    }

    [Fact]
    public void PasswordVariable_UnsetIsPasswordVariableNotSet_SetGivesTheCredential()
    {
        var name = "CENATE_TEST_PW_" + Guid.NewGuid().ToString("N");
        var settings = new AlertSettings { UserName = "mailer", PasswordVariable = name };
        var ex = Refused(() => AlertConfiguration.CredentialFromEnvironment(settings));
        Assert.Equal(ErrorIds.PasswordVariableNotSet, ex.ErrorId);
        Environment.SetEnvironmentVariable(name, "s3cret");
        try
        {
            var credential = AlertConfiguration.CredentialFromEnvironment(settings)!;
            Assert.Equal("mailer", credential.UserName);
            Assert.Equal("s3cret", credential.Password);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void FileTrust_RefusesGroupWritableSettings_AndReadableCredentials()
    {
        if (OperatingSystem.IsWindows()) return;
        using var dir = new TempDirectory();
        var settings = dir.File("s.psd1");
        File.WriteAllText(settings, "@{}");
        File.SetUnixFileMode(settings,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        AlertFileTrust.RequireSettingsFile(settings);
        File.SetUnixFileMode(settings, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite);
        Assert.Equal(ErrorIds.SettingsFileInsecure, Refused(()
            => AlertFileTrust.RequireSettingsFile(settings)).ErrorId);
        var credential = dir.File("c.xml");
        File.WriteAllText(credential, "<x/>");
        File.SetUnixFileMode(credential, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        AlertFileTrust.RequireCredentialFile(credential);
        File.SetUnixFileMode(credential, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        Assert.Equal(ErrorIds.CredentialFileInsecure, Refused(()
            => AlertFileTrust.RequireCredentialFile(credential)).ErrorId);
        Assert.Equal(AlertFileTrust.CurrentUser(), AlertFileTrust.OwnerOf(credential));
    }
}
