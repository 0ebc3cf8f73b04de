using System;
using System.Collections.Generic;
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
/// What a sync will do, worked out before anything is written: the sets that are already at the destination or cannot
/// go, and those to copy. It holds the locks (shared on a source directory, exclusive on a destination directory)
/// until disposed, so what it saw stays true while the copies run.
/// </summary>
public sealed class OffsiteSyncPlan : IDisposable
{
    private readonly List<IDisposable> _locks = new();

    internal OffsiteSyncPlan(OffsiteSyncRequest request, RcloneClient? rclone)
    {
        Request = request;
        Rclone = rclone;
    }

    /// <summary>The request.</summary>
    public OffsiteSyncRequest Request { get; }

    /// <summary>Outcomes settled by planning: AlreadyPresent, and Failed for sets that cannot go.</summary>
    public List<OffsiteSetOutcome> Settled { get; } = new();

    /// <summary>The sets to copy, oldest first.</summary>
    public List<OffsiteCopyItem> ToCopy { get; } = new();

    /// <summary>
    /// True when the destination is an offsite target (USB/NAS directory) that must be mounted and carry the marker; false
    /// for a remote, and for a directory that receives sets brought back from a target (the way home).
    /// </summary>
    public bool DestinationIsTarget { get; internal set; }

    /// <summary>The destination target's state as last checked (null unless <see cref="DestinationIsTarget"/>).</summary>
    public DirectoryTargetState? TargetState { get; internal set; }

    /// <summary>Bytes of all sets to copy (for the progress bar).</summary>
    public long TotalBytes => ToCopy.Sum(i => i.Bytes);

    /// <summary>Where the item's manifest goes at the destination.</summary>
    public string DestinationPathOf(OffsiteCopyItem item) =>
        OffsiteSyncPlanner.PathAtDestination(this, BackupNaming.FileNameOf(item.Set.ManifestPath));

    internal RcloneClient? Rclone { get; }

    internal CatalogScan DestinationScan { get; set; } = new(Array.Empty<CatalogEntry>(), Array.Empty<OrphanFile>(), Array.Empty<CenateException>());

    internal long DoneBytes { get; set; }

    internal bool DestinationPending { get; set; }

    internal bool DestinationLockPending { get; set; }

    /// <summary>Sizes of the files at a remote destination, as listed when planning.</summary>
    internal Dictionary<string, long> RemoteSizes { get; } = new(StringComparer.Ordinal);

    /// <summary>The size of a file at the destination now (a directory) or as listed (a remote); null when absent.</summary>
    internal long? DestinationSize(string name)
    {
        if (Request.Destination.Remote is not null) return RemoteSizes.TryGetValue(name, out var size) ? size : null;
        var info = new FileInfo(Path.Combine(Request.Destination.Directory!, name));
        return info.Exists ? info.Length : null;
    }

    /// <summary>
    /// Files at the destination that belong to another set there (listed by another manifest): never removed or
    /// replaced by a copy of this set. (The directory's own names never get here: a set listing one is refused first.)
    /// </summary>
    internal bool OwnedByAnother(string name, string manifestName) =>
        DestinationScan.Sets.Any(s => BackupNaming.FileNameOf(s.ManifestPath) != manifestName && s.Manifest.Files.Any(f => f.Name == name));

    internal void Hold(IDisposable directoryLock) => _locks.Add(directoryLock);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var l in _locks) l.Dispose();
        _locks.Clear();
    }
}

