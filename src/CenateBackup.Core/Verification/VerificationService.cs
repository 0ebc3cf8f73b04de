using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Docker;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Tools;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Verification;

/// <summary>Where pg_restore may run when a dump has to be read, and where a restore drill goes.</summary>
public sealed class RestoreToolOptions
{
    /// <summary>Container to run pg_restore in when the local one is missing or too old.</summary>
    public string? Container { get; init; }
    /// <summary>Docker endpoint.</summary>
    public string? DockerHost { get; init; }
    /// <summary>Local bin directory of pg_restore.</summary>
    public string? PgBinDirectory { get; init; }
    /// <summary>
    /// The WAL archive directory base sets are checked against (Test-CenateBackup -WalPath): every segment from the
    /// backup's end to the archive's newest must be there. Null: no such check.
    /// </summary>
    public string? WalPath { get; init; }
    /// <summary>Restore level: builds the drill's options for a set (its manifest, or null for a lone dump).</summary>
    public Func<BackupManifest?, DrillOptions>? DrillFor { get; init; }
    /// <summary>
    /// The PointInTime level's drill (null for the other levels): given the report, the set's manifest path and manifest,
    /// it adds its checks and problems. Supplied by the caller (Pitr.PointInTimeDrill), so verification does not depend
    /// on the point-in-time feature.
    /// </summary>
    public Func<VerificationReport, string, BackupManifest, IOperationReporter, CancellationToken, Task>? PointInTime { get; init; }
}

