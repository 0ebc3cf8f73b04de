using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Compression;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Tools;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Dumps;

/// <summary>
/// Makes one backup set: checks the target, exports a snapshot, counts the critical tables in it, runs pg_dump
/// at that snapshot and streams the archive to an atomic file, then writes the manifest.
/// </summary>
public static class DumpService
{
    /// <summary>Runs the dump.</summary>
    public static async Task<DumpResult> CreateAsync(DumpRequest request, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        if (request.Include != TableExports.None && request.TableExporter is null)
        {
            throw new ArgumentException("-Include needs DumpRequest.TableExporter (TableExportService.ExportIntoSetAsync).",
                nameof(request));
        }
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        var target = request.Target;
        using var context = await TargetContext.OpenAsync(target, request.PgBinDirectory, reporter, cancellationToken).ConfigureAwait(false);

        var pgDumpVersion = await PgToolVersion.OfAsync(context.Runner, "pg_dump", cancellationToken).ConfigureAwait(false);
        reporter.Verbose($"pg_dump {pgDumpVersion} runs {context.ToolPlace}.");

        await using var snapshot = await SnapshotSession.OpenAsync(target, context.Endpoint, cancellationToken).ConfigureAwait(false);
        reporter.Verbose($"Server {snapshot.ServerVersion}; snapshot {snapshot.SnapshotId} exported.");
        var serverVersion = PgVersion.FromVersionNum(snapshot.ServerVersionNum);
        if (pgDumpVersion.Major < serverVersion.Major)
        {
            throw new CenateException(ErrorIds.PgDumpTooOld, CenateErrorKind.NotInstalled,
                Messages.Format("PgDumpTooOld", pgDumpVersion, context.Runner.Where, snapshot.ServerVersion),
                target.Mode == ConnectionMode.Host
                    ? Messages.Format("PgDumpTooOld.Action.Host", serverVersion.Major)
                    : Messages.Get("PgDumpTooOld.Action.Container"), target.Database);
        }

        var tables = new List<QualifiedTable>();
        foreach (var name in request.Tables)
        {
            tables.Add(await snapshot.ResolveTableAsync(name, null, cancellationToken).ConfigureAwait(false));
        }
        // A partitioned (or inheritance) parent's rows live in its partitions and children: they are dumped with it.
        var dumped = new List<QualifiedTable>(tables);
        foreach (var t in tables)
        {
            foreach (var d in await snapshot.DescendantsAsync(t, cancellationToken).ConfigureAwait(false))
            {
                if (dumped.Contains(d)) continue;
                dumped.Add(d);
                reporter.Verbose($"{d.Display} is dumped with {t.Display} (a partition or child of it).");
            }
        }
        var counted = new List<QualifiedTable>(tables);
        var criticalPresent = new List<QualifiedTable>();
        foreach (var critical in request.CriticalTables)
        {
            var t = await snapshot.TryResolveTableAsync(critical, cancellationToken).ConfigureAwait(false);
            if (t is null && (request.RequireCriticalTables || request.Include != TableExports.None))
            {
                throw new CenateException(ErrorIds.TableNotFound, CenateErrorKind.ObjectNotFound,
                    request.Include != TableExports.None
                        ? Messages.Format("TableNotFound.Critical.Export", critical, target.Database, request.Include)
                        : Messages.Format("TableNotFound.Critical", critical, target.Database),
                    Messages.Get("TableNotFound.Action.3"),
                    critical);
            }
            if (t is null)
            {
                reporter.Warning(Messages.Format("Warning.DumpService.CriticalMissing", critical, target.Database));
                continue;
            }
            if (tables.Count > 0 && !tables.Contains(t)) continue;
            if (!counted.Contains(t)) counted.Add(t);
            if (!criticalPresent.Contains(t)) criticalPresent.Add(t);
        }
        reporter.Progress(new OperationProgress(Messages.Get("Progress.DumpService"), Messages.Get("Progress.DumpService.Status"), 0, null));
        var counts = await snapshot.CountRowsAsync(counted, cancellationToken).ConfigureAwait(false);
        foreach (var (t, n) in counts) reporter.Verbose($"{t}: {n} rows at the snapshot.");
        // What a restore must bring back besides rows, as the catalog had it at the snapshot (Test-CenateBackup -Level Restore checks it).
        var (catalog, encoding) = await snapshot.ReadCatalogAsync(tables.Count == 0 ? null : dumped.Select(t => t.Display).ToList(), cancellationToken).ConfigureAwait(false);
        reporter.Verbose($"{catalog.Count} keys, indexes, constraints and triggers recorded for the restore drill.");

        var manifest = BackupSetWriter.NewManifest(target, request.ToolVersion, started, snapshot.SnapshotId,
            snapshot.ServerVersion, snapshot.ServerVersionNum, pgDumpVersion.ToString());
        manifest.RowCounts = counts;
        manifest.Source.Encoding = encoding;
        manifest.Source.TimeZone = snapshot.TimeZone;
        manifest.Kind = request.DataOnly ? BackupSetKind.DataOnly : tables.Count > 0 ? BackupSetKind.Tables : BackupSetKind.Full;
        if (!request.DataOnly) manifest.Catalog = catalog;
        using var set = BackupSetWriter.Begin(request.Directory, manifest, reporter);
        var fileName = request.Format == DumpFormat.Custom
            ? BackupNaming.DumpFile(target.Database, set.Stamp)
            : BackupNaming.PlainDumpFile(target.Database, tables.Count == 1 ? tables[0].Name : null, set.Stamp);

        // pg_dump compresses on one core; from level 2 up the module asks it for no compression at all and compresses
        // the data itself, on every core (no zlib pass in pg_dump, no inflate here).
        var recompress = request.Format == DumpFormat.Custom && request.CompressionLevel >= 2 && CustomArchiveRecompressor.Supports(pgDumpVersion.Major);
        var args = PgDumpArguments.Build(target, request.Format, recompress ? 0 : request.CompressionLevel, request.DataOnly, dumped, snapshot.SnapshotId,
            target.Mode == ConnectionMode.Host ? context.Endpoint.Host : null);
        if (recompress) reporter.Verbose($"pg_dump writes its data uncompressed; the module compresses it at level {request.CompressionLevel} on {Environment.ProcessorCount} cores.");
        var invocation = new PgToolInvocation("pg_dump", args, LibpqEnvironment.For(target));
        var exportTables = request.Include == TableExports.None ? new List<QualifiedTable>() : criticalPresent;
        if (request.Include != TableExports.None && exportTables.Count == 0)
        {
            reporter.Verbose($"-Include {request.Include}: none of the critical tables ({string.Join(", ", request.CriticalTables)}) exists here; the set has the dump only.");
        }
        if (exportTables.Count == 0)
        {
            var entry = await WriteFileAsync(context.Runner, invocation, set, fileName, request, recompress, Array.Empty<ArchiveTableTap>(), reporter,
                cancellationToken).ConfigureAwait(false);
            entry.Tables = tables.Select(t => t.Display).ToList();
            set.Add(entry);
        }
        else
        {
            var taps = recompress
                ? await ArchiveTapsAsync(snapshot, exportTables, target, request.CompressionLevel, reporter, cancellationToken).ConfigureAwait(false)
                : Array.Empty<ArchiveTableTap>();
            if (!recompress) reporter.Verbose($"The exports read their tables with a COPY of their own: pg_dump's data is not rewritten at level {request.CompressionLevel}.");
            set.Add(await DumpAndExportAsync(context, invocation, set, fileName, request, recompress, exportTables, taps,
                tables, reporter, cancellationToken).ConfigureAwait(false));
        }
        set.Complete();
        reporter.Progress(new OperationProgress(Messages.Get("Progress.DumpService"), Messages.Get("Progress.VerificationService.Status.2"), 1, 1));
        return new DumpResult(manifest, set.ManifestPath, clock.Elapsed, $"{context.Endpoint.Host}:{context.Endpoint.Port} ({context.Endpoint.HowFound})");
    }

