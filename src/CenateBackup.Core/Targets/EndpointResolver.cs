using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;

namespace CenateBackup.Core.Targets;

/// <summary>
/// Finds the TCP endpoint of a containerised server, in the documented order: explicit host; the host port
/// published for the server's port; a host-network container's own port on 127.0.0.1; the container's address.
/// </summary>
public static class EndpointResolver
{
    /// <summary>Resolves the endpoint for a target (host mode returns its host:port).</summary>
    public static TcpEndpoint Resolve(DatabaseTarget target, ContainerInfo? container)
    {
        if (!string.IsNullOrEmpty(target.Host))
        {
            return new TcpEndpoint(target.Host!, target.Port, "explicit -Host");
        }
        if (container is null)
        {
            throw new CenateException(ErrorIds.ContainerEndpointNotFound, CenateErrorKind.InvalidArgument,
                "Host mode needs -Host.", "Pass -Host and -Port.", null);
        }
        if (container.PublishedTcpPorts.TryGetValue(target.Port, out var hostPort))
        {
            return new TcpEndpoint("127.0.0.1", hostPort, $"published port {target.Port}/tcp -> 127.0.0.1:{hostPort}");
        }
        if (container.NetworkMode == "host")
        {
            return new TcpEndpoint("127.0.0.1", target.Port, $"host-network container, 127.0.0.1:{target.Port}");
        }
        var address = container.Addresses.FirstOrDefault();
        if (address is not null)
        {
            return new TcpEndpoint(address, target.Port, $"container address {address}:{target.Port}");
        }
        throw new CenateException(ErrorIds.ContainerEndpointNotFound, CenateErrorKind.ResourceUnavailable,
            $"Container '{container.Name}' publishes no port for {target.Port}/tcp, is not on the host network and has no routable address.",
            "Publish the PostgreSQL port (docker run -p 127.0.0.1:5432:5432), or pass -Host with an address that reaches the server.", container.Name);
    }
}
