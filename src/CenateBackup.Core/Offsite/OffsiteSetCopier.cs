using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite.Directories;
using CenateBackup.Core.Offsite.Rclone;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Offsite;

/// <summary>
/// Copies one planned set whole: its files first, each verified where it landed, the manifest last. A set counts at
/// the destination only when its manifest is there, so a copy stopped at any point leaves nothing that looks complete;
/// the next run keeps the files that are already right, replaces the truncated ones, and never overwrites a different one.
/// </summary>
public static class OffsiteSetCopier
{
    internal const string DirectoryMethod = "sha256 of every file read back from the disk after fsync, page cache dropped";
    internal const string RemoteMethod = "rclone checksum sha256 --download (every file downloaded from the remote and hashed)";
    internal const string DownloadMethod = "sha256 of every downloaded file read back from the disk after fsync, page cache dropped";

    /// <summary>Copies <paramref name="item"/> as <paramref name="plan"/> says. Throws on failure; no manifest is written then.</summary>
    public static async Task<OffsiteSetOutcome> CopyAsync(OffsiteSyncPlan plan, OffsiteCopyItem item, IOperationReporter reporter,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(item);
        var clock = Stopwatch.StartNew();
        var set = item.Set;
        var name = BackupNaming.FileNameOf(set.ManifestPath);
        var progress = new SetProgress(plan, reporter, name);
        var request = plan.Request;
        if (request.Destination.Remote is null && plan.DestinationIsTarget)
        {
            // Room for what is not there yet, checked before the lock or anything else is written on the disk.
            var missing = set.Manifest.Files.Where(f => plan.DestinationSize(f.Name) != f.Size).Sum(f => f.Size);
            await RequireTargetSpaceAsync(plan, missing, cancellationToken).ConfigureAwait(false);
        }
        OffsiteSyncPlanner.OpenPendingDestination(plan);
        string method;
        long moved;
        if (request.Destination.Remote is { } remote)
        {
            moved = await UploadAsync(plan, item, remote, progress, reporter, cancellationToken).ConfigureAwait(false);
            method = RemoteMethod;
        }
        else if (request.Source.Remote is { } from)
        {
            moved = await DownloadAsync(plan, item, from, progress, reporter, cancellationToken).ConfigureAwait(false);
            method = DownloadMethod;
        }
        else
        {
            moved = await CopyToDirectoryAsync(plan, item, progress, reporter, cancellationToken).ConfigureAwait(false);
            method = DirectoryMethod;
        }
        var manifest = CopyManifest(set.Manifest, request.Source.ToString(), method, clock.Elapsed, request.Destination.ToString());
        await WriteManifestAsync(plan, name, manifest, cancellationToken).ConfigureAwait(false);
        plan.DoneBytes += item.Bytes;
        reporter.Verbose($"Copied {name} to {request.Destination}: {moved} bytes moved, {set.Manifest.Files.Count} files verified ({method}).");
        return new OffsiteSetOutcome(set, OffsiteStatus.Copied, OffsiteSyncPlanner.PathAtDestination(plan, name), moved, clock.Elapsed, method,
            item.Reason, null);
    }

    /// <summary>The manifest the copy gets: the source's, with the check made at the destination as its verification.</summary>
    internal static BackupManifest CopyManifest(BackupManifest source, string from, string method, TimeSpan elapsed, string location)
    {
        var copy = BackupManifest.Parse(source.ToJson(), "the source manifest");
        var now = DateTimeOffset.UtcNow;
        copy.Verification = new ManifestVerification
        {
            Level = "Checksum", At = now, Passed = true, Seconds = Math.Round(elapsed.TotalSeconds, 3), Location = location,
        };
        copy.Copy = new ManifestCopy { From = from, At = now, Method = method, SourceVerification = source.Verification };
        return copy;
    }

    private static async Task<long> CopyToDirectoryAsync(OffsiteSyncPlan plan, OffsiteCopyItem item, SetProgress progress,
        IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var destination = plan.Request.Destination.Directory!;
        var sourceDirectory = plan.Request.Source.Directory!;
        var pending = await SettleLocalLeftoversAsync(plan, item, reporter, cancellationToken).ConfigureAwait(false);
        await RequireTargetSpaceAsync(plan, pending.Sum(f => f.Size), cancellationToken).ConfigureAwait(false);
        long moved = 0;
        foreach (var file in pending)
        {
            var result = await VerifiedFileCopy.CopyAsync(Path.Combine(sourceDirectory, file.Name), destination, file.Name, file.Sha256,
                progress.For(file), cancellationToken).ConfigureAwait(false);
            moved += result.Bytes;
            progress.Finished(file);
        }
        return moved;
    }

