using System.Globalization;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using Npgsql;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Restores;

/// <summary>LockTimeout: what a table restore says when a lock it needs was not granted within -LockTimeout.</summary>
internal static class LockTimeoutError
{
    /// <summary>
    /// 55P03: a lock was not granted within -LockTimeout. The transaction has rolled back (nothing changed); the message names
    /// the sessions holding the table, looked up now, best effort.
    /// </summary>
    public static async Task<CenateException> CreateAsync(NpgsqlConnection conn, TableRestoreRequest request, string table,
        PostgresException ex)
    {
        var schema = request.Schema ?? table[..table.IndexOf('.')];
        var regclass = QualifiedTable.Quote(schema) + "." + QualifiedTable.Quote(request.Table);
        var holders = await LiveTableReader.LockHoldersAsync(conn, regclass).ConfigureAwait(false);
        var seconds = request.LockTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        return new CenateException(ErrorIds.LockTimeout, CenateErrorKind.ResourceBusy,
            holders is null ? Messages.Format("LockTimeout.Restore", table, seconds)
                : Messages.Format("LockTimeout.Restore.Holders", table, seconds, holders),
            Messages.Format("LockTimeout.Action", table),
            table, ex);
    }
}
