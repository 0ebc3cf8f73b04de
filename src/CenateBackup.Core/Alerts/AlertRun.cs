using System;
using System.Collections.Generic;
using System.Linq;

namespace CenateBackup.Core.Alerts;

/// <summary>The overall state of a run.</summary>
public enum AlertState
{
    /// <summary>Nothing failed.</summary>
    Success,
    /// <summary>At least one item failed.</summary>
    Failure,
}

/// <summary>How this run's state compares with the last run's (read from the state file).</summary>
public enum AlertChange
{
    /// <summary>No earlier state is known.</summary>
    New,
    /// <summary>Same state as the last run.</summary>
    Same,
    /// <summary>Success before, failure now.</summary>
    Failed,
    /// <summary>Failure before, success now.</summary>
    Recovered,
}

/// <summary>A backup the alert names as the last good one.</summary>
public sealed record AlertGoodBackup(string Database, string Stamp, string? Path, long? Size, DateTimeOffset Time);

/// <summary>Everything one run reports: collected from the pipeline until its end, sent as one message.</summary>
public sealed record AlertRun
{
    /// <summary>Identifies the run (also the heartbeat's rid).</summary>
    public Guid RunId { get; init; } = Guid.NewGuid();
    /// <summary>Machine name.</summary>
    public required string Host { get; init; }
    /// <summary>Job name (the calling script's name by default); keys the state and spool files.</summary>
    public required string Job { get; init; }
    /// <summary>When the cmdlet started collecting.</summary>
    public required DateTimeOffset StartedAt { get; init; }
    /// <summary>When the pipeline ended.</summary>
    public required DateTimeOffset EndedAt { get; init; }
    /// <summary>The module's version.</summary>
    public string ModuleVersion { get; init; } = "";
    /// <summary>What the run reported, in pipeline order.</summary>
    public IReadOnlyList<AlertItem> Items { get; init; } = Array.Empty<AlertItem>();
    /// <summary>The newest good backup among the items, or remembered from an earlier run.</summary>
    public AlertGoodBackup? LastGoodBackup { get; init; }
    /// <summary>When the job last succeeded (state file), including this run.</summary>
    public DateTimeOffset? LastSuccess { get; init; }
    /// <summary>When the job last failed (state file), including this run.</summary>
    public DateTimeOffset? LastFailure { get; init; }

    /// <summary>Failure when any item failed, otherwise Success (a run with no items is a success).</summary>
    public AlertState State => Items.Any(i => i.Status == AlertItemStatus.Failed) ? AlertState.Failure : AlertState.Success;

    /// <summary>The failed items.</summary>
    public IEnumerable<AlertItem> Failures => Items.Where(i => i.Status == AlertItemStatus.Failed);

    /// <summary>The databases the items name, distinct, in order.</summary>
    public IEnumerable<string> Databases => Items.Select(i => i.Database).OfType<string>().Distinct(StringComparer.Ordinal);
}
