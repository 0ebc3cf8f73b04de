using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using Npgsql;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Restores;

/// <summary>
/// Replace's swap, inside the restore's transaction: the live table locked, renamed aside with its indexes and
/// sequences, the restored table moved into its schema, and everything the people running the database decided
/// (triggers, row-level security, policies, comments, owner, grants, sequence positions, dependent views, other tables'
/// foreign keys) carried over. The steps match what <see cref="RestorePlanBuilder"/> shows.
/// </summary>
internal static class TableSwap
{
    /// <summary>Swaps the restored table in; returns the replaced table's qualified name (null when there was no live table).</summary>
    public static async Task<string?> SwapAsync(NpgsqlConnection conn, TableRestoreRequest request, TableRestoreResult result,
        LiveTable? live, string schema, string qt, string sqt, string stagingQ, string stamp, bool fromDump, CancellationToken ct)
    {
        Task Exec(string sql) => conn.ExecAsync(sql, ct);
        DependentViews? views = null;
        // The live table's schema as the catalog names it, quoted here: never cut out of a quoted name (a name may hold a dot).
        var schemaQ = QualifiedTable.Quote(schema);
        var oldQ = schemaQ + "." + QualifiedTable.Quote(ReplacedNames.Table(request.Table, stamp));
        var oldSequences = new List<(string Renamed, string Column)>();
        TableSurroundings? liveSurroundings = null, restoredSurroundings = null;
        if (live is not null)
        {
            // The live table first, explicitly, before any other lock (foreign keys lock the tables they link): one wait,
            // bounded by lock_timeout; and what is read below cannot change until the commit.
            await Exec($"LOCK TABLE ONLY {qt} IN ACCESS EXCLUSIVE MODE").ConfigureAwait(false);
            liveSurroundings = await TableSurroundings.ReadAsync(conn, qt, qt, ct).ConfigureAwait(false);
            restoredSurroundings = await TableSurroundings.ReadAsync(conn, sqt, qt, ct).ConfigureAwait(false);
            // The dependent views, read again now that the table is locked (one may have been created since the plan).
            views = await DependentViews.ReadAsync(conn, live.Oid, ct).ConfigureAwait(false);
            views.EnsureRecreatable(result.Table);
            foreach (var fk in live.ReferencingForeignKeys)
                await Exec($"ALTER TABLE {fk.Table} DROP CONSTRAINT {QualifiedTable.Quote(fk.Name)}").ConfigureAwait(false);
            foreach (var sql in views.DropStatements())
            {
                try
                {
                    await Exec(sql).ConfigureAwait(false);
                }
                catch (PostgresException ex) when (ex.SqlState == "2BP01")
                {
                    throw new CenateException(ErrorIds.DependentObjects, CenateErrorKind.InvalidOperation,
                        Messages.Format("DependentObjects.2", result.Table, sql[10..], ex.MessageText, ex.Detail),
                        Messages.Get("DependentObjects.Action.2"), result.Table, ex);
                }
            }
            foreach (var idx in live.Indexes)
            {
                var renamed = QualifiedTable.Quote(ReplacedNames.Suffixed(idx, stamp));
                await Exec($"ALTER INDEX {schemaQ}.{QualifiedTable.Quote(idx)} RENAME TO {renamed}").ConfigureAwait(false);
            }
            foreach (var (seq, column, seqSchema, seqName) in live.OwnedSequences)
            {
                var newName = ReplacedNames.Suffixed(seqName, stamp);
                await Exec($"ALTER SEQUENCE {seq} RENAME TO {QualifiedTable.Quote(newName)}").ConfigureAwait(false);
                oldSequences.Add((QualifiedTable.Quote(seqSchema) + "." + QualifiedTable.Quote(newName), column));
            }
            await Exec($"ALTER TABLE {qt} RENAME TO {QualifiedTable.Quote(ReplacedNames.Table(request.Table, stamp))}").ConfigureAwait(false);
            // The marker Remove-CenateRestoreStaging checks (the live table's own comment was read above and is carried
            // over to the restored table).
            await Exec(StagingMarker.CommentOnReplaced(oldQ, schema, request.Table, result.BackupFile,
                StagingMarker.StampTime(stamp))).ConfigureAwait(false);
        }
        await Exec($"ALTER TABLE {sqt} SET SCHEMA {schemaQ}").ConfigureAwait(false);
        if (live is not null)
        {
            // The live table's triggers (audit triggers installed after the backup), row-level security, policies and
            // comments win over the backup's; what differed is said in Warnings.
            await TableSurroundings.CarryOverAsync(qt, liveSurroundings!, restoredSurroundings!, fromDump, result.Warnings,
                async (sql, token) => await conn.ExecAsync(sql, token).ConfigureAwait(false), ct).ConfigureAwait(false);
            await Exec($"ALTER TABLE {qt} OWNER TO {QualifiedTable.Quote(live.Owner)}").ConfigureAwait(false);
            // The old table's grants, table and column, role by role, and no others.
            await TableSurroundings.CopyGrantsAsync(conn, oldQ, qt,
                async (sql, token) => await conn.ExecAsync(sql, token).ConfigureAwait(false), ct).ConfigureAwait(false);
            await KeepSequencesForwardAsync(conn, qt, oldSequences, ct).ConfigureAwait(false);
            await RecreateAsync(conn, result, live, views!, ct).ConfigureAwait(false);
            result.ReplacedTable = schema + "." + ReplacedNames.Table(request.Table, stamp);
        }
        await Exec($"DROP SCHEMA {stagingQ}").ConfigureAwait(false);
        return live is null ? null : oldQ;
    }

