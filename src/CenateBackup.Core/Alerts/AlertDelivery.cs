using System;
using CenateBackup.Core.Errors;

namespace CenateBackup.Core.Alerts;

/// <summary>-When: which runs send mail and webhook alerts.</summary>
public enum AlertWhen
{
    /// <summary>Only failed runs (default).</summary>
    Failure,
    /// <summary>Every run.</summary>
    Always,
    /// <summary>Only when the state differs from the last run's (and a first run that failed).</summary>
    Change,
}

/// <summary>What happened on one channel.</summary>
public enum AlertDeliveryStatus
{
    /// <summary>The server accepted the message.</summary>
    Sent,
    /// <summary>It was not delivered (an error was written; mail and webhook alerts were spooled).</summary>
    Failed,
    /// <summary>-When said not to send.</summary>
    Skipped,
    /// <summary>-WhatIf or a declined confirmation: nothing was sent or written.</summary>
    WouldSend,
    /// <summary>The status file was written (or, for -Test, its directory proved writable).</summary>
    Written,
    /// <summary>The heartbeat was pinged.</summary>
    Pinged,
}

/// <summary>One delivery attempt (or a skip) on one channel; the cmdlet turns it into a CenateAlertResult.</summary>
public sealed record AlertDelivery
{
    /// <summary>Kind of channel.</summary>
    public required AlertChannelKind Channel { get; init; }
    /// <summary>Redacted target.</summary>
    public required string Target { get; init; }
    /// <summary>Outcome.</summary>
    public required AlertDeliveryStatus Status { get; init; }
    /// <summary>State of the run the message reports.</summary>
    public AlertState State { get; init; }
    /// <summary>Change of the run the message reports.</summary>
    public AlertChange Change { get; init; }
    /// <summary>Job.</summary>
    public string Job { get; init; } = "";
    /// <summary>The message's subject.</summary>
    public string Subject { get; init; } = "";
    /// <summary>True for an alert sent (or tried) late from the spool.</summary>
    public bool Delayed { get; init; }
    /// <summary>When a delayed alert was queued.</summary>
    public DateTimeOffset? QueuedAt { get; init; }
    /// <summary>The server's reply.</summary>
    public string? Reply { get; init; }
    /// <summary>Mail: encrypted connection.</summary>
    public bool? Secure { get; init; }
    /// <summary>Mail: TLS protocol.</summary>
    public string? Protocol { get; init; }
    /// <summary>Error id of a failure.</summary>
    public string? ErrorId { get; init; }
    /// <summary>Why it was skipped or failed, or a warning of a delivery that worked.</summary>
    public string? Reason { get; init; }
    /// <summary>True when the alert is (still) in the spool.</summary>
    public bool Spooled { get; init; }
    /// <summary>When the attempt ended.</summary>
    public DateTimeOffset Time { get; init; }
    /// <summary>How long it took.</summary>
    public TimeSpan Duration { get; init; }
    /// <summary>The error to write (AlertDeliveryFailed…), for a failure.</summary>
    public CenateException? Error { get; init; }
}
