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
    [InlineData("PGPASSWORD=s3cret pg_dump -h db", "s3cret")]
    [InlineData("export DB_PASSWORD=xyzzy1; run", "xyzzy1")]
    [InlineData("access_token=tok123&scope=x", "tok123")]
    [InlineData("refresh_token=rtok9 expired", "rtok9")]
    [InlineData("client_secret=cs77 invalid", "cs77")]
    [InlineData("api_key=ak1 denied", "ak1")]
    [InlineData("apikey: ak2", "ak2")]
    [InlineData("X-Api-Key: ak3", "ak3")]
    [InlineData("{\"password\": \"jsonpw\", \"user\": \"u\"}", "jsonpw")]
    [InlineData("{'db_password':'jsonpw2'}", "jsonpw2")]
    [InlineData("{\"token\":\"with \\\" quote inside\"}", "quote inside")]
    [InlineData("Authorization: Bearer abc", "abc")]
    [InlineData("authorization: basic dXM6cHc=", "dXM6cHc")]
    [InlineData("Authorization=rawcred", "rawcred")]
    [InlineData("Host=x;Password=p4ss;Database=maestro_cenate", "p4ss")]
    [InlineData("Server=x;User Id=u;PWD=p5ss;", "p5ss")]
    [InlineData("password = 'spaced secret'", "spaced secret")]
    [InlineData("SMTP_PASS=pw6 rejected", "pw6")]
    [InlineData("x-auth: authval7", "authval7")]
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

    [Theory]
    [InlineData("42 tokens counted, passwordless login refused")]
    [InlineData("the secrets vault is sealed; password reset needed")]
    [InlineData("pg_dump: error: password authentication failed for user \"cenate\"")]
    [InlineData("author: Ana; keys: 3; tokenizer=default")]
    public void OrdinaryWords_AreNotMangled(string text)
    {
        Assert.Equal(text, AlertRedactor.Redact(text));
    }

    [Fact]
    public void KeyAndStructureStay_OnlyTheValueGoes()
    {
        Assert.Equal("Host=x;Password=***;Database=d", AlertRedactor.Redact("Host=x;Password=p;Database=d"));
        Assert.Equal("{\"password\": ***, \"user\": \"u\"}",
            AlertRedactor.Redact("{\"password\": \"jsonpw\", \"user\": \"u\"}"));
        Assert.Equal("PGPASSWORD=*** pg_dump", AlertRedactor.Redact("PGPASSWORD=s3cret pg_dump"));
        Assert.Equal("Authorization: Bearer *** sent", AlertRedactor.Redact("Authorization: Bearer abc sent"));
    }
}
