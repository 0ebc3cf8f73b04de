using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Storage;
using Npgsql;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Restores;

/// <summary>
/// Restore-CenateTable: brings one table back from a backup set into the live database — into a staging schema,
/// as the missing rows only, or by swapping the restored table in — in one transaction, so the live table is
/// unchanged when anything fails. The steps: the source file resolved and checked (<see cref="RestoreSourceResolver"/>),
/// the table found in the backup and the live one read (<see cref="LiveTableReader"/>), the SQL planned without the
/// server (<see cref="RestorePlanBuilder"/>), then run here: the rows loaded by the module itself (dump, CSV or SQL
/// row loaders in Formats, COPY over TCP), the staged table checked, and the mode's last step.
/// </summary>
public static class TableRestoreService
{
    internal const string Activity = "Restore-CenateTable";

    /// <summary>The plan: checks, counts and SQL steps (<see cref="TableRestoreResult.Steps"/>); nothing is changed.</summary>
    public static Task<TableRestoreResult> PlanAsync(TableRestoreRequest request, IOperationReporter reporter,
        CancellationToken cancellationToken) => RunCoreAsync(request, null, reporter, cancellationToken);

    /// <summary>
    /// Carries out the plan the user confirmed: the table and the server are read again, and when the steps would now
    /// differ from <paramref name="confirmed"/>'s, it stops with PlanChanged before any change.
    /// </summary>
    public static Task<TableRestoreResult> RunAsync(TableRestoreRequest request, TableRestoreResult confirmed,
        IOperationReporter reporter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(confirmed);
        return RunCoreAsync(request, confirmed, reporter, cancellationToken);
    }

    private static async Task<TableRestoreResult> RunCoreAsync(TableRestoreRequest request, TableRestoreResult? confirmed,
        IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        if (request.LockTimeout <= TimeSpan.Zero || request.LockTimeout > TableRestoreRequest.MaximumLockTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.LockTimeout,
                $"LockTimeout must be more than zero and at most {TableRestoreRequest.MaximumLockTimeout}.");
        }
        RestoreKeyFilter.CheckRequest(request);
        // A live source is dumped once: the plan's dump is kept in the request's holder for the run that carries it out.
        LiveSourceDump? liveDump = null;
        if (request.SourceDatabase is not null)
        {
            liveDump = request.LiveSource?.Dump ?? await LiveSourceDump.CreateAsync(request, reporter, cancellationToken).ConfigureAwait(false);
            if (request.LiveSource is { } holder) holder.Dump = liveDump;
        }
        await using var ownDump = request.LiveSource is null ? liveDump : null;
        var source = liveDump?.Source ?? await RestoreSourceResolver.ResolveAsync(request, cancellationToken).ConfigureAwait(false);
        reporter.Verbose($"Rows come from {source.Path} ({source.Kind}).");
        var target = request.Target;
        // Every name below is schema-qualified, as pg_dump writes them. Every lock wait is bounded (lock_timeout, for the
        // whole session: the catalog reads and counts too): Replace's ACCESS EXCLUSIVE request would otherwise queue all
        // traffic on the table behind it for as long as another transaction holds the table.
        var lockMs = (long)Math.Ceiling(request.LockTimeout.TotalMilliseconds);
        await using var session = await DatabaseSession.OpenAsync(target, request.PgBinDirectory, reporter, cancellationToken,
            $"SET statement_timeout = 0; SET lock_timeout = {lockMs.ToString(CultureInfo.InvariantCulture)}; " +
            "SET idle_in_transaction_session_timeout = 0; " +
            // Explicit: the statements built here and the backup's definitions are read as standard SQL strings.
            "SET standard_conforming_strings = on").ConfigureAwait(false);
        var conn = session.Connection;
        var result = new TableRestoreResult
        {
            Mode = request.Mode,
            From = source.Kind,
            BackupFile = liveDump?.Description ?? source.Path,
            BackupStamp = source.Manifest?.Stamp,
            Database = request.Target.Database,
            Table = (request.Schema ?? "public") + "." + request.Table,
        };
        if (source.Manifest is not null && RestoreSourceResolver.TargetDiffers(source.Manifest, target) is { } differs)
        {
            result.SourceWarning = differs;
            result.Warnings.Add(differs);
        }
        if (RestoreSourceResolver.UnverifiedWarning(source) is { } unverified) result.Warnings.Add(unverified);
        try
        {
            var (input, plan) = await PlanAsync(request, source, conn, result, reporter, cancellationToken).ConfigureAwait(false);
            if (confirmed is null)
            {
                result.Duration = clock.Elapsed;
                return result;
            }
            ConfirmedPlan.Require(confirmed.Steps, result.Steps, result.Table);
            if (input.Keys is { Count: 0 })
            {
                // An empty -Key list: nothing to restore, so no rows are loaded.
                (result.MissingRows, result.InsertedRows) = (0, 0);
                (result.LiveRowsAfter, result.KeptRows) = (result.LiveRowsBefore, result.LiveRowsBefore);
                result.Duration = clock.Elapsed;
                return result;
            }
            return await ExecuteAsync(request, source, conn, result, input, plan, clock, reporter, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == "55P03" && !cancellationToken.IsCancellationRequested)
        {
            throw await LockTimeoutError.CreateAsync(conn, request, result.Table, ex).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException { SqlState: "P0001" })
        {
            if (cancellationToken.IsCancellationRequested)
                throw new OperationCanceledException("The restore was cancelled; nothing was changed.", ex, cancellationToken);
            throw session.Translate(ex) is CenateException ce
                ? new CenateException(ce.ErrorId, ce.Kind,
                    Messages.Format("Restore.RolledBack", ce.Message),
                    ce.RecommendedAction, ce.Target, ex)
                : ex;
        }
    }