/// <summary>Test-CenateBackup's checks: checksums against the manifest, full reads of every file, restore drills.</summary>
public static class VerificationService
{
    /// <summary>
    /// Verifies the set a path points at: a manifest, or a backup file (its set's manifest is looked up
    /// beside it; without one, checksums are unknown and only the read runs). A whole set's result is
    /// recorded in its manifest.
    /// </summary>
    /// <param name="path">A manifest or a backup file.</param>
    /// <param name="level">How deep to check.</param>
    /// <param name="tools">Where pg_restore runs.</param>
    /// <param name="reporter">Verbose, warnings, progress.</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    /// <param name="recordVerification">False (-WhatIf) leaves the manifest unchanged.</param>
    /// <param name="drift">The row-drift check to add (null: none).</param>
    public static async Task<VerificationReport> VerifyPathAsync(string path, VerificationLevel level, RestoreToolOptions tools,
        IOperationReporter reporter, CancellationToken cancellationToken, bool recordVerification = true,
        RowDriftOptions? drift = null)
    {
        var full = BackupSetPath.RequireFile(path, d => $"Test-CenateBackup '{d}'", "PathNotFound.Action.8");
        if (level == VerificationLevel.Restore && tools.DrillFor is null) throw new ArgumentException("The Restore level needs drill options.", nameof(tools));
        var clock = Stopwatch.StartNew();
        var directory = Path.GetDirectoryName(full)!;
        var member = BackupSetLocator.Locate(full);
        var manifestPath = member.ManifestPath;
        var manifest = member.Manifest;

        if (level == VerificationLevel.Restore
            && (manifest is not null ? BackupSetKinds.Effective(manifest) == BackupSetKind.Base : member.Kind == BackupFileKind.Base))
        {
            // Refused before anything is read or recorded: a failed Restore-level result would mark a good base set as
            // failed, and retention would stop counting it.
            throw new CenateException(ErrorIds.BaseBackupDrillUnavailable, CenateErrorKind.InvalidOperation,
                Messages.Format("Base.NoDrill", Path.GetFileName(full)), Messages.Get("Base.NoDrill.Action"), full);
        }
        var recordedLevel = level;
        if (level == VerificationLevel.PointInTime)
        {
            if (tools.PointInTime is null) throw new ArgumentException("The PointInTime level needs its options.", nameof(tools));
            if (manifest is null || BackupSetKinds.Effective(manifest) != BackupSetKind.Base || !member.IsManifest)
            {
                throw new CenateException(ErrorIds.PointInTimeDrillNeedsBase, CenateErrorKind.InvalidArgument,
                    Messages.Format("Pitr.DrillNeedsBase", Path.GetFileName(full)), Messages.Get("Pitr.DrillNeedsBase.Action"), full);
            }
            // The set is read as at Read (pg_verifybackup); the drill follows when that passed.
            level = VerificationLevel.Read;
        }
        var (report, files) = Plan(member, recordedLevel);

        string? drillDump = null;
        ArchiveContents? drillArchive = null;
        // The set's first dump is the one a Restore drill restores.
        var drillIndex = level == VerificationLevel.Restore
            ? files.FindIndex(f => (f.Entry?.Kind ?? BackupSetLocator.KindOf(f.Name)) == BackupFileKind.Dump)
            : -1;
        // Every file is read at once (each read is one or two threads: a dump's pg_restore and row count, a gzip's
        // inflate), so a set's dump, SQL and CSV keep both cores busy; the results are taken in the set's order.
        // At most one read more than there are cores (a set with many critical tables does not start them all at
        // once); a read that throws (not a problem found: a failure to read at all) stops the others.
        var done = 0;
        using var slots = new SemaphoreSlim(Environment.ProcessorCount + 1);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var checks = files.Select((f, i) => Task.Run(async () =>
        {
            await slots.WaitAsync(stop.Token).ConfigureAwait(false);
            try
            {
                var result = await CheckFileAsync(directory, f.Name, f.Entry, level, manifest, i == drillIndex, tools, reporter,
                    stop.Token).ConfigureAwait(false);
                var n = Interlocked.Increment(ref done);
                reporter.Progress(new OperationProgress(Activity, Messages.Format("Progress.VerificationService.Status", f.Name), n, files.Count));
                return result;
            }
            catch
            {
                stop.Cancel();
                throw;
            }
            finally
            {
                slots.Release();
            }
        }, CancellationToken.None)).ToList();
        try
        {
            await Task.WhenAll(checks).ConfigureAwait(false);
        }
        catch
        {
            cancellationToken.ThrowIfCancellationRequested();
            // The first real failure in the set's order (not the cancellations it caused), after every read has stopped.
            foreach (var c in checks) if (c.IsFaulted) await c.ConfigureAwait(false);
            throw;
        }
        for (var i = 0; i < files.Count; i++)
        {
            var (name, entry) = files[i];
            var result = checks[i].Result;
            report.Files.Add(name);
            report.Checks.AddRange(result.Checks);
            report.Problems.AddRange(result.Problems);
            if (result.CountDumpRows) DumpRowCountCheck.Apply(report, name, manifest!, result.Archive, reporter);
            if (result.Sha256 is not null && entry is not null)
            {
                report.Checks.Add($"sha256 {name}");
                if (!string.Equals(result.Sha256, entry.Sha256, StringComparison.OrdinalIgnoreCase))
                {
                    report.Problems.Add(new VerificationProblem(ProblemKind.ChecksumMismatch, name, $"sha256 is {result.Sha256}, the manifest says {entry.Sha256}"));
                }
            }
            if (i == drillIndex && result.Exists)
            {
                drillDump = entry?.DataOnly == true ? null : Path.Combine(directory, name);
                drillArchive = result.Archive;
            }
        }

        if (level == VerificationLevel.Restore)
        {
            await DrillAsync(report, manifest, files, drillDump, drillArchive, directory, tools, reporter, cancellationToken).ConfigureAwait(false);
        }

        if (tools.WalPath is { } walPath && manifest?.Base is { } baseFacts && BackupSetKinds.Effective(manifest) == BackupSetKind.Base
            && !report.Problems.Any(p => p.Kind != ProblemKind.ManifestMissing))
        {
            // Only once the set itself read well: its recorded range was then compared with the archive's own files.
            WalContinuity.Apply(report, walPath, baseFacts, Path.GetFileName(manifestPath ?? full));
        }

        if (recordedLevel == VerificationLevel.PointInTime && report.Problems.Count == 0)
        {
            await tools.PointInTime!(report, manifestPath!, manifest!, reporter, cancellationToken).ConfigureAwait(false);
        }

        if (drift is not null && manifest is not null && manifestPath is not null)
        {
            await RowDriftVerification.ApplyAsync(report, manifestPath, manifest, drift, reporter, cancellationToken)
                .ConfigureAwait(false);
        }

        // Passing means something was really checked: a lone file at Checksum level checked nothing.
        report.Passed = report.Checks.Count > 0 && report.Files.Count > 0 && report.Problems.All(p => p.Kind == ProblemKind.ManifestMissing);
        report.Duration = clock.Elapsed;

        if (manifest is not null && manifestPath == full)
        {
            // A failed point-in-time drill says nothing against the set, which read well: it is recorded as verified at Read.
            var record = recordedLevel == VerificationLevel.PointInTime && report.Problems.Any(p => p.Kind == ProblemKind.PointInTimeDrillFailed)
                ? VerificationLevel.Read : recordedLevel;
            RecordVerification(report, manifestPath, record, recordVerification, reporter);
        }
        reporter.Progress(new OperationProgress(Activity, Messages.Get("Progress.VerificationService.Status.2"), files.Count, files.Count));
        return report;
    }

