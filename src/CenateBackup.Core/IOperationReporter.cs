namespace CenateBackup.Core;

/// <summary>
/// How Core reports while it works. Core never writes to the console; the cmdlet queues these and writes
/// them on the pipeline thread. Implementations must be thread-safe.
/// </summary>
public interface IOperationReporter
{
    /// <summary>A detail for -Verbose.</summary>
    void Verbose(string message);

    /// <summary>Progress of the current operation.</summary>
    void Progress(OperationProgress progress);

    /// <summary>Something the user must act on that does not fail the operation (a scratch database left behind).</summary>
    void Warning(string message) => Verbose("WARNING: " + message);
}

/// <summary>A progress report. <paramref name="Current"/>/<paramref name="Total"/> are bytes or rows; Total may be unknown.</summary>
public sealed record OperationProgress(string Activity, string Status, long Current, long? Total);

/// <summary>A reporter that drops everything (for tests and library use).</summary>
public sealed class NullReporter : IOperationReporter
{
    /// <summary>The shared instance.</summary>
    public static readonly NullReporter Instance = new();
    /// <inheritdoc />
    public void Verbose(string message) { }
    /// <inheritdoc />
    public void Progress(OperationProgress progress) { }
}
