namespace CenateBackup.Core.Verification;

/// <summary>Kinds of problems a verification can find.</summary>
public enum ProblemKind
{
    /// <summary>A file the manifest lists is not there.</summary>
    Missing,
    /// <summary>The file's SHA-256 differs from the manifest.</summary>
    ChecksumMismatch,
    /// <summary>The file's size differs from the manifest.</summary>
    SizeMismatch,
    /// <summary>The file ends early.</summary>
    Truncated,
    /// <summary>The file cannot be read as what it claims to be (corrupt, foreign, empty).</summary>
    Unreadable,
    /// <summary>The archive was written by a newer pg_dump than the pg_restore that reads it.</summary>
    NewerArchiveVersion,
    /// <summary>No manifest: checksums cannot be checked.</summary>
    ManifestMissing,
    /// <summary>The set is marked incomplete.</summary>
    Incomplete,
    /// <summary>A CSV/SQL export holds another number of rows than the manifest says.</summary>
    RowCountMismatch,
    /// <summary>The dump was made of another database than the set (or file name) says.</summary>
    ForeignDatabase,
    /// <summary>Restore drill: pg_restore into the scratch database failed.</summary>
    RestoreFailed,
    /// <summary>Restore drill: a table, key, index, constraint or trigger recorded at dump time is missing after the restore.</summary>
    ObjectMissing,
    /// <summary>Restore drill: an object exists after the restore with another definition.</summary>
    ObjectDiffers,
    /// <summary>Monitoring: no complete backup set in the directory.</summary>
    NoBackup,
    /// <summary>Monitoring: the newest complete set is older than -MaxAge.</summary>
    Stale,
    /// <summary>Monitoring: the newest set's dump is smaller than -MinimumSize.</summary>
    TooSmall,
    /// <summary>Drift check: a critical table holds fewer rows than in the previous full set (or than live) beyond the threshold.</summary>
    RowCountDropped,
    /// <summary>
    /// The WAL archive cannot roll a base backup forward: a segment is missing after the backup's end, the archive
    /// holds another cluster's WAL, or it is not there (Test-CenateBackup -WalPath). The archive's problem, not the set's.
    /// </summary>
    WalArchiveGap,
    /// <summary>
    /// The point-in-time drill could not recover a copy from the set and the WAL archive (-Level PointInTime). The set read
    /// well (pg_verifybackup): the record keeps it as verified at Read, and the problem is the drill's to look into.
    /// </summary>
    PointInTimeDrillFailed,
}

/// <summary>One precise problem: what, which file, why.</summary>
public sealed record VerificationProblem(ProblemKind Kind, string? File, string Message)
{
    /// <inheritdoc />
    public override string ToString() => File is null ? $"{Kind}: {Message}" : $"{Kind}: {File}: {Message}";
}
