using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
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

namespace CenateBackup.Core.Verification;

/// <summary>Where and how a restore drill runs.</summary>
public sealed class DrillOptions
{
    /// <summary>
    /// The server that hosts the scratch database (its <see cref="DatabaseTarget.Database"/> is only the database the
    /// drill connects to first; "postgres" by default).
    /// </summary>
    public required DatabaseTarget Server { get; init; }
    /// <summary>Name of the scratch database; default cenate_drill_&lt;UTC stamp&gt;_&lt;6 random letters or digits&gt;.</summary>
    public string? ScratchDatabase { get; init; }
    /// <summary>Keep the scratch database after a drill.</summary>
    public bool KeepDatabase { get; init; }
    /// <summary>Directory of the local pg_restore (host mode).</summary>
    public string? PgBinDirectory { get; init; }
    /// <summary>Database names the drill must never use as its scratch (the live database of the set).</summary>
    public IReadOnlyCollection<string> Protected { get; init; } = Array.Empty<string>();
}

/// <summary>One table of a drill: the rows expected (from the manifest or the dump's data) and the rows restored.</summary>
public sealed record DrillTable(string Table, long? Expected, string ExpectedFrom, long? Restored)
{
    /// <summary>True when the counts agree.</summary>
    public bool Matches => Expected == Restored;
}

/// <summary>What a drill did.</summary>
public sealed class DrillOutcome
{
    /// <summary>The scratch database.</summary>
    public string ScratchDatabase { get; init; } = "";
    /// <summary>The server, for messages (container name or host:port).</summary>
    public string Server { get; init; } = "";
    /// <summary>True when the scratch database was kept (-KeepDatabase).</summary>
    public bool Kept { get; set; }
    /// <summary>Tables counted after the restore.</summary>
    public List<DrillTable> Tables { get; } = new();
    /// <summary>Keys, indexes, constraints and triggers checked.</summary>
    public int ObjectsChecked { get; set; }
    /// <summary>Time pg_restore took.</summary>
    public TimeSpan RestoreDuration { get; set; }
    /// <summary>Something the admin must act on that is not a problem of the backup (a scratch database left behind).</summary>
    public string? Warning { get; set; }
}

/// <summary>
/// The Restore level of Test-CenateBackup (dbatools' Test-DbaLastBackup for PostgreSQL): restores a dump into a
/// new scratch database, counts every table, checks keys, indexes, constraints and triggers against what the
/// manifest recorded at dump time, then drops the scratch database. Never touches the live database.
/// </summary>
public static class RestoreDrill
{
    private const string Activity = "Test-CenateBackup";
    private static readonly Regex s_validName = new("^[A-Za-z_][A-Za-z0-9_$]{0,62}$", RegexOptions.CultureInvariant);

    /// <summary>The stamped part of the default scratch name of a drill started at <paramref name="at"/>; a random suffix follows it (see <see cref="DrillScratchName"/>).</summary>
    public static string DefaultScratchName(DateTimeOffset at) => DrillScratchName.Stem(at);

