using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>How a job run ended (Complete-CenateJob): exit with <see cref="ExitCode"/>.</summary>
public sealed class CenateJobResult
{
    internal CenateJobResult() { }

    /// <summary>The job's name.</summary>
    public string Job { get; internal set; } = "";
    /// <summary>Succeeded, Failed or Locked.</summary>
    public string Result { get; internal set; } = "";
    /// <summary>0 succeeded, 1 failed, 75 locked (another run holds the lock).</summary>
    public int ExitCode { get; internal set; }
    /// <summary>JobLocked for a Locked run (another run holds the lock); null otherwise.</summary>
    public string? ErrorId { get; internal set; }
    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; internal set; }
    /// <summary>When it ended.</summary>
    public DateTimeOffset EndedAt { get; internal set; }
    /// <summary>How long it ran.</summary>
    public TimeSpan Duration => EndedAt - StartedAt;
    /// <summary>Its steps.</summary>
    public CenateJobStep[] Steps { get; internal set; } = Array.Empty<CenateJobStep>();
    /// <summary>The human run log.</summary>
    public string? LogPath { get; internal set; }
    /// <summary>The JSON-lines run log.</summary>
    public string? JsonLogPath { get; internal set; }
}
