using System.Collections.Generic;

namespace CenateBackup.Core.Formats;

/// <summary>
/// The top-level keys of the plan's settings file that belong to the plan (Plan.PlanSettings reads them). One file also
/// serves Send-CenateAlert (its alert keys) and the drift check (RowDrop); each reader skips the others' keys. The list
/// lives here, below both features, so that Alerts can skip it without a namespace cycle.
/// </summary>
public static class SettingsFileKeys
{
    /// <summary>The plan's keys. The database's port and user are DatabasePort/DatabaseUser: Port and UserName are
    /// the alert keys of the SMTP relay and keep that meaning in the shared file.</summary>
    public static IReadOnlyList<string> Plan { get; } = new[]
    {
        "Container", "HostName", "DatabasePort", "Database", "DatabaseUser", "DockerHost", "Path", "CriticalTable",
        "CompressionLevel", "Retention", "AuditLogRetention", "MaxRowDrop", "Weekly", "Monthly", "Monitor", "WalArchive", "BaseBackup", "Standby", "Drill",
        "LogPath", "LogRetention", "StatePath", "EnvironmentFile", "TimeZone", "Schedule",
    };

    /// <summary>The drift check's key (Drift.RowDropSettings).</summary>
    public const string RowDrop = "RowDrop";
}
