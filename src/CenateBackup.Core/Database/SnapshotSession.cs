using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Targets;
using Npgsql;
using CenateBackup.Core.Resources;

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
        string snapshotId, string serverVersion, int serverVersionNum, string? timeZone = null)
    {
        _connection = connection;
        _transaction = transaction;
        _target = target;
        _endpoint = endpoint;
        SnapshotId = snapshotId;
        ServerVersion = serverVersion;
        ServerVersionNum = serverVersionNum;
        TimeZone = timeZone;
    }

    /// <summary>Exported snapshot id (pg_export_snapshot()).</summary>
    public string SnapshotId { get; }
    /// <summary>server_version.</summary>
    public string ServerVersion { get; }
    /// <summary>server_version_num.</summary>
    public int ServerVersionNum { get; }
    /// <summary>The session's TimeZone (how timestamptz prints in what this snapshot's readers write).</summary>
    public string? TimeZone { get; }

    /// <summary>The open connection (its transaction holds the snapshot).</summary>
    internal NpgsqlConnection Connection => _connection;

    /// <summary>Builds a connection string; the password goes only into this in-memory string.</summary>
    public static string ConnectionString(DatabaseTarget target, TcpEndpoint endpoint, int readBufferSize = 1 << 16)
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
            ReadBufferSize = readBufferSize,
            // The literals the module builds (SqlText.Literal) do not depend on it, but a role or database set to
            // 'off' must not change how any text the module sends is read.
            Options = "-c standard_conforming_strings=on",
        };
        if (target.Password is not null) b.Password = target.Password;
        // Every connection of the module is built here: none answers a cleartext password request without TLS.
        ClientAuthentication.Apply(b);
        return b.ConnectionString;
    }

    /// <summary>Connects, opens the transaction and exports the snapshot.</summary>
    public static Task<SnapshotSession> OpenAsync(DatabaseTarget target, TcpEndpoint endpoint, CancellationToken cancellationToken) =>
        OpenCoreAsync(target, endpoint, null, cancellationToken);

    /// <summary>
    /// Connects and opens a transaction that imports <paramref name="snapshotId"/> (exported by another, still open
    /// session): everything read here is the same moment as there. Its buffers suit bulk COPY.
    /// </summary>
    public static Task<SnapshotSession> ImportAsync(DatabaseTarget target, TcpEndpoint endpoint, string snapshotId, CancellationToken cancellationToken)
    {
        // The id goes into SQL text (SET TRANSACTION SNAPSHOT takes no parameters): accept only its documented shape.
        if (!System.Text.RegularExpressions.Regex.IsMatch(snapshotId, "^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$"))
        {
            throw new ArgumentException($"'{snapshotId}' is not a snapshot id.", nameof(snapshotId));
        }
        return OpenCoreAsync(target, endpoint, snapshotId, cancellationToken);
    }

    private static async Task<SnapshotSession> OpenCoreAsync(DatabaseTarget target, TcpEndpoint endpoint, string? importSnapshot, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(ConnectionString(target, endpoint, importSnapshot is null ? 1 << 16 : 1 << 20));
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            var setup = importSnapshot is null
                ? "SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = 0"
                : $"SET TRANSACTION SNAPSHOT '{importSnapshot}'; SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0";
            await using (var ro = new NpgsqlCommand(setup, connection, tx))
            {
                await ro.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            var exportSql = importSnapshot is null ? "pg_export_snapshot()" : "@s::text";
            await using var cmd = new NpgsqlCommand($"SELECT {exportSql}, current_setting('server_version'), " +
                "current_setting('server_version_num')::int, current_setting('TimeZone')", connection, tx);
            if (importSnapshot is not null) cmd.Parameters.AddWithValue("s", importSnapshot);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var session = new SnapshotSession(connection, tx, target, endpoint, reader.GetString(0), reader.GetString(1),
                reader.GetInt32(2), reader.GetString(3));
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
                Messages.Format("AuthenticationFailed.3", target.User, ex.Message),
                Messages.Get("AuthenticationFailed.Action.3"), target.User, ex);
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
            Messages.Format("TableNotFound", shown, _target.Database),
            Messages.Get("TableNotFound.Action.2"), shown);
    }

    /// <summary>
    /// The partitions (at every level) and inheritance children of <paramref name="table"/>, in the snapshot: the tables
    /// that hold the rows count(*) of the table counts. pg_dump --table of a parent dumps the parent alone.
    /// </summary>
    public async Task<IReadOnlyList<QualifiedTable>> DescendantsAsync(QualifiedTable table, CancellationToken cancellationToken)
    {
        const string sql = @"WITH RECURSIVE d AS (
  SELECT i.inhrelid FROM pg_catalog.pg_inherits i
  WHERE i.inhparent = (SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                       WHERE n.nspname = @s AND c.relname = @t)
  UNION SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN d ON i.inhparent = d.inhrelid)