    private static async Task<long> DownloadAsync(OffsiteSyncPlan plan, OffsiteCopyItem item, RemoteLocation from, SetProgress progress,
        IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var destination = plan.Request.Destination.Directory!;
        var pending = await SettleLocalLeftoversAsync(plan, item, reporter, cancellationToken).ConfigureAwait(false);
        await RequireTargetSpaceAsync(plan, pending.Sum(f => f.Size), cancellationToken).ConfigureAwait(false);
        if (pending.Count == 0) return 0;
        await plan.Rclone!.DownloadAsync(from, pending.Select(f => f.Name).ToList(), destination, progress.Whole(pending), cancellationToken)
            .ConfigureAwait(false);
        DirectorySync.Fsync(destination);
        var bad = new List<string>();
        foreach (var file in pending)
        {
            var path = Path.Combine(destination, file.Name);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var sha = await VerifiedFileCopy.ReadBackSha256Async(path, cancellationToken).ConfigureAwait(false);
            if (string.Equals(sha, file.Sha256, StringComparison.OrdinalIgnoreCase)) continue;
            bad.Add(file.Name);
            File.Delete(path);
        }
        if (bad.Count > 0)
        {
            throw new CenateException(ErrorIds.RemoteChecksumMismatch, CenateErrorKind.InvalidData,
                Messages.Format("RemoteChecksumMismatch", string.Join(", ", bad), from),
                Messages.Get("RemoteChecksumMismatch.Action"),
                from.ToString());
        }
        return pending.Sum(f => f.Size);
    }

