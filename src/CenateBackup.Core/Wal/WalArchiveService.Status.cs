using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Docker;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Targets;
using Npgsql;

namespace CenateBackup.Core.Wal;

public static partial class WalArchiveService
{
    /// <summary>
    /// The archivers of the target's container (or the one named <paramref name="name"/>), each with its container's
    /// state, its slot on the server, its lag and its directory. WalArchiveNotFound when there is none.
    /// <paramref name="maxLag"/> and <paramref name="maxRetainedWal"/> add a problem when passed.
    /// </summary>
    public static async Task<IReadOnlyList<WalArchiveStatus>> GetAsync(DatabaseTarget target, string? name, TimeSpan? maxLag, long? maxRetainedWal,
        IOperationReporter reporter, CancellationToken ct)
    {
        RequireContainer(target);
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        var engine = session.Context.Engine!;
        var primary = session.Context.Container!;
        try
        {
            var found = await ArchiversAsync(engine, primary.Name, name, ct).ConfigureAwait(false);
            var result = new List<WalArchiveStatus>();
            foreach (var sidecar in found)
            {
                result.Add(await StatusAsync(session.Connection, engine, sidecar, maxLag, maxRetainedWal, ct).ConfigureAwait(false));
            }
            return result;
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    /// <summary>Works out what Stop-CenateWalArchive would do: remove the archiver container, and drop its slot with <paramref name="dropSlot"/>.</summary>
    public static async Task<WalArchivePlan> PlanStopAsync(DatabaseTarget target, string? name, bool dropSlot, IOperationReporter reporter,
        CancellationToken ct)
    {
        RequireContainer(target);
        DatabaseSession session;
        try
        {
            session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        }
        catch (CenateException ex) when (!dropSlot && (ex.ErrorId == ErrorIds.ContainerNotRunning || ex.Kind == CenateErrorKind.ConnectionError))
        {
            // The database is down: the archiver can still be stopped (its slot, on the server, is left as it is).
            reporter.Warning(Messages.Format("Wal.StopOffline", target.Container, ex.Message));
            return await PlanStopOfflineAsync(target, name, reporter, ct).ConfigureAwait(false);
        }
        await using var _ = session;
        var engine = session.Context.Engine!;
        var primary = session.Context.Container!;
        try
        {
            var found = await ArchiversAsync(engine, primary.Name, name, ct).ConfigureAwait(false);
            if (found.Count > 1)
            {
                throw new CenateException(ErrorIds.WalArchiveAmbiguous, CenateErrorKind.InvalidArgument,
                    Messages.Format("Wal.Ambiguous", primary.Name, string.Join(", ", found.Select(f => f.Name))), Messages.Get("Wal.Ambiguous.Action"),
                    primary.Name);
            }
            var sidecar = found[0];
            var status = await StatusAsync(session.Connection, engine, sidecar, null, null, ct).ConfigureAwait(false);
            var plan = new WalArchivePlan { Name = sidecar.Name, Current = status };
            plan.Steps.Add(Messages.Format("Wal.Step.Remove", sidecar.Name, status.Path));
            if (dropSlot && status.WalStatus is not null)
            {
                // A label is only what the container says: the slot dropped must be the one the directory's marker records.
                if (MarkerSlot(status.Path) != status.Slot)
                {
                    throw new CenateException(ErrorIds.WalArchiveSlotBusy, CenateErrorKind.InvalidOperation,
                        Messages.Format("Wal.SlotNotOurs", status.Slot, status.Path), Messages.Format("Wal.SlotBusy.Action", status.Slot), status.Slot);
                }
                plan.Steps.Add(Messages.Format("Wal.Step.DropSlot", status.Slot));
            }
            else if (status.WalStatus is not null) plan.Warnings.Add(Messages.Format("Wal.SlotStays", status.Slot, Size(status.MaxSlotWalKeepSizeBytes)));
            plan.Run = async (rep, c) =>
            {
                var again = await PlanStopAsync(target, sidecar.Name, dropSlot, rep, c).ConfigureAwait(false);
                ConfirmedPlan.Require(plan.Steps, again.Steps, sidecar.Name);
                return await StopAsync(target, again, dropSlot, rep, c).ConfigureAwait(false);
            };
            return plan;
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    /// <summary>Stop without the database (it is down): the container only, found by its labels; nothing on the server.</summary>
    private static async Task<WalArchivePlan> PlanStopOfflineAsync(DatabaseTarget target, string? name, IOperationReporter reporter, CancellationToken ct)
    {
        using var engine = new DockerEngine(target.DockerHost);
        var found = await ArchiversAsync(engine, target.Container!, name, ct).ConfigureAwait(false);
        if (found.Count > 1)
        {
            throw new CenateException(ErrorIds.WalArchiveAmbiguous, CenateErrorKind.InvalidArgument,
                Messages.Format("Wal.Ambiguous", target.Container, string.Join(", ", found.Select(f => f.Name))), Messages.Get("Wal.Ambiguous.Action"),
                target.Container);
        }
        var sidecar = found[0];
        var status = new WalArchiveStatus
        {
            Name = sidecar.Name,
            Primary = target.Container!,
            ContainerState = sidecar.Running ? "running" : "exited",
            Path = sidecar.Labels.TryGetValue(PathLabel, out var path) ? path : "",
            Slot = sidecar.Labels.TryGetValue(SlotLabel, out var slot) ? slot : "",
            ReplicationUser = sidecar.Labels.TryGetValue(UserLabel, out var user) ? user : "",
        };
        var plan = new WalArchivePlan { Name = sidecar.Name, Current = status };
        plan.Steps.Add(Messages.Format("Wal.Step.Remove", sidecar.Name, status.Path));
        plan.Run = async (rep, c) =>
        {
            var again = await PlanStopOfflineAsync(target, sidecar.Name, rep, c).ConfigureAwait(false);
            ConfirmedPlan.Require(plan.Steps, again.Steps, sidecar.Name);
            using var engine2 = new DockerEngine(target.DockerHost);
            rep.Verbose($"Stopping and removing the archiver container {sidecar.Name}; the files in {status.Path} stay.");
            await engine2.RemoveAsync(sidecar.Name, c).ConfigureAwait(false);
            status.State = "Removed";
            return status;
        };
        return plan;
    }

    private static async Task<WalArchiveStatus> StopAsync(DatabaseTarget target, WalArchivePlan plan, bool dropSlot, IOperationReporter reporter,
        CancellationToken ct)
    {
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        var engine = session.Context.Engine!;
        var status = plan.Current!;
        reporter.Verbose($"Stopping and removing the archiver container {plan.Name}; the files in {status.Path} stay.");
        await engine.RemoveAsync(plan.Name, ct).ConfigureAwait(false);
        // The walsender ends a moment after pg_receivewal does: wait for it, so that a Start right after finds the slot free.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (status.WalStatus is not null && DateTime.UtcNow < deadline)
        {
            await using var active = new NpgsqlCommand("SELECT coalesce((SELECT active FROM pg_catalog.pg_replication_slots WHERE slot_name = @s), false)",
                session.Connection);
            active.Parameters.AddWithValue("s", status.Slot);
            if (await active.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true) break;
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
        if (dropSlot && status.WalStatus is not null)
        {
            try
            {
                await DropSlotAsync(session.Connection, status.Slot, deadline - DateTime.UtcNow, ct).ConfigureAwait(false);
            }
            catch (NpgsqlException ex)
            {
                throw session.Translate(ex);
            }
            reporter.Verbose($"Dropped the replication slot {status.Slot}.");
            status.WalStatus = null;
            status.SlotActive = false;
            status.RetainedWalBytes = null;
        }
        status.State = "Removed";
        status.Problems.Clear();
        status.ErrorId = null;
        return status;
    }

    /// <summary>
    /// Drops a replication slot (none of that name is fine), trying again while its walsender has not ended yet
    /// (55006, "is active") for up to <paramref name="wait"/>: it ends a moment after its client stops.
    /// </summary>
    internal static async Task DropSlotAsync(NpgsqlConnection conn, string slot, TimeSpan wait, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                await using var cmd = new NpgsqlCommand(
                    "SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots WHERE slot_name = @s", conn);
                cmd.Parameters.AddWithValue("s", slot);
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                return;
            }
            catch (PostgresException ex) when (ex.SqlState == "55006" && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200, ct).ConfigureAwait(false);
            }
        }
    }

    private static async Task<List<ContainerInfo>> ArchiversAsync(DockerEngine engine, string primary, string? name, CancellationToken ct)
    {
        if (name is not null)
        {
            var one = await FindContainerAsync(engine, name, ct).ConfigureAwait(false);
            if (one is not null && one.Labels.TryGetValue(RoleLabel, out var role) && role == RoleValue
                && one.Labels.TryGetValue(PrimaryLabel, out var of) && of == primary)
            {
                return new List<ContainerInfo> { one };
            }
            throw new CenateException(ErrorIds.WalArchiveNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format(one is null ? "Wal.NotFoundNamed" : "Wal.NotOurs", name, primary), Messages.Get("Wal.NotFound.Action"), name);
        }
        var found = (await engine.FindByLabelAsync(PrimaryLabel, primary, ct).ConfigureAwait(false))
            .Where(c => c.Labels.TryGetValue(RoleLabel, out var r) && r == RoleValue).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        if (found.Count == 0)
        {
            throw new CenateException(ErrorIds.WalArchiveNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("Wal.NotFound", primary), Messages.Get("Wal.NotFound.Action"), primary);
        }
        return found;
    }

    /// <summary>The archiver's state from Docker, the server and its directory.</summary>
    internal static async Task<WalArchiveStatus> StatusAsync(NpgsqlConnection conn, DockerEngine engine, ContainerInfo sidecar, TimeSpan? maxLag,
        long? maxRetainedWal, CancellationToken ct)
    {
        string Label(string key) => sidecar.Labels.TryGetValue(key, out var v) ? v : "";
        var status = new WalArchiveStatus
        {
            Name = sidecar.Name,
            Primary = Label(PrimaryLabel),
            ContainerState = sidecar.Restarting ? "restarting" : sidecar.State,
            RestartCount = sidecar.RestartCount,
            Path = Label(PathLabel),
            Slot = Label(SlotLabel),
            ReplicationUser = Label(UserLabel),
        };
        await using (var cmd = new NpgsqlCommand(
            "SELECT pg_catalog.pg_current_wal_lsn()::text, " +
            "(SELECT CASE WHEN setting::bigint < 0 THEN -1 ELSE setting::bigint * 1048576 END FROM pg_catalog.pg_settings WHERE name = 'max_slot_wal_keep_size'), " +
            "s.active, s.wal_status, pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.restart_lsn)::bigint, s.safe_wal_size, " +
            "r.flush_lsn::text, pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.flush_lsn)::bigint, " +
            "extract(epoch FROM r.flush_lag)::float8, extract(epoch FROM now() - r.reply_time)::float8 " +
            "FROM (SELECT 1) one LEFT JOIN pg_catalog.pg_replication_slots s ON s.slot_name = @s " +
            "LEFT JOIN pg_catalog.pg_stat_replication r ON r.pid = s.active_pid AND r.application_name = @n", conn))
        {
            cmd.Parameters.AddWithValue("s", status.Slot);
            cmd.Parameters.AddWithValue("n", status.Name);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await r.ReadAsync(ct).ConfigureAwait(false);
            status.CurrentLsn = r.GetString(0);
            status.MaxSlotWalKeepSizeBytes = r.GetInt64(1);
            if (!r.IsDBNull(2))
            {
                status.SlotActive = r.GetBoolean(2);
                status.WalStatus = r.IsDBNull(3) ? null : r.GetString(3);
                status.RetainedWalBytes = r.IsDBNull(4) ? null : r.GetInt64(4);
                status.SafeWalSizeBytes = r.IsDBNull(5) ? null : r.GetInt64(5);
            }
            if (!r.IsDBNull(6))
            {
                status.FlushedLsn = r.GetString(6);
                status.LagBytes = Math.Max(0, r.GetInt64(7));
                // Nothing behind: 0 (flush_lag is NULL once an idle server's archive has caught up). Something behind: the
                // measured flush_lag, or longer when the archiver has not answered since (a hung or paused archiver
                // keeps its last flush_lag forever; pg_receivewal answers at least every 10 s).
                double? measured = r.IsDBNull(8) ? null : r.GetDouble(8);
                double? silent = r.IsDBNull(9) ? null : r.GetDouble(9);
                status.LagSeconds = status.LagBytes == 0 ? 0
                    : measured is null && silent is null ? null
                    : Math.Max(measured ?? 0, silent ?? 0);
            }
        }

        void Problem(string id, string text)
        {
            status.ErrorId ??= id;
            status.Problems.Add(text);
        }
        var running = sidecar.Running && !sidecar.Restarting;
        if (status.WalStatus is null)
        {
            status.State = "SlotMissing";
            Problem(ErrorIds.WalArchiveSlotMissing, Messages.Format("Wal.Problem.SlotMissing", status.Slot));
        }
        else if (status.WalStatus == "lost")
        {
            status.State = "Lost";
            Problem(ErrorIds.WalArchiveSlotLost, Messages.Format("Wal.Problem.Lost", status.Slot));
        }
        else
        {
            status.State = !running ? "Stopped" : status.SlotActive && status.FlushedLsn is not null ? "Streaming" : "Disconnected";
        }
        if (!running) Problem(ErrorIds.WalArchiveStopped, Messages.Format("Wal.Problem.Stopped", status.Name, status.ContainerState));
        else if (status.State == "Disconnected") Problem(ErrorIds.WalArchiveDisconnected, Messages.Format("Wal.Problem.Disconnected", status.Name));
        // Near lost: past the limit already (unreserved), or less than a fifth of it left.
        if (status.WalStatus == "unreserved")
        {
            Problem(ErrorIds.WalArchiveNearLimit, Messages.Format("Wal.Problem.Unreserved", status.Slot));
        }
        else if (status.WalStatus is not (null or "lost") && status.SafeWalSizeBytes is { } safe && status.MaxSlotWalKeepSizeBytes > 0
                 && safe < status.MaxSlotWalKeepSizeBytes / 5)
        {
            Problem(ErrorIds.WalArchiveNearLimit, Messages.Format("Wal.Problem.NearLimit", status.Slot, Size(safe), Size(status.MaxSlotWalKeepSizeBytes)));
        }
        // Unknown seconds (flush_lag is NULL for a moment after a reconnect) count only when more than a segment is behind.
        if (maxLag is { } lag && status.State == "Streaming" && (status.LagSeconds is null && status.LagBytes > 16L << 20 || status.LagSeconds > lag.TotalSeconds))
        {
            Problem(ErrorIds.WalArchiveLagging, Messages.Format("Wal.Problem.Lag", status.LagSeconds is { } s ? s.ToString("0.#", CultureInfo.CurrentCulture) : "?", lag.TotalSeconds));
        }
        if (maxRetainedWal is { } most && status.RetainedWalBytes > most)
        {
            Problem(ErrorIds.WalArchiveLagging, Messages.Format("Wal.Problem.Retained", Size(status.RetainedWalBytes.Value), Size(most)));
        }
        ReadDirectory(status);
        return status;
    }

    private static void ReadDirectory(WalArchiveStatus status)
    {
        if (!Directory.Exists(status.Path))
        {
            status.ErrorId ??= ErrorIds.PathNotFound;
            status.Problems.Add(Messages.Format("Wal.Problem.NoDirectory", status.Path));
            return;
        }
        FileInfo? last = null;
        IEnumerable<FileInfo> files;
        try
        {
            files = new DirectoryInfo(status.Path).EnumerateFiles().ToList();
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            status.ErrorId ??= ErrorIds.AccessDenied;
            status.Problems.Add(Messages.Format("Wal.Problem.Unreadable", status.Path, ex.Message));
            return;
        }
        foreach (var file in files)
        {
            status.ArchiveBytes += file.Length;
            if (!SegmentName().IsMatch(file.Name)) continue;
            status.SegmentCount++;
            if (last is null || string.CompareOrdinal(file.Name[8..], last.Name[8..]) > 0
                || string.CompareOrdinal(file.Name[8..], last.Name[8..]) == 0 && string.CompareOrdinal(file.Name, last.Name) > 0)
            {
                last = file;
            }
        }
        status.LastSegment = last?.Name;
        status.LastSegmentTime = last is null ? null : new DateTimeOffset(last.LastWriteTimeUtc, TimeSpan.Zero);
    }

    internal static string Size(long bytes) => bytes < 0 ? "-1 (no limit)" : bytes >= 1L << 30
        ? (bytes / (double)(1L << 30)).ToString("0.##", CultureInfo.InvariantCulture) + " GB"
        : (bytes / (double)(1L << 20)).ToString("0.#", CultureInfo.InvariantCulture) + " MB";
}
