using System;
using System.Collections.Generic;
using System.Linq;

namespace CenateBackup.Core.Drift;

/// <summary>
/// Which tables are critical and how many rows each may lose. Table names are matched ordinally against the sets'
/// rowCounts keys ("schema.table"); a bare name ("asegurados") matches that table in any schema. A per-table
/// threshold from the settings file wins over the command line's, which applies to the other critical tables.
/// </summary>
public sealed class RowDropPolicy
{
    /// <summary>The plan's critical table, when no -Table is given.</summary>
    public const string DefaultTable = "asegurados";

    private readonly IReadOnlyList<string> _tables;
    private readonly RowDropThreshold? _threshold;
    private readonly IReadOnlyDictionary<string, RowDropThreshold> _perTable;

    /// <summary>
    /// A policy: <paramref name="threshold"/> for <paramref name="tables"/> (null or empty: <see cref="DefaultTable"/>),
    /// and <paramref name="perTable"/> (from a settings file) for the tables it names.
    /// </summary>
    public RowDropPolicy(RowDropThreshold? threshold, IEnumerable<string>? tables = null,
        IReadOnlyDictionary<string, RowDropThreshold>? perTable = null)
    {
        var named = tables?.Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t.Trim()).Distinct(StringComparer.Ordinal)
            .ToList();
        _tables = named is { Count: > 0 } ? named : new[] { DefaultTable };
        _threshold = threshold;
        _perTable = perTable ?? new Dictionary<string, RowDropThreshold>(StringComparer.Ordinal);
    }

    /// <summary>The default policy: any table named asegurados at <paramref name="threshold"/>.</summary>
    public static RowDropPolicy Default(RowDropThreshold threshold) => new(threshold);

    /// <summary>The names this policy watches (command line and settings), as given.</summary>
    public IReadOnlyList<string> Names => (_threshold is null ? Array.Empty<string>() : _tables)
        .Concat(_perTable.Keys).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>True when <paramref name="name"/> (as given) names <paramref name="key"/> (schema.table).</summary>
    public static bool Matches(string name, string key)
    {
        if (string.Equals(name, key, StringComparison.Ordinal)) return true;
        if (name.Contains('.', StringComparison.Ordinal)) return false;
        var dot = key.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && string.Equals(key[(dot + 1)..], name, StringComparison.Ordinal);
    }

    /// <summary>The threshold for the table <paramref name="key"/> (schema.table); null when it is not critical.</summary>
    public RowDropThreshold? ThresholdFor(string key)
    {
        // An exact name in the settings beats a bare one; the settings beat the command line.
        if (_perTable.TryGetValue(key, out var exact)) return exact;
        foreach (var (name, t) in _perTable.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (Matches(name, key)) return t;
        }
        if (_threshold is null) return null;
        return _tables.Any(n => Matches(n, key)) ? _threshold : null;
    }

    /// <summary>The critical tables among <paramref name="keys"/>, in ordinal order.</summary>
    public IReadOnlyList<string> CriticalAmong(IEnumerable<string> keys) => keys.Distinct(StringComparer.Ordinal)
        .Where(k => ThresholdFor(k) is not null).OrderBy(k => k, StringComparer.Ordinal).ToList();

    /// <summary>The watched names that match none of <paramref name="keys"/>.</summary>
    public IReadOnlyList<string> Unmatched(IEnumerable<string> keys)
    {
        var list = keys.ToList();
        return Names.Where(n => !list.Any(k => Matches(n, k))).ToList();
    }
}
