using System;
using System.Management.Automation;
using CenateBackup.Core.Offsite.Directories;
using CenateBackup.PowerShell.Output;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Prepares a directory on a backup disk or NAS mount as an offsite target: writes its marker
/// once.</para>
/// </summary>
[Cmdlet(VerbsData.Initialize, "CenateOffsiteTarget", SupportsShouldProcess = true,
    ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CenateOffsiteTarget))]
public sealed class InitializeCenateOffsiteTargetCommand : CenateCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 54;

    /// <summary>The target directory on the mounted disk (created 0700 when missing).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Path")]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    /// <summary>The disk's name in the marker (default "disk-" and 8 random hex digits).</summary>
    [Parameter(Position = 1)]
    [ValidatePattern(OffsiteMarker.LabelPattern)]
    public string? Label { get; set; }

    /// <summary>The target must be on the file system mounted exactly here.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RequireMountPoint { get; set; }

    /// <summary>How long the mount may take to answer (default 30 s).</summary>
    [Parameter]
    [DurationTransformation]
    [ValidateDuration(1, 3600)]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var destination = GetUnresolvedProviderPathFromPSPath(Destination);
        var mountPoint = RequireMountPoint is null ? null : GetUnresolvedProviderPathFromPSPath(RequireMountPoint);
        RunPlanned(destination,
            (_, token) => OffsiteTargetSetup.PlanAsync(destination, Label, mountPoint, Timeout, token),
            plan => plan.AlreadyInitialized
                ? PlanQuestion.Nothing
                : PlanQuestion.Of(destination, Describe(plan)),
            (plan, _, token) => OffsiteTargetSetup.RunAsync(plan, token),
            plan => Write(plan.State),
            Write);
    }

    private static string Describe(OffsiteTargetPlan plan) => Messages.Format(
        plan.State.Exists ? "Question.InitializeCenateOffsiteTarget" : "Question.InitializeCenateOffsiteTarget.Create",
        plan.Label, plan.State.FileSystemType, plan.State.MountPoint);

    private void Write(DirectoryTargetState state)
    {
        foreach (var warning in state.Warnings) WriteWarning(warning);
        WriteObject(OutputFactory.OffsiteTarget(state));
    }
}