/// <summary>Works out an <see cref="OffsiteSyncPlan"/>: checks both sides and chooses the sets.</summary>
public static class OffsiteSyncPlanner
{
    /// <summary>
    /// Checks the destination (a USB/NAS target: mounted, marker, answering; a remote: reachable), takes the locks, reads
    /// both sides' manifests and sorts the chosen sets into already there, cannot go, and to copy. Throws when nothing
    /// can be done (TargetNotMounted, TargetMarkerMismatch, TargetUnresponsive, a remote error, OffsiteSetNotFound).
    /// </summary>
    public static async Task<OffsiteSyncPlan> PlanAsync(OffsiteSyncRequest request, IOperationReporter reporter,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Source.IsRemote && request.Destination.IsRemote)
        {
            throw new CenateException(ErrorIds.OffsiteRouteNotSupported, CenateErrorKind.InvalidArgument,
                Messages.Format("OffsiteRouteNotSupported", request.Source, request.Destination),
                Messages.Get("OffsiteRouteNotSupported.Action"), request.Destination.Text);
        }
        var rclone = request.Source.IsRemote || request.Destination.IsRemote ? new RcloneClient(request.Rclone) : null;
        var plan = new OffsiteSyncPlan(request, rclone);
        try
        {
            var sourceScan = await ScanSourceAsync(plan, cancellationToken).ConfigureAwait(false);
            await PrepareDestinationAsync(plan, reporter, cancellationToken).ConfigureAwait(false);
            Choose(plan, sourceScan, reporter);
            return plan;
        }
        catch
        {
            plan.Dispose();
            throw;
        }
    }

    private static async Task<CatalogScan> ScanSourceAsync(OffsiteSyncPlan plan, CancellationToken cancellationToken)
    {
        var source = plan.Request.Source;
        if (source.Remote is { } remote)
        {
            var store = new RcloneBackupStore(plan.Rclone!, remote);
            return await Task.Run(() =>
            {
                store.RequireExists();
                return store.Scan();
            }, cancellationToken).ConfigureAwait(false);
        }
        BackupCatalog.RequireDirectory(source.Directory!);
        plan.Hold(BackupDirectoryLock.AcquireShared(source.Directory!, plan.Request.LockTimeout));
        return BackupCatalog.Scan(source.Directory!);
    }

    private static async Task PrepareDestinationAsync(OffsiteSyncPlan plan, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var request = plan.Request;
        var destination = request.Destination;
        if (destination.Remote is { } remote)
        {
            var store = new RcloneBackupStore(plan.Rclone!, remote);
            var listing = await plan.Rclone!.ListAsync(remote, cancellationToken).ConfigureAwait(false);
            if (listing is null) return;
            foreach (var f in listing) plan.RemoteSizes[f.Name] = f.Size;
            plan.DestinationScan = await Task.Run(store.Scan, cancellationToken).ConfigureAwait(false);
            return;
        }
        var directory = destination.Directory!;
        // Sets going out of the backup directory land on an offsite target, which must prove it is the disk meant for
        // them; sets coming back from a target or a remote land in an ordinary backup directory.
        // A directory that carries a marker is always checked as a target.
        // Asking for a mount point or a label says the same (bringing sets from the cloud onto the USB disk).
        plan.DestinationIsTarget = IsMarkedTarget(directory) || request.Target.RequireMountPoint is not null || request.Target.Labels is not null
            || (!request.Source.IsRemote && !IsMarkedTarget(request.Source.Directory!));
        if (string.Equals(Path.TrimEndingDirectorySeparator(directory), Path.TrimEndingDirectorySeparator(request.Source.Directory ?? ""),
                StringComparison.Ordinal))
        {
            throw new CenateException(ErrorIds.OffsiteRouteNotSupported, CenateErrorKind.InvalidArgument,
                Messages.Format("OffsiteRouteNotSupported.2", directory), Messages.Get("OffsiteRouteNotSupported.Action.2"), directory);
        }
        if (plan.DestinationIsTarget)
        {
            plan.TargetState = await DirectoryTarget.CheckAsync(directory, request.Target with { RequireMarker = true }, cancellationToken)
                .ConfigureAwait(false);
            foreach (var warning in plan.TargetState.Warnings) reporter.Warning(warning);
        }
        else if (!Directory.Exists(directory))
        {
            // The way home into a directory that is not there yet: created (0700) by the first copy.
            plan.DestinationPending = true;
        }
        // The destination is locked by the first copy, not by planning: -WhatIf, and a refusal (a full disk), leave not
        // even the lock file behind. What planning read is checked again under the lock, file by file, by the copy.
        plan.DestinationLockPending = true;
        if (!plan.DestinationPending) plan.DestinationScan = BackupCatalog.Scan(directory);
    }

    /// <summary>Creates (the way home) and locks the destination directory before the first copy.</summary>
    internal static void OpenPendingDestination(OffsiteSyncPlan plan)
    {
        if (plan.DestinationPending)
        {
            BackupDirectory.Prepare(plan.Request.Destination.Directory!);
            plan.DestinationPending = false;
        }
        if (!plan.DestinationLockPending) return;
        plan.Hold(BackupDirectoryLock.AcquireExclusive(plan.Request.Destination.Directory!, plan.Request.LockTimeout));
        plan.DestinationLockPending = false;
    }

    /// <summary>True when the directory carries an offsite target's marker (Initialize-CenateOffsiteTarget).</summary>
    public static bool IsMarkedTarget(string directory) => File.Exists(Path.Combine(directory, BackupCatalog.OffsiteMarkerFileName));

    private static void Choose(OffsiteSyncPlan plan, CatalogScan source, IOperationReporter reporter)
    {
        var request = plan.Request;
        foreach (var damaged in source.Damaged)
            reporter.Warning(Messages.Format("Warning.OffsiteSyncPlan.Damaged", damaged.Message));
        var sets = source.Sets
            .Where(s => request.Database is null || string.Equals(s.Manifest.Database, request.Database, StringComparison.Ordinal))
            .OrderBy(s => s.Time).ThenBy(s => s.ManifestPath, StringComparer.Ordinal)
            .ToList();
        var explicitSets = Explicit(request, sets);
        var candidates = explicitSets ?? sets.Where(s => request.Since is null || s.Time >= request.Since).ToList();
        var eligible = new List<CatalogEntry>();
        foreach (var set in candidates)
        {
            var refusal = Refusal(set, request);
            if (refusal is null) eligible.Add(set);
            else if (explicitSets is not null) plan.Settled.Add(Failed(set, refusal));
            else reporter.Verbose($"Not copied: {refusal.Message}");
        }
        if (request.Newest > 0) eligible = eligible.Skip(Math.Max(0, eligible.Count - request.Newest)).ToList();
        foreach (var set in eligible) Place(plan, set);
    }

    private static List<CatalogEntry>? Explicit(OffsiteSyncRequest request, List<CatalogEntry> sets)
    {
        if (request.Stamps is not { Count: > 0 } && request.Manifests is not { Count: > 0 }) return null;
        var chosen = new List<CatalogEntry>();
        foreach (var stamp in request.Stamps ?? Array.Empty<string>())
        {
            var found = sets.Where(s => s.Manifest.Stamp == stamp).ToList();
            if (found.Count == 0) throw NotFound(Messages.Format("OffsiteSetNotFound.Stamp", stamp), request);
            chosen.AddRange(found);
        }
        foreach (var name in request.Manifests ?? Array.Empty<string>())
        {
            var found = sets.FirstOrDefault(s => BackupNaming.FileNameOf(s.ManifestPath) == name)
                ?? throw NotFound(Messages.Format("OffsiteSetNotFound.Manifest", name), request);
            chosen.Add(found);
        }
        return chosen.Distinct().OrderBy(s => s.Time).ThenBy(s => s.ManifestPath, StringComparer.Ordinal).ToList();
    }

    private static CenateException NotFound(string what, OffsiteSyncRequest request) => new(ErrorIds.OffsiteSetNotFound,
        CenateErrorKind.ObjectNotFound, request.Database is null
            ? Messages.Format("OffsiteSetNotFound", request.Source, what)
            : Messages.Format("OffsiteSetNotFound.Database", request.Source, what, request.Database),
        Messages.Format("OffsiteSetNotFound.Action", request.Source), request.Source.Text);

    private static CenateException? Refusal(CatalogEntry set, OffsiteSyncRequest request)
    {
        var name = BackupNaming.FileNameOf(set.ManifestPath);
        var stampMark = "_" + set.Manifest.Stamp + ".";
        var foreign = set.Manifest.Files.Where(f => !f.Name.Contains(stampMark, StringComparison.Ordinal)
            || BackupCatalog.ReservedReason(f.Name) is not null).Select(f => f.Name).ToList();
        if (foreign.Count > 0)
        {
            // A manifest is data: one that lists another set's file (or a manifest, the lock, the marker) must not make
            // the sync remove or replace that file at the destination.
            return new CenateException(ErrorIds.ManifestInvalid, CenateErrorKind.InvalidData,
                Messages.Format(foreign.Count == 1 ? "ManifestInvalid" : "ManifestInvalid.Many", name,
                    string.Join(", ", foreign), set.Manifest.Stamp),
                Messages.Get("ManifestInvalid.Action"), set.ManifestPath);
        }
        if (!set.Complete)
        {
            return new CenateException(ErrorIds.OffsiteSourceNotVerified, CenateErrorKind.InvalidData,
                set.MissingFiles.Count > 0
                    ? Messages.Format("OffsiteSourceNotComplete.Missing", name, request.Source,
                        string.Join(", ", set.MissingFiles))
                    : Messages.Format("OffsiteSourceNotComplete", name, request.Source),
                Messages.Get("OffsiteSourceNotVerified.Action"), set.ManifestPath);
        }
        if (!set.Verified)
        {
            return new CenateException(ErrorIds.OffsiteSourceNotVerified, CenateErrorKind.InvalidData,
                Messages.Format(set.Manifest.Verification is { Passed: false }
                    ? "OffsiteSourceNotVerified.Failed" : "OffsiteSourceNotVerified.Never", name, request.Source),
                Messages.Format("OffsiteSourceNotVerified.Action.2", set.ManifestPath), set.ManifestPath);
        }
        if (set.Kind != BackupSetKind.Full && !request.IncludePartial)
        {
            return new CenateException(ErrorIds.OffsiteSourceNotVerified, CenateErrorKind.InvalidArgument,
                Messages.Format("OffsiteSourceNotVerified", name, set.Kind), Messages.Get("OffsiteSourceNotVerified.Action.3"),
                set.ManifestPath);
        }
        return null;
    }

    private static void Place(OffsiteSyncPlan plan, CatalogEntry set)
    {
        var name = BackupNaming.FileNameOf(set.ManifestPath);
        var destinationManifest = PathAtDestination(plan, name);
        var bytes = set.Manifest.Files.Sum(f => f.Size);
        if (plan.DestinationScan.Damaged.Any(d => BackupNaming.FileNameOf(d.Target?.ToString() ?? "") == name))
        {
            plan.Settled.Add(Failed(set, Conflict(plan, name, Messages.Get("OffsiteSetConflict.Damaged"))));
            return;
        }
        var taken = set.Manifest.Files.Where(f => plan.OwnedByAnother(f.Name, name)).Select(f => f.Name).ToList();
        if (taken.Count > 0)
        {
            plan.Settled.Add(Failed(set, new CenateException(ErrorIds.OffsiteFileConflict, CenateErrorKind.ResourceExists,
                Messages.Format("OffsiteFileConflict", plan.Request.Destination, string.Join(", ", taken)),
                Messages.Get("OffsiteFileConflict.Action"), PathAtDestination(plan, name))));
            return;
        }
        var there = plan.DestinationScan.Sets.FirstOrDefault(s => BackupNaming.FileNameOf(s.ManifestPath) == name);
        if (there is null)
        {
            plan.ToCopy.Add(new OffsiteCopyItem(set, "not at the destination", bytes));
            return;
        }
        if (!SameFiles(there.Manifest, set.Manifest))
        {
            plan.Settled.Add(Failed(set, Conflict(plan, name, Messages.Get("OffsiteSetConflict.OtherFiles"))));
            return;
        }
        // Complete by its manifest is not enough: a file of the wrong size there is a damaged copy of this very set, and
        // a copy counts only when it was verified there (the sync's copy record) and its last verification passed.
        var damaged = set.Manifest.Files.Count(f => plan.DestinationSize(f.Name) != f.Size);
        var here = plan.Request.Destination.ToString();
        var unverified = there.Manifest.Verification is not { Passed: true } ? "its last verification there failed"
            : !there.Manifest.Verification.MadeAt(here) ? "never verified there (placed by another tool: its record is of another place)"
            : null;
        if (there.Complete && damaged == 0 && unverified is null)
        {
            var verified = there.Manifest.Verification is { Passed: true } v ? $", verified there {v.At:yyyy-MM-dd HH:mm}Z" : "";
            plan.Settled.Add(new OffsiteSetOutcome(set, OffsiteStatus.AlreadyPresent, destinationManifest, 0, TimeSpan.Zero,
                there.Manifest.Copy?.Method, $"complete at the destination{verified}", null));
            return;
        }
        plan.ToCopy.Add(new OffsiteCopyItem(set, damaged > 0 ? $"at the destination with {damaged} file(s) missing or of the wrong size"
            : $"at the destination, but {unverified}: read back, and what is wrong replaced", bytes, Repair: true));
    }

    internal static bool SameFiles(BackupManifest a, BackupManifest b) =>
        a.Files.Count == b.Files.Count && a.Files.All(f => b.Files.Any(g => g.Name == f.Name && g.Size == f.Size
            && string.Equals(g.Sha256, f.Sha256, StringComparison.OrdinalIgnoreCase)));

    internal static string PathAtDestination(OffsiteSyncPlan plan, string name) =>
        plan.Request.Destination.Remote?.Join(name) ?? Path.Combine(plan.Request.Destination.Directory!, name);

    private static CenateException Conflict(OffsiteSyncPlan plan, string name, string why) => new(ErrorIds.OffsiteSetConflict,
        CenateErrorKind.ResourceExists, Messages.Format("OffsiteSetConflict", plan.Request.Destination, name, why),
        Messages.Get("OffsiteSetConflict.Action"),
        PathAtDestination(plan, name));

    internal static OffsiteSetOutcome Failed(CatalogEntry set, CenateException error) =>
        new(set, OffsiteStatus.Failed, "", 0, TimeSpan.Zero, null, error.Message, error);
}
