using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>One critical table compared by Test-CenateBackup's drift check: counts and stamps, never rows.</summary>
public sealed class CenateRowDrift
{
    internal CenateRowDrift() { }

    /// <summary>schema.table.</summary>
    public string Table { get; internal set; } = "";
    /// <summary>Rows in the earlier set.</summary>
    public long Before { get; internal set; }
    /// <summary>Rows in the later set (or live); 0 when the table is gone.</summary>
    public long After { get; internal set; }
    /// <summary>After minus before: negative for a drop.</summary>
    public long Difference { get; internal set; }
    /// <summary>The drop as a percentage of Before (0 for growth).</summary>
    public double DropPercent { get; internal set; }
    /// <summary>Stamp of the earlier set.</summary>
    public string BeforeStamp { get; internal set; } = "";
    /// <summary>Stamp of the later set, or "live".</summary>
    public string AfterStamp { get; internal set; } = "";
    /// <summary>The limit applied ("2%", "1000 rows").</summary>
    public string Threshold { get; internal set; } = "";
    /// <summary>True when the drop is beyond the limit.</summary>
    public bool Exceeded { get; internal set; }
    /// <summary>True when Confirm-CenateRowDrop acknowledged the drop (then it is not a problem).</summary>
    public bool Acknowledged { get; internal set; }
    /// <summary>Why the drop is expected: the admin's words given to Confirm-CenateRowDrop.</summary>
    public string? AcknowledgedReason { get; internal set; }
    /// <summary>Who acknowledged the drop (the account's user name).</summary>
    public string? AcknowledgedBy { get; internal set; }
    /// <summary>When the drop was acknowledged (UTC).</summary>
    public DateTimeOffset? AcknowledgedAt { get; internal set; }
    /// <summary>The comparison in words.</summary>
    public string Message { get; internal set; } = "";

    /// <inheritdoc />
    public override string ToString() => Message;
}
