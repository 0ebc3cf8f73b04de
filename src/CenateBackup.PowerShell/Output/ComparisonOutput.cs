using System.Collections.Generic;
using System.Collections.Specialized;
using System.Linq;
using CenateBackup.Core.Compare;

namespace CenateBackup.PowerShell.Output;

/// <summary>Core's comparison result to the public output types.</summary>
internal static class ComparisonOutput
{
    /// <summary>The summary object.</summary>
    public static CenateBackupComparison Summary(ComparisonResult r) => new()
    {
        Table = r.Table,
        Key = r.Key,
        Reference = r.Reference,
        ReferencePath = r.ReferencePath,
        ReferenceFile = r.ReferenceFile,
        Difference = r.Difference,
        DifferencePath = r.DifferencePath,
        DifferenceFile = r.DifferenceFile,
        ReferenceRows = r.ReferenceRows,
        DifferenceRows = r.DifferenceRows,
        Missing = r.Missing,
        Added = r.Added,
        Changed = r.Changed,
        Unchanged = r.Unchanged,
        MissingKeys = Keys(r.MissingKeys),
        AddedKeys = Keys(r.AddedKeys),
        ChangedKeys = Keys(r.ChangedKeys),
        KeysTruncated = r.KeysTruncated,
        Warnings = r.Warnings.ToArray(),
        Duration = r.Duration,
    };

    /// <summary>One differing row.</summary>
    public static CenateRowDifference Row(RowDifference d) => new()
    {
        Change = d.Change.ToString(),
        Key = Key(d.Key),
        Reference = Row(d.ReferenceColumns, d.Reference),
        Difference = Row(d.DifferenceColumns, d.Difference),
    };

    private static object[] Keys(List<string?[]> keys) => keys.Select(Key).ToArray()!;

    private static object Key(string?[] key) => key.Length == 1 ? key[0]! : key;

    private static OrderedDictionary? Row(IReadOnlyList<string>? columns, string?[]? values)
    {
        if (columns is null || values is null) return null;
        var row = new OrderedDictionary(System.StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++) row[columns[i]] = values[i];
        return row;
    }
}
