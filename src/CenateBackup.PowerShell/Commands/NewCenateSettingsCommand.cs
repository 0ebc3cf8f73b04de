using System.Management.Automation;
using CenateBackup.Core.Plan;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Writes a commented template of the plan's settings file (0600), ready for
/// Get-CenateSettings.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "CenateSettings", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CenateSettings))]
public sealed class NewCenateSettingsCommand : CenateCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 65;

#pragma warning disable CS1591 // described in docs/en-US/New-CenateSettings.md
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    [ValidatePattern(@"^[^\p{Cc}]+$")]
    public string BackupPath { get; set; } = "/backups/cenate";

    [Parameter]
    [ValidatePattern(@"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    public string Container { get; set; } = "postgres_cenate";

    [Parameter]
    [ValidatePattern(@"^[^\p{Cc}]+$")]
    public string LogPath { get; set; } = "/var/log/cenate";

    [Parameter]
    [ValidatePattern(@"^[^\p{Cc}]+$")]
    public string StatePath { get; set; } = "/var/lib/cenate";

    [Parameter]
    public SwitchParameter Force { get; set; }
#pragma warning restore CS1591

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Path);
        var text = SettingsTemplate.Text(BackupPath, Container, LogPath, StatePath);
        if (!ShouldProcess($"{path}\n{text}", "Write settings template")) return;
        RunTerminating(path, () =>
        {
            SettingsTemplate.Write(path, text, Force.IsPresent);
            // Read back as every job will read it: the file written is a valid one.
            WriteObject(PlanSettingsReader.ToOutput(PlanSettingsReader.Read(path)));
        });
    }
}