    /// <summary>
    /// Runs the drill. Problems of the backup (restore errors, row counts, missing objects) go into <paramref name="problems"/>;
    /// problems of the environment (no server, no privilege, a scratch name that exists) are thrown.
    /// </summary>
    public static async Task<DrillOutcome> RunAsync(string dumpPath, BackupManifest? manifest, ArchiveContents? archive, DrillOptions options,
        List<VerificationProblem> problems, List<string> checks, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var dumpName = Path.GetFileName(dumpPath);
        if (options.ScratchDatabase is not null) ValidateScratchName(options.ScratchDatabase, options);
        var server = options.Server;
        using var context = await TargetContext.OpenAsync(server, options.PgBinDirectory, reporter, cancellationToken).ConfigureAwait(false);
        var where = server.Mode == ConnectionMode.Container ? $"container '{server.Container}'" : $"{context.Endpoint.Host}:{context.Endpoint.Port}";

        // This session stays open until the scratch database is dropped or kept: it holds the drill's advisory lock, which
        // tells a later drill's stale cleanup that this drill is still running, however long it takes.
        await using var guard = await ConnectAsync(server, context.Endpoint, null, cancellationToken).ConfigureAwait(false);
        await NoteSuperuserAsync(guard, where, checks, reporter, cancellationToken).ConfigureAwait(false);
        reporter.Progress(new OperationProgress(Activity, Messages.Format("Progress.RestoreDrill.Status", where), 0, null));
        await CleanStaleAsync(guard, where, checks, reporter, cancellationToken).ConfigureAwait(false);

        var scratch = await CreateScratchAsync(guard, options, manifest?.Source.Encoding, where, server, context.Endpoint, reporter, cancellationToken).ConfigureAwait(false);
        var outcome = new DrillOutcome { ScratchDatabase = scratch, Server = where };
        reporter.Verbose($"Scratch database '{scratch}' created on {where}.");
        var success = false;
        try
        {
            await MarkAsync(guard, scratch, DrillScratchName.TemporaryComment(DateTimeOffset.UtcNow, where), cancellationToken).ConfigureAwait(false);
            if (string.Equals(guard.Database, "template1", StringComparison.Ordinal))
            {
                // No "postgres" database on that server: a session held on template1 would make every CREATE DATABASE
                // of others (TEMPLATE template1 by default) fail while the drill runs. Then no lock: the 24 h bound and
                // the connected-session check of the stale cleanup protect this drill.
                await guard.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                await LockAsync(guard, scratch, cancellationToken).ConfigureAwait(false);
            }
            var restoreClock = Stopwatch.StartNew();
            var restored = await RestoreAsync(context, dumpPath, scratch, reporter, cancellationToken).ConfigureAwait(false);
            outcome.RestoreDuration = restoreClock.Elapsed;
            checks.Add($"pg_restore {dumpName} into {scratch} on {where} ({outcome.RestoreDuration.TotalSeconds:0.0} s)");
            if (restored is not null)
            {
                problems.Add(new VerificationProblem(ProblemKind.RestoreFailed, dumpName, restored));
                success = true;
                return outcome;
            }

            reporter.Progress(new OperationProgress(Activity, Messages.Format("Progress.RestoreDrill.Status.2", scratch), 0, null));
            await using (var db = await ConnectAsync(server, context.Endpoint, scratch, cancellationToken).ConfigureAwait(false))
            {
                var counts = await SchemaCatalog.CountAllTablesAsync(db, cancellationToken).ConfigureAwait(false);
                // The manifest's tables were counted with count(*) at dump time: a partitioned or inheritance parent
                // with its partitions and children. They are counted so here too; the others table by table.
                var counted = manifest?.RowCounts.Keys.ToList() ?? new List<string>();
                var whole = await SchemaCatalog.CountWithDescendantsAsync(db, counted, cancellationToken).ConfigureAwait(false);
                CompareCounts(counts, whole, manifest, archive, dumpName, outcome, problems, checks);
                var found = await SchemaCatalog.ReadObjectsAsync(db, null, null, cancellationToken).ConfigureAwait(false);
                CompareObjects(found, manifest, archive, dumpName, outcome, problems, checks);
            }
            success = true;
            return outcome;
        }
        finally
        {
            if (success && options.KeepDatabase)
            {
                outcome.Kept = true;
                outcome.Warning = await MarkKeptAsync(server, context.Endpoint, scratch).ConfigureAwait(false);
                if (outcome.Warning is not null) reporter.Warning(outcome.Warning);
                reporter.Verbose($"Scratch database '{scratch}' kept on {where} (-KeepDatabase); drop it with: DROP DATABASE \"{scratch}\";");
            }
            else
            {
                reporter.Progress(new OperationProgress(Activity, Messages.Format("Progress.RestoreDrill.Status.3", scratch), 0, null));
                outcome.Warning = await DropScratchAsync(server, context.Endpoint, scratch, reporter).ConfigureAwait(false);
                if (outcome.Warning is not null) reporter.Warning(outcome.Warning);
            }
        }
    }

