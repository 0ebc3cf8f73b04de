using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Database;
using CenateBackup.Core.Docker;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Pitr;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Wal;
using Npgsql;

namespace CenateBackup.Core.Standby;

/// <summary>
/// A streaming standby (plan level 4, issue 20): a second container of the primary's own image (same major version,
/// same C library, so the same collation), filled by pg_basebackup through its own physical slot and kept up to date by
/// streaming replication. The replication role's password reaches it through a 0600 passfile copied into the container
/// before it starts: never on a command line, in its environment, in postgresql.auto.conf or in docker inspect.
/// </summary>
public static partial class StandbyService
{
    internal const string RoleValue = "standby";
    internal const string PrimaryPortLabel = "org.cenate.primary-port";
    internal const string DataRoleValue = "standby-data";
    internal const string StandbyLabel = "org.cenate.standby";
    private const string ReadyMark = "ready to accept read-only connections";
    private const string PassFile = "/cenate/pgpass";
    private const string DataMount = "/var/lib/cenate-standby";
    private const string BaseBackupFailedMark = "cenate-standby: pg_basebackup failed";
    /// <summary>The file in a standby's data directory (-Path a directory) that says which standby it holds.</summary>
    public const string MarkerFile = ".cenate-standby.json";

    /// <summary>
    /// Runs as root in the standby container: hands the passfile and the data directory to the postgres user (the mount
    /// point itself stays its owner's, traverse-only, so that a directory of this machine stays the module user's), fills the
    /// data directory once (pg_basebackup into a directory that is renamed only when complete, so a cut-off copy is never
    /// started), then runs postgres as a hot standby on 127.0.0.1 only. Arguments: primary port, role, slot, standby port.
    /// </summary>
    private const string Script = """
        set -eu
        run() {
          if command -v setpriv >/dev/null 2>&1; then exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
          elif command -v gosu >/dev/null 2>&1; then exec gosu postgres "$@"
          else exec runuser -u postgres -- "$@"; fi
        }
        D=/var/lib/cenate-standby/data
        chown -R postgres: /cenate && chmod 0700 /cenate
        mkdir -p /var/lib/cenate-standby /var/run/postgresql
        chown postgres: /var/run/postgresql
        chmod 0711 /var/lib/cenate-standby
        if [ ! -s "$D/PG_VERSION" ]; then
          rm -rf "$D.new"
          mkdir -m 0700 "$D.new" && chown postgres: "$D.new"
          echo "cenate-standby: base backup from 127.0.0.1:$1 through slot $3" >&2
          (run pg_basebackup -D "$D.new" -h 127.0.0.1 -p "$1" -U "$2" -w -R -X stream -S "$3" -c fast) || { echo "cenate-standby: pg_basebackup failed" >&2; exit 1; }
          mv "$D.new" "$D"
        fi
        echo "cenate-standby: starting the standby on 127.0.0.1:$4" >&2
        run postgres -D "$D" -c port="$4" -c listen_addresses=127.0.0.1 -c hot_standby=on -c logging_collector=off -c log_destination=stderr
        """;

    [GeneratedRegex("[^a-z0-9_]")]
    private static partial Regex NotSlotChar();

    /// <summary>The slot name made of a standby's name: lower case, other characters as '_', at most 63.</summary>
    public static string DefaultSlot(string name)
    {
        var slot = NotSlotChar().Replace(name.ToLowerInvariant(), "_");
        return slot.Length > 63 ? slot[..63] : slot;
    }

    /// <summary>The default data volume: &lt;name&gt;_data.</summary>
    public static string DefaultVolume(string name) => name + "_data";

    /// <summary>Carries out a plan of <see cref="PlanNewAsync"/> or <see cref="PlanRemoveAsync"/> (PlanChanged when the state moved).</summary>
    public static Task<ReplicationStatus> ExecuteAsync(StandbyPlan plan, IOperationReporter reporter, CancellationToken ct) =>
        (plan?.Run ?? throw new ArgumentException("Not a plan made by StandbyService.", nameof(plan)))(reporter, ct);

