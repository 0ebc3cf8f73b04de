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