    /// <summary>
    /// Taps for the exported tables whose rows can be taken from pg_dump's own data as the archive is rewritten
    /// (<see cref="ArchiveTableTap"/>): each table is then read from the server once, by pg_dump. None when COPY text
    /// from pg_dump's session would differ from the module's (settings, encoding, the libpq environment of a local
    /// pg_dump); a partitioned table gets none (its rows are in its partitions' blocks).
    /// </summary>
    private static async Task<IReadOnlyList<ArchiveTableTap>> ArchiveTapsAsync(SnapshotSession snapshot, IReadOnlyList<QualifiedTable> tables,
        DatabaseTarget target, int archiveLevel, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var why = await snapshot.CopyTextDiffersFromPgDumpAsync(cancellationToken).ConfigureAwait(false);
        if (why is null)
        {
            // A local pg_dump inherits this process's libpq environment, and Npgsql reads some of it (PGTZ,
            // PGCLIENTENCODING) for the module's own sessions but not for a pg_dump in a container: either way the two
            // sessions could write different text.
            var set = s_libpqOutputVariables.FirstOrDefault(v => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v)));
            if (set is not null) why = target.Mode == ConnectionMode.Host ? $"{set} is set for the local pg_dump" : $"{set} is set in this session";
        }
        if (why is not null)
        {
            reporter.Verbose($"The exports read their tables with a COPY of their own, not from pg_dump's data: {why}.");
            return Array.Empty<ArchiveTableTap>();
        }
        var taps = new List<ArchiveTableTap>();
        foreach (var table in tables)
        {
            var shape = await snapshot.DescribeTableAsync(table, cancellationToken).ConfigureAwait(false);
            if (shape.IsPartitioned) continue;
            taps.Add(new ArchiveTableTap(table, shape.Oid, archiveLevel));
            reporter.Verbose($"{table.Display}: its exports are written from pg_dump's own data as the archive is rewritten (the table is read once).");
        }
        return taps;
    }

    /// <summary>libpq variables that change what a local pg_dump's COPY text looks like.</summary>
    private static readonly string[] s_libpqOutputVariables = { "PGCLIENTENCODING", "PGDATESTYLE", "PGTZ", "PGOPTIONS", "PGSERVICE", "PGSERVICEFILE" };

    /// <summary>
    /// The dump and the table exports at once, all at the set's snapshot: pg_dump streams on one side while the
    /// exports convert on the other, so the run uses both cores. A table with a tap is written from pg_dump's data;
    /// any other is read over TCP by a COPY of its own. If one side fails the other is stopped; the set writer removes
    /// every file of the run.
    /// </summary>
    private static async Task<List<ManifestFile>> DumpAndExportAsync(TargetContext context, PgToolInvocation invocation,
        BackupSetWriter set, string dumpName, DumpRequest request, bool recompress, IReadOnlyList<QualifiedTable> exportTables,
        IReadOnlyList<ArchiveTableTap> taps, IReadOnlyList<QualifiedTable> dumpTables, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var exporter = request.TableExporter!;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var causes = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        void Fail(Exception ex)
        {
            // Every real failure is kept, in order; the other task's cancellation follows from it.
            if (RootCause(ex) is { } cause) causes.Enqueue(cause);
            linked.Cancel();
        }
        reporter.Verbose($"Exporting {request.Include} of {string.Join(", ", exportTables.Select(t => t.Display))} in the same snapshot, at the same time as pg_dump (gzip level {request.ExportCompressionLevel}).");
        var dump = Task.Run(async () =>
        {
            try
            {
                var entry = await WriteFileAsync(context.Runner, invocation, set, dumpName, request, recompress, taps, reporter,
                    linked.Token).ConfigureAwait(false);
                entry.Tables = dumpTables.Select(t => t.Display).ToList();
                return entry;
            }
            catch (Exception ex)
            {
                // Also when the rewrite never started (the file could not be created): no export waits for a block.
                foreach (var tap in taps) tap.Fail(ex);
                Fail(ex);
                throw;
            }
        }, CancellationToken.None);
        var exports = Task.Run(async () =>
        {
            try
            {
                return await exporter(set, context, exportTables, request.Include, request.ExportCompressionLevel, taps, reporter,
                    linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) { Fail(ex); throw; }
        }, CancellationToken.None);
        try
        {
            await Task.WhenAll(dump, exports).ConfigureAwait(false);
        }
        catch
        {
            // Report the failure that started it, not the cancellation it caused in the other task.
            cancellationToken.ThrowIfCancellationRequested();
            // Both sides may fail at once (a full disk hits the dump and the exports): the module's own error (DiskFull)
            // says more than the driver's report of the COPY it had to cancel, whichever came first.
            var found = causes.ToArray();
            var first = found.FirstOrDefault(e => e is CenateException) ?? found.FirstOrDefault();
            if (first is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
            throw;
        }
        var files = new List<ManifestFile> { dump.Result };
        files.AddRange(exports.Result);
        return files;
    }

    /// <summary>The exception itself, or the real failure inside a cancellation; null for a plain cancellation.</summary>
    private static Exception? RootCause(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is AggregateException agg && agg.InnerExceptions.Count == 1) continue;
            if (e is OperationCanceledException || e is CenateException { ErrorId: ErrorIds.OperationCancelled }) continue;
            return e;
        }
        return null;
    }

    private static async Task<ManifestFile> WriteFileAsync(IPgToolRunner runner, PgToolInvocation invocation, BackupSetWriter set,
        string name, DumpRequest request, bool recompress, IReadOnlyList<ArchiveTableTap> taps, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var lastReport = 0L;
        using var file = set.CreateFile(name, written =>
        {
            if (written - lastReport < (1 << 20)) return;
            lastReport = written;
            reporter.Progress(new OperationProgress(Messages.Get("Progress.DumpService"), Messages.Format("Progress.DumpService.Status.2", name, written / (1024 * 1024)), written, null));
        });
        PgToolResult result;
        if (request.Format == DumpFormat.Plain)
        {
            await using var gzip = new GZipStream(file, GzipLevel(request.CompressionLevel), leaveOpen: true);
            result = await runner.RunAsync(invocation, null, gzip, cancellationToken).ConfigureAwait(false);
        }
        else if (recompress)
        {
            result = await RunRecompressingAsync(runner, invocation, file, request.CompressionLevel, taps, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            result = await runner.RunAsync(invocation, null, file, cancellationToken).ConfigureAwait(false);
        }
        if (!result.Succeeded)
        {
            throw PgDumpFailure(result, request.Target);
        }
        var size = await file.CommitAsync().ConfigureAwait(false);
        reporter.Verbose($"{name}: {size} bytes, sha256 {file.Sha256}.");
        return new ManifestFile
        {
            Name = name,
            Kind = request.Format == DumpFormat.Custom ? BackupFileKind.Dump : BackupFileKind.Sql,
            Size = size,
            Sha256 = file.Sha256!,
            Compression = request.CompressionLevel == 0 ? "none" : "gzip",
            CompressionLevel = request.CompressionLevel,
            DataOnly = request.DataOnly,
            CompletedAt = DateTimeOffset.UtcNow,
        };
    }

    /// <summary>Runs pg_dump into a pipe that the recompressor drains into the file, both at once.</summary>
    private static async Task<PgToolResult> RunRecompressingAsync(IPgToolRunner runner, PgToolInvocation invocation, Stream file, int level,
        IReadOnlyList<ArchiveTableTap> taps, CancellationToken cancellationToken)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 2 << 20, resumeWriterThreshold: 1 << 20, useSynchronizationContext: false));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var rewrite = Task.Run(async () =>
        {
            try
            {
                await using var input = pipe.Reader.AsStream();
                await CustomArchiveRecompressor.RunAsync(input, file, level, linked.Token, taps).ConfigureAwait(false);
            }
            catch
            {
                // Stop pg_dump too: its output has nowhere to go.
                linked.Cancel();
                throw;
            }
        }, CancellationToken.None);
        PgToolResult result;
        try
        {
            await using (var output = pipe.Writer.AsStream())
            {
                result = await runner.RunAsync(invocation, null, output, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Not the user's Ctrl+C: the recompressor failed and stopped pg_dump; its error is the one to report.
            await rewrite.ConfigureAwait(false);
            throw;
        }
        catch (OperationCanceledException)
        {
            // Cancelled from outside while the recompressor had failed on its own (a full disk under the SQL export
            // stops the exports, which cancel this dump): its error, not the cancellation, is what happened.
            await ObserveRewriteAsync().ConfigureAwait(false);
            if (rewrite.IsFaulted && RootCause(rewrite.Exception!) is { } cause)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(cause).Throw();
            }
            throw;
        }
        catch
        {
            await ObserveRewriteAsync().ConfigureAwait(false);
            throw;
        }
        if (!result.Succeeded)
        {
            await ObserveRewriteAsync().ConfigureAwait(false);
            return result;
        }
        await rewrite.ConfigureAwait(false);
        return result;

        // The tool's failure is the one to report; the recompressor's consequent error is only observed.
        async Task ObserveRewriteAsync()
        {
            await Task.WhenAny(rewrite).ConfigureAwait(false);
            _ = rewrite.Exception;
        }
    }

    /// <summary>The gzip setting of a plain dump (see <see cref="ZlibLevels"/>).</summary>
    public static CompressionLevel GzipLevel(int level) => ZlibLevels.ToCompressionLevel(level);

    internal static CenateException PgDumpFailure(PgToolResult result, DatabaseTarget target)
    {
        var err = result.StandardError;
        if (Database.ClientAuthentication.IsToolRefusal(err))
        {
            return Database.PostgresErrors.CleartextRefused(target.Mode == ConnectionMode.Host ? $"{target.Host}:{target.Port}" : $"container '{target.Container}'", target.User, null);
        }
        if (err.Contains("permission denied", StringComparison.OrdinalIgnoreCase))
        {
            return new CenateException(ErrorIds.InsufficientPrivilege, CenateErrorKind.PermissionDenied,
                Messages.Format("InsufficientPrivilege.6", ToolMessages.FirstLines(err, 3)),
                Messages.Format("InsufficientPrivilege.Action.6", target.User), target.User);
        }
        if (err.Contains("server version mismatch", StringComparison.OrdinalIgnoreCase))
        {
            return new CenateException(ErrorIds.PgDumpTooOld, CenateErrorKind.NotInstalled, Messages.Format("PgDumpTooOld.2", ToolMessages.FirstLines(err, 3)),
                Messages.Get("PgDumpTooOld.Action"), target.Database);
        }
        return new CenateException(ErrorIds.PgDumpFailed, CenateErrorKind.ToolFailed,
            Messages.Format("PgDumpFailed", result.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown", ToolMessages.FirstLines(err, 3)),
            Messages.Get("DatabaseError.Action.3"), target.Database);
    }
}
