using System;

namespace CenateBackup.Core.Jobs;

/// <summary>How a step of a job ended.</summary>
public enum JobStepResult
{
    /// <summary>It ran and nothing it reported failed.</summary>
    Succeeded,
    /// <summary>It threw, or reported a failure.</summary>
    Failed,
    /// <summary>It did not run (-OnlyIfSucceeded after an earlier failure).</summary>
    Skipped,
}

/// <summary>One step of a job run, as the run logs record it.</summary>
public sealed record JobStepRecord
{
    /// <summary>The step's name (dump, verify, retention …).</summary>
    public string Name { get; init; } = "";
    /// <summary>When it started.</summary>
    public DateTimeOffset Start { get; init; }
    /// <summary>When it ended.</summary>
    public DateTimeOffset End { get; init; }
    /// <summary>End minus start.</summary>
    public TimeSpan Duration => End - Start;
    /// <summary>How it ended.</summary>
    public JobStepResult Result { get; init; }
    /// <summary>The error id of its first failure (ContainerNotRunning); null when it succeeded.</summary>
    public string? ErrorId { get; init; }
    /// <summary>The message of its first failure, redacted; null when it succeeded.</summary>
    public string? Message { get; init; }
    /// <summary>Bytes it wrote or checked, when it says.</summary>
    public long? Bytes { get; init; }
    /// <summary>Rows of the critical table, when it says.</summary>
    public long? Rows { get; init; }
}
