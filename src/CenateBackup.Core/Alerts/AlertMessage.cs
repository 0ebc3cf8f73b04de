using System;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// One alert, composed in one language: what every channel sends. Spooled alerts are stored as their
/// <see cref="AlertRun"/> (data) and composed again, with <see cref="Delayed"/> set, when they are finally sent.
/// </summary>
public sealed record AlertMessage
{
    /// <summary>The run it reports.</summary>
    public required AlertRun Run { get; init; }
    /// <summary>How its state compares with the run before.</summary>
    public required AlertChange Change { get; init; }
    /// <summary>True for Send-CenateAlert -Test.</summary>
    public bool IsTest { get; init; }
    /// <summary>True when the alert could not be sent at its time and is sent now from the spool.</summary>
    public bool Delayed { get; init; }
    /// <summary>Mail subject / chat title (one line).</summary>
    public required string Subject { get; init; }
    /// <summary>Plain-text body.</summary>
    public required string Text { get; init; }
    /// <summary>HTML body; every value in it is HTML-encoded.</summary>
    public required string Html { get; init; }
    /// <summary>A few lines for chat messages and heartbeat bodies.</summary>
    public required string Short { get; init; }
    /// <summary>Two-letter language of the texts ("en" or "es").</summary>
    public string Language { get; init; } = "en";
}