    /// <summary>Works out what New-CenateStandby would do and refuses what cannot work; nothing changes.</summary>
    public static Task<StandbyPlan> PlanNewAsync(StandbyRequest request, IOperationReporter reporter, CancellationToken ct) =>
        NewAsync(request, null, reporter, ct);

    private static bool IsDirectory(string path) => path.StartsWith('/');

    /// <summary>Free bytes on the file system of <paramref name="path"/> or its nearest existing parent; null when unknown.</summary>
    private static long? FreeBytesAt(string path)
    {
        try
        {
            var dir = new DirectoryInfo(path);
            while (dir is not null && !dir.Exists) dir = dir.Parent;
            return dir is null ? null : new DriveInfo(dir.FullName).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static async Task<StandbyPlan> NewAsync(StandbyRequest request, StandbyPlan? confirmed, IOperationReporter reporter, CancellationToken ct)
    {
        var target = request.Target;
        RequireContainer(target);
        // The network first: a primary in a namespace of its own may not even be reachable the way a standby needs.
        using (var docker = new DockerEngine(target.DockerHost))
        {
            var info = await docker.InspectAsync(target.Container!, ct).ConfigureAwait(false);
            if (info.Running && info.NetworkMode != "host")
            {
                throw new CenateException(ErrorIds.StandbyHostNetworkRequired, CenateErrorKind.InvalidOperation,
                    Messages.Format("Standby.HostNetworkRequired", info.Name, info.NetworkMode), Messages.Get("Standby.HostNetworkRequired.Action"),
                    info.Name);
            }
        }
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        var engine = session.Context.Engine!;
        var primary = session.Context.Container!;
        var conn = session.Connection;
        var slot = request.Slot ?? DefaultSlot(request.Name);
        var data = request.Path ?? DefaultVolume(request.Name);
        var plan = new StandbyPlan { Name = request.Name };
        plan.Run = (rep, c) => ExecuteNewAsync(request, plan, rep, c);
        try
        {
            var server = await WalArchiveService.ServerAsync(conn, ct).ConfigureAwait(false);
            WalArchiveService.CheckCanReplicate(server, primary.Name);

            // Nothing of the standby's may exist yet: its name, its port, its slot, its data.
            if (request.Name == primary.Name || await WalArchiveService.FindContainerAsync(engine, request.Name, ct).ConfigureAwait(false) is not null)
            {
                throw new CenateException(ErrorIds.ContainerExists, CenateErrorKind.ResourceExists,
                    Messages.Format("Standby.NameTaken", request.Name), Messages.Get("Standby.NameTaken.Action"), request.Name);
            }
            if (request.Port == target.Port || !PointInTimeService.PortIsFree(request.Port))
            {
                throw new CenateException(ErrorIds.StandbyPortInUse, CenateErrorKind.ResourceBusy,
                    Messages.Format("Standby.PortInUse", request.Port), Messages.Get("Standby.PortInUse.Action"), request.Port.ToString(CultureInfo.InvariantCulture));
            }
            if (await WalArchiveService.SlotAsync(conn, slot, ct).ConfigureAwait(false) is not null)
            {
                throw new CenateException(ErrorIds.StandbySlotExists, CenateErrorKind.ResourceExists,
                    Messages.Format("Standby.SlotExists", slot), Messages.Format("Standby.SlotExists.Action", slot), slot);
            }
            if (IsDirectory(data) ? Directory.Exists(data) && Directory.EnumerateFileSystemEntries(data).Any()
                : await engine.VolumeLabelsAsync(data, ct).ConfigureAwait(false) is not null)
            {
                throw new CenateException(ErrorIds.StandbyDataExists, CenateErrorKind.ResourceExists,
                    Messages.Format("Standby.DataExists", data), Messages.Get("Standby.DataExists.Action"), data);
            }

            // A standby is a full copy of the cluster, usually on the disk of the primary too: one that filled it would stop
            // the primary. Its size plus a tenth and 1 GB for the WAL streamed meanwhile.
            long clusterBytes;
            await using (var size = new NpgsqlCommand("SELECT sum(pg_catalog.pg_database_size(oid))::bigint FROM pg_catalog.pg_database", conn))
            {
                clusterBytes = (long)(await size.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? 0L);
            }
            var needed = clusterBytes + clusterBytes / 10 + (1L << 30);
            var free = IsDirectory(data) ? FreeBytesAt(data) : await engine.FreeBytesForContainersAsync(ct).ConfigureAwait(false);
            if (free is { } f && f < needed)
            {
                throw new CenateException(ErrorIds.DiskFull, CenateErrorKind.WriteError,
                    Messages.Format("Standby.NoSpace", needed / 1048576, f / 1048576, data), Messages.Get("Standby.NoSpace.Action"), data);
            }

            // The same major version and C library as the primary, or no standby at all.
            var image = primary.ImageId;
            if (request.Image is { } asked)
            {
                image = await CheckImageAsync(engine, asked, primary, server.Version, request.Name, ct).ConfigureAwait(false);
            }

            await WalArchiveService.PlanReplicationLoginAsync(conn, server, request.ReplicationUser, plan.Steps, ct).ConfigureAwait(false);
            if (WalArchiveService.KeepSizeToSet(server, request.MaxSlotWalKeepSize) is { } k) plan.Steps.Add(Messages.Format("Wal.Step.KeepSize", k >> 20));
            plan.Steps.Add(Messages.Format("Standby.Step.Slot", slot));
            var spec = Spec(request, primary, image, slot, data);
            plan.Steps.Add(Messages.Format(IsDirectory(data) ? "Standby.Step.Directory" : "Standby.Step.Volume", data));
            plan.Steps.Add(Messages.Format("Standby.Step.Container", request.Name, ShortId(image), spec.NetworkMode, request.Port, data, DataMount));
            plan.Steps.Add(Messages.Format("Standby.Step.BaseBackup", target.Port, request.ReplicationUser, slot));
            plan.Steps.Add(Messages.Format("Standby.Step.Wait", request.Timeout.TotalMinutes.ToString("0.#", CultureInfo.CurrentCulture)));
            if (confirmed is not null) ConfirmedPlan.Require(confirmed.Steps, plan.Steps, request.Name);
            return plan;
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    private static async Task<ReplicationStatus> ExecuteNewAsync(StandbyRequest request, StandbyPlan confirmed, IOperationReporter reporter, CancellationToken ct)
    {
        // Computed again: what runs is what was confirmed, or nothing (PlanChanged).
        await NewAsync(request, confirmed, reporter, ct).ConfigureAwait(false);
        var target = request.Target;
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        var engine = session.Context.Engine!;
        var primary = session.Context.Container!;
        var conn = session.Connection;
        var slot = request.Slot ?? DefaultSlot(request.Name);
        var data = request.Path ?? DefaultVolume(request.Name);
        var image = request.Image is null ? primary.ImageId : (await engine.InspectImageIdAsync(request.Image, ct).ConfigureAwait(false));
        var createdSlot = false;
        var createdContainer = false;
        var createdDirectory = false;
        var touchedDirectory = false;
        var createdVolume = false;
        try
        {
            var server = await WalArchiveService.ServerAsync(conn, ct).ConfigureAwait(false);
            await WalArchiveService.EnsureReplicationLoginAsync(session, server, request.ReplicationUser, request.ReplicationPassword,
                "# CenateBackup: a standby's replication login (New-CenateStandby)", reporter, ct).ConfigureAwait(false);
            await WalArchiveService.ApplyKeepSizeAsync(conn, server, request.MaxSlotWalKeepSize, reporter, ct).ConfigureAwait(false);

            reporter.Verbose($"Creating the physical replication slot {slot}; the primary keeps WAL from now on until the standby has it.");
            await using (var cmd = new NpgsqlCommand("SELECT pg_catalog.pg_create_physical_replication_slot(@s, true)", conn))
            {
                cmd.Parameters.AddWithValue("s", slot);
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            createdSlot = true;

            if (IsDirectory(data))
            {
                createdDirectory = !Directory.Exists(data);
                Storage.PrivateDirectory.Create(data);
                touchedDirectory = true;
                WriteMarker(data, request.Name, primary.Name, createdDirectory);
            }
            else
            {
                // Made here with labels (they can only be given at creation): Remove-CenateStandby -RemoveData removes
                // only a volume that says it is this standby's data.
                await engine.CreateVolumeAsync(data, new Dictionary<string, string>
                {
                    [WalArchiveService.RoleLabel] = DataRoleValue,
                    [StandbyLabel] = request.Name,
                    [WalArchiveService.PrimaryLabel] = primary.Name,
                }, ct).ConfigureAwait(false);
                createdVolume = true;
            }
            var spec = Spec(request, primary, image, slot, data);
            reporter.Verbose($"Creating the standby container {request.Name}: {spec.Entrypoint[0]} … {string.Join(' ', spec.Entrypoint.Skip(3))}");
            var pass = Encoding.UTF8.GetBytes(WalArchiveService.PassLine(target.Port, request.ReplicationUser, request.ReplicationPassword));
            try
            {
                await engine.CreateSidecarAsync(spec, new[] { new ContainerFile(PassFile, pass, 0, 0) }, ct).ConfigureAwait(false);
            }
            finally
            {
                Array.Clear(pass);
            }
            createdContainer = true;

            await WaitStreamingAsync(engine, request, reporter, ct).ConfigureAwait(false);
            // Streaming; a moment later the standby has replayed what it received and its lag is known.
            var info = await engine.InspectAsync(request.Name, ct).ConfigureAwait(false);
            await using var fresh = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
            var settle = DateTime.UtcNow.AddSeconds(15);
            while (true)
            {
                var status = await StatusAsync(fresh, info, null, null, reporter, ct).ConfigureAwait(false);
                if (status.Healthy || DateTime.UtcNow > settle) return status;
                await Task.Delay(250, ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // What this run made goes again: the container, its data, then the slot (it would hold WAL on the primary).
            if (createdContainer)
            {
                try
                {
                    await engine.RemoveAsync(request.Name, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception) { /* the first failure is the one to report */ }
            }
            if (createdVolume)
            {
                try
                {
                    await engine.RemoveVolumeAsync(data, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception) { /* the first failure is the one to report */ }
            }
            if (touchedDirectory)
            {
                try
                {
                    await DeleteDirectoryAsync(engine, image, data, request.Name, CancellationToken.None, keep: !createdDirectory).ConfigureAwait(false);
                }
                catch (Exception) { /* the first failure is the one to report */ }
            }
            if (createdSlot)
            {
                // On a connection of its own: the first may have been closed (the primary restarted, idle_session_timeout).
                try
                {
                    await using var cleanup = await DatabaseSession.OpenAsync(target, null, NullReporter.Instance, CancellationToken.None).ConfigureAwait(false);
                    await WalArchiveService.DropSlotAsync(cleanup.Connection, slot, TimeSpan.FromSeconds(15), CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception cleanupFailure) when (cleanupFailure is NpgsqlException or CenateException)
                {
                    reporter.Warning(Messages.Format("Standby.SlotLeft", slot, cleanupFailure.Message));
                }
            }
            if (ex is NpgsqlException) throw session.Translate(ex);
            throw;
        }
    }

    /// <summary>The standby container: the script above, as root (it drops to postgres), on the primary's network, with the data mounted.</summary>
    private static SidecarSpec Spec(StandbyRequest request, ContainerInfo primary, string image, string slot, string data)
    {
        var port = request.Target.Port.ToString(CultureInfo.InvariantCulture);
        var entry = new List<string>
        {
            "sh", "-c", Script, "cenate-standby", port, request.ReplicationUser, slot, request.Port.ToString(CultureInfo.InvariantCulture),
        };
        return new SidecarSpec(request.Name, image, entry, new[] { "PGPASSFILE=" + PassFile, "PGAPPNAME=" + request.Name },
            "0", "host", new[] { data + ":" + DataMount },
            new Dictionary<string, string>
            {
                [WalArchiveService.RoleLabel] = RoleValue,
                [WalArchiveService.PrimaryLabel] = primary.Name,
                [WalArchiveService.SlotLabel] = slot,
                [WalArchiveService.PathLabel] = data,
                [WalArchiveService.PortLabel] = request.Port.ToString(CultureInfo.InvariantCulture),
                [WalArchiveService.UserLabel] = request.ReplicationUser,
                [PrimaryPortLabel] = port,
            },
            // A fast shutdown on docker stop: a standby has no clients worth waiting for.
            StopSignal: "SIGINT");
    }

    /// <summary>
    /// The image's ID when its PostgreSQL has the primary's major version and its C library is the primary image's
    /// (another glibc sorts text otherwise: the standby's indexes would be wrong). Probed in throwaway containers without
    /// network, removed at once.
    /// </summary>
    private static async Task<string> CheckImageAsync(DockerEngine engine, string image, ContainerInfo primary, int serverVersion, string name,
        CancellationToken ct)
    {
        var id = await engine.InspectImageIdAsync(image, ct).ConfigureAwait(false);
        if (id == primary.ImageId) return id;
        var theirs = await ProbeAsync(engine, id, name, ct).ConfigureAwait(false);
        var major = serverVersion / 10000;
        if (theirs.Major != major)
        {
            throw new CenateException(ErrorIds.StandbyVersionMismatch, CenateErrorKind.InvalidOperation,
                Messages.Format("Standby.VersionMismatch", image, theirs.Major?.ToString(CultureInfo.InvariantCulture) ?? "?", major, primary.Name),
                Messages.Get("Standby.VersionMismatch.Action"), image);
        }
        var ours = await ProbeAsync(engine, primary.ImageId, name, ct).ConfigureAwait(false);
        if (theirs.Libc != ours.Libc)
        {
            throw new CenateException(ErrorIds.StandbyVersionMismatch, CenateErrorKind.InvalidOperation,
                Messages.Format("Standby.LibcMismatch", image, theirs.Libc ?? "?", ours.Libc ?? "?", primary.Name),
                Messages.Get("Standby.VersionMismatch.Action"), image);
        }
        return id;
    }

    private static async Task<(int? Major, string? Libc)> ProbeAsync(DockerEngine engine, string image, string name, CancellationToken ct)
    {
        var spec = new SidecarSpec(name + "_probe_" + Guid.NewGuid().ToString("N")[..8], image,
            new[] { "sh", "-c", "postgres --version 2>/dev/null || pg_basebackup --version; echo libc: $(getconf GNU_LIBC_VERSION 2>/dev/null || ldd --version 2>&1 | head -n 1)" },
            Array.Empty<string>(), "", "none", Array.Empty<string>(), new Dictionary<string, string>());
        var (_, output) = await engine.RunToExitAsync(spec, ct).ConfigureAwait(false);
        return ParseProbe(output);
    }

    /// <summary>The major version and C library a probe printed ("postgres (PostgreSQL) 15.18 …", "libc: glibc 2.36").</summary>
    internal static (int? Major, string? Libc) ParseProbe(string output)
    {
        int? major = null;
        string? libc = null;
        foreach (var line in output.Split('\n'))
        {
            var m = Regex.Match(line, @"\(PostgreSQL\)\s+(\d+)");
            if (m.Success && major is null) major = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            if (line.StartsWith("libc:", StringComparison.Ordinal)) libc = line[5..].Trim() is { Length: > 0 } l ? l : null;
        }
        return (major, libc);
    }

    /// <summary>Waits until the standby's WAL receiver streams; fails early when the base backup failed or the container stopped.</summary>
    private static async Task WaitStreamingAsync(DockerEngine engine, StandbyRequest request, IOperationReporter reporter, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var deadline = started + request.Timeout;
        var target = StandbyTarget(request.Target, request.Name, request.Port);
        var ready = false;
        while (true)
        {
            var info = await engine.InspectAsync(request.Name, ct).ConfigureAwait(false);
            var log = await engine.LogTailAsync(request.Name, 15, DateTimeOffset.UnixEpoch, ct).ConfigureAwait(false);
            if (log.Contains(BaseBackupFailedMark, StringComparison.Ordinal) || (!info.Running && !info.Restarting) || info.RestartCount > 0)
            {
                throw new CenateException(ErrorIds.StandbyNotStreaming, CenateErrorKind.InvalidOperation,
                    Messages.Format("Standby.StartFailed", request.Name, Redact(log)), Messages.Format("Standby.StartFailed.Action", request.ReplicationUser), request.Name);
            }
            // Logged in to only once the standby's own postgres has said it takes connections (it holds the port then):
            // while pg_basebackup runs, something else could listen there and would be sent the login.
            // Remembered once seen: later lines (connections logged, say) push it out of the tail.
            ready |= log.Contains(ReadyMark, StringComparison.Ordinal);
            if (info.Running && ready
                && await ReceiverAsync(target, reporter, ct).ConfigureAwait(false) == "streaming") return;
            if (DateTime.UtcNow > deadline)
            {
                throw new CenateException(ErrorIds.StandbyNotStreaming, CenateErrorKind.OperationTimeout,
                    Messages.Format("Standby.Timeout", request.Name, request.Timeout.TotalMinutes.ToString("0.#", CultureInfo.CurrentCulture), Redact(log)),
                    Messages.Format("Standby.StartFailed.Action", request.ReplicationUser), request.Name);
            }
            reporter.Progress(new OperationProgress("New-CenateStandby", Messages.Format("Standby.Progress.Waiting", request.Name,
                (int)(DateTime.UtcNow - started).TotalSeconds), 0, null));
            await Task.Delay(500, ct).ConfigureAwait(false);
        }
    }

    /// <summary>pg_stat_wal_receiver.status on the standby, or null while it does not take connections.</summary>
    private static async Task<string?> ReceiverAsync(DatabaseTarget target, IOperationReporter reporter, CancellationToken ct)
    {
        try
        {
            await using var s = await DatabaseSession.OpenAsync(target, null, NullReporter.Instance, ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("SELECT coalesce((SELECT status FROM pg_catalog.pg_stat_wal_receiver), '')", s.Connection);
            return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
        }
        catch (CenateException ex) when (ex.ErrorId != ErrorIds.AuthenticationFailed && ex.ErrorId != ErrorIds.DockerUnavailable)
        {
            reporter.Verbose($"The standby does not answer yet: {ex.Message}");
            return null;
        }
        catch (NpgsqlException)
        {
            return null;
        }
    }

    /// <summary>The standby as a target: its container and port, the primary's database, role and password (the standby has the same).</summary>
    private static DatabaseTarget StandbyTarget(DatabaseTarget primary, string name, int port) =>
        new(ConnectionMode.Container, primary.Database, primary.User, port) { Container = name, DockerHost = primary.DockerHost, Password = primary.Password };

    private static string Redact(string log) => string.IsNullOrWhiteSpace(log) ? "-" : PointInTimeService.Redact(log.Trim());

    private static string ShortId(string id)
    {
        var bare = id.Replace("sha256:", "", StringComparison.Ordinal);
        return bare[..Math.Min(12, bare.Length)];
    }

    private static void RequireContainer(DatabaseTarget target)
    {
        if (target.Mode != ConnectionMode.Container)
        {
            throw new CenateException(ErrorIds.ContainerRequired, CenateErrorKind.InvalidArgument,
                Messages.Get("Standby.ContainerRequired"), Messages.Get("Wal.ContainerRequired.Action"), target.Host);
        }
    }

    /// <summary>
    /// Deletes a standby's data directory: the files postgres wrote belong to the image's postgres user, so they go
    /// through a throwaway container of the standby's image (as root, no network); then the marker and the directory
    /// (kept, empty, with <paramref name="keep"/>: it existed before New-CenateStandby).
    /// </summary>
    private static async Task DeleteDirectoryAsync(DockerEngine engine, string image, string directory, string name, CancellationToken ct, bool keep = false)
    {
        var spec = new SidecarSpec(name + "_rm_" + Guid.NewGuid().ToString("N")[..8], image,
            new[] { "sh", "-c", "rm -rf /cenate-data/data /cenate-data/data.new" }, Array.Empty<string>(), "0", "none",
            new[] { directory + ":/cenate-data" }, new Dictionary<string, string>());
        var (exit, output) = await engine.RunToExitAsync(spec, ct).ConfigureAwait(false);
        if (exit != 0)
        {
            throw new CenateException(ErrorIds.StandbyDataNotRemoved, CenateErrorKind.WriteError,
                Messages.Format("Standby.DataNotRemoved", directory, output), Messages.Get("Standby.DataNotRemoved.Action"), directory);
        }
        try
        {
            if (keep)
            {
                foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
                {
                    if (entry is DirectoryInfo d) d.Delete(recursive: true);
                    else entry.Delete();
                }
            }
            else
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CenateException(ErrorIds.StandbyDataNotRemoved, CenateErrorKind.WriteError,
                Messages.Format("Standby.DataNotRemoved", directory, ex.Message), Messages.Get("Standby.DataNotRemoved.Action"), directory, ex);
        }
    }

    private static void WriteMarker(string directory, string standby, string primary, bool created)
    {
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["standby"] = standby,
            ["primary"] = primary,
            // Whether New-CenateStandby made the directory: Remove-CenateStandby -RemoveData then deletes it, else empties it.
            ["createdDirectory"] = created ? "true" : "false",
            ["created"] = DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture),
        }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        Storage.AtomicFileReplace.Write(System.IO.Path.Combine(directory, MarkerFile), json, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>True when the marker in <paramref name="directory"/> says New-CenateStandby made the directory (false when it was there before, or unreadable).</summary>
    internal static bool MarkerSaysCreated(string directory) => MarkerValue(directory, "createdDirectory") == "true";

    /// <summary>True when <paramref name="directory"/> holds the marker New-CenateStandby wrote for <paramref name="standby"/>.</summary>
    internal static bool MarkerNames(string directory, string standby) => MarkerValue(directory, "standby") == standby;

    /// <summary>A string of the marker's JSON object, or null (no marker, unreadable, not an object, not a string).</summary>
    private static string? MarkerValue(string directory, string key)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(System.IO.Path.Combine(directory, MarkerFile)));
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && doc.RootElement.TryGetProperty(key, out var v)
                && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>True when the standby's data (volume or directory) holds data/standby.signal, read in a throwaway container without network.</summary>
    private static async Task<bool> HasStandbySignalAsync(DockerEngine engine, string image, string data, string name, CancellationToken ct)
    {
        var spec = new SidecarSpec(name + "_check_" + Guid.NewGuid().ToString("N")[..8], image,
            new[] { "sh", "-c", "test -f /cenate-data/data/standby.signal" }, Array.Empty<string>(), "0", "none",
            new[] { data + ":/cenate-data:ro" }, new Dictionary<string, string>());
        var (exit, _) = await engine.RunToExitAsync(spec, ct).ConfigureAwait(false);
        return exit == 0;
    }
}
