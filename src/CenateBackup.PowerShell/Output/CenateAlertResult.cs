using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>What Send-CenateAlert did on one channel: one per delivery attempt (spooled alerts first), heartbeat
/// and status file.</summary>
public sealed class CenateAlertResult
{
    internal CenateAlertResult() { }

    /// <summary>Mail, Webhook, Heartbeat or StatusFile.</summary>
    public string Channel { get; internal set; } = "";
    /// <summary>Where it went, redacted: smtp://host:port, https://host/… (no path, query or user info), or the
    /// status file's path.</summary>
    public string Target { get; internal set; } = "";
    /// <summary>Sent, Failed, Skipped, WouldSend, Written or Pinged.</summary>
    public string Status { get; internal set; } = "";
    /// <summary>The run's state: Success or Failure.</summary>
    public string State { get; internal set; } = "";
    /// <summary>New, Same, Failed or Recovered (against the last run of the job).</summary>
    public string Change { get; internal set; } = "";
    /// <summary>The job (keys the state and spool files).</summary>
    public string Job { get; internal set; } = "";
    /// <summary>The message's subject.</summary>
    public string Subject { get; internal set; } = "";
    /// <summary>True for an alert sent late from the spool.</summary>
    public bool Delayed { get; internal set; }
    /// <summary>When a delayed alert was queued.</summary>
    public DateTimeOffset? QueuedAt { get; internal set; }
    /// <summary>The server's reply (SMTP final reply, HTTP status).</summary>
    public string? Reply { get; internal set; }
    /// <summary>Mail: true when the connection was encrypted.</summary>
    public bool? Secure { get; internal set; }
    /// <summary>Mail: the TLS protocol.</summary>
    public string? Protocol { get; internal set; }
    /// <summary>The error id of a failure.</summary>
    public string? ErrorId { get; internal set; }
    /// <summary>Why it was skipped or failed, or a warning of a delivery that worked.</summary>
    public string? Reason { get; internal set; }
    /// <summary>True when the alert is in the spool and will be sent first next time.</summary>
    public bool Spooled { get; internal set; }
    /// <summary>When the attempt ended.</summary>
    public DateTimeOffset Time { get; internal set; }
    /// <summary>How long it took.</summary>
    public TimeSpan Duration { get; internal set; }

    /// <inheritdoc />
    public override string ToString() => $"{Channel} {Status} {Target}";
}
