using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>
/// What Compare-CenateBackup found: counts first, key lists (a string per key for a one-column key, a string[] in key
/// column order for a composite key) that pipe into Restore-CenateTable -Mode MissingRows.
/// </summary>
public sealed class CenateBackupComparison
{
    internal CenateBackupComparison() { }

    /// <summary>schema.table.</summary>
    public string Table { get; internal set; } = "";
    /// <summary>The key columns rows were matched by.</summary>
    public string[] Key { get; internal set; } = Array.Empty<string>();
    /// <summary>The reference set's stamp.</summary>
    public string Reference { get; internal set; } = "";
    /// <summary>The reference as given (a manifest or a file of the set).</summary>
    public string ReferencePath { get; internal set; } = "";
    /// <summary>The file the reference rows were read from.</summary>
    public string ReferenceFile { get; internal set; } = "";
    /// <summary>The difference set's stamp, or "live".</summary>
    public string Difference { get; internal set; } = "";
    /// <summary>The difference as given, or the live server and database.</summary>
    public string DifferencePath { get; internal set; } = "";
    /// <summary>The file the difference rows were read from, or the live table.</summary>
    public string DifferenceFile { get; internal set; } = "";
    /// <summary>Rows read from the reference.</summary>
    public long ReferenceRows { get; internal set; }
    /// <summary>Rows read from the difference.</summary>
    public long DifferenceRows { get; internal set; }
    /// <summary>Keys in the reference only (vanished).</summary>
    public long Missing { get; internal set; }
    /// <summary>Keys in the difference only (appeared).</summary>
    public long Added { get; internal set; }
    /// <summary>Keys in both whose compared columns differ.</summary>
    public long Changed { get; internal set; }
    /// <summary>Keys in both with the same values.</summary>
    public long Unchanged { get; internal set; }
    /// <summary>The vanished keys, in key order (up to -KeyLimit).</summary>
    public object[] MissingKeys { get; internal set; } = Array.Empty<object>();
    /// <summary>The appeared keys, in key order (up to -KeyLimit).</summary>
    public object[] AddedKeys { get; internal set; } = Array.Empty<object>();
    /// <summary>The changed keys, in key order (up to -KeyLimit).</summary>
    public object[] ChangedKeys { get; internal set; } = Array.Empty<object>();
    /// <summary>True when a list would have passed -KeyLimit: the counts are exact, the lists are not
    /// complete.</summary>
    public bool KeysTruncated { get; internal set; }
    /// <summary>Warnings (columns on one side only, unverified files).</summary>
    public string[] Warnings { get; internal set; } = Array.Empty<string>();
    /// <summary>How long the comparison took.</summary>
    public TimeSpan Duration { get; internal set; }
}

/// <summary>One differing row (Compare-CenateBackup -IncludeRows), written before the summary, in key order.</summary>
public sealed class CenateRowDifference
{
    internal CenateRowDifference() { }

    /// <summary>Missing, Added or Changed.</summary>
    public string Change { get; internal set; } = "";
    /// <summary>The key: a string for a one-column key, a string[] for a composite key.</summary>
    public object? Key { get; internal set; }
    /// <summary>The reference row (column → value, $null for NULL); null for an added row.</summary>
    public System.Collections.Specialized.OrderedDictionary? Reference { get; internal set; }
    /// <summary>The difference row; null for a missing row.</summary>
    public System.Collections.Specialized.OrderedDictionary? Difference { get; internal set; }
}
