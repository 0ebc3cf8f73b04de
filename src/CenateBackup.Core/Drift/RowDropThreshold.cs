using System;
using System.Collections.Generic;
using System.Globalization;

namespace CenateBackup.Core.Drift;

/// <summary>
/// How many rows a critical table may lose between two backups: a share of the earlier count (<see cref="Percent"/>, a
/// fraction 0..1) and/or a number of rows (<see cref="Count"/>). A drop fails when it exceeds ANY given limit; growth
/// never fails, and a drop equal to a limit passes.
/// </summary>
/// <param name="Percent">Fraction of the earlier count (0.02 for 2%); null: no share limit.</param>
/// <param name="Count">Number of rows; null: no row limit.</param>
public sealed record RowDropThreshold(double? Percent, long? Count)
{
    /// <summary>Any drop at all fails (0%).</summary>
    public static RowDropThreshold AnyDrop { get; } = new(0d, null);

    /// <summary>The plan's default for retention: 2%.</summary>
    public static RowDropThreshold Default { get; } = new(0.02d, null);

    /// <summary>True when <paramref name="after"/> is below <paramref name="before"/> by more than a limit.</summary>
    public bool Exceeded(long before, long after)
    {
        var drop = before - after;
        if (drop <= 0) return false;
        // In decimal: a share the admin wrote ("2.3%") converts exactly (15 digits), so a drop equal to it passes.
        if (Percent is { } p && drop > (decimal)p * before) return true;
        return Count is { } c && drop > c;
    }

    /// <summary>"2%", "1000 rows", "2% or 1000 rows".</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Percent is { } p) parts.Add(FormatPercent(p));
        if (Count is { } c) parts.Add(c.ToString(CultureInfo.InvariantCulture) + " rows");
        return parts.Count == 0 ? "no limit" : string.Join(" or ", parts);
    }

    /// <summary>A fraction as a percentage without needless digits: 0.02 → "2%", 0.005 → "0.5%".</summary>
    public static string FormatPercent(double fraction) =>
        (fraction * 100).ToString("0.####", CultureInfo.InvariantCulture) + "%";

    /// <summary>
    /// Reads a share written with a trailing % ("2%", "0.5 %", "2.5%") as a fraction. A bare number, a negative share,
    /// more than 100% or anything else is refused (false).
    /// </summary>
    public static bool TryParsePercent(string? text, out double fraction)
    {
        fraction = 0;
        if (text is null) return false;
        var t = text.Trim();
        if (!t.EndsWith('%')) return false;
        var number = t[..^1].TrimEnd();
        if (number.Length == 0 || number[0] is '+' or '-' || number.Contains('e', StringComparison.OrdinalIgnoreCase))
            return false;
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            return false;
        if (double.IsNaN(value) || value < 0 || value > 100) return false;
        fraction = value / 100;
        return true;
    }

    /// <summary>The message for a value that is not a share with %.</summary>
    public static string PercentRule(string what) =>
        $"{what} is not a share of rows: write 2% for a share; -MaxRowDropCount 1000 for a number of rows "
        + "(a share is 0% to 100%, written with %; the decimal separator is a dot: '2.5%').";
}
