using System;
using System.IO;
using System.Net.Sockets;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Targets;
using Npgsql;
using CenateBackup.Core.Resources;

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
                        Messages.Format("DatabaseNotFound", target.Database, where),
                        Messages.Get("DatabaseNotFound.Action"), target.Database, ex);
                case "28P01":
                case "28000":
                    return new CenateException(ErrorIds.AuthenticationFailed, CenateErrorKind.AuthenticationError,
                        Messages.Format("AuthenticationFailed", where, target.User, pg.SqlState),
                        Messages.Get("AuthenticationFailed.Action"), target.User, ex);
                case "42501":
                    return new CenateException(ErrorIds.InsufficientPrivilege, CenateErrorKind.PermissionDenied,
                        Messages.Format("InsufficientPrivilege", target.User, pg.MessageText),
                        Messages.Get("InsufficientPrivilege.Action"), target.User, ex);
                case "57P01":
                case "57P02":
                case "57P03":
                    return new CenateException(ErrorIds.ConnectionLost, CenateErrorKind.ConnectionError,
                        Messages.Format("ConnectionLost", where, pg.MessageText),
                        Messages.Get("ConnectionLost.Action"), where, ex);
                default:
                    return new CenateException(ErrorIds.DatabaseError, CenateErrorKind.InvalidOperation,
                        Messages.Format("DatabaseError", where, pg.SqlState, pg.MessageText), Messages.Get("DatabaseError.Action"), where, ex);
            }
        }
        if (EndedWithoutReason(ex))
        {
            // The socket closed with no error message from the server: the backend was terminated (pg_terminate_backend
            // while its output was queued, a shutdown or a crash). .NET's own text ("Attempted to read past the end of
            // the stream") names none of that.
            return new CenateException(ErrorIds.ConnectionLost, CenateErrorKind.ConnectionError,
                Messages.Format("ConnectionLost.Ended", where), Messages.Get("ConnectionLost.Action.Ended"), where, ex);
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
                    Messages.Format("AuthenticationFailed.2", where, target.User),
                    Messages.Get("AuthenticationFailed.Action.2"), target.User, ex);
            }
            if (npg.InnerException is SocketException or TimeoutException || npg.InnerException?.InnerException is SocketException)
            {
                return new CenateException(ErrorIds.ServerUnreachable, CenateErrorKind.ConnectionError,
                    Messages.Format("ServerUnreachable", where, npg.GetBaseException().Message),
                    Messages.Get("ServerUnreachable.Action"), where, ex);
            }
            return new CenateException(ErrorIds.ConnectionLost, CenateErrorKind.ConnectionError,
                Messages.Format("ConnectionLost.2", where, npg.GetBaseException().Message), Messages.Get("ConnectionLost.Action.2"), where, ex);
        }
        return ex;
    }

    /// <summary>True when the connection's stream ended (an <see cref="EndOfStreamException"/> in the chain).</summary>
    internal static bool EndedWithoutReason(Exception ex)
    {
        if (ex is not (NpgsqlException or IOException)) return false;
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is EndOfStreamException) return true;
        }
        return false;
    }

    /// <summary>The server asked for the password in cleartext and the module did not send it.</summary>
    public static CenateException CleartextRefused(string where, string user, Exception? inner) =>
        new(ErrorIds.CleartextPasswordRefused, CenateErrorKind.AuthenticationError,
            Messages.Format("CleartextPasswordRefused.Database", where, user),
                Messages.Get("CleartextPasswordRefused.Database.Action"),
            where, inner);
}
