using CenateBackup.Core.Alerts;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Foreign error text loses user info, queries, http paths (tokens) and secret values.</summary>
public class AlertRedactorTests
{
    [Theory]
    [InlineData("POST https://hooks.slack.com/services/T00/B00/XXXXSECRET failed", "XXXXSECRET")]
    [InlineData("https://api.telegram.org/bot123456:ABCSECRET/sendMessage", "ABCSECRET")]
    [InlineData("smtp://admin:Hunter2Secret@relay:587", "Hunter2Secret")]
    [InlineData("https://hc-ping.com/x?apikey=SECRETKEY", "SECRETKEY")]
    [InlineData("Host=db;Username=cenate;Password=S3cr3tPass;", "S3cr3tPass")]
    [InlineData("pwd='two words secret'", "two words secret")]
    [InlineData("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.secretpart", "secretpart")]
    [InlineData("token=abcDEF123secret&x=1", "abcDEF123secret")]
    public void SecretsAreRemoved(string text, string secret)
    {
        var redacted = AlertRedactor.Redact(text);
        Assert.DoesNotContain(secret, redacted, System.StringComparison.Ordinal);
    }

    [Fact]
    public void OrdinaryTextStays()
    {
        Assert.Equal("pg_dump: error: connection to server on port 5432 failed",
            AlertRedactor.Redact("pg_dump: error: connection to server on port 5432 failed"));
        Assert.Equal("https://relay.example/…", AlertRedactor.Redact("https://relay.example/a/b"));
        Assert.Equal("", AlertRedactor.Redact(null));
    }
}
