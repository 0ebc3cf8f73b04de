using System;
using System.Collections.Generic;

namespace CenateBackup.Core.Docker;

/// <summary>What Core needs to know about a container.</summary>
public sealed record ContainerInfo(
    string Id,
    string Name,
    bool Running,
    string State,
    string NetworkMode,
    IReadOnlyDictionary<int, int> PublishedTcpPorts,
    IReadOnlyList<string> Addresses)
{
    /// <summary>The id of the image the container was created from (sha256:…).</summary>
    public string ImageId { get; init; } = "";
    /// <summary>The container's labels.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>True while Docker restarts it after an exit (restart policy).</summary>
    public bool Restarting { get; init; }
    /// <summary>How many times Docker restarted it.</summary>
    public int RestartCount { get; init; }
    /// <summary>When it last started (null when never).</summary>
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>What is mounted in it (as the engine says, not as a label claims).</summary>
    public IReadOnlyList<ContainerMount> Mounts { get; init; } = Array.Empty<ContainerMount>();
}

/// <summary>One mount of a container.</summary>
/// <param name="Type">bind, volume, tmpfs.</param>
/// <param name="Name">The volume's name (volumes only).</param>
/// <param name="Source">The path on the engine's machine.</param>
/// <param name="Destination">The path in the container.</param>
public sealed record ContainerMount(string Type, string? Name, string Source, string Destination);
