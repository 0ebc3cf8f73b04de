using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace CenateBackup.Core.Database;

/// <summary>The plain ways a service runs one SQL text it built on an open connection.</summary>
internal static class ConnectionCommands
{
    /// <summary>Runs <paramref name="sql"/> (the module's own text; Npgsql may cut it at semicolons).</summary>
    public static async Task<int> ExecAsync(this NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs one statement as a batch command of its own: Npgsql sends a batch command without parameters as it is (it
    /// does not cut it at semicolons, as it does a command's text), and the server refuses a prepared statement that
    /// holds two ("cannot insert multiple commands into a prepared statement"). So if the module's lexer and the
    /// server ever disagree on where a statement of a backup's definition ends, the server refuses it instead of
    /// running what followed.
    /// </summary>
    public static async Task ExecOneStatementAsync(this NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(sql));
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The first column of the first row, as a long.</summary>
    public static async Task<long> ScalarLongAsync(this NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>The first column of the first row, as text (null for NULL or no row).</summary>
    public static async Task<string?> ScalarStringAsync(this NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }
}
