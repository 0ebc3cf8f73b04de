using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite.Directories;
using CenateBackup.Core.Offsite.Rclone;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Verification;

namespace CenateBackup.Core.Offsite;

/// <summary>What copying the WAL archive offsite did (one result for the whole archive).</summary>
/// <param name="Status">Copied, AlreadyPresent, WouldCopy or Failed.</param>
/// <param name="Destination">The archive's directory at the destination (&lt;destination&gt;/wal).</param>
/// <param name="FileCount">Files of the archive considered (complete segments, timeline histories, the marker).</param>
/// <param name="TotalSize">Their bytes.</param>
/// <param name="Copied">Files copied this time.</param>
/// <param name="Bytes">Bytes copied this time.</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="Verification">How the copies were checked.</param>
/// <param name="Reason">What was done and why.</param>
/// <param name="Error">The failure (Failed only).</param>
public sealed record OffsiteWalOutcome(OffsiteStatus Status, string Destination, int FileCount, long TotalSize, int Copied, long Bytes,
    TimeSpan Elapsed, string? Verification, string Reason, CenateException? Error);

/// <summary>What copying the WAL archive would do: the files the destination lacks, or a conflict.</summary>
public sealed class OffsiteWalPlan(string walDirectory, OffsiteLocation destination, string target, int fileCount, long totalSize)
{
    /// <summary>The local WAL archive.</summary>
    public string WalDirectory { get; } = walDirectory;
    /// <summary>The destination (a directory or a remote).</summary>
    public OffsiteLocation Destination { get; } = destination;
    /// <summary>The archive's directory there.</summary>
    public string Target { get; } = target;
    /// <summary>Files considered.</summary>
    public int FileCount { get; } = fileCount;
    /// <summary>Their bytes.</summary>
    public long TotalSize { get; } = totalSize;
    /// <summary>The files to copy.</summary>
    public List<FileInfo> Missing { get; } = new();
    /// <summary>Their bytes.</summary>
    public long Bytes => Missing.Sum(f => f.Length);
    /// <summary>A file there of another size (nothing is then copied).</summary>
    public CenateException? Conflict { get; set; }
}

/// <summary>
/// Sync-CenateOffsite -WalPath: the WAL archive goes with the base backups, into &lt;destination&gt;/wal, so an offsite
/// base backup can be rolled forward too. Only complete segments (a .partial one waits until pg_receivewal completes
/// it), timeline history files and the archive's marker are copied; a file already there with the same size is kept
/// (WAL segments never change once complete), one of another size is a conflict and is never overwritten. Every file
/// copied is read back and compared with its SHA-256 here (a USB/NAS directory), or checked by rclone by downloading
/// it (a remote). Nothing is deleted at the destination: Remove-CenateOldBackup -WalPath on the target does that.
/// </summary>
public static partial class OffsiteWalSync
{
    /// <summary>The subdirectory of a destination that holds the WAL archive.</summary>
    public const string Subdirectory = "wal";

