using System;
using System.Collections.Generic;
using CenateBackup.Core.Restores;
using CenateBackup.Core.Targets;

namespace CenateBackup.Core.Compare;

/// <summary>What Compare-CenateBackup asks for.</summary>
public sealed class CompareRequest
{
    /// <summary>The reference set: a manifest or any file of a set.</summary>
    public required string Reference { get; init; }
    /// <summary>The difference set (null with <see cref="Live"/>).</summary>
    public string? Difference { get; init; }
    /// <summary>Compare with the live table of this database instead of a second set.</summary>
    public DatabaseTarget? Live { get; init; }
    /// <summary>The table (default asegurados).</summary>
    public string Table { get; init; } = "asegurados";
    /// <summary>Its schema; null: public.</summary>
    public string? Schema { get; init; }
    /// <summary>Key columns; null: the primary key.</summary>
    public IReadOnlyList<string>? Key { get; init; }
    /// <summary>Which file of a set (null: Auto — CSV, else SQL, else the dump).</summary>
    public TableRestoreSource? From { get; init; }
    /// <summary>Carry each row, to show the differing rows.</summary>
    public bool IncludeRows { get; init; }
    /// <summary>The most keys a list keeps; past it only the counts stay exact.</summary>
    public int KeyLimit { get; init; } = 1_000_000;
    /// <summary>Where the spill directory goes (null: the system temp directory).</summary>
    public string? TempDirectory { get; init; }
    /// <summary>Bytes of records (plus their index) one side sorts in memory before it spills a run.</summary>
    public long RunBytes { get; init; } = 64L << 20;
    /// <summary>Compare files no manifest vouches for.</summary>
    public bool AllowUnverifiedBackup { get; init; }
}

/// <summary>The kind of a differing row.</summary>
public enum RowChange
{
    /// <summary>In the reference, not in the difference (vanished).</summary>
    Missing,
    /// <summary>In the difference only (appeared).</summary>
    Added,
    /// <summary>In both with other values.</summary>
    Changed,
}

/// <summary>One differing row (with -IncludeRows).</summary>
public sealed record RowDifference(RowChange Change, string?[] Key, IReadOnlyList<string>? ReferenceColumns,
    string?[]? Reference, IReadOnlyList<string>? DifferenceColumns, string?[]? Difference);

/// <summary>The result of a comparison.</summary>
public sealed class ComparisonResult
{
    /// <summary>schema.table.</summary>
    public string Table { get; set; } = "";
    /// <summary>Key columns.</summary>
    public string[] Key { get; set; } = Array.Empty<string>();
    /// <summary>Reference stamp.</summary>
    public string Reference { get; set; } = "";
    /// <summary>Reference path given.</summary>
    public string ReferencePath { get; set; } = "";
    /// <summary>Reference file read.</summary>
    public string ReferenceFile { get; set; } = "";
    /// <summary>Difference stamp or "live".</summary>
    public string Difference { get; set; } = "";
    /// <summary>Difference path given (or the live table).</summary>
    public string DifferencePath { get; set; } = "";
    /// <summary>Difference file read.</summary>
    public string DifferenceFile { get; set; } = "";
    /// <summary>Rows read from each side.</summary>
    public long ReferenceRows { get; set; }
    /// <summary>Rows read from the difference.</summary>
    public long DifferenceRows { get; set; }
    /// <summary>Counts.</summary>
    public long Missing { get; set; }
    /// <summary>Rows only in the difference.</summary>
    public long Added { get; set; }
    /// <summary>Rows with other values.</summary>
    public long Changed { get; set; }
    /// <summary>Rows alike.</summary>
    public long Unchanged { get; set; }
    /// <summary>Key lists (text per key field, in key order).</summary>
    public List<string?[]> MissingKeys { get; } = new();
    /// <summary>Keys only in the difference.</summary>
    public List<string?[]> AddedKeys { get; } = new();
    /// <summary>Keys whose rows changed.</summary>
    public List<string?[]> ChangedKeys { get; } = new();
    /// <summary>True when a list would have passed the key limit.</summary>
    public bool KeysTruncated { get; set; }
    /// <summary>Warnings.</summary>
    public List<string> Warnings { get; } = new();
    /// <summary>Differing rows (with -IncludeRows), in key order.</summary>
    public List<RowDifference> Rows { get; } = new();
    /// <summary>How long it took.</summary>
    public TimeSpan Duration { get; set; }
}
