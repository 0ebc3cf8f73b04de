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
/// A connection for the module's catalog and DDL work: the target resolved (container or host), one unpooled
/// session with an empty search_path (every name schema-qualified; pg_catalog is searched implicitly), and the
/// catalog look-ups the audit and restore services share.
/// </summary>
internal sealed class DatabaseSession : IAsyncDisposable
{
    private DatabaseSession(TargetContext context, NpgsqlConnection connection)
    {
        Context = context;
        Connection = connection;
    }

    public TargetContext Context { get; }
    public NpgsqlConnection Connection { get; }
    public DatabaseTarget Target => Context.Target;

    /// <summary>Opens the session; <paramref name="settings"/> are extra SET statements run with the search_path one.</summary>
    public static async Task<DatabaseSession> OpenAsync(DatabaseTarget target, string? pgBinDirectory, IOperationReporter reporter, CancellationToken ct, string? settings = null)
    {
        var context = await TargetContext.OpenAsync(target, pgBinDirectory, reporter, ct).ConfigureAwait(false);
        var conn = new NpgsqlConnection(SnapshotSession.ConnectionString(target, context.Endpoint));
        try
        {
            await conn.OpenAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("SET search_path = ''" + (settings is null ? "" : "; " + settings), conn);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return new DatabaseSession(context, conn);
        }
        catch (NpgsqlException ex)
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            context.Dispose();
            throw PostgresErrors.Translate(ex, target, context.Endpoint);
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            context.Dispose();
            throw;
        }
    }

    /// <summary>Translates a failure of this session into the module's errors.</summary>
    public Exception Translate(Exception ex) => PostgresErrors.Translate(ex, Target, Context.Endpoint);

    /// <summary>An ordinary or partitioned table by name in <paramref name="schema"/> (default public); TableNotFound otherwise.</summary>
    public async Task<QualifiedTable> ResolveTableAsync(string table, string? schema, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE c.relkind IN ('r', 'p') AND c.relname = @t AND n.nspname = COALESCE(@s, 'public')", Connection);
        cmd.Parameters.AddWithValue("t", table);
        cmd.Parameters.AddWithValue("s", (object?)schema ?? DBNull.Value);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (await r.ReadAsync(ct).ConfigureAwait(false)) return new QualifiedTable(r.GetString(0), r.GetString(1));
        var shown = (schema ?? "public") + "." + table;
        throw new CenateException(ErrorIds.TableNotFound, CenateErrorKind.ObjectNotFound, Messages.Format("TableNotFound", shown, Target.Database),
            Messages.Get("TableNotFound.Action"), shown);
    }

    /// <summary>The primary key columns of a table (schema-qualified, quoted), in key order; empty without one.</summary>
    public static async Task<List<string>> PrimaryKeyAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken ct)
    {
        var list = new List<string>();
        await using var cmd = new NpgsqlCommand("SELECT a.attname::text FROM pg_catalog.pg_index i CROSS JOIN LATERAL pg_catalog.unnest(i.indkey) WITH ORDINALITY k(attnum, ord) " +
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE i.indrelid = @t::pg_catalog.regclass AND i.indisprimary ORDER BY k.ord", connection);
        cmd.Parameters.AddWithValue("t", qualifiedTable);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(r.GetString(0));
        return list;
    }

    /// <summary>
    /// True when the table (or a partition or child of it) has a DEFERRABLE unique, primary key or exclusion
    /// constraint: INSERT … ON CONFLICT refuses such a table (55000), so writers are locked out instead.
    /// </summary>
    public static async Task<bool> HasDeferrableUniqueAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("WITH RECURSIVE t AS (SELECT @t::pg_catalog.regclass::pg_catalog.oid AS r " +
            "UNION SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN t ON i.inhparent = t.r) " +
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index x JOIN t ON x.indrelid = t.r WHERE NOT x.indimmediate)", connection);
        cmd.Parameters.AddWithValue("t", qualifiedTable);
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync().ConfigureAwait(false);
        Context.Dispose();
    }
}