    /// <summary>Steps 1–4: the table in the backup, the live table, the checks, and the plan (nothing changed).</summary>
    private static async Task<(RestorePlanInput Input, RestorePlan Plan)> PlanAsync(TableRestoreRequest request, RestoreSource source,
        NpgsqlConnection conn, TableRestoreResult result, IOperationReporter reporter, CancellationToken ct)
    {
        var stamp = BackupNaming.Stamp(request.Now);
        // 1. The table in the backup.
        IReadOnlyList<ArchiveTocEntry>? entries = null;
        ArchiveTocEntry? tableEntry = null;
        string schema;
        if (source.Kind == TableRestoreSource.Dump)
        {
            entries = await RestoreSourceResolver.ReadTableOfContentsAsync(source.Path, reporter, ct).ConfigureAwait(false);
            tableEntry = ArchiveTableEntries.Find(entries, request.Table, request.Schema, source.Path);
            schema = tableEntry.Schema!;
        }
        else
        {
            var listed = source.Entry?.Tables.FirstOrDefault(t => t.EndsWith("." + request.Table, StringComparison.Ordinal));
            schema = request.Schema ?? listed?.Split('.')[0] ?? "public";
        }
        result.Table = schema + "." + request.Table;

        // 2. The live table.
        var live = await LiveTableReader.ReadAsync(conn, schema, request.Table, ct).ConfigureAwait(false);
        result.LiveTableExisted = live is not null;
        var qt = await LiveTableReader.QuoteAsync(conn, schema, request.Table, ct).ConfigureAwait(false);
        RestorePlanBuilder.CheckLiveTable(request.Mode, source.Kind, live, result.Table, request.Target.Database);
        if (live is not null)
        {
            result.LiveRowsBefore = await conn.ScalarLongAsync($"SELECT count(*) FROM {qt}", ct).ConfigureAwait(false);
            result.PrimaryKey = live.PrimaryKey;
        }
        RestorePlanBuilder.CheckRestorable(request.Mode, live, tableEntry, result.Table);
        List<string[]>? keys = null;
        List<long>? keyPositions = null;
        List<RestoreKeyFilter.KeyColumnType>? keyTypes = null;
        if (request.Keys is not null)
        {
            RestoreKeyFilter.CheckColumns(request.KeyColumns, live!.PrimaryKey, result.Table);
            RestoreKeyFilter.CheckArity(request.Keys, live.PrimaryKey, result.Table);
            (keys, keyPositions) = RestoreKeyFilter.Distinct(request.Keys);
            keyTypes = await RestoreKeyFilter.KeyTypesAsync(conn, live.Oid, live.PrimaryKey, ct).ConfigureAwait(false);
            result.RequestedKeys = keys.Count;
            if (keys.Count == 0) result.KeysNotInBackup = 0;
        }
        DependentViews? views = null;
        if (request.Mode == TableRestoreMode.Replace && live is not null && live.DependentViews.Count > 0)
        {
            // Plain views are dropped and created again around the swap; anything else is refused here, before any change.
            views = await DependentViews.ReadAsync(conn, live.Oid, ct).ConfigureAwait(false);
            views.EnsureRecreatable(result.Table);
        }
        result.BackupRows = source.Entry?.Rows
            ?? (source.Manifest is not null && source.Manifest.RowCounts.TryGetValue(result.Table, out var counted) ? counted : null);
        // Two restores in the same second get _2, _3 ….
        var staging = request.Mode == TableRestoreMode.MissingRows ? "pg_temp"
            : await LiveTableReader.UnusedSchemaNameAsync(conn, "cenate_restore_" + stamp, ct).ConfigureAwait(false);
        if (request.Mode != TableRestoreMode.MissingRows)
            result.StagingSchema = request.Mode == TableRestoreMode.Staging ? staging : null;

        // 3. The SQL, planned without the server from names it quoted: staging definition, rows, keys, the mode's steps.
        SqlCopyHeader? sqlHeader = null;
        if (source.Kind == TableRestoreSource.Sql)
        {
            // The file's header is checked now, so -WhatIf refuses a changed file too; it is read again for the rows.
            await using var rows = await SqlExportRows.OpenAsync(source.Path, ct).ConfigureAwait(false);
            sqlHeader = rows.Header;
        }
        // MissingRows into a partitioned table: where rows no live partition takes would be kept (created only if any).
        var unrouted = request.Mode == TableRestoreMode.MissingRows && live?.Partitioned == true
            ? await LiveTableReader.UnusedSchemaNameAsync(conn, "cenate_restore_" + stamp, ct).ConfigureAwait(false)
            : null;
        var names = RestorePlanBuilder.NamesToQuote(request.Table, entries, tableEntry, sqlHeader, source.Path);
        var quoted = await LiveTableReader.QuotedNamesAsync(conn, names, ct).ConfigureAwait(false);
        var input = new RestorePlanInput
        {
            Mode = request.Mode, Kind = source.Kind, SourcePath = source.Path, Schema = schema, Table = request.Table,
            QuotedTable = qt, StagingSchema = staging, Quote = name => quoted[name], Stamp = stamp, Entries = entries,
            TableEntry = tableEntry, Live = live, Views = views, SqlHeader = sqlHeader, LockTimeout = request.LockTimeout,
            DropReplaced = request.DropReplaced, UnroutedSchema = unrouted, Keys = keys,
            KeyPositions = keyPositions, KeyTypes = keyTypes,
        };
        var plan = RestorePlanBuilder.Build(input);
        result.Warnings.AddRange(plan.Warnings);
        // 4. What -WhatIf shows.
        result.Steps.AddRange(plan.Steps);
        if (keys is { Count: 0 })
        {
            result.Steps.Clear();
            result.Steps.Add("-- nothing to do: the -Key list is empty");
            result.Warnings.Add(Messages.Get("Warning.TableRestoreService.EmptyKeys"));
        }
        return (input, plan);
    }

