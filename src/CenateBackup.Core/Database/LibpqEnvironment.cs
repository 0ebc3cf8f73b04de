using System.Collections.Generic;
using CenateBackup.Core.Targets;

namespace CenateBackup.Core.Database;

/// <summary>
/// The environment every libpq tool run (pg_dump, pg_restore, psql) gets. It lives beside
/// <see cref="ClientAuthentication"/>, whose policy it applies, so that every feature reaches it without going
/// through another feature.
/// </summary>
public static class LibpqEnvironment
{
    /// <summary>
    /// Environment for the tool: the password (if any), the refusal of cleartext password requests (PGREQUIREAUTH)
    /// and the application name.
    /// </summary>
    public static IReadOnlyDictionary<string, string> For(DatabaseTarget target)
    {
        var env = new Dictionary<string, string> { ["PGAPPNAME"] = "CenateBackup", ["PGCONNECT_TIMEOUT"] = "15" };
        if (target.Password is not null) env["PGPASSWORD"] = target.Password;
        ClientAuthentication.Apply(env);
        return env;
    }
}
