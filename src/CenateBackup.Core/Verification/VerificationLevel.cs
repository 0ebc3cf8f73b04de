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
}
