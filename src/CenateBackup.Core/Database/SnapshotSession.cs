using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Dumps;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Targets;
using Npgsql;

namespace CenateBackup.Core.Database;

/// <summary>
/// A read-only REPEATABLE READ transaction that exported its snapshot: pg_dump (--snapshot) and any other
/// reader that imports it see exactly the same moment, and row counts taken here describe that moment.
/// The transaction stays open until disposed, which is what keeps the snapshot importable.
/// </summary>
public sealed class SnapshotSession : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly DatabaseTarget _target;
    private readonly TcpEndpoint _endpoint;

    private SnapshotSession(NpgsqlConnection connection, NpgsqlTransaction transaction, DatabaseTarget target, TcpEndpoint endpoint,
        string snapshotId, string serverVersion, int serverVersionNum)
    {
        _connection = connection;
        _transaction = transaction;
        _target = target;
        _endpoint = endpoint;
        SnapshotId = snapshotId;
        ServerVersion = serverVersion;
        ServerVersionNum = serverVersionNum;
    }

    /// <summary>Exported snapshot id (pg_export_snapshot()).</summary>
    public string SnapshotId { get; }
    /// <summary>server_version.</summary>
    public string ServerVersion { get; }
    /// <summary>server_version_num.</summary>
    public int ServerVersionNum { get; }

    /// <summary>Builds a connection string; the password goes only into this in-memory string.</summary>
    public static string ConnectionString(DatabaseTarget target, TcpEndpoint endpoint)
    {
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = endpoint.Host,
            Port = endpoint.Port,
            Database = target.Database,
            Username = target.User,
            ApplicationName = "CenateBackup",
            Timeout = 15,
            CommandTimeout = 0,
            Pooling = false,
            ReadBufferSize = 1 << 16,
        };
        if (target.Password is not null) b.Password = target.Password;
        return b.ConnectionString;
    }

    /// <summary>Connects, opens the transaction and exports the snapshot.</summary>
    public static async Task<SnapshotSession> OpenAsync(DatabaseTarget target, TcpEndpoint endpoint, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(ConnectionString(target, endpoint));
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            await using (var ro = new NpgsqlCommand("SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = 0", connection, tx))
            {
                await ro.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using var cmd = new NpgsqlCommand("SELECT pg_export_snapshot(), current_setting('server_version'), current_setting('server_version_num')::int", connection, tx);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var session = new SnapshotSession(connection, tx, target, endpoint, reader.GetString(0), reader.GetString(1), reader.GetInt32(2));
            return session;
        }
        catch (Exception ex) when (ex is NpgsqlException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw PostgresErrors.Translate(ex, target, endpoint);
        }
        catch (System.IO.IOException ex) when (target.Password is null)
        {
            // Npgsql fails on a PGPASSFILE that cannot be read, where libpq would go on without it.
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new CenateException(ErrorIds.AuthenticationFailed, CenateErrorKind.AuthenticationError,
                $"No password for role '{target.User}': the password file cannot be read ({ex.Message}).",
                "Fix PGPASSFILE (or ~/.pgpass, mode 0600), or pass -Credential.", target.User, ex);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Finds a table by "table" (search_path) or "schema.table", as ordinary or partitioned table.
    /// The name is a bind parameter, never SQL text. Throws TableNotFound.
    /// </summary>
    public async Task<QualifiedTable> ResolveTableAsync(string name, string? schema, CancellationToken cancellationToken)
    {
        var (splitSchema, table) = schema is null ? QualifiedTable.Split(name) : (schema, name);
        const string sql = @"SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r','p') AND c.relname = @t AND ((@s::text IS NULL AND n.nspname = ANY(pg_catalog.current_schemas(false))) OR n.nspname = @s::text)
ORDER BY pg_catalog.array_position(pg_catalog.current_schemas(false), n.nspname) NULLS LAST LIMIT 1";
        try
        {
            await using var cmd = new NpgsqlCommand(sql, _connection, _transaction);
            cmd.Parameters.AddWithValue("t", table);
            cmd.Parameters.AddWithValue("s", (object?)splitSchema ?? DBNull.Value);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return new QualifiedTable(reader.GetString(0), reader.GetString(1));
            }
        }
        catch (NpgsqlException ex)
        {
            throw PostgresErrors.Translate(ex, _target, _endpoint);
        }
        var shown = splitSchema is null ? table : splitSchema + "." + table;
        throw new CenateException(ErrorIds.TableNotFound, CenateErrorKind.ObjectNotFound,
            $"Table '{shown}' does not exist in database '{_target.Database}'.",
            "Check -Table and -Schema (list tables with: psql -c '\\dt *.*').", shown);
    }

    /// <summary>Like <see cref="ResolveTableAsync"/> but returns null when the table is absent.</summary>
    public async Task<QualifiedTable?> TryResolveTableAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await ResolveTableAsync(name, null, cancellationToken).ConfigureAwait(false);
        }
        catch (CenateException ex) when (ex.ErrorId == ErrorIds.TableNotFound)
        {
            return null;
        }
    }

    /// <summary>Exact row count in the snapshot.</summary>
    public async Task<long> CountRowsAsync(QualifiedTable table, CancellationToken cancellationToken)
    {
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM " + table.Sql, _connection, _transaction);
            return (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (NpgsqlException ex)
        {
            throw PostgresErrors.Translate(ex, _target, _endpoint);
        }
    }

    /// <summary>Counts rows of several tables.</summary>
    public async Task<SortedDictionary<string, long>> CountRowsAsync(IEnumerable<QualifiedTable> tables, CancellationToken cancellationToken)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var t in tables)
        {
            counts[t.Display] = await CountRowsAsync(t, cancellationToken).ConfigureAwait(false);
        }
        return counts;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try { await _transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false); } catch (Exception) { }
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
