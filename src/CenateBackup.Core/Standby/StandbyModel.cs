using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Targets;

namespace CenateBackup.Core.Standby;

/// <summary>What New-CenateStandby is asked to build.</summary>
public sealed record StandbyRequest
{
    /// <summary>The primary (container mode), logged in as a role that may create roles and slots and ALTER SYSTEM.</summary>
    public required DatabaseTarget Target { get; init; }
    /// <summary>The standby container's name.</summary>
    public required string Name { get; init; }
    /// <summary>The standby's port on 127.0.0.1.</summary>
    public required int Port { get; init; }
    /// <summary>Where the standby's data lives: a Docker volume name, or an absolute directory of this machine; null: the volume &lt;name&gt;_data.</summary>
    public string? Path { get; init; }
    /// <summary>The physical replication slot; null: the standby's name made a slot name.</summary>
    public string? Slot { get; init; }
    /// <summary>The image to run; null: the primary container's own image (by ID).</summary>
    public string? Image { get; init; }
    /// <summary>The replication role.</summary>
    public string ReplicationUser { get; init; } = Wal.WalArchiveService.DefaultReplicationUser;
    /// <summary>Its password (goes into a 0600 passfile inside the standby container only).</summary>
    public required string ReplicationPassword { get; init; }
    /// <summary>max_slot_wal_keep_size to set, in bytes; null keeps a limit already set, or sets the default when there is none.</summary>
    public long? MaxSlotWalKeepSize { get; init; }
    /// <summary>How long the base backup and the start may take until the standby streams.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);
}

/// <summary>A plan of New-/Remove-CenateStandby: the steps shown to -WhatIf and carried out after confirmation.</summary>
public sealed class StandbyPlan
{
    /// <summary>The standby container's name.</summary>
    public string Name { get; init; } = "";
    /// <summary>The steps, in order.</summary>
    public List<string> Steps { get; } = new();
    /// <summary>Warnings (nothing stops).</summary>
    public List<string> Warnings { get; } = new();
    internal Func<IOperationReporter, CancellationToken, Task<ReplicationStatus>>? Run { get; set; }
}

/// <summary>A standby as the primary and the standby itself see it.</summary>
public sealed class ReplicationStatus
{
    /// <summary>The standby container.</summary>
    public string Name { get; init; } = "";
    /// <summary>The primary's container.</summary>
    public string Primary { get; init; } = "";
    /// <summary>Streaming, CatchingUp, Disconnected, Stopped, Unreachable, Promoted, Lost, SlotMissing, Removed.</summary>
    public string State { get; set; } = "";
    /// <summary>Docker's state of the standby container.</summary>
    public string ContainerState { get; init; } = "";
    /// <summary>The standby's port on 127.0.0.1.</summary>
    public int Port { get; init; }
    /// <summary>The physical replication slot on the primary.</summary>
    public string Slot { get; init; } = "";
    /// <summary>Where the standby's data lives (volume name or directory).</summary>
    public string DataPath { get; init; } = "";
    /// <summary>True while a walsender serves the slot.</summary>
    public bool SlotActive { get; set; }
    /// <summary>pg_replication_slots.wal_status (null: no slot).</summary>
    public string? WalStatus { get; set; }
    /// <summary>Bytes of WAL the slot holds on the primary.</summary>
    public long? RetainedWalBytes { get; set; }
    /// <summary>Bytes the slot may still fall behind before it is lost (null: no limit).</summary>
    public long? SafeWalSizeBytes { get; set; }
    /// <summary>The primary's max_slot_wal_keep_size in bytes (-1: no limit).</summary>
    public long MaxSlotWalKeepSizeBytes { get; set; }
    /// <summary>pg_stat_replication.state of the standby's walsender (streaming, catchup…; null: not connected).</summary>
    public string? SenderState { get; set; }
    /// <summary>pg_stat_wal_receiver.status on the standby (null: no receiver).</summary>
    public string? ReceiverStatus { get; set; }
    /// <summary>The primary's current WAL position.</summary>
    public string? PrimaryLsn { get; set; }
    /// <summary>What the standby has received and flushed.</summary>
    public string? ReceivedLsn { get; set; }
    /// <summary>What the standby has replayed (pg_last_wal_replay_lsn()).</summary>
    public string? ReplayedLsn { get; set; }
    /// <summary>The commit time of the last transaction replayed (pg_last_xact_replay_timestamp()).</summary>
    public DateTimeOffset? LastReplayedTransaction { get; set; }
    /// <summary>Bytes written on the primary and not yet replayed on the standby (null: unknown).</summary>
    public long? LagBytes { get; set; }
    /// <summary>Seconds behind: 0 when everything is replayed; null when unknown (replay_lag not measured, or not streaming).</summary>
    public double? LagSeconds { get; set; }
    /// <summary>What is wrong, one sentence each; empty when healthy.</summary>
    public List<string> Problems { get; } = new();
    /// <summary>The error id of the first problem; null when healthy.</summary>
    public string? ErrorId { get; set; }
    /// <summary>True when it streams (or catches up) with no problem.</summary>
    public bool Healthy => Problems.Count == 0 && State == "Streaming";
    /// <summary>pg_is_in_recovery() on the standby; null when the module could not ask it.</summary>
    public bool? InRecovery { get; set; }
}

/// <summary>What the primary and the standby answered, for <see cref="StandbyService.Evaluate"/>.</summary>
public sealed record ReplicationFacts
{
    /// <summary>The standby container runs.</summary>
    public bool Running { get; init; }
    /// <summary>The module could log in to the standby.</summary>
    public bool Reachable { get; init; }
    /// <summary>pg_is_in_recovery() on the standby.</summary>
    public bool InRecovery { get; init; }
    /// <summary>The slot exists on the primary.</summary>
    public bool SlotExists { get; init; }
    /// <summary>pg_stat_replication.replay_lag in seconds (null: NULL).</summary>
    public double? ReplayLagSeconds { get; init; }
    /// <summary>Seconds since the standby last answered its walsender (now() − reply_time).</summary>
    public double? SilentSeconds { get; init; }
    /// <summary>The primary's current LSN as a number.</summary>
    public ulong PrimaryLsn { get; init; }
    /// <summary>The standby's replayed LSN (from the standby, else from pg_stat_replication), or null.</summary>
    public ulong? ReplayedLsn { get; init; }
    /// <summary>The standby's system identifier is the primary's (a copy of this cluster); true when not known.</summary>
    public bool SameSystem { get; init; } = true;
    /// <summary>The slot the standby's WAL receiver uses (pg_stat_wal_receiver.slot_name).</summary>
    public string? ReceiverSlot { get; init; }
    /// <summary>The application_name of the walsender that serves the slot on the primary.</summary>
    public string? SenderApplication { get; init; }
    /// <summary>The primary's and the standby's system identifiers, for the message.</summary>
    public (string Primary, string Standby) Systems { get; init; }
}
