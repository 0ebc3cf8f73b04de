using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>One step of a job run (Invoke-CenateJobStep), as its JSON-lines log records it.</summary>
public sealed class CenateJobStep
{
    internal CenateJobStep() { }

    /// <summary>The step's name.</summary>
    public string Name { get; internal set; } = "";
    /// <summary>Succeeded, Failed or Skipped.</summary>
    public string Result { get; internal set; } = "";
    /// <summary>When it started.</summary>
    public DateTimeOffset Start { get; internal set; }
    /// <summary>How long it ran.</summary>
    public TimeSpan Duration { get; internal set; }
    /// <summary>The error id of its first failure.</summary>
    public string? ErrorId { get; internal set; }
    /// <summary>The message of its first failure (redacted).</summary>
    public string? Message { get; internal set; }
    /// <summary>Bytes written or checked, when the step's output says.</summary>
    public long? Bytes { get; internal set; }
    /// <summary>Rows of the critical table, when the step's output says.</summary>
    public long? Rows { get; internal set; }
}
