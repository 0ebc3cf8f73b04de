using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Offsite.Directories;

/// <summary>What Initialize-CenateOffsiteTarget will do: the target as checked, the label, and whether it is already
/// done.</summary>
/// <param name="State">The target as checked (no marker required).</param>
/// <param name="Label">The label the marker gets (or has).</param>
/// <param name="AlreadyInitialized">The directory already has a marker with this label: nothing to write.</param>
/// <param name="Requirements">The requirements it was checked with (checked again before writing).</param>
public sealed record OffsiteTargetPlan(DirectoryTargetState State, string Label, bool AlreadyInitialized,
    DirectoryTargetRequirements Requirements);

/// <summary>
/// Prepares a directory target: on a mounted file system that is not the root one, the directory (0700, created with
/// any missing parents when absent) gets its marker once. Never on the root file system: there is no switch for it,
/// since a "backup disk" on the system disk is what the marker exists to catch. Running it again with the same label
/// (or none) changes nothing; another label on an initialised directory is TargetAlreadyInitialized.
/// </summary>
public static class OffsiteTargetSetup
{
    /// <summary>Checks the target and decides; nothing is written.</summary>
    public static async Task<OffsiteTargetPlan> PlanAsync(string directory, string? label, string? requireMountPoint,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (label is not null && !OffsiteMarker.IsValidLabel(label))
        {
            throw new ArgumentException(Messages.Format("OffsiteLabelInvalid", label, OffsiteMarker.LabelPattern),
                nameof(label));
        }
        var requirements = new DirectoryTargetRequirements
        {
            RequireMountPoint = requireMountPoint, RequireMarker = false, Timeout = timeout,
        };
        var state = await DirectoryTarget.CheckAsync(directory, requirements, cancellationToken).ConfigureAwait(false);
        if (state.Marker is { } marker)
        {
            var same = OffsiteMarker.SameLabelOrThrow(marker, state.Directory, label ?? marker.Label);
            return new OffsiteTargetPlan(state, same.Label, true, requirements);
        }
        return new OffsiteTargetPlan(state, label ?? DefaultLabel(), false, requirements);
    }

    /// <summary>Carries out <paramref name="plan"/>: checks again (the disk may have gone meanwhile), creates,
    /// marks.</summary>
    public static async Task<DirectoryTargetState> RunAsync(OffsiteTargetPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.AlreadyInitialized) return plan.State;
        var state = await DirectoryTarget.CheckAsync(plan.State.Directory, plan.Requirements, cancellationToken)
            .ConfigureAwait(false);
        if (!state.Exists) CreatePrivate(state.RealPath);
        OffsiteMarker.Create(state.RealPath, plan.Label);
        var marked = plan.Requirements with { RequireMarker = true, Labels = new[] { plan.Label } };
        return await DirectoryTarget.CheckAsync(plan.State.Directory, marked, cancellationToken).ConfigureAwait(false);
    }

    // Every missing level 0700 (Directory.CreateDirectory's mode applies to the last one only).
    private static void CreatePrivate(string path)
    {
        var parent = Path.GetDirectoryName(path);
        if (parent is not null && !Directory.Exists(parent)) CreatePrivate(parent);
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    // Distinct per disk without asking: "disk-" and the first 8 hex digits of a fresh GUID.
    private static string DefaultLabel() => "disk-" + Guid.NewGuid().ToString("N")[..8];
}
