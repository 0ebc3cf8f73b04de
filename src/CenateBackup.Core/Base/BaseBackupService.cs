using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Compression;
using CenateBackup.Core.Database;
using CenateBackup.Core.Dumps;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Tools;
using Npgsql;

namespace CenateBackup.Core.Base;

/// <summary>What New-CenateBaseBackup is asked for.</summary>
/// <param name="Target">The server (a base backup copies the whole cluster; the database only names the set).</param>
/// <param name="Directory">The set's directory (created 0700).</param>
public sealed record BaseBackupRequest(DatabaseTarget Target, string Directory)
{
    /// <summary>gzip level 1–9 of the archive.</summary>
    public int CompressionLevel { get; init; } = 6;
    /// <summary>Local bin directory of pg_basebackup (host mode).</summary>
    public string? PgBinDirectory { get; init; }
    /// <summary>Tool and version recorded in the manifest.</summary>
    public string ToolVersion { get; init; } = "CenateBackup";
    /// <summary>Spread the backup's checkpoint over checkpoint_completion_target instead of asking for it at once.</summary>
    public bool SpreadCheckpoint { get; init; }
}

/// <summary>
/// Makes a base backup set: pg_basebackup of the whole cluster streamed as one tar (-D - -Ft -X fetch, with its
/// backup_manifest inside) from the container or the host, compressed here on every core into an atomic
/// &lt;database&gt;_&lt;stamp&gt;.base.tar.gz, and a manifest of the module's kind that records the WAL range a restore needs.
/// No file is left in the container; a run that fails or is stopped leaves no file that looks complete.
/// </summary>
public static class BaseBackupService
{
    /// <summary>Files read from the tar as it passes: the WAL range, the version and the cluster's identity.</summary>
    private static readonly string[] s_collected = { "backup_label", "backup_manifest", "PG_VERSION", "global/pg_control" };