    /// <summary>The stale-drill cleanup; a server that does not let it look or drop is reported, and the drill goes on.</summary>
    /// <summary>
    /// pg_restore runs the dump's SQL with the drill role's rights. The checksums stop a dump changed after it was
    /// written, not one rewritten together with its manifest; as a superuser such a dump could run anything on the
    /// drill server. The result says so (Checks, and verbose output) so that an admin can move drills to a role with
    /// CREATEDB only, on a scratch server.
    /// </summary>
    private static async Task NoteSuperuserAsync(NpgsqlConnection guard, string where, List<string> checks, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user", guard);
        if (await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true) return;
        var note = $"The drill role '{guard.UserName}' is a superuser on {where}: pg_restore runs the dump's SQL with all its rights. " +
            "For drills of sets from a shared directory, use a role with CREATEDB only, on a scratch server.";
        checks.Add(note);
        reporter.Verbose(note);
    }

    private static async Task CleanStaleAsync(NpgsqlConnection guard, string where, List<string> checks, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        try
        {
            await StaleDrillCleaner.CleanAsync(guard, DateTimeOffset.UtcNow, checks, reporter, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            reporter.Warning(Messages.Format("Warning.RestoreDrill.StaleNotLooked", where, ex.Message));
            checks.Add($"stale drill databases not looked for: {ex.Message}");
        }
    }

    private static async Task MarkAsync(NpgsqlConnection guard, string scratch, string comment, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("COMMENT ON DATABASE " + QualifiedTable.Quote(scratch) + " IS " + SqlText.Literal(comment), guard);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task LockAsync(NpgsqlConnection guard, string scratch, CancellationToken cancellationToken)
    {
        var (classId, objectId) = DrillScratchName.LockKey(scratch);
        await using var cmd = new NpgsqlCommand("SELECT pg_catalog.pg_advisory_lock(@c, @o)", guard);
        cmd.Parameters.AddWithValue("c", classId);
        cmd.Parameters.AddWithValue("o", objectId);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks a kept scratch database so no later drill drops it; null, or a warning when the mark could not be set.</summary>
    private static async Task<string?> MarkKeptAsync(DatabaseTarget server, TcpEndpoint endpoint, string scratch)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await using var admin = await ConnectAsync(server, endpoint, null, cts.Token).ConfigureAwait(false);
            await MarkAsync(admin, scratch, DrillScratchName.KeptComment(DateTimeOffset.UtcNow), cts.Token).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is NpgsqlException or CenateException or OperationCanceledException)
        {
            return Messages.Format("Warning.RestoreDrill.NotMarked", scratch, ex.Message,
                DrillScratchName.StaleAfter.TotalHours,
                DrillScratchName.KeptMark);
        }
    }


    private static void ValidateScratchName(string scratch, DrillOptions options)
    {
        if (!s_validName.IsMatch(scratch))
        {
            throw new CenateException(ErrorIds.ScratchDatabaseInvalid, CenateErrorKind.InvalidArgument,
                Messages.Format("ScratchDatabaseInvalid", scratch), Messages.Get("ScratchDatabaseInvalid.Action"), scratch);
        }
        var reserved = new[] { "postgres", "template0", "template1", options.Server.Database }.Concat(options.Protected);
        if (reserved.Any(r => string.Equals(r, scratch, StringComparison.OrdinalIgnoreCase)))
        {
            throw new CenateException(ErrorIds.ScratchDatabaseInvalid, CenateErrorKind.InvalidArgument,
                Messages.Format("ScratchDatabaseInvalid.2", scratch), Messages.Get("ScratchDatabaseInvalid.Action.2"), scratch);
        }
    }

    private static async Task<NpgsqlConnection> ConnectAsync(DatabaseTarget server, TcpEndpoint endpoint, string? database, CancellationToken cancellationToken)
    {
        var candidates = database is not null ? new[] { database } : new[] { server.Database, "template1" };
        Exception? last = null;
        foreach (var name in candidates.Distinct())
        {
            var target = new DatabaseTarget(server.Mode, name, server.User, server.Port) { Password = server.Password, Container = server.Container, DockerHost = server.DockerHost, Host = server.Host, TcpPort = server.TcpPort };
            var connection = new NpgsqlConnection(SnapshotSession.ConnectionString(target, endpoint));
            try
            {
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var cmd = new NpgsqlCommand("SET statement_timeout = 0", connection);
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                return connection;
            }
            catch (NpgsqlException ex)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                last = PostgresErrors.Translate(ex, target, endpoint);
                // Only a missing maintenance database moves on to the next candidate.
                if (last is not CenateException { ErrorId: ErrorIds.DatabaseNotFound } || database is not null) throw last;
            }
        }
        throw last!;
    }

