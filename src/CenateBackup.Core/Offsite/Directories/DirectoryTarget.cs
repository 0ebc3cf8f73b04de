using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Offsite.Directories;

/// <summary>
/// Checks a directory target (a USB disk, a NAS mount) before anything is written to it. The plan's rsync to
/// /mnt/backup-externo "succeeded" with the disk unplugged, filling the system disk: here a target on the root file
/// system (or on a bind mount of it), off the required mount point, without its marker or with another disk's marker
/// is refused, and a mount that does not answer is given up on after a timeout instead of hanging the job.
/// </summary>
public static class DirectoryTarget
{
    // File systems that keep no Unix owner/mode: the 0600 of the copies cannot be kept there.
    private static readonly string[] s_withoutPermissions =
        { "vfat", "msdos", "fat", "exfat", "ntfs", "ntfs3", "fuseblk" };

    /// <summary>
    /// Checks <paramref name="directory"/> against <paramref name="requirements"/>. TargetNotMounted: it resolves onto
    /// the root file system, or not onto RequireMountPoint, or it is missing under a directory of the root file system
    /// (the disk is not mounted). TargetMarkerMismatch: marker missing (when required), unreadable, or its label is not
    /// one of Labels. TargetUnresponsive: the file system did not answer within the timeout (the probes run on a thread
    /// of their own that is left behind if it hangs). Nothing is written.
    /// </summary>
    public static async Task<DirectoryTargetState> CheckAsync(string directory,
        DirectoryTargetRequirements requirements, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(requirements);
        if (requirements.Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(requirements), "The timeout must be positive.");
        }
        var full = Path.GetFullPath(directory);
        var probe = await ProbeAsync(full, requirements, cancellationToken).ConfigureAwait(false);
        return Judge(full, probe, requirements);
    }

    /// <summary>TargetFull when the target has less than <paramref name="bytes"/> free (checked before anything is
    /// written).</summary>
    public static void RequireSpace(DirectoryTargetState state, long bytes)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (bytes <= state.FreeBytes) return;
        throw new CenateException(ErrorIds.TargetFull, CenateErrorKind.WriteError,
            Messages.Format("TargetFull", state.Directory, state.MountPoint, Mb(state.FreeBytes), Mb(bytes)),
            Messages.Get("TargetFull.Action"),
            state.Directory);
    }

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("N1", CultureInfo.InvariantCulture) + " MB";

    private static async Task<TargetProbe> ProbeAsync(string full, DirectoryTargetRequirements requirements,
        CancellationToken cancellationToken)
    {
        // A stat on a hung NFS mount never returns and cannot be cancelled: the probe gets a thread of its own, and
        // the caller stops waiting for it after the timeout (the thread is a background one; it ends with the process).
        var done = new TaskCompletionSource<TargetProbe>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try { done.TrySetResult(TargetProbe.Run(full, requirements)); }
            catch (Exception ex) { done.TrySetException(ex); }
        })
        { IsBackground = true, Name = "CenateBackup target probe" };
        thread.Start();
        using var stopDelay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(requirements.Timeout, stopDelay.Token);
        var first = await Task.WhenAny(done.Task, delay).ConfigureAwait(false);
        stopDelay.Cancel();
        if (first == done.Task) return await done.Task.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        throw new CenateException(ErrorIds.TargetUnresponsive, CenateErrorKind.ResourceUnavailable,
            Messages.Format("TargetUnresponsive", full, requirements.Timeout.TotalSeconds),
            Messages.Get("TargetUnresponsive.Action"), full);
    }

    private static DirectoryTargetState Judge(string full, TargetProbe probe, DirectoryTargetRequirements requirements)
    {
        if (probe.IsFile)
        {
            throw new CenateException(ErrorIds.PathNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("PathNotFound.5", full), Messages.Get("PathNotFound.Action.5"),
                full);
        }
        if (probe.OnRootFileSystem) throw OnRootFileSystem(full, probe);
        if (requirements.RequireMountPoint is not null && probe.RequiredMountPoint != probe.Mount.MountPoint)
        {
            throw NotMounted(full, Messages.Format(probe.RequiredMountPoint is null
                ? "TargetNotMounted.WrongMountMissing" : "TargetNotMounted.WrongMount",
                probe.Mount.MountPoint, requirements.RequireMountPoint));
        }
        if (probe.MarkerError is not null) throw probe.MarkerError;
        var marker = probe.Marker;
        if (marker is null && (requirements.RequireMarker || requirements.Labels is not null))
        {
            throw MarkerMismatch(full, probe.Exists
                ? Messages.Format("TargetMarkerMismatch.NoMarker", OffsiteMarker.FileName)
                : Messages.Format("TargetMarkerMismatch.Missing", probe.Mount.MountPoint));
        }
        if (marker is not null && requirements.Labels is { } labels
            && !labels.Contains(marker.Label, StringComparer.Ordinal))
        {
            throw MarkerMismatch(full, Messages.Format("TargetMarkerMismatch.Label", marker.Label, marker.Id,
                string.Join($" {Messages.Get("TargetMarkerMismatch.Or")} ", labels.Select(l => $"'{l}'"))));
        }
        return new DirectoryTargetState(full, probe.Mount.MountPoint, probe.Mount.FileSystemType, probe.FreeBytes,
            marker, Warnings(probe.Mount))
        { Exists = probe.Exists, RealPath = probe.RealPath };
    }

    internal static List<string> Warnings(MountEntry mount)
    {
        var warnings = new List<string>();
        if (s_withoutPermissions.Contains(mount.FileSystemType, StringComparer.OrdinalIgnoreCase))
        {
            warnings.Add(Messages.Format("Warning.DirectoryTarget.NoPermissions", mount.FileSystemType,
                mount.MountPoint));
        }
        if (mount.ReadOnly) warnings.Add(Messages.Format("Warning.DirectoryTarget.ReadOnly", mount.MountPoint));
        return warnings;
    }

    private static CenateException OnRootFileSystem(string full, TargetProbe probe)
    {
        var why = probe.Exists
            ? probe.Mount.MountPoint == "/"
                ? Messages.Format("TargetNotMounted.OnRoot", probe.RealPath)
                : Messages.Format("TargetNotMounted.OnRootBind", probe.RealPath, probe.Mount.MountPoint)
            : Messages.Format("TargetNotMounted.AboveOnRoot", probe.ExistingPart);
        return NotMounted(full, why, systemDisk: true);
    }

    private static CenateException NotMounted(string full, string why, bool systemDisk = false) => new(
        ErrorIds.TargetNotMounted, CenateErrorKind.ResourceUnavailable,
        Messages.Format(systemDisk ? "TargetNotMounted.SystemDisk" : "TargetNotMounted", full, why),
        Messages.Get("TargetNotMounted.Action"), full);

    private static CenateException MarkerMismatch(string full, string why) => new(ErrorIds.TargetMarkerMismatch,
        CenateErrorKind.InvalidData, Messages.Format("TargetMarkerMismatch", full, why),
        Messages.Get("TargetMarkerMismatch.Action"), full);
}
