using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Dumps;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Tools;

namespace CenateBackup.Core.Verification;

/// <summary>Where pg_restore may run when a dump has to be read.</summary>
public sealed class RestoreToolOptions
{
    /// <summary>Container to run pg_restore in when the local one is missing or too old.</summary>
    public string? Container { get; init; }
    /// <summary>Docker endpoint.</summary>
    public string? DockerHost { get; init; }
    /// <summary>Local bin directory of pg_restore.</summary>
    public string? PgBinDirectory { get; init; }
}

/// <summary>Test-CenateBackup's checks: checksums against the manifest and full reads of every file.</summary>
public static class VerificationService
{
    /// <summary>
    /// Verifies the set a path points at: a manifest, or a backup file (its set's manifest is looked up
    /// beside it; without one, checksums are unknown and only the read runs).
    /// </summary>
    public static async Task<VerificationReport> VerifyPathAsync(string path, VerificationLevel level, RestoreToolOptions tools,
        IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new CenateException(ErrorIds.PathNotFound, CenateErrorKind.ObjectNotFound, $"'{full}' does not exist.",
                "Check -Path; list backup sets with Get-ChildItem <dir> -Filter *.manifest.json.", full);
        }
        var clock = Stopwatch.StartNew();
        var directory = Path.GetDirectoryName(full)!;
        string? manifestPath = full.EndsWith(".manifest.json", StringComparison.OrdinalIgnoreCase) ? full : FindManifestFor(full);
        BackupManifest? manifest = manifestPath is null ? null : BackupManifest.Load(manifestPath);

        var report = new VerificationReport
        {
            ManifestPath = manifestPath,
            Directory = directory,
            Database = manifest?.Database,
            Stamp = manifest?.Stamp,
            Level = level,
            At = DateTimeOffset.UtcNow,
        };

        var files = new List<(string Name, ManifestFile? Entry)>();
        if (manifest is null)
        {
            report.Problems.Add(new VerificationProblem(ProblemKind.ManifestMissing, Path.GetFileName(full), "no manifest lists this file, so its checksum is unknown"));
            files.Add((Path.GetFileName(full), null));
        }
        else
        {
            if (!manifest.Complete) report.Problems.Add(new VerificationProblem(ProblemKind.Incomplete, null, "the manifest says the set is incomplete"));
            var only = manifestPath == full ? null : Path.GetFileName(full);
            files.AddRange(manifest.Files.Where(f => only is null || f.Name == only).Select(f => (f.Name, (ManifestFile?)f)));
        }

