using System;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Dumps;
using CenateBackup.Core.Exports;
using CenateBackup.Core.Storage;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Makes a backup set: a pg_dump of the database at one exported snapshot, written atomically, with a manifest.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "CenateDump", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateBackupSet))]
public sealed class NewCenateDumpCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 41;

    /// <summary>Backup directory (created 0700 if missing).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("Directory", "BackupPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Compression level 0–9 (default 6; the plan's 9 works but costs time).</summary>
    [Parameter]
    [ValidateRange(0, 9)]
    public int CompressionLevel { get; set; } = 6;

    /// <summary>Dump only these tables ("table" or "schema.table"); repeatable.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Table { get; set; }

    /// <summary>Only data, no schema.</summary>
    [Parameter]
    public SwitchParameter DataOnly { get; set; }

    /// <summary>Custom (for pg_restore, default) or Plain (SQL, written as .sql.gz).</summary>
    [Parameter]
    [ValidateSet("Custom", "Plain")]
    public string Format { get; set; } = "Custom";

    /// <summary>Tables whose exact row count is recorded in the manifest (default: asegurados). A named table that does not exist is an error (TableNotFound), as is a missing one whose -Include export was asked for.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] CriticalTable { get; set; } = { "asegurados" };

    /// <summary>Adds table exports of the critical tables to the set: Csv (&lt;database&gt;_&lt;stamp&gt;.&lt;table&gt;.csv.gz) and/or Sql (data-only &lt;database&gt;_&lt;stamp&gt;.&lt;table&gt;.data.sql.gz), read in the dump's snapshot while pg_dump runs.</summary>
    [Parameter]
    [ValidateSet("Csv", "Sql")]
    public string[]? Include { get; set; }

    /// <summary>gzip level 1–9 of the -Include exports (default 6; -CompressionLevel applies to the dump).</summary>
    [Parameter]
    [ValidateRange(1, 9)]
    public int ExportCompressionLevel { get; set; } = 6;

    /// <summary>Directory of the local pg_dump (host mode), e.g. /usr/lib/postgresql/17/bin; default: PATH.</summary>
    [Parameter(ParameterSetName = HostSet)]
    [ValidateNotNullOrEmpty]
    public string? PgBinDirectory { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = BuildTarget();
        var directory = GetUnresolvedProviderPathFromPSPath(Path);
        var what = Table is { Length: > 0 } ? $"tables {string.Join(", ", Table)} of " : "";
        var include = TableExports.None;
        foreach (var i in Include ?? Array.Empty<string>()) include |= Enum.Parse<TableExports>(i, ignoreCase: true);
        var extra = include == TableExports.None ? "" : $" with {include} exports of {string.Join(", ", CriticalTable)}";
        if (!ShouldProcess($"{what}{target.Describe()}", $"Dump ({Format}, level {CompressionLevel}){extra} into '{directory}'"))
        {
            return;
        }
        var request = new DumpRequest(target, directory)
        {
            CompressionLevel = CompressionLevel,
            Tables = Table ?? Array.Empty<string>(),
            DataOnly = DataOnly,
            Format = Enum.Parse<DumpFormat>(Format, ignoreCase: true),
            CriticalTables = CriticalTable,
            RequireCriticalTables = MyInvocation.BoundParameters.ContainsKey(nameof(CriticalTable)),
            Include = include,
            TableExporter = TableExportService.ExportIntoSetAsync,
            ExportCompressionLevel = ExportCompressionLevel,
            PgBinDirectory = PgBinDirectory,
            ToolVersion = "CenateBackup " + typeof(NewCenateDumpCommand).Assembly.GetName().Version?.ToString(3),
        };
        RunTerminating(target.Mode == Core.Targets.ConnectionMode.Container ? target.Container : target.Host, () =>
        {
            var result = RunCore((reporter, token) => DumpService.CreateAsync(request, reporter, token));
            WriteVerbose($"Database sessions used {result.Endpoint}.");
            WriteObject(OutputFactory.BackupSet(result.Manifest, result.ManifestPath, result.Duration));
        });
    }
}
