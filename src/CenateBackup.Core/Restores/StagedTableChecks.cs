using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using Npgsql;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Restores;

/// <summary>
/// What a table restore checks on the loaded staging table before it changes the live one: its foreign keys
/// validated one by one (kept NOT VALID, with a warning, where backup rows reference rows that are gone), and its
/// rows compared with the live table's by primary key.
/// </summary>
internal static class StagedTableChecks
{
    /// <summary>Validates each NOT VALID foreign key of <paramref name="sqt"/>; one that fails stays NOT VALID (a warning).</summary>
    public static async Task ValidateForeignKeysAsync(NpgsqlConnection conn, string sqt, TableRestoreResult result,
        CancellationToken ct)
    {
        var names = new List<string>();
        await using (var cmd = new NpgsqlCommand($"SELECT conname::text FROM pg_catalog.pg_constraint WHERE conrelid = {SqlText.Literal(sqt)}" +
            "::pg_catalog.regclass AND contype = 'f' AND NOT convalidated", conn))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) names.Add(r.GetString(0));
        }
        foreach (var fk in names)
        {
            await conn.ExecAsync("SAVEPOINT cenate_fk", ct).ConfigureAwait(false);
            try
            {
                await conn.ExecAsync($"ALTER TABLE {sqt} VALIDATE CONSTRAINT {QualifiedTable.Quote(fk)}", ct).ConfigureAwait(false);
                await conn.ExecAsync("RELEASE SAVEPOINT cenate_fk", ct).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == "23503")
            {
                await conn.ExecAsync("ROLLBACK TO SAVEPOINT cenate_fk", ct).ConfigureAwait(false);
                result.Warnings.Add(Messages.Format("Warning.StagedTableChecks.ForeignKey", fk, ex.MessageText));
            }
        }
    }

    /// <summary>
    /// Counts the backup's rows missing from the live table (not for MissingRows, which counts them with its insert)
    /// and, for Staging, those that differ; warns when neither table has a primary key.
    /// </summary>
    public static async Task CompareAsync(NpgsqlConnection conn, TableRestoreMode mode, LiveTable? live, string qt, string sqt,
        TableRestoreResult result, IOperationReporter reporter, Stopwatch clock, CancellationToken ct)
    {
        var stagingPk = live?.PrimaryKey.Count > 0 ? live.PrimaryKey
            : await DatabaseSession.PrimaryKeyAsync(conn, sqt, ct).ConfigureAwait(false);
        if (live is not null && stagingPk.Count > 0)
        {
            result.PrimaryKey = stagingPk;
            reporter.Progress(new OperationProgress(TableRestoreService.Activity, Messages.Get("Progress.StagedTableChecks.Status"), 0, null));
            var common = mode == TableRestoreMode.Staging
                ? await LiveTableReader.CommonColumnsAsync(conn, qt, sqt, ct).ConfigureAwait(false) : new List<string>();
            var on = string.Join(" AND ", stagingPk.Select(c => $"l.{QualifiedTable.Quote(c)} = s.{QualifiedTable.Quote(c)}"));
            // MissingRows counts them in the same statement as its insert (one snapshot), below. Comparing every column of
            // every row costs as much as the load (25 s at 4 million rows): only Staging, which is for looking, does it.
            if (mode != TableRestoreMode.MissingRows)
            {
                result.MissingRows = await conn.ScalarLongAsync(
                    $"SELECT count(*) FROM {sqt} s WHERE NOT EXISTS (SELECT 1 FROM {qt} l WHERE {on})", ct).ConfigureAwait(false);
            }
            if (mode == TableRestoreMode.Staging)
            {
                var sRow = string.Join(", ", common.Select(c => $"s.{QualifiedTable.Quote(c)}::text"));
                var lRow = string.Join(", ", common.Select(c => $"l.{QualifiedTable.Quote(c)}::text"));
                result.DifferentRows = await conn.ScalarLongAsync(
                    $"SELECT count(*) FROM {sqt} s JOIN {qt} l ON {on} WHERE ROW({sRow}) IS DISTINCT FROM ROW({lRow})", ct).ConfigureAwait(false);
            }
            reporter.Verbose($"Compared with the live table: {result.MissingRows?.ToString(CultureInfo.InvariantCulture) ?? "(counted with the insert)"} " +
                $"missing, {result.DifferentRows?.ToString(CultureInfo.InvariantCulture) ?? "(not compared in this mode)"} different " +
                $"({clock.Elapsed.TotalSeconds:0.0} s).");
        }
        else if (live is not null)
        {
            result.Warnings.Add(Messages.Get("Warning.StagedTableChecks.NoKey"));
        }
    }

    /// <summary>
    /// MissingRows: inserts the backup's rows whose key is missing, in one statement (one snapshot), then moves the live
    /// table's sequences forward to the column's maximum (never backwards).
    /// </summary>
    public static async Task InsertMissingAsync(NpgsqlConnection conn, LiveTable live, string qt, string sqt, TableRestoreResult result,
        CancellationToken ct)
    {
        if (RestorePlanBuilder.InsertLockSql(live, qt) is { } lockSql) await conn.ExecAsync(lockSql, ct).ConfigureAwait(false);
        await using (var insert = new NpgsqlCommand(RestorePlanBuilder.InsertMissingSql(live, qt, sqt), conn))
        {
            await using var r = await insert.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await r.ReadAsync(ct).ConfigureAwait(false);
            (result.MissingRows, result.InsertedRows) = (r.GetInt64(0), r.GetInt64(1));
        }
        if (result.InsertedRows < result.MissingRows)
        {
            result.Warnings.Add(Messages.Format("Warning.StagedTableChecks.NotInserted",
                result.MissingRows - result.InsertedRows));
        }
    }

    /// <summary>Only forward: a sequence is set to the column's maximum when that is beyond its last value.</summary>
    public static async Task MoveSequencesForwardAsync(NpgsqlConnection conn, LiveTable live, string qt, CancellationToken ct)
    {
        foreach (var (seq, column, _, _) in live.OwnedSequences)
        {
            var col = QualifiedTable.Quote(column);
            await conn.ExecAsync($"SELECT pg_catalog.setval({SqlText.Literal(seq)}, m) FROM (SELECT max({col}) AS m FROM {qt}) x, {seq} s " +
                "WHERE x.m > s.last_value", ct).ConfigureAwait(false);
        }
    }
}
