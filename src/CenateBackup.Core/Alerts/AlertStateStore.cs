using System;
using System.IO;
using System.Text.Json;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Alerts;

/// <summary>What the state file remembers of a job between runs.</summary>
public sealed record AlertJobState
{
    /// <summary>Format version (1).</summary>
    public int SchemaVersion { get; init; } = 1;
    /// <summary>The job the file belongs to.</summary>
    public string Job { get; init; } = "";
    /// <summary>The state of the last run.</summary>
    public AlertState State { get; init; }
    /// <summary>When the file was written.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
    /// <summary>When the job last succeeded.</summary>
    public DateTimeOffset? LastSuccess { get; init; }
    /// <summary>When the job last failed.</summary>
    public DateTimeOffset? LastFailure { get; init; }
    /// <summary>The newest good backup seen so far.</summary>
    public AlertGoodBackup? LastGoodBackup { get; init; }
}

/// <summary>
/// The state file <c>&lt;StateDirectory&gt;/&lt;Job&gt;.state.json</c> (0600): read before a run to know the change
/// (-When Change), written after it. A missing, damaged or foreign file counts as no state, with a warning: an alert
/// must never be blocked by its own bookkeeping.
/// </summary>
public static class AlertStateStore
{
    /// <summary>The state file of <paramref name="job"/>.</summary>
    public static string PathOf(string stateDirectory, string job) => Path.Combine(stateDirectory, job + ".state.json");

    /// <summary>Reads the state, or null (warning through <paramref name="warn"/> when the file is unusable).</summary>
    public static AlertJobState? Read(string path, string job, Action<string> warn)
    {
        try
        {
            if (!File.Exists(path)) return null;
            var state = JsonSerializer.Deserialize<AlertJobState>(File.ReadAllBytes(path), AlertFileWriter.Json);
            if (state is null || state.SchemaVersion != 1 || !string.Equals(state.Job, job, StringComparison.Ordinal)
                || !Enum.IsDefined(state.State)
                || (state.LastGoodBackup is { } g && (g.Database is null || g.Stamp is null)))
            {
                warn(Messages.Format("Warning.AlertState.OtherJob", path, job));
                return null;
            }
            return state;
        }
        catch (Exception ex)
            when (ex is JsonException or IOException or UnauthorizedAccessException or NotSupportedException
                or InvalidOperationException or ArgumentException)
        {
            warn(Messages.Format("Warning.AlertState.Unreadable", path, ex.GetType().Name));
            return null;
        }
    }

    /// <summary>How <paramref name="current"/> compares with the last state.</summary>
    public static AlertChange ChangeOf(AlertJobState? previous, AlertState current) =>
        previous is null ? AlertChange.New
        : previous.State == current ? AlertChange.Same
        : current == AlertState.Failure ? AlertChange.Failed
        : AlertChange.Recovered;

    /// <summary>The state after <paramref name="run"/> (whose LastSuccess/LastFailure/LastGoodBackup are
    /// already merged).</summary>
    public static AlertJobState Next(AlertRun run) => new()
    {
        Job = run.Job,
        State = run.State,
        UpdatedAt = run.EndedAt,
        LastSuccess = run.LastSuccess,
        LastFailure = run.LastFailure,
        LastGoodBackup = run.LastGoodBackup,
    };

    /// <summary>Writes the state atomically (0600), creating the directory 0700 when needed.</summary>
    public static void Write(string path, AlertJobState state)
    {
        AlertFileWriter.EnsureDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AlertFileWriter.Write(path, JsonSerializer.Serialize(state, AlertFileWriter.Json));
    }
}
