using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Tools;
using Npgsql;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Exports;

/// <summary>What Export-CenateAseguradosCsv asks for.</summary>
public sealed class CsvExportRequest
{
    /// <summary>Creates a request.</summary>
    public CsvExportRequest(DatabaseTarget target, string directory, string table)
    {
        Target = target;
        Directory = directory;
        Table = table;
    }

    /// <summary>The database.</summary>
    public DatabaseTarget Target { get; }
    /// <summary>Backup directory.</summary>
    public string Directory { get; }
    /// <summary>Table name ("table" or "schema.table" when <see cref="Schema"/> is null).</summary>
    public string Table { get; }
    /// <summary>Schema, or null for the search_path / a qualified <see cref="Table"/>.</summary>
    public string? Schema { get; init; }
    /// <summary>gzip level 0–9; null means none (plain .csv).</summary>
    public int? GzipLevel { get; init; } = 6;
    /// <summary>Module version written into the manifest.</summary>
    public string ToolVersion { get; init; } = "CenateBackup";
}

/// <summary>A finished export set.</summary>
public sealed record ExportResult(BackupManifest Manifest, string ManifestPath, TimeSpan Duration, string Route);

/// <summary>
/// Table exports over COPY: the CSV of Export-CenateAseguradosCsv, and the CSV/SQL files New-CenateDump -Include
/// adds to a set. Rows travel over TCP with Npgsql (docker exec stdio only when no TCP endpoint answers);
/// reading, converting and compressing run on separate threads.
/// </summary>
public static class TableExportService
{
    private const string Activity = "Export-CenateAseguradosCsv";

