using System;
using System.Collections.Generic;
using Npgsql;

namespace CenateBackup.Core.Database;

/// <summary>
/// Which authentication requests of a server the module answers. A server (or something posing as one) that asks for
/// the password in cleartext (pg_hba method <c>password</c>) over a connection that is not TLS is refused before the
/// password leaves this process: every Npgsql connection string is built with it (<see cref="SnapshotSession.ConnectionString"/>),
/// and every pg tool run gets PGREQUIREAUTH (libpq 16 and later honour it; older libpq ignores it, and then the module's
/// own Npgsql session to the same server, which every tool run follows, is what refuses).
/// </summary>
public static class ClientAuthentication
{
    /// <summary>Npgsql RequireAuth without TLS: everything but a cleartext password (trust, md5, SCRAM, GSS, SSPI).</summary>
    public const string WithoutCleartext = "ScramSHA256,MD5,GSS,SSPI,None";

    /// <summary>libpq's require_auth without TLS: anything but a cleartext password.</summary>
    public const string LibpqWithoutCleartext = "!password";

    /// <summary>
    /// The SSL mode that guarantees TLS, when PGSSLMODE asks for one (require, verify-ca, verify-full); null otherwise.
    /// Only then may the server ask for the password in cleartext: it travels encrypted.
    /// </summary>
    public static SslMode? RequiredTls(Func<string, string?>? environment = null)
    {
        var mode = (environment ?? Environment.GetEnvironmentVariable)("PGSSLMODE");
        return mode?.Trim().ToLowerInvariant() switch
        {
            "require" => SslMode.Require,
            "verify-ca" => SslMode.VerifyCA,
            "verify-full" => SslMode.VerifyFull,
            _ => null,
        };
    }

    /// <summary>
    /// True when PGSSLMODE makes the client check the server's certificate (verify-ca, verify-full): only then is a
    /// cleartext password request answered. With "require" the channel is encrypted but the server is not
    /// authenticated, so whoever sits in the middle could ask for the password in cleartext and read it.
    /// </summary>
    public static bool VerifiesServer(Func<string, string?>? environment = null) =>
        RequiredTls(environment) is SslMode.VerifyCA or SslMode.VerifyFull;

    /// <summary>Applies the policy to a connection string: TLS when PGSSLMODE requires it; a cleartext password only to a verified server.</summary>
    public static void Apply(NpgsqlConnectionStringBuilder builder, Func<string, string?>? environment = null)
    {
        if (RequiredTls(environment) is { } tls) builder.SslMode = tls;
        if (!VerifiesServer(environment)) builder.RequireAuth = WithoutCleartext;
    }

    /// <summary>Adds the policy to a pg tool's environment (PGREQUIREAUTH) unless the server's certificate is verified.</summary>
    public static void Apply(IDictionary<string, string> toolEnvironment, Func<string, string?>? environment = null)
    {
        if (!VerifiesServer(environment)) toolEnvironment["PGREQUIREAUTH"] = LibpqWithoutCleartext;
    }

    /// <summary>True when an Npgsql failure is its refusal of an authentication method that the policy excludes.</summary>
    public static bool IsRefusal(Exception ex) =>
        ex.Message.Contains("authentication method is not allowed", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when a libpq tool's stderr says it refused a cleartext password request.</summary>
    public static bool IsToolRefusal(string standardError) =>
        standardError.Contains("server requested a cleartext password", StringComparison.OrdinalIgnoreCase);
}
