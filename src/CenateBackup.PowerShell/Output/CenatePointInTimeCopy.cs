using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>
/// A point-in-time copy: a scratch container (never the live one) running the database as it was at TargetTime, paused
/// there, read-only, on 127.0.0.1:Port. Piped into Restore-CenateTable it is the rows' source (-FromContainer); piped into
/// Remove-CenatePointInTime it goes (Name binds -Name by property name).
/// </summary>
public sealed class CenatePointInTimeCopy
{
    internal CenatePointInTimeCopy() { }

    /// <summary>The copy's container name.</summary>
    public string Name { get; internal set; } = "";
    /// <summary>Its container id.</summary>
    public string Id { get; internal set; } = "";
    /// <summary>Paused (recovered to TargetTime; read-only), Recovering, Running (state not readable), Exited or another Docker state; Removed after Remove-CenatePointInTime.</summary>
    public string State { get; internal set; } = "";
    /// <summary>127.0.0.1: the copy listens on loopback only.</summary>
    public string HostName { get; internal set; } = "127.0.0.1";
    /// <summary>Its port there (psql -h 127.0.0.1 -p Port; in the container, docker exec -it Name psql).</summary>
    public int Port { get; internal set; }
    /// <summary>The database the restore was made for.</summary>
    public string Database { get; internal set; } = "";
    /// <summary>The live database's container (its image runs the copy; it is not touched).</summary>
    public string LiveContainer { get; internal set; } = "";
    /// <summary>The time asked for (recovery_target_time).</summary>
    public DateTimeOffset? TargetTime { get; internal set; }
    /// <summary>The commit time of the last transaction the copy replayed: the copy holds every commit up to it and none after TargetTime.</summary>
    public DateTimeOffset? RecoveredTo { get; internal set; }
    /// <summary>The WAL position replayed up to.</summary>
    public string? ReplayLsn { get; internal set; }
    /// <summary>The base backup set's manifest it was made from.</summary>
    public string BaseBackup { get; internal set; } = "";
    /// <summary>How many WAL files were put into it.</summary>
    public int WalFiles { get; internal set; }
    /// <summary>When it was started.</summary>
    public DateTimeOffset? Created { get; internal set; }
    /// <summary>How long the restore took (zero when listed by Get-CenatePointInTime).</summary>
    public TimeSpan Duration { get; internal set; }
    /// <summary>What to do with it next.</summary>
    public string NextStep => $"Restore-CenateTable -FromContainer {Name} -FromPort {Port} -Mode MissingRows   # rows back into the live table; then Remove-CenatePointInTime {Name}";

    internal static CenatePointInTimeCopy From(Core.Pitr.PointInTimeCopy c) => new()
    {
        Name = c.Name,
        Id = c.Id,
        State = c.State,
        HostName = c.HostName,
        Port = c.Port,
        Database = c.Database,
        LiveContainer = c.LiveContainer,
        TargetTime = c.TargetTime,
        RecoveredTo = c.RecoveredTo,
        ReplayLsn = c.ReplayLsn,
        BaseBackup = c.BaseBackup,
        WalFiles = c.WalFiles,
        Created = c.Created,
        Duration = c.Duration,
    };
}
