using System;
using System.Management.Automation;
using CenateBackup.Core.Compare;
using CenateBackup.Core.Restores;
using CenateBackup.PowerShell.Output;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Lists the keys of a table that vanished, appeared or changed between two backup sets, or
/// between a set and the live table.</para>
/// </summary>
[Cmdlet(VerbsData.Compare, "CenateBackup", DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateBackupComparison), typeof(CenateRowDifference))]
public sealed class CompareCenateBackupCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 52;

    /// <summary>The reference set: a manifest, any file of a set, or a CenateBackupSet.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [BackupPathTransformation]
    [ValidateNotNullOrEmpty]
    public string Reference { get; set; } = "";

    /// <summary>The set to compare with: a manifest, any file of a set, or a CenateBackupSet (or -Live).</summary>
    [Parameter(Position = 1)]
    [BackupPathTransformation]
    [ValidateNotNullOrEmpty]
    public string? Difference { get; set; }

    /// <summary>Compare with the live table (connection parameters as Restore-CenateTable) instead of a second
    /// set.</summary>
    [Parameter]
    public SwitchParameter Live { get; set; }

    /// <summary>The table (default asegurados).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Table { get; set; } = "asegurados";

    /// <summary>Its schema (default public).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Schema { get; set; }

    /// <summary>The columns that identify a row (default: the primary key the reference's manifest records).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Key { get; set; }

    /// <summary>Auto (CSV export, else SQL export, else the dump), Csv, Sql or Dump.</summary>
    [Parameter]
    [ValidateSet("Auto", "Csv", "Sql", "Dump")]
    public string From { get; set; } = "Auto";

    /// <summary>Also write one CenateRowDifference per differing key, with the rows (personal data: screen
    /// only).</summary>
    [Parameter]
    public SwitchParameter IncludeRows { get; set; }

    /// <summary>The most keys each list keeps (default 1000000); past it KeysTruncated is true and only the counts are
    /// exact.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int KeyLimit { get; set; } = 1_000_000;

    /// <summary>Where the sorted runs are spilled (a private directory is made there and removed); default the system
    /// temp.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TempDirectory { get; set; }

    /// <summary>Compare files no manifest vouches for (their checksum cannot be checked).</summary>
    [Parameter]
    public SwitchParameter AllowUnverifiedBackup { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        RunTerminating(Reference, () =>
        {
            if (Live == (Difference is not null))
            {
                throw new Core.Errors.CenateException(Core.Errors.ErrorIds.CompareSidesInvalid,
                    Core.Errors.CenateErrorKind.InvalidArgument,
                    Messages.Get("CompareSidesInvalid"), Messages.Get("CompareSidesInvalid.Action"), Reference);
            }
            var request = new CompareRequest
            {
                Reference = GetUnresolvedProviderPathFromPSPath(Reference),
                Difference = Difference is null ? null : GetUnresolvedProviderPathFromPSPath(Difference),
                Live = Live ? BuildTarget() : null,
                Table = Table,
                Schema = Schema,
                Key = Key,
                From = From == "Auto" ? null : Enum.Parse<TableRestoreSource>(From, ignoreCase: true),
                IncludeRows = IncludeRows,
                KeyLimit = KeyLimit,
                TempDirectory = TempDirectory is null ? null : GetUnresolvedProviderPathFromPSPath(TempDirectory),
                AllowUnverifiedBackup = AllowUnverifiedBackup,
            };
            var result = RunCore((reporter, token) => BackupComparer.CompareAsync(request, reporter, token));
            foreach (var w in result.Warnings) WriteWarning(w);
            foreach (var row in result.Rows) WriteObject(ComparisonOutput.Row(row));
            WriteObject(ComparisonOutput.Summary(result));
        });
    }
}

/// <summary>Takes a CenateBackupSet, CenateBackupFile or FileInfo as its path; strings pass as they are.</summary>
public sealed class BackupPathTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject ps ? ps.BaseObject : inputData;
        return value switch
        {
            CenateBackupSet set => set.Path,
            CenateBackupFile file => file.Path,
            System.IO.FileSystemInfo info => info.FullName,
            _ => inputData,
        };
    }
}
