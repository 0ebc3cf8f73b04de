using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite.Rclone;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Verification;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Offsite;

/// <summary>
/// Test-CenateBackup on a remote. Checksum: `rclone checksum sha256 --download` hashes every file as it comes down,
/// nothing is stored here. Read and Restore: the set (manifest and files) is downloaded into a private directory of
/// this machine and verified there exactly as a local set; the report names the remote. Nothing is written at the
/// remote (its manifest keeps the record the sync wrote).
/// </summary>
public static class RemoteSetVerifier
{
    /// <summary>Verifies the set whose manifest (or one of whose files) is <paramref name="name"/> at <paramref name="directory"/>.</summary>
    public static async Task<VerificationReport> VerifyAsync(RcloneClient rclone, RemoteLocation directory, string name,
        VerificationLevel level, RestoreToolOptions tools, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var store = new RcloneBackupStore(rclone, directory);
        var scan = await Task.Run(() =>
        {
            store.RequireExists();
            return store.Scan();
        }, cancellationToken).ConfigureAwait(false);
        var entry = scan.Sets.FirstOrDefault(s => BackupNaming.FileNameOf(s.ManifestPath) == name)
            ?? scan.Sets.FirstOrDefault(s => s.Manifest.Files.Any(f => f.Name == name))
            ?? throw new CenateException(ErrorIds.PathNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("PathNotFound.4", directory.Join(name)),
                Messages.Format("PathNotFound.Action.4", directory), directory.Join(name));
        return await VerifyEntryAsync(rclone, directory, entry, level, tools, reporter, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Monitoring of a remote directory: the newest complete set, fresh, big enough, passing the level.</summary>
    public static Task<VerificationReport> MonitorAsync(RcloneClient rclone, RemoteLocation directory, MonitorRequest request,
        RestoreToolOptions tools, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var remote = new MonitorRequest
        {
            Directory = directory.ToString(),
            Database = request.Database,
            Kinds = request.Kinds,
            MaxAge = request.MaxAge,
            MinimumSize = request.MinimumSize,
            Level = request.Level,
            RecordVerification = false,
            Store = new RcloneBackupStore(rclone, directory),
            VerifySet = (entry, token) => VerifyEntryAsync(rclone, directory, entry, request.Level, tools, reporter, token),
        };
        return BackupMonitor.EvaluateAsync(remote, tools, reporter, cancellationToken);
    }

    private static async Task<VerificationReport> VerifyEntryAsync(RcloneClient rclone, RemoteLocation directory, CatalogEntry entry,
        VerificationLevel level, RestoreToolOptions tools, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        if (level == VerificationLevel.Checksum) return await ChecksumAsync(rclone, directory, entry, reporter, cancellationToken).ConfigureAwait(false);
        try
        {
            return await DownloadAndVerifyAsync(rclone, directory, entry, level, tools, reporter, cancellationToken).ConfigureAwait(false);
        }
        catch (CenateException ex) when (ex.ErrorId is ErrorIds.RcloneFailed or ErrorIds.RcloneFatal)
        {
            // A file that cannot be downloaded may be damaged (a crypt block that no longer authenticates): if the
            // checksum run names files that differ, that is the verdict; otherwise the remote itself failed.
            var check = await ChecksumAsync(rclone, directory, entry, reporter, cancellationToken).ConfigureAwait(false);
            if (check.Problems.Count == 0) throw;
            check.Checks.Add($"the download for the {level} level failed ({ex.Message}); the checksum run found why");
            return check;
        }
    }

    /// <summary>
    /// The Checksum level at a remote without a local copy: `rclone checksum sha256 --download` hashes every file as it
    /// comes down (through the crypt layer for a crypt remote, which also proves the password still decrypts).
    /// </summary>
    private static async Task<VerificationReport> ChecksumAsync(RcloneClient rclone, RemoteLocation directory, CatalogEntry entry,
        IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var manifest = entry.Manifest;
        var dump = manifest.Files.Where(f => f.Kind == BackupFileKind.Dump).OrderByDescending(f => f.Size).FirstOrDefault();
        var report = new VerificationReport
        {
            ManifestPath = entry.ManifestPath,
            Directory = directory.ToString(),
            Database = manifest.Database,
            Stamp = manifest.Stamp,
            Level = VerificationLevel.Checksum,
            At = DateTimeOffset.UtcNow,
            Source = RecordedSource.DescribeSource(manifest.Source),
            Age = DateTimeOffset.UtcNow - entry.Time,
            Size = dump?.Size ?? manifest.Files.Sum(f => f.Size),
            SizeFile = dump?.Name,
        };
        if (!manifest.Complete) report.Problems.Add(new VerificationProblem(ProblemKind.Incomplete, null, "the manifest says the set is incomplete"));
        foreach (var f in manifest.Files)
        {
            report.Files.Add(f.Name);
            if (entry.MissingFiles.Contains(f.Name)) report.Problems.Add(new VerificationProblem(ProblemKind.Missing, f.Name, "the file is not at the remote"));
        }
        var present = manifest.Files.Where(f => !entry.MissingFiles.Contains(f.Name)).ToDictionary(f => f.Name, f => f.Sha256, StringComparer.Ordinal);
        reporter.Verbose($"rclone checksum sha256 --download of {present.Count} file(s) of {BackupNaming.FileNameOf(entry.ManifestPath)} at {directory}.");
        var check = present.Count == 0 ? new ChecksumReport(Array.Empty<string>(), Array.Empty<string>(), Array.Empty<string>())
            : await rclone.ChecksumAsync(directory, present, cancellationToken).ConfigureAwait(false);
        foreach (var name in check.Matched) report.Checks.Add($"sha256 {name} (downloaded from {directory})");
        foreach (var name in check.Differ)
        {
            report.Problems.Add(new VerificationProblem(ProblemKind.ChecksumMismatch, name,
                "the bytes downloaded from the remote do not match the manifest's sha256 (or could not be decrypted)"));
        }
        foreach (var name in check.Missing) report.Problems.Add(new VerificationProblem(ProblemKind.Missing, name, "the file is not at the remote"));
        report.Passed = report.Checks.Count > 0 && report.Files.Count > 0 && report.Problems.Count == 0;
        report.Duration = clock.Elapsed;
        return report;
    }

    private static async Task<VerificationReport> DownloadAndVerifyAsync(RcloneClient rclone, RemoteLocation directory, CatalogEntry entry,
        VerificationLevel level, RestoreToolOptions tools, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var manifestName = BackupNaming.FileNameOf(entry.ManifestPath);
        var staging = Directory.CreateTempSubdirectory("cenate-remote-").FullName;   // 0700 on Unix
        try
        {
            // The manifest as read at the remote (not re-fetched: the one the set was chosen by).
            File.WriteAllText(Path.Combine(staging, manifestName), entry.Manifest.ToJson());
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(staging, manifestName), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var present = entry.Manifest.Files.Select(f => f.Name).Where(n => !entry.MissingFiles.Contains(n)).ToList();
            reporter.Verbose($"Downloading {present.Count} file(s) of {manifestName} from {directory} into {staging} to verify them.");
            if (present.Count > 0)
            {
                long total = entry.Manifest.Files.Where(f => present.Contains(f.Name)).Sum(f => f.Size);
                var progress = new Progress<long>(b => reporter.Progress(new OperationProgress(Messages.Get("Progress.RemoteSetVerifier"), Messages.Format("Progress.RemoteSetVerifier.Status", manifestName), b, total)));
                await rclone.DownloadAsync(directory, present, staging, progress, cancellationToken).ConfigureAwait(false);
            }
            var local = await VerificationService.VerifyPathAsync(Path.Combine(staging, manifestName), level, tools, reporter, cancellationToken,
                recordVerification: false).ConfigureAwait(false);
            var report = local.Relocated(entry.ManifestPath, directory.ToString());
            report.Checks.Insert(0, $"downloaded from {directory} with rclone (the copy at the remote was read, not a local one)");
            report.Recorded = false;
            return report;
        }
        finally
        {
            try
            {
                Directory.Delete(staging, recursive: true);
            }
            catch (IOException ex)
            {
                reporter.Warning(Messages.Format("Warning.RemoteSetVerifier.Staging", staging, ex.Message));
            }
        }
    }
}
