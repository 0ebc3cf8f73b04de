using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite.Rclone;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Verification;

namespace CenateBackup.Core.Offsite;

/// <summary>
/// Test-CenateBackup on a remote: the set (manifest and files) is downloaded into a private directory of this machine
/// and verified there exactly as a local set, at the level asked; the report names the remote. Nothing is written at
/// the remote (its manifest keeps the record the sync wrote).
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
                $"{directory.Join(name)} is not a backup set's manifest or file (no manifest there lists it).",
                $"List the sets with Get-CenateBackup -Path {directory}.", directory.Join(name));
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
        var manifestName = BackupNaming.FileNameOf(entry.ManifestPath);
        var staging = Path.Combine(Path.GetTempPath(), "cenate-remote-" + Guid.NewGuid().ToString("N"));
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(staging);
        else Directory.CreateDirectory(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
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
                var progress = new Progress<long>(b => reporter.Progress(new OperationProgress("Test-CenateBackup", $"Downloading {manifestName}", b, total)));
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
                reporter.Warning($"Could not remove the private download directory {staging}: {ex.Message}. Remove it by hand (it holds backup data).");
            }
        }
    }
}
