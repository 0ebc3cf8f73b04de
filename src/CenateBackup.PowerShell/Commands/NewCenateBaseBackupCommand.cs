using System.Management.Automation;
using CenateBackup.Core.Base;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Makes a base backup set for point-in-time recovery: pg_basebackup of the whole cluster streamed into one atomic .base.tar.gz, with a manifest.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "CenateBaseBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateBackupSet))]
public sealed class NewCenateBaseBackupCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 66;

    /// <summary>Directory of the base backup sets (created 0700 if missing), e.g. /backups/cenate/base.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("Directory", "BackupPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>gzip level 1–9 of the archive (default 6).</summary>
    [Parameter]
    [ValidateRange(1, 9)]
    public int CompressionLevel { get; set; } = 6;

    /// <summary>Let the server spread the backup's starting checkpoint over checkpoint_completion_target (less I/O at once, a slower start) instead of asking for it at once.</summary>
    [Parameter]
    public SwitchParameter SpreadCheckpoint { get; set; }

    /// <summary>Directory of the local pg_basebackup (host mode), e.g. /usr/lib/postgresql/15/bin; default: PATH.</summary>
    [Parameter(ParameterSetName = HostSet)]
    [ValidateNotNullOrEmpty]
    public string? PgBinDirectory { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = BuildTarget();
        var directory = GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess($"the cluster of {target.Describe()}", $"Base backup (pg_basebackup, gzip level {CompressionLevel}) into '{directory}'"))
        {
            return;
        }
        var request = new BaseBackupRequest(target, directory)
        {
            CompressionLevel = CompressionLevel,
            SpreadCheckpoint = SpreadCheckpoint,
            PgBinDirectory = PgBinDirectory,
            ToolVersion = "CenateBackup " + typeof(NewCenateBaseBackupCommand).Assembly.GetName().Version?.ToString(3),
        };
        RunTerminating(target.Mode == Core.Targets.ConnectionMode.Container ? target.Container : target.Host, () =>
        {
            var result = RunCore((reporter, token) => BaseBackupService.CreateAsync(request, reporter, token));
            WriteVerbose($"Database sessions used {result.Endpoint}.");
            WriteObject(OutputFactory.BackupSet(result.Manifest, result.ManifestPath, result.Duration));
        });
    }
}