    /// <summary>What the destination lacks (nothing is copied): the plan the caller asks about, then passes to <see cref="CopyAsync"/>.</summary>
    public static async Task<OffsiteWalPlan> PlanAsync(string walDirectory, OffsiteLocation destination, RcloneOptions rclone, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!Directory.Exists(walDirectory))
        {
            throw new CenateException(ErrorIds.PathNotFound, CenateErrorKind.ObjectNotFound, Messages.Format("Pitr.NoWalPath", walDirectory),
                Messages.Get("Pitr.NoArchive.Action"), walDirectory);
        }
        var files = Directory.EnumerateFiles(walDirectory)
            .Select(f => new FileInfo(f))
            .Where(f => CopiedName().IsMatch(f.Name) || f.Name == WalContinuity.MarkerFile)
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        var target = destination.IsRemote ? RemoteDirectory(destination).ToString() : Path.Combine(destination.Directory!, Subdirectory);
        var plan = new OffsiteWalPlan(walDirectory, destination, target, files.Count, files.Sum(f => f.Length));
        var present = await PresentAsync(destination, rclone, ct).ConfigureAwait(false);
        // Two clusters' WAL never mix in one directory: segment names repeat across clusters (a cluster made again after
        // a disaster starts its names over), and a segment there would be taken for this one's.
        var localMarker = Path.Combine(walDirectory, WalContinuity.MarkerFile);
        if (present.ContainsKey(WalContinuity.MarkerFile) && File.Exists(localMarker)
            && SystemOf(await File.ReadAllTextAsync(localMarker, ct).ConfigureAwait(false)) is { } here
            && SystemOf(await MarkerAtAsync(destination, rclone, ct).ConfigureAwait(false)) is { } there && here != there)
        {
            plan.Conflict = new CenateException(ErrorIds.WalArchiveForeign, CenateErrorKind.InvalidOperation,
                Messages.Format("OffsiteWal.Foreign", target, there, here), Messages.Get("OffsiteWal.Conflict.Action"), target);
            return plan;
        }
        foreach (var f in files)
        {
            if (!present.TryGetValue(f.Name, out var size))
            {
                plan.Missing.Add(f);
            }
            else if (size != f.Length && f.Name != WalContinuity.MarkerFile && plan.Conflict is null)
            {
                plan.Conflict = new CenateException(ErrorIds.RemoteFileConflict, CenateErrorKind.ResourceExists,
                    Messages.Format("OffsiteWal.Conflict", f.Name, target, size, f.Length), Messages.Get("OffsiteWal.Conflict.Action"), target);
            }
        }
        return plan;
    }

    /// <summary>The question for -WhatIf/-Confirm (null when there is nothing to copy or a conflict stops it).</summary>
    public static string? Question(OffsiteWalPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Conflict is not null || plan.Missing.Count == 0) return null;
        return Messages.Format("OffsiteWal.Question", plan.Missing.Count,
            (plan.Bytes / 1048576.0).ToString("0.0", System.Globalization.CultureInfo.CurrentCulture), plan.Missing[^1].Name);
    }

    /// <summary>The outcome of a plan that copies nothing: a conflict, nothing missing, or declined (-WhatIf).</summary>
    public static OffsiteWalOutcome Unchanged(OffsiteWalPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Conflict is { } conflict)
        {
            return new OffsiteWalOutcome(OffsiteStatus.Failed, plan.Target, plan.FileCount, plan.TotalSize, 0, 0, TimeSpan.Zero, null, conflict.Message, conflict);
        }
        return plan.Missing.Count == 0
            ? new OffsiteWalOutcome(OffsiteStatus.AlreadyPresent, plan.Target, plan.FileCount, plan.TotalSize, 0, 0, TimeSpan.Zero, null,
                Messages.Format("OffsiteWal.UpToDate", plan.FileCount), null)
            : new OffsiteWalOutcome(OffsiteStatus.WouldCopy, plan.Target, plan.FileCount, plan.TotalSize, 0, 0, TimeSpan.Zero, null, Question(plan)!, null);
    }

    /// <summary>Copies the plan's missing files and checks them where they land.</summary>
    public static async Task<OffsiteWalOutcome> CopyAsync(OffsiteWalPlan plan, RcloneOptions rclone, IOperationReporter reporter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(reporter);
        var clock = Stopwatch.StartNew();
        var missing = plan.Missing;
        var bytes = plan.Bytes;
        var activity = Messages.Get("Progress.OffsiteWal");
        string verification;
        if (plan.Destination.IsRemote)
        {
            var client = new RcloneClient(rclone, reporter.Verbose);
            var dir = RemoteDirectory(plan.Destination);
            await client.MakeDirectoryAsync(dir, ct).ConfigureAwait(false);
            var names = missing.Select(f => f.Name).ToList();
            await client.UploadAsync(plan.WalDirectory, names, dir, new Progress<long>(done => reporter.Progress(
                new OperationProgress(activity, Messages.Format("OffsiteWal.Progress", done / 1048576, Math.Max(1, bytes / 1048576)), done, bytes))), ct)
                .ConfigureAwait(false);
            var sums = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var f in missing) sums[f.Name] = await Sha256Async(f.FullName, ct).ConfigureAwait(false);
            var report = await client.ChecksumAsync(dir, sums, ct).ConfigureAwait(false);
            report.ThrowIfFailed(dir.ToString());
            verification = "rclone checksum sha256 --download";
        }
        else
        {
            var dir = plan.Target;
            if (!Directory.Exists(dir)) PrivateDirectory.Create(dir);
            long done = 0;
            foreach (var f in missing)
            {
                var sha = await Sha256Async(f.FullName, ct).ConfigureAwait(false);
                var before = done;
                await VerifiedFileCopy.CopyAsync(f.FullName, dir, f.Name, sha, new Progress<long>(n => reporter.Progress(
                    new OperationProgress(activity, Messages.Format("OffsiteWal.Progress", (before + n) / 1048576, Math.Max(1, bytes / 1048576)), before + n, bytes))), ct)
                    .ConfigureAwait(false);
                done += f.Length;
            }
            verification = "sha256 read back";
        }
        reporter.Verbose($"WAL archive {plan.WalDirectory}: {missing.Count} file(s), {bytes / 1048576} MB copied to {plan.Target} and checked ({verification}).");
        return new OffsiteWalOutcome(OffsiteStatus.Copied, plan.Target, plan.FileCount, plan.TotalSize, missing.Count, bytes, clock.Elapsed, verification,
            Messages.Format("OffsiteWal.Copied", missing.Count, missing[^1].Name), null);
    }

    private static RemoteLocation RemoteDirectory(OffsiteLocation destination) => new(destination.Remote!.Remote,
        destination.Remote.Path.Length == 0 ? Subdirectory : destination.Remote.Path.TrimEnd('/') + "/" + Subdirectory);

    /// <summary>The files already at the destination's WAL directory, with their sizes (none when it does not exist).</summary>
    private static async Task<Dictionary<string, long>> PresentAsync(OffsiteLocation destination, RcloneOptions rclone, CancellationToken ct)
    {
        var present = new Dictionary<string, long>(StringComparer.Ordinal);
        if (destination.IsRemote)
        {
            var client = new RcloneClient(rclone);
            var dir = RemoteDirectory(destination);
            foreach (var f in await client.ListAsync(dir, ct).ConfigureAwait(false) ?? Array.Empty<RemoteFile>()) present[f.Name] = f.Size;
            return present;
        }
        var local = Path.Combine(destination.Directory!, Subdirectory);
        if (!Directory.Exists(local)) return present;
        foreach (var f in Directory.EnumerateFiles(local)) present[Path.GetFileName(f)] = new FileInfo(f).Length;
        return present;
    }

    /// <summary>The destination's marker text ("" when it cannot be read).</summary>
    private static async Task<string> MarkerAtAsync(OffsiteLocation destination, RcloneOptions rclone, CancellationToken ct)
    {
        try
        {
            return destination.IsRemote
                ? await new RcloneClient(rclone).ReadTextAsync(RemoteDirectory(destination), WalContinuity.MarkerFile, 64 << 10, ct).ConfigureAwait(false)
                : await File.ReadAllTextAsync(Path.Combine(destination.Directory!, Subdirectory, WalContinuity.MarkerFile), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CenateException)
        {
            return "";
        }
    }

    /// <summary>The system identifier a marker's JSON records (null: none, or not JSON).</summary>
    private static string? SystemOf(string json)
    {
        try
        {
            return WalContinuity.SystemIdentifierOf(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        return Convert.ToHexString(await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false)).ToLowerInvariant();
    }

    [GeneratedRegex("^(?:[0-9A-F]{24}|[0-9A-F]{8}\\.history)$")]
    private static partial Regex CopiedName();
}