    private const string Activity = "Test-CenateBackup";

    /// <summary>
    /// The report's header from the set, and the files to check: the whole set (its manifest), one file of a set, or a
    /// lone file that no manifest lists.
    /// </summary>
    private static (VerificationReport Report, List<(string Name, ManifestFile? Entry)> Files) Plan(BackupSetMember member,
        VerificationLevel level)
    {
        var manifest = member.Manifest;
        var report = new VerificationReport
        {
            ManifestPath = member.ManifestPath,
            Directory = Path.GetDirectoryName(member.Path)!,
            Database = manifest?.Database,
            Stamp = manifest?.Stamp,
            Level = level,
            At = DateTimeOffset.UtcNow,
            Source = manifest is null ? null : RecordedSource.DescribeSource(manifest.Source),
        };
        if (manifest is not null)
        {
            report.Age = DateTimeOffset.UtcNow
                - (BackupNaming.TryParseStamp(manifest.Stamp, out var t) ? t : manifest.StartedAt);
            var dump = manifest.Files.Where(f => f.Kind == BackupFileKind.Dump).OrderByDescending(f => f.Size)
                .FirstOrDefault();
            report.Size = dump?.Size ?? manifest.Files.Sum(f => f.Size);
            report.SizeFile = dump?.Name;
        }

        var files = new List<(string Name, ManifestFile? Entry)>();
        if (manifest is null)
        {
            report.Problems.Add(new VerificationProblem(ProblemKind.ManifestMissing, Path.GetFileName(member.Path),
                "no manifest lists this file, so its checksum is unknown"));
            files.Add((Path.GetFileName(member.Path), null));
        }
        else
        {
            if (!manifest.Complete)
            {
                report.Problems.Add(new VerificationProblem(ProblemKind.Incomplete, null, "the manifest says the set is incomplete"));
            }
            var only = member.IsManifest ? null : Path.GetFileName(member.Path);
            files.AddRange(manifest.Files.Where(f => only is null || f.Name == only)
                .Select(f => (f.Name, (ManifestFile?)f)));
        }
        return (report, files);
    }

