using System;
using System.Collections.Generic;
using CenateBackup.Core.Targets;

namespace CenateBackup.Core.Pitr;

/// <summary>What Restore-CenatePointInTime is asked for.</summary>
public sealed record PointInTimeRequest
{
    /// <summary>
    /// The live database: its container gives the image the copy runs (never the container itself, which is not
    /// touched); its database, role and password are how the module checks the copy (the copy has the same roles).
    /// </summary>
    public required DatabaseTarget Target { get; init; }
    /// <summary>The base backup sets' directory, or one set's manifest.</summary>
    public required string BasePath { get; init; }
    /// <summary>The WAL archive directory; null: the one the container's archiver writes (Start-CenateWalArchive).</summary>
    public string? WalPath { get; init; }
    /// <summary>The moment to recover to (recovery_target_time; commits up to it are kept, later ones are not).</summary>
    public required DateTimeOffset Time { get; init; }
    /// <summary>
    /// True when -Time was given without a zone and read in this machine's: a warning then says so when the server keeps
    /// another zone (its log and application timestamps would be in that one).
    /// </summary>
    public bool TimeWithoutZone { get; init; }
    /// <summary>The copy's container name; null: &lt;container&gt;_pitr_&lt;time as yyyyMMdd_HHmmss&gt;.</summary>
    public string? Name { get; init; }
    /// <summary>The copy's port on 127.0.0.1; null: a free one.</summary>
    public int? Port { get; init; }
    /// <summary>How long recovery may take to reach the time.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);
}

/// <summary>What a point-in-time restore will do (-WhatIf) and, once done, what it made.</summary>
public sealed class PointInTimePlan
{
    /// <summary>The copy's container name.</summary>
    public string Name { get; set; } = "";
    /// <summary>Its port on 127.0.0.1.</summary>
    public int Port { get; set; }
    /// <summary>The live container whose image it runs.</summary>
    public string LiveContainer { get; set; } = "";
    /// <summary>That image's id.</summary>
    public string Image { get; set; } = "";
    /// <summary>The database to reach in the copy.</summary>
    public string Database { get; set; } = "";
    /// <summary>The time recovered to.</summary>
    public DateTimeOffset TargetTime { get; set; }
    /// <summary>The base backup set's manifest.</summary>
    public string BaseBackup { get; set; } = "";
    /// <summary>Its stamp.</summary>
    public string BaseStamp { get; set; } = "";
    /// <summary>When it was completed (the earliest time it can recover to).</summary>
    public DateTimeOffset BaseCompleted { get; set; }
    /// <summary>Its archive file.</summary>
    internal string BaseFile { get; set; } = "";
    /// <summary>Its recorded sha256 (null: none recorded).</summary>
    internal string? BaseSha256 { get; set; }
    /// <summary>The chosen set's WAL facts.</summary>
    internal CenateBackup.Core.Storage.ManifestBaseBackup? BaseFacts { get; set; }
    /// <summary>The WAL files to put in: name in the copy → file here.</summary>
    internal SortedDictionary<string, string> WalSources { get; set; } = new(StringComparer.Ordinal);
    /// <summary>The WAL archive directory.</summary>
    public string WalPath { get; set; } = "";
    /// <summary>The WAL files put into the copy (segments from the base backup's start on, and timeline histories).</summary>
    public List<string> WalFiles { get; } = new();
    /// <summary>Their size.</summary>
    public long WalBytes { get; set; }
    /// <summary>What will be done, in order.</summary>
    public List<string> Steps { get; } = new();
    /// <summary>Things to know that do not stop it.</summary>
    public List<string> Warnings { get; } = new();
    /// <summary>The request.</summary>
    internal PointInTimeRequest Request { get; set; } = null!;
}

/// <summary>A recovered copy: a scratch container running the database as it was at <see cref="TargetTime"/>.</summary>
public sealed class PointInTimeCopy
{
    /// <summary>Container name.</summary>
    public string Name { get; set; } = "";
    /// <summary>Container id.</summary>
    public string Id { get; set; } = "";
    /// <summary>Paused (recovered to the time, read-only), Recovering, Exited, or another Docker state.</summary>
    public string State { get; set; } = "";
    /// <summary>Always 127.0.0.1: the copy listens on loopback only.</summary>
    public string HostName { get; set; } = "127.0.0.1";
    /// <summary>Its port there.</summary>
    public int Port { get; set; }
    /// <summary>The database the restore was for.</summary>
    public string Database { get; set; } = "";
    /// <summary>The live container it was made for (whose image it runs).</summary>
    public string LiveContainer { get; set; } = "";
    /// <summary>The time asked for.</summary>
    public DateTimeOffset? TargetTime { get; set; }
    /// <summary>The commit time of the last transaction replayed (null until known, or when none was replayed).</summary>
    public DateTimeOffset? RecoveredTo { get; set; }
    /// <summary>The WAL position replayed up to.</summary>
    public string? ReplayLsn { get; set; }
    /// <summary>The base backup set it was made from.</summary>
    public string BaseBackup { get; set; } = "";
    /// <summary>WAL files put into it.</summary>
    public int WalFiles { get; set; }
    /// <summary>When it was created.</summary>
    public DateTimeOffset? Created { get; set; }
    /// <summary>How long the restore took (zero when listed).</summary>
    public TimeSpan Duration { get; set; }
}