        var index = 0;
        foreach (var (name, entry) in files)
        {
            index++;
            var filePath = Path.Combine(directory, name);
            report.Files.Add(name);
            reporter.Progress(new OperationProgress("Test-CenateBackup", $"Checking {name}", index - 1, files.Count));
            if (!File.Exists(filePath))
            {
                report.Problems.Add(new VerificationProblem(ProblemKind.Missing, name, "the file is not there"));
                continue;
            }
            var length = new FileInfo(filePath).Length;
            if (entry is not null)
            {
                if (length != entry.Size)
                {
                    report.Problems.Add(new VerificationProblem(length < entry.Size ? ProblemKind.Truncated : ProblemKind.SizeMismatch, name,
                        $"size {length} bytes, the manifest says {entry.Size}"));
                }
                var sha = await Sha256Async(filePath, cancellationToken).ConfigureAwait(false);
                report.Checks.Add($"sha256 {name}");
                if (!string.Equals(sha, entry.Sha256, StringComparison.OrdinalIgnoreCase))
                {
                    report.Problems.Add(new VerificationProblem(ProblemKind.ChecksumMismatch, name, $"sha256 is {sha}, the manifest says {entry.Sha256}"));
                }
            }
            if (level >= VerificationLevel.Read)
            {
                var kind = entry?.Kind ?? GuessKind(name);
                var compressed = entry is null ? name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) : entry.Compression != "none";
                var problem = kind == BackupFileKind.Dump
                    ? await ReadDumpAsync(filePath, tools, reporter, cancellationToken).ConfigureAwait(false)
                    : compressed
                        ? await ReadGzipAsync(filePath, kind, entry?.Rows, cancellationToken).ConfigureAwait(false)
                        : await ReadPlainAsync(filePath, kind, entry?.Rows, cancellationToken).ConfigureAwait(false);
                report.Checks.Add(kind == BackupFileKind.Dump ? $"pg_restore read {name}" : compressed ? $"gzip read {name}" : $"read {name}");
                if (problem is null && entry?.Rows is not null) report.Checks.Add($"row count {name}");
                if (problem is not null) report.Problems.Add(problem);
            }
        }
        // Passing means something was really checked: a lone file at Checksum level checked nothing.
        report.Passed = report.Checks.Count > 0 && report.Files.Count > 0 && report.Problems.All(p => p.Kind == ProblemKind.ManifestMissing);
        report.Duration = clock.Elapsed;

        if (manifest is not null && manifestPath == full)
        {
            manifest.Verification = new ManifestVerification
            {
                Level = level.ToString(),
                At = report.At,
                Passed = report.Passed,
                Problems = report.Problems.Select(p => p.ToString()).ToList(),
            };
            manifest.Save(manifestPath);
        }
        reporter.Progress(new OperationProgress("Test-CenateBackup", "Done", files.Count, files.Count));
        return report;
    }

    /// <summary>Finds the manifest in the same directory whose file list contains the file.</summary>
    public static string? FindManifestFor(string filePath)
    {
        var directory = Path.GetDirectoryName(filePath)!;
        var name = Path.GetFileName(filePath);
        foreach (var candidate in Directory.EnumerateFiles(directory, "*.manifest.json"))
        {
            try
            {
                var m = BackupManifest.Load(candidate);
                if (m.Files.Any(f => f.Name == name)) return candidate;
            }
            catch (CenateException) { /* a damaged manifest of another set is not this file's */ }
        }
        return null;
    }

    private static BackupFileKind GuessKind(string name) =>
        name.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase) ? BackupFileKind.Csv
        : name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? BackupFileKind.Csv
        : name.EndsWith(".sql.gz", StringComparison.OrdinalIgnoreCase) ? BackupFileKind.Sql
        : BackupFileKind.Dump;

    /// <summary>Lowercase hex SHA-256 of a file.</summary>
    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var hash = await SHA256.HashDataAsync(fs, cancellationToken).ConfigureAwait(false);
        return Convert.ToHexString(hash).ToLowerInvariant();
    }

    private static async Task<VerificationProblem?> ReadPlainAsync(string path, BackupFileKind kind, long? expectedRows, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(path);
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        if (fs.Length == 0) return new VerificationProblem(ProblemKind.Unreadable, name, "the file is empty");
        var rows = new RowTally(kind);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = await fs.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0) rows.Add(buffer.AsSpan(0, n));
        return rows.Judge(name, expectedRows);
    }

    /// <summary>Counts data rows of a CSV export (records after the header) or of a data-only SQL script (lines of its COPY blocks).</summary>
    private sealed class RowTally
    {
        private readonly BackupFileKind _kind;
        private readonly Formats.CsvRecordCounter _csv = new();
        private readonly byte[] _line = new byte[16];
        private int _lineLength;
        private bool _inCopy;
        private long _sqlRows;
        private bool _lastWasNewline = true;

        public RowTally(BackupFileKind kind) => _kind = kind;

        public void Add(ReadOnlySpan<byte> data)
        {
            if (data.Length == 0) return;
            _lastWasNewline = data[^1] == (byte)'\n';
            if (_kind == BackupFileKind.Csv) { _csv.Add(data); return; }
            if (_kind != BackupFileKind.Sql) return;
            // SQL: lines between "COPY … FROM stdin;" and "\." are rows. Only line starts matter: keep a line's first bytes.
            while (true)
            {
                var nl = data.IndexOf((byte)'\n');
                var part = nl < 0 ? data : data[..nl];
                var take = Math.Min(part.Length, _line.Length - _lineLength);
                part[..take].CopyTo(_line.AsSpan(_lineLength));
                _lineLength += take;
                if (nl < 0) return;
                EndLine();
                _lineLength = 0;
                data = data[(nl + 1)..];
            }
        }

        private void EndLine()
        {
            if (_inCopy)
            {
                if (_lineLength == 2 && _line[0] == (byte)'\\' && _line[1] == (byte)'.') _inCopy = false;
                else _sqlRows++;
            }
            else if (_lineLength >= 5 && _line[0] == (byte)'C' && _line[1] == (byte)'O' && _line[2] == (byte)'P' && _line[3] == (byte)'Y' && _line[4] == (byte)' ')
            {
                _inCopy = true;
            }
        }

        public VerificationProblem? Judge(string name, long? expected)
        {
            if (_kind == BackupFileKind.Csv && (_csv.InQuotes || !_lastWasNewline))
                return new VerificationProblem(ProblemKind.Truncated, name, "the CSV ends in the middle of a record");
            if (_kind == BackupFileKind.Sql && _inCopy)
                return new VerificationProblem(ProblemKind.Truncated, name, "the SQL script ends inside its COPY data (no end marker)");
            if (expected is null || _kind is not (BackupFileKind.Csv or BackupFileKind.Sql)) return null;
            var actual = _kind == BackupFileKind.Csv ? Math.Max(0, _csv.Records - 1) : _sqlRows;
            return actual == expected ? null
                : new VerificationProblem(ProblemKind.RowCountMismatch, name, $"{actual} rows in the file, the manifest says {expected}");
        }
    }

    private static async Task<VerificationProblem?> ReadGzipAsync(string path, BackupFileKind kind, long? expectedRows, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(path);
        try
        {
            await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
            if (fs.Length == 0) return new VerificationProblem(ProblemKind.Unreadable, name, "the file is empty");
            if (fs.Length < 18) return new VerificationProblem(ProblemKind.Truncated, name, $"only {fs.Length} bytes: shorter than any complete gzip file");
            // .NET's GZipStream returns end-of-data on a cut file instead of failing, so compare the number of
            // decompressed bytes with the ISIZE trailer (last 4 bytes, size mod 2^32): a cut file has no real trailer.
            var trailer = new byte[4];
            fs.Position = fs.Length - 4;
            await fs.ReadExactlyAsync(trailer, cancellationToken).ConfigureAwait(false);
            fs.Position = 0;
            var expected = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer);
            long total = 0;
            await using var gz = new GZipStream(fs, CompressionMode.Decompress);
            var buffer = new byte[1 << 20];
            var rows = new RowTally(kind);
            int n;
            while ((n = await gz.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += n;
                rows.Add(buffer.AsSpan(0, n));
            }
            if ((uint)total != expected)
                return new VerificationProblem(ProblemKind.Truncated, name, $"the gzip stream ends early: {total} bytes decompressed, the trailer says {expected} (mod 2^32)");
            return rows.Judge(name, expectedRows);
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

    private static async Task<VerificationProblem?> ReadDumpAsync(string path, RestoreToolOptions tools, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(path);
        if (new FileInfo(path).Length == 0) return new VerificationProblem(ProblemKind.Unreadable, name, "the file is empty");
        var args = new List<string> { "--file=/dev/null" };
        PgToolResult result;
        var local = new LocalPgToolRunner(tools.PgBinDirectory);
        if (tools.Container is null)
        {
            reporter.Verbose($"Reading {name} with the local pg_restore.");
            args.Add(path);
            result = await local.RunAsync(new PgToolInvocation("pg_restore", args, new Dictionary<string, string>()), null, null, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            using var engine = new DockerEngine(tools.DockerHost);
            await engine.RequireRunningAsync(tools.Container, cancellationToken).ConfigureAwait(false);
            reporter.Verbose($"Reading {name} with pg_restore in container '{tools.Container}' (streamed on stdin).");
            var runner = new ContainerPgToolRunner(engine, tools.Container);
            await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
            result = await runner.RunAsync(new PgToolInvocation("pg_restore", args, new Dictionary<string, string>()), input, null, cancellationToken).ConfigureAwait(false);
        }
        if (result.Succeeded) return null;
        var err = result.StandardError;
        if (err.Contains("unsupported version", StringComparison.OrdinalIgnoreCase))
            return new VerificationProblem(ProblemKind.NewerArchiveVersion, name, "the archive was made by a newer pg_dump than this pg_restore: " + ToolMessages.FirstLines(err, 2)
                + " Verify in the server's container (-Container) or with a newer PostgreSQL client.");
        if (err.Contains("input file is too short", StringComparison.OrdinalIgnoreCase) || err.Contains("does not appear to be a valid archive", StringComparison.OrdinalIgnoreCase)
            || err.Contains("did not find magic string", StringComparison.OrdinalIgnoreCase))
            return new VerificationProblem(ProblemKind.Unreadable, name, "not a pg_dump custom-format archive: " + ToolMessages.FirstLines(err, 2));
        if (err.Contains("end of file", StringComparison.OrdinalIgnoreCase) || err.Contains("unexpected EOF", StringComparison.OrdinalIgnoreCase)
            || err.Contains("could not read input file", StringComparison.OrdinalIgnoreCase))
            return new VerificationProblem(ProblemKind.Truncated, name, "the archive ends early: " + ToolMessages.FirstLines(err, 2));
        return new VerificationProblem(ProblemKind.Unreadable, name, "pg_restore cannot read it: " + ToolMessages.FirstLines(err, 2));
    }
}
