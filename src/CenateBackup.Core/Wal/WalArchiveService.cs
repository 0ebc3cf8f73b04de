using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Docker;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Tools;
using Npgsql;

namespace CenateBackup.Core.Wal;

/// <summary>
/// The continuous WAL archive (plan level 4, issue 19): pg_receivewal, from the database container's own image, runs as
/// a long-lived sidecar container (restart policy unless-stopped) that streams every WAL record through a physical
/// replication slot into a directory of this machine. No restart of the server is needed (archive_mode would need one).
/// The replication role's password reaches pg_receivewal through a 0600 passfile copied into the sidecar before it
/// starts: never on a command line, in its environment or in docker inspect.
/// </summary>
public static partial class WalArchiveService
{
    /// <summary>The plan's slot name.</summary>
    public const string DefaultSlot = "cenate_wal";
    /// <summary>The plan's replication role.</summary>
    public const string DefaultReplicationUser = "cenate_replication";
    /// <summary>max_slot_wal_keep_size set when the server has no limit and none is given: 10 GB.</summary>
    public const long DefaultMaxSlotWalKeepSize = 10L << 30;
    /// <summary>The comment on a replication role this module created.</summary>
    public const string RoleMarker = "CenateBackup replication role";
    /// <summary>The file in the archive directory that says which server's WAL it holds.</summary>
    public const string MarkerFile = ".cenate-wal-archive.json";

    internal const string RoleLabel = "org.cenate.role";
    internal const string RoleValue = "wal-archive";
    internal const string PrimaryLabel = "org.cenate.primary";
    internal const string SlotLabel = "org.cenate.slot";
    internal const string PathLabel = "org.cenate.path";
    internal const string PortLabel = "org.cenate.port";
    internal const string UserLabel = "org.cenate.user";
    private const string PassFile = "/cenate/pgpass";
    private const string ArchiveMount = "/wal";

    [GeneratedRegex("^[0-9A-F]{24}$")]
    private static partial Regex SegmentName();

    /// <summary>The archiver's default name: &lt;container&gt;_wal.</summary>
    public static string DefaultName(string container) => container + "_wal";

    /// <summary>Works out what Start-CenateWalArchive would do; nothing changes.</summary>
    public static Task<WalArchivePlan> PlanStartAsync(WalArchiveRequest request, IOperationReporter reporter, CancellationToken ct) =>
        StartAsync(request, null, reporter, ct);

    /// <summary>Carries out a plan of <see cref="PlanStartAsync"/> or <see cref="PlanStopAsync"/> (PlanChanged when the state moved).</summary>
    public static Task<WalArchiveStatus> ExecuteAsync(WalArchivePlan plan, IOperationReporter reporter, CancellationToken ct) =>
        (plan?.Run ?? throw new ArgumentException("Not a plan made by WalArchiveService.", nameof(plan)))(reporter, ct);

    internal sealed record ServerFacts(int Version, string WalLevel, int MaxWalSenders, long MaxSlotWalKeepSize, bool Ssl, string SystemId,
        string HbaFile, long SegmentSize, string CurrentSegment);

    internal sealed record SlotFacts(string Type, bool Active, string? WalStatus);

