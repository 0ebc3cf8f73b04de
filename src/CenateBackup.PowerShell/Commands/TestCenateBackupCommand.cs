using System;
using System.Management.Automation;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Verification;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Verifies backup sets: checksums against the manifest and a full read of every file.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "CenateBackup", DefaultParameterSetName = PathSet)]
[OutputType(typeof(CenateVerificationResult))]
[OutputType(typeof(bool))]
public sealed class TestCenateBackupCommand : CenateCmdletBase
{
    private const string PathSet = "Path";
    private const string InputObjectSet = "InputObject";

    /// <inheritdoc />
    protected override int ProgressActivityId => 42;

    /// <summary>Manifest(s) or backup file(s) to verify.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>A backup set from New-CenateDump.</summary>
    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    public CenateBackupSet? InputObject { get; set; }

    /// <summary>Checksum or Read (default): Read also reads every file to its end.</summary>
    [Parameter]
    [ValidateSet("Checksum", "Read")]
    public string Level { get; set; } = "Read";

    /// <summary>Run pg_restore inside this container (the server's own version) instead of locally.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? Container { get; set; }

    /// <summary>Docker endpoint for -Container.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DockerHost { get; set; }

    /// <summary>Directory of the local pg_restore; default PATH.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PgBinDirectory { get; set; }

    /// <summary>Return only $true or $false.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (InputObject is not null)
        {
            Verify(InputObject.Path, InputObject.Container);
            return;
        }
        foreach (var p in Path)
        {
            string resolved;
            try
            {
                resolved = GetUnresolvedProviderPathFromPSPath(p);
            }
            catch (Exception ex) when (ex is not PipelineStoppedException)
            {
                WriteError(new ErrorRecord(ex, ErrorIds.PathNotFound, ErrorCategory.ObjectNotFound, p));
                continue;
            }
            Verify(resolved, Container);
        }
    }

    private void Verify(string path, string? container)
    {
        var tools = new RestoreToolOptions
        {
            Container = string.IsNullOrEmpty(container) ? null : container,
            DockerHost = DockerHost,
            PgBinDirectory = PgBinDirectory,
        };
        var level = Enum.Parse<VerificationLevel>(Level, ignoreCase: true);
        try
        {
            var report = RunCore((reporter, token) => VerificationService.VerifyPathAsync(path, level, tools, reporter, token));
            var result = OutputFactory.Verification(report, path);
            foreach (var problem in result.Problems) WriteVerbose(problem.ToString());
            if (Quiet) WriteObject(result.Passed);
            else WriteObject(result);
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            // One input failing does not stop the others.
            WriteError(ToErrorRecord(ex, path));
            if (Quiet) WriteObject(false);
        }
    }
}