    /// <summary>Sequences never go backwards: the restored table's take the old ones' last values where those are further.</summary>
    private static async Task KeepSequencesForwardAsync(NpgsqlConnection conn, string qt, List<(string Renamed, string Column)> oldSequences,
        CancellationToken ct)
    {
        foreach (var (oldSeq, column) in oldSequences)
        {
            var newSeq = await conn.ScalarStringAsync(
                $"SELECT pg_catalog.pg_get_serial_sequence({SqlText.Literal(qt)}, {SqlText.Literal(column)})", ct).ConfigureAwait(false);
            if (newSeq is null)
            {
                // The restored table's column has no sequence of its own: its default still calls the old table's sequence
                // (a serial column copied with LIKE … INCLUDING ALL). It moves to the restored table, or dropping the old
                // table would take the default with it.
                await conn.ExecAsync($"ALTER SEQUENCE {oldSeq} OWNED BY {qt}.{QualifiedTable.Quote(column)}", ct).ConfigureAwait(false);
                continue;
            }
            await conn.ExecAsync($"SELECT pg_catalog.setval({SqlText.Literal(newSeq)}, o.last_value, o.is_called) FROM {oldSeq} o, {newSeq} n " +
                "WHERE o.last_value > n.last_value", ct).ConfigureAwait(false);
        }
    }

    /// <summary>The dependent views, as they were, and the other tables' foreign keys, now on the restored table.</summary>
    private static async Task RecreateAsync(NpgsqlConnection conn, TableRestoreResult result, LiveTable live, DependentViews views,
        CancellationToken ct)
    {
        // The views' definitions name the table by its qualified name.
        foreach (var sql in views.CreateStatements())
        {
            try
            {
                await conn.ExecAsync(sql, ct).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState.StartsWith("42", StringComparison.Ordinal))
            {
                throw new CenateException(ErrorIds.DependentObjects, CenateErrorKind.InvalidOperation,
                    Messages.Format("DependentObjects.3", result.Table, ex.MessageText, sql),
                    Messages.Get("DependentObjects.Action.3"), result.Table, ex);
            }
        }
        foreach (var fk in live.ReferencingForeignKeys)
        {
            await conn.ExecAsync("SAVEPOINT cenate_refs", ct).ConfigureAwait(false);
            try
            {
                await conn.ExecAsync($"ALTER TABLE {fk.Table} ADD CONSTRAINT {QualifiedTable.Quote(fk.Name)} {fk.Definition}", ct).ConfigureAwait(false);
                await conn.ExecAsync("RELEASE SAVEPOINT cenate_refs", ct).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == "23503")
            {
                throw new CenateException(ErrorIds.ReferencingRowsMissing, CenateErrorKind.InvalidOperation,
                    Messages.Format("ReferencingRowsMissing", fk.Name, fk.Table, result.Table, ex.MessageText),
                    Messages.Get("ReferencingRowsMissing.Action"), fk.Table, ex);
            }
            result.ForeignKeysRecreated.Add($"{fk.Table}.{fk.Name}");
        }
    }
}
