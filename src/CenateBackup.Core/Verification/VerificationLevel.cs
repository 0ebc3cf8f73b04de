namespace CenateBackup.Core.Verification;

/// <summary>How deep Test-CenateBackup looks.</summary>
public enum VerificationLevel
{
    /// <summary>Every file's SHA-256 against the manifest.</summary>
    Checksum,
    /// <summary>Checksum plus a full read of every file (pg_restore -f /dev/null, gzip to the end).</summary>
    Read,
    /// <summary>Read plus a restore drill into a scratch database: row counts, keys, indexes, constraints, triggers.</summary>
    Restore,
    /// <summary>
    /// Base backup sets only: Read (pg_verifybackup) plus a point-in-time drill — a scratch container recovered from the set
    /// and the WAL archive to "now minus 5 minutes", every table counted and compared with the live counts, then removed.
    /// </summary>
    PointInTime,
}
