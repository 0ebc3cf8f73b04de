using System;
using System.Security.Cryptography;

namespace CenateBackup.Core.Database;

/// <summary>SCRAM-SHA-256 password verifiers, as PostgreSQL stores them (shared by the read-only role and the replication role).</summary>
public static class Scram
{
    /// <summary>
    /// The SCRAM-SHA-256 verifier of a password (RFC 5802/7677, 4096 iterations, as PostgreSQL stores it). Sent instead of
    /// the password, so the password itself never reaches the server's statement log. The password goes through
    /// SASLprep exactly as PostgreSQL and libpq prepare it (<see cref="SaslPrep.PasswordBytes(string)"/>).
    /// </summary>
    public static string Verifier(string password, byte[]? salt = null, int iterations = 4096)
    {
        salt ??= RandomNumberGenerator.GetBytes(16);
        var salted = Rfc2898DeriveBytes.Pbkdf2(SaslPrep.PasswordBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }

}
