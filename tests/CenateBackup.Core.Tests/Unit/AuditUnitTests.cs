using System;
using System.Linq;
using CenateBackup.Core.Audit;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class AuditUnitTests
{
    [Fact]
    public void The_scram_verifier_is_what_PostgreSQL_stores_for_that_password_and_salt()
    {
        // Computed independently (RFC 5802/7677: PBKDF2-HMAC-SHA-256, 4096 iterations; StoredKey = SHA-256(HMAC(salted, "Client Key"))).
        Assert.Equal("SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$irtN9rOvw/bxumWGveRmALQE6BTTc6cm5JMvq3x8IqA=:K2BPbBhAhMe5p5EYlC6gFpvfrjFLbMOBlFpCPZCabgU=",
            ProtectionService.ScramVerifier("Cenate-2026!", Enumerable.Range(0, 16).Select(i => (byte)i).ToArray()));
    }

    [Fact]
    public void The_verifier_never_contains_the_password_and_uses_a_fresh_salt()
    {
        const string password = "una-clave-muy-secreta";
        var a = ProtectionService.ScramVerifier(password);
        var b = ProtectionService.ScramVerifier(password);
        Assert.DoesNotContain(password, a, StringComparison.Ordinal);
        Assert.StartsWith("SCRAM-SHA-256$4096:", a, StringComparison.Ordinal);
        Assert.NotEqual(a, b);
    }

    [Theory]
    [InlineData("install-log")]
    [InlineData("install-triggers")]
    public void The_sql_files_are_embedded_and_quote_nothing_themselves(string name)
    {
        var sql = AuditService.ReadSql(name);
        Assert.Contains("{{audit}}", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("cenate_audit.", sql, StringComparison.Ordinal); // the schema always comes from -AuditSchema
    }

    [Fact]
    public void The_trigger_functions_are_security_definer_with_a_fixed_search_path()
    {
        var sql = AuditService.ReadSql("install-log");
        Assert.Equal(3, sql.Split("SECURITY DEFINER SET search_path = pg_catalog, {{audit}}, pg_temp").Length - 1);
        Assert.Contains("REVOKE ALL ON TABLE {{audit}}.audit_log FROM PUBLIC", sql, StringComparison.Ordinal);
    }
}

public class AuditOwnershipUnitTests
{
    [Theory]
    [InlineData("BEGIN NULL; END")]
    [InlineData("a $cenate$ b")]
    [InlineData("$cenate$ $cenate1$ $cenate2$")]
    public void A_dollar_quote_uses_a_tag_that_the_body_does_not_contain(string body)
    {
        var quoted = AuditOwnership.DollarQuote(body);
        var tag = quoted[..(quoted.IndexOf('$', 1) + 1)];
        Assert.Matches("^\\$cenate[0-9]*\\$$", tag);
        Assert.DoesNotContain(tag, body, StringComparison.Ordinal);
        Assert.Equal(tag + body + tag, quoted);
    }

    [Fact]
    public void The_guard_name_is_fixed_for_the_default_schema_and_a_safe_hashed_name_otherwise()
    {
        Assert.Equal("cenate_audit_guard", AuditOwnership.GuardName("cenate_audit"));
        var odd = AuditOwnership.GuardName("au\"d$cenate$\n'x");
        Assert.Matches("^cenate_audit_guard_[0-9a-f]{12}$", odd);
        Assert.Equal(odd, AuditOwnership.GuardName("au\"d$cenate$\n'x"));
        Assert.NotEqual(odd, AuditOwnership.GuardName("au\"d$cenate$\n'y"));
        Assert.True((odd + "_drop").Length <= 63, "event trigger names must fit NAMEDATALEN");
    }

    [Fact]
    public void The_guard_sql_is_embedded_and_takes_its_names_from_placeholders()
    {
        var sql = AuditService.ReadSql("install-guard");
        Assert.Contains("{{guard}}", sql, StringComparison.Ordinal);
        Assert.Contains("{{audit}}.guard_audit_triggers()", sql, StringComparison.Ordinal);
        // No user-chosen name inside a function body: the bodies find the log through their pinned search_path.
        Assert.DoesNotContain("{{audit_name}}", AuditService.ReadSql("install-log"), StringComparison.Ordinal);
    }
}
