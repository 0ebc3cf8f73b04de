using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>
/// The continuous WAL archive of a database container: the pg_receivewal sidecar container, its replication slot on the
/// server, how far behind it is, and its directory. Name binds the -Name of Get-/Stop-CenateWalArchive by property name.
/// </summary>
public sealed class CenateWalArchive
{
    internal CenateWalArchive() { }

    /// <summary>The archiver container.</summary>
    public string Name { get; internal set; } = "";
    /// <summary>The database container it archives.</summary>
    public string Primary { get; internal set; } = "";
    /// <summary>Streaming, Disconnected (container up, pg_receivewal not connected), Stopped, Lost (the slot lost WAL: a gap),
    /// SlotMissing, or Removed (after Stop-CenateWalArchive).</summary>
    public string State { get; internal set; } = "";
    /// <summary>True when streaming with no problem.</summary>
    public bool Healthy { get; internal set; }
    /// <summary>The error id of the first problem: WalArchiveStopped, WalArchiveDisconnected, WalArchiveSlotLost,
    /// WalArchiveSlotMissing, WalArchiveNearLimit or WalArchiveLagging; null when healthy.</summary>
    public string? ErrorId { get; internal set; }
    /// <summary>What is wrong, one sentence each; empty when healthy.</summary>
    public string[] Problems { get; internal set; } = Array.Empty<string>();
    /// <summary>Docker's state of the archiver container (running, restarting, exited…).</summary>
    public string ContainerState { get; internal set; } = "";
    /// <summary>How often Docker restarted it.</summary>
    public int RestartCount { get; internal set; }
    /// <summary>The archive directory on this machine.</summary>
    public string Path { get; internal set; } = "";
    /// <summary>The physical replication slot.</summary>
    public string Slot { get; internal set; } = "";
    /// <summary>The replication role pg_receivewal logs in as.</summary>
    public string ReplicationUser { get; internal set; } = "";
    /// <summary>True while a walsender serves the slot.</summary>
    public bool SlotActive { get; internal set; }
    /// <summary>pg_replication_slots.wal_status: reserved, extended, unreserved or lost (null: no slot).</summary>
    public string? WalStatus { get; internal set; }
    /// <summary>Bytes of WAL the slot holds on the server.</summary>
    public long? RetainedWalBytes { get; internal set; }
    /// <summary>Bytes the slot may still fall behind before it is lost (null: no limit).</summary>
    public long? SafeWalSizeBytes { get; internal set; }
    /// <summary>The server's max_slot_wal_keep_size in bytes (-1: no limit).</summary>
    public long MaxSlotWalKeepSizeBytes { get; internal set; }
    /// <summary>The server's current WAL position.</summary>
    public string? CurrentLsn { get; internal set; }
    /// <summary>The position the archive has written and flushed.</summary>
    public string? FlushedLsn { get; internal set; }
    /// <summary>Bytes written on the server and not yet in the archive (null when not streaming).</summary>
    public long? LagBytes { get; internal set; }
    /// <summary>Seconds behind: 0 when the archive has everything; null when unknown.</summary>
    public double? LagSeconds { get; internal set; }
    /// <summary>The newest complete 16 MB segment in the directory.</summary>
    public string? LastSegment { get; internal set; }
    /// <summary>When it was completed (UTC).</summary>
    public DateTimeOffset? LastSegmentTime { get; internal set; }
    /// <summary>Complete segments in the directory.</summary>
    public int SegmentCount { get; internal set; }
    /// <summary>Bytes in the directory.</summary>
    public long ArchiveBytes { get; internal set; }
}