SELECT n.nspname, c.relname FROM d JOIN pg_catalog.pg_class c ON c.oid = d.inhrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') ORDER BY 1, 2";
        var list = new List<QualifiedTable>();
        try
        {
            await using var cmd = new NpgsqlCommand(sql, _connection, _transaction);
            cmd.Parameters.AddWithValue("s", table.Schema);
            cmd.Parameters.AddWithValue("t", table.Name);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                list.Add(new QualifiedTable(reader.GetString(0), reader.GetString(1)));
        }
        catch (NpgsqlException ex)
        {
            throw PostgresErrors.Translate(ex, _target, _endpoint);
        }
        return list;
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

    /// <summary>
    /// Why COPY text written by pg_dump's session would differ from COPY text written by this one, or null when it
    /// would not. pg_dump sets DateStyle ISO, IntervalStyle postgres and extra_float_digits 3 and reads in the server's
    /// encoding; this session (Npgsql) keeps the server's and role's defaults and reads in UTF8. The set's exports are
    /// taken from pg_dump's data (<see cref="Archive.ArchiveTableTap"/>) only when both write the same bytes.
    /// </summary>
    public async Task<string?> CopyTextDiffersFromPgDumpAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT current_setting('DateStyle'), current_setting('IntervalStyle'), " +
                "current_setting('extra_float_digits')::int, current_setting('server_encoding')", _connection, _transaction);
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await r.ReadAsync(cancellationToken).ConfigureAwait(false);
            var (dateStyle, intervalStyle, floatDigits, encoding) = (r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetString(3));
            if (!dateStyle.StartsWith("ISO", StringComparison.OrdinalIgnoreCase)) return $"DateStyle is '{dateStyle}', pg_dump writes ISO";
            if (!string.Equals(intervalStyle, "postgres", StringComparison.OrdinalIgnoreCase)) return $"IntervalStyle is '{intervalStyle}', pg_dump writes postgres";
            // From PostgreSQL 12 on, any extra_float_digits above 0 prints the shortest exact value, as pg_dump's 3 does.
            if (floatDigits < 1 || ServerVersionNum < 120000) return $"extra_float_digits is {floatDigits} on server {ServerVersion}, pg_dump uses 3";
            if (encoding is not ("UTF8" or "SQL_ASCII")) return $"the database encoding is {encoding}, the exports are UTF-8";
            return null;
        }
        catch (NpgsqlException ex)
        {
            throw PostgresErrors.Translate(ex, _target, _endpoint);
        }
    }

    /// <summary>
    /// What an export needs to know about a table, read in this snapshot: its columns in COPY order (dropped and
    /// generated columns left out, as COPY does), whether it is partitioned, the server encoding, size estimates for
    /// progress (summed over the partitions of a partitioned table) and the
    /// setval statements of the sequences it owns (as pg_dump writes them in a data-only dump).
    /// </summary>
    public async Task<TableShape> DescribeTableAsync(QualifiedTable table, CancellationToken cancellationToken)
    {
        const string columnsSql = @"SELECT a.attname FROM pg_catalog.pg_attribute a
WHERE a.attrelid = @oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum";
        // A partitioned table (relkind 'p') has no storage and reltuples -1/0: sum over its partitions, at every level.
        const string sizeSql = @"WITH RECURSIVE tree AS (
  SELECT c.oid, c.relkind FROM pg_catalog.pg_class c WHERE c.oid = @oid
  UNION ALL
  SELECT c.oid, c.relkind FROM tree JOIN pg_catalog.pg_inherits i ON i.inhparent = tree.oid
  JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid WHERE tree.relkind = 'p')
