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
    IReadOnlyList<string> Addresses);