    private static async Task<WalArchivePlan> StartAsync(WalArchiveRequest request, WalArchivePlan? confirmed, IOperationReporter reporter,
        CancellationToken ct)
    {
        var target = request.Target;
        RequireContainer(target);
        var path = request.Path;
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        var engine = session.Context.Engine!;
        var primary = session.Context.Container!;
        var conn = session.Connection;
        var name = request.Name ?? DefaultName(primary.Name);
        var plan = new WalArchivePlan { Name = name };
        plan.Run = (rep, c) => ExecuteStartAsync(request, plan, rep, c);
        try
        {
            var server = await ServerAsync(conn, ct).ConfigureAwait(false);
            CheckCanReplicate(server, primary.Name);

            // The archive directory: ours, for this server, or new.
            if (!Directory.Exists(path)) plan.Steps.Add(Messages.Format("Wal.Step.Directory", path));
            else CheckDirectory(path, server.SystemId);
            if (!File.Exists(System.IO.Path.Combine(path, MarkerFile))) plan.Steps.Add(Messages.Format("Wal.Step.Marker", path, server.SystemId));

            await PlanReplicationLoginAsync(conn, server, request.ReplicationUser, plan.Steps, ct).ConfigureAwait(false);

            // max_slot_wal_keep_size: a slot whose archiver died must not fill the server's disk.
            if (KeepSizeToSet(server, request.MaxSlotWalKeepSize) is { } k) plan.Steps.Add(Messages.Format("Wal.Step.KeepSize", k >> 20));

            // The slot, and the archiver container.
            var sidecar = await FindContainerAsync(engine, name, ct).ConfigureAwait(false);
            if (sidecar is not null) CheckOurs(sidecar, primary.Name, request, path, target.Port);
            // One writer per directory: two pg_receivewal on the same files would corrupt the archive.
            foreach (var other in await engine.FindByLabelAsync(PathLabel, path, ct).ConfigureAwait(false))
            {
                if (other.Name != name && other.Labels.TryGetValue(RoleLabel, out var role2) && role2 == RoleValue)
                {
                    throw new CenateException(ErrorIds.WalArchivePathInUse, CenateErrorKind.ResourceBusy,
                        Messages.Format("Wal.PathInUse", path, other.Name), Messages.Get("Wal.PathInUse.Action"), path);
                }
            }
            var slot = await SlotAsync(conn, request.Slot, ct).ConfigureAwait(false);
            if (slot is null)
            {
                // A new slot keeps WAL from now; pg_receivewal goes on from the directory's last segment, which the
                // server must still have, else the archive would have a gap (and pg_receivewal would never stream).
                if (Directory.Exists(path) && ResumeSegment(path, server.SegmentSize) is { } resume)
                {
                    var current = SegmentNumber(server.CurrentSegment, server.SegmentSize);
                    var next = SegmentNumber(resume, server.SegmentSize);
                    if (next > current)
                    {
                        throw new CenateException(ErrorIds.WalArchiveForeign, CenateErrorKind.InvalidData,
                            Messages.Format("Wal.Ahead", path, resume, server.CurrentSegment), Messages.Get("Wal.Foreign.Action"), path);
                    }
                    if (next != current && !await ServerHasSegmentAsync(conn, resume, ct).ConfigureAwait(false))
                    {
                        throw new CenateException(ErrorIds.WalArchiveGap, CenateErrorKind.InvalidOperation,
                            Messages.Format("Wal.Gap", path, resume), Messages.Get("Wal.Gap.Action"), path);
                    }
                }
                plan.Steps.Add(Messages.Format("Wal.Step.Slot", request.Slot));
            }
            else if (slot.Type != "physical" || slot.WalStatus == "lost" || (slot.Active && sidecar?.Running != true))
            {
                var lost = slot.WalStatus == "lost";
                throw new CenateException(lost ? ErrorIds.WalArchiveSlotLost : ErrorIds.WalArchiveSlotBusy, CenateErrorKind.InvalidOperation,
                    Messages.Format(lost ? "Wal.SlotLost" : "Wal.SlotBusy", request.Slot), Messages.Format(lost ? "Wal.SlotLost.Action" : "Wal.SlotBusy.Action", request.Slot),
                    request.Slot);
            }
            else if (MarkerSlot(path) != request.Slot)
            {
                // A slot this module did not make for this directory (a standby's, say): advancing it would take WAL
                // from its owner.
                throw new CenateException(ErrorIds.WalArchiveSlotBusy, CenateErrorKind.InvalidOperation,
                    Messages.Format("Wal.SlotNotOurs", request.Slot, path), Messages.Format("Wal.SlotBusy.Action", request.Slot), request.Slot);
            }
            var streaming = await StreamingAsync(conn, request.Slot, name, ct).ConfigureAwait(false);
            if (sidecar is null)
            {
                var spec = Spec(request, name, primary, path, target.Port);
                plan.Steps.Add(Messages.Format("Wal.Step.Container", name, primary.ImageId.Replace("sha256:", "", StringComparison.Ordinal)[..Math.Min(12, primary.ImageId.Length)],
                    string.Join(' ', spec.Entrypoint), spec.NetworkMode, path, ArchiveMount, spec.User));
            }
            else if (!sidecar.Running && !sidecar.Restarting)
            {
                plan.Steps.Add(Messages.Format("Wal.Step.StartContainer", name));
            }
            else if (!streaming && (sidecar.Restarting || sidecar.StartedAt is not { } started || DateTimeOffset.UtcNow - started > StartGrace
                     || NetworkOf(primary) != sidecar.NetworkMode))
            {
                // Running but deaf: a database container restarted or recreated under a shared network namespace, a
                // changed password (the passfile is inside the container), a crash loop. A new container mends all.
                plan.Steps.Add(Messages.Format("Wal.Step.Recreate", name));
            }
            if (slot is not null && streaming && sidecar?.Running == true && plan.Steps.Count == 0)
            {
                plan.Current = await StatusAsync(conn, engine, sidecar, null, null, ct).ConfigureAwait(false);
                return plan;
            }
            plan.Steps.Add(Messages.Format("Wal.Step.Wait", request.StreamTimeout.TotalSeconds));
            if (confirmed is not null) ConfirmedPlan.Require(confirmed.Steps, plan.Steps, name);
            return plan;
        }
        catch (Exception ex) when (ex is NpgsqlException)
        {
            throw session.Translate(ex);
        }
    }

