using System;

namespace CenateBackup.Core.Retention;

/// <summary>
/// What the retention job asks of whoever runs it (a cmdlet: ShouldProcess, WriteObject, WriteError). Called on the
/// thread that runs the job.
/// </summary>
public interface IRetentionJobHost
{
    /// <summary>May <paramref name="action"/> be done to <paramref name="target"/>? False leaves it be.</summary>
    bool Confirm(string target, string action);

    /// <summary>A set's outcome, in plan order.</summary>
    void Decided(RetentionOutcome outcome);

    /// <summary>An abandoned file (stale partial, file of a run that never completed) could not be removed.</summary>
    void AbandonedFileNotRemoved(string path, Exception error);
}
