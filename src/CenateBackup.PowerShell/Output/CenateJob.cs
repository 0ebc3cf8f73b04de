using System;
using System.Collections.Generic;

namespace CenateBackup.PowerShell.Output;

/// <summary>
/// A run of a job of the plan, from Start-CenateJob to Complete-CenateJob. Locked: another run holds the job's lock
/// (exit 75, nothing touched). Preflight: the checks passed, nothing was run or logged.
/// </summary>
public sealed class CenateJob
{
    internal CenateJob() { }

    /// <summary>The job's name.</summary>
    public string Name { get; internal set; } = "";
    /// <summary>The settings the run read.</summary>
    public CenateSettings Settings { get; internal set; } = null!;
    /// <summary>True when another run holds the job's lock: exit 75.</summary>
    public bool Locked { get; internal set; }
    /// <summary>True for -Preflight (checks only; exit 0).</summary>
    public bool Preflight { get; internal set; }
    /// <summary>True once a step failed.</summary>
    public bool Failed => Run?.Failed ?? false;
    /// <summary>The exit code the script should end with now: 75 when locked, 1 after a failure, else 0.</summary>
    public int ExitCode => Locked ? 75 : Failed ? 1 : 0;
    /// <summary>Identifies the run in its logs.</summary>
    public string RunId { get; internal set; } = "";
    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; internal set; }
    /// <summary>The human run log; null when none is written (locked, preflight).</summary>
    public string? LogPath => Run?.LogPath;
    /// <summary>The JSON-lines run log; null when none is written.</summary>
    public string? JsonLogPath => Run?.JsonLogPath;
    /// <summary>The lock file.</summary>
    public string LockPath { get; internal set; } = "";
    /// <summary>The default -When of Complete-CenateJob's alert.</summary>
    public string When { get; internal set; } = "Failure";
    /// <summary>The steps so far.</summary>
    public CenateJobStep[] Steps => StepList.ToArray();

    internal List<CenateJobStep> StepList { get; } = new();

    /// <summary>Failed outputs and errors of the steps, for the alert.</summary>
    internal List<object> Failures { get; } = new();

    /// <summary>Everything the steps reported (for -When Always alerts).</summary>
    internal List<object> Reported { get; } = new();

    /// <summary>The Core run (null for a locked job).</summary>
    internal CenateBackup.Core.Jobs.JobRun? Run { get; set; }
}