    /// <summary>Runs the base backup.</summary>
    public static async Task<DumpResult> CreateAsync(BaseBackupRequest request, IOperationReporter reporter, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        var target = request.Target;
        await using var session = await DatabaseSession.OpenAsync(target, request.PgBinDirectory, reporter, ct).ConfigureAwait(false);
        var context = session.Context;
        ServerFacts server;
        try
        {
            server = await ServerAsync(session.Connection, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or PostgresException)
        {
            throw session.Translate(ex);
        }
        var where = target.Mode == ConnectionMode.Container ? target.Container! : $"{target.Host}:{target.Port}";
        if (server.VersionNum < 150000)
        {
            throw new CenateException(ErrorIds.ServerTooOld, CenateErrorKind.InvalidOperation,
                Messages.Format("Base.ServerTooOld", server.Version), Messages.Get("Base.ServerTooOld.Action"), where);
        }
        if (server.WalLevel == "minimal" || server.MaxWalSenders < 1)
        {
            throw new CenateException(ErrorIds.WalLevelTooLow, CenateErrorKind.InvalidOperation,
                Messages.Format("Wal.WalLevelTooLow", server.WalLevel, server.MaxWalSenders), Messages.Get("Wal.WalLevelTooLow.Action"), where);
        }
        if (!server.CanReplicate)
        {
            throw new CenateException(ErrorIds.InsufficientPrivilege, CenateErrorKind.PermissionDenied,
                Messages.Format("Base.NoReplication", target.User), Messages.Format("Base.NoReplication.Action", target.User), target.User);
        }
        if (server.Tablespaces.Count > 0)
        {
            throw new CenateException(ErrorIds.BaseBackupTablespaces, CenateErrorKind.InvalidOperation,
                Messages.Format("Base.Tablespaces", string.Join(", ", server.Tablespaces)), Messages.Get("Base.Tablespaces.Action"), where);
        }
        var tool = await PgToolVersion.OfAsync(context.Runner, "pg_basebackup", ct).ConfigureAwait(false);
        reporter.Verbose($"pg_basebackup {tool} runs {context.ToolPlace}; server {server.Version}, about {server.Bytes / 1048576} MB of data.");
        if (tool.Major != server.VersionNum / 10000)
        {
            throw new CenateException(ErrorIds.PgBasebackupVersionMismatch, CenateErrorKind.NotInstalled,
                Messages.Format("Base.ToolVersion", tool, context.Runner.Where, server.Version),
                target.Mode == ConnectionMode.Host
                    ? Messages.Format("Base.ToolVersion.Action.Host", server.VersionNum / 10000)
                    : Messages.Get("Base.ToolVersion.Action.Container"), where);
        }

        var manifest = BackupSetWriter.NewManifest(target, request.ToolVersion, started, null, server.Version, server.VersionNum, tool.ToString());
        manifest.Kind = BackupSetKind.Base;
        using var set = BackupSetWriter.Begin(request.Directory, manifest, reporter);
        var name = BackupNaming.BaseFile(target.Database, set.Stamp);
        var activity = Messages.Get("Progress.Base");
        var lastReport = 0L;
        var collected = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var tar = new TarStreamReader(TarStreamReader.Collect(s_collected, collected, 256L << 20));
        PgToolResult result;
        long size;
        using (var file = set.CreateFile(name))
        {
            var zlib = new ParallelZlibWriter(ZlibLevels.ToCompressionLevel(request.CompressionLevel),
                (piece, token) => file.WriteAsync(piece, token), gzip: true);
            var sink = new TapStream(data =>
            {
                tar.Write(data.Span);
                if (tar.Bytes - lastReport >= 8 << 20)
                {
                    lastReport = tar.Bytes;
                    reporter.Progress(new OperationProgress(activity, Messages.Format("Progress.Base.Status", name, tar.Bytes / 1048576,
                        Math.Max(1, server.Bytes / 1048576)), tar.Bytes, server.Bytes));
                }
                return zlib.WriteAsync(data, ct);
            });
            var invocation = new PgToolInvocation("pg_basebackup", Arguments(target, set.Stamp, request.SpreadCheckpoint,
                target.Mode == ConnectionMode.Host ? context.Endpoint.Host : null), LibpqEnvironment.For(target));
            reporter.Progress(new OperationProgress(activity, Messages.Get("Progress.Base.Checkpoint"), 0, server.Bytes));
            var completed = false;
            try
            {
                result = await context.Runner.RunAsync(invocation, null, sink, ct).ConfigureAwait(false);
                if (result.Succeeded)
                {
                    tar.Finish();
                    if (tar.Error is null)
                    {
                        await zlib.CompleteAsync(ct).ConfigureAwait(false);
                        completed = true;
                    }
                }
            }
            finally
            {
                // Nothing more goes to the file; the set writer removes it.
                if (!completed) zlib.Abandon();
            }
            if (!result.Succeeded) throw Failure(result, target);
            var missing = Array.Find(new[] { "backup_label", "backup_manifest" }, n => !collected.ContainsKey(n));
            if (tar.Error is not null || missing is not null)
            {
                throw new CenateException(ErrorIds.BaseBackupFailed, CenateErrorKind.ToolFailed,
                    Messages.Format("Base.NotWhole", tar.Error ?? $"it has no {missing}"), Messages.Get("Base.NotWhole.Action"), where);
            }
            size = await file.CommitAsync().ConfigureAwait(false);
            manifest.Base = BaseBackupFacts.From(collected, server.WalSegmentSize);
            reporter.Verbose($"{name}: {tar.Members} members, {tar.Bytes} bytes of tar, {size} bytes written, sha256 {file.Sha256}; " +
                $"WAL {manifest.Base.StartLsn} – {manifest.Base.EndLsn} on timeline {manifest.Base.Timeline}.");
            set.Add(new ManifestFile
            {
                Name = name,
                Kind = BackupFileKind.Base,
                Size = size,
                Sha256 = file.Sha256!,
                Compression = "gzip",
                CompressionLevel = request.CompressionLevel,
                CompletedAt = DateTimeOffset.UtcNow,
            });
        }
        set.Complete();
        reporter.Progress(new OperationProgress(activity, Messages.Get("Progress.VerificationService.Status.2"), 1, 1));
        return new DumpResult(manifest, set.ManifestPath, clock.Elapsed, context.HasTcpEndpoint
            ? $"{context.Endpoint.Host}:{context.Endpoint.Port} ({context.Endpoint.HowFound})" : context.Runner.Where);
    }

    /// <summary>pg_basebackup's arguments: one tar to stdout with the WAL it needs, never a password.</summary>
    public static IReadOnlyList<string> Arguments(DatabaseTarget target, string stamp, bool spreadCheckpoint, string? tcpHost)
    {
        var args = new List<string>();
        if (tcpHost is not null) args.Add("--host=" + tcpHost);
        args.Add("--port=" + target.Port.ToString(CultureInfo.InvariantCulture));
        args.Add("--username=" + target.User);
        args.Add("--no-password");
        args.Add("--pgdata=-");
        args.Add("--format=tar");
        args.Add("--wal-method=fetch");
        args.Add("--checkpoint=" + (spreadCheckpoint ? "spread" : "fast"));
        args.Add("--label=CenateBackup " + stamp);
        return args;
    }

    private static CenateException Failure(PgToolResult result, DatabaseTarget target)
    {
        var err = result.StandardError;
        if (err.Contains("no pg_hba.conf entry for replication", StringComparison.OrdinalIgnoreCase))
        {
            return new CenateException(ErrorIds.InsufficientPrivilege, CenateErrorKind.PermissionDenied,
                Messages.Format("Base.NoHbaLine", ToolMessages.FirstLines(err, 2)), Messages.Format("Base.NoHbaLine.Action", target.User), target.User);
        }
        if (err.Contains("number of requested standby connections exceeds", StringComparison.OrdinalIgnoreCase)
            || err.Contains("too many", StringComparison.OrdinalIgnoreCase) && err.Contains("wal sender", StringComparison.OrdinalIgnoreCase))
        {
            return new CenateException(ErrorIds.BaseBackupFailed, CenateErrorKind.ResourceUnavailable,
                Messages.Format("Base.NoWalSender", ToolMessages.FirstLines(err, 2)), Messages.Get("Base.NoWalSender.Action"), target.Database);
        }
        if (err.Contains("requested WAL segment", StringComparison.OrdinalIgnoreCase) && err.Contains("removed", StringComparison.OrdinalIgnoreCase))
        {
            return new CenateException(ErrorIds.BaseBackupFailed, CenateErrorKind.ResourceUnavailable,
                Messages.Format("Base.WalRemoved", ToolMessages.FirstLines(err, 2)), Messages.Get("Base.WalRemoved.Action"), target.Database);
        }
        var mapped = DumpService.PgDumpFailure(result, target);
        return mapped.ErrorId == ErrorIds.PgDumpFailed
            ? new CenateException(ErrorIds.BaseBackupFailed, CenateErrorKind.ToolFailed,
                Messages.Format("Base.Failed", result.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown", ToolMessages.FirstLines(err, 3)),
                Messages.Get("DatabaseError.Action.3"), target.Database)
            : mapped;
    }

    private sealed record ServerFacts(int VersionNum, string Version, string WalLevel, int MaxWalSenders, bool CanReplicate,
        long WalSegmentSize, long Bytes, IReadOnlyList<string> Tablespaces);

    private static async Task<ServerFacts> ServerAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT current_setting('server_version_num')::int, current_setting('server_version'), current_setting('wal_level'), " +
            "current_setting('max_wal_senders')::int, (SELECT rolsuper OR rolreplication FROM pg_catalog.pg_roles WHERE rolname = current_user), " +
            "(SELECT setting::bigint FROM pg_catalog.pg_settings WHERE name = 'wal_segment_size'), " +
            "(SELECT COALESCE(sum(pg_catalog.pg_database_size(oid)), 0)::bigint FROM pg_catalog.pg_database WHERE datallowconn), " +
            "ARRAY(SELECT spcname::text FROM pg_catalog.pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY 1)", conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return new ServerFacts(r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetInt32(3), !r.IsDBNull(4) && r.GetBoolean(4), r.GetInt64(5),
            r.GetInt64(6), r.GetFieldValue<string[]>(7));
    }

    /// <summary>A write-only stream that hands every buffer to an async sink (the tar reader and the compressor).</summary>
    private sealed class TapStream : Stream
    {
        private readonly Func<ReadOnlyMemory<byte>, ValueTask> _sink;

        public TapStream(Func<ReadOnlyMemory<byte>, ValueTask> sink) => _sink = sink;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) =>
            _sink(buffer.AsMemory(offset, count).ToArray()).AsTask().GetAwaiter().GetResult();
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _sink(buffer.AsMemory(offset, count)).AsTask();
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _sink(buffer);
    }
}
