namespace CenateBackup.Core.Retention;

/// <summary>The rule that decided a set's fate.</summary>
public enum RetentionRule
{
    /// <summary>Kept: no complete, verified set exists for the database, so none may be judged expendable.</summary>
    NoVerifiedSet,
    /// <summary>Kept: the newest verified set is older than MaxNewestAge (backups stopped) and -Force was not given.</summary>
    BackupsStopped,
    /// <summary>Kept: one of the newest MinimumKeep complete, verified sets.</summary>
    MinimumKeep,
    /// <summary>Kept: younger than KeepDaily days.</summary>
    Daily,
    /// <summary>Kept: newest good set of its ISO week, within KeepWeekly days.</summary>
    Weekly,
    /// <summary>Kept: newest good set of its month, within KeepMonthly days.</summary>
    Monthly,
    /// <summary>Kept: newest good set of its year, within KeepYearly years.</summary>
    Yearly,
    /// <summary>Removed: older than every window that would keep it.</summary>
    Expired,
}

/// <summary>The planner's verdict on one set.</summary>
public sealed record RetentionDecision(RetentionCandidate Candidate, bool Keep, RetentionRule Rule, string Reason);
