using System;
using System.Management.Automation;
using CenateBackup.Core.Drift;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Acknowledges an expected drop of a critical table's rows, recorded in the manifest of the set
/// taken after it: the drift check stops failing on it and retention stops keeping the set before it.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Confirm, "CenateRowDrop", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CenateRowDropAcknowledgement))]
public sealed class ConfirmCenateRowDropCommand : CenateCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 61;

    /// <summary>The backup directory, or the manifest (or any file) of the set taken after the drop.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Directory", "PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>
    /// Stamp of the set taken AFTER the drop (yyyyMMdd_HHmmss), as Test-CenateBackup's problem names it.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("AfterStamp")]
    [ValidatePattern("^[0-9]{8}_[0-9]{6}$")]
    public string Stamp { get; set; } = "";

    /// <summary>
    /// Why the drop is expected (1 to 500 characters, one line); recorded with your user name and the time.
    /// </summary>
    [Parameter(Mandatory = true)]
    [ValidateLength(1, RowDropAcknowledger.MaxReasonLength)]
    [ValidatePattern(@"^(?=.*\S)[^\p{Cc}\p{Cf}\u2028\u2029]+$")]
    public string Reason { get; set; } = "";

    /// <summary>
    /// Only these tables (schema.table or table); default every critical table that dropped into the set.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Table { get; set; }

    /// <summary>Only drops beyond this share ('2%'); default any drop of a critical table.</summary>
    [Parameter]
    [RowDropPercentTransformation]
    [ValidateRange(0d, 1d)]
    public double? MaxRowDrop { get; set; }

    /// <summary>Only drops of more than this many rows; default any drop of a critical table.</summary>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long? MaxRowDropCount { get; set; }

    /// <summary>A settings .psd1 whose RowDrop key names critical tables and their thresholds.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Settings { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        RunTerminating(Path, () =>
        {
            var path = GetUnresolvedProviderPathFromPSPath(Path);
            var settings = Settings is null ? null : GetUnresolvedProviderPathFromPSPath(Settings);
            var policy = RowDropParameters.Build(MaxRowDrop, MaxRowDropCount, Table, settings,
                RowDropThreshold.AnyDrop)!;
            var done = RowDropAcknowledger.Acknowledge(path, Stamp, Reason, policy, Environment.UserName,
                DateTimeOffset.UtcNow, (target, action) => ShouldProcess(target, action));
            foreach (var ack in done) WriteObject(OutputFactory.Acknowledgement(ack));
        });
    }
}
