using System;
using System.Management.Automation;
using CenateBackup.Core.Exports;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Exports a table (default asegurados) as CSV with header, exactly as COPY … (FORMAT csv, HEADER) writes it, gzip-compressed, into a backup set of its own.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "CenateAseguradosCsv", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateBackupSet))]
public sealed class ExportCenateAseguradosCsvCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 45;

    /// <summary>Backup directory (created 0700 if missing).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("Directory", "BackupPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Table to export (default asegurados); "schema.table" is accepted when -Schema is not given.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Table { get; set; } = "asegurados";

    /// <summary>Schema of the table (default: the first schema of the search_path that has it).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Schema { get; set; }

    /// <summary>gzip level 0–9 (default 6, .NET's Optimal).</summary>
    [Parameter]
    [ValidateRange(0, 9)]
    public int CompressionLevel { get; set; } = 6;

    /// <summary>Write plain .csv instead of .csv.gz.</summary>
    [Parameter]
    public SwitchParameter NoCompression { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = BuildTarget();
        var directory = GetUnresolvedProviderPathFromPSPath(Path);
        var table = Schema is null ? Table : $"{Schema}.{Table}";
        if (!ShouldProcess($"table {table} of {target.Describe()}", $"Export as CSV ({(NoCompression ? "uncompressed" : $"gzip level {CompressionLevel}")}) into '{directory}'"))
        {
            return;
        }
        var request = new CsvExportRequest(target, directory, Table)
        {
            Schema = Schema,
            GzipLevel = NoCompression ? null : CompressionLevel,
            ToolVersion = "CenateBackup " + typeof(ExportCenateAseguradosCsvCommand).Assembly.GetName().Version?.ToString(3),
        };
        RunTerminating(target.Mode == Core.Targets.ConnectionMode.Container ? target.Container : target.Host, () =>
        {
            var result = RunCore((reporter, token) => TableExportService.ExportCsvAsync(request, reporter, token));
            WriteVerbose($"Rows travelled over {result.Route}.");
            WriteObject(OutputFactory.BackupSet(result.Manifest, result.ManifestPath, result.Duration));
        });
    }
}
