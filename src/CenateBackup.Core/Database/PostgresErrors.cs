using System;
using System.Net.Sockets;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Targets;
using Npgsql;

namespace CenateBackup.Core.Database;

/// <summary>Turns Npgsql failures into <see cref="CenateException"/>s with stable ids and useful advice.</summary>
internal static class PostgresErrors
{
    public static Exception Translate(Exception ex, DatabaseTarget target, TcpEndpoint endpoint)
    {
        var where = $"{endpoint.Host}:{endpoint.Port}";
        if (ex is PostgresException pg)
        {
            switch (pg.SqlState)
            {
                case "3D000":
                    return new CenateException(ErrorIds.DatabaseNotFound, CenateErrorKind.ObjectNotFound,
                        $"Database '{target.Database}' does not exist on the server at {where}.",
                        "Check -Database (list databases with: psql -l).", target.Database, ex);
                case "28P01":
                case "28000":
                    return new CenateException(ErrorIds.AuthenticationFailed, CenateErrorKind.AuthenticationError,
                        $"The server at {where} rejected the login of role '{target.User}' ({pg.SqlState}).",
                        "Check -Credential (or PGPASSWORD/.pgpass) and that pg_hba.conf allows this role from this address.", target.User, ex);
                case "42501":
                    return new CenateException(ErrorIds.InsufficientPrivilege, CenateErrorKind.PermissionDenied,
                        $"Role '{target.User}' lacks a privilege: {pg.MessageText}",
                        "Grant the role SELECT on the tables to back up (or use the owner/a superuser for backups).", target.User, ex);
                case "57P01":
                case "57P02":
                case "57P03":
                    return new CenateException(ErrorIds.ConnectionLost, CenateErrorKind.ConnectionError,
                        $"The server at {where} ended the session: {pg.MessageText}",
                        "Check the server's log; run again when it is available.", where, ex);
                default:
                    return new CenateException(ErrorIds.DatabaseError, CenateErrorKind.InvalidOperation,
                        $"The server at {where} reported {pg.SqlState}: {pg.MessageText}", "See the server log for details.", where, ex);
            }
        }
        if (ex is NpgsqlException && ClientAuthentication.IsRefusal(ex))
        {
            return CleartextRefused(where, target.User, ex);
        }
        if (ex is NpgsqlException npg)
        {
            if (npg.Message.Contains("password", StringComparison.OrdinalIgnoreCase))
            {
                return new CenateException(ErrorIds.AuthenticationFailed, CenateErrorKind.AuthenticationError,
                    $"The server at {where} needs a password for role '{target.User}' and none was given.",
                    "Pass -Credential, or set PGPASSWORD or a .pgpass entry for this server.", target.User, ex);
            }
            if (npg.InnerException is SocketException or TimeoutException || npg.InnerException?.InnerException is SocketException)
            {
                return new CenateException(ErrorIds.ServerUnreachable, CenateErrorKind.ConnectionError,
                    $"No PostgreSQL server answers at {where}: {npg.GetBaseException().Message}",
                    "Check that the server runs and listens there (-Host/-Port), and for a container that it is running.", where, ex);
            }
            return new CenateException(ErrorIds.ConnectionLost, CenateErrorKind.ConnectionError,
                $"The connection to {where} failed: {npg.GetBaseException().Message}", "Check the server and the network, then run again.", where, ex);
        }
        return ex;
    }

    /// <summary>The server asked for the password in cleartext and the module did not send it.</summary>
    public static CenateException CleartextRefused(string where, string user, Exception? inner) =>
        new(ErrorIds.CleartextPasswordRefused, CenateErrorKind.AuthenticationError,
            $"The server at {where} asked for the password of role '{user}' in cleartext (pg_hba.conf method 'password') on a connection without TLS; the password was not sent.",
            "Change that pg_hba.conf line to scram-sha-256 (and set the role's password again with password_encryption = 'scram-sha-256'), or require TLS with PGSSLMODE=require (or verify-full).",
            where, inner);
}
