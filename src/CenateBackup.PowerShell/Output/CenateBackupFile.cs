using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>One file of a backup set.</summary>
public sealed class CenateBackupFile
{
    internal CenateBackupFile(string path, string name, string kind, long size, string sha256, int compressionLevel, bool dataOnly, string[] tables, string database, string stamp, DateTimeOffset completedAt, long? rows)
    {
        Path = path; Name = name; Kind = kind; Size = size; Sha256 = sha256; CompressionLevel = compressionLevel;
        DataOnly = dataOnly; Tables = tables; Database = database; Stamp = stamp; CompletedAt = completedAt; Rows = rows;
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }
    /// <summary>File name.</summary>
    public string Name { get; }
    /// <summary>Dump, Sql or Csv.</summary>
    public string Kind { get; }
    /// <summary>Size in bytes.</summary>
    public long Size { get; }
    /// <summary>SHA-256 (lowercase hex).</summary>
    public string Sha256 { get; }
    /// <summary>Compression level 0–9.</summary>
    public int CompressionLevel { get; }
    /// <summary>Data only.</summary>
    public bool DataOnly { get; }
    /// <summary>Tables it is limited to (empty: whole database).</summary>
    public string[] Tables { get; }
    /// <summary>Database.</summary>
    public string Database { get; }
    /// <summary>Stamp of the set (UTC yyyyMMdd_HHmmss).</summary>
    public string Stamp { get; }
    /// <summary>Data rows in the file (CSV and SQL exports); null for dumps.</summary>
    public long? Rows { get; }
    /// <summary>When it was committed.</summary>
    public DateTimeOffset CompletedAt { get; }

    /// <inheritdoc />
    public override string ToString() => Path;
}
