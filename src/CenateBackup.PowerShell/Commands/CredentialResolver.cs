using System;
using System.Management.Automation;
using CenateBackup.Core.Targets;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// The one place a cmdlet turns -Credential/-UserName and the libpq environment into the role and password a
/// <see cref="DatabaseTarget"/> logs in with (the database cmdlets and Test-CenateBackup's drill server alike).
/// </summary>
internal static class CredentialResolver
{
    /// <summary>The role: -Credential's user, else -UserName, else PGUSER, else cenate.</summary>
    public static string User(PSCredential? credential, string? userName)
    {
        var user = credential?.UserName ?? userName ?? Environment.GetEnvironmentVariable("PGUSER")
            ?? DatabaseTarget.DefaultUser;
        // A credential typed as "DOMAIN\\user" is not meaningful to PostgreSQL; keep the user part.
        var slash = user.LastIndexOf('\\');
        return slash >= 0 ? user[(slash + 1)..] : user;
    }

    /// <summary>
    /// The password: -Credential's, else PGPASSWORD as libpq reads it; null when neither gives one (then ~/.pgpass or
    /// PGPASSFILE are read by Npgsql and the pg tools themselves). It leaves the SecureString only here, into memory.
    /// </summary>
    public static string? Password(PSCredential? credential)
    {
        var password = credential is not null
            ? credential.GetNetworkCredential().Password
            : Environment.GetEnvironmentVariable("PGPASSWORD");
        return string.IsNullOrEmpty(password) ? null : password;
    }
}
