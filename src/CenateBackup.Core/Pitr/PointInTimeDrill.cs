using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Verification;
using Npgsql;

namespace CenateBackup.Core.Pitr;

/// <summary>What the point-in-time drill (Test-CenateBackup -Level PointInTime) needs besides the set.</summary>
public sealed class PointInTimeDrillOptions
{
    /// <summary>The live database (its container's image runs the copy; its role logs in to the copy; its counts are compared).</summary>
    public required DatabaseTarget Target { get; init; }
    /// <summary>The WAL archive; null: the container's archiver's directory.</summary>
    public string? WalPath { get; init; }
    /// <summary>How far back from now to recover (default 5 minutes; never before the base backup completed).</summary>
    public TimeSpan Before { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>How long recovery may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);
}

/// <summary>
/// The monthly point-in-time drill on a base backup set: a commit on the live server (so the archive holds one after the
/// time), a copy recovered to "now minus 5 minutes" (or just after the set completed, if that is later) in a scratch
/// container, every table of the database counted there and compared with the live counts now, and the copy removed. It
/// fails when the copy cannot be made or read; different counts are shown (they are the last minutes' writes).
/// </summary>
public static class PointInTimeDrill
{
    /// <summary>Runs the drill on the set at <paramref name="manifestPath"/>; its checks and problems go into <paramref name="report"/>.</summary>
    public static async Task ApplyAsync(VerificationReport report, string manifestPath, BackupManifest manifest, PointInTimeDrillOptions options,
        IOperationReporter reporter, CancellationToken ct)
    {
        var target = options.Target;
        var name = PointInTimeService.DrillPrefix + Guid.NewGuid().ToString("N")[..10];
        try
        {
            foreach (var left in await PointInTimeService.RemoveStaleDrillCopiesAsync(target, options.Timeout + TimeSpan.FromMinutes(10), ct).ConfigureAwait(false))
            {
                reporter.Warning($"Removed {left}, the copy of an earlier point-in-time drill that did not end (it was killed).");
            }
        }
        catch (CenateException ex) when (ex.ErrorId != ErrorIds.DockerUnavailable)
        {
            reporter.Verbose($"Earlier drill copies could not be looked for: {ex.Message}");
        }
        var live = await LiveHeartbeatAsync(target, reporter, ct).ConfigureAwait(false);
        var time = DateTimeOffset.UtcNow - options.Before;
        if (manifest.CompletedAt is { } completed && time <= completed) time = completed.AddSeconds(1);
        PointInTimeCopy? copy = null;
        try
        {
            var plan = await PointInTimeService.PlanAsync(new PointInTimeRequest
            {
                Target = target,
                BasePath = manifestPath,
                WalPath = options.WalPath,
                Time = time,
                Name = name,
                Timeout = options.Timeout,
            }, null, reporter, ct).ConfigureAwait(false);
            foreach (var w in plan.Warnings) reporter.Warning(w);
            copy = await PointInTimeService.ExecuteAsync(plan, reporter, ct).ConfigureAwait(false);
            var at = new DatabaseTarget(ConnectionMode.Host, target.Database, target.User, copy.Port) { Host = "127.0.0.1", Password = target.Password };
            var counts = await CountAsync(at, ct).ConfigureAwait(false);
            var outcome = new DrillOutcome { ScratchDatabase = target.Database, Server = name, RestoreDuration = copy.Duration };
            foreach (var (table, rows) in counts)
            {
                outcome.Tables.Add(new DrillTable(table, live?.TryGetValue(table, out var l) == true ? l : null, "live now", rows));
            }
            report.Drill = outcome;
            var asegurados = counts.TryGetValue("public.asegurados", out var a) ? $"; public.asegurados {a} rows (live now {(live?.TryGetValue("public.asegurados", out var la) == true ? la.ToString(CultureInfo.InvariantCulture) : "?")})" : "";
            report.Checks.Add($"point-in-time drill: copy recovered to {PointInTimeService.TargetText(time)} (last commit replayed {copy.RecoveredTo?.ToString("u", CultureInfo.InvariantCulture) ?? "none"}) in {copy.Duration.TotalSeconds:0.0} s from {copy.WalFiles} WAL file(s); {counts.Count} table(s) counted{asegurados}");
            var differing = outcome.Tables.Where(t => t.Expected is not null && !t.Matches).ToList();
            if (differing.Count > 0)
            {
                report.Checks.Add($"{differing.Count} table(s) differ from the live counts now (the writes of the last {options.Before.TotalMinutes:0} minutes): "
                    + string.Join(", ", differing.Take(5).Select(t => $"{t.Table} {t.Restored} vs {t.Expected}")));
            }
        }
        catch (CenateException ex) when (ex.ErrorId is not (ErrorIds.DockerUnavailable or ErrorIds.AuthenticationFailed))
        {
            report.Problems.Add(new VerificationProblem(ProblemKind.PointInTimeDrillFailed, Path.GetFileName(manifestPath),
                $"point-in-time drill failed ({ex.ErrorId}): {ex.Message}"));
        }
        finally
        {
            if (copy is not null)
            {
                try
                {
                    await PointInTimeService.RemoveAsync(target, copy, CancellationToken.None).ConfigureAwait(false);
                }
                catch (CenateException ex)
                {
                    reporter.Warning($"The drill's copy {copy.Name} could not be removed ({ex.Message}); remove it with Remove-CenatePointInTime {copy.Name}.");
                }
            }
        }
    }

