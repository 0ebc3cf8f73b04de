namespace CenateBackup.Core.Retention;

/// <summary>The rule that decided a set's fate.</summary>
public enum RetentionRule
{
    /// <summary>Kept: no complete, verified full set exists for the database, so none may be judged expendable.</summary>
    NoVerifiedSet,
    /// <summary>Kept: the newest verified full set is older than MaxNewestAge (backups stopped) and -Force was not given.</summary>
    BackupsStopped,
    /// <summary>Kept: one of the newest MinimumKeep complete, verified full sets.</summary>
    MinimumKeep,
    /// <summary>Kept: a full set younger than KeepDaily days.</summary>
    Daily,
    /// <summary>Kept: newest good full set of its ISO week, within KeepWeekly days.</summary>
    Weekly,
    /// <summary>Kept: newest good full set of its month, within KeepMonthly days.</summary>
    Monthly,
    /// <summary>Kept: newest good full set of its year, within KeepYearly years.</summary>
    Yearly,
    /// <summary>Kept: a partial set (chosen tables, data only, exports) younger than KeepPartial days whose full set, if it came with one, is kept.</summary>
    Partial,
    /// <summary>Kept: the last complete full set taken before an unacknowledged drop of a critical table's rows (Confirm-CenateRowDrop releases it).</summary>
    BeforeRowDrop,
    /// <summary>Removed: older than every window that would keep it.</summary>
    Expired,
}

/// <summary>The planner's verdict on one set.</summary>
public sealed record RetentionDecision(RetentionCandidate Candidate, bool Keep, RetentionRule Rule, string Reason);
