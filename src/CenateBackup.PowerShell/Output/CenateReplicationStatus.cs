using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>
/// A streaming standby as its primary and the standby itself see it: its state, how far behind it is in bytes and
/// seconds, and the WAL its replication slot holds on the primary. Name binds the -StandbyName of
/// Get-CenateReplicationStatus and Remove-CenateStandby by property name.
/// </summary>
public sealed class CenateReplicationStatus
{
    internal CenateReplicationStatus() { }

    /// <summary>The standby container.</summary>
    public string Name { get; internal set; } = "";
    /// <summary>The primary's container.</summary>
    public string Primary { get; internal set; } = "";
    /// <summary>Streaming, CatchingUp, Disconnected, Stopped, Unreachable, Promoted, Lost, SlotMissing, or Removed (after Remove-CenateStandby).</summary>
    public string State { get; internal set; } = "";
    /// <summary>True when it streams with no problem.</summary>
    public bool Healthy { get; internal set; }
    /// <summary>The error id of the first problem: StandbyStopped, StandbyUnreachable, StandbyPromoted, StandbyDisconnected,
    /// StandbySlotMissing, StandbySlotLost, StandbyNearLimit, StandbyLagging or StandbyRetainingWal; null when healthy.</summary>
    public string? ErrorId { get; internal set; }
    /// <summary>What is wrong, one sentence each; empty when healthy.</summary>
    public string[] Problems { get; internal set; } = Array.Empty<string>();
    /// <summary>Docker's state of the standby container (running, exited…).</summary>
    public string ContainerState { get; internal set; } = "";
    /// <summary>The standby's port on 127.0.0.1.</summary>
    public int Port { get; internal set; }
    /// <summary>The physical replication slot on the primary.</summary>
    public string Slot { get; internal set; } = "";
    /// <summary>Where the standby's data lives: a Docker volume or a directory.</summary>
    public string DataPath { get; internal set; } = "";
    /// <summary>True while a walsender serves the slot.</summary>
    public bool SlotActive { get; internal set; }
    /// <summary>pg_replication_slots.wal_status: reserved, extended, unreserved or lost (null: no slot).</summary>
    public string? WalStatus { get; internal set; }
    /// <summary>Bytes of WAL the slot holds on the primary.</summary>
    public long? RetainedWalBytes { get; internal set; }
    /// <summary>Bytes the slot may still fall behind before it is lost (null: no limit).</summary>
    public long? SafeWalSizeBytes { get; internal set; }
    /// <summary>The primary's max_slot_wal_keep_size in bytes (-1: no limit).</summary>
    public long MaxSlotWalKeepSizeBytes { get; internal set; }
    /// <summary>pg_stat_replication.state on the primary (streaming, catchup…; null: not connected).</summary>
    public string? SenderState { get; internal set; }
    /// <summary>pg_stat_wal_receiver.status on the standby (null: no WAL receiver).</summary>
    public string? ReceiverStatus { get; internal set; }
    /// <summary>The primary's current WAL position.</summary>
    public string? PrimaryLsn { get; internal set; }
    /// <summary>What the standby has received (pg_last_wal_receive_lsn()).</summary>
    public string? ReceivedLsn { get; internal set; }
    /// <summary>What the standby has replayed (pg_last_wal_replay_lsn()).</summary>
    public string? ReplayedLsn { get; internal set; }
    /// <summary>The commit time of the last transaction replayed (pg_last_xact_replay_timestamp()).</summary>
    public DateTimeOffset? LastReplayedTransaction { get; internal set; }
    /// <summary>Bytes written on the primary and not yet replayed on the standby (null: unknown).</summary>
    public long? LagBytes { get; internal set; }
    /// <summary>Seconds behind: 0 when everything is replayed; null when unknown.</summary>
    public double? LagSeconds { get; internal set; }
}
