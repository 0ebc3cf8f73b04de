using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Targets;
using Npgsql;

namespace CenateBackup.Core.Restores;

/// <summary>
/// Remove-CenateRestoreStaging: drops one staging schema or replaced table, in a transaction of its own, after reading
/// it again inside that transaction and proving it is the module's (<see cref="StagingMarker"/>, nothing foreign in
/// it). Nothing is dropped with CASCADE: the table goes with DROP TABLE and the schema with DROP SCHEMA, both RESTRICT,
/// so an object someone added meanwhile, or a view elsewhere that reads the copy, stops the drop instead of going
/// with it. Every name in the SQL comes from the catalog and is quoted here.
/// </summary>
public static class StagingRemover
{
    /// <summary>What would be dropped (nothing changed): StagingNotFound or StagingNotOurs when it may not
    /// be.</summary>
    public static async Task<StagingItem> PlanAsync(DatabaseTarget target, StagingKind? kind, string name,
        string? schema, IOperationReporter reporter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        try
        {
            return await FindOursAsync(session.Connection, target.Database, kind, name, schema, ct)
                .ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    /// <summary>
    /// Drops <paramref name="planned"/> (read again first; when it is no longer the object that was shown — dropped,
    /// or made again — StagingNotFound). Waits at most <paramref name="lockTimeout"/> for its locks.
    /// </summary>
    public static async Task<StagingItem> RemoveAsync(DatabaseTarget target, StagingItem planned, TimeSpan lockTimeout,
        IOperationReporter reporter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(planned);
        var lockMs = Math.Max(1L, (long)Math.Ceiling(lockTimeout.TotalMilliseconds));
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct,
            $"SET lock_timeout = {lockMs.ToString(CultureInfo.InvariantCulture)}").ConfigureAwait(false);
        var conn = session.Connection;
        try
        {
            await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            // Lock what was planned first, then check it again: nothing can be attached to it or swapped for it between
            // the check and the DROP (an object created in the schema meanwhile makes DROP SCHEMA … RESTRICT fail).
            await LockAsync(conn, planned, target.Database, ct).ConfigureAwait(false);
            var item = await FindOursAsync(conn, target.Database, planned.Kind, planned.Name,
                planned.Kind == StagingKind.Replaced ? planned.Schema : null, ct).ConfigureAwait(false);
            if (item.Oid != planned.Oid) throw NotFound(item.Kind, Shown(item), target.Database);
            foreach (var sql in DropStatements(item))
            {
                reporter.Verbose(sql);
                await conn.ExecAsync(sql, ct).ConfigureAwait(false);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return item;
        }
        catch (PostgresException ex) when (ex.SqlState == "2BP01")
        {
            // The transaction is rolled back; the server's detail is redacted by Npgsql, so the catalog names them.
            var dependents = await DependentsAsync(conn, planned, ct).ConfigureAwait(false);
            throw new CenateException(ErrorIds.DependentObjects, CenateErrorKind.InvalidOperation,
                Messages.Format("Staging.Dependents", Shown(planned), target.Database, ex.MessageText,
                    string.Join(", ", dependents)),
                Messages.Get("Staging.Dependents.Action"), Shown(planned), ex);
        }
        catch (PostgresException ex) when (ex.SqlState == "55P03" && !ct.IsCancellationRequested)
        {
            throw new CenateException(ErrorIds.LockTimeout, CenateErrorKind.ResourceBusy,
                Messages.Format("Staging.LockTimeout", Shown(planned), target.Database,
                    lockTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)),
                Messages.Get("Staging.LockTimeout.Action"), Shown(planned), ex);
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    /// <summary>
    /// Objects outside it that depend on it (a view that reads the copy, another table's default or foreign key): the
    /// owning relation of each dependent rule, default, constraint or trigger, if not the item's own.
    /// </summary>
    private const string DependentsSql =
        "SELECT DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, 0) FROM pg_catalog.pg_depend d " +
        "LEFT JOIN pg_catalog.pg_rewrite rw ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass " +
        "  AND rw.oid = d.objid " +
        "LEFT JOIN pg_catalog.pg_attrdef ad ON d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass " +
        "  AND ad.oid = d.objid " +
        "LEFT JOIN pg_catalog.pg_constraint co ON d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass " +
        "  AND co.oid = d.objid " +
        "LEFT JOIN pg_catalog.pg_trigger tg ON d.classid = 'pg_catalog.pg_trigger'::pg_catalog.regclass " +
        "  AND tg.oid = d.objid " +
        "LEFT JOIN pg_catalog.pg_class o ON o.oid = COALESCE(rw.ev_class, ad.adrelid, co.conrelid, tg.tgrelid, " +
        "  CASE WHEN d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass THEN d.objid END) " +
        "WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'n' " +
        "AND d.refobjid IN (SELECT c.oid FROM pg_catalog.pg_class c WHERE (@staging AND c.relnamespace = @oid) " +
        "  OR (NOT @staging AND (c.oid = @oid OR c.oid IN (SELECT s.objid FROM pg_catalog.pg_depend s " +
        "    WHERE s.refobjid = @oid AND s.classid = 'pg_catalog.pg_class'::pg_catalog.regclass " +
        "    AND s.deptype IN ('a', 'i'))))) " +
        "AND (o.oid IS NULL OR CASE WHEN @staging THEN o.relnamespace <> @oid ELSE o.oid <> @oid END) " +
        "ORDER BY 1 LIMIT 10";

    private static async Task<List<string>> DependentsAsync(NpgsqlConnection conn, StagingItem item,
        CancellationToken ct)
    {
        var list = new List<string>();
        await using var cmd = new NpgsqlCommand(DependentsSql, conn);
        cmd.Parameters.AddWithValue("staging", item.Kind == StagingKind.Staging);
        cmd.Parameters.AddWithValue("oid", NpgsqlTypes.NpgsqlDbType.Oid, item.Oid);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(r.IsDBNull(0) ? "?" : r.GetString(0));
        return list;
    }

    private static async Task LockAsync(NpgsqlConnection conn, StagingItem planned, string database, CancellationToken ct)
    {
        var schemaQ = SqlText.Identifier(planned.Schema);
        var tables = planned.Kind == StagingKind.Replaced ? new[] { planned.Name } : planned.Tables.ToArray();
        try
        {
            foreach (var t in tables)
                await conn.ExecAsync($"LOCK TABLE ONLY {schemaQ}.{SqlText.Identifier(t)} IN ACCESS EXCLUSIVE MODE", ct)
                    .ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is "42P01" or "3F000")
        {
            throw NotFound(planned.Kind, Shown(planned), database);
        }
    }

    /// <summary>The statements that drop it, names quoted from the catalog; never CASCADE.</summary>
    public static string[] DropStatements(StagingItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var schemaQ = SqlText.Identifier(item.Schema);
        return item.Kind == StagingKind.Replaced
            ? new[] { $"DROP TABLE {schemaQ}.{SqlText.Identifier(item.Name)} RESTRICT" }
            : item.Tables.Select(t => $"DROP TABLE {schemaQ}.{SqlText.Identifier(t)} RESTRICT")
                .Append($"DROP SCHEMA {schemaQ} RESTRICT").ToArray();
    }

    /// <summary>"schema x" or "table s.t", as messages name it.</summary>
    public static string Shown(StagingItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item.Kind == StagingKind.Staging ? item.Name : item.Schema + "." + item.Name;
    }

    private static async Task<StagingItem> FindOursAsync(NpgsqlConnection conn, string database, StagingKind? kind,
        string name, string? schema, CancellationToken ct)
    {
        var found = await StagingCatalog.ReadAsync(conn, database, kind, name, schema, ct).ConfigureAwait(false);
        var shown = schema is null ? name : schema + "." + name;
        if (found.Count == 0) throw NotFound(kind, shown, database);
        if (found.Count > 1)
        {
            // The same name as a staging schema and as a replaced table, or replaced tables in several schemas.
            throw new CenateException(ErrorIds.StagingAmbiguous, CenateErrorKind.InvalidArgument,
                Messages.Format("Staging.Ambiguous", shown, database, string.Join(", ", found.Select(Shown))),
                Messages.Get("Staging.Ambiguous.Action"), shown);
        }
        var item = found[0];
        if (!item.Ours)
        {
            throw new CenateException(ErrorIds.StagingNotOurs, CenateErrorKind.InvalidOperation,
                Messages.Format("StagingNotOurs", Shown(item), database, item.Problem),
                Messages.Format("StagingNotOurs.Action", Shown(item)), Shown(item));
        }
        return item;
    }

    private static CenateException NotFound(StagingKind? kind, string shown, string database) =>
        new(ErrorIds.StagingNotFound, CenateErrorKind.ObjectNotFound,
            Messages.Format("StagingNotFound", shown, database, kind?.ToString() ?? "Staging/Replaced"),
            Messages.Get("StagingNotFound.Action"), shown);
}