    private static async Task<WalArchiveStatus> ExecuteStartAsync(WalArchiveRequest request, WalArchivePlan confirmed, IOperationReporter reporter,
        CancellationToken ct)
    {
        // Computed again: what runs is what was confirmed, or nothing (PlanChanged).
        var plan = await StartAsync(request, confirmed, reporter, ct).ConfigureAwait(false);
        if (plan.Current is not null) return plan.Current;
        var target = request.Target;
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        var engine = session.Context.Engine!;
        var primary = session.Context.Container!;
        var conn = session.Connection;
        var server = await ServerAsync(conn, ct).ConfigureAwait(false);
        var path = request.Path;
        var createdSlot = false;
        var createdContainer = false;
        try
        {
            PrivateDirectory.Create(path);
            var marker = System.IO.Path.Combine(path, MarkerFile);
            if (!File.Exists(marker))
            {
                var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
                {
                    ["systemIdentifier"] = server.SystemId,
                    ["primary"] = primary.Name,
                    ["slot"] = request.Slot,
                    ["created"] = DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture),
                }, new JsonSerializerOptions { WriteIndented = true });
                AtomicFileReplace.Write(marker, json, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            await EnsureReplicationLoginAsync(session, server, request.ReplicationUser, request.ReplicationPassword,
                "# CenateBackup: the WAL archive's replication login (Start-CenateWalArchive)", reporter, ct).ConfigureAwait(false);

            await ApplyKeepSizeAsync(conn, server, request.MaxSlotWalKeepSize, reporter, ct).ConfigureAwait(false);

            if (await SlotAsync(conn, request.Slot, ct).ConfigureAwait(false) is null)
            {
                reporter.Verbose($"Creating the physical replication slot {request.Slot}; it keeps WAL from now on until the archive has it.");
                await using var cmd = new NpgsqlCommand("SELECT pg_catalog.pg_create_physical_replication_slot(@s, true)", conn);
                cmd.Parameters.AddWithValue("s", request.Slot);
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                createdSlot = true;
            }

            var name = plan.Name;
            var sidecar = await FindContainerAsync(engine, name, ct).ConfigureAwait(false);
            // Logs older than this start are history (an earlier refused login, a restart of the server): only lines
            // from the next whole second on count (Docker's "since" has a resolution of one second).
            var since = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
            if (sidecar is not null && plan.Steps.Contains(Messages.Format("Wal.Step.Recreate", name)))
            {
                reporter.Verbose($"Removing the archiver container {name}, which runs but does not stream, to create it again.");
                await engine.RemoveAsync(name, ct).ConfigureAwait(false);
                sidecar = null;
            }
            if (sidecar is null)
            {
                since = DateTimeOffset.UnixEpoch;
                var spec = Spec(request, name, primary, path, target.Port);
                reporter.Verbose($"Creating the archiver container {name}: {string.Join(' ', spec.Entrypoint)}");
                var pass = Encoding.UTF8.GetBytes(PassLine(target.Port, request.ReplicationUser, request.ReplicationPassword));
                await engine.CreateSidecarAsync(spec, new[] { new ContainerFile(PassFile, pass, (int)geteuid(), (int)getegid()) }, ct).ConfigureAwait(false);
                Array.Clear(pass);
                createdContainer = true;
            }
            else if (!sidecar.Running)
            {
                await engine.StartAsync(name, ct).ConfigureAwait(false);
            }

            await WaitStreamingAsync(conn, engine, name, request, since, reporter, ct).ConfigureAwait(false);
            var info = await engine.InspectAsync(name, ct).ConfigureAwait(false);
            return await StatusAsync(conn, engine, info, null, null, ct).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // What this run made and that does not work goes again: the container, then the slot (it would hold WAL).
            if (createdContainer) await engine.RemoveAsync(plan.Name, CancellationToken.None).ConfigureAwait(false);
            if (createdSlot && conn.State == System.Data.ConnectionState.Open)
            {
                try
                {
                    await using var drop = new NpgsqlCommand(
                        "SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots WHERE slot_name = @s AND NOT active", conn);
                    drop.Parameters.AddWithValue("s", request.Slot);
                    await drop.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (NpgsqlException) { /* the first failure is the one to report */ }
            }
            if (ex is NpgsqlException) throw session.Translate(ex);
            throw;
        }
    }

    /// <summary>ServerTooOld before PostgreSQL 13 (no wal_status/safe_wal_size); WalLevelTooLow when the server cannot stream WAL.</summary>
    internal static void CheckCanReplicate(ServerFacts server, string container)
    {
        if (server.Version < 130000)
        {
            throw new CenateException(ErrorIds.ServerTooOld, CenateErrorKind.InvalidOperation,
                Messages.Format("Wal.ServerTooOld", server.Version / 10000), Messages.Get("Wal.ServerTooOld.Action"), container);
        }
        if (server.WalLevel == "minimal" || server.MaxWalSenders < 1)
        {
            throw new CenateException(ErrorIds.WalLevelTooLow, CenateErrorKind.InvalidOperation,
                Messages.Format("Wal.WalLevelTooLow", server.WalLevel, server.MaxWalSenders), Messages.Get("Wal.WalLevelTooLow.Action"), container);
        }
    }

    /// <summary>
    /// The steps that let <paramref name="user"/> log in for replication from 127.0.0.1 with its password: create the role
    /// when missing, add a pg_hba.conf line when no rule admits it. ReplicationRoleUnfit for a role without LOGIN or
    /// REPLICATION; HbaInvalid when pg_hba.conf has a line the server rejected.
    /// </summary>
    internal static async Task PlanReplicationLoginAsync(NpgsqlConnection conn, ServerFacts server, string user, List<string> steps, CancellationToken ct)
    {
        var role = await RoleAsync(conn, user, ct).ConfigureAwait(false);
        if (role is null)
        {
            steps.Add(Messages.Format("Wal.Step.Role", user));
        }
        else if (!role.Value.Login || !role.Value.Replication)
        {
            throw new CenateException(ErrorIds.ReplicationRoleUnfit, CenateErrorKind.InvalidOperation,
                Messages.Format("Wal.RoleUnfit", user), Messages.Format("Wal.RoleUnfit.Action", user), user);
        }

        // pg_hba.conf must let the role in from 127.0.0.1 with its password.
        var rules = await HbaRulesAsync(conn, ct).ConfigureAwait(false);
        if (rules.FirstOrDefault(r => r.Error is not null) is { } broken)
        {
            throw new CenateException(ErrorIds.HbaInvalid, CenateErrorKind.InvalidOperation,
                Messages.Format("Wal.HbaBroken", broken.FileName ?? server.HbaFile, broken.LineNumber, broken.Error), Messages.Get("Wal.HbaBroken.Action"), server.HbaFile);
        }
        var memberOf = role is null
            ? new HashSet<string>(StringComparer.Ordinal) { user }
            : await MemberOfAsync(conn, user, ct).ConfigureAwait(false);
        if (!HbaRuleMatch.Admits(HbaRuleMatch.FirstMatch(rules, user, memberOf, server.Ssl)))
        {
            steps.Add(Messages.Format("Wal.Step.Hba", HbaRuleMatch.LineFor(user), server.HbaFile));
        }
    }

    /// <summary>Creates the role when missing and adds the pg_hba.conf line when no rule admits it (the run of <see cref="PlanReplicationLoginAsync"/>).</summary>
    internal static async Task EnsureReplicationLoginAsync(DatabaseSession session, ServerFacts server, string user, string password, string hbaComment,
        IOperationReporter reporter, CancellationToken ct)
    {
        var conn = session.Connection;
        await EnsureRoleAsync(conn, user, password, reporter, ct).ConfigureAwait(false);
        var memberOf = await MemberOfAsync(conn, user, ct).ConfigureAwait(false);
        if (!HbaRuleMatch.Admits(HbaRuleMatch.FirstMatch(await HbaRulesAsync(conn, ct).ConfigureAwait(false), user, memberOf, server.Ssl)))
        {
            await AddHbaLineAsync(session, server.HbaFile, HbaRuleMatch.LineFor(user), reporter, ct, hbaComment).ConfigureAwait(false);
        }
    }

    /// <summary>Creates the replication role (LOGIN REPLICATION, nothing else; the password as a SCRAM verifier) when missing.</summary>
    internal static async Task EnsureRoleAsync(NpgsqlConnection conn, string user, string password, IOperationReporter reporter, CancellationToken ct)
    {
        if (await RoleAsync(conn, user, ct).ConfigureAwait(false) is not null) return;
        reporter.Verbose($"Creating the replication role {user} (its password goes as a SCRAM-SHA-256 verifier).");
        var r = QualifiedTable.Quote(user);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await ExecAsync(conn, $"CREATE ROLE {r} LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{Scram.Verifier(password)}'", ct, tx)
            .ConfigureAwait(false);
        await ExecAsync(conn, $"COMMENT ON ROLE {r} IS {SqlText.Literal(RoleMarker)}", ct, tx).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The max_slot_wal_keep_size to set (bytes, rounded to MB), or null when the server's stays.</summary>
    internal static long? KeepSizeToSet(ServerFacts server, long? requested)
    {
        var keep = requested ?? (server.MaxSlotWalKeepSize < 0 ? DefaultMaxSlotWalKeepSize : (long?)null);
        return keep is { } k && RoundToMegabytes(k) != server.MaxSlotWalKeepSize ? RoundToMegabytes(k) : null;
    }

    /// <summary>Sets max_slot_wal_keep_size (ALTER SYSTEM, reload) when <see cref="KeepSizeToSet"/> says so; warns when the server keeps another value.</summary>
    internal static async Task ApplyKeepSizeAsync(NpgsqlConnection conn, ServerFacts server, long? requested, IOperationReporter reporter, CancellationToken ct)
    {
        if (KeepSizeToSet(server, requested) is not { } k) return;
        reporter.Verbose($"ALTER SYSTEM SET max_slot_wal_keep_size = '{k >> 20}MB', then reloading.");
        await ExecAsync(conn, $"ALTER SYSTEM SET max_slot_wal_keep_size = '{k >> 20}MB'", ct).ConfigureAwait(false);
        await ExecAsync(conn, "SELECT pg_catalog.pg_reload_conf()", ct).ConfigureAwait(false);
        // The postmaster applies a reload a moment later; a value set on its command line (-c) wins over ALTER SYSTEM.
        var applied = false;
        for (var i = 0; i < 20 && !applied; i++)
        {
            await Task.Delay(100, ct).ConfigureAwait(false);
            applied = (await ServerAsync(conn, ct).ConfigureAwait(false)).MaxSlotWalKeepSize == k;
        }
        if (!applied) reporter.Warning(Messages.Format("Wal.KeepSizeNotApplied", k >> 20));
    }

    /// <summary>Waits until the slot is active and its walsender streams; fails early on a login failure in the archiver's log.</summary>
    private static async Task WaitStreamingAsync(NpgsqlConnection conn, DockerEngine engine, string name, WalArchiveRequest request,
        DateTimeOffset since, IOperationReporter reporter, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + request.StreamTimeout;
        while (true)
        {
            if (await StreamingAsync(conn, request.Slot, name, ct).ConfigureAwait(false)) return;
            var log = await engine.LogTailAsync(name, 10, since, ct).ConfigureAwait(false);
            var fatal = log.Contains("authentication failed", StringComparison.OrdinalIgnoreCase)
                || log.Contains("no pg_hba.conf entry", StringComparison.OrdinalIgnoreCase)
                || log.Contains("has already been removed", StringComparison.OrdinalIgnoreCase)
                || log.Contains("does not exist", StringComparison.OrdinalIgnoreCase)
                || log.Contains("not in this server's history", StringComparison.OrdinalIgnoreCase);
            if (fatal || DateTime.UtcNow > deadline)
            {
                throw new CenateException(ErrorIds.WalArchiveNotStreaming, CenateErrorKind.ResourceUnavailable,
                    Messages.Format("Wal.NotStreaming", name, request.StreamTimeout.TotalSeconds, string.IsNullOrWhiteSpace(log) ? "-" : log),
                    Messages.Format("Wal.NotStreaming.Action", request.ReplicationUser), name);
            }
            reporter.Progress(new OperationProgress("Start-CenateWalArchive", Messages.Format("Wal.Progress.Waiting", name), 0, null));
            await Task.Delay(250, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Puts the module's line at the top of pg_hba.conf through docker exec, reloads, and puts the file back if the server rejects it.</summary>
    private static async Task AddHbaLineAsync(DatabaseSession session, string hbaFile, string line, IOperationReporter reporter, CancellationToken ct,
        string comment)
    {
        reporter.Verbose($"Adding '{line}' at the top of {hbaFile}, then reloading.");
        var runner = session.Context.Runner;
        var original = new MemoryStream();
        var read = await runner.RunAsync(new PgToolInvocation("cat", new[] { hbaFile }, new Dictionary<string, string>()), null, original, ct)
            .ConfigureAwait(false);
        if (!read.Succeeded) throw HbaFailed(hbaFile, read.StandardError);
        const string script = "f=\"$1\"; t=\"$1.cenate-new\"; { printf '%s\\n' \"$2\" \"$3\"; cat \"$f\"; } > \"$t\" && cat \"$t\" > \"$f\"; rc=$?; rm -f \"$t\"; exit $rc";
        var write = await runner.RunAsync(new PgToolInvocation("sh",
            new[] { "-c", script, "cenate", hbaFile, comment, line },
            new Dictionary<string, string>()), null, null, ct).ConfigureAwait(false);
        var conn = session.Connection;
        var why = write.Succeeded ? null : write.StandardError;
        if (why is null)
        {
            var errors = (await HbaRulesAsync(conn, ct).ConfigureAwait(false)).Where(r => r.Error is not null).ToList();
            if (errors.Count > 0) why = string.Join("; ", errors.Select(e => $"{e.FileName ?? "line " + e.LineNumber}: {e.Error}"));
        }
        if (why is not null)
        {
            // The write may have cut the file short before it failed: put the original back, and say whether that worked.
            original.Position = 0;
            var back = await runner.RunAsync(new PgToolInvocation("sh", new[] { "-c", "cat > \"$1\"", "cenate", hbaFile }, new Dictionary<string, string>()),
                original, null, CancellationToken.None).ConfigureAwait(false);
            if (!back.Succeeded)
            {
                throw new CenateException(ErrorIds.HbaEditFailed, CenateErrorKind.WriteError,
                    Messages.Format("Wal.HbaNotRestored", hbaFile, why.Trim(), back.StandardError.Trim()), Messages.Get("Wal.HbaNotRestored.Action"), hbaFile);
            }
            throw HbaFailed(hbaFile, why);
        }
        await ExecAsync(conn, "SELECT pg_catalog.pg_reload_conf()", ct).ConfigureAwait(false);
    }

    private static CenateException HbaFailed(string file, string why) => new(ErrorIds.HbaEditFailed, CenateErrorKind.InvalidOperation,
        Messages.Format("Wal.HbaEditFailed", file, why.Trim()), Messages.Get("Wal.HbaEditFailed.Action"), file);

    /// <summary>The sidecar's container: pg_receivewal from the primary's own image, on its network, as this account.</summary>
    private static SidecarSpec Spec(WalArchiveRequest request, string name, ContainerInfo primary, string path, int port)
    {
        var network = NetworkOf(primary);
        var entry = new List<string>
        {
            "pg_receivewal", "--directory=" + ArchiveMount, "--slot=" + request.Slot, "--host=127.0.0.1",
            "--port=" + port.ToString(CultureInfo.InvariantCulture), "--username=" + request.ReplicationUser, "--no-password",
            // --no-loop: when the connection ends, pg_receivewal exits and Docker starts the container again, which
            // joins the database container's current network (a restarted one gets a new namespace).
            "--synchronous", "--no-loop", "--verbose",
        };
        return new SidecarSpec(name, primary.ImageId, entry, new[] { "PGPASSFILE=" + PassFile, "PGAPPNAME=" + name },
            $"{geteuid()}:{getegid()}", network, new[] { path + ":" + ArchiveMount },
            new Dictionary<string, string>
            {
                [RoleLabel] = RoleValue,
                [PrimaryLabel] = primary.Name,
                [SlotLabel] = request.Slot,
                [PathLabel] = path,
                [PortLabel] = port.ToString(CultureInfo.InvariantCulture),
                [UserLabel] = request.ReplicationUser,
            });
    }

    /// <summary>How long a just-started archiver may take to stream before Start takes it for deaf and recreates it.</summary>
    private static readonly TimeSpan StartGrace = TimeSpan.FromSeconds(20);

    /// <summary>The network the archiver shares: the host's, or the database container's namespace.</summary>
    internal static string NetworkOf(ContainerInfo primary) => primary.NetworkMode == "host" ? "host" : "container:" + primary.Id;

    /// <summary>
    /// True when this archiver (by its application_name) is connected on the slot, streaming or still catching up on the
    /// WAL the slot kept, and has reported a flush.
    /// </summary>
    private static async Task<bool> StreamingAsync(NpgsqlConnection conn, string slot, string name, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots s JOIN pg_catalog.pg_stat_replication r ON r.pid = s.active_pid " +
            "WHERE s.slot_name = @s AND r.application_name = @n AND r.state IN ('streaming', 'catchup') AND r.flush_lsn IS NOT NULL)", conn);
        cmd.Parameters.AddWithValue("s", slot);
        cmd.Parameters.AddWithValue("n", name);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
    }

    /// <summary>The slot the directory's marker records, or null.</summary>
    private static string? MarkerSlot(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(System.IO.Path.Combine(path, MarkerFile)));
            return doc.RootElement.TryGetProperty("slot", out var slot) ? slot.GetString() : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>One .pgpass line for the replication connection (':' and '\' escaped as libpq wants).</summary>
    internal static string PassLine(int port, string user, string password)
    {
        static string Esc(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(":", "\\:", StringComparison.Ordinal);
        return $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}:replication:{Esc(user)}:{Esc(password)}\n";
    }

    internal static long RoundToMegabytes(long bytes) => bytes < 0 ? -1 : Math.Max(1, (bytes + (1 << 20) - 1) >> 20) << 20;

    private static void RequireContainer(DatabaseTarget target)
    {
        if (target.Mode != ConnectionMode.Container)
        {
            throw new CenateException(ErrorIds.ContainerRequired, CenateErrorKind.InvalidArgument,
                Messages.Get("Wal.ContainerRequired"), Messages.Get("Wal.ContainerRequired.Action"), target.Host);
        }
    }

    /// <summary>Refuses a directory that holds another server's WAL, or WAL of unknown origin.</summary>
    private static void CheckDirectory(string path, string systemId)
    {
        var marker = System.IO.Path.Combine(path, MarkerFile);
        string? recorded = null;
        if (File.Exists(marker))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(marker));
                recorded = doc.RootElement.TryGetProperty("systemIdentifier", out var id) ? id.GetString() : null;
            }
            catch (JsonException)
            {
                recorded = "?";
            }
        }
        else if (Directory.EnumerateFiles(path).Any(f => SegmentName().IsMatch(System.IO.Path.GetFileName(f).Split('.')[0])))
        {
            recorded = "?";
        }
        if (recorded is not null && recorded != systemId)
        {
            throw new CenateException(ErrorIds.WalArchiveForeign, CenateErrorKind.InvalidData,
                Messages.Format("Wal.Foreign", path, recorded, systemId), Messages.Get("Wal.Foreign.Action"), path);
        }
    }

    /// <summary>An existing container of the archiver's name must be this module's archiver of this primary, with these settings.</summary>
    private static void CheckOurs(ContainerInfo sidecar, string primary, WalArchiveRequest request, string path, int port)
    {
        string? Label(string key) => sidecar.Labels.TryGetValue(key, out var v) ? v : null;
        var ours = Label(RoleLabel) == RoleValue && Label(PrimaryLabel) == primary;
        var same = ours && Label(SlotLabel) == request.Slot && Label(PathLabel) == path
            && Label(PortLabel) == port.ToString(CultureInfo.InvariantCulture) && Label(UserLabel) == request.ReplicationUser;
        if (same) return;
        throw new CenateException(ErrorIds.ContainerExists, CenateErrorKind.ResourceExists,
            ours ? Messages.Format("Wal.OtherSettings", sidecar.Name, Label(PathLabel), Label(SlotLabel)) : Messages.Format("ContainerExists", sidecar.Name),
            ours ? Messages.Format("Wal.OtherSettings.Action", sidecar.Name) : Messages.Format("ContainerExists.Action", sidecar.Name), sidecar.Name);
    }

    internal static async Task<ContainerInfo?> FindContainerAsync(DockerEngine engine, string name, CancellationToken ct)
    {
        try
        {
            return await engine.InspectAsync(name, ct).ConfigureAwait(false);
        }
        catch (CenateException ex) when (ex.ErrorId == ErrorIds.ContainerNotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// The segment pg_receivewal asks for first when it starts on <paramref name="path"/>, as it finds it: the highest
    /// segment number among complete and partial segments (a complete one wins a tie); after a complete segment, the
    /// next one; a partial one, itself. Null for a directory without segments (then it starts at the slot).
    /// </summary>
    internal static string? ResumeSegment(string path, long segmentSize)
    {
        long best = -1;
        var bestTimeline = "";
        var bestComplete = false;
        foreach (var file in Directory.EnumerateFiles(path).Select(f => System.IO.Path.GetFileName(f)!))
        {
            var complete = SegmentName().IsMatch(file);
            var partial = file.EndsWith(".partial", StringComparison.Ordinal) && SegmentName().IsMatch(file[..^8]);
            if (!complete && !partial) continue;
            var number = SegmentNumber(file[..24], segmentSize);
            if (number > best || (number == best && complete && !bestComplete))
            {
                best = number;
                bestComplete = complete;
                bestTimeline = file[..8];
            }
        }
        if (best < 0) return null;
        return Archive.BaseBackupFacts.SegmentName(bestTimeline, (ulong)(bestComplete ? best + 1 : best), segmentSize);
    }

    /// <summary>The segment number of a WAL file name (timeline left out), for segments of <paramref name="segmentSize"/> bytes.</summary>
    internal static long SegmentNumber(string name, long segmentSize) => (long)Archive.BaseBackupFacts.SegmentNumber(name, segmentSize);

    private static async Task<bool> ServerHasSegmentAsync(NpgsqlConnection conn, string segment, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_ls_waldir() WHERE substr(name, 9, 16) = @s AND length(name) = 24)", conn);
        cmd.Parameters.AddWithValue("s", segment[8..]);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
    }

    internal static async Task<ServerFacts> ServerAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT current_setting('server_version_num')::int, current_setting('wal_level'), current_setting('max_wal_senders')::int, " +
            "(SELECT CASE WHEN setting::bigint < 0 THEN -1 ELSE setting::bigint * 1048576 END FROM pg_catalog.pg_settings WHERE name = 'max_slot_wal_keep_size'), " +
            "current_setting('ssl') = 'on', (SELECT system_identifier::text FROM pg_catalog.pg_control_system()), current_setting('hba_file'), " +
            "(SELECT setting::bigint FROM pg_catalog.pg_settings WHERE name = 'wal_segment_size'), pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn())", conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return new ServerFacts(r.GetInt32(0), r.GetString(1), r.GetInt32(2), r.GetInt64(3), r.GetBoolean(4), r.GetString(5), r.GetString(6),
            r.GetInt64(7), r.GetString(8));
    }

    internal static async Task<(bool Login, bool Replication)?> RoleAsync(NpgsqlConnection conn, string role, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT rolcanlogin, rolreplication FROM pg_catalog.pg_roles WHERE rolname = @r", conn);
        cmd.Parameters.AddWithValue("r", role);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
        return (r.GetBoolean(0), r.GetBoolean(1));
    }

    internal static async Task<IReadOnlySet<string>> MemberOfAsync(NpgsqlConnection conn, string role, CancellationToken ct)
    {
        var set = new HashSet<string>(StringComparer.Ordinal) { role };
        await using var cmd = new NpgsqlCommand(
            "SELECT g.rolname FROM pg_catalog.pg_roles g WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_roles m WHERE m.rolname = @r AND pg_catalog.pg_has_role(m.oid, g.oid, 'MEMBER'))", conn);
        cmd.Parameters.AddWithValue("r", role);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) set.Add(r.GetString(0));
        return set;
    }

    internal static async Task<List<HbaRule>> HbaRulesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        // PostgreSQL 16 reads include files: rule_number is the order, line_number is per file.
        var sixteen = conn.PostgreSqlVersion.Major >= 16;
        await using var cmd = new NpgsqlCommand(sixteen
            ? "SELECT coalesce(rule_number, 0), type, database, user_name, address, netmask, auth_method, error, file_name || ':' || line_number FROM pg_catalog.pg_hba_file_rules ORDER BY rule_number NULLS LAST, file_name, line_number"
            : "SELECT line_number, type, database, user_name, address, netmask, auth_method, error, NULL::text FROM pg_catalog.pg_hba_file_rules ORDER BY line_number", conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rules = new List<HbaRule>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            rules.Add(new HbaRule(r.IsDBNull(0) ? 0 : r.GetInt32(0), r.IsDBNull(1) ? "" : r.GetString(1),
                r.IsDBNull(2) ? Array.Empty<string>() : r.GetFieldValue<string[]>(2), r.IsDBNull(3) ? Array.Empty<string>() : r.GetFieldValue<string[]>(3),
                r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6),
                r.IsDBNull(7) ? null : r.GetString(7)) { FileName = r.IsDBNull(8) ? null : r.GetString(8) });
        }
        return rules;
    }

    internal static async Task<SlotFacts?> SlotAsync(NpgsqlConnection conn, string slot, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT slot_type, active, wal_status FROM pg_catalog.pg_replication_slots WHERE slot_name = @s", conn);
        cmd.Parameters.AddWithValue("s", slot);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
        return new SlotFacts(r.GetString(0), r.GetBoolean(1), r.IsDBNull(2) ? null : r.GetString(2));
    }

    internal static async Task ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct, NpgsqlTransaction? tx = null)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    [DllImport("libc")]
    private static extern uint geteuid();

    [DllImport("libc")]
    private static extern uint getegid();
}
