using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using Npgsql;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Restores;

/// <summary>
/// MissingRows into a partitioned table: PostgreSQL routes each inserted row to its partition, and fails the whole
/// statement on a row no partition takes (a dropped month). Such rows are found before the insert — a row fits when it
/// fits one live leaf's partition constraint (pg_get_partition_constraintdef, with its ancestors' bounds, read from the
/// live catalog, never from the backup) — and moved out of the staging table into a real table in a new schema
/// cenate_restore_&lt;stamp&gt;, reported with a warning: not lost, and not failing the rows that can go home.
/// </summary>
internal static class UnroutedRows
{
    /// <summary>
    /// Fills <paramref name="plan"/>'s unrouted statements and returns them as -WhatIf shows them (the predicate
    /// named by the live leaves, not spelled out). The plan depends on the live partitions, never on the rows.
    /// </summary>
    public static List<string> Plan(RestorePlanInput input, RestorePlan plan)
    {
        var live = input.Live!;
        var sqt = plan.StagingTable;
        var schemaQ = QualifiedTable.Quote(input.UnroutedSchema!);
        var kept = schemaQ + "." + input.Quote(input.Table);
        // Unqualified column names in the constraints resolve to the staging table's columns: the only table in scope.
        var fits = live.PartitionConstraints.Count == 0 ? "false"
            : string.Join(" OR ", live.PartitionConstraints.Select(c => "(" + c.Constraint + ")"));
        var shown = live.PartitionConstraints.Count == 0 ? "false   -- the live table has no partitions"
            : "<the partition constraint of a live leaf: " +
              string.Join(", ", live.PartitionConstraints.Select(c => c.Leaf)) + ">";
        string Where(string predicate) => $"WHERE NOT COALESCE({predicate}, false)";
        plan.UnroutedTable = kept;
        plan.UnroutedCountSql = $"SELECT count(*) FROM {sqt} {Where(fits)}";
        plan.Unrouted.Add($"CREATE SCHEMA {schemaQ}");
        plan.Unrouted.Add($"CREATE TABLE {kept} (LIKE {sqt})");
        plan.Unrouted.Add($"WITH moved AS (DELETE FROM {sqt} {Where(fits)} RETURNING *) " +
            $"INSERT INTO {kept} SELECT * FROM moved");
        return new List<string>
        {
            $"SELECT count(*) FROM {sqt} {Where(shown)}   " +
                "-- backup rows no live partition takes; only when there are any:",
            $"CREATE SCHEMA {schemaQ}",
            $"CREATE TABLE {kept} (LIKE {sqt})",
            $"WITH moved AS (DELETE FROM {sqt} {Where("<the same>")} RETURNING *) " +
                $"INSERT INTO {kept} SELECT * FROM moved   -- kept, not inserted",
        };
    }

    /// <summary>
    /// Counts the rows no live partition takes and, when there are any, moves them to the kept table; sets the result's
    /// UnroutedRows (0 when none) and UnroutedTable, and warns with how to bring them home.
    /// </summary>
    public static async Task MoveAsync(NpgsqlConnection conn, RestorePlanInput input, RestorePlan plan,
        TableRestoreResult result, CancellationToken ct)
    {
        if (plan.UnroutedCountSql is null) return;
        var count = await conn.ScalarLongAsync(plan.UnroutedCountSql, ct).ConfigureAwait(false);
        result.UnroutedRows = count;
        if (count == 0) return;
        foreach (var sql in plan.Unrouted) await conn.ExecOneStatementAsync(sql, ct).ConfigureAwait(false);
        // The marker Remove-CenateRestoreStaging checks once the rows are home.
        await conn.ExecAsync(StagingMarker.CommentOnSchema(input.UnroutedSchema!, input.Schema, input.Table,
            input.SourcePath, StagingMarker.StampTime(input.Stamp)), ct).ConfigureAwait(false);
        var kept = input.UnroutedSchema + "." + input.Table;
        result.UnroutedTable = kept;
        result.Warnings.Add(Messages.Format("Warning.UnroutedRows", count, result.Table, kept, input.QuotedTable,
            plan.UnroutedTable, QualifiedTable.Quote(input.UnroutedSchema!)));
    }
}