    /// <summary>Exports one table as CSV into a new backup set of its own.</summary>
    public static async Task<ExportResult> ExportCsvAsync(CsvExportRequest request, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        var target = request.Target;
        using var context = await TargetContext.OpenAsync(target, null, reporter, cancellationToken, allowExecFallback: true).ConfigureAwait(false);
        return context.HasTcpEndpoint
            ? await ExportOverTcpAsync(request, context, started, clock, reporter, cancellationToken).ConfigureAwait(false)
            : await ExportThroughExecAsync(request, context, started, clock, reporter, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<ExportResult> ExportOverTcpAsync(CsvExportRequest request, TargetContext context, DateTimeOffset started, Stopwatch clock,
        IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var target = request.Target;
        var endpoint = context.Endpoint;
        var route = $"TCP {endpoint.Host}:{endpoint.Port} ({endpoint.HowFound})";
        reporter.Verbose($"Rows travel over {route}.");
        await using var session = await SnapshotSession.OpenAsync(target, endpoint, cancellationToken).ConfigureAwait(false);
        var table = await session.ResolveTableAsync(request.Table, request.Schema, cancellationToken).ConfigureAwait(false);
        var shape = await session.DescribeTableAsync(table, cancellationToken).ConfigureAwait(false);
        var kind = shape.IsPartitioned ? "a partitioned table, read through all its partitions" : "a table";
        reporter.Verbose($"{table.Display}: {kind}, about {shape.EstimatedRows} rows, "
            + $"{shape.TableBytes / (1024 * 1024)} MB on disk; server {session.ServerVersion}.");

        return await WriteSetAsync(request, target, started, clock, route, session.SnapshotId, session.ServerVersion, session.ServerVersionNum, table, shape.EstimatedRows,
            (consumers, token) => RunCopyAsync(session, target, context, endpoint,
                CopyOutStatement.Csv(table, shape.Columns, shape.IsPartitioned), consumers, token),
            reporter, cancellationToken, session.TimeZone).ConfigureAwait(false);
    }

    private static async Task<ExportResult> ExportThroughExecAsync(CsvExportRequest request, TargetContext context, DateTimeOffset started, Stopwatch clock,
        IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var target = request.Target;
        var route = $"docker exec stdio of container '{target.Container}' (no TCP endpoint answers)";
        reporter.Verbose($"Rows travel over {route}.");
        // The names travel as psql variables and are quoted by psql (:'name'), never pasted into SQL text; what comes
        // back is one JSON array (names with tabs or newlines stay one field); the COPY is built from re-quoted names.
        var (splitSchema, name) = request.Schema is null ? QualifiedTable.Split(request.Table) : (request.Schema, request.Table);
        var (ok, output, error) = await RunPsqlAsync(context.Runner, target, ExecTableLookup.Script,
            new Dictionary<string, string> { ["t"] = name, ["s"] = splitSchema ?? "" }, cancellationToken)
            .ConfigureAwait(false);
        if (!ok) throw PsqlFailure(error, target);
        if (output.Trim().Length == 0)
        {
            var shown = splitSchema is null ? name : splitSchema + "." + name;
            throw new CenateException(ErrorIds.TableNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("TableNotFound", shown, target.Database), Messages.Get("TableNotFound.Action.2"), shown);
        }
        ExecTableLookup found;
        try { found = ExecTableLookup.Parse(output); }
        catch (FormatException ex)
        {
            throw new CenateException(ErrorIds.DatabaseError, CenateErrorKind.InvalidOperation, ex.Message,
                Messages.Get("DatabaseError.Action.2"), target.Database, ex);
        }
        var table = found.Table;
        var kind = found.Partitioned ? "a partitioned table, read through all its partitions" : "a table";
        reporter.Verbose($"{table.Display}: {kind}, about {found.EstimatedRows} rows; server {found.ServerVersion}.");
        var copyScript = CopyOutStatement.Csv(table, found.Columns, found.Partitioned) + ";\n";
        return await WriteSetAsync(request, target, started, clock, route, null, found.ServerVersion,
            found.ServerVersionNum, table,
            found.EstimatedRows,
            async (consumers, token) =>
            {
                var sink = new ConsumerStream(consumers);
                var result = await context.Runner.RunAsync(PsqlInvocation(target, new Dictionary<string, string>()), new MemoryStream(Encoding.UTF8.GetBytes(copyScript)), sink, token).ConfigureAwait(false);
                if (!result.Succeeded) throw PsqlFailure(result.StandardError, target);
                sink.Complete();
                return sink.Total;
            }, reporter, cancellationToken).ConfigureAwait(false);
    }

    private delegate Task<long> Pump(IReadOnlyList<IChunkConsumer> consumers, CancellationToken cancellationToken);

    private static async Task<ExportResult> WriteSetAsync(CsvExportRequest request, DatabaseTarget target, DateTimeOffset started, Stopwatch clock, string route,
        string? snapshotId, string serverVersion, int serverVersionNum, QualifiedTable table, long estimatedRows, Pump pump,
        IOperationReporter reporter, CancellationToken cancellationToken, string? timeZone = null)
    {
        var manifest = BackupSetWriter.NewManifest(target, request.ToolVersion, started, snapshotId, serverVersion,
            serverVersionNum, "");
        manifest.Source.TimeZone = timeZone;
        manifest.Kind = BackupSetKind.Exports;
        using (var set = BackupSetWriter.Begin(request.Directory, manifest, reporter))
        {
            var fileName = request.GzipLevel is null
                ? BackupNaming.PlainCsvFile(target.Database, table.Name, set.Stamp)
                : BackupNaming.CsvFile(target.Database, table.Name, set.Stamp);
            var progress = new ProgressGate(reporter, Activity, table.Display, estimatedRows);
            using (var file = new ExportFile(set.CreateFile(fileName, progress.Bytes), request.GzipLevel))
            {
                var csv = new CsvPassThrough(file, progress.Rows);
                await pump(new IChunkConsumer[] { csv }, cancellationToken).ConfigureAwait(false);
                var (size, sha) = file.Commit();
                reporter.Verbose($"{fileName}: {csv.Rows} rows, {file.Written} bytes of CSV, {size} bytes on disk, sha256 {sha}.");
                manifest.RowCounts[table.Display] = csv.Rows;
                set.Add(FileEntry(fileName, BackupFileKind.Csv, size, sha, request.GzipLevel, table, csv.Rows));
            }
            set.Complete();
            reporter.Progress(new OperationProgress(Activity, Messages.Get("Progress.VerificationService.Status.2"), 1, 1));
            return new ExportResult(manifest, set.ManifestPath, clock.Elapsed, route);
        }
    }

    /// <summary>
    /// Adds the CSV and/or SQL of <paramref name="tables"/> to a set being written (New-CenateDump -Include). Each table
    /// is read once, as COPY text: from pg_dump's own data when <paramref name="taps"/> has the table and the archive
    /// has its block (<see cref="ArchiveTableTap"/>), otherwise by a COPY in a session that imports the set's snapshot;
    /// the CSV is converted from that stream. The tables are exported at once (the archive holds their blocks in its
    /// own order). Returns the committed files' entries, in the order of <paramref name="tables"/>; if the set is not
    /// completed, the writer removes them.
    /// </summary>
    public static async Task<IReadOnlyList<ManifestFile>> ExportIntoSetAsync(BackupSetWriter set, TargetContext context,
        IReadOnlyList<QualifiedTable> tables, TableExports exports, int gzipLevel, IReadOnlyList<ArchiveTableTap> taps,
        IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var snapshotId = set.Manifest.SnapshotId
            ?? throw new InvalidOperationException("Table exports join the set's snapshot; the manifest names none.");
        var header = SqlHeader(set.Manifest);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var work = tables.Select(table => Task.Run(async () =>
        {
            try
            {
                return await ExportTableIntoSetAsync(set, context, table, exports, gzipLevel, taps.FirstOrDefault(t => t.Table == table),
                    snapshotId, header, reporter, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                if (ex is not OperationCanceledException) failures.Enqueue(ex);
                linked.Cancel();
                throw;
            }
        }, CancellationToken.None)).ToList();
        try
        {
            await Task.WhenAll(work).ConfigureAwait(false);
        }
        catch
        {
            // The table that failed first, not the cancellation it caused in the others (nor the one the dump side
            // sent back when this failure stopped it).
            if (failures.TryPeek(out var first)) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
            throw;
        }
        return work.SelectMany(w => w.Result).ToList();
    }

    private static async Task<List<ManifestFile>> ExportTableIntoSetAsync(BackupSetWriter set, TargetContext context, QualifiedTable table,
        TableExports exports, int gzipLevel, ArchiveTableTap? tap, string snapshotId, string header, IOperationReporter reporter,
        CancellationToken cancellationToken)
    {
        var target = context.Target;
        var endpoint = context.Endpoint;
        var entries = new List<ManifestFile>();
        await using var session = await SnapshotSession.ImportAsync(target, endpoint, snapshotId, cancellationToken).ConfigureAwait(false);
        var shape = await session.DescribeTableAsync(table, cancellationToken).ConfigureAwait(false);
        var progress = new ProgressGate(reporter, "New-CenateDump", table.Display, shape.EstimatedRows);
        var consumers = new List<IChunkConsumer>();
        var files = new List<(ExportFile File, BackupFileKind Kind, Func<long> Rows)>();
        AtomicBackupFile? sqlFile = null;
        SqlGzFromArchive? sharedSql = null;
        try
        {
            if (exports.HasFlag(TableExports.Sql))
            {
                sqlFile = set.CreateFile(BackupNaming.TableSqlFile(target.Database, table.Name, set.Stamp));
                // The archive's deflate data of the rows is at least as strong as the level asked for: the SQL takes it as
                // it is, and its rows are not compressed a second time.
                if (tap is not null && gzipLevel >= 1 && tap.ArchiveLevel >= gzipLevel)
                {
                    sharedSql = new SqlGzFromArchive(sqlFile, shape, header, tap.ArchiveLevel);
                }
            }
            void AddSqlConsumer()
            {
                var f = new ExportFile(sqlFile!, gzipLevel);
                var sql = new SqlFromCopyText(f, shape, header, progress.Rows);
                consumers.Insert(0, sql);
                files.Insert(0, (f, BackupFileKind.Sql, () => sql.Rows));
            }
            if (sqlFile is not null && sharedSql is null) AddSqlConsumer();
            if (exports.HasFlag(TableExports.Csv))
            {
                var name = BackupNaming.CsvFile(target.Database, table.Name, set.Stamp);
                var f = new ExportFile(set.CreateFile(name), gzipLevel);
                var csv = new CsvFromCopyText(f, shape, consumers.Count == 0 ? progress.Rows : null);
                consumers.Add(csv);
                files.Add((f, BackupFileKind.Csv, () => csv.Rows));
            }
            tap?.Attach(sharedSql, rows: consumers.Count > 0);
            if (tap is not null && await tap.Found.WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                if (consumers.Count > 0)
                {
                    await using var rows = tap.OpenRows();
                    await CopyPump.RunStreamAsync(rows, consumers, cancellationToken).ConfigureAwait(false);
                }
                var blockRows = await tap.Completed.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (sharedSql is not null)
                {
                    var size = await sqlFile!.CommitAsync().ConfigureAwait(false);
                    reporter.Verbose($"{Path.GetFileName(sqlFile.FinalPath)}: {blockRows} rows, {size} bytes (the archive's compressed rows, level {sharedSql.Level}), sha256 {sqlFile.Sha256}.");
                    var entry = FileEntry(Path.GetFileName(sqlFile.FinalPath), BackupFileKind.Sql, size, sqlFile.Sha256!, sharedSql.Level, table, blockRows);
                    entry.DataOnly = true;
                    entries.Add(entry);
                }
            }
            else
            {
                if (tap is not null) reporter.Verbose($"{table.Display}: {tap.NotFoundReason}; its exports read it with a COPY of their own.");
                if (sharedSql is not null)
                {
                    sharedSql = null;
                    AddSqlConsumer();
                }
                var copy = CopyOutStatement.Text(table, shape.Columns, shape.IsPartitioned);
                await RunCopyAsync(session, target, context, endpoint, copy, consumers, cancellationToken)
                    .ConfigureAwait(false);
            }
            foreach (var (file, kind, rows) in files)
            {
                var (size, sha) = file.Commit();
                var name = Path.GetFileName(file.FinalPath);
                reporter.Verbose($"{name}: {rows()} rows, {size} bytes, sha256 {sha}.");
                var entry = FileEntry(name, kind, size, sha, gzipLevel, table, rows());
                entry.DataOnly = true;
                entries.Add(entry); // SQL before CSV: a shared SQL's entry is already in, otherwise files has it first
            }
        }
        catch
        {
            // The rewrite must not wait for this export's decision, nor write rows nobody reads.
            tap?.Decline();
            throw;
        }
        finally
        {
            // A rewrite still handing over the SQL's segments on its own thread stops before the file is disposed.
            sharedSql?.Close();
            foreach (var (file, _, _) in files) file.Dispose();
            sqlFile?.Dispose(); // committed or not, disposing twice is harmless; uncommitted, its partial file goes
        }
        return entries;
    }

    /// <summary>The header of a data-only SQL export: what wrote it, from which server, database and snapshot.</summary>
    private static string SqlHeader(BackupManifest manifest) =>
        "--\n-- Data-only dump of a table, written by " + SqlText.CommentText(manifest.Tool) + "\n" +
        "-- Server version " + SqlText.CommentText(manifest.Source.ServerVersion) + ", database " + SqlText.CommentText(manifest.Database) +
        ", snapshot " + SqlText.CommentText(manifest.SnapshotId) + "\n" +
        "-- Restore into an existing, empty table: psql -v ON_ERROR_STOP=1 -f <file>\n--\n\n" +
        "SET statement_timeout = 0;\nSET lock_timeout = 0;\nSET idle_in_transaction_session_timeout = 0;\nSET client_encoding = 'UTF8';\n" +
        "SET standard_conforming_strings = on;\nSELECT pg_catalog.set_config('search_path', '', false);\nSET check_function_bodies = false;\n" +
        "SET xmloption = content;\nSET client_min_messages = warning;\nSET row_security = off;\n\n";

    private static ManifestFile FileEntry(string name, BackupFileKind kind, long size, string sha, int? gzipLevel, QualifiedTable table, long rows) => new()
    {
        Name = name,
        Kind = kind,
        Size = size,
        Sha256 = sha,
        Compression = gzipLevel is null or 0 ? "none" : "gzip",
        CompressionLevel = gzipLevel ?? 0,
        Tables = new List<string> { table.Display },
        Rows = rows,
        CompletedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>Runs one COPY into consumers and turns failures into the module's errors.</summary>
    private static async Task<long> RunCopyAsync(SnapshotSession session, DatabaseTarget target, TargetContext context, TcpEndpoint endpoint, string copySql,
        IReadOnlyList<IChunkConsumer> consumers, CancellationToken cancellationToken)
    {
        try
        {
            return await CopyPump.RunCopyAsync(session.Connection, copySql, consumers, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException && ex is not CenateException)
        {
            if (cancellationToken.IsCancellationRequested) throw new OperationCanceledException("The export was cancelled.", ex, cancellationToken);
            await ThrowIfContainerStoppedAsync(context, ex).ConfigureAwait(false);
            throw PostgresErrors.Translate(ex, target, endpoint) is CenateException ce ? ce : ex;
        }
    }

    private static async Task ThrowIfContainerStoppedAsync(TargetContext context, Exception cause)
    {
        if (context.Engine is null || context.Container is null) return;
        if (await context.Engine.HasStoppedAsync(context.Container.Id).ConfigureAwait(false))
        {
            throw new CenateException(ErrorIds.ContainerStopped, CenateErrorKind.ResourceUnavailable,
                Messages.Format("ContainerStopped.2", context.Container.Name),
                Messages.Format("ContainerStopped.Action", context.Container.Name), context.Container.Name, cause);
        }
    }

    private static PgToolInvocation PsqlInvocation(DatabaseTarget target, IReadOnlyDictionary<string, string> variables)
    {
        var args = new List<string> { "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-p", target.Port.ToString(CultureInfo.InvariantCulture), "-U", target.User, "-d", LibpqEnvironment.DbnameValue(target.Database) };
        foreach (var (k, v) in variables) { args.Add("-v"); args.Add($"{k}={v}"); }
        args.Add("-f");
        args.Add("-");
        return new PgToolInvocation("psql", args, LibpqEnvironment.For(target));
    }

    private static async Task<(bool Ok, string Output, string Error)> RunPsqlAsync(IPgToolRunner runner, DatabaseTarget target, string script,
        IReadOnlyDictionary<string, string> variables, CancellationToken cancellationToken)
    {
        using var output = new MemoryStream();
        var result = await runner.RunAsync(PsqlInvocation(target, variables), new MemoryStream(Encoding.UTF8.GetBytes(script)), output, cancellationToken).ConfigureAwait(false);
        return (result.Succeeded, Encoding.UTF8.GetString(output.ToArray()), result.StandardError);
    }

    private static CenateException PsqlFailure(string error, DatabaseTarget target)
    {
        if (error.Contains("password authentication failed", StringComparison.OrdinalIgnoreCase) || error.Contains("no password supplied", StringComparison.OrdinalIgnoreCase))
            return new CenateException(ErrorIds.AuthenticationFailed, CenateErrorKind.AuthenticationError, Messages.Format("AuthenticationFailed.4", target.User),
                Messages.Get("AuthenticationFailed.Action.4"), target.User);
        if (error.Contains("database \"", StringComparison.Ordinal) && error.Contains("does not exist", StringComparison.Ordinal))
            return new CenateException(ErrorIds.DatabaseNotFound, CenateErrorKind.ObjectNotFound, Messages.Format("DatabaseNotFound.2", target.Database),
                Messages.Get("DatabaseNotFound.Action"), target.Database);
        if (error.Contains("permission denied", StringComparison.OrdinalIgnoreCase))
            return new CenateException(ErrorIds.InsufficientPrivilege, CenateErrorKind.PermissionDenied, Messages.Format("InsufficientPrivilege", target.User, ToolMessages.FirstLines(error, 2)),
                Messages.Get("InsufficientPrivilege.Action.3"), target.User);
        return new CenateException(ErrorIds.DatabaseError, CenateErrorKind.InvalidOperation, Messages.Format("DatabaseError.2", ToolMessages.FirstLines(error, 3)),
            Messages.Get("DatabaseError.Action.3"), target.Database);
    }

    /// <summary>Reports rows (and bytes) at most a few times a second.</summary>
    private sealed class ProgressGate
    {
        private readonly IOperationReporter _reporter;
        private readonly string _activity;
        private readonly string _table;
        private readonly long _estimatedRows;
        private long _lastTicks;
        private long _bytes;

        public ProgressGate(IOperationReporter reporter, string activity, string table, long estimatedRows)
        {
            _reporter = reporter;
            _activity = activity;
            _table = table;
            _estimatedRows = estimatedRows;
        }

        public void Bytes(long written) => Interlocked.Exchange(ref _bytes, written);

        public void Rows(long rows)
        {
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref _lastTicks);
            if (now - last < 250 || Interlocked.CompareExchange(ref _lastTicks, now, last) != last) return;
            var bytes = Interlocked.Read(ref _bytes);
            var size = bytes > 0 ? Messages.Format("Progress.TableExportService.Written", bytes / (1024 * 1024)) : "";
            _reporter.Progress(new OperationProgress(_activity, Messages.Format("Progress.TableExportService.Status", _table, rows, size), rows, _estimatedRows > 0 ? Math.Max(_estimatedRows, rows) : null));
        }
    }

    /// <summary>A write-only stream that hands what a tool prints to the consumers (exec fallback).</summary>
    private sealed class ConsumerStream : Stream
    {
        private readonly IReadOnlyList<IChunkConsumer> _consumers;
        public ConsumerStream(IReadOnlyList<IChunkConsumer> consumers) => _consumers = consumers;
        public long Total { get; private set; }
        public void Complete() { foreach (var c in _consumers) c.Complete(); }
        public override void Write(ReadOnlySpan<byte> buffer) { foreach (var c in _consumers) c.Write(buffer); Total += buffer.Length; }
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) { Write(buffer.Span); return ValueTask.CompletedTask; }
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) { Write(buffer.AsSpan(offset, count)); return Task.CompletedTask; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Total;
        public override long Position { get => Total; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
