using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Database;
using CenateBackup.Core.Docker;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Tools;
using CenateBackup.Core.Verification;
using CenateBackup.Core.Wal;
using Npgsql;

namespace CenateBackup.Core.Pitr;

/// <summary>
/// Restore-CenatePointInTime: a new scratch container — never the live one — of the live database's image, filled through
/// the Docker API with the newest base backup completed before the time and the archived WAL from that backup's start on,
/// started with recovery_target_time and recovery_target_action = pause, and watched until it has paused at the time.
/// It listens on 127.0.0.1 only, as the same roles as the live database. Get-/Remove-CenatePointInTime list and remove
/// such copies (by their label: nothing else is ever removed).
/// </summary>
public static partial class PointInTimeService
{
    // The label keys the WAL archiver's containers use (one set of keys for the module's containers); the role differs.
    internal const string RoleLabel = WalArchiveService.RoleLabel;
    internal const string RoleValue = "pitr";
    private const string PrimaryLabel = WalArchiveService.PrimaryLabel;
    private const string PortLabel = WalArchiveService.PortLabel;
    private const string DatabaseLabel = "org.cenate.database";
    private const string TimeLabel = "org.cenate.pitr.time";
    private const string BaseLabel = "org.cenate.pitr.base";
    private const string WalFilesLabel = "org.cenate.pitr.wal-files";

    /// <summary>Where the copy's files live in its container (its writable layer: removed with it).</summary>
    private const string Root = "/var/lib/cenate-pitr";
    private const string DataDir = Root + "/data";
    private const string WalDir = Root + "/wal";
    private const string RunDir = Root + "/run";

    /// <summary>
    /// Members of a base backup a recovered copy must not have: the server's own run files, another recovery's signals,
    /// and the authentication files — who may log in to the copy is the module's to decide (loopback only, a password),
    /// never a backup file's, which anyone who can write the backup directory can edit.
    /// </summary>
    private static readonly HashSet<string> s_skipped = new(StringComparer.Ordinal)
    {
        "postmaster.pid", "postmaster.opts", "standby.signal", "recovery.signal", "recovery.conf", "pg_hba.conf", "pg_ident.conf",
    };

    /// <summary>
    /// The copy's own pg_hba.conf: a password (md5, which also takes SCRAM verifiers) over the socket and from 127.0.0.1;
    /// nothing else. A hospital's pg_hba.conf may list only application subnets, and a backup's may have been edited.
    /// </summary>
    private const string CopyHba = "local all all md5\nhost all all 127.0.0.1/32 md5\n";