    /// <summary>
    /// Writes the result into the set's manifest, under the directory lock
    /// (<see cref="BackupSetLocator.RecordVerification"/>): only when allowed (not under -WhatIf) and possible. On read-only storage the set is still verified; a warning says the
    /// record was not written. A passed check of a lower level does not erase a passed record of a higher one (a daily
    /// Checksum after the monthly drill): retention and offsite should still see that the set was restored once. A
    /// failure always counts.
    /// </summary>
    private static void RecordVerification(VerificationReport report, string manifestPath, VerificationLevel level, bool allowed, IOperationReporter reporter)
    {
        if (!allowed)
        {
            report.Checks.Add("the result was not recorded in the manifest (-WhatIf)");
            return;
        }
        var (passed, problems) = (report.IntegrityPassed, report.IntegrityProblems);
        var record = new ManifestVerification
        {
            Level = level.ToString(),
            At = report.At,
            Passed = passed,
            Problems = problems.Select(p => p.ToString()).ToList(),
            DrillDatabase = report.Drill?.ScratchDatabase,
            DrillServer = report.Drill?.Server,
            Seconds = Math.Round(report.Duration.TotalSeconds, 1),
            Location = Path.GetDirectoryName(manifestPath),
        };
        try
        {
            // A passed check of a lower level keeps a passed record of a higher one — made here: a record a copy brought
            // along from elsewhere gives way to any check made where the set now is.
            var outcome = BackupSetLocator.RecordVerification(manifestPath, record, previous => previous.Passed && passed
                && previous.MadeAt(record.Location!)
                && Enum.TryParse<VerificationLevel>(previous.Level, out var previousLevel) && previousLevel > level);
            if (outcome.Kept is { } kept) report.Checks.Add($"the manifest keeps its earlier {kept.Level} verification of {kept.At:u}");
            if (!outcome.Exists) reporter.Warning(Messages.Format("Warning.VerificationService.Removed", manifestPath));
            report.Recorded = outcome.Recorded;
        }
        catch (CenateException ex) when (ex.ErrorId is ErrorIds.PathNotWritable or ErrorIds.DiskFull or ErrorIds.WriteFailed or ErrorIds.BackupDirectoryBusy)
        {
            reporter.Warning(Messages.Format("Warning.VerificationService.NotRecorded", manifestPath, ex.Message));
        }
    }

