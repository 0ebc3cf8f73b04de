using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using Docker.DotNet;
using Docker.DotNet.Models;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Docker;

/// <summary>
/// The Docker engine seen through Docker.DotNet.Enhanced. Honours an explicit endpoint, else DOCKER_HOST
/// and the current docker context, else the default socket or named pipe.
/// </summary>
public sealed partial class DockerEngine : IDisposable
{
    private readonly DockerClient _client;
    private readonly string _endpointText;

    /// <summary>Connects to the engine (lazily: nothing is sent until the first call).</summary>
    public DockerEngine(string? dockerHost)
    {
        var builder = new DockerClientBuilder();
        if (!string.IsNullOrWhiteSpace(dockerHost))
        {
            builder = builder.WithEndpoint(new Uri(dockerHost));
        }
        // Exec streams run as long as pg_dump does; the per-request timeout must not cut them.
        builder = builder.WithTimeout(System.Threading.Timeout.InfiniteTimeSpan);
        _client = builder.Build();
        _endpointText = dockerHost ?? Environment.GetEnvironmentVariable("DOCKER_HOST")
            ?? Messages.Get("DockerEndpoint.Default");
    }

    internal DockerClient Client => _client;

    /// <summary>Looks a container up; throws ContainerNotFound or DockerUnavailable.</summary>
    public async Task<ContainerInfo> InspectAsync(string container, CancellationToken cancellationToken)
    {
        ContainerInspectResponse response;
        try
        {
            response = await _client.Containers.InspectContainerAsync(container, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException ex)
        {
            throw new CenateException(ErrorIds.ContainerNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("ContainerNotFound.2", container, _endpointText),
                Messages.Get("ContainerNotFound.Action.2"), container, ex);
        }
        catch (Exception ex) when (IsEngineUnreachable(ex))
        {
            throw Unavailable(ex);
        }

        var published = new Dictionary<int, int>();
        if (response.NetworkSettings?.Ports is { } ports)
        {
            foreach (var (key, bindings) in ports)
            {
                var slash = key.IndexOf('/');
                if (bindings is null || slash < 0 || !key.EndsWith("/tcp", StringComparison.Ordinal)) continue;
                if (!int.TryParse(key.AsSpan(0, slash), out var containerPort)) continue;
                foreach (var b in bindings)
                {
                    if (int.TryParse(b.HostPort, out var hostPort)) { published[containerPort] = hostPort; break; }
                }
            }
        }
        var addresses = response.NetworkSettings?.Networks?.Values
            .Select(n => n.IPAddress).Where(a => !string.IsNullOrEmpty(a)).ToList() ?? new List<string>();
        return new ContainerInfo(
            response.ID,
            response.Name?.TrimStart('/') ?? container,
            response.State?.Running == true,
            response.State?.Status ?? "unknown",
            response.HostConfig?.NetworkMode ?? "",
            published,
            addresses!)
        {
            ImageId = response.Image ?? "",
            Labels = response.Config?.Labels is { } labels
                ? new Dictionary<string, string>(labels, StringComparer.Ordinal)
                : new Dictionary<string, string>(StringComparer.Ordinal),
            Restarting = response.State?.Restarting == true,
            RestartCount = (int)response.RestartCount,
            Mounts = response.Mounts?.Select(m => new ContainerMount(m.Type ?? "", string.IsNullOrEmpty(m.Name) ? null : m.Name, m.Source ?? "",
                m.Destination ?? "")).ToList() ?? new List<ContainerMount>(),
            StartedAt = DateTimeOffset.TryParse(response.State?.StartedAt, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var started) ? started : null,
        };
    }

    /// <summary>Inspects and requires the container to be running.</summary>
    public async Task<ContainerInfo> RequireRunningAsync(string container, CancellationToken cancellationToken)
    {
        var info = await InspectAsync(container, cancellationToken).ConfigureAwait(false);
        if (!info.Running)
        {
            throw new CenateException(ErrorIds.ContainerNotRunning, CenateErrorKind.ResourceUnavailable,
                Messages.Format("ContainerNotRunning.2", info.Name, info.State),
                Messages.Format("ContainerNotRunning.Action.2", info.Name), container);
        }
        return info;
    }

    internal CenateException Unavailable(Exception ex) => new(ErrorIds.DockerUnavailable, CenateErrorKind.ResourceUnavailable,
        Messages.Format("DockerUnavailable.Engine", _endpointText, ex.GetBaseException().Message),
        Messages.Get("DockerUnavailable.Engine.Action"), _endpointText, ex);

    internal static bool IsEngineUnreachable(Exception ex) =>
        ex is HttpRequestException or SocketException or TimeoutException
        || ex.GetBaseException() is SocketException or System.IO.IOException && ex is not DockerApiException;

    /// <summary>
    /// Bytes free where the engine keeps containers (its DockerRootDir), when that directory is on this machine and
    /// readable; null otherwise (a remote engine, rootless Docker): the caller then cannot judge the space.
    /// </summary>
    public async Task<long?> FreeBytesForContainersAsync(CancellationToken cancellationToken)
    {
        try
        {
            var info = await _client.System.GetSystemInfoAsync(cancellationToken).ConfigureAwait(false);
            var root = info.DockerRootDir;
            if (string.IsNullOrEmpty(root) || !System.IO.Directory.Exists(root)) return null;
            return new System.IO.DriveInfo(root).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is DockerApiException or System.IO.IOException or UnauthorizedAccessException or ArgumentException
            or HttpRequestException or TimeoutException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    /// <summary>
    /// True when the container has stopped (or is gone). Docker marks a container stopped a moment after its processes
    /// die, so a failure that may be a stop is confirmed by looking up to 15 times, 200 ms apart, before blaming anything else.
    /// </summary>
    public async Task<bool> HasStoppedAsync(string container)
    {
        for (var i = 0; i < 15; i++)
        {
            try
            {
                if (!(await InspectAsync(container, CancellationToken.None).ConfigureAwait(false)).Running) return true;
            }
            catch (CenateException ex) when (ex.ErrorId == ErrorIds.ContainerNotFound)
            {
                return true;
            }
            await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
        }
        return false;
    }
}
