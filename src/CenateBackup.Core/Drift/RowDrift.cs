using System;

namespace CenateBackup.Core.Drift;

/// <summary>One critical table compared between two backup sets (or a set and the live table).</summary>
/// <param name="Table">schema.table.</param>
/// <param name="Before">Rows in the earlier set.</param>
/// <param name="After">Rows in the later set (or live); 0 when the table is gone.</param>
/// <param name="BeforeStamp">Stamp of the earlier set.</param>
/// <param name="AfterStamp">Stamp of the later set, or "live".</param>
/// <param name="Threshold">The limit applied, as text ("2%", "1000 rows").</param>
/// <param name="Exceeded">True when the drop is beyond the limit.</param>
/// <param name="Acknowledged">True when Confirm-CenateRowDrop acknowledged this drop in the later set.</param>
/// <param name="AcknowledgedReason">The reason the admin gave (their words alone).</param>
public sealed record RowDrift(string Table, long Before, long After, string BeforeStamp, string AfterStamp,
    string Threshold, bool Exceeded, bool Acknowledged = false, string? AcknowledgedReason = null)
{
    /// <summary>Who acknowledged the drop (the account's user name); null when not acknowledged.</summary>
    public string? AcknowledgedBy { get; init; }

    /// <summary>When the drop was acknowledged (UTC); null when not acknowledged.</summary>
    public DateTimeOffset? AcknowledgedAt { get; init; }

    /// <summary>"acknowledged by X at T: reason" (null when not acknowledged): the check line's words.</summary>
    public string? DescribeAcknowledgement() => Acknowledged
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"acknowledged by {AcknowledgedBy} at {AcknowledgedAt:u}: {AcknowledgedReason}")
        : null;

    /// <summary>After minus before: negative for a drop.</summary>
    public long Difference => After - Before;

    /// <summary>The drop as a percentage of the earlier count (0 for growth; 100 when the table is emptied).</summary>
    public double DropPercent => Before <= 0 || After >= Before ? 0 : (Before - After) * 100.0 / Before;

    /// <summary>A problem: beyond the limit and not acknowledged.</summary>
    public bool IsProblem => Exceeded && !Acknowledged;

    /// <summary>
    /// "public.asegurados: 4000000 rows at 20261129_020000, 3880000 at 20261130_020000: 120000 fewer (3.00%), more
    /// than 2%". Counts and stamps only: never a row's contents.
    /// </summary>
    public string Describe()
    {
        var change = Difference < 0
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{-Difference} fewer ({DropPercent:0.00}%)")
            : Difference == 0 ? "no change" : $"{Difference} more";
        var verdict = Exceeded ? $"more than {Threshold}" : $"within {Threshold}";
        return $"{Table}: {Before} rows at {BeforeStamp}, {After} at {AfterStamp}: {change}, {verdict}";
    }
}