    /// <summary>Step 5: the plan, run in one transaction; the mode decides the last step.</summary>
    private static async Task<TableRestoreResult> ExecuteAsync(TableRestoreRequest request, RestoreSource source, NpgsqlConnection conn,
        TableRestoreResult result, RestorePlanInput input, RestorePlan plan, Stopwatch clock, IOperationReporter reporter,
        CancellationToken ct)
    {
        var (live, qt, sqt) = (input.Live, input.QuotedTable, plan.StagingTable);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        foreach (var sql in plan.Pre) await conn.ExecOneStatementAsync(sql, ct).ConfigureAwait(false);
        if (request.Mode != TableRestoreMode.MissingRows)
        {
            // The marker Remove-CenateRestoreStaging checks before it drops the schema (Replace drops it itself).
            var marker = StagingMarker.CommentOnSchema(input.StagingSchema, input.Schema, input.Table, source.Path,
                StagingMarker.StampTime(input.Stamp));
            await conn.ExecAsync(marker, ct).ConfigureAwait(false);
        }
        reporter.Verbose($"Staging table {sqt} created; loading the rows.");
        await RestoreRows.LoadAsync(conn, source, input, plan, result, clock, reporter, ct).ConfigureAwait(false);
        if (input.Keys is not null)
            await RestoreKeyFilter.ApplyAsync(conn, input, sqt, input.Keys, result, reporter, ct).ConfigureAwait(false);
        reporter.Progress(new OperationProgress(Activity, Messages.Get("Progress.TableRestoreService.Status"), 0, null));
        foreach (var sql in plan.Post) await conn.ExecOneStatementAsync(sql, ct).ConfigureAwait(false);
        foreach (var sql in plan.ForeignKeys) await conn.ExecOneStatementAsync(sql, ct).ConfigureAwait(false);
        await StagedTableChecks.ValidateForeignKeysAsync(conn, sqt, result, ct).ConfigureAwait(false);
        await conn.ExecAsync($"ANALYZE {sqt}", ct).ConfigureAwait(false);
        reporter.Verbose($"Keys, indexes, constraints and triggers built, statistics taken ({clock.Elapsed.TotalSeconds:0.0} s).");
        await StagedTableChecks.CompareAsync(conn, request.Mode, live, qt, sqt, result, reporter, clock, ct).ConfigureAwait(false);

        switch (request.Mode)
        {
            case TableRestoreMode.Staging:
                result.LiveRowsAfter = result.LiveRowsBefore;
                result.KeptRows = result.LiveRowsBefore;
                break;
            case TableRestoreMode.MissingRows:
                reporter.Progress(new OperationProgress(Activity, Messages.Get("Progress.TableRestoreService.Status.2"), 0, null));
                await UnroutedRows.MoveAsync(conn, input, plan, result, ct).ConfigureAwait(false);
                await StagedTableChecks.InsertMissingAsync(conn, live!, qt, sqt, result, ct).ConfigureAwait(false);
                result.MissingRows += result.UnroutedRows ?? 0;
                reporter.Verbose($"{result.InsertedRows} rows inserted ({clock.Elapsed.TotalSeconds:0.0} s).");
                await StagedTableChecks.MoveSequencesForwardAsync(conn, live!, qt, ct).ConfigureAwait(false);
                result.LiveRowsAfter = await conn.ScalarLongAsync($"SELECT count(*) FROM {qt}", ct).ConfigureAwait(false);
                result.KeptRows = result.LiveRowsBefore;
                await conn.ExecAsync($"DROP TABLE {sqt}", ct).ConfigureAwait(false);
                break;
            case TableRestoreMode.Replace:
                reporter.Progress(new OperationProgress(Activity, Messages.Get("Progress.TableRestoreService.Status.3"), 0, null));
                var replaced = await TableSwap.SwapAsync(conn, request, result, live, input.Schema, qt, sqt, plan.StagingQuoted, input.Stamp,
                    source.Kind == TableRestoreSource.Dump, ct).ConfigureAwait(false);
                result.LiveRowsAfter = await conn.ScalarLongAsync($"SELECT count(*) FROM {qt}", ct).ConfigureAwait(false);
                if (result.LiveRowsAfter != result.BackupRows)
                {
                    throw new CenateException(ErrorIds.DatabaseError, CenateErrorKind.InvalidOperation,
                        Messages.Format("DatabaseError.3", result.Table, result.LiveRowsAfter, result.BackupRows),
                        Messages.Get("DatabaseError.Action.4"), result.Table);
                }
                // -DropReplaced: only now that the restored table is counted, in the same transaction. The rows written
                // since the backup were only in the old table: they go with it.
                if (replaced is not null && request.DropReplaced)
                {
                    await conn.ExecAsync($"DROP TABLE {replaced}", ct).ConfigureAwait(false);
                    result.ReplacedTable = null;
                }
                result.KeptRows = 0;
                break;
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        result.Duration = clock.Elapsed;
        reporter.Progress(new OperationProgress(Activity, Messages.Get("Progress.VerificationService.Status.2"), 1, 1));
        return result;
    }
}