    /// <summary>
    /// Creates the scratch database: the -ScratchDatabase name, which must not exist, or a generated one (another is generated
    /// when a drill started in the same second took it). Returns its name.
    /// </summary>
    private static async Task<string> CreateScratchAsync(NpgsqlConnection admin, DrillOptions options, string? encoding, string where,
        DatabaseTarget server, TcpEndpoint endpoint, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var scratch = options.ScratchDatabase ?? DrillScratchName.Create(DateTimeOffset.UtcNow);
            reporter.Progress(new OperationProgress(Activity, Messages.Format("Progress.RestoreDrill.Status.4", scratch, where), 0, null));
            try
            {
                await CreateAsync(admin, scratch, encoding, server, endpoint, cancellationToken).ConfigureAwait(false);
                return scratch;
            }
            catch (CenateException ex) when (ex.ErrorId == ErrorIds.ScratchDatabaseExists && options.ScratchDatabase is null && attempt < 5)
            {
                reporter.Verbose($"Database '{scratch}' exists already; generating another scratch name.");
            }
        }
    }

    private static async Task CreateAsync(NpgsqlConnection admin, string scratch, string? encoding, DatabaseTarget server, TcpEndpoint endpoint, CancellationToken cancellationToken)
    {
        try
        {
            await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_catalog.pg_database WHERE datname = @n", admin))
            {
                exists.Parameters.AddWithValue("n", scratch);
                if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
                {
                    throw new CenateException(ErrorIds.ScratchDatabaseExists, CenateErrorKind.ResourceExists,
                        Messages.Format("ScratchDatabaseExists", scratch),
                        Messages.Format("ScratchDatabaseExists.Action", scratch), scratch);
                }
            }
            var sql = "CREATE DATABASE " + QualifiedTable.Quote(scratch) + " TEMPLATE template0";
            if (encoding is not null && Regex.IsMatch(encoding, "^[A-Za-z0-9_]+$")) sql += " ENCODING '" + encoding + "'";
            await using var create = new NpgsqlCommand(sql, admin);
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == "42501")
        {
            throw new CenateException(ErrorIds.InsufficientPrivilege, CenateErrorKind.PermissionDenied,
                Messages.Format("InsufficientPrivilege.2", server.User, scratch, ex.MessageText),
                Messages.Get("InsufficientPrivilege.Action.2"), server.User, ex);
        }
        catch (PostgresException ex) when (ex.SqlState is "42P04" or "23505")
        {
            // 23505: another session created the same name at the same moment (the unique index of pg_database).
            throw new CenateException(ErrorIds.ScratchDatabaseExists, CenateErrorKind.ResourceExists,
                Messages.Format("ScratchDatabaseExists.2", scratch), Messages.Get("ScratchDatabaseExists.Action.2"), scratch, ex);
        }
        catch (NpgsqlException ex)
        {
            throw PostgresErrors.Translate(ex, server, endpoint);
        }
    }

    /// <summary>Feeds the dump to pg_restore's stdin (works for streamed archives without data offsets); null on success, else the reason.</summary>
    private static async Task<string?> RestoreAsync(TargetContext context, string dumpPath, string scratch, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var server = context.Target;
        var args = new List<string>();
        if (server.Mode == ConnectionMode.Host) args.Add("--host=" + context.Endpoint.Host);
        args.Add("--port=" + (server.Mode == ConnectionMode.Host ? context.Endpoint.Port : server.Port).ToString(CultureInfo.InvariantCulture));
        args.Add("--username=" + server.User);
        args.Add("--no-password");
        args.Add("--dbname=" + scratch);
        // Ownership and grants name roles the drill server may not have; rows, keys, indexes, constraints and triggers are what the drill proves.
        args.Add("--no-owner");
        args.Add("--no-privileges");
        args.Add("--exit-on-error");
        var name = Path.GetFileName(dumpPath);
        var size = new FileInfo(dumpPath).Length;
        reporter.Verbose(
            $"Restoring {name} into '{scratch}' with pg_restore {context.ToolPlace} (archive fed on stdin).");
        await using var input = new ReadThroughStream(dumpPath,
            read => reporter.Progress(new OperationProgress(Activity, Messages.Format("Progress.RestoreDrill.Status.5", name, scratch, read / (1024 * 1024), size / (1024 * 1024)), read, size)), hash: false);
        var result = await context.Runner.RunAsync(new PgToolInvocation("pg_restore", args, LibpqEnvironment.For(server)), input, null, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded) return null;
        return $"pg_restore into the scratch database failed (exit {result.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "?"}): {ToolMessages.FirstLines(result.StandardError, 3)}";
    }

    private static void CompareCounts(SortedDictionary<string, long> restored, SortedDictionary<string, long> restoredWhole,
        BackupManifest? manifest, ArchiveContents? archive, string dumpName, DrillOutcome outcome, List<VerificationProblem> problems,
        List<string> checks)
    {
        var fromManifest = manifest?.RowCounts ?? new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (table, expected) in fromManifest)
        {
            long? got = restoredWhole.TryGetValue(table, out var n) ? n : null;
            outcome.Tables.Add(new DrillTable(table, expected, "manifest", got));
            if (got is null) problems.Add(new VerificationProblem(ProblemKind.ObjectMissing, dumpName, $"table {table} is not in the restored database (the manifest counted {expected} rows)"));
            else if (got != expected) problems.Add(new VerificationProblem(ProblemKind.RowCountMismatch, dumpName, $"{table}: {got} rows restored, the manifest says {expected}"));
        }
        if (archive?.RowCounts is { } inDump)
        {
            foreach (var (table, expected) in inDump)
            {
                if (fromManifest.ContainsKey(table)) continue;
                long? got = restored.TryGetValue(table, out var n) ? n : null;
                outcome.Tables.Add(new DrillTable(table, expected, "dump", got));
                if (got is null) problems.Add(new VerificationProblem(ProblemKind.ObjectMissing, dumpName, $"table {table} is not in the restored database (the dump holds {expected} rows of it)"));
                else if (got != expected) problems.Add(new VerificationProblem(ProblemKind.RowCountMismatch, dumpName, $"{table}: {got} rows restored, the dump's data holds {expected}"));
            }
            checks.Add($"row counts of {outcome.Tables.Count} tables ({fromManifest.Count} against the manifest, the others against the dump's data)");
        }
        else
        {
            foreach (var (table, got) in restored)
            {
                if (!fromManifest.ContainsKey(table)) outcome.Tables.Add(new DrillTable(table, null, "unknown", got));
            }
            checks.Add($"row counts of {fromManifest.Count} tables against the manifest; the others were not compared ({archive?.RowCountsUnavailable ?? "the dump's data was not counted"})");
        }
    }

    private static readonly Dictionary<string, string> s_tocKinds = new(StringComparer.Ordinal)
    {
        ["INDEX"] = "Index", ["TRIGGER"] = "Trigger", ["FK CONSTRAINT"] = "ForeignKey",
    };

    private static void CompareObjects(List<ManifestCatalogObject> found, BackupManifest? manifest, ArchiveContents? archive, string dumpName,
        DrillOutcome outcome, List<VerificationProblem> problems, List<string> checks)
    {
        if (manifest?.Catalog is { } recorded)
        {
            var (missing, different) = SchemaCatalog.Compare(recorded, found);
            foreach (var m in missing)
                problems.Add(new VerificationProblem(ProblemKind.ObjectMissing, dumpName, $"{Describe(m)} on {m.Table} is missing after the restore ({m.Definition})"));
            foreach (var (e, f) in different)
                problems.Add(new VerificationProblem(ProblemKind.ObjectDiffers, dumpName, $"{Describe(e)} on {e.Table} differs after the restore: recorded \"{e.Definition}\", restored \"{f.Definition}\""));
            outcome.ObjectsChecked = recorded.Count;
            checks.Add($"{recorded.Count} keys, indexes, constraints and triggers against the catalog recorded at dump time");
            return;
        }
        if (archive is null)
        {
            checks.Add("keys, indexes, constraints and triggers not checked: no catalog in the manifest and the dump's table of contents was not read");
            return;
        }
        // Sets written before the catalog was recorded: the dump's own table of contents names what must exist.
        var names = found.Select(f => (Schema: f.Table[..f.Table.IndexOf('.', StringComparison.Ordinal)], f.Name)).ToHashSet();
        var checkedCount = 0;
        foreach (var e in archive.Entries)
        {
            if (e.Schema is null) continue;
            var isConstraint = e.Description is "CONSTRAINT" or "FK CONSTRAINT";
            if (!isConstraint && !s_tocKinds.ContainsKey(e.Description)) continue;
            // TOC tags of constraints and triggers are "table name"; indexes are "name".
            var objectName = e.Description == "INDEX" ? e.Tag : e.Tag[(e.Tag.IndexOf(' ', StringComparison.Ordinal) + 1)..];
            checkedCount++;
            if (!names.Contains((e.Schema, objectName)))
                problems.Add(new VerificationProblem(ProblemKind.ObjectMissing, dumpName, $"{e.Description.ToLowerInvariant()} {e.Schema}.{objectName} (in the dump's table of contents) is missing after the restore"));
        }
        outcome.ObjectsChecked = checkedCount;
        checks.Add($"{checkedCount} indexes, constraints and triggers against the dump's table of contents (the manifest has no catalog)");
    }

    private static string Describe(ManifestCatalogObject o) => o.Kind switch
    {
        "PrimaryKey" => $"primary key {o.Name}",
        "Unique" => $"unique constraint {o.Name}",
        "ForeignKey" => $"foreign key {o.Name}",
        "Check" => $"check constraint {o.Name}",
        "Exclusion" => $"exclusion constraint {o.Name}",
        "NotNull" => $"not-null constraint {o.Name}",
        "Index" => $"index {o.Name}",
        "Trigger" => $"trigger {o.Name}",
        _ => $"{o.Kind} {o.Name}",
    };

    private static async Task<string?> DropScratchAsync(DatabaseTarget server, TcpEndpoint endpoint, string scratch, IOperationReporter reporter)
    {
        // Runs after a failure or Ctrl+C too: its own time limit, not the caller's token.
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await using var admin = await ConnectAsync(server, endpoint, null, cts.Token).ConfigureAwait(false);
            int versionNum;
            await using (var v = new NpgsqlCommand("SELECT pg_catalog.current_setting('server_version_num')::int", admin))
            {
                versionNum = (int)(await v.ExecuteScalarAsync(cts.Token).ConfigureAwait(false))!;
            }
            var sql = "DROP DATABASE IF EXISTS " + QualifiedTable.Quote(scratch) + (versionNum >= 130000 ? " WITH (FORCE)" : "");
            await using var drop = new NpgsqlCommand(sql, admin);
            await drop.ExecuteNonQueryAsync(cts.Token).ConfigureAwait(false);
            reporter.Verbose($"Scratch database '{scratch}' dropped.");
            return null;
        }
        catch (Exception ex) when (ex is NpgsqlException or CenateException or OperationCanceledException)
        {
            return Messages.Format("Warning.RestoreDrill.NotDropped", scratch, ex.Message);
        }
    }
}