    /// <summary>
    /// A commit on the live server now (txid_current() assigns an id, so the commit record carries a time recovery can
    /// stop at), waited for in the archive, and the live row counts; null when the live server cannot be reached (the
    /// drill still runs: a copy may be all that is left).
    /// </summary>
    private static async Task<Dictionary<string, long>?> LiveHeartbeatAsync(DatabaseTarget target, IOperationReporter reporter, CancellationToken ct)
    {
        try
        {
            await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
            var conn = session.Connection;
            string lsn;
            await using (var cmd = new NpgsqlCommand("SELECT pg_catalog.txid_current()", conn)) await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
            await using (var cmd = new NpgsqlCommand("SELECT pg_catalog.pg_current_wal_lsn()::text", conn)) lsn = (string)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
            while (DateTimeOffset.UtcNow < deadline)
            {
                await using var cmd = new NpgsqlCommand(
                    "SELECT count(*) FROM pg_catalog.pg_stat_replication WHERE flush_lsn >= @lsn::pg_lsn", conn);
                cmd.Parameters.AddWithValue("lsn", lsn);
                if ((long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))! > 0) break;
                await Task.Delay(250, ct).ConfigureAwait(false);
            }
            return await CountAsync(conn, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CenateException or NpgsqlException)
        {
            reporter.Warning($"The live database could not be reached ({ex.Message}); the drill recovers without a fresh commit and compares no counts.");
            return null;
        }
    }

    private static async Task<Dictionary<string, long>> CountAsync(DatabaseTarget copy, CancellationToken ct)
    {
        var endpoint = new TcpEndpoint("127.0.0.1", copy.Port, "copy");
        await using var conn = new NpgsqlConnection(SnapshotSession.ConnectionString(copy, endpoint));
        await conn.OpenAsync(ct).ConfigureAwait(false);
        return await CountAsync(conn, ct).ConfigureAwait(false);
    }

    /// <summary>Exact row counts of every ordinary and partitioned table outside the system schemas.</summary>
    private static async Task<Dictionary<string, long>> CountAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var tables = new List<(string Schema, string Name)>();
        await using (var cmd = new NpgsqlCommand(
            "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', 'information_schema') " +
            "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' ORDER BY 1, 2", conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false)) tables.Add((r.GetString(0), r.GetString(1)));
        }
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (schema, name) in tables)
        {
            var q = new QualifiedTable(schema, name).Sql;
            await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM {q}", conn);
            counts[schema + "." + name] = (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }
        return counts;
    }
}
