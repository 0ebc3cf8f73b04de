namespace CenateBackup.Core.Dumps;

/// <summary>Output format of a dump.</summary>
public enum DumpFormat
{
    /// <summary>pg_dump custom format (-Fc), for pg_restore.</summary>
    Custom,
    /// <summary>Plain SQL, written gzip-compressed as .sql.gz.</summary>
    Plain,
}
