using System;
using System.Threading.Tasks;
using CenateBackup.Core.Audit;
using Npgsql;
using Xunit;

namespace CenateBackup.Core.Tests.Integration;

/// <summary>
/// The oracle is PostgreSQL itself: a server given the password in clear hashes it with its own saslprep.c, and the
/// module's verifier computed with the same salt must be byte-identical. Run against every server of the rig.
/// </summary>
public class ScramVerifierServerTests
{
    public static readonly TheoryData<string> Passwords = new()
    {
        "Cenate-2026!",
        "tab\there\u0007bell",        // ASCII, control characters kept (saslprep.c's ASCII shortcut)
        "I\u00ADX",                   // B.1 soft hyphen mapped to nothing
        "\u2168-roman",               // NFKC
        "clave\u00A0con\u3000espacios\u2003", // C.1.2 spaces mapped to U+0020
        "cero\u200Bancho",            // in C.1.2 and B.1: mapped to a space
        "a\uFEFFb\u200Dc\u034Fd",    // more of B.1
        "Jose\u0301-\uFB01\uFF21",    // NFKC composition, ligature, fullwidth
        "\u0627\u0031",               // RFC 4013 example 7: bidi failure, raw bytes
        "\u05D0\u05D1\u05D2",         // RandALCat only
        "\u0627x\u0628",              // RandALCat with LCat: raw bytes
        "sin\u00ADnada\u0007\u00E9",  // control beside non-ASCII: prohibited, raw bytes (the soft hyphen stays)
        "priv\uE000ado",              // C.3: raw bytes
        "\u00AD",                     // empty after mapping: raw bytes
        "nuevo\u0221",                // A.1 unassigned in Unicode 3.2: raw bytes
        "cara\U0001F600",             // an emoji, unassigned in 3.2: raw bytes
        "marca\u200E",                // C.8: raw bytes
        "ñandú Ǆ ﬃ ½ ²",             // assorted compatibility characters
    };

    private static string Env(string name) => Environment.GetEnvironmentVariable(name)
        ?? throw new InvalidOperationException($"Test rig variable {name} is not set: run the tests through scripts/test.sh.");

    private static async Task AssertSameVerifierAsync(int port, string password)
    {
        var cs = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "cenate", Password = Rig.Password, Database = "postgres", Pooling = false };
        await using var conn = new NpgsqlConnection(cs.ConnectionString);
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var role = "cenate_sasl_" + Guid.NewGuid().ToString("N")[..10];
        await using (var cmd = new NpgsqlCommand($"SET LOCAL password_encryption = 'scram-sha-256'; CREATE ROLE {role} PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}'", conn, tx))
            await cmd.ExecuteNonQueryAsync();
        string stored;
        await using (var cmd = new NpgsqlCommand("SELECT rolpassword FROM pg_catalog.pg_authid WHERE rolname = @r", conn, tx))
        {
            cmd.Parameters.AddWithValue("r", role);
            stored = (string)(await cmd.ExecuteScalarAsync())!;
        }
        await tx.RollbackAsync();
        // SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
        var head = stored.Split('$')[1].Split(':');
        var mine = ProtectionService.ScramVerifier(password, Convert.FromBase64String(head[1]), int.Parse(head[0]));
        Assert.Equal(stored, mine);
    }

    [Theory]
    [MemberData(nameof(Passwords))]
    public Task The_verifier_is_the_one_PostgreSQL_15_computes(string password) => AssertSameVerifierAsync(Rig.Port, password);

    [Theory]
    [MemberData(nameof(Passwords))]
    public Task The_verifier_is_the_one_PostgreSQL_14_computes(string password) => AssertSameVerifierAsync(int.Parse(Env("CENATE_TEST_PG14_PORT")), password);

    [Theory]
    [MemberData(nameof(Passwords))]
    public Task The_verifier_is_the_one_PostgreSQL_17_computes(string password) => AssertSameVerifierAsync(int.Parse(Env("CENATE_TEST_PG17_PORT")), password);
}