    /// <summary>Plans the restore: the base set, the WAL, the name and the port; nothing is created.</summary>
    public static async Task<PointInTimePlan> PlanAsync(PointInTimeRequest request, string? image, IOperationReporter reporter,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var target = request.Target;
        // Host mode (-HostName): no container gives the image or the archive; -Image and -WalPath must.
        if (target.Container is null && (image is not { Length: > 0 } || request.WalPath is null))
        {
            throw new CenateException(ErrorIds.ContainerRequired, CenateErrorKind.InvalidArgument,
                Messages.Get("Pitr.ContainerRequired"), Messages.Get("Pitr.ContainerRequired.Action"), target.Database);
        }
        var live = target.Container ?? BackupNaming.Safe(target.Database);
        using var engine = new DockerEngine(target.DockerHost);
        string imageId;
        if (image is { Length: > 0 })
        {
            imageId = image;
        }
        else
        {
            var info = await engine.InspectAsync(live, ct).ConfigureAwait(false);
            imageId = info.ImageId;
        }
        var plan = new PointInTimePlan
        {
            Request = request,
            LiveContainer = live,
            Image = imageId,
            Database = target.Database,
            TargetTime = request.Time,
        };
        if (await CheckLoginAsync(target, reporter, ct).ConfigureAwait(false) is { } serverZone && request.TimeWithoutZone
            && ZoneWarning(request.Time, serverZone) is { } zoneWarning)
        {
            plan.Warnings.Add(zoneWarning);
        }
        ChooseBase(request, plan, reporter);
        plan.WalPath = request.WalPath ?? await ArchiveOfAsync(engine, live, ct).ConfigureAwait(false);
        ChooseWal(plan);
        plan.Name = request.Name ?? $"{live}_pitr_{BackupNaming.Stamp(request.Time)}";
        foreach (var other in await engine.FindByLabelAsync(RoleLabel, RoleValue, ct).ConfigureAwait(false))
        {
            if (other.Name == plan.Name)
            {
                throw new CenateException(ErrorIds.ContainerExists, CenateErrorKind.ResourceExists,
                    Messages.Format("Pitr.Exists", plan.Name), Messages.Format("Pitr.Exists.Action", plan.Name), plan.Name);
            }
        }
        plan.Port = request.Port ?? FreePort();
        if (request.Port is { } port && !PortIsFree(port))
        {
            throw new CenateException(ErrorIds.PointInTimePortInUse, CenateErrorKind.ResourceBusy,
                Messages.Format("Pitr.PortInUse", port), Messages.Get("Pitr.PortInUse.Action"), port.ToString(CultureInfo.InvariantCulture));
        }
        // The copy lives in the engine's own storage, often the disk of the live database too: a copy that filled it
        // would stop the live server. The unpacked size is not recorded; a base backup compresses about 3:1.
        var needed = new FileInfo(plan.BaseFile).Length * 3 + plan.WalBytes + (512L << 20);
        if (await engine.FreeBytesForContainersAsync(ct).ConfigureAwait(false) is { } free && free < needed)
        {
            throw new CenateException(ErrorIds.DiskFull, CenateErrorKind.WriteError,
                Messages.Format("Pitr.NoSpace", needed / 1048576, free / 1048576), Messages.Get("Pitr.NoSpace.Action"), plan.Name);
        }
        var shortImage = imageId.Replace("sha256:", "", StringComparison.Ordinal);
        plan.Steps.Add(Messages.Format("Pitr.Step.Base", Path.GetFileName(plan.BaseFile), plan.BaseCompleted.ToString("u", CultureInfo.InvariantCulture)));
        plan.Steps.Add(Messages.Format("Pitr.Step.Wal", plan.WalFiles.Count, plan.WalBytes / 1048576, plan.WalPath));
        plan.Steps.Add(Messages.Format("Pitr.Step.Container", plan.Name, shortImage[..Math.Min(12, shortImage.Length)], plan.Port));
        plan.Steps.Add(Messages.Format("Pitr.Step.Recover", TargetText(request.Time) + " = " + request.Time.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture)));
        reporter.Verbose(string.Join(Environment.NewLine, plan.Steps));
        return plan;
    }

    /// <summary>Creates the copy, waits until it has paused at the time, and describes it.</summary>
    public static async Task<PointInTimeCopy> ExecuteAsync(PointInTimePlan plan, IOperationReporter reporter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var clock = Stopwatch.StartNew();
        var request = plan.Request;
        using var engine = new DockerEngine(request.Target.DockerHost);
        var spec = Spec(plan);
        var activity = Messages.Get("Progress.Pitr");
        reporter.Verbose($"Creating {plan.Name}: {string.Join(' ', spec.Entrypoint)}");
        var id = await engine.CreateFilledAsync(spec, (tar, owner, token) => WriteTarAsync(plan, tar, owner, reporter, token), ct).ConfigureAwait(false);
        reporter.Verbose($"{plan.Name} ({id[..12]}) started; waiting until recovery reaches {TargetText(plan.TargetTime)} ({clock.Elapsed.TotalSeconds:0.0} s so far).");
        try
        {
            var copy = await WaitPausedAsync(engine, plan, id, reporter, activity, ct).ConfigureAwait(false);
            copy.Duration = clock.Elapsed;
            reporter.Progress(new OperationProgress(activity, Messages.Get("Progress.Pitr.Done"), 1, 1));
            return copy;
        }
        catch
        {
            // A copy that did not reach the time is of no use and holds a copy of the data: it goes.
            await engine.RemoveAsync(id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The recovered copies (every one, or those of one live container, or one by name).</summary>
    public static async Task<IReadOnlyList<PointInTimeCopy>> ListAsync(DatabaseTarget target, string? liveContainer, string? name,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        using var engine = new DockerEngine(target.DockerHost);
        var found = new List<PointInTimeCopy>();
        foreach (var info in await engine.FindByLabelAsync(RoleLabel, RoleValue, ct).ConfigureAwait(false))
        {
            if (name is not null && info.Name != name && !info.Id.StartsWith(name, StringComparison.Ordinal)) continue;
            if (name is null && liveContainer is not null && Label(info, PrimaryLabel) != liveContainer) continue;
            var copy = Describe(info);
            if (info.Running && copy.Port > 0)
            {
                try
                {
                    var state = await TryStateAsync(target, copy.Port, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
                    if (state is not null) Apply(copy, state.Value);
                }
                catch (CenateException)
                {
                    // One copy that refuses this login (an older password) does not hide the others: it shows as Running.
                }
            }
            found.Add(copy);
        }
        if (name is not null && found.Count == 0)
        {
            throw new CenateException(ErrorIds.PointInTimeCopyNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("Pitr.NotFound", name), Messages.Get("Pitr.NotFound.Action"), name);
        }
        return found.OrderBy(c => c.Created).ToList();
    }

    /// <summary>The name prefix of the copies the point-in-time drill makes (and removes).</summary>
    internal const string DrillPrefix = "cenate_drill_pitr_";

    /// <summary>
    /// Removes drill copies started more than <paramref name="olderThan"/> ago: left by a drill that was killed (SIGKILL,
    /// an out-of-memory kill) before it could remove its copy, which holds a copy of the data. Returns their names.
    /// </summary>
    internal static async Task<IReadOnlyList<string>> RemoveStaleDrillCopiesAsync(DatabaseTarget target, TimeSpan olderThan, CancellationToken ct)
    {
        using var engine = new DockerEngine(target.DockerHost);
        var removed = new List<string>();
        foreach (var info in await engine.FindByLabelAsync(RoleLabel, RoleValue, ct).ConfigureAwait(false))
        {
            if (!info.Name.StartsWith(DrillPrefix, StringComparison.Ordinal)) continue;
            if (info.StartedAt is { } started && DateTimeOffset.UtcNow - started < olderThan && info.Running) continue;
            await engine.RemoveAsync(info.Id, ct).ConfigureAwait(false);
            removed.Add(info.Name);
        }
        return removed;
    }

    /// <summary>
    /// The port a copy made by Restore-CenatePointInTime listens on (its label), for Restore-CenateTable -FromContainer
    /// without -FromPort; null for any other container, or when it cannot be inspected (the restore then says why).
    /// </summary>
    public static async Task<int?> CopyPortAsync(string? dockerHost, string container, CancellationToken ct)
    {
        try
        {
            using var engine = new DockerEngine(dockerHost);
            var info = await engine.InspectAsync(container, ct).ConfigureAwait(false);
            return Label(info, RoleLabel) == RoleValue
                && int.TryParse(Label(info, PortLabel), NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;
        }
        catch (CenateException)
        {
            return null;
        }
    }

    /// <summary>
    /// The copy named <paramref name="name"/>, for Remove-CenatePointInTime; PointInTimeNotACopy for a container that
    /// is not one (the live database, the WAL archiver, anything else), which is never removed.
    /// </summary>
    public static async Task<PointInTimeCopy> FindCopyAsync(DatabaseTarget target, string name, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        using var engine = new DockerEngine(target.DockerHost);
        ContainerInfo info;
        try
        {
            info = await engine.InspectAsync(name, ct).ConfigureAwait(false);
        }
        catch (CenateException ex) when (ex.ErrorId == ErrorIds.ContainerNotFound)
        {
            throw new CenateException(ErrorIds.PointInTimeCopyNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("Pitr.NotFound", name), Messages.Get("Pitr.NotFound.Action"), name, ex);
        }
        if (Label(info, RoleLabel) != RoleValue)
        {
            throw new CenateException(ErrorIds.PointInTimeNotACopy, CenateErrorKind.InvalidArgument,
                Messages.Format("Pitr.NotACopy", info.Name), Messages.Get("Pitr.NotACopy.Action"), info.Name);
        }
        return Describe(info);
    }

    /// <summary>Stops and removes a copy found by <see cref="FindCopyAsync"/> (its data goes with it).</summary>
    public static async Task RemoveAsync(DatabaseTarget target, PointInTimeCopy copy, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(copy);
        using var engine = new DockerEngine(target.DockerHost);
        // Looked at again by id: only a container that still carries the label goes.
        var info = await engine.InspectAsync(copy.Id, ct).ConfigureAwait(false);
        if (Label(info, RoleLabel) != RoleValue)
        {
            throw new CenateException(ErrorIds.PointInTimeNotACopy, CenateErrorKind.InvalidArgument,
                Messages.Format("Pitr.NotACopy", info.Name), Messages.Get("Pitr.NotACopy.Action"), info.Name);
        }
        await engine.RemoveAsync(info.Id, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The role and password are tried on the live server first, when it answers: the copy has the same roles, and a
    /// wrong password is better refused before a copy of the whole cluster is made than after. A server that is down (the
    /// reason for a restore, sometimes) or a database that is gone is no reason to stop.
    /// </summary>
    private static async Task<string?> CheckLoginAsync(DatabaseTarget target, IOperationReporter reporter, CancellationToken ct)
    {
        try
        {
            await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("SELECT pg_catalog.current_setting('TimeZone')", session.Connection);
            return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
        }
        catch (CenateException ex) when (ex.ErrorId != ErrorIds.AuthenticationFailed)
        {
            reporter.Verbose($"The live database does not answer ({ex.ErrorId}); the copy's login is checked once it runs.");
            return null;
        }
        catch (NpgsqlException)
        {
            return null;
        }
    }

    /// <summary>
    /// A warning when a -Time read in this machine's zone means another wall-clock time in the server's zone (null when
    /// both agree at that moment, or the server's zone is not known here).
    /// </summary>
    internal static string? ZoneWarning(DateTimeOffset time, string serverZone)
    {
        TimeZoneInfo zone;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(serverZone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
        var server = TimeZoneInfo.ConvertTime(time, zone);
        if (server.Offset == time.Offset) return null;
        return Messages.Format("Warning.Pitr.Zone", time.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture), serverZone,
            server.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture));
    }

    /// <summary>recovery_target_time as PostgreSQL reads it: UTC with its offset, to the microsecond.</summary>
    internal static string TargetText(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00";

    internal static void ChooseBase(PointInTimeRequest request, PointInTimePlan plan, IOperationReporter reporter)
    {
        var path = Path.GetFullPath(request.BasePath);
        List<CatalogEntry> candidates;
        if (File.Exists(path))
        {
            if (!path.EndsWith(".manifest.json", StringComparison.OrdinalIgnoreCase))
            {
                throw NoBase(request, Messages.Format("Pitr.NoBase.NotAManifest", path));
            }
            var dir = Path.GetDirectoryName(path)!;
            candidates = BackupCatalog.Scan(dir).Sets.Where(s => string.Equals(s.ManifestPath, path, StringComparison.Ordinal)).ToList();
        }
        else
        {
            if (!Directory.Exists(path))
            {
                throw new CenateException(ErrorIds.PathNotFound, CenateErrorKind.ObjectNotFound, Messages.Format("Pitr.NoBasePath", path),
                    Messages.Get("Pitr.NoBasePath.Action"), path);
            }
            candidates = BackupCatalog.Scan(path).Sets
                .Where(s => string.Equals(s.Manifest.Database, request.Target.Database, StringComparison.Ordinal)).ToList();
        }
        var usable = candidates.Where(s => s.Kind == BackupSetKind.Base && s.Complete && s.Manifest.Base is { } b
            && BaseBackupFacts.IsSegmentSize(b.WalSegmentSize) && b.StartWalFile.Length == 24 && s.Manifest.CompletedAt is not null
            && s.Manifest.Files.Any(f => f.Name.EndsWith(".base.tar.gz", StringComparison.Ordinal) && BackupNaming.IsPlainFileName(f.Name))).ToList();
        foreach (var failed in usable.Where(s => s.Manifest.Verification is { Passed: false }))
        {
            reporter.Warning(Messages.Format("Warning.Pitr.FailedBase", Path.GetFileName(failed.ManifestPath)));
        }
        var chosen = usable.Where(s => s.Manifest.Verification is not { Passed: false } && s.Manifest.CompletedAt <= request.Time)
            .OrderByDescending(s => s.Manifest.CompletedAt).FirstOrDefault();
        if (chosen is null)
        {
            var oldest = usable.Where(s => s.Manifest.Verification is not { Passed: false }).OrderBy(s => s.Manifest.CompletedAt).FirstOrDefault();
            throw NoBase(request, oldest is null
                ? Messages.Format("Pitr.NoBase.None", path)
                : Messages.Format("Pitr.NoBase.TooEarly", TargetText(request.Time), TargetText(oldest.Manifest.CompletedAt!.Value),
                    Path.GetFileName(oldest.ManifestPath)));
        }
        // A plain name in the set's own directory: a manifest is data, and never points the restore at another file.
        var file = chosen.Manifest.Files.First(f => f.Name.EndsWith(".base.tar.gz", StringComparison.Ordinal) && BackupNaming.IsPlainFileName(f.Name));
        plan.BaseBackup = chosen.ManifestPath;
        plan.BaseStamp = chosen.Manifest.Stamp;
        plan.BaseCompleted = chosen.Manifest.CompletedAt!.Value;
        plan.BaseFile = Path.Combine(Path.GetDirectoryName(chosen.ManifestPath)!, file.Name);
        plan.BaseSha256 = string.IsNullOrEmpty(file.Sha256) ? null : file.Sha256;
        if (plan.BaseSha256 is null) plan.Warnings.Add(Messages.Format("Warning.Pitr.NoChecksum", file.Name));
        plan.BaseFacts = chosen.Manifest.Base!;
    }

    private static CenateException NoBase(PointInTimeRequest request, string why) => new(ErrorIds.PointInTimeNoBaseBackup,
        CenateErrorKind.ObjectNotFound, why, Messages.Get("Pitr.NoBase.Action"), request.BasePath);

    /// <summary>The archive directory of the live container's archiver (Start-CenateWalArchive's label).</summary>
    private static async Task<string> ArchiveOfAsync(DockerEngine engine, string live, CancellationToken ct)
    {
        var paths = (await engine.FindByLabelAsync(WalArchiveService.PrimaryLabel, live, ct).ConfigureAwait(false))
            .Where(c => Label(c, WalArchiveService.RoleLabel) == WalArchiveService.RoleValue)
            .Select(c => Label(c, WalArchiveService.PathLabel)).Where(p => p is { Length: > 0 }).Distinct().ToList();
        if (paths.Count == 1) return paths[0]!;
        throw new CenateException(ErrorIds.WalArchiveNotFound, CenateErrorKind.ObjectNotFound,
            Messages.Format(paths.Count == 0 ? "Pitr.NoArchive" : "Pitr.SeveralArchives", live), Messages.Get("Pitr.NoArchive.Action"), live);
    }

    /// <summary>The WAL to put in: every segment from the base backup's start on (a partial one under its full name when no complete one exists), and the timeline histories.</summary>
    internal static void ChooseWal(PointInTimePlan plan)
    {
        if (!Directory.Exists(plan.WalPath))
        {
            throw new CenateException(ErrorIds.PathNotFound, CenateErrorKind.ObjectNotFound, Messages.Format("Pitr.NoWalPath", plan.WalPath),
                Messages.Get("Pitr.NoArchive.Action"), plan.WalPath);
        }
        var facts = plan.BaseFacts ?? throw new InvalidOperationException("no base chosen");
        var size = facts.WalSegmentSize;
        var start = BaseBackupFacts.SegmentNumber(facts.StartWalFile, size);
        var names = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(plan.WalPath))
        {
            var name = Path.GetFileName(file);
            if (HistoryName().IsMatch(name))
            {
                names[name] = file;
                continue;
            }
            var m = BaseBackupFacts.SegmentFile().Match(name);
            if (!m.Success || BaseBackupFacts.SegmentNumber(m.Groups[1].Value, size) < start) continue;
            var full = m.Groups[1].Value;
            if (m.Groups[2].Success && names.ContainsKey(full)) continue;
            names[full] = file;
        }
        foreach (var (name, file) in names)
        {
            plan.WalFiles.Add(name);
            plan.WalBytes += new FileInfo(file).Length;
        }
        plan.WalSources = names;
        if (WalContinuity.Check(plan.WalPath, facts, out _) is { } gap) plan.Warnings.Add(gap);
    }

    /// <summary>The copy's container: postgres as the image's postgres user, on the host network, listening on 127.0.0.1 only.</summary>
    private static SidecarSpec Spec(PointInTimePlan plan)
    {
        var port = plan.Port.ToString(CultureInfo.InvariantCulture);
        string C(string setting) => setting;
        var entry = new List<string>
        {
            "postgres", "-D", DataDir,
            "-c", C("config_file=" + DataDir + "/postgresql.conf"),
            "-c", C("hba_file=" + DataDir + "/pg_hba.conf"),
            "-c", C("ident_file=" + DataDir + "/pg_ident.conf"),
            "-c", C("port=" + port),
            "-c", C("listen_addresses=127.0.0.1"),
            "-c", C("unix_socket_directories=" + RunDir),
            "-c", C("restore_command=cp " + WalDir + "/%f %p"),
            "-c", C("recovery_target_time=" + TargetText(plan.TargetTime)),
            "-c", C("recovery_target_action=pause"),
            "-c", C("recovery_target_timeline=latest"),
            "-c", C("recovery_target_inclusive=on"),
            "-c", C("hot_standby=on"),
            "-c", C("archive_mode=off"),
            "-c", C("primary_conninfo="),
            "-c", C("primary_slot_name="),
            "-c", C("ssl=off"),
            // Nothing a backup's configuration names is loaded or run in the copy: no libraries, no commands (a
            // postgresql.conf in the backup can be edited by whoever can write the backup directory).
            "-c", C("shared_preload_libraries="),
            "-c", C("local_preload_libraries="),
            "-c", C("session_preload_libraries="),
            "-c", C("archive_command="),
            "-c", C("archive_cleanup_command="),
            "-c", C("recovery_end_command="),
            "-c", C("ssl_passphrase_command="),
            "-c", C("jit=off"),
            "-c", C("logging_collector=off"),
            "-c", C("log_destination=stderr"),
            "-c", C("cluster_name=" + plan.Name),
        };
        return new SidecarSpec(plan.Name, plan.Image, entry,
            new[] { "PGHOST=" + RunDir, "PGPORT=" + port, "PGDATA=" + DataDir },
            "postgres", "host", Array.Empty<string>(),
            new Dictionary<string, string>
            {
                [RoleLabel] = RoleValue,
                [PrimaryLabel] = plan.LiveContainer,
                [PortLabel] = port,
                [DatabaseLabel] = plan.Database,
                [TimeLabel] = plan.TargetTime.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
                [BaseLabel] = plan.BaseBackup,
                [WalFilesLabel] = plan.WalFiles.Count.ToString(CultureInfo.InvariantCulture),
            });
    }

    /// <summary>
    /// The tar the copy is filled with: the base backup's members under the data directory (checked against the set's
    /// sha256 as they are read), recovery.signal, the WAL files, and the directories the server needs.
    /// </summary>
    private static async Task WriteTarAsync(PointInTimePlan plan, Stream output, (int Uid, int Gid) owner, IOperationReporter reporter,
        CancellationToken ct)
    {
        var activity = Messages.Get("Progress.Pitr");
        var total = new FileInfo(plan.BaseFile).Length + plan.WalBytes;
        var lastReport = 0L;
        void Report(long done)
        {
            if (done - lastReport < 16 << 20) return;
            lastReport = done;
            reporter.Progress(new OperationProgress(activity, Messages.Format("Progress.Pitr.Copy", done / 1048576, Math.Max(1, total / 1048576)),
                done, total));
        }
        await using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var dir in new[] { Root, DataDir, WalDir, RunDir })
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, dir.TrimStart('/') + "/") { Mode = Private(true), Uid = owner.Uid, Gid = owner.Gid }, ct)
                .ConfigureAwait(false);
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var file = new ReadThroughStream(plan.BaseFile, Report, hash: plan.BaseSha256 is not null);
        await using (file.ConfigureAwait(false))
        {
            try
            {
                await using var gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
                await using var reader = new TarReader(gzip, leaveOpen: true);
                while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
                {
                    var name = MemberName(entry, plan.BaseFile);
                    if (name.Length == 0 || s_skipped.Contains(name)) continue;
                    seen.Add(name);
                    var directory = entry.EntryType == TarEntryType.Directory;
                    var copy = new PaxTarEntry(directory ? TarEntryType.Directory : TarEntryType.RegularFile,
                        DataDir.TrimStart('/') + "/" + name + (directory ? "/" : ""))
                    {
                        Mode = Private(directory),
                        ModificationTime = entry.ModificationTime,
                        Uid = owner.Uid,
                        Gid = owner.Gid,
                    };
                    if (!directory && entry.DataStream is not null) copy.DataStream = new BoundedStream(entry.DataStream, entry.Length);
                    await writer.WriteEntryAsync(copy, ct).ConfigureAwait(false);
                }
                // The gzip trailer, so its CRC is checked too.
                var rest = new byte[1 << 16];
                while (await gzip.ReadAsync(rest, ct).ConfigureAwait(false) > 0) { }
            }
            catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
            {
                throw Corrupt(plan.BaseFile, ex.Message, ex);
            }
            var sha = await file.FinishAsync(ct).ConfigureAwait(false);
            if (plan.BaseSha256 is not null && !string.Equals(sha, plan.BaseSha256, StringComparison.OrdinalIgnoreCase))
            {
                throw Corrupt(plan.BaseFile, Messages.Format("Pitr.ShaMismatch", sha, plan.BaseSha256), null);
            }
        }
        if (!seen.Contains("PG_VERSION") || !seen.Contains("global/pg_control"))
        {
            throw Corrupt(plan.BaseFile, Messages.Get("Pitr.NotADataDirectory"), null);
        }
        // A cluster whose configuration lives outside its data directory (Debian's /etc/postgresql) needs files of its own.
        if (!seen.Contains("postgresql.conf")) await SmallFileAsync(writer, owner, DataDir + "/postgresql.conf", "", ct).ConfigureAwait(false);
        await SmallFileAsync(writer, owner, DataDir + "/pg_ident.conf", "", ct).ConfigureAwait(false);
        await SmallFileAsync(writer, owner, DataDir + "/pg_hba.conf", CopyHba, ct).ConfigureAwait(false);
        await SmallFileAsync(writer, owner, DataDir + "/recovery.signal", "", ct).ConfigureAwait(false);
        var done = new FileInfo(plan.BaseFile).Length;
        foreach (var (name, path) in plan.WalSources)
        {
            await using var wal = OpenWal(path);
            // A partial segment the archiver is still writing is copied as far as it is now (its length read once).
            var length = wal.Length;
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, WalDir.TrimStart('/') + "/" + name)
            {
                Mode = Private(false),
                Uid = owner.Uid,
                Gid = owner.Gid,
                DataStream = new BoundedStream(wal, length),
            }, ct).ConfigureAwait(false);
            done += length;
            Report(done);
        }
    }

    /// <summary>
    /// A WAL file of the archive; a partial segment that pg_receivewal completed (renamed) since the plan listed it is
    /// read under its complete name.
    /// </summary>
    private static FileStream OpenWal(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.Asynchronous);
        }
        catch (FileNotFoundException) when (path.EndsWith(".partial", StringComparison.Ordinal))
        {
            return new FileStream(path[..^".partial".Length], FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.Asynchronous);
        }
    }

    private static async Task SmallFileAsync(TarWriter writer, (int Uid, int Gid) owner, string path, string text, CancellationToken ct) =>
        await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, path.TrimStart('/'))
        {
            Mode = Private(false),
            Uid = owner.Uid,
            Gid = owner.Gid,
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text), writable: false),
        }, ct).ConfigureAwait(false);

    private static UnixFileMode Private(bool directory) => directory
        ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        : UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// A member's name relative to the data directory; "" for the root itself. BackupCorrupt for anything a base backup
    /// of the module does not hold: links (no tablespaces), devices, absolute names or names that climb out.
    /// </summary>
    private static string MemberName(TarEntry entry, string file)
    {
        var name = entry.Name.Replace('\\', '/');
        while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
        name = name.TrimEnd('/');
        if (entry.EntryType is not (TarEntryType.Directory or TarEntryType.RegularFile or TarEntryType.V7RegularFile))
        {
            throw Corrupt(file, Messages.Format("Pitr.BadMember", entry.Name, entry.EntryType), null);
        }
        if (name.StartsWith('/') || name.Split('/').Any(p => p is ".." || p.Length == 0 && name.Length > 0))
        {
            throw Corrupt(file, Messages.Format("Pitr.BadMember", entry.Name, entry.EntryType), null);
        }
        return name == "." ? "" : name;
    }

    private static CenateException Corrupt(string file, string why, Exception? inner) => new(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData,
        Messages.Format("Pitr.Corrupt", Path.GetFileName(file), why), Messages.Get("Pitr.Corrupt.Action"), file, inner!);

    /// <summary>Polls the copy until it has paused at the time; a copy whose server stopped says why from its log.</summary>
    private static async Task<PointInTimeCopy> WaitPausedAsync(DockerEngine engine, PointInTimePlan plan, string id, IOperationReporter reporter,
        string activity, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var deadline = started + plan.Request.Timeout;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var info = await engine.InspectAsync(id, ct).ConfigureAwait(false);
            if (!info.Running)
            {
                var log = await engine.LogTailAsync(id, 30, started.AddMinutes(-1), ct).ConfigureAwait(false);
                throw Stopped(plan, log);
            }
            var state = await TryStateAsync(plan.Request.Target, plan.Port, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
            if (state is { } s)
            {
                reporter.Progress(new OperationProgress(activity, Messages.Format("Progress.Pitr.Replay", s.Lsn,
                    s.ReplayedTo?.ToString("u", CultureInfo.InvariantCulture) ?? "-"), 0, null));
                if (s.Paused || !s.InRecovery)
                {
                    var copy = Describe(info);
                    Apply(copy, s);
                    if (!s.InRecovery) copy.State = "Promoted";
                    return copy;
                }
            }
            else
            {
                reporter.Progress(new OperationProgress(activity, Messages.Get("Progress.Pitr.Starting"), 0, null));
            }
            if (DateTimeOffset.UtcNow > deadline)
            {
                var log = await engine.LogTailAsync(id, 10, started.AddMinutes(-1), ct).ConfigureAwait(false);
                throw new CenateException(ErrorIds.PointInTimeTimeout, CenateErrorKind.OperationTimeout,
                    Messages.Format("Pitr.Timeout", plan.Name, plan.Request.Timeout, ToolMessages.FirstLines(Redact(log), 10)),
                    Messages.Get("Pitr.Timeout.Action"), plan.Name);
            }
            await Task.Delay(500, ct).ConfigureAwait(false);
        }
    }

    private static CenateException Stopped(PointInTimePlan plan, string log)
    {
        var shown = ToolMessages.FirstLines(Redact(string.Join('\n', log.Split('\n').TakeLast(12))), 12);
        if (log.Contains("recovery ended before configured recovery target was reached", StringComparison.Ordinal))
        {
            return new CenateException(ErrorIds.PointInTimeNotReached, CenateErrorKind.InvalidOperation,
                Messages.Format("Pitr.NotReached", TargetText(plan.TargetTime), plan.WalPath, shown), Messages.Get("Pitr.NotReached.Action"), plan.Name);
        }
        if (log.Contains("before consistent recovery point", StringComparison.Ordinal))
        {
            return new CenateException(ErrorIds.PointInTimeNoBaseBackup, CenateErrorKind.InvalidOperation,
                Messages.Format("Pitr.BeforeConsistent", TargetText(plan.TargetTime), Path.GetFileName(plan.BaseBackup), shown),
                Messages.Get("Pitr.NoBase.Action"), plan.Name);
        }
        return new CenateException(ErrorIds.PointInTimeRecoveryFailed, CenateErrorKind.ToolFailed,
            Messages.Format("Pitr.Failed", plan.Name, shown), Messages.Get("Pitr.Failed.Action"), plan.Name);
    }

    /// <summary>Log lines are shown as they are but never a password (a conninfo in the log).</summary>
    /// <summary>A container's log lines with any password=… setting masked (shared with the standby's messages).</summary>
    internal static string Redact(string log) => PasswordInLog().Replace(log, "password=***");

    private readonly record struct CopyState(bool InRecovery, bool Paused, DateTimeOffset? ReplayedTo, string Lsn);

    /// <summary>The copy's recovery state, or null when it does not take connections yet.</summary>
    private static async Task<CopyState?> TryStateAsync(DatabaseTarget target, int port, TimeSpan timeout, CancellationToken ct)
    {
        var at = new DatabaseTarget(ConnectionMode.Host, target.Database, target.User, port) { Host = "127.0.0.1", Password = target.Password };
        var b = new NpgsqlConnectionStringBuilder(SnapshotSession.ConnectionString(at, new TcpEndpoint("127.0.0.1", port, "copy")))
        {
            Timeout = Math.Max(1, (int)timeout.TotalSeconds),
        };
        try
        {
            await using var conn = new NpgsqlConnection(b.ConnectionString);
            try
            {
                await conn.OpenAsync(ct).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == "3D000" && target.Database != "postgres")
            {
                // The database did not exist at that time (or was the one dropped): the copy's state is read in postgres.
                conn.ConnectionString = new NpgsqlConnectionStringBuilder(b.ConnectionString) { Database = "postgres" }.ConnectionString;
                await conn.OpenAsync(ct).ConfigureAwait(false);
            }
            await using var cmd = new NpgsqlCommand(
                "SELECT pg_catalog.pg_is_in_recovery(), " +
                "CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_get_wal_replay_pause_state() ELSE 'not paused' END, " +
                "pg_catalog.pg_last_xact_replay_timestamp(), COALESCE(pg_catalog.pg_last_wal_replay_lsn()::text, '')", conn);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await r.ReadAsync(ct).ConfigureAwait(false);
            return new CopyState(r.GetBoolean(0), r.GetString(1) == "paused",
                r.IsDBNull(2) ? null : new DateTimeOffset(r.GetFieldValue<DateTime>(2), TimeSpan.Zero), r.GetString(3));
        }
        catch (PostgresException ex) when (ex.SqlState is "28P01" or "28000")
        {
            throw PostgresErrors.Translate(ex, at, new TcpEndpoint("127.0.0.1", port, "copy"));
        }
        catch (PostgresException ex) when (ex.SqlState != "57P03")
        {
            // Only "not accepting connections yet" (57P03) means wait; any other answer will not change by waiting.
            throw new CenateException(ErrorIds.PointInTimeRecoveryFailed, CenateErrorKind.InvalidOperation,
                Messages.Format("Pitr.StateUnreadable", port, ex.SqlState, ex.MessageText), Messages.Get("Pitr.Failed.Action"),
                port.ToString(CultureInfo.InvariantCulture), ex);
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or IOException or TimeoutException)
        {
            return null;
        }
    }

    private static PointInTimeCopy Describe(ContainerInfo info)
    {
        var copy = new PointInTimeCopy
        {
            Name = info.Name,
            Id = info.Id,
            State = info.Running ? "Running" : string.IsNullOrEmpty(info.State) ? "Exited" : char.ToUpperInvariant(info.State[0]) + info.State[1..],
            Port = int.TryParse(Label(info, PortLabel), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0,
            Database = Label(info, DatabaseLabel) ?? "",
            LiveContainer = Label(info, PrimaryLabel) ?? "",
            BaseBackup = Label(info, BaseLabel) ?? "",
            WalFiles = int.TryParse(Label(info, WalFilesLabel), NumberStyles.None, CultureInfo.InvariantCulture, out var w) ? w : 0,
            Created = info.StartedAt,
        };
        if (DateTimeOffset.TryParse(Label(info, TimeLabel), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) copy.TargetTime = t;
        return copy;
    }

    private static void Apply(PointInTimeCopy copy, CopyState state)
    {
        copy.State = !state.InRecovery ? "Promoted" : state.Paused ? "Paused" : "Recovering";
        copy.RecoveredTo = state.ReplayedTo;
        copy.ReplayLsn = state.Lsn;
    }

    private static string? Label(ContainerInfo info, string key) => info.Labels.TryGetValue(key, out var v) ? v : null;

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static bool PortIsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }


    [GeneratedRegex("^[0-9A-F]{8}\\.history$")]
    private static partial Regex HistoryName();

    [GeneratedRegex("password\\s*=\\s*('(?:[^'\\\\]|\\\\.)*'|\\S+)", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordInLog();

    /// <summary>Reads a fixed number of bytes (a tar member, or a file another process may still be writing).</summary>
    private sealed class BoundedStream : Stream
    {
        private readonly Stream _inner;
        private readonly long _length;
        private long _position;

        public BoundedStream(Stream inner, long length) => (_inner, _length) = (inner, length);

        public override bool CanRead => true;
        // The tar writer writes a member's size before its data: it asks for Length and Position, which are known here,
        // and never seeks (it refuses a stream that says it cannot, on an archive stream that cannot either).
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => _length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            var n = _inner.Read(buffer[..(int)Math.Min(buffer.Length, _length - _position)]);
            if (n == 0 && _position < _length) throw new EndOfStreamException("the file ended before its recorded length");
            _position += n;
            return n;
        }
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await _inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _length - _position)], cancellationToken).ConfigureAwait(false);
            if (n == 0 && _position < _length) throw new EndOfStreamException("the file ended before its recorded length");
            _position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
