using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Dumps;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Verification;
using Npgsql;

namespace CenateBackup.Core.Restores;

/// <summary>
/// Restore-CenateTable: brings one table back from a backup set into the live database — into a staging schema,
/// as the missing rows only, or by swapping the restored table in — in one transaction, so the live table is
/// unchanged when anything fails. The rows are read from the dump's data block by the module itself (no pg_restore,
/// no file copied into the container; streamed dumps without data offsets work) and sent with COPY over TCP;
/// the table's definition, keys, indexes, constraints and triggers come from the dump's table of contents,
/// schema-qualified names rewritten to the staging schema.
/// </summary>
public static class TableRestoreService
{
    private const string Activity = "Restore-CenateTable";

    /// <summary>Plans (<paramref name="dryRun"/>: checks and SQL steps, nothing changed) or runs the restore.</summary>
    public static async Task<TableRestoreResult> RunAsync(TableRestoreRequest request, bool dryRun, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        if (request.LockTimeout <= TimeSpan.Zero || request.LockTimeout > TableRestoreRequest.MaximumLockTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.LockTimeout, $"LockTimeout must be more than zero and at most {TableRestoreRequest.MaximumLockTimeout}.");
        }
        var source = await ResolveSourceAsync(request, cancellationToken).ConfigureAwait(false);
        reporter.Verbose($"Rows come from {source.Path} ({source.Kind}).");
        var target = request.Target;
        // Every name below is schema-qualified, as pg_dump writes them. Every lock wait is bounded (lock_timeout, for the
        // whole session: the catalog reads and counts too): Replace's ACCESS EXCLUSIVE request would otherwise queue all
        // traffic on the table behind it for as long as another transaction holds the table.
        var lockMs = (long)Math.Ceiling(request.LockTimeout.TotalMilliseconds);
        await using var session = await DatabaseSession.OpenAsync(target, request.PgBinDirectory, reporter, cancellationToken,
            $"SET statement_timeout = 0; SET lock_timeout = {lockMs.ToString(CultureInfo.InvariantCulture)}; SET idle_in_transaction_session_timeout = 0; " +
            // Explicit: the statements built here and the backup's definitions are read as standard SQL strings.
            "SET standard_conforming_strings = on").ConfigureAwait(false);
        var conn = session.Connection;
        var result = new TableRestoreResult
        {
            Mode = request.Mode,
            From = source.Kind,
            BackupFile = source.Path,
            BackupStamp = source.Manifest?.Stamp,
            Database = request.Target.Database,
            Table = (request.Schema ?? "public") + "." + request.Table,
        };
        if (source.Manifest is not null && TargetDiffers(source.Manifest, target) is { } differs)
        {
            result.SourceWarning = differs;
            result.Warnings.Add(differs);
        }
        if (source.Unverified is not null)
            result.Warnings.Add($"{System.IO.Path.GetFileName(source.Path)} was NOT verified: {source.Unverified}. It was restored because -AllowUnverifiedBackup was given.");
        try
        {
            return await RunCoreAsync(request, source, conn, result, dryRun, clock, reporter, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == "55P03" && !cancellationToken.IsCancellationRequested)
        {
            throw await LockTimeoutAsync(conn, request, result.Table, ex).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException { SqlState: "P0001" })
        {
            if (cancellationToken.IsCancellationRequested) throw new OperationCanceledException("The restore was cancelled; nothing was changed.", ex, cancellationToken);
            throw session.Translate(ex) is CenateException ce
                ? new CenateException(ce.ErrorId, ce.Kind, ce.Message + " The transaction was rolled back: the live table is unchanged and no staging schema is left.", ce.RecommendedAction, ce.Target, ex)
                : ex;
        }
    }

    /// <summary>The file to read; <see cref="Unverified"/> says why no checksum vouches for it (null: it passed its manifest's).</summary>
    private sealed record SourceFile(string Path, TableRestoreSource Kind, BackupManifest? Manifest, ManifestFile? Entry, string? Unverified = null);

    /// <summary>
    /// 55P03: a lock was not granted within -LockTimeout. The transaction has rolled back (nothing changed); the message names
    /// the sessions holding the table, looked up now, best effort.
    /// </summary>
    private static async Task<CenateException> LockTimeoutAsync(NpgsqlConnection conn, TableRestoreRequest request, string table, PostgresException ex)
    {
        string? holders = null;
        try
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT pg_catalog.string_agg(DISTINCT pg_catalog.format('pid %s (role %s, %s, %s since %s: %s)', a.pid, a.usename, l.mode, a.state, " +
                "pg_catalog.to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SS'), pg_catalog.left(a.query, 80)), '; ') " +
                "FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid " +
                "WHERE l.relation = pg_catalog.to_regclass(@t) AND l.granted AND l.pid <> pg_catalog.pg_backend_pid()", conn);
            var (schema, name) = (request.Schema ?? table[..table.IndexOf('.')], request.Table);
            cmd.Parameters.AddWithValue("t", QualifiedTable.Quote(schema) + "." + QualifiedTable.Quote(name));
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            holders = await cmd.ExecuteScalarAsync(quick.Token).ConfigureAwait(false) as string;
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            // Only for the message.
        }
        var seconds = request.LockTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        return new CenateException(ErrorIds.LockTimeout, CenateErrorKind.ResourceBusy,
            $"Could not lock {table} (or a table linked to it by a foreign key) within the lock timeout of {seconds} s: another session holds it" +
            (holders is null ? "" : $" — {holders}") + ". The transaction was rolled back: the live table is unchanged and no staging schema is left.",
            "Find the blocking session (SELECT pid, usename, state, xact_start, query FROM pg_stat_activity WHERE pid IN (SELECT pid FROM pg_locks " +
            $"WHERE relation = '{table}'::regclass AND granted)), let it finish or end it (pg_terminate_backend), then run again — at a quieter time, or with a longer -LockTimeout.",
            table, ex);
    }