    private static async Task<long> UploadAsync(OffsiteSyncPlan plan, OffsiteCopyItem item, RemoteLocation remote, SetProgress progress,
        IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var rclone = plan.Rclone!;
        var files = item.Set.Manifest.Files;
        var listing = (await rclone.ListAsync(remote, cancellationToken).ConfigureAwait(false) ?? Array.Empty<RemoteFile>())
            .ToDictionary(f => f.Name, StringComparer.Ordinal);
        var shorter = files.Where(f => listing.TryGetValue(f.Name, out var r) && r.Size < f.Size).ToList();
        var truncated = new List<string>();
        if (shorter.Count > 0)
        {
            // A killed upload leaves the start of the file under its final name: the remote file's sha256 (downloaded)
            // must equal that of the same number of bytes at the start of the set's file; anything else is not ours.
            var starts = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var f in shorter)
            {
                starts[f.Name] = await PrefixSha256Async(Path.Combine(plan.Request.Source.Directory!, f.Name), listing[f.Name].Size, cancellationToken)
                    .ConfigureAwait(false);
            }
            var prefix = await rclone.ChecksumAsync(remote, starts, cancellationToken).ConfigureAwait(false);
            if (prefix.Differ.Count > 0 && !item.Repair) throw FileConflict(plan, prefix.Differ);
            truncated.AddRange(prefix.Matched.Concat(prefix.Differ));
        }
        var larger = files.Where(f => listing.TryGetValue(f.Name, out var r) && r.Size > f.Size).Select(f => f.Name).ToList();
        if (larger.Count > 0 && !item.Repair) throw FileConflict(plan, larger);
        truncated.AddRange(larger);
        var sameSize = files.Where(f => listing.TryGetValue(f.Name, out var r) && r.Size == f.Size).ToList();
        var keep = new HashSet<string>(StringComparer.Ordinal);
        if (sameSize.Count > 0)
        {
            // Left by a copy that stopped before its manifest: keep what is right, never overwrite what differs — unless
            // the set's own manifest is there (a repair): then a wrong file is this set's damaged copy.
            var check = await rclone.ChecksumAsync(remote, sameSize.ToDictionary(f => f.Name, f => f.Sha256), cancellationToken).ConfigureAwait(false);
            if (check.Differ.Count > 0 && !item.Repair) throw FileConflict(plan, check.Differ);
            truncated.AddRange(check.Differ);
            keep.UnionWith(check.Matched);
        }
        if (truncated.Count > 0)
        {
            reporter.Verbose($"Removing {truncated.Count} file(s) at {remote} left by a stopped copy or damaged: {string.Join(", ", truncated)}.");
            await rclone.DeleteAsync(remote, truncated, cancellationToken).ConfigureAwait(false);
        }
        var pending = files.Where(f => !keep.Contains(f.Name)).ToList();
        if (pending.Count > 0)
        {
            await rclone.UploadAsync(plan.Request.Source.Directory!, pending.Select(f => f.Name).ToList(), remote, progress.Whole(pending),
                cancellationToken).ConfigureAwait(false);
        }
        var verify = await rclone.ChecksumAsync(remote, files.ToDictionary(f => f.Name, f => f.Sha256), cancellationToken).ConfigureAwait(false);
        if (!verify.Passed)
        {
            // Written by this run and wrong: removed, so the next run copies them again instead of calling them a conflict.
            var wrong = verify.Differ.Concat(verify.Missing).ToList();
            await rclone.DeleteAsync(remote, verify.Differ.ToList(), cancellationToken).ConfigureAwait(false);
            throw new CenateException(ErrorIds.RemoteChecksumMismatch, CenateErrorKind.InvalidData,
                Messages.Format("RemoteChecksumMismatch.2", string.Join(", ", wrong), remote),
                Messages.Get("RemoteChecksumMismatch.Action.2"),
                remote.ToString());
        }
        return pending.Sum(f => f.Size);
    }

    // Files of the set already at a destination directory (no manifest there, or one with files missing): a right one is
    // kept, a shorter one (a stopped copy) and stale partial files are removed, a different one stops the set.
    private static async Task<List<ManifestFile>> SettleLocalLeftoversAsync(OffsiteSyncPlan plan, OffsiteCopyItem item,
        IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var set = item.Set;
        var destination = plan.Request.Destination.Directory!;
        var pending = new List<ManifestFile>();
        var conflicts = new List<string>();
        foreach (var file in set.Manifest.Files)
        {
            foreach (var partial in Directory.EnumerateFiles(destination, file.Name + ".*" + PartialFile.Suffix))
            {
                File.Delete(partial);
                reporter.Verbose($"Removed {Path.GetFileName(partial)}, left by a copy that was stopped.");
            }
            var path = Path.Combine(destination, file.Name);
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                pending.Add(file);
                continue;
            }
            var length = info.Length;
            if (length < file.Size && (item.Repair || await IsStartOfSourceAsync(plan, path, file.Name, length, cancellationToken).ConfigureAwait(false)))
            {
                info.Delete();
                reporter.Verbose($"Removed {file.Name} ({length} of {file.Size} bytes), left by a copy that was stopped.");
                pending.Add(file);
                continue;
            }
            var sha = length == file.Size ? await VerifiedFileCopy.ReadBackSha256Async(path, cancellationToken).ConfigureAwait(false) : "";
            if (string.Equals(sha, file.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                reporter.Verbose($"{file.Name} is already at the destination and matches the manifest; kept.");
                continue;
            }
            if (item.Repair)
            {
                // The set's own manifest is there: this is its damaged copy, replaced.
                info.Delete();
                reporter.Verbose($"Removed {file.Name}: this set's copy there does not match its manifest; copied again.");
                pending.Add(file);
                continue;
            }
            conflicts.Add(file.Name);
        }
        if (conflicts.Count > 0) throw FileConflict(plan, conflicts);
        return pending;
    }

    private static async Task<string> PrefixSha256Async(string path, long length, CancellationToken cancellationToken)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long done = 0;
        while (done < length)
        {
            var n = await fs.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - done)), cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            sha.AppendData(buffer, 0, n);
            done += n;
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    // A shorter file is what a stopped copy leaves only when its bytes are the start of the set's file; anything else of
    // that name is someone else's and is never replaced. On the way home a stopped download leaves nothing under the
    // final name (it lands in a private staging directory first), so a shorter file there is never one of ours.
    private static async Task<bool> IsStartOfSourceAsync(OffsiteSyncPlan plan, string path, string name, long length,
        CancellationToken cancellationToken)
    {
        if (plan.Request.Source.Directory is not { } sourceDirectory) return false;
        const int Block = 1 << 20;
        await using var left = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, Block, FileOptions.SequentialScan);
        await using var right = new FileStream(Path.Combine(sourceDirectory, name), FileMode.Open, FileAccess.Read, FileShare.Read, Block,
            FileOptions.SequentialScan);
        var a = new byte[Block];
        var b = new byte[Block];
        long done = 0;
        while (done < length)
        {
            var want = (int)Math.Min(Block, length - done);
            await left.ReadExactlyAsync(a.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
            await right.ReadExactlyAsync(b.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
            if (!a.AsSpan(0, want).SequenceEqual(b.AsSpan(0, want))) return false;
            done += want;
        }
        return true;
    }

    private static async Task RequireTargetSpaceAsync(OffsiteSyncPlan plan, long bytes, CancellationToken cancellationToken)
    {
        if (!plan.DestinationIsTarget) return;
        // Checked again for every set: the disk may have been unplugged, or filled by another set, since the plan.
        plan.TargetState = await DirectoryTarget.CheckAsync(plan.Request.Destination.Directory!,
            plan.Request.Target with { RequireMarker = true }, cancellationToken).ConfigureAwait(false);
        DirectoryTarget.RequireSpace(plan.TargetState, bytes);
    }

    private static async Task WriteManifestAsync(OffsiteSyncPlan plan, string name, BackupManifest manifest, CancellationToken cancellationToken)
    {
        if (plan.Request.Destination.Remote is not { } remote)
        {
            var directory = plan.Request.Destination.Directory!;
            manifest.Save(Path.Combine(directory, name));
            return;
        }
        var staging = Directory.CreateTempSubdirectory("cenate-offsite-").FullName;   // 0700 on Unix
        try
        {
            manifest.Save(Path.Combine(staging, name));
            // The set's own manifest already there (a set repaired): uploads never overwrite (--immutable), so it goes
            // first; until the new one is up the set does not count there, which is the truth while it is re-checked.
            if (plan.DestinationScan.Sets.Any(s => BackupNaming.FileNameOf(s.ManifestPath) == name))
            {
                await plan.Rclone!.DeleteAsync(remote, new[] { name }, cancellationToken).ConfigureAwait(false);
            }
            await plan.Rclone!.UploadAsync(staging, new[] { name }, remote, null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    // At a remote this is the conflict rclone's --immutable guards against, and carries its id (RemoteFileConflict), found
    // before rclone runs; at a directory target, OffsiteFileConflict.
    private static CenateException FileConflict(OffsiteSyncPlan plan, IReadOnlyCollection<string> names) => new(
        plan.Request.Destination.IsRemote ? ErrorIds.RemoteFileConflict : ErrorIds.OffsiteFileConflict,
        CenateErrorKind.ResourceExists,
        Messages.Format("OffsiteFileConflict.Content", plan.Request.Destination, string.Join(", ", names)),
        Messages.Get("OffsiteFileConflict.Action.2"),
        plan.Request.Destination.Text);

    /// <summary>Turns per-file byte counts into the progress bar of the whole run.</summary>
    private sealed class SetProgress
    {
        private readonly OffsiteSyncPlan _plan;
        private readonly IOperationReporter _reporter;
        private readonly string _set;
        private long _setDone;

        public SetProgress(OffsiteSyncPlan plan, IOperationReporter reporter, string set)
        {
            _plan = plan;
            _reporter = reporter;
            _set = set;
        }

        public IProgress<long> For(ManifestFile file) => new Reporter(this,
            Messages.Format("Progress.OffsiteSetCopier.File", file.Name));

        public IProgress<long> Whole(IReadOnlyCollection<ManifestFile> files) => new Reporter(this,
            Messages.Format("Progress.OffsiteSetCopier.Set", _set, files.Count));

        public void Finished(ManifestFile file) => _setDone += file.Size;

        private void Report(string status, long bytes) => _reporter.Progress(new OperationProgress(Messages.Get("Progress.OffsiteSetCopier"), status,
            _plan.DoneBytes + _setDone + bytes, Math.Max(1, _plan.TotalBytes)));

        private sealed class Reporter : IProgress<long>
        {
            private readonly SetProgress _owner;
            private readonly string _status;

            public Reporter(SetProgress owner, string status)
            {
                _owner = owner;
                _status = status;
            }

            public void Report(long value) => _owner.Report(_status, value);
        }
    }
}
