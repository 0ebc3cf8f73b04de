using System.Collections.Generic;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;

namespace CenateBackup.Core.Dumps;

/// <summary>What New-CenateDump asks for.</summary>
public sealed class DumpRequest
{
    /// <summary>Creates a request.</summary>
    public DumpRequest(DatabaseTarget target, string directory)
    {
        Target = target;
        Directory = directory;
    }

    /// <summary>The database.</summary>
    public DatabaseTarget Target { get; }
    /// <summary>Backup directory.</summary>
    public string Directory { get; }
    /// <summary>0–9; custom dumps use pg_dump's zlib level, plain SQL is gzip-compressed by the module.</summary>
    public int CompressionLevel { get; init; } = 6;
    /// <summary>Dump only these tables ("table" or "schema.table").</summary>
    public IReadOnlyList<string> Tables { get; init; } = new List<string>();
    /// <summary>Data only, no schema.</summary>
    public bool DataOnly { get; init; }
    /// <summary>Custom or plain.</summary>
    public DumpFormat Format { get; init; } = DumpFormat.Custom;
    /// <summary>Tables whose exact row count goes into the manifest when present (default: asegurados).</summary>
    public IReadOnlyList<string> CriticalTables { get; init; } = new List<string> { "asegurados" };
    /// <summary>
    /// A critical table that does not exist is an error (the admin named it, or asked for its exports): a typo must
    /// never give a set silently without the table's count or CSV. Otherwise a missing default is only reported.
    /// </summary>
    public bool RequireCriticalTables { get; init; }
    /// <summary>Local directory of pg_dump (host mode); null uses PATH.</summary>
    public string? PgBinDirectory { get; init; }
    /// <summary>Table exports added to the set (of the critical tables), read in the same snapshot, concurrently with the dump.</summary>
    public TableExports Include { get; init; }
    /// <summary>
    /// Writes those exports into the set (TableExportService.ExportIntoSetAsync); needed when <see cref="Include"/> is set.
    /// </summary>
    public SetTableExporter? TableExporter { get; init; }
    /// <summary>gzip level 1–9 of those exports (default 6, what gzip and .NET's Optimal use).</summary>
    public int ExportCompressionLevel { get; init; } = 6;
    /// <summary>Module version written into the manifest.</summary>
    public string ToolVersion { get; init; } = "CenateBackup";
}
