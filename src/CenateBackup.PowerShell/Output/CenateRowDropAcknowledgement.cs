using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>A drop of a critical table's rows acknowledged by Confirm-CenateRowDrop, as recorded in the set's manifest.</summary>
public sealed class CenateRowDropAcknowledgement
{
    internal CenateRowDropAcknowledgement() { }

    /// <summary>Manifest of the set the drop went into.</summary>
    public string Path { get; internal set; } = "";
    /// <summary>Database.</summary>
    public string Database { get; internal set; } = "";
    /// <summary>Stamp of the set the drop went into.</summary>
    public string Stamp { get; internal set; } = "";
    /// <summary>schema.table.</summary>
    public string Table { get; internal set; } = "";
    /// <summary>Rows in the earlier full set.</summary>
    public long Before { get; internal set; }
    /// <summary>Rows in this set.</summary>
    public long After { get; internal set; }
    /// <summary>After minus before (negative).</summary>
    public long Difference => After - Before;
    /// <summary>Stamp of the earlier full set.</summary>
    public string BeforeStamp { get; internal set; } = "";
    /// <summary>The reason given.</summary>
    public string Reason { get; internal set; } = "";
    /// <summary>Who acknowledged it.</summary>
    public string By { get; internal set; } = "";
    /// <summary>When (UTC).</summary>
    public DateTimeOffset At { get; internal set; }
}
