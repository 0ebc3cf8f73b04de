using System.Management.Automation;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Reads the plan's settings file and returns its resolved values.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CenateSettings")]
[OutputType(typeof(CenateSettings))]
public sealed class GetCenateSettingsCommand : CenateCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 61;

#pragma warning disable CS1591 // described in docs/en-US/Get-CenateSettings.md
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = PlanSettingsReader.DefaultPath;
#pragma warning restore CS1591

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Path);
        RunTerminating(path, () => WriteObject(PlanSettingsReader.ToOutput(PlanSettingsReader.Read(path))));
    }
}
