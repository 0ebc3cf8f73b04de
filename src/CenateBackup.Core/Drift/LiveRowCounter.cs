using System;
using System.Collections.Generic;
using System.Data;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Targets;
using Npgsql;

namespace CenateBackup.Core.Drift;

/// <summary>Counts critical tables in the live database, all in one REPEATABLE READ snapshot.</summary>
public static class LiveRowCounter
{
    /// <summary>
    /// Exact counts (count(*)) of <paramref name="tables"/> ("schema.table" as manifests write them). A table that no
    /// longer exists counts 0: a dropped table is the biggest drop of all.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, long>> CountAsync(DatabaseTarget target, IReadOnlyList<string> tables,
        string? pgBinDirectory, IOperationReporter reporter, CancellationToken ct)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        if (tables.Count == 0) return counts;
        await using var session = await DatabaseSession.OpenAsync(target, pgBinDirectory, reporter, ct).ConfigureAwait(false);
        try
        {
            await using var tx = await session.Connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct)
                .ConfigureAwait(false);
            foreach (var key in tables)
            {
                var (schema, name) = QualifiedTable.Split(key);
                var sql = (schema is null ? "" : QualifiedTable.Quote(schema) + ".") + QualifiedTable.Quote(name);
                await using (var exists = new NpgsqlCommand("SELECT to_regclass(@q) IS NOT NULL", session.Connection, tx))
                {
                    exists.Parameters.AddWithValue("q", sql);
                    if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true)
                    {
                        counts[key] = 0;
                        continue;
                    }
                }
                await using var count = new NpgsqlCommand("SELECT count(*) FROM " + sql, session.Connection, tx);
                count.CommandTimeout = 0;
                counts[key] = Convert.ToInt64(await count.ExecuteScalarAsync(ct).ConfigureAwait(false),
                    System.Globalization.CultureInfo.InvariantCulture);
                reporter.Verbose($"Live {key}: {counts[key]} rows.");
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
        return counts;
    }
}
