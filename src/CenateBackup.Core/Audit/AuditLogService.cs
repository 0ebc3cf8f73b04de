using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Targets;
using Npgsql;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Audit;

/// <summary>One row of the audit log.</summary>
public sealed record AuditEntry(long Id, DateTimeOffset LoggedAt, string Schema, string Table, string Operation, string? OldRow, string? NewRow, long? RowCount,
    string SessionUser, string CurrentUser, string? ApplicationName, string? ClientAddress, string? Statement, long TransactionId, string? OldRowImage = null);

/// <summary>Which log entries.</summary>
public sealed class AuditQuery
{
    /// <summary>The database.</summary>
    public required DatabaseTarget Target { get; init; }
    /// <summary>Audit schema.</summary>
    public string AuditSchema { get; init; } = "cenate_audit";
    /// <summary>Table name (null: every table).</summary>
    public string? Table { get; init; }
    /// <summary>Schema of the table (null: any).</summary>
    public string? Schema { get; init; }
    /// <summary>From (inclusive).</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Until (exclusive).</summary>
    public DateTimeOffset? Until { get; init; }
    /// <summary>DELETE, TRUNCATE or UPDATE (null: all).</summary>
    public IReadOnlyCollection<string>? Operations { get; init; }
    /// <summary>session_user or current_user (null: anyone).</summary>
    public string? User { get; init; }
    /// <summary>Only these entry ids (Restore-CenateDeletedRow from the pipeline).</summary>
    public IReadOnlyCollection<long>? Ids { get; init; }
    /// <summary>At most this many entries (0: no limit).</summary>
    public int First { get; init; }
}

/// <summary>What Restore-CenateDeletedRow did (or would do).</summary>
public sealed class UndeleteResult
{
    /// <summary>schema.table.</summary>
    public string Table { get; set; } = "";
    /// <summary>Logged rows considered.</summary>
    public long Considered { get; set; }
    /// <summary>Rows inserted back.</summary>
    public long Inserted { get; set; }
    /// <summary>Rows skipped: their primary key exists again (or another unique value is taken).</summary>
    public long Skipped { get; set; }
    /// <summary>The SQL.</summary>
    public string Sql { get; set; } = "";
    /// <summary>Columns the logged rows had that the table no longer has: their values stay in the log, not in the table.</summary>
    public List<string> DroppedColumns { get; } = new();
    /// <summary>Of Considered, rows logged before the exact row image existed (an older log): restored from old_row (jsonb).</summary>
    public long FromJson { get; set; }
    /// <summary>The query this plan was made for (what <see cref="AuditLogService.RestoreDeletedAsync(UndeleteResult, IOperationReporter, CancellationToken)"/> carries out).</summary>
    internal AuditQuery? Query { get; set; }
}

