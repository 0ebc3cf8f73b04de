using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Database;
using CenateBackup.Core.Docker;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Wal;
using Npgsql;

namespace CenateBackup.Core.Standby;

public static partial class StandbyService
{
    /// <summary>
    /// The standbys of the target's container (or the one named <paramref name="name"/>) as the primary and each standby
    /// see them. StandbyNotFound when there is none. <paramref name="maxLag"/> and <paramref name="maxRetainedWal"/> add
    /// a problem when passed.
    /// </summary>
    public static async Task<IReadOnlyList<ReplicationStatus>> GetAsync(DatabaseTarget target, string? name, TimeSpan? maxLag, long? maxRetainedWal,
        IOperationReporter reporter, CancellationToken ct)
    {
        RequireContainer(target);
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        var engine = session.Context.Engine!;
        var primary = session.Context.Container!;
        var result = new List<ReplicationStatus>();
        foreach (var standby in await StandbysAsync(engine, primary.Name, name, ct).ConfigureAwait(false))
        {
            result.Add(await StatusAsync(session, standby, maxLag, maxRetainedWal, reporter, ct).ConfigureAwait(false));
        }
        return result;
    }

    /// <summary>
    /// Works out what Remove-CenateStandby would do: stop and remove the container, its data with
    /// <paramref name="removeData"/>, and its slot on the primary. A standby that was promoted is a primary now:
    /// StandbyPromoted, nothing is removed.
    /// </summary>
    public static async Task<StandbyPlan> PlanRemoveAsync(DatabaseTarget target, string name, bool removeData, IOperationReporter reporter, CancellationToken ct)
    {
        RequireContainer(target);
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        var engine = session.Context.Engine!;
        var primary = session.Context.Container!;
        ContainerInfo standby;
        try
        {
            standby = (await StandbysAsync(engine, primary.Name, name, ct).ConfigureAwait(false))[0];
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
        var status = await StatusAsync(session, standby, null, null, reporter, ct).ConfigureAwait(false);
        if (status.State == "Promoted")
        {
            throw new CenateException(ErrorIds.StandbyPromoted, CenateErrorKind.InvalidOperation,
                Messages.Format("Standby.RemovePromoted", name), Messages.Format("Standby.RemovePromoted.Action", name), name);
        }
        await CheckRemovableAsync(session, standby, status, removeData, ct).ConfigureAwait(false);
        var plan = new StandbyPlan { Name = name };
        plan.Steps.Add(Messages.Format("Standby.Step.Remove", name));
        if (status.WalStatus is not null) plan.Steps.Add(Messages.Format("Standby.Step.DropSlot", status.Slot, primary.Name));
        if (removeData) plan.Steps.Add(Messages.Format(IsDirectory(status.DataPath) ? "Standby.Step.RemoveDirectory" : "Standby.Step.RemoveVolume", status.DataPath));
        else plan.Warnings.Add(Messages.Format("Standby.DataStays", status.DataPath));
        var image = standby.ImageId;
        plan.Run = async (rep, c) =>
        {
            var again = await PlanRemoveAsync(target, name, removeData, rep, c).ConfigureAwait(false);
            ConfirmedPlan.Require(plan.Steps, again.Steps, name);
            await using var s = await DatabaseSession.OpenAsync(target, null, rep, c).ConfigureAwait(false);
            var engine2 = s.Context.Engine!;
            // Stopped first, its slot dropped, then the container removed: a slot that cannot be dropped leaves the
            // container (stopped) in place, so that Remove-CenateStandby can be run again.
            rep.Verbose($"Stopping the standby container {name}.");
            await engine2.StopAsync(name, c).ConfigureAwait(false);
            if (status.WalStatus is not null)
            {
                try
                {
                    await WalArchiveService.DropSlotAsync(s.Connection, status.Slot, TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
                }
                catch (NpgsqlException ex)
                {
                    throw s.Translate(ex);
                }
                rep.Verbose($"Dropped the replication slot {status.Slot}.");
            }
            rep.Verbose($"Removing the standby container {name}.");
            await engine2.RemoveAsync(name, c).ConfigureAwait(false);
            if (removeData)
            {
                rep.Verbose($"Removing the standby's data {status.DataPath}.");
                if (IsDirectory(status.DataPath))
                {
                    await DeleteDirectoryAsync(engine2, image, status.DataPath, name, c, keep: !MarkerSaysCreated(status.DataPath)).ConfigureAwait(false);
                }
                else await engine2.RemoveVolumeAsync(status.DataPath, c).ConfigureAwait(false);
            }
            status.State = "Removed";
            status.Problems.Clear();
            status.ErrorId = null;
            status.WalStatus = null;
            status.SlotActive = false;
            status.RetainedWalBytes = null;
            return status;
        };
        return plan;
    }

    /// <summary>
    /// What Remove-CenateStandby deletes is what the engine says the container mounts and what the primary says the slot
    /// serves, never only what a label claims (a label is text anyone with Docker access can write): the data must be the
    /// container's own mount (a directory must also hold the marker New-CenateStandby wrote), and the slot no other
    /// container of the module claims, nor another client streams from. StandbyNotOurs otherwise; nothing is removed.
    /// </summary>
    private static async Task CheckRemovableAsync(DatabaseSession session, ContainerInfo standby, ReplicationStatus status, bool removeData,
        CancellationToken ct)
    {
        CenateException NotOurs(string why) => new(ErrorIds.StandbyNotOurs, CenateErrorKind.InvalidArgument,
            Messages.Format("Standby.NotRemovable", standby.Name, why), Messages.Get("Standby.NotRemovable.Action"), standby.Name);
        var mount = standby.Mounts.FirstOrDefault(m => m.Destination == DataMount);
        var mounted = mount is null ? null : mount.Type == "volume" ? mount.Name : mount.Source;
        if (mounted is null || mounted != status.DataPath) throw NotOurs(Messages.Format("Standby.MountDiffers", status.DataPath, mounted ?? "-"));
        if (removeData && IsDirectory(status.DataPath) && !MarkerNames(status.DataPath, standby.Name))
        {
            throw NotOurs(Messages.Format("Standby.NoMarker", status.DataPath, MarkerFile));
        }
        if (removeData && !IsDirectory(status.DataPath))
        {
            var labels = await session.Context.Engine!.VolumeLabelsAsync(status.DataPath, ct).ConfigureAwait(false);
            if (labels is null || !labels.TryGetValue(WalArchiveService.RoleLabel, out var role) || role != DataRoleValue
                || !labels.TryGetValue(StandbyLabel, out var owner) || owner != standby.Name)
            {
                throw NotOurs(Messages.Format("Standby.NotADataVolume", status.DataPath));
            }
        }
        if (removeData && status.InRecovery != true && !await HasStandbySignalAsync(session.Context.Engine!, standby.ImageId, status.DataPath, standby.Name, ct)
                .ConfigureAwait(false))
        {
            // Not seen in recovery (stopped, unreachable): its own files must say it is still a standby.
            throw new CenateException(ErrorIds.StandbyPromoted, CenateErrorKind.InvalidOperation,
                Messages.Format("Standby.NotRemovable", standby.Name, Messages.Get("Standby.MaybePromoted")),
                Messages.Format("Standby.RemovePromoted.Action", standby.Name), standby.Name);
        }
        if (status.WalStatus is null) return;
        if (status.Slot == WalArchiveService.DefaultSlot) throw NotOurs(Messages.Format("Standby.SlotClaimed", status.Slot, "Start-CenateWalArchive"));
        var engine = session.Context.Engine!;
        foreach (var other in await engine.FindByLabelAsync(WalArchiveService.SlotLabel, status.Slot, ct).ConfigureAwait(false))
        {
            if (other.Name != standby.Name) throw NotOurs(Messages.Format("Standby.SlotClaimed", status.Slot, other.Name));
        }
        try
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT r.application_name FROM pg_catalog.pg_replication_slots s JOIN pg_catalog.pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = @s",
                session.Connection);
            cmd.Parameters.AddWithValue("s", status.Slot);
            if (await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is string client && client != standby.Name)
            {
                throw NotOurs(Messages.Format("Standby.SlotClaimed", status.Slot, client));
            }
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    private static async Task<List<ContainerInfo>> StandbysAsync(DockerEngine engine, string primary, string? name, CancellationToken ct)
    {
        static string? Label(ContainerInfo c, string key) => c.Labels.TryGetValue(key, out var v) ? v : null;
        if (name is not null)
        {
            var one = await WalArchiveService.FindContainerAsync(engine, name, ct).ConfigureAwait(false)
                ?? throw new CenateException(ErrorIds.StandbyNotFound, CenateErrorKind.ObjectNotFound,
                    Messages.Format("Standby.NotFoundNamed", name), Messages.Get("Standby.NotFound.Action"), name);
            if (Label(one, WalArchiveService.RoleLabel) != RoleValue || Label(one, WalArchiveService.PrimaryLabel) != primary)
            {
                throw new CenateException(ErrorIds.StandbyNotOurs, CenateErrorKind.InvalidArgument,
                    Messages.Format("Standby.NotOurs", name, primary), Messages.Get("Standby.NotOurs.Action"), name);
            }
            return new List<ContainerInfo> { one };
        }
        var found = (await engine.FindByLabelAsync(WalArchiveService.PrimaryLabel, primary, ct).ConfigureAwait(false))
            .Where(c => Label(c, WalArchiveService.RoleLabel) == RoleValue).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        if (found.Count == 0)
        {
            throw new CenateException(ErrorIds.StandbyNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("Standby.NotFound", primary), Messages.Get("Standby.NotFound.Action"), primary);
        }
        return found;
    }

    /// <summary>One standby's state: the slot and walsender on the primary, the WAL receiver and replay on the standby.</summary>
    private static async Task<ReplicationStatus> StatusAsync(DatabaseSession session, ContainerInfo standby, TimeSpan? maxLag, long? maxRetainedWal,
        IOperationReporter reporter, CancellationToken ct)
    {
        string Label(string key) => standby.Labels.TryGetValue(key, out var v) ? v : "";
        var port = int.TryParse(Label(WalArchiveService.PortLabel), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0;
        var status = new ReplicationStatus
        {
            Name = standby.Name,
            Primary = Label(WalArchiveService.PrimaryLabel),
            ContainerState = standby.Restarting ? "restarting" : standby.State,
            Port = port,
            Slot = Label(WalArchiveService.SlotLabel),
            DataPath = Label(WalArchiveService.PathLabel),
        };
        // Without superuser or pg_read_all_stats, PostgreSQL hides the columns of pg_stat_replication and
        // pg_stat_wal_receiver: every standby would look disconnected. Said plainly instead.
        try
        {
            await using var may = new NpgsqlCommand(
                "SELECT rolsuper OR pg_catalog.pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') FROM pg_catalog.pg_roles WHERE rolname = current_user",
                session.Connection);
            if (await may.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true)
            {
                throw new CenateException(ErrorIds.InsufficientPrivilege, CenateErrorKind.PermissionDenied,
                    Messages.Format("Standby.StatsPrivilege", session.Target.User), Messages.Format("Standby.StatsPrivilege.Action", session.Target.User),
                    session.Target.User);
            }
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
        double? replayLag = null, silent = null;
        ulong? replayedOnPrimary = null;
        ulong primaryLsn;
        var slotExists = false;
        string? senderApplication = null;
        string primarySystem;
        try
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT pg_catalog.pg_current_wal_lsn()::text, " +
                "(SELECT CASE WHEN setting::bigint < 0 THEN -1 ELSE setting::bigint * 1048576 END FROM pg_catalog.pg_settings WHERE name = 'max_slot_wal_keep_size'), " +
                "s.slot_name IS NOT NULL, s.active, coalesce(s.wal_status, CASE WHEN s.slot_name IS NOT NULL THEN 'lost' END), " +
                "pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.restart_lsn)::bigint, s.safe_wal_size, " +
                "r.state, r.replay_lsn::text, extract(epoch FROM r.replay_lag)::float8, extract(epoch FROM now() - r.reply_time)::float8, r.application_name, " +
                "(SELECT system_identifier::text FROM pg_catalog.pg_control_system()) " +
                "FROM (SELECT 1) one LEFT JOIN pg_catalog.pg_replication_slots s ON s.slot_name = @s AND s.slot_type = 'physical' " +
                "LEFT JOIN pg_catalog.pg_stat_replication r ON r.pid = s.active_pid", session.Connection);
            cmd.Parameters.AddWithValue("s", status.Slot);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await r.ReadAsync(ct).ConfigureAwait(false);
            status.PrimaryLsn = r.GetString(0);
            primaryLsn = BaseBackupFacts.ParseLsn(status.PrimaryLsn);
            status.MaxSlotWalKeepSizeBytes = r.GetInt64(1);
            slotExists = r.GetBoolean(2);
            if (slotExists)
            {
                status.SlotActive = r.GetBoolean(3);
                status.WalStatus = r.GetString(4);
                status.RetainedWalBytes = r.IsDBNull(5) ? null : r.GetInt64(5);
                status.SafeWalSizeBytes = r.IsDBNull(6) ? null : r.GetInt64(6);
            }
            if (!r.IsDBNull(7))
            {
                status.SenderState = r.GetString(7);
                replayedOnPrimary = r.IsDBNull(8) ? null : BaseBackupFacts.ParseLsn(r.GetString(8));
                replayLag = r.IsDBNull(9) ? null : r.GetDouble(9);
                silent = r.IsDBNull(10) ? null : r.GetDouble(10);
                senderApplication = r.IsDBNull(11) ? null : r.GetString(11);
            }
            primarySystem = r.GetString(12);
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }

        var running = standby.Running && !standby.Restarting;
        var reachable = false;
        ulong? replayed = null;
        string? receiverSlot = null;
        var standbySystem = primarySystem;
        if (running)
        {
            try
            {
                await using var s = await DatabaseSession.OpenAsync(StandbyTarget(session.Target, standby.Name, port), null, NullReporter.Instance, ct)
                    .ConfigureAwait(false);
                await using var cmd = new NpgsqlCommand(
                    "SELECT pg_catalog.pg_is_in_recovery(), w.status, w.slot_name, " +
                    "pg_catalog.pg_last_wal_receive_lsn()::text, pg_catalog.pg_last_wal_replay_lsn()::text, pg_catalog.pg_last_xact_replay_timestamp(), " +
                    "(SELECT system_identifier::text FROM pg_catalog.pg_control_system()) " +
                    "FROM (SELECT 1) one LEFT JOIN pg_catalog.pg_stat_wal_receiver w ON true", s.Connection);
                await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await r.ReadAsync(ct).ConfigureAwait(false);
                reachable = true;
                status.InRecovery = r.GetBoolean(0);
                status.ReceiverStatus = r.IsDBNull(1) ? null : r.GetString(1);
                receiverSlot = r.IsDBNull(2) ? null : r.GetString(2);
                status.ReceivedLsn = r.IsDBNull(3) ? null : r.GetString(3);
                status.ReplayedLsn = r.IsDBNull(4) ? null : r.GetString(4);
                status.LastReplayedTransaction = r.IsDBNull(5) ? null : new DateTimeOffset(r.GetFieldValue<DateTime>(5), TimeSpan.Zero);
                standbySystem = r.GetString(6);
                if (status.ReplayedLsn is not null) replayed = BaseBackupFacts.ParseLsn(status.ReplayedLsn);
            }
            catch (Exception ex) when (ex is CenateException or NpgsqlException)
            {
                reporter.Verbose($"The standby {standby.Name} does not answer: {ex.Message}");
            }
        }
        var sameSystem = standbySystem == primarySystem;
        Evaluate(status, new ReplicationFacts
        {
            Running = running,
            Reachable = reachable,
            InRecovery = status.InRecovery == true,
            SlotExists = slotExists,
            ReplayLagSeconds = replayLag,
            SilentSeconds = silent,
            PrimaryLsn = primaryLsn,
            // Positions of another cluster mean nothing here.
            ReplayedLsn = sameSystem ? replayed ?? replayedOnPrimary : null,
            SameSystem = sameSystem,
            ReceiverSlot = receiverSlot,
            SenderApplication = senderApplication,
            Systems = (primarySystem, standbySystem),
        }, maxLag, maxRetainedWal);
        return status;
    }

    /// <summary>
    /// The state, the lag and the problems of a standby from what the primary and the standby answered. The lag is 0 when
    /// the standby has replayed everything the primary wrote (replay_lag is NULL on an idle primary then); when something
    /// is behind, the measured replay_lag (or longer when the standby has not answered since); when replay_lag is NULL
    /// with WAL behind, unknown: with <paramref name="maxLag"/> that is a problem, not health.
    /// </summary>
    public static void Evaluate(ReplicationStatus status, ReplicationFacts facts, TimeSpan? maxLag, long? maxRetainedWal)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(facts);
        void Problem(string id, string text)
        {
            status.ErrorId ??= id;
            status.Problems.Add(text);
        }
        status.LagBytes = facts.ReplayedLsn is { } done ? (long)(facts.PrimaryLsn > done ? facts.PrimaryLsn - done : 0) : null;
        status.LagSeconds = status.LagBytes == 0 ? 0
            : status.LagBytes is null || facts.ReplayLagSeconds is null || status.SenderState is null ? null
            : Math.Max(facts.ReplayLagSeconds.Value, facts.SilentSeconds ?? 0);

        if (!facts.Running)
        {
            status.State = "Stopped";
            Problem(ErrorIds.StandbyStopped, Messages.Format("Standby.Problem.Stopped", status.Name, status.ContainerState));
        }
        else if (!facts.Reachable)
        {
            status.State = "Unreachable";
            Problem(ErrorIds.StandbyUnreachable, Messages.Format("Standby.Problem.Unreachable", status.Name, status.Port));
        }
        else if (!facts.InRecovery)
        {
            status.State = "Promoted";
            Problem(ErrorIds.StandbyPromoted, Messages.Format("Standby.Problem.Promoted", status.Name));
        }
        if (!facts.SlotExists)
        {
            if (status.State.Length == 0) status.State = "SlotMissing";
            Problem(ErrorIds.StandbySlotMissing, Messages.Format("Standby.Problem.SlotMissing", status.Slot, status.Primary));
        }
        else if (status.WalStatus == "lost")
        {
            if (status.State.Length == 0) status.State = "Lost";
            Problem(ErrorIds.StandbySlotLost, Messages.Format("Standby.Problem.Lost", status.Slot, status.Name));
        }
        if (status.State.Length == 0 && !facts.SameSystem)
        {
            status.State = "Disconnected";
            Problem(ErrorIds.StandbyDisconnected, Messages.Format("Standby.Problem.Foreign", status.Name, facts.Systems.Standby, facts.Systems.Primary));
        }
        if (status.State.Length == 0)
        {
            // Streaming means this standby, through this slot: its receiver names the slot, and the walsender that serves
            // the slot is the standby's (its application_name), not some other client holding the slot.
            var ours = facts.ReceiverSlot == status.Slot && (facts.SenderApplication is null || facts.SenderApplication == status.Name);
            if (status.SlotActive && status.ReceiverStatus == "streaming" && status.SenderState is not null && ours)
            {
                status.State = status.SenderState == "catchup" ? "CatchingUp" : "Streaming";
            }
            else
            {
                status.State = "Disconnected";
                Problem(ErrorIds.StandbyDisconnected, status.ReceiverStatus == "streaming" && !ours
                    ? Messages.Format("Standby.Problem.OtherSource", status.Name, status.Slot, facts.ReceiverSlot ?? "-")
                    : Messages.Format("Standby.Problem.Disconnected", status.Name, status.ReceiverStatus ?? "-"));
            }
        }
        if (status.WalStatus == "unreserved")
        {
            Problem(ErrorIds.StandbyNearLimit, Messages.Format("Standby.Problem.Unreserved", status.Slot));
        }
        else if (status.WalStatus is not (null or "lost") && status.SafeWalSizeBytes is { } safe && status.MaxSlotWalKeepSizeBytes > 0
                 && safe < status.MaxSlotWalKeepSizeBytes / 5)
        {
            Problem(ErrorIds.StandbyNearLimit, Messages.Format("Standby.Problem.NearLimit", status.Slot, WalArchiveService.Size(safe),
                WalArchiveService.Size(status.MaxSlotWalKeepSizeBytes)));
        }
        // Behind by an unknown time (replay_lag NULL with WAL to replay) is never healthy, with or without -MaxLag; nor is
        // catching up. -MaxLag adds a limit on the measured lag.
        var limit = maxLag?.TotalSeconds;
        if (status.State is "Streaming" or "CatchingUp" && status.LagSeconds is null && status.LagBytes != 0)
        {
            Problem(ErrorIds.StandbyLagging, Messages.Format("Standby.Problem.LagUnknown", status.Name,
                status.LagBytes is { } b ? WalArchiveService.Size(b) : "?"));
        }
        else if (status.State == "CatchingUp")
        {
            Problem(ErrorIds.StandbyLagging, Messages.Format("Standby.Problem.CatchingUp", status.Name,
                status.LagBytes is { } b ? WalArchiveService.Size(b) : "?"));
        }
        if (limit is { } most && status.State is "Streaming" or "CatchingUp" or "Disconnected" && status.LagSeconds > most)
        {
            Problem(ErrorIds.StandbyLagging, Messages.Format("Standby.Problem.Lag", status.Name,
                status.LagSeconds.Value.ToString("0.#", CultureInfo.CurrentCulture), most));
        }
        if (maxRetainedWal is { } keep && status.RetainedWalBytes > keep)
        {
            Problem(ErrorIds.StandbyRetainingWal, Messages.Format("Standby.Problem.Retained", status.Slot, WalArchiveService.Size(status.RetainedWalBytes.Value),
                WalArchiveService.Size(keep)));
        }
    }
}
