using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Dumps;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Tools;
using Npgsql;

namespace CenateBackup.Core.Restores;

/// <summary>
/// Restore-CenateTable -FromContainer: the rows come from a live database — a point-in-time copy — instead of a backup
/// set. The one table is dumped from it (pg_dump, custom format, run where the source's tools run) into a private
/// temporary directory, and the restore goes on as from a set's dump: same checks, same plan, same modes. The file is
/// the module's own, made a moment ago, so no manifest vouches for it and none is needed; it is deleted at the end.
/// </summary>
internal sealed class LiveSourceDump : IAsyncDisposable
{
    private readonly string _directory;

    private LiveSourceDump(string directory, RestoreSource source, string description)
    {
        _directory = directory;
        Source = source;
        Description = description;
    }

    /// <summary>The dump, as a restore source.</summary>
    public RestoreSource Source { get; }

    /// <summary>"table s.t of container 'x' (port n), database 'd' as 'u'" — what the result names as its backup file.</summary>
    public string Description { get; }

    /// <summary>Dumps the table from <see cref="TableRestoreRequest.SourceDatabase"/>.</summary>
    public static async Task<LiveSourceDump> CreateAsync(TableRestoreRequest request, IOperationReporter reporter, CancellationToken ct)
    {
        var source = request.SourceDatabase ?? throw new InvalidOperationException("no source database");
        if (SameDatabase(source, request.Target))
        {
            throw new CenateException(ErrorIds.RestoreSourceConflict, CenateErrorKind.InvalidArgument,
                Messages.Format("LiveSource.Same", source.Describe()), Messages.Get("LiveSource.Same.Action"), source.Database);
        }
        await using var session = await DatabaseSession.OpenAsync(source, request.PgBinDirectory, reporter, ct).ConfigureAwait(false);
        QualifiedTable table;
        try
        {
            table = request.Schema is not null
                ? await session.ResolveTableAsync(request.Table, request.Schema, ct).ConfigureAwait(false)
                : await FindAsync(session, request.Table, ct).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
        var context = session.Context;
        var directory = Directory.CreateTempSubdirectory("cenate-live-").FullName;
        try
        {
            var path = Path.Combine(directory, "live_" + Storage.BackupNaming.Safe(table.Display) + ".dump");
            var invocation = new PgToolInvocation("pg_dump",
                PgDumpArguments.Build(source, DumpFormat.Custom, 0, false, new[] { table }, null,
                    source.Mode == ConnectionMode.Host ? context.Endpoint.Host : null), LibpqEnvironment.For(source));
            reporter.Verbose($"Dumping {table.Display} from {source.Describe()} (pg_dump {context.ToolPlace}) into {path}.");
            reporter.Progress(new OperationProgress(TableRestoreService.Activity, Messages.Format("LiveSource.Describe", table.Display, source.Describe()), 0, null));
            PgToolResult result;
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1 << 16,
                Options = FileOptions.Asynchronous,
            };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            await using (var file = new FileStream(path, options))
            {
                result = await context.Runner.RunAsync(invocation, null, file, ct).ConfigureAwait(false);
            }
            if (!result.Succeeded)
            {
                throw new CenateException(ErrorIds.PgDumpFailed, CenateErrorKind.ToolFailed,
                    Messages.Format("LiveSource.DumpFailed", table.Display, source.Describe(), ToolMessages.FirstLines(result.StandardError, 5)),
                    Messages.Get("LiveSource.DumpFailed.Action"), source.Database);
            }
            var description = Messages.Format("LiveSource.Describe", table.Display, source.Describe());
            return new LiveSourceDump(directory, new RestoreSource(path, TableRestoreSource.Dump, null, null), description);
        }
        catch
        {
            TryDelete(directory);
            throw;
        }
    }

    /// <summary>Removes the temporary dump.</summary>
    public ValueTask DisposeAsync()
    {
        TryDelete(_directory);
        return ValueTask.CompletedTask;
    }

    /// <summary>The table by name: in public when it is there, else in the one schema that has it.</summary>
    private static async Task<QualifiedTable> FindAsync(DatabaseSession session, string table, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE c.relkind IN ('r', 'p') AND c.relname = @t AND NOT c.relispartition ORDER BY n.nspname <> 'public', n.nspname LIMIT 1", session.Connection);
        cmd.Parameters.AddWithValue("t", table);
        if (await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is string schema) return new QualifiedTable(schema, table);
        return await session.ResolveTableAsync(table, null, ct).ConfigureAwait(false);
    }

    private static bool SameDatabase(DatabaseTarget a, DatabaseTarget b) =>
        a.Mode == b.Mode && a.Port == b.Port && string.Equals(a.Database, b.Database, StringComparison.Ordinal)
        && (a.Mode == ConnectionMode.Container
            ? string.Equals(a.Container, b.Container, StringComparison.Ordinal)
            : string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase));

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left in the temp directory, 0700: nothing else can read it.
        }
    }
}
