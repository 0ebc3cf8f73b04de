using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using Npgsql;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Verification;

/// <summary>
/// At the start of a restore drill, drops the scratch databases of earlier drills that never ended (the process was
/// killed with SIGKILL, the machine lost power, the drop failed): only names the module generates, marked temporary by
/// the module, older than <see cref="DrillScratchName.StaleAfter"/>, whose drill's advisory lock is free and to which no
/// session is connected. Kept drills (-KeepDatabase) and every other database are left alone. Each drop is reported.
/// </summary>
public static class StaleDrillCleaner
{
    /// <summary>Runs the cleanup on <paramref name="admin"/>'s server; never throws for a database it cannot drop (it reports it).</summary>
    public static async Task CleanAsync(NpgsqlConnection admin, DateTimeOffset now, List<string> checks, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var found = new List<(string Name, string? Comment)>();
        await using (var list = new NpgsqlCommand(
            "SELECT d.datname, pg_catalog.shobj_description(d.oid, 'pg_database') FROM pg_catalog.pg_database d " +
            "WHERE d.datname LIKE 'cenate\\_drill\\_%' ORDER BY d.datname", admin))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                found.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
            }
        }

        var unmarked = new List<string>();
        foreach (var (name, comment) in found)
        {
            var state = DrillScratchName.Classify(name, comment, now, DrillScratchName.StaleAfter);
            if (state == DrillDatabaseState.NotMarked) unmarked.Add(name);
            if (state != DrillDatabaseState.Stale) continue;
            DrillScratchName.TryParseStart(name, out var started);
            var age = now - started;
            var outcome = await TryDropAsync(admin, name, cancellationToken).ConfigureAwait(false);
            var at = started.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            var when = $"started {at} UTC, {age.TotalHours:0} h ago";
            if (outcome is null)
            {
                reporter.Warning(Messages.Format("Warning.StaleDrillCleaner.Dropped", name, at, age.TotalHours));
                checks.Add($"stale drill database {name} dropped ({when})");
            }
            else
            {
                reporter.Warning(Messages.Format("Warning.StaleDrillCleaner.NotDropped", name, at, age.TotalHours,
                    outcome));
                checks.Add($"stale drill database {name} not dropped ({when}): {outcome}");
            }
        }
        if (unmarked.Count > 0)
        {
            checks.Add($"drill databases not marked as temporary by the module were left alone: {string.Join(", ", unmarked)}");
        }
    }

    /// <summary>Null when dropped (or already gone), else why not.</summary>
    private static async Task<string?> TryDropAsync(NpgsqlConnection admin, string name, CancellationToken cancellationToken)
    {
        var (classId, objectId) = DrillScratchName.LockKey(name);
        await using (var take = new NpgsqlCommand("SELECT pg_catalog.pg_try_advisory_lock(@c, @o)", admin))
        {
            take.Parameters.AddWithValue("c", classId);
            take.Parameters.AddWithValue("o", objectId);
            if (!(bool)(await take.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!) return "a running drill holds it";
        }
        try
        {
            await using (var sessions = new NpgsqlCommand("SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE datname = @n", admin))
            {
                sessions.Parameters.AddWithValue("n", name);
                var count = (long)(await sessions.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                if (count > 0) return $"{count} session(s) are connected to it";
            }
            // No FORCE: a session that connects meanwhile makes the DROP fail rather than be cut off.
            await using var drop = new NpgsqlCommand("DROP DATABASE IF EXISTS " + QualifiedTable.Quote(name), admin);
            await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (PostgresException ex)
        {
            return ex.MessageText;
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_catalog.pg_advisory_unlock(@c, @o)", admin);
            release.Parameters.AddWithValue("c", classId);
            release.Parameters.AddWithValue("o", objectId);
            try
            {
                await release.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (NpgsqlException)
            {
                // The connection is gone, and its locks with it.
            }
        }
    }
}
