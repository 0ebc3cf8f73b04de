using System;
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

    /// <summary>
    /// libpq reads a --dbname containing '=' or starting with a postgres:// URI as a connection string; such
    /// names are wrapped as dbname='…' so they stay a database name and cannot redirect the connection.
    /// </summary>
    public static string DbnameValue(string database) =>
        database.Contains('=') || database.StartsWith("postgres://", StringComparison.Ordinal) || database.StartsWith("postgresql://", StringComparison.Ordinal)
            ? "dbname='" + database.Replace("\\", "\\\\").Replace("'", "\\'") + "'"
            : database;

}
