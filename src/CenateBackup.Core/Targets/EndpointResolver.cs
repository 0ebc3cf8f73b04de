using System;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Docker;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Targets;

/// <summary>
/// Finds the TCP endpoint of a containerised server, in the documented order: explicit host; the host port
/// published for the server's port; a host-network container's own port on 127.0.0.1; the container's address
/// where it is routable (a TCP connect is tried). When none works, callers that can stream through docker exec
/// fall back to it (<see cref="TryResolveAsync"/> returns null).
/// </summary>
public static class EndpointResolver
{
    /// <summary>How long a container address is given to accept a TCP connection.</summary>
    public static TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Resolves the endpoint for a target (host mode returns its host:port); throws when there is none.</summary>
    public static async Task<TcpEndpoint> ResolveAsync(DatabaseTarget target, ContainerInfo? container, CancellationToken cancellationToken)
    {
        var endpoint = await TryResolveAsync(target, container, cancellationToken).ConfigureAwait(false);
        if (endpoint is not null) return endpoint;
        throw new CenateException(ErrorIds.ContainerEndpointNotFound, CenateErrorKind.ResourceUnavailable,
            Messages.Format("ContainerEndpointNotFound", container!.Name, target.Port),
            Messages.Get("ContainerEndpointNotFound.Action"), container.Name);
    }

    /// <summary>The endpoint, or null when a container offers none that answers (only exec stdio is left).</summary>
    public static async Task<TcpEndpoint?> TryResolveAsync(DatabaseTarget target, ContainerInfo? container, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(target.Host))
        {
            var port = target.Mode == ConnectionMode.Container ? target.TcpPort ?? target.Port : target.Port;
            return new TcpEndpoint(target.Host!, port, target.Mode == ConnectionMode.Container ? "explicit -TcpHost" : "explicit -HostName");
        }
        if (container is null)
        {
            throw new CenateException(ErrorIds.ContainerEndpointNotFound, CenateErrorKind.InvalidArgument,
                Messages.Get("ContainerEndpointNotFound.2"), Messages.Get("ContainerEndpointNotFound.Action.2"), null);
        }
        if (container.PublishedTcpPorts.TryGetValue(target.Port, out var hostPort))
        {
            return new TcpEndpoint("127.0.0.1", hostPort, $"published port {target.Port}/tcp -> 127.0.0.1:{hostPort}");
        }
        if (container.NetworkMode == "host")
        {
            return new TcpEndpoint("127.0.0.1", target.Port, $"host-network container, 127.0.0.1:{target.Port}");
        }
        foreach (var address in container.Addresses.Where(a => !string.IsNullOrEmpty(a)))
        {
            if (await AcceptsAsync(address, target.Port, cancellationToken).ConfigureAwait(false))
            {
                return new TcpEndpoint(address, target.Port, $"container address {address}:{target.Port}");
            }
        }
        return null;
    }

    private static async Task<bool> AcceptsAsync(string address, int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(address, port, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