/// <summary>Get-CenateAuditLog, Restore-CenateDeletedRow and Remove-CenateAuditLog.</summary>
public static class AuditLogService
{
    private static async Task RequireLogAsync(NpgsqlConnection conn, string auditSchema, DatabaseTarget target, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_catalog.to_regclass(@r) IS NOT NULL", conn);
        cmd.Parameters.AddWithValue("r", QualifiedTable.Quote(auditSchema) + ".audit_log");
        if (!(bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
        {
            throw new CenateException(ErrorIds.AuditLogNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("AuditLogNotFound", auditSchema, target.Database),
                Messages.Get("AuditLogNotFound.Action"), auditSchema);
        }
    }

    /// <summary>
    /// The log belongs to its own NOLOGIN owner role (Install-CenateAuditTrigger): only that role's members and superusers
    /// may read it or purge it. Say so, rather than only which privilege is missing.
    /// </summary>
    private static CenateException NoLogPrivilege(AuditQuery query, PostgresException ex) =>
        new(ErrorIds.InsufficientPrivilege, CenateErrorKind.PermissionDenied,
            Messages.Format("InsufficientPrivilege.AuditLog", query.Target.User, query.AuditSchema, ex.MessageText),
            Messages.Get("InsufficientPrivilege.AuditLog.Action"), query.AuditSchema, ex);

    /// <summary>True when the log has the exact row image (old_row_image, old_row_shape and the shape table).</summary>
    private static async Task<bool> HasImageAsync(NpgsqlConnection conn, string auditSchema, CancellationToken ct)
    {
        var audit = QualifiedTable.Quote(auditSchema);
        await using var cmd = new NpgsqlCommand("SELECT (SELECT count(*) FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass(@log) " +
            "AND attname IN ('old_row_image', 'old_row_shape') AND NOT attisdropped) = 2 AND pg_catalog.to_regclass(@shape) IS NOT NULL", conn);
        cmd.Parameters.AddWithValue("log", audit + ".audit_log");
        cmd.Parameters.AddWithValue("shape", audit + ".audit_row_shape");
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private static (string Where, List<NpgsqlParameter> Parameters) Filter(AuditQuery q)
    {
        var clauses = new List<string>();
        var ps = new List<NpgsqlParameter>();
        void Add(string clause, string name, object value) { clauses.Add(clause); ps.Add(new NpgsqlParameter(name, value)); }
        if (q.Table is not null) Add("table_name = @table", "table", q.Table);
        if (q.Schema is not null) Add("schema_name = @schema", "schema", q.Schema);
        if (q.Since is not null) Add("logged_at >= @since", "since", q.Since.Value.ToUniversalTime());
        if (q.Until is not null) Add("logged_at < @until", "until", q.Until.Value.ToUniversalTime());
        if (q.Operations is { Count: > 0 }) Add("operation = ANY(@ops)", "ops", q.Operations.Select(o => o.ToUpperInvariant()).ToArray());
        if (q.User is not null) Add("(session_user_name = @user OR current_user_name = @user)", "user", q.User);
        if (q.Ids is { Count: > 0 }) Add("id = ANY(@ids)", "ids", q.Ids.ToArray());
        return (clauses.Count == 0 ? "" : " WHERE " + string.Join(" AND ", clauses), ps);
    }

    /// <summary>Reads log entries, oldest first.</summary>
    public static async Task<List<AuditEntry>> GetAsync(AuditQuery query, IOperationReporter reporter, CancellationToken ct)
    {
        await using var session = await DatabaseSession.OpenAsync(query.Target, null, reporter, ct).ConfigureAwait(false);
        var conn = session.Connection;
        try
        {
            await RequireLogAsync(conn, query.AuditSchema, query.Target, ct).ConfigureAwait(false);
            var (where, ps) = Filter(query);
            var image = await HasImageAsync(conn, query.AuditSchema, ct).ConfigureAwait(false) ? "old_row_image" : "NULL::text";
            var sql = "SELECT id, logged_at, schema_name, table_name, operation, old_row::text, new_row::text, row_count, session_user_name, current_user_name, " +
                      $"application_name, host(client_addr), statement, transaction_id, {image} FROM {QualifiedTable.Quote(query.AuditSchema)}.audit_log{where} ORDER BY id" +
                      (query.First > 0 ? " LIMIT " + query.First.ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
            await using var cmd = new NpgsqlCommand(sql, conn);
            cmd.Parameters.AddRange(ps.ToArray());
            var list = new List<AuditEntry>();
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
                list.Add(new AuditEntry(r.GetInt64(0), new DateTimeOffset(r.GetFieldValue<DateTime>(1), TimeSpan.Zero), r.GetString(2), r.GetString(3), r.GetString(4),
                    S(5), S(6), r.IsDBNull(7) ? null : r.GetInt64(7), r.GetString(8), r.GetString(9), S(10), S(11), S(12), r.GetInt64(13), S(14)));
            }
            return list;
        }
        catch (PostgresException ex) when (ex.SqlState == "42501")
        {
            throw NoLogPrivilege(query, ex);
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    /// <summary>
    /// Re-inserts logged deleted (or truncated) rows into their table in one transaction, skipping rows whose primary key
    /// exists again. Every selected entry must belong to one table. The plan counts only: nothing changes.
    /// </summary>
    public static Task<UndeleteResult> PlanRestoreDeletedAsync(AuditQuery query, IOperationReporter reporter, CancellationToken ct) =>
        RestoreDeletedCoreAsync(query, null, reporter, ct);

    /// <summary>Carries out a plan from <see cref="PlanRestoreDeletedAsync"/>: the same rows, or nothing (PlanChanged).</summary>
    public static Task<UndeleteResult> RestoreDeletedAsync(UndeleteResult plan, IOperationReporter reporter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var query = plan.Query ?? throw new ArgumentException("Not a plan made by PlanRestoreDeletedAsync.", nameof(plan));
        return RestoreDeletedCoreAsync(query, plan, reporter, ct);
    }

    private static async Task<UndeleteResult> RestoreDeletedCoreAsync(
        AuditQuery query, UndeleteResult? confirmed, IOperationReporter reporter, CancellationToken ct)
    {
        await using var session = await DatabaseSession.OpenAsync(query.Target, null, reporter, ct).ConfigureAwait(false);
        var conn = session.Connection;
        try
        {
            await RequireLogAsync(conn, query.AuditSchema, query.Target, ct).ConfigureAwait(false);
            var log = QualifiedTable.Quote(query.AuditSchema) + ".audit_log";
            var (where, ps) = Filter(query);
            var rowsWhere = (where.Length == 0 ? " WHERE " : where + " AND ") +
                "operation IN ('DELETE', 'TRUNCATE') AND old_row IS NOT NULL";
            var table = await DeletedRowsTableAsync(conn, log, rowsWhere, ps, ct).ConfigureAwait(false);
            var columns = await ColumnsAsync(conn, table, ct).ConfigureAwait(false);
            var pk = await DatabaseSession.PrimaryKeyAsync(conn, table.Sql, ct).ConfigureAwait(false);
            if (pk.Count == 0)
            {
                throw new CenateException(ErrorIds.NoPrimaryKey, CenateErrorKind.InvalidOperation,
                    Messages.Format("NoPrimaryKey.2", table.Display),
                    Messages.Get("NoPrimaryKey.Action.2"), table.Display);
            }
            var hasImage = await HasImageAsync(conn, query.AuditSchema, ct).ConfigureAwait(false);
            var shapes = hasImage
                ? await RowShapesAsync(conn, query.AuditSchema, log, rowsWhere, ps, ct).ConfigureAwait(false)
                : new List<RowShape>();
            var deferrable = await DatabaseSession.HasDeferrableUniqueAsync(conn, table.Sql, ct).ConfigureAwait(false);
            var plan = UndeleteStatement.Build(table.Sql, columns, pk, log, rowsWhere, hasImage, shapes, deferrable);
            var result = new UndeleteResult
            {
                Table = table.Display, Sql = string.Join(";\n", plan.Setup.Append(plan.Sql)), Query = query,
            };
            result.DroppedColumns.AddRange(plan.DroppedColumns);
            await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            // The images were written under these settings (see install-log.sql); read them under the same ones. The
            // search_path too: regclass, regtype … print names relative to it. Every name in the statements is qualified.
            await ExecAsync(conn, "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'; " +
                "SET LOCAL lc_monetary = 'C'; SET LOCAL xmloption = content; " +
                $"SET LOCAL search_path = pg_catalog, {QualifiedTable.Quote(query.AuditSchema)}, pg_temp", ct)
                .ConfigureAwait(false);
            foreach (var ddl in plan.Setup) await ExecAsync(conn, ddl, ct).ConfigureAwait(false);
            await InsertRowsAsync(conn, tx, plan.Sql, ps, shapes, table, result, ct).ConfigureAwait(false);
            foreach (var ddl in plan.Teardown) await ExecAsync(conn, ddl, ct).ConfigureAwait(false);
            result.Skipped = result.Considered - result.Inserted;
            if (confirmed is null)
            {
                await tx.RollbackAsync(ct).ConfigureAwait(false);
                return result;
            }
            // The same statement, the same logged rows, the same number put back as the user was shown; else roll back.
            ConfirmedPlan.Require(Facts(confirmed), Facts(result), result.Table);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }
        catch (PostgresException ex) when (ex.SqlState == "42501")
        {
            throw NoLogPrivilege(query, ex);
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    /// <summary>The one table the selected deleted (or truncated) rows belong to; none, or several, are refused.
    /// </summary>
    private static async Task<QualifiedTable> DeletedRowsTableAsync(NpgsqlConnection conn, string log, string rowsWhere,
        List<NpgsqlParameter> ps, CancellationToken ct)
    {
        var tables = new List<(string Schema, string Name)>();
        await using (var cmd = new NpgsqlCommand(
            $"SELECT DISTINCT schema_name, table_name FROM {log}{rowsWhere}", conn))
        {
            cmd.Parameters.AddRange(ps.Select(p => p.Clone()).ToArray());
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) tables.Add((r.GetString(0), r.GetString(1)));
        }
        if (tables.Count == 0)
        {
            throw new CenateException(ErrorIds.AuditEntriesNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Get("AuditEntriesNotFound"),
                Messages.Get("AuditEntriesNotFound.Action"), null);
        }
        if (tables.Count > 1)
        {
            throw new CenateException(ErrorIds.AuditEntriesMixed, CenateErrorKind.InvalidArgument,
                Messages.Format("AuditEntriesMixed", tables.Count, string.Join(", ", tables.Select(t => t.Schema + "." + t.Name))),
                Messages.Get("AuditEntriesMixed.Action"), null);
        }
        return new QualifiedTable(tables[0].Schema, tables[0].Name);
    }

    private static async Task<List<TableColumn>> ColumnsAsync(
        NpgsqlConnection conn, QualifiedTable table, CancellationToken ct)
    {
        var columns = new List<TableColumn>();
        await using var cmd = new NpgsqlCommand("SELECT attname::text, pg_catalog.format_type(atttypid, atttypmod), " +
            "attgenerated <> '', attidentity = 'a' FROM pg_catalog.pg_attribute " +
            "WHERE attrelid = @t::pg_catalog.regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum", conn);
        cmd.Parameters.AddWithValue("t", table.Sql);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            columns.Add(new TableColumn(r.GetString(0), r.GetString(1), r.GetBoolean(2), r.GetBoolean(3)));
        }
        return columns;
    }

    /// <summary>The column lists the selected rows' images were logged with.</summary>
    private static async Task<List<RowShape>> RowShapesAsync(NpgsqlConnection conn, string auditSchema, string log,
        string rowsWhere, List<NpgsqlParameter> ps, CancellationToken ct)
    {
        var shapes = new List<RowShape>();
        await using var cmd = new NpgsqlCommand(
            $"SELECT s.id, s.columns FROM {QualifiedTable.Quote(auditSchema)}.audit_row_shape s " +
            $"WHERE s.id IN (SELECT l.old_row_shape FROM {log} l{rowsWhere} AND l.old_row_image IS NOT NULL) " +
            "ORDER BY s.id",
            conn);
        cmd.Parameters.AddRange(ps.Select(p => p.Clone()).ToArray());
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            shapes.Add(new RowShape(r.GetGuid(0), r.GetFieldValue<string[]>(1)));
        }
        return shapes;
    }

    /// <summary>Runs the undelete statement; records the rows it considered, inserted and read from JSON.</summary>
    private static async Task InsertRowsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql,
        List<NpgsqlParameter> ps, List<RowShape> shapes, QualifiedTable table, UndeleteResult result,
        CancellationToken ct)
    {
        try
        {
            await using var cmd = new NpgsqlCommand(sql, conn, tx);
            cmd.Parameters.AddRange(ps.Select(p => p.Clone()).ToArray());
            for (var i = 0; i < shapes.Count; i++)
            {
                cmd.Parameters.AddWithValue("shape" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    shapes[i].Id);
            }
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await r.ReadAsync(ct).ConfigureAwait(false);
            result.Considered = r.GetInt64(0);
            result.Inserted = r.GetInt64(1);
            result.FromJson = r.GetInt64(2);
        }
        catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            // Class 22 (data exception): a logged value that the column's current type does not accept. The server's
            // message quotes the value; row contents never go into an error message.
            throw new CenateException(ErrorIds.AuditRowsIncompatible, CenateErrorKind.InvalidData,
                Messages.Format("AuditRowsIncompatible", table.Display, ex.SqlState),
                Messages.Get("AuditRowsIncompatible.Action"),
                table.Display, null);
        }
    }

    private static string[] Facts(UndeleteResult r) => new[]
    {
        r.Sql, r.Considered.ToString(CultureInfo.InvariantCulture), r.Inserted.ToString(CultureInfo.InvariantCulture),
    };

    private static async Task ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The shortest retention Remove-CenateAuditLog accepts without -Force.</summary>
    public static readonly TimeSpan MinimumRetention = TimeSpan.FromDays(1);

    /// <summary>
    /// Refuses a retention below <see cref="MinimumRetention"/> unless <paramref name="force"/> (a typo such as 12h for
    /// 12d would delete what the log is for), and a negative one always (its cutoff lies in the future).
    /// </summary>
    public static void CheckRetention(TimeSpan olderThan, bool force)
    {
        if (olderThan >= MinimumRetention || (force && olderThan >= TimeSpan.Zero)) return;
        var shown = olderThan.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        throw new CenateException(ErrorIds.DurationBelowFloor, CenateErrorKind.InvalidArgument,
            Messages.Format(olderThan < TimeSpan.Zero ? "DurationBelowFloor.Negative" : "DurationBelowFloor.UnderDay",
                shown),
            Messages.Get(olderThan < TimeSpan.Zero ? "DurationBelowFloor.Negative.Action"
                : "DurationBelowFloor.UnderDay.Action"),
            olderThan);
    }

    /// <summary>
    /// Plans the removal of log entries older than <paramref name="olderThan"/> (the plan keeps 6 months): the cutoff,
    /// fixed now, and how many entries lie before it. Nothing changes.
    /// </summary>
    public static Task<AuditLogRemoval> PlanRemoveAsync(AuditQuery query, TimeSpan olderThan, bool force, IOperationReporter reporter, CancellationToken ct)
    {
        CheckRetention(olderThan, force);
        return RemoveCoreAsync(new AuditLogRemoval(query, DateTimeOffset.UtcNow - olderThan, 0), countOnly: true, reporter, ct);
    }

    /// <summary>Carries out a plan from <see cref="PlanRemoveAsync"/>: deletes the entries before its cutoff; returns how many went.</summary>
    public static async Task<long> RemoveAsync(AuditLogRemoval plan, IOperationReporter reporter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return (await RemoveCoreAsync(plan, countOnly: false, reporter, ct).ConfigureAwait(false)).Count;
    }

    private static async Task<AuditLogRemoval> RemoveCoreAsync(AuditLogRemoval plan, bool countOnly, IOperationReporter reporter, CancellationToken ct)
    {
        var query = plan.Query;
        await using var session = await DatabaseSession.OpenAsync(query.Target, null, reporter, ct).ConfigureAwait(false);
        var conn = session.Connection;
        try
        {
            await RequireLogAsync(conn, query.AuditSchema, query.Target, ct).ConfigureAwait(false);
            var (where, ps) = Filter(query);
            var sql = (countOnly ? "SELECT count(*) FROM " : "WITH d AS (DELETE FROM ") + QualifiedTable.Quote(query.AuditSchema) + ".audit_log" +
                      (where.Length == 0 ? " WHERE " : where + " AND ") + "logged_at < @cutoff" + (countOnly ? "" : " RETURNING 1) SELECT count(*) FROM d");
            await using var cmd = new NpgsqlCommand(sql, conn);
            cmd.Parameters.AddRange(ps.ToArray());
            cmd.Parameters.AddWithValue("cutoff", plan.Cutoff.UtcDateTime);
            return plan with { Count = (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))! };
        }
        catch (PostgresException ex) when (ex.SqlState == "42501")
        {
            throw NoLogPrivilege(query, ex);
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }
}