    private static async Task DrillAsync(VerificationReport report, BackupManifest? manifest, List<(string Name, ManifestFile? Entry)> files, string? dumpPath,
        ArchiveContents? archive, string directory, RestoreToolOptions tools, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var dumpEntry = files.FirstOrDefault(f => (f.Entry?.Kind ?? BackupSetLocator.KindOf(f.Name)) == BackupFileKind.Dump);
        if (dumpEntry.Name is null)
        {
            report.Problems.Add(new VerificationProblem(ProblemKind.RestoreFailed, null, "the set has no dump to restore (CSV/SQL exports only); run the drill on a set made by New-CenateDump"));
            return;
        }
        if (dumpEntry.Entry?.DataOnly == true)
        {
            report.Problems.Add(new VerificationProblem(ProblemKind.RestoreFailed, dumpEntry.Name, "a data-only dump cannot be restored into an empty database; drill a full dump"));
            return;
        }
        // A set that failed the Checksum/Read checks is not restored anywhere: a dump whose checksum or size differs from
        // its manifest may have been replaced, and one that cannot be read is not worth a scratch database. No drill server
        // is contacted; the problems above say why (only a missing manifest, which is information, lets a lone dump on).
        var earlier = report.Problems.Where(p => p.Kind != ProblemKind.ManifestMissing).Select(p => p.Kind.ToString()).Distinct().ToList();
        if (dumpPath is null || earlier.Count > 0)
        {
            var why = earlier.Count > 0 ? string.Join(", ", earlier) : "the dump could not be read";
            report.Checks.Add($"restore drill skipped: the set failed the read ({why})");
            report.Problems.Add(new VerificationProblem(ProblemKind.RestoreFailed, dumpEntry.Name, $"not restored: the set failed the read ({why}; see the problems above), so no drill server was contacted"));
            return;
        }
        var options = tools.DrillFor!(manifest);
        if (manifest is not null && DrillServerDiffers(manifest.Source, options.Server) is { } differs)
        {
            // The manifest is data: it never chooses the drill server, it only says where the set came from.
            reporter.Warning(differs);
            report.Checks.Add(differs);
        }
        report.Drill = await RestoreDrill.RunAsync(Path.Combine(directory, dumpEntry.Name), manifest, archive, options, report.Problems, report.Checks, reporter, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A warning when the drill server (from the parameters) is not the server the manifest says the set was dumped from;
    /// null when they agree. Only a message: the manifest can be edited by anyone who can write the backup directory.
    /// </summary>
    public static string? DrillServerDiffers(ManifestSource source, DatabaseTarget drill)
    {
        if (RecordedSource.IsSameServer(source, drill)) return null;
        return Messages.Format("Warning.DrillServerDiffers", RecordedSource.DescribeSource(source),
            RecordedSource.DescribeServer(drill));
    }

    private static readonly System.Text.RegularExpressions.Regex s_dumpName = new(@"^(?<db>.+)_\d{8}_\d{6}\.dump$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>The database a lone dump's file name claims ("maestro_cenate_20261127_020000.dump"), or null.</summary>
    public static string? DatabaseFromFileName(string fileName)
    {
        var m = s_dumpName.Match(fileName);
        return m.Success ? m.Groups["db"].Value : null;
    }

    /// <summary>What reading one file found.</summary>
    /// <summary>What reading one file found (see <see cref="CheckFileAsync"/>).</summary>
    private sealed record FileCheck(bool Exists, List<string> Checks, List<VerificationProblem> Problems, string? Sha256,
        ArchiveContents? Archive, bool CountDumpRows);

    /// <summary>One file of the set at <paramref name="level"/>: there, its size, then read and hashed (or only hashed).</summary>
    private static async Task<FileCheck> CheckFileAsync(string directory, string name, ManifestFile? entry, VerificationLevel level,
        BackupManifest? manifest, bool drillThis, RestoreToolOptions tools, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var filePath = Path.Combine(directory, name);
        var checks = new List<string>();
        var problems = new List<VerificationProblem>();
        if (!File.Exists(filePath))
        {
            problems.Add(new VerificationProblem(ProblemKind.Missing, name, "the file is not there"));
            return new FileCheck(false, checks, problems, null, null, false);
        }
        var length = new FileInfo(filePath).Length;
        if (entry is not null && length != entry.Size)
        {
            problems.Add(new VerificationProblem(length < entry.Size ? ProblemKind.Truncated : ProblemKind.SizeMismatch, name,
                $"size {length} bytes, the manifest says {entry.Size}"));
        }
        if (level == VerificationLevel.Checksum)
        {
            var sum = entry is null ? null : await BackupSetLocator.Sha256Async(filePath, cancellationToken).ConfigureAwait(false);
            return new FileCheck(true, checks, problems, sum, null, false);
        }
        var kind = entry?.Kind ?? BackupSetLocator.KindOf(name);
        if (kind == BackupFileKind.Base)
        {
            var based = await BaseBackupVerifier.ReadAsync(filePath, entry is null ? null : manifest?.Base, tools, FileProgress(reporter, name, length), reporter, cancellationToken)
                .ConfigureAwait(false);
            checks.AddRange(based.Checks);
            problems.AddRange(based.Problems);
            return new FileCheck(true, checks, problems, based.Sha256, null, false);
        }
        var compressed = entry is null ? name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) : entry.Compression != "none";
        var countRows = drillThis || (level == VerificationLevel.Read && manifest is not null && entry is not null);
        FileRead read = kind == BackupFileKind.Dump
            ? await ReadDumpAsync(filePath, manifest?.Database ?? DatabaseFromFileName(name), countRows,
                tools, reporter, cancellationToken).ConfigureAwait(false)
            : await ReadDataFileAsync(filePath, kind, compressed, entry?.Rows, reporter, cancellationToken).ConfigureAwait(false);
        checks.Add(kind == BackupFileKind.Dump ? $"pg_restore read {name}" : compressed ? $"gzip read {name}" : $"read {name}");
        if (read.Problem is null && entry?.Rows is not null) checks.Add($"row count {name}");
        problems.AddRange(read.Problems);
        return new FileCheck(true, checks, problems, read.Sha256, read.Archive, countRows && !drillThis && kind == BackupFileKind.Dump);
    }

    private sealed record FileRead(string Sha256, List<VerificationProblem> Problems, ArchiveContents? Archive)
    {
        public VerificationProblem? Problem => Problems.FirstOrDefault();
    }

    private static Action<long> FileProgress(IOperationReporter reporter, string name, long size) =>
        read => reporter.Progress(new OperationProgress(Activity, Messages.Format("Progress.VerificationService.Status.3", name, read / (1024 * 1024), size / (1024 * 1024)), read, size));

    /// <summary>CSV/SQL exports: one pass that hashes, decompresses to the end and counts rows.</summary>
    private static async Task<FileRead> ReadDataFileAsync(string path, BackupFileKind kind, bool compressed, long? expectedRows, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(path);
        var problems = new List<VerificationProblem>();
        var length = new FileInfo(path).Length;
        await using var input = new ReadThroughStream(path, FileProgress(reporter, name, length));
        if (length == 0)
        {
            problems.Add(new VerificationProblem(ProblemKind.Unreadable, name, "the file is empty"));
        }
        else if (!compressed)
        {
            var rows = new RowTally(kind);
            var buffer = new byte[1 << 20];
            int n;
            while ((n = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0) rows.Add(buffer.AsSpan(0, n));
            if (rows.Judge(name, expectedRows) is { } p) problems.Add(p);
        }
        else if (await ReadGzipAsync(path, input, kind, expectedRows, cancellationToken).ConfigureAwait(false) is { } p)
        {
            problems.Add(p);
        }
        var sha = await input.FinishAsync(cancellationToken).ConfigureAwait(false);
        return new FileRead(sha, problems, null);
    }

    private static async Task<VerificationProblem?> ReadGzipAsync(string path, Stream input, BackupFileKind kind, long? expectedRows, CancellationToken cancellationToken)
    {
        var rows = new RowTally(kind);
        return await InflateToEndAsync(path, input, data => rows.Add(data), cancellationToken).ConfigureAwait(false)
            ?? rows.Judge(Path.GetFileName(path), expectedRows);
    }

    /// <summary>What receives the decompressed bytes of <see cref="InflateToEndAsync"/>.</summary>
    internal delegate void InflatedBytes(ReadOnlySpan<byte> data);

    /// <summary>
    /// Decompresses a gzip file (read through <paramref name="input"/>) to its end, handing every byte to
    /// <paramref name="consume"/>; a cut or damaged file is a problem, never a short success.
    /// </summary>
    internal static async Task<VerificationProblem?> InflateToEndAsync(string path, Stream input, InflatedBytes consume, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(path);
        try
        {
            var length = new FileInfo(path).Length;
            if (length < 18) return new VerificationProblem(ProblemKind.Truncated, name, $"only {length} bytes: shorter than any complete gzip file");
            // .NET's GZipStream returns end-of-data on a cut file instead of failing, so compare the number of
            // decompressed bytes with the ISIZE trailer (last 4 bytes, size mod 2^32): a cut file has no real trailer.
            var trailer = new byte[4];
            await using (var tail = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 16))
            {
                tail.Position = length - 4;
                await tail.ReadExactlyAsync(trailer, cancellationToken).ConfigureAwait(false);
            }
            var expected = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer);
            long total = 0;
            await using var gz = new GZipStream(input, CompressionMode.Decompress, leaveOpen: true);
            var buffer = new byte[1 << 20];
            int n;
            while ((n = await gz.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += n;
                consume(buffer.AsSpan(0, n));
            }
            return (uint)total != expected
                ? new VerificationProblem(ProblemKind.Truncated, name, $"the gzip stream ends early: {total} bytes decompressed, the trailer says {expected} (mod 2^32)")
                : null;
        }
        catch (InvalidDataException ex)
        {
            return new VerificationProblem(ProblemKind.Unreadable, name, "not valid gzip data: " + ex.Message);
        }
        catch (EndOfStreamException)
        {
            return new VerificationProblem(ProblemKind.Truncated, name, "the gzip stream ends early");
        }
        catch (IOException ex) when (ex.Message.Contains("unexpected end", StringComparison.OrdinalIgnoreCase))
        {
            return new VerificationProblem(ProblemKind.Truncated, name, "the gzip stream ends early");
        }
    }

    /// <summary>
    /// A dump: its header (is it an archive, of which database), then one pass in which pg_restore -f /dev/null reads
    /// the whole archive from stdin while the same bytes are hashed and — for a drill — counted row by row per table.
    /// </summary>
    private static async Task<FileRead> ReadDumpAsync(string path, string? expectedDatabase, bool countRows, RestoreToolOptions tools,
        IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(path);
        var problems = new List<VerificationProblem>();
        var length = new FileInfo(path).Length;
        if (length == 0)
        {
            problems.Add(new VerificationProblem(ProblemKind.Unreadable, name, "the file is empty"));
            return new FileRead(await BackupSetLocator.Sha256Async(path, cancellationToken).ConfigureAwait(false), problems, null);
        }
        ArchiveHeader? header = null;
        try
        {
            await using var head = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
            header = await CustomArchiveInspector.ReadHeaderAsync(head, cancellationToken).ConfigureAwait(false);
        }
        catch (CenateException ex)
        {
            // Without the PGDMP magic it is no archive at all; with it (an archive of a format this module does not
            // parse, a damaged header), pg_restore's own verdict is the precise one.
            if (!await StartsWithMagicAsync(path, cancellationToken).ConfigureAwait(false))
            {
                problems.Add(new VerificationProblem(ProblemKind.Unreadable, name, "not a pg_dump custom-format archive: " + ex.Message));
                return new FileRead(await BackupSetLocator.Sha256Async(path, cancellationToken).ConfigureAwait(false), problems, null);
            }
            reporter.Verbose($"The header of {name} could not be parsed ({ex.Message}); pg_restore judges it.");
        }
        if (header is not null && expectedDatabase is not null && !string.Equals(BackupNaming.Safe(header.DatabaseName), BackupNaming.Safe(expectedDatabase), StringComparison.Ordinal))
        {
            problems.Add(new VerificationProblem(ProblemKind.ForeignDatabase, name,
                $"the archive is a dump of database '{header.DatabaseName}' (pg_dump {header.PgDumpVersion}), not of '{expectedDatabase}'"));
        }

        // Three readers of the same file at once, each on its own core as far as there are cores (the file is in the
        // page cache after the first): pg_restore, the SHA-256, and — for a drill — the module's row counter.
        var hashing = BackupSetLocator.Sha256Async(path, cancellationToken);
        Task<ArchiveContents?> counting = Task.FromResult<ArchiveContents?>(null);
        if (countRows)
        {
            counting = Task.Run(async () =>
            {
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
                try
                {
                    return await CustomArchiveInspector.ReadAsync(stream, countRows: true, cancellationToken).ConfigureAwait(false);
                }
                catch (CenateException ex)
                {
                    reporter.Verbose($"The rows of {name} could not be counted: {ex.Message}");
                    return null;
                }
            }, CancellationToken.None);
        }

        PgToolResult result;
        try
        {
            if (tools.Container is null)
            {
                // The local pg_restore reads the file itself: no pipe in between.
                reporter.Verbose($"Reading {name} with the local pg_restore (archive {header?.FormatVersion ?? "?"}, pg_dump {header?.PgDumpVersion ?? "?"}).");
                reporter.Progress(new OperationProgress(Activity, Messages.Format("Progress.VerificationService.Status.4", name), 0, null));
                var local = new LocalPgToolRunner(tools.PgBinDirectory);
                result = await local.RunAsync(new PgToolInvocation("pg_restore", new[] { "--file=/dev/null", path }, new Dictionary<string, string>()), null, null, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                using var engine = new DockerEngine(tools.DockerHost);
                await engine.RequireRunningAsync(tools.Container, cancellationToken).ConfigureAwait(false);
                reporter.Verbose($"Reading {name} with pg_restore in container '{tools.Container}' (streamed on stdin).");
                var runner = new ContainerPgToolRunner(engine, tools.Container);
                await using var input = new ReadThroughStream(path, FileProgress(reporter, name, length), hash: false);
                result = await runner.RunAsync(new PgToolInvocation("pg_restore", new[] { "--file=/dev/null" }, new Dictionary<string, string>()), input, null, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            // Never leave a reader running behind an exception.
            try { await Task.WhenAll(hashing, counting).ConfigureAwait(false); } catch (Exception) when (cancellationToken.IsCancellationRequested) { }
        }
        var sha = await hashing.ConfigureAwait(false);
        var archive = await counting.ConfigureAwait(false);
        if (!result.Succeeded)
        {
            problems.Add(Classify(name, result.StandardError, tools.Container, header?.PgDumpVersion));
        }
        return new FileRead(sha, problems, archive);
    }

    private static string Major(string? version) => version is null ? "of the dump's version" : version.Split('.')[0];

    private static async Task<bool> StartsWithMagicAsync(string path, CancellationToken cancellationToken)
    {
        var magic = new byte[5];
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 16);
        var n = await fs.ReadAtLeastAsync(magic, 5, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return n == 5 && magic.AsSpan().SequenceEqual("PGDMP"u8);
    }

    private static VerificationProblem Classify(string name, string err, string? container, string? pgDumpVersion)
    {
        if (err.Contains("unsupported version", StringComparison.OrdinalIgnoreCase))
        {
            // Said of the container that was used: "verify in the server's container" does not help when that
            // container already runs an older PostgreSQL than the pg_dump that made the archive.
            var made = pgDumpVersion is null ? ": " : $" (pg_dump {pgDumpVersion}): ";
            var what = container is null
                ? " Verify in the server's container (-Container) or with a newer PostgreSQL client (-PgBinDirectory)."
                : $" The pg_restore in container '{container}' is older: verify in a container running PostgreSQL"
                  + $" {Major(pgDumpVersion)} or newer (-Container), e.g. the server's own, or with a newer PostgreSQL"
                  + " client (-PgBinDirectory).";
            return new VerificationProblem(ProblemKind.NewerArchiveVersion, name,
                "the archive was made by a newer pg_dump than this pg_restore" + made
                + ToolMessages.FirstLines(err, 2) + what);
        }
        if (err.Contains("input file is too short", StringComparison.OrdinalIgnoreCase) || err.Contains("does not appear to be a valid archive", StringComparison.OrdinalIgnoreCase)
            || err.Contains("did not find magic string", StringComparison.OrdinalIgnoreCase))
            return new VerificationProblem(ProblemKind.Unreadable, name, "not a pg_dump custom-format archive: " + ToolMessages.FirstLines(err, 2));
        if (err.Contains("end of file", StringComparison.OrdinalIgnoreCase) || err.Contains("unexpected EOF", StringComparison.OrdinalIgnoreCase)
            || err.Contains("could not read input file", StringComparison.OrdinalIgnoreCase))
            return new VerificationProblem(ProblemKind.Truncated, name, "the archive ends early: " + ToolMessages.FirstLines(err, 2));
        return new VerificationProblem(ProblemKind.Unreadable, name, "pg_restore cannot read it: " + ToolMessages.FirstLines(err, 2));
    }
}