SELECT COALESCE(sum(GREATEST(c.reltuples, 0)) FILTER (WHERE t.relkind <> 'p'), 0)::bigint,
  COALESCE(sum(pg_catalog.pg_table_size(c.oid)), 0)::bigint, pg_catalog.current_setting('server_encoding'),
  bool_or(t.relkind = 'p' AND t.oid = @oid)
FROM tree t JOIN pg_catalog.pg_class c ON c.oid = t.oid";
        const string sequencesSql = @"SELECT pg_catalog.format('SELECT pg_catalog.setval(%L, %s, %s);',
  pg_catalog.quote_ident(ps.schemaname) || '.' || pg_catalog.quote_ident(ps.sequencename), COALESCE(ps.last_value, ps.start_value), (ps.last_value IS NOT NULL)::text)
FROM pg_catalog.pg_depend d
JOIN pg_catalog.pg_class sc ON sc.oid = d.objid AND sc.relkind = 'S'
JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
JOIN pg_catalog.pg_sequences ps ON ps.schemaname = sn.nspname AND ps.sequencename = sc.relname
WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
  AND d.refobjid = @oid AND d.deptype IN ('a', 'i') ORDER BY 1";
        try
        {
            uint oid;
            await using (var cmd = new NpgsqlCommand("SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = @s AND c.relname = @t", _connection, _transaction))
            {
                cmd.Parameters.AddWithValue("s", table.Schema);
                cmd.Parameters.AddWithValue("t", table.Name);
                oid = (uint)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            }
            var columns = new List<string>();
            await using (var cmd = new NpgsqlCommand(columnsSql, _connection, _transaction))
            {
                cmd.Parameters.Add(new NpgsqlParameter("oid", NpgsqlTypes.NpgsqlDbType.Oid) { Value = oid });
                await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false)) columns.Add(r.GetString(0));
            }
            long rows, bytes;
            string encoding;
            bool partitioned;
            await using (var cmd = new NpgsqlCommand(sizeSql, _connection, _transaction))
            {
                cmd.Parameters.Add(new NpgsqlParameter("oid", NpgsqlTypes.NpgsqlDbType.Oid) { Value = oid });
                await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await r.ReadAsync(cancellationToken).ConfigureAwait(false);
                (rows, bytes, encoding, partitioned) = (r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetBoolean(3));
            }
            var setvals = new List<string>();
            await using (var cmd = new NpgsqlCommand(sequencesSql, _connection, _transaction))
            {
                cmd.Parameters.Add(new NpgsqlParameter("oid", NpgsqlTypes.NpgsqlDbType.Oid) { Value = oid });
                await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false)) setvals.Add(r.GetString(0));
            }
            return new TableShape(table, columns, encoding, rows, bytes, setvals) { IsPartitioned = partitioned, Oid = oid };
        }
        catch (NpgsqlException ex)
        {
            throw PostgresErrors.Translate(ex, _target, _endpoint);
        }
    }

    /// <summary>
    /// Keys, indexes, constraints and triggers of the user tables (or of <paramref name="tables"/>) in this snapshot,
    /// and the database's encoding: what the manifest records so a restore drill can check them.
    /// </summary>
    public async Task<(List<Storage.ManifestCatalogObject> Objects, string Encoding)> ReadCatalogAsync(IReadOnlyCollection<string>? tables, CancellationToken cancellationToken)
    {
        try
        {
            var objects = await SchemaCatalog.ReadObjectsAsync(_connection, _transaction, tables, cancellationToken).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("SELECT pg_catalog.pg_encoding_to_char(encoding) FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()", _connection, _transaction);
            var encoding = (string)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            return (objects, encoding);
        }
        catch (NpgsqlException ex)
        {
            throw PostgresErrors.Translate(ex, _target, _endpoint);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try { await _transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false); } catch (Exception) { }
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
