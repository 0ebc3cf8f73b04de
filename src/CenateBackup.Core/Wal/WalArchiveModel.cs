using System;
using System.Collections.Generic;
using CenateBackup.Core.Targets;

namespace CenateBackup.Core.Wal;

/// <summary>What Start-CenateWalArchive is asked to set up.</summary>
public sealed record WalArchiveRequest
{
    /// <summary>The database server (container mode), logged in as a role that may create roles, slots and ALTER SYSTEM.</summary>
    public required DatabaseTarget Target { get; init; }
    /// <summary>The archive directory on this machine (absolute; created 0700).</summary>
    public required string Path { get; init; }
    /// <summary>The archiver container's name (default &lt;container&gt;_wal).</summary>
    public string? Name { get; init; }
    /// <summary>The physical replication slot.</summary>
    public string Slot { get; init; } = WalArchiveService.DefaultSlot;
    /// <summary>The replication role pg_receivewal logs in as.</summary>
    public string ReplicationUser { get; init; } = WalArchiveService.DefaultReplicationUser;
    /// <summary>Its password (goes into a 0600 passfile inside the archiver container only).</summary>
    public required string ReplicationPassword { get; init; }
    /// <summary>max_slot_wal_keep_size to set, in bytes; null keeps a limit already set, or sets the default when there is none.</summary>
    public long? MaxSlotWalKeepSize { get; init; }
    /// <summary>How long to wait until pg_receivewal streams.</summary>
    public TimeSpan StreamTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>The archiver as it is: the container, the slot and the directory.</summary>
public sealed class WalArchiveStatus
{
    /// <summary>The archiver container.</summary>
    public string Name { get; init; } = "";
    /// <summary>The database container it archives.</summary>
    public string Primary { get; init; } = "";
    /// <summary>Streaming, Disconnected, Stopped, Lost, SlotMissing.</summary>
    public string State { get; set; } = "";
    /// <summary>Docker's state of the archiver container (running, restarting, exited…).</summary>
    public string ContainerState { get; init; } = "";
    /// <summary>How often Docker restarted it.</summary>
    public int RestartCount { get; init; }
    /// <summary>The archive directory on this machine.</summary>
    public string Path { get; init; } = "";
    /// <summary>The replication slot.</summary>
    public string Slot { get; init; } = "";
    /// <summary>The replication role.</summary>
    public string ReplicationUser { get; init; } = "";
    /// <summary>True when a walsender serves the slot now.</summary>
    public bool SlotActive { get; set; }
    /// <summary>pg_replication_slots.wal_status: reserved, extended, unreserved, lost; null when the slot is missing.</summary>
    public string? WalStatus { get; set; }
    /// <summary>Bytes of WAL the slot holds on the server (current LSN − restart_lsn).</summary>
    public long? RetainedWalBytes { get; set; }
    /// <summary>Bytes the slot may still fall behind before it is lost (null: no limit).</summary>
    public long? SafeWalSizeBytes { get; set; }
    /// <summary>The server's max_slot_wal_keep_size in bytes (-1: no limit).</summary>
    public long MaxSlotWalKeepSizeBytes { get; set; }
    /// <summary>The server's current WAL position.</summary>
    public string? CurrentLsn { get; set; }
    /// <summary>What the archiver has written and flushed (pg_stat_replication.flush_lsn).</summary>
    public string? FlushedLsn { get; set; }
    /// <summary>Bytes of WAL written on the server and not yet in the archive (null when not streaming).</summary>
    public long? LagBytes { get; set; }
    /// <summary>Seconds the archive is behind: 0 when it has everything; null when unknown (not streaming, or lag not measured yet).</summary>
    public double? LagSeconds { get; set; }
    /// <summary>The newest complete segment in the directory.</summary>
    public string? LastSegment { get; set; }
    /// <summary>When that segment was written (UTC).</summary>
    public DateTimeOffset? LastSegmentTime { get; set; }
    /// <summary>Complete segments in the directory.</summary>
    public int SegmentCount { get; set; }
    /// <summary>Bytes in the directory (segments, partial segment, history files).</summary>
    public long ArchiveBytes { get; set; }
    /// <summary>What is wrong, for people; empty when healthy.</summary>
    public List<string> Problems { get; } = new();
    /// <summary>True when streaming with no problem.</summary>
    public bool Healthy => Problems.Count == 0 && State == "Streaming";
    /// <summary>The error id of the first problem (WalArchiveStopped, WalArchiveSlotLost…); null when healthy.</summary>
    public string? ErrorId { get; set; }
}

/// <summary>A plan of Start-/Stop-CenateWalArchive: the steps shown to -WhatIf and carried out after confirmation.</summary>
public sealed class WalArchivePlan
{
    /// <summary>The archiver container's name.</summary>
    public string Name { get; init; } = "";
    /// <summary>The steps, in order.</summary>
    public List<string> Steps { get; } = new();
    /// <summary>Warnings (nothing stops).</summary>
    public List<string> Warnings { get; } = new();
    /// <summary>The archiver as it is now (Stop; and Start when nothing is to do).</summary>
    public WalArchiveStatus? Current { get; set; }
    internal Func<IOperationReporter, System.Threading.CancellationToken, System.Threading.Tasks.Task<WalArchiveStatus>>? Run { get; set; }
}