    /// <summary>
    /// A warning when the restore's server or database (from the parameters) is not the one the manifest says the set was
    /// dumped from; null when they agree. Only a message: the manifest can be edited by anyone who can write the backup
    /// directory, so it never chooses where the restore logs in or which database it changes.
    /// </summary>
    public static string? TargetDiffers(BackupManifest manifest, DatabaseTarget target)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(target);
        var sameServer = RecordedSource.IsSameServer(manifest.Source, target);
        var sameDatabase = string.Equals(manifest.Database, target.Database, StringComparison.Ordinal);
        if (sameServer && sameDatabase) return null;
        var what = sameServer ? "database" : sameDatabase ? "server" : "server and database";
        return $"The manifest says the set was dumped from database '{RecordedSource.Sanitize(manifest.Database)}' on {RecordedSource.DescribeSource(manifest.Source)}; " +
            $"the restore goes into database '{target.Database}' on {RecordedSource.DescribeServer(target)}, as named by the parameters (the {what} differ{(what == "server and database" ? "" : "s")}). " +
            "A manifest never chooses where a restore logs in or what it changes: name the target with -Container/-HostName/-Port/-Database if this is not the one you meant.";
    }

    /// <summary>Finds the file to read and checks it against its manifest before anything is touched.</summary>
    private static async Task<SourceFile> ResolveSourceAsync(TableRestoreRequest request, CancellationToken ct)
    {
        var full = System.IO.Path.GetFullPath(request.BackupPath);
        if (!File.Exists(full))
        {
            throw new CenateException(ErrorIds.PathNotFound, CenateErrorKind.ObjectNotFound, $"'{full}' does not exist.",
                "Give a set's manifest, its .dump, or its .csv.gz/.sql.gz (Get-CenateBackup <dir> lists the sets).", full);
        }
        BackupManifest? manifest;
        string directory = System.IO.Path.GetDirectoryName(full)!;
        string file;
        TableRestoreSource kind;
        if (full.EndsWith(".manifest.json", StringComparison.OrdinalIgnoreCase))
        {
            manifest = BackupManifest.Load(full);
            kind = request.From ?? TableRestoreSource.Dump;
            var wanted = kind switch { TableRestoreSource.Csv => BackupFileKind.Csv, TableRestoreSource.Sql => BackupFileKind.Sql, _ => BackupFileKind.Dump };
            var candidates = manifest.Files.Where(f => f.Kind == wanted && !(wanted == BackupFileKind.Dump && f.DataOnly)).ToList();
            if (wanted != BackupFileKind.Dump)
            {
                candidates = candidates.Where(f => f.Tables.Count == 0 || f.Tables.Any(t => t.EndsWith("." + request.Table, StringComparison.Ordinal))).ToList();
            }
            var entry = candidates.FirstOrDefault();
            if (entry is null)
            {
                throw new CenateException(ErrorIds.BackupFileMissing, CenateErrorKind.ObjectNotFound,
                    $"The set {manifest.Stamp} has no {(wanted == BackupFileKind.Dump ? "full dump" : wanted.ToString().ToUpperInvariant() + " export of " + request.Table)}.",
                    wanted == BackupFileKind.Dump ? "Restore from its export with -From Csv or -From Sql, or pick a set made by New-CenateDump." : "Restore from the dump (leave -From out) or pick a set made with -Include Csv,Sql.", full);
            }
            file = System.IO.Path.Combine(directory, entry.Name);
            if (!File.Exists(file))
            {
                throw new CenateException(ErrorIds.BackupFileMissing, CenateErrorKind.ObjectNotFound, $"'{file}', listed in the manifest, is not there.",
                    kind == TableRestoreSource.Dump ? "Restore from the set's export with -From Csv or -From Sql, or from another set." : "Restore from the dump or from another set.", file);
            }
            if (string.IsNullOrEmpty(entry.Sha256))
            {
                var why = $"the manifest {System.IO.Path.GetFileName(full)} records no sha256 for it";
                Unverified(request, file, why);
                return new SourceFile(file, kind, manifest, entry, why);
            }
            await CheckAgainstManifestAsync(file, entry, ct).ConfigureAwait(false);
            return new SourceFile(file, kind, manifest, entry);
        }
        file = full;
        kind = request.From ?? (full.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase) || full.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? TableRestoreSource.Csv
            : full.EndsWith(".sql.gz", StringComparison.OrdinalIgnoreCase) ? TableRestoreSource.Sql : TableRestoreSource.Dump);
        // FindManifestFor passes over damaged manifests: a file whose manifest is damaged has none here.
        var manifestPath = BackupSetLocator.FindManifestFor(file);
        manifest = manifestPath is null ? null : BackupManifest.Load(manifestPath);
        var own = manifest?.Files.FirstOrDefault(f => f.Name == System.IO.Path.GetFileName(file));
        if (own is null || string.IsNullOrEmpty(own.Sha256))
        {
            var why = own is null ? "no readable manifest in its directory lists it (a lone file, or its manifest is missing or damaged), so its checksum is unknown"
                : $"its manifest {System.IO.Path.GetFileName(manifestPath)} records no sha256 for it";
            Unverified(request, file, why);
            return new SourceFile(file, kind, manifest, own, why);
        }
        await CheckAgainstManifestAsync(file, own, ct).ConfigureAwait(false);
        return new SourceFile(file, kind, manifest, own);
    }

    /// <summary>UnverifiedBackup unless -AllowUnverifiedBackup: nothing vouches that the file is the one the backup wrote.</summary>
    private static void Unverified(TableRestoreRequest request, string file, string why)
    {
        if (request.AllowUnverifiedBackup) return;
        throw new CenateException(ErrorIds.UnverifiedBackup, CenateErrorKind.InvalidOperation,
            $"'{System.IO.Path.GetFileName(file)}' cannot be verified: {why}. Nothing was restored; the live table is unchanged.",
            "Restore from the set's manifest (Get-CenateBackup <dir> lists the sets), or, if you trust this file, run again with -AllowUnverifiedBackup.", file);
    }

    private static async Task CheckAgainstManifestAsync(string file, ManifestFile entry, CancellationToken ct)
    {
        var length = new FileInfo(file).Length;
        string? why = null;
        if (length != entry.Size) why = $"its size is {length} bytes, the manifest says {entry.Size}";
        else
        {
            // Ctrl+C stops the hashing of a large dump too.
            var sha = await BackupSetLocator.Sha256Async(file, ct).ConfigureAwait(false);
            if (!string.Equals(sha, entry.Sha256, StringComparison.OrdinalIgnoreCase)) why = $"its sha256 is {sha}, the manifest says {entry.Sha256}";
        }
        if (why is not null)
        {
            throw new CenateException(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData,
                $"'{System.IO.Path.GetFileName(file)}' is damaged: {why}. Nothing was restored; the live table is unchanged.",
                "Restore from another file of the set (-From Csv / -From Sql) or from another set; Test-CenateBackup shows what else is wrong.", file);
        }
    }

    /// <summary>What the live database holds of the table.</summary>
    private sealed class LiveTable
    {
        public uint Oid { get; init; }
        public string Owner { get; init; } = "";
        /// <summary>A partition, an inheritance child or a partitioned table: Replace would break the hierarchy.</summary>
        public string? Hierarchy { get; init; }
        public List<string> PrimaryKey { get; } = new();
        public List<(string Name, bool Generated, bool IdentityAlways)> Columns { get; } = new();
        public List<(string Name, string Table, string Definition)> ReferencingForeignKeys { get; } = new();
        public List<string> DependentViews { get; } = new();
        public List<(string Sequence, string Column)> OwnedSequences { get; } = new();
        public List<string> Indexes { get; } = new();
        public List<(string Name, string Definition)> Triggers { get; } = new();
        public List<(string Name, string Definition)> ForeignKeys { get; } = new();
    }

    private static async Task<TableRestoreResult> RunCoreAsync(TableRestoreRequest request, SourceFile source, NpgsqlConnection conn, TableRestoreResult result,
        bool dryRun, Stopwatch clock, IOperationReporter reporter, CancellationToken ct)
    {
        var stamp = BackupNaming.Stamp(request.Now);

        // 1. The table in the backup.
        ArchiveContents? archive = null;
        ArchiveTocEntry? tableEntry = null;
        string schema;
        if (source.Kind == TableRestoreSource.Dump)
        {
            reporter.Progress(new OperationProgress(Activity, "Reading the dump's table of contents", 0, null));
            try
            {
                await using var fs = new FileStream(source.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
                archive = await CustomArchiveInspector.ReadAsync(fs, countRows: false, ct).ConfigureAwait(false);
            }
            catch (CenateException ex) when (ex.ErrorId == ErrorIds.ArchiveInvalid)
            {
                throw Corrupt(source.Path, ex);
            }
            var tables = archive.Entries.Where(e => e.Description == "TABLE").ToList();
            var matches = tables.Where(e => e.Tag == request.Table && (request.Schema is null || e.Schema == request.Schema)).ToList();
            if (matches.Count > 1) matches = matches.Where(e => e.Schema == "public").ToList();
            if (matches.Count != 1)
            {
                var names = tables.Select(e => $"{e.Schema}.{e.Tag}").Take(12).ToList();
                throw new CenateException(ErrorIds.TableNotInBackup, CenateErrorKind.ObjectNotFound,
                    $"Table '{(request.Schema is null ? "" : request.Schema + ".")}{request.Table}' is not in {System.IO.Path.GetFileName(source.Path)}; it holds {tables.Count} tables ({string.Join(", ", names)}{(tables.Count > names.Count ? ", …" : "")}).",
                    "Check -Table and -Schema (names are case-sensitive); a dump made with -Table holds only those tables.", request.Table);
            }
            tableEntry = matches[0];
            schema = tableEntry.Schema!;
        }
        else
        {
            schema = request.Schema ?? source.Entry?.Tables.FirstOrDefault(t => t.EndsWith("." + request.Table, StringComparison.Ordinal))?.Split('.')[0] ?? "public";
        }
        result.Table = schema + "." + request.Table;

        // 2. The live table.
        var live = await ReadLiveTableAsync(conn, schema, request.Table, ct).ConfigureAwait(false);
        result.LiveTableExisted = live is not null;
        var qt = await QuoteAsync(conn, schema, request.Table, ct).ConfigureAwait(false);
        if (live is null)
        {
            if (request.Mode == TableRestoreMode.MissingRows)
            {
                throw new CenateException(ErrorIds.LiveTableMissing, CenateErrorKind.ObjectNotFound,
                    $"Table {result.Table} does not exist in database '{request.Target.Database}', so no rows can be missing from it.",
                    "Use -Mode Replace to recreate it from the backup (or -Mode Staging to look at the backup's rows first).", result.Table);
            }
            if (source.Kind != TableRestoreSource.Dump)
            {
                throw new CenateException(ErrorIds.LiveTableMissing, CenateErrorKind.ObjectNotFound,
                    $"Table {result.Table} does not exist in database '{request.Target.Database}': a {source.Kind} export holds rows only, and restores into the live table's definition.",
                    "Restore from the set's dump (leave -From out), which holds the table's definition.", result.Table);
            }
        }
        else
        {
            result.LiveRowsBefore = await ScalarLongAsync(conn, $"SELECT count(*) FROM {qt}", ct).ConfigureAwait(false);
            result.PrimaryKey = live.PrimaryKey;
        }
        if (request.Mode == TableRestoreMode.MissingRows && live!.PrimaryKey.Count == 0)
        {
            throw new CenateException(ErrorIds.NoPrimaryKey, CenateErrorKind.InvalidOperation,
                $"Table {result.Table} has no primary key: MissingRows cannot tell which rows are missing. Nothing was changed.",
                "Use -Mode Staging to load the backup beside the table and compare by hand, or -Mode Replace to put the backup's table in its place.", result.Table);
        }
        if (tableEntry?.Definition is { } tableSql && Regex.IsMatch(tableSql, @"\)\s*INHERITS \("))
        {
            throw new CenateException(ErrorIds.TableNotSupported, CenateErrorKind.InvalidOperation,
                $"Table {result.Table} inherits from another table: a restored copy would join the live inheritance tree and show its rows there. Nothing was changed.",
                "Restore it with pg_restore by hand into a scratch database, or restore its parent's hierarchy as a whole.", result.Table);
        }
        if (request.Mode == TableRestoreMode.Replace && live?.Hierarchy is { } hierarchy)
        {
            throw new CenateException(ErrorIds.TableNotSupported, CenateErrorKind.InvalidOperation,
                $"Table {result.Table} is {hierarchy}: replacing it would break its hierarchy (a replaced partition is not attached again). Nothing was changed.",
                "Use -Mode MissingRows, which keeps the table in place, or -Mode Staging to look at the backup's rows.", result.Table);
        }
        DependentViews? views = null;
        if (request.Mode == TableRestoreMode.Replace && live is not null && live.DependentViews.Count > 0)
        {
            // Plain views are dropped and created again around the swap; anything else is refused here, before any change.
            views = await DependentViews.ReadAsync(conn, live.Oid, ct).ConfigureAwait(false);
            views.EnsureRecreatable(result.Table);
        }
        result.BackupRows = source.Entry?.Rows ?? (source.Manifest is not null && source.Manifest.RowCounts.TryGetValue(result.Table, out var counted) ? counted : null);

        var staging = request.Mode == TableRestoreMode.MissingRows ? "pg_temp" : "cenate_restore_" + stamp;
        for (var n = 2; staging != "pg_temp" && await ScalarLongAsync(conn, $"SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = {SqlText.Literal(staging)}", ct).ConfigureAwait(false) > 0; n++)
        {
            staging = "cenate_restore_" + stamp + "_" + n.ToString(CultureInfo.InvariantCulture); // two restores in the same second
        }
        var stagingQ = staging == "pg_temp" ? "pg_temp" : QualifiedTable.Quote(staging);
        var name = (await QuoteAsync(conn, null, request.Table, ct).ConfigureAwait(false));
        var sqt = stagingQ + "." + name;
        if (request.Mode != TableRestoreMode.MissingRows)
        {
            result.StagingSchema = request.Mode == TableRestoreMode.Staging ? staging : null;
        }

        // 3. The SQL: staging definition, then the rows, then keys/indexes/constraints/triggers.
        var pre = new List<string>();
        var post = new List<string>();
        var foreignKeys = new List<string>();
        string copySql;
        if (request.Mode != TableRestoreMode.MissingRows) pre.Add($"CREATE SCHEMA {stagingQ}");
        if (archive is not null)
        {
            var map = await BuildRenameMapAsync(conn, archive, tableEntry!, qt, stagingQ, request.Mode, ct).ConfigureAwait(false);
            // Every definition below is the backup's text: each must be the one statement pg_dump writes for its object,
            // about this table or its own sequences, before any of it runs (TocDefinitionGuard).
            var own = (tableEntry!.Schema!, tableEntry.Tag);
            var sequences = OwnedSequenceEntries(archive, tableEntry, qt).Select(e => (e.Schema ?? "", e.Tag)).ToList();
            foreach (var e in RelatedEntries(archive, tableEntry!, qt))
            {
                if (request.Mode == TableRestoreMode.MissingRows && e != tableEntry) continue; // a temporary table of the rows: no keys needed
                if (string.IsNullOrWhiteSpace(e.Definition)) continue;
                var count = TocDefinitionGuard.Check(source.Path, e, own, sequences);
                var sql = Rename(e.Definition!, map).Trim();
                if (e.Description == "FK CONSTRAINT")
                {
                    // A foreign key on a staging copy would hold locks on, and block deletes from, the live table it references.
                    if (request.Mode == TableRestoreMode.Staging) result.Warnings.Add($"Not created on the staging copy (it would constrain the live tables it references): {sql.Replace("\n", " ", StringComparison.Ordinal)}");
                    else foreignKeys.Add(AddNotValid(sql));
                    continue;
                }
                if (request.Mode == TableRestoreMode.MissingRows) sql = Regex.Replace(sql, @"^CREATE TABLE ", "CREATE TEMPORARY TABLE ");
                (e.Section == 4 ? post : pre).AddRange(CheckedStatements(source.Path, e, sql, count));
            }
            var data = archive.Entries.FirstOrDefault(e => e.Description == "TABLE DATA" && e.Dependencies.Contains(tableEntry!.DumpId))
                ?? archive.Entries.FirstOrDefault(e => e.Description == "TABLE DATA" && e.Schema == tableEntry!.Schema && e.Tag == tableEntry.Tag);
            if (data?.CopyStatement is null)
            {
                throw new CenateException(ErrorIds.TableNotInBackup, CenateErrorKind.ObjectNotFound,
                    $"The dump holds the definition of {result.Table} but not its rows (a schema-only dump, or data stored as INSERT statements).",
                    "Restore from the set's CSV or SQL export (-From Csv / -From Sql) or from another set.", result.Table);
            }
            // The COPY is built here from the entry's names, re-quoted; the entry's own text is never sent.
            var header = TocDefinitionGuard.CheckCopy(source.Path, data, own);
            copySql = $"COPY {sqt} ({string.Join(", ", await QuoteIdentifiersAsync(conn, header.Columns, ct).ConfigureAwait(false))}) FROM STDIN";
            if (request.Mode != TableRestoreMode.MissingRows)
            {
                foreach (var seqSet in OwnedSequenceSets(archive, tableEntry!, qt))
                {
                    var count = TocDefinitionGuard.Check(source.Path, seqSet, own, sequences);
                    pre.AddRange(CheckedStatements(source.Path, seqSet, Rename(seqSet.Definition!, map).Trim(), count));
                }
            }
        }
        else
        {
            // CSV/SQL: the rows go into the live table's own definition.
            pre.Add(request.Mode == TableRestoreMode.MissingRows
                ? $"CREATE TEMPORARY TABLE {sqt} (LIKE {qt} INCLUDING DEFAULTS INCLUDING GENERATED)"
                : $"CREATE TABLE {sqt} (LIKE {qt} INCLUDING ALL)");
            if (request.Mode != TableRestoreMode.MissingRows)
            {
                var liveMap = new Dictionary<string, string>(StringComparer.Ordinal) { [qt] = sqt };
                // Replace carries the live table's triggers over after the swap, with its policies, comments and grants.
                if (request.Mode == TableRestoreMode.Staging) foreach (var (_, def) in live!.Triggers) post.Add(Rename(def, liveMap));
                if (request.Mode == TableRestoreMode.Replace)
                    foreach (var (fkName, def) in live!.ForeignKeys) foreignKeys.Add($"ALTER TABLE {sqt} ADD CONSTRAINT {QualifiedTable.Quote(fkName)} {def} NOT VALID");
            }
            if (source.Kind == TableRestoreSource.Sql)
            {
                // The file's header is checked now, so -WhatIf refuses a changed file too; it is read again for the rows.
                await using var rows = await SqlExportRows.OpenAsync(source.Path, ct).ConfigureAwait(false);
                copySql = await SqlCopyAsync(conn, source.Path, rows.Header, live!, qt, sqt, ct).ConfigureAwait(false);
            }
            else copySql = "";
        }

        // 4. Dry run: the plan only.
        var steps = result.Steps;
        steps.Add("BEGIN");
        steps.AddRange(pre);
        steps.Add(source.Kind != TableRestoreSource.Csv ? copySql + $"   -- rows from {System.IO.Path.GetFileName(source.Path)}" : $"COPY {sqt} FROM STDIN   -- rows from {System.IO.Path.GetFileName(source.Path)}");
        steps.AddRange(post);
        steps.AddRange(foreignKeys);
        var swap = request.Mode == TableRestoreMode.Replace ? ReplaceSteps(request, result, live, views, qt, sqt, stagingQ, stamp) : new List<string>();
        if (request.Mode == TableRestoreMode.MissingRows) steps.Add(InsertMissingSql(live!, qt, sqt));
        steps.AddRange(swap);
        steps.Add("COMMIT");
        if (dryRun)
        {
            result.Duration = clock.Elapsed;
            return result;
        }

        // 5. Run it, all in one transaction.
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        foreach (var sql in pre) await ExecOneStatementAsync(conn, sql, ct).ConfigureAwait(false);
        reporter.Verbose($"Staging table {sqt} created; loading the rows.");
        long loaded = source.Kind switch
        {
            TableRestoreSource.Dump => await CopyFromDumpAsync(conn, source.Path, archive!, tableEntry!, copySql, reporter, ct).ConfigureAwait(false),
            TableRestoreSource.Csv => await CopyFromCsvAsync(conn, source.Path, sqt, reporter, ct).ConfigureAwait(false),
            _ => await CopyFromSqlAsync(conn, source.Path, live!, qt, sqt, reporter, ct).ConfigureAwait(false),
        };
        reporter.Verbose($"{loaded} rows loaded into {sqt} ({clock.Elapsed.TotalSeconds:0.0} s).");
        if (result.BackupRows is { } expectedRows && expectedRows != loaded)
        {
            throw new CenateException(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData,
                $"The backup file gave {loaded} rows of {result.Table}, its manifest says {expectedRows}. Nothing was changed.",
                "Check the set with Test-CenateBackup; restore from another file of the set or another set.", source.Path);
        }
        result.BackupRows = loaded;
        reporter.Progress(new OperationProgress(Activity, "Building keys, indexes, constraints and triggers", 0, null));
        foreach (var sql in post) await ExecOneStatementAsync(conn, sql, ct).ConfigureAwait(false);
        foreach (var sql in foreignKeys) await ExecOneStatementAsync(conn, sql, ct).ConfigureAwait(false);
        await ValidateForeignKeysAsync(conn, sqt, result, ct).ConfigureAwait(false);
        await ExecAsync(conn, $"ANALYZE {sqt}", ct).ConfigureAwait(false);
        reporter.Verbose($"Keys, indexes, constraints and triggers built, statistics taken ({clock.Elapsed.TotalSeconds:0.0} s).");

        var stagingPk = live?.PrimaryKey.Count > 0 ? live.PrimaryKey : await DatabaseSession.PrimaryKeyAsync(conn, sqt, ct).ConfigureAwait(false);
        if (live is not null && stagingPk.Count > 0)
        {
            result.PrimaryKey = stagingPk;
            reporter.Progress(new OperationProgress(Activity, "Comparing the backup with the live table", 0, null));
            var common = request.Mode == TableRestoreMode.Staging ? await CommonColumnsAsync(conn, qt, sqt, ct).ConfigureAwait(false) : new List<string>();
            var on = string.Join(" AND ", stagingPk.Select(c => $"l.{QualifiedTable.Quote(c)} = s.{QualifiedTable.Quote(c)}"));
            // MissingRows counts them in the same statement as its insert (one snapshot), below. Comparing every column of
            // every row costs as much as the load (25 s at 4 million rows): only Staging, which is for looking, does it.
            if (request.Mode != TableRestoreMode.MissingRows)
                result.MissingRows = await ScalarLongAsync(conn, $"SELECT count(*) FROM {sqt} s WHERE NOT EXISTS (SELECT 1 FROM {qt} l WHERE {on})", ct).ConfigureAwait(false);
            if (request.Mode == TableRestoreMode.Staging)
            {
                var sRow = string.Join(", ", common.Select(c => $"s.{QualifiedTable.Quote(c)}::text"));
                var lRow = string.Join(", ", common.Select(c => $"l.{QualifiedTable.Quote(c)}::text"));
                result.DifferentRows = await ScalarLongAsync(conn, $"SELECT count(*) FROM {sqt} s JOIN {qt} l ON {on} WHERE ROW({sRow}) IS DISTINCT FROM ROW({lRow})", ct).ConfigureAwait(false);
            }
            reporter.Verbose($"Compared with the live table: {result.MissingRows?.ToString(CultureInfo.InvariantCulture) ?? "(counted with the insert)"} missing, {result.DifferentRows?.ToString(CultureInfo.InvariantCulture) ?? "(not compared in this mode)"} different ({clock.Elapsed.TotalSeconds:0.0} s).");
        }
        else if (live is not null)
        {
            result.Warnings.Add($"Neither the live table nor the backup's has a primary key: missing and different rows were not counted.");
        }

        switch (request.Mode)
        {
            case TableRestoreMode.Staging:
                result.LiveRowsAfter = result.LiveRowsBefore;
                result.KeptRows = result.LiveRowsBefore;
                break;
            case TableRestoreMode.MissingRows:
                reporter.Progress(new OperationProgress(Activity, "Inserting the missing rows into the live table", 0, null));
                await using (var insert = new NpgsqlCommand(InsertMissingSql(live!, qt, sqt), conn))
                {
                    await using var r = await insert.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await r.ReadAsync(ct).ConfigureAwait(false);
                    (result.MissingRows, result.InsertedRows) = (r.GetInt64(0), r.GetInt64(1));
                }
                if (result.InsertedRows < result.MissingRows)
                {
                    result.Warnings.Add($"{result.MissingRows - result.InsertedRows} missing rows were not inserted: their primary key or another unique value was taken meanwhile (a row written since); they are left as they are.");
                }
                reporter.Verbose($"{result.InsertedRows} rows inserted ({clock.Elapsed.TotalSeconds:0.0} s).");
                await MoveSequencesForwardAsync(conn, live!, qt, ct).ConfigureAwait(false);
                result.LiveRowsAfter = await ScalarLongAsync(conn, $"SELECT count(*) FROM {qt}", ct).ConfigureAwait(false);
                result.KeptRows = result.LiveRowsBefore;
                await ExecAsync(conn, $"DROP TABLE {sqt}", ct).ConfigureAwait(false);
                break;
            case TableRestoreMode.Replace:
                reporter.Progress(new OperationProgress(Activity, "Swapping the restored table in", 0, null));
                var replaced = await SwapAsync(conn, request, result, live, qt, sqt, stagingQ, stamp, source.Kind == TableRestoreSource.Dump, ct).ConfigureAwait(false);
                result.LiveRowsAfter = await ScalarLongAsync(conn, $"SELECT count(*) FROM {qt}", ct).ConfigureAwait(false);
                if (result.LiveRowsAfter != result.BackupRows)
                {
                    throw new CenateException(ErrorIds.DatabaseError, CenateErrorKind.InvalidOperation,
                        $"After the swap {result.Table} holds {result.LiveRowsAfter} rows, not the backup's {result.BackupRows}; the transaction was rolled back.", "Report this.", result.Table);
                }
                // -DropReplaced: only now that the restored table is counted, in the same transaction. The rows written
                // since the backup were only in the old table: they go with it.
                if (replaced is not null && request.DropReplaced)
                {
                    await ExecAsync(conn, $"DROP TABLE {replaced}", ct).ConfigureAwait(false);
                    result.ReplacedTable = null;
                }
                result.KeptRows = 0;
                break;
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        result.Duration = clock.Elapsed;
        reporter.Progress(new OperationProgress(Activity, "Done", 1, 1));
        return result;
    }

    private static CenateException Corrupt(string file, CenateException inner) => new(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData,
        $"'{System.IO.Path.GetFileName(file)}' cannot be restored: {inner.Message} Nothing was changed; the live table is unchanged.",
        "Restore from the set's CSV or SQL export (-From Csv / -From Sql) or from another set; Test-CenateBackup shows what is wrong.", file, inner);

    /// <summary>The entries that make the table: its definition, sequences, defaults, comments, keys, indexes, constraints, triggers, policies.</summary>
    private static List<ArchiveTocEntry> RelatedEntries(ArchiveContents archive, ArchiveTocEntry table, string qt)
    {
        var list = new List<ArchiveTocEntry> { table };
        var sequences = OwnedSequenceEntries(archive, table, qt);
        var sequenceIds = sequences.Select(e => e.DumpId).ToHashSet();
        foreach (var e in archive.Entries)
        {
            if (e == table) continue;
            var onTable = e.Dependencies.Contains(table.DumpId);
            var keep = e.Description switch
            {
                "SEQUENCE" => sequenceIds.Contains(e.DumpId),
                // pg_dump makes "SEQUENCE OWNED BY" depend on the sequence only.
                "SEQUENCE OWNED BY" => onTable || e.Dependencies.Any(sequenceIds.Contains),
                "DEFAULT" or "COMMENT" or "CONSTRAINT" or "CHECK CONSTRAINT" or "INDEX" or "TRIGGER" or "ROW SECURITY" or "POLICY" or "RULE" => onTable,
                // A foreign key of this table (not one of another table that references it).
                "FK CONSTRAINT" => onTable && e.Definition is { } d && Regex.IsMatch(d, "^ALTER TABLE (ONLY )?" + Regex.Escape(qt) + @"\s"),
                _ => false,
            };
            if (keep) list.Add(e);
        }
        return list;
    }

    /// <summary>
    /// The table's own sequences: identity sequences (their SEQUENCE entry depends on the table) and serial ones (named by
    /// an "ALTER SEQUENCE … OWNED BY &lt;table&gt;.&lt;column&gt;" entry, which depends on the sequence only).
    /// </summary>
    private static List<ArchiveTocEntry> OwnedSequenceEntries(ArchiveContents archive, ArchiveTocEntry table, string qt)
    {
        var owned = new HashSet<int>();
        var ownedBy = new Regex(@"OWNED BY " + Regex.Escape(qt) + @"\.", RegexOptions.CultureInvariant);
        foreach (var e in archive.Entries)
        {
            if (e.Description == "SEQUENCE" && e.Dependencies.Contains(table.DumpId)) owned.Add(e.DumpId); // identity
            if (e.Description == "SEQUENCE OWNED BY" && e.Definition is { } d && ownedBy.IsMatch(d))
                foreach (var dep in e.Dependencies) owned.Add(dep); // serial
        }
        return archive.Entries.Where(e => e.Description == "SEQUENCE" && owned.Contains(e.DumpId)).ToList();
    }

    /// <summary>The SEQUENCE SET entries of the table's own sequences (never another table's, whose names may share a prefix).</summary>
    private static IEnumerable<ArchiveTocEntry> OwnedSequenceSets(ArchiveContents archive, ArchiveTocEntry table, string qt)
    {
        var ids = OwnedSequenceEntries(archive, table, qt).Select(e => e.DumpId).ToHashSet();
        return archive.Entries.Where(e => e.Description == "SEQUENCE SET" && e.Dependencies.Any(ids.Contains));
    }

    /// <summary>pg_dump's qualified names of the table and its owned sequences → the staging names.</summary>
    private static async Task<Dictionary<string, string>> BuildRenameMapAsync(NpgsqlConnection conn, ArchiveContents archive, ArchiveTocEntry table, string qt, string stagingQ,
        TableRestoreMode mode, CancellationToken ct)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal) { [qt] = stagingQ + "." + await QuoteAsync(conn, null, table.Tag, ct).ConfigureAwait(false) };
        if (mode == TableRestoreMode.MissingRows) return map;
        foreach (var seq in OwnedSequenceEntries(archive, table, qt))
        {
            map[await QuoteAsync(conn, seq.Schema, seq.Tag, ct).ConfigureAwait(false)] = stagingQ + "." + await QuoteAsync(conn, null, seq.Tag, ct).ConfigureAwait(false);
        }
        return map;
    }

    /// <summary>Replaces whole qualified names (not prefixes of longer names).</summary>
    internal static string Rename(string sql, IReadOnlyDictionary<string, string> map)
    {
        foreach (var (from, to) in map.OrderByDescending(kv => kv.Key.Length))
        {
            sql = Regex.Replace(sql, @"(?<![A-Za-z0-9_$"".])" + Regex.Escape(from) + @"(?![A-Za-z0-9_$""])", to.Replace("$", "$$", StringComparison.Ordinal));
        }
        return sql;
    }

    private static string AddNotValid(string sql)
    {
        var s = sql.TrimEnd().TrimEnd(';');
        return s.EndsWith(" NOT VALID", StringComparison.Ordinal) ? s : s + " NOT VALID";
    }

    private static async Task ValidateForeignKeysAsync(NpgsqlConnection conn, string sqt, TableRestoreResult result, CancellationToken ct)
    {
        var names = new List<string>();
        await using (var cmd = new NpgsqlCommand($"SELECT conname::text FROM pg_catalog.pg_constraint WHERE conrelid = {SqlText.Literal(sqt)}::pg_catalog.regclass AND contype = 'f' AND NOT convalidated", conn))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) names.Add(r.GetString(0));
        }
        foreach (var fk in names)
        {
            await ExecAsync(conn, "SAVEPOINT cenate_fk", ct).ConfigureAwait(false);
            try
            {
                await ExecAsync(conn, $"ALTER TABLE {sqt} VALIDATE CONSTRAINT {QualifiedTable.Quote(fk)}", ct).ConfigureAwait(false);
                await ExecAsync(conn, "RELEASE SAVEPOINT cenate_fk", ct).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == "23503")
            {
                await ExecAsync(conn, "ROLLBACK TO SAVEPOINT cenate_fk", ct).ConfigureAwait(false);
                result.Warnings.Add($"Foreign key {fk}: some backup rows reference rows that no longer exist ({ex.MessageText}); it is kept NOT VALID.");
            }
        }
    }

    private static string InsertMissingSql(LiveTable live, string qt, string sqt)
    {
        var cols = live.Columns.Where(c => !c.Generated).Select(c => QualifiedTable.Quote(c.Name)).ToList();
        var on = string.Join(" AND ", live.PrimaryKey.Select(c => $"l.{QualifiedTable.Quote(c)} = s.{QualifiedTable.Quote(c)}"));
        var overriding = live.Columns.Any(c => c.IdentityAlways) ? " OVERRIDING SYSTEM VALUE" : "";
        // One statement, one snapshot: the rows missing now, and those of them inserted (a row written meanwhile with the
        // same key or another unique value wins: ON CONFLICT DO NOTHING).
        return $"WITH missing AS (SELECT {string.Join(", ", cols.Select(c => "s." + c))} FROM {sqt} s WHERE NOT EXISTS (SELECT 1 FROM {qt} l WHERE {on})), " +
               $"inserted AS (INSERT INTO {qt} ({string.Join(", ", cols)}){overriding} SELECT * FROM missing ON CONFLICT DO NOTHING RETURNING 1) " +
               "SELECT (SELECT count(*) FROM missing), (SELECT count(*) FROM inserted)";
    }

    private static async Task MoveSequencesForwardAsync(NpgsqlConnection conn, LiveTable live, string qt, CancellationToken ct)
    {
        // Only forward: a sequence is set to the column's maximum when that is beyond its last value.
        foreach (var (seq, column) in live.OwnedSequences)
        {
            var col = QualifiedTable.Quote(column);
            await ExecAsync(conn, $"SELECT pg_catalog.setval({SqlText.Literal(seq)}, m) FROM (SELECT max({col}) AS m FROM {qt}) x, {seq} s WHERE x.m > s.last_value", ct).ConfigureAwait(false);
        }
    }

    private static string ReplacedName(string table, string stamp)
    {
        var suffix = "_replaced_" + stamp;
        return (Encoding.UTF8.GetByteCount(table) + suffix.Length <= 63 ? table : table[..Math.Max(1, 63 - suffix.Length)]) + suffix;
    }

    private static string Suffixed(string name, string stamp)
    {
        var suffix = "_r" + stamp.Replace("_", "", StringComparison.Ordinal);
        return (name.Length + suffix.Length <= 63 ? name : name[..(63 - suffix.Length)]) + suffix;
    }

    private static List<string> ReplaceSteps(TableRestoreRequest request, TableRestoreResult result, LiveTable? live, DependentViews? views, string qt, string sqt, string stagingQ, string stamp)
    {
        var schemaQ = qt[..qt.LastIndexOf('.')];
        var steps = new List<string>();
        if (live is not null)
        {
            steps.Add($"LOCK TABLE ONLY {qt} IN ACCESS EXCLUSIVE MODE   -- waits at most {request.LockTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s (-LockTimeout), then LockTimeout and nothing changed");
            foreach (var fk in live.ReferencingForeignKeys) steps.Add($"ALTER TABLE {fk.Table} DROP CONSTRAINT {QualifiedTable.Quote(fk.Name)}");
            if (views is not null) steps.AddRange(views.DropStatements().Select(d => d + "   -- created again below, as it is now"));
            foreach (var idx in live.Indexes) steps.Add($"ALTER INDEX {schemaQ}.{QualifiedTable.Quote(idx)} RENAME TO {QualifiedTable.Quote(Suffixed(idx, stamp))}");
            foreach (var (seq, _) in live.OwnedSequences) steps.Add($"ALTER SEQUENCE {seq} RENAME TO {QualifiedTable.Quote(Suffixed(seq[(seq.LastIndexOf('.') + 1)..].Trim('"'), stamp))}");
            steps.Add($"ALTER TABLE {qt} RENAME TO {QualifiedTable.Quote(ReplacedName(request.Table, stamp))}");
        }
        steps.Add($"ALTER TABLE {sqt} SET SCHEMA {schemaQ}");
        if (live is not null)
        {
            steps.Add("the live table's triggers, row-level security, policies and comments carried over to the restored table (the live ones win; differences from the backup in Warnings)");
            steps.Add($"ALTER TABLE {qt} OWNER TO {QualifiedTable.Quote(live.Owner)}   -- and the old table's table and column grants");
            steps.Add("sequences of the restored table set to the old ones' last values where those are further (never backwards)");
            if (views is not null) steps.AddRange(views.CreateStatements());
            foreach (var fk in live.ReferencingForeignKeys) steps.Add($"ALTER TABLE {fk.Table} ADD CONSTRAINT {QualifiedTable.Quote(fk.Name)} {fk.Definition}");
        }
        steps.Add($"DROP SCHEMA {stagingQ}");
        steps.Add($"SELECT count(*) FROM {qt}   -- must equal the backup's rows, or everything is rolled back");
        if (live is not null && request.DropReplaced)
            steps.Add($"DROP TABLE {schemaQ}.{QualifiedTable.Quote(ReplacedName(request.Table, stamp))}   -- with the rows written since the backup");
        return steps;
    }

    /// <summary>Swaps the restored table in; returns the replaced table's qualified name (null when there was no live table).</summary>
    private static async Task<string?> SwapAsync(NpgsqlConnection conn, TableRestoreRequest request, TableRestoreResult result, LiveTable? live, string qt, string sqt, string stagingQ,
        string stamp, bool fromDump, CancellationToken ct)
    {
        DependentViews? views = null;
        var schema = result.Table[..result.Table.LastIndexOf('.')];
        var schemaQ = qt[..qt.LastIndexOf('.')];
        var oldQ = schemaQ + "." + QualifiedTable.Quote(ReplacedName(request.Table, stamp));
        var oldSequences = new List<(string Renamed, string Column)>();
        TableSurroundings? liveSurroundings = null, restoredSurroundings = null;
        if (live is not null)
        {
            // The live table first, explicitly, before any other lock (foreign keys lock the tables they link): one wait,
            // bounded by lock_timeout; and what is read below cannot change until the commit.
            await ExecAsync(conn, $"LOCK TABLE ONLY {qt} IN ACCESS EXCLUSIVE MODE", ct).ConfigureAwait(false);
            liveSurroundings = await TableSurroundings.ReadAsync(conn, qt, qt, ct).ConfigureAwait(false);
            restoredSurroundings = await TableSurroundings.ReadAsync(conn, sqt, qt, ct).ConfigureAwait(false);
            // The dependent views, read again now that the table is locked (one may have been created since the plan).
            views = await DependentViews.ReadAsync(conn, live.Oid, ct).ConfigureAwait(false);
            views.EnsureRecreatable(result.Table);
            foreach (var fk in live.ReferencingForeignKeys) await ExecAsync(conn, $"ALTER TABLE {fk.Table} DROP CONSTRAINT {QualifiedTable.Quote(fk.Name)}", ct).ConfigureAwait(false);
            foreach (var sql in views.DropStatements())
            {
                try
                {
                    await ExecAsync(conn, sql, ct).ConfigureAwait(false);
                }
                catch (PostgresException ex) when (ex.SqlState == "2BP01")
                {
                    throw new CenateException(ErrorIds.DependentObjects, CenateErrorKind.InvalidOperation,
                        $"Table {result.Table} cannot be replaced: {sql[10..]} depends on it and other objects depend on that view ({ex.MessageText}; {ex.Detail}). Nothing was changed (rolled back).",
                        "Drop those objects around the restore (and create them again after it), or use -Mode MissingRows (which keeps the table) or -Mode Staging.", result.Table, ex);
                }
            }
            foreach (var idx in live.Indexes)
                await ExecAsync(conn, $"ALTER INDEX {schemaQ}.{QualifiedTable.Quote(idx)} RENAME TO {QualifiedTable.Quote(Suffixed(idx, stamp))}", ct).ConfigureAwait(false);
            foreach (var (seq, column) in live.OwnedSequences)
            {
                var newName = Suffixed(seq[(seq.LastIndexOf('.') + 1)..].Trim('"'), stamp);
                await ExecAsync(conn, $"ALTER SEQUENCE {seq} RENAME TO {QualifiedTable.Quote(newName)}", ct).ConfigureAwait(false);
                oldSequences.Add((seq[..seq.LastIndexOf('.')] + "." + QualifiedTable.Quote(newName), column));
            }
            await ExecAsync(conn, $"ALTER TABLE {qt} RENAME TO {QualifiedTable.Quote(ReplacedName(request.Table, stamp))}", ct).ConfigureAwait(false);
        }
        await ExecAsync(conn, $"ALTER TABLE {sqt} SET SCHEMA {schemaQ}", ct).ConfigureAwait(false);
        if (live is not null)
        {
            // The live table's triggers (audit triggers installed after the backup), row-level security, policies and
            // comments win over the backup's; what differed is said in Warnings.
            await TableSurroundings.CarryOverAsync(qt, liveSurroundings!, restoredSurroundings!, fromDump, result.Warnings,
                async (sql, token) => await ExecAsync(conn, sql, token).ConfigureAwait(false), ct).ConfigureAwait(false);
            await ExecAsync(conn, $"ALTER TABLE {qt} OWNER TO {QualifiedTable.Quote(live.Owner)}", ct).ConfigureAwait(false);
            // The old table's grants, table and column, role by role, and no others.
            await TableSurroundings.CopyGrantsAsync(conn, oldQ, qt, async (sql, token) => await ExecAsync(conn, sql, token).ConfigureAwait(false), ct).ConfigureAwait(false);
            // Sequences never go backwards: the restored table's take the old ones' last values where those are further.
            foreach (var (oldSeq, column) in oldSequences)
            {
                var newSeq = await ScalarStringAsync(conn, $"SELECT pg_catalog.pg_get_serial_sequence({SqlText.Literal(qt)}, {SqlText.Literal(column)})", ct).ConfigureAwait(false);
                if (newSeq is null)
                {
                    // The restored table's column has no sequence of its own: its default still calls the old table's sequence
                    // (a serial column copied with LIKE … INCLUDING ALL). It moves to the restored table, or dropping the old
                    // table would take the default with it.
                    await ExecAsync(conn, $"ALTER SEQUENCE {oldSeq} OWNED BY {qt}.{QualifiedTable.Quote(column)}", ct).ConfigureAwait(false);
                    continue;
                }
                await ExecAsync(conn, $"SELECT pg_catalog.setval({SqlText.Literal(newSeq)}, o.last_value, o.is_called) FROM {oldSeq} o, {newSeq} n WHERE o.last_value > n.last_value", ct).ConfigureAwait(false);
            }
            // The views, as they were, now on the restored table (their definitions name it by its qualified name).
            foreach (var sql in views!.CreateStatements())
            {
                try
                {
                    await ExecAsync(conn, sql, ct).ConfigureAwait(false);
                }
                catch (PostgresException ex) when (ex.SqlState.StartsWith("42", StringComparison.Ordinal))
                {
                    throw new CenateException(ErrorIds.DependentObjects, CenateErrorKind.InvalidOperation,
                        $"A view that depends on {result.Table} cannot be created again on the restored table ({ex.MessageText}): the backup's table does not have what it reads. Nothing was changed (rolled back). The statement: {sql}",
                        "Drop or change that view before -Mode Replace (and create it again after), or use -Mode MissingRows (which keeps the table) or -Mode Staging.", result.Table, ex);
                }
            }
            foreach (var fk in live.ReferencingForeignKeys)
            {
                await ExecAsync(conn, "SAVEPOINT cenate_refs", ct).ConfigureAwait(false);
                try
                {
                    await ExecAsync(conn, $"ALTER TABLE {fk.Table} ADD CONSTRAINT {QualifiedTable.Quote(fk.Name)} {fk.Definition}", ct).ConfigureAwait(false);
                    await ExecAsync(conn, "RELEASE SAVEPOINT cenate_refs", ct).ConfigureAwait(false);
                }
                catch (PostgresException ex) when (ex.SqlState == "23503")
                {
                    throw new CenateException(ErrorIds.ReferencingRowsMissing, CenateErrorKind.InvalidOperation,
                        $"Foreign key {fk.Name} of {fk.Table} cannot point at the restored {result.Table}: {ex.MessageText}. Rows of {fk.Table} reference rows the backup does not have. Nothing was changed (rolled back).",
                        "Use -Mode MissingRows, which keeps every current row, or remove those referencing rows first.", fk.Table, ex);
                }
                result.ForeignKeysRecreated.Add($"{fk.Table}.{fk.Name}");
            }
            result.ReplacedTable = schema + "." + ReplacedName(request.Table, stamp);
        }
        await ExecAsync(conn, $"DROP SCHEMA {stagingQ}", ct).ConfigureAwait(false);
        return live is null ? null : oldQ;
    }

    // ---------------------------------------------------------------- the rows

    private static Action<long> Progress(IOperationReporter reporter, string file, long size) =>
        read => reporter.Progress(new OperationProgress(Activity, $"Loading rows from {file}: {read / (1024 * 1024)} of {size / (1024 * 1024)} MB", read, size));

    private static async Task<long> CopyFromDumpAsync(NpgsqlConnection conn, string path, ArchiveContents archive, ArchiveTocEntry table, string copySql,
        IOperationReporter reporter, CancellationToken ct)
    {
        var data = archive.Entries.First(e => e.Description == "TABLE DATA" && (e.Dependencies.Contains(table.DumpId) || (e.Schema == table.Schema && e.Tag == table.Tag)));
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return await ImportAsync(conn, copySql, path, raw => CustomArchiveInspector.StreamTableDataAsync(fs, data.DumpId, (chunk, token) => raw.WriteAsync(chunk, token),
            Progress(reporter, Path.GetFileName(path), fs.Length), ct), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// One COPY … FROM STDIN fed with raw bytes by <paramref name="write"/> (which returns the rows it sent). On any failure
    /// the COPY is cancelled; a damaged file becomes BackupCorrupt. The caller's transaction then rolls back.
    /// </summary>
    private static async Task<long> ImportAsync(NpgsqlConnection conn, string copySql, string path, Func<Stream, Task<long>> write, CancellationToken ct)
    {
        var writer = await conn.BeginTextImportAsync(copySql, ct).ConfigureAwait(false);
        long rows;
        try
        {
            rows = await write(((StreamWriter)writer).BaseStream).ConfigureAwait(false);
        }
        catch (CenateException ex) when (ex.ErrorId == ErrorIds.ArchiveInvalid)
        {
            await CancelAsync(writer).ConfigureAwait(false);
            throw Corrupt(path, ex);
        }
        catch (InvalidDataException ex)
        {
            await CancelAsync(writer).ConfigureAwait(false);
            throw new CenateException(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData, $"'{Path.GetFileName(path)}' is not valid gzip data: {ex.Message}. Nothing was changed.", "Restore from the dump or another set.", path, ex);
        }
        catch
        {
            await CancelAsync(writer).ConfigureAwait(false);
            throw;
        }
        await writer.DisposeAsync().ConfigureAwait(false);
        return rows;
    }

    private static async Task CancelAsync(TextWriter writer)
    {
        try { if (writer is NpgsqlCopyTextWriter w) await w.CancelAsync().ConfigureAwait(false); } catch (Exception) { }
        try { await writer.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
    }

    private static Stream OpenData(string path, FileStream fs) =>
        path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(fs, CompressionMode.Decompress) : fs;

    private static async Task<long> CopyFromCsvAsync(NpgsqlConnection conn, string path, string sqt, IOperationReporter reporter, CancellationToken ct)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var input = OpenData(path, fs);
        var buffer = new byte[1 << 20];
        var n = await input.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        var first = buffer.AsSpan(0, n).IndexOf((byte)'\n');
        if (first < 0) throw new CenateException(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData, $"'{Path.GetFileName(path)}' has no CSV header line.", "Restore from the dump or another set.", path);
        var columns = ParseCsvHeader(Encoding.UTF8.GetString(buffer, 0, first).TrimEnd('\r'));
        var copySql = $"COPY {sqt} ({string.Join(", ", columns.Select(QualifiedTable.Quote))}) FROM STDIN WITH (FORMAT csv, HEADER true)";
        var counter = new CsvRecordCounter();
        var progress = Progress(reporter, Path.GetFileName(path), fs.Length);
        return await ImportAsync(conn, copySql, path, async raw =>
        {
            long last = 0;
            do
            {
                counter.Add(buffer.AsSpan(0, n));
                await raw.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                if (fs.Position - last >= (4 << 20)) { last = fs.Position; progress(last); }
            }
            while ((n = await input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0);
            return Math.Max(0, counter.Records - 1);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The column names of a CSV header line (RFC 4180 quoting).</summary>
    internal static List<string> ParseCsvHeader(string line)
    {
        var names = new List<string>();
        var b = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { b.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else b.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { names.Add(b.ToString()); b.Clear(); }
            else b.Append(c);
        }
        names.Add(b.ToString());
        return names;
    }

    /// <summary>
    /// The COPY for a data-only SQL export, built from its header's names re-quoted: the header must name this table
    /// and only columns the live table has (and that are not generated).
    /// </summary>
    private static async Task<string> SqlCopyAsync(NpgsqlConnection conn, string path, SqlCopyHeader header, LiveTable live, string qt, string sqt, CancellationToken ct)
    {
        var (schemaName, tableName) = SplitQualified(qt);
        if ((header.Schema is not null && header.Schema != schemaName) || header.Table != tableName)
        {
            throw new CenateException(ErrorIds.TableNotInBackup, CenateErrorKind.ObjectNotFound,
                $"'{Path.GetFileName(path)}' holds the rows of another table ({header.Schema}.{header.Table}), not of {qt}.", "Check -Table and -Schema, or give the right file.", path);
        }
        var known = live.Columns.Where(c => !c.Generated).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = header.Columns.Where(c => !known.Contains(c)).ToList();
        if (unknown.Count > 0)
        {
            throw new CenateException(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData,
                $"'{Path.GetFileName(path)}' has rows for columns {qt} does not have (or that are generated): {string.Join(", ", unknown.Select(QualifiedTable.Quote))}. Nothing was changed.",
                "If the table changed since the backup, restore from the set's dump (-Mode Staging shows the backup's definition); otherwise the file is not this table's export.", path);
        }
        return $"COPY {sqt} ({string.Join(", ", await QuoteIdentifiersAsync(conn, header.Columns, ct).ConfigureAwait(false))}) FROM STDIN";
    }

    private static async Task<long> CopyFromSqlAsync(NpgsqlConnection conn, string path, LiveTable live, string qt, string sqt, IOperationReporter reporter, CancellationToken ct)
    {
        // Read and checked again: the rows are taken from this reading only, and only once its header passed.
        await using var rows = await SqlExportRows.OpenAsync(path, ct).ConfigureAwait(false);
        var copySql = await SqlCopyAsync(conn, path, rows.Header, live, qt, sqt, ct).ConfigureAwait(false);
        var progress = Progress(reporter, Path.GetFileName(path), rows.Length);
        return await ImportAsync(conn, copySql, path, raw => rows.CopyRowsAsync(raw, progress, ct), ct).ConfigureAwait(false);
    }

    /// <summary>Each name as quote_ident writes it (quoted only where needed), in order.</summary>
    private static async Task<List<string>> QuoteIdentifiersAsync(NpgsqlConnection conn, IReadOnlyList<string> names, CancellationToken ct)
    {
        var list = new List<string>();
        await using var cmd = new NpgsqlCommand("SELECT pg_catalog.quote_ident(x) FROM pg_catalog.unnest(@n::text[]) WITH ORDINALITY u(x, o) ORDER BY o", conn);
        cmd.Parameters.AddWithValue("n", names.ToArray());
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(r.GetString(0));
        return list;
    }

    /// <summary>Reads one identifier (quoted or not) at <paramref name="i"/>; returns it unquoted.</summary>
    private static string ReadIdentifier(string s, ref int i)
    {
        var b = new StringBuilder();
        if (i < s.Length && s[i] == '"')
        {
            i++;
            while (i < s.Length)
            {
                if (s[i] == '"' && i + 1 < s.Length && s[i + 1] == '"') { b.Append('"'); i += 2; continue; }
                if (s[i] == '"') { i++; break; }
                b.Append(s[i++]);
            }
            return b.ToString();
        }
        while (i < s.Length && s[i] != '.' && s[i] != ' ' && s[i] != '(') b.Append(s[i++]);
        return b.ToString();
    }

    /// <summary>"COPY a.b (…) FROM stdin;" → (a, b, " (…) FROM stdin;").</summary>
    internal static (string Schema, string Table, string Tail) ParseCopyTarget(string copyLine)
    {
        var i = "COPY ".Length;
        var first = ReadIdentifier(copyLine, ref i);
        if (i < copyLine.Length && copyLine[i] == '.')
        {
            i++;
            var second = ReadIdentifier(copyLine, ref i);
            return (first, second, copyLine[i..]);
        }
        return ("", first, copyLine[i..]);
    }

    /// <summary>"a.b" as pg's quote_ident writes it → (a, b) unquoted.</summary>
    internal static (string Schema, string Table) SplitQualified(string qualified)
    {
        var (schema, table, _) = ParseCopyTarget("COPY " + qualified + " ");
        return (schema, table);
    }

    // ---------------------------------------------------------------- catalog helpers

    private static async Task<LiveTable?> ReadLiveTableAsync(NpgsqlConnection conn, string schema, string table, CancellationToken ct)
    {
        uint oid;
        string owner;
        string? hierarchy;
        await using (var cmd = new NpgsqlCommand(
            "SELECT c.oid, pg_catalog.pg_get_userbyid(c.relowner)::text, CASE WHEN c.relkind = 'p' THEN 'a partitioned table' WHEN c.relispartition THEN 'a partition' " +
            "WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid) THEN 'an inheritance child' " +
            "WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.oid) THEN 'an inheritance parent' END " +
            "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = @s AND c.relname = @t AND c.relkind IN ('r', 'p')", conn))
        {
            cmd.Parameters.AddWithValue("s", schema);
            cmd.Parameters.AddWithValue("t", table);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
            oid = r.GetFieldValue<uint>(0);
            owner = r.GetString(1);
            hierarchy = r.IsDBNull(2) ? null : r.GetString(2);
        }
        var live = new LiveTable { Oid = oid, Owner = owner, Hierarchy = hierarchy };
        async Task ReadAsync(string sql, Action<NpgsqlDataReader> row)
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            cmd.Parameters.Add(new NpgsqlParameter("oid", NpgsqlTypes.NpgsqlDbType.Oid) { Value = oid });
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) row(r);
        }
        live.PrimaryKey.AddRange(await DatabaseSession.PrimaryKeyAsync(conn, new QualifiedTable(schema, table).Sql, ct).ConfigureAwait(false));
        await ReadAsync("SELECT attname::text, attgenerated <> '', attidentity = 'a' FROM pg_catalog.pg_attribute WHERE attrelid = @oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            r => live.Columns.Add((r.GetString(0), r.GetBoolean(1), r.GetBoolean(2))));
        await ReadAsync("SELECT con.conname::text, con.conrelid::pg_catalog.regclass::text, pg_catalog.pg_get_constraintdef(con.oid) FROM pg_catalog.pg_constraint con " +
            "WHERE con.confrelid = @oid AND con.contype = 'f' AND con.conrelid <> @oid ORDER BY 2, 1",
            r => live.ReferencingForeignKeys.Add((r.GetString(0), r.GetString(1), r.GetString(2))));
        await ReadAsync("SELECT DISTINCT v.oid::pg_catalog.regclass::text FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite rw ON rw.oid = d.objid " +
            "JOIN pg_catalog.pg_class v ON v.oid = rw.ev_class WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass " +
            "AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = @oid AND v.oid <> @oid ORDER BY 1",
            r => live.DependentViews.Add(r.GetString(0)));
        await ReadAsync("SELECT s.oid::pg_catalog.regclass::text, a.attname::text FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S' " +
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass " +
            "AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = @oid AND d.deptype IN ('a', 'i') ORDER BY 2",
            r => live.OwnedSequences.Add((r.GetString(0), r.GetString(1))));
        await ReadAsync("SELECT ic.relname::text FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = @oid ORDER BY 1",
            r => live.Indexes.Add(r.GetString(0)));
        await ReadAsync("SELECT tgname::text, pg_catalog.pg_get_triggerdef(oid) FROM pg_catalog.pg_trigger WHERE tgrelid = @oid AND NOT tgisinternal ORDER BY 1",
            r => live.Triggers.Add((r.GetString(0), r.GetString(1))));
        await ReadAsync("SELECT conname::text, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint WHERE conrelid = @oid AND contype = 'f' ORDER BY 1",
            r => live.ForeignKeys.Add((r.GetString(0), r.GetString(1))));
        return live;
    }

    private static async Task<List<string>> CommonColumnsAsync(NpgsqlConnection conn, string a, string b, CancellationToken ct)
    {
        var list = new List<string>();
        await using var cmd = new NpgsqlCommand("SELECT x.attname::text FROM pg_catalog.pg_attribute x JOIN pg_catalog.pg_attribute y ON y.attname = x.attname " +
            "AND y.attrelid = @b::pg_catalog.regclass AND y.attnum > 0 AND NOT y.attisdropped WHERE x.attrelid = @a::pg_catalog.regclass AND x.attnum > 0 AND NOT x.attisdropped ORDER BY x.attnum", conn);
        cmd.Parameters.AddWithValue("a", a);
        cmd.Parameters.AddWithValue("b", b);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(r.GetString(0));
        return list;
    }

    /// <summary>quote_ident(schema) || '.' || quote_ident(name), as pg_dump writes qualified names; only the name when schema is null.</summary>
    private static async Task<string> QuoteAsync(NpgsqlConnection conn, string? schema, string name, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(schema is null ? "SELECT pg_catalog.quote_ident(@n)" : "SELECT pg_catalog.quote_ident(@s) || '.' || pg_catalog.quote_ident(@n)", conn);
        if (schema is not null) cmd.Parameters.AddWithValue("s", schema);
        cmd.Parameters.AddWithValue("n", name);
        return (string)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }


    /// <summary>
    /// The renamed text of a definition the guard accepted, cut into its statements; it must still lex and hold as many
    /// statements as the guard counted (renaming put quoted names in it), or it is refused.
    /// </summary>
    private static List<string> CheckedStatements(string path, ArchiveTocEntry entry, string sql, int count)
    {
        List<string> texts;
        try
        {
            texts = SqlStatementScanner.StatementTexts(sql);
        }
        catch (FormatException ex)
        {
            throw Unsafe(path, entry, $"after renaming to the staging schema it does not lex ({ex.Message})");
        }
        if (texts.Count != count) throw Unsafe(path, entry, $"after renaming to the staging schema it holds {texts.Count} statements, not {count}");
        return texts;
    }

    private static CenateException Unsafe(string path, ArchiveTocEntry entry, string why) => new(ErrorIds.UnsafeBackupContent, CenateErrorKind.InvalidData,
        $"'{System.IO.Path.GetFileName(path)}' was refused: its {entry.Description} entry for {entry.Tag} (dump id {entry.DumpId}) {why}. Nothing from the dump was run. Nothing was changed; the live table is unchanged.",
        "Do not restore from this file: someone or something changed it. Restore from another set, and check who can write to the backup directory.", path);

    /// <summary>
    /// Runs one statement as a batch command of its own: Npgsql sends a batch command without parameters as it is (it
    /// does not cut it at semicolons, as it does a command's text), and the server refuses a prepared statement that
    /// holds two ("cannot insert multiple commands into a prepared statement"). So if the module's lexer and the
    /// server ever disagree on where a statement of a backup's definition ends, the server refuses it instead of
    /// running what followed.
    /// </summary>
    private static async Task ExecOneStatementAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(sql));
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<int> ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<long> ScalarLongAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private static async Task<string?> ScalarStringAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }
}
