using System;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Docker;
using CenateBackup.Core.Tools;

namespace CenateBackup.Core.Targets;

/// <summary>
/// A target made ready for work: in container mode the Docker engine, the running container and a runner
/// that executes tools inside it; in host mode a local runner. Both with the TCP endpoint for Npgsql.
/// </summary>
public sealed class TargetContext : IDisposable
{
    private readonly TcpEndpoint? _endpoint;

    private TargetContext(DatabaseTarget target, DockerEngine? engine, ContainerInfo? container, IPgToolRunner runner, TcpEndpoint? endpoint)
    {
        Target = target;
        Engine = engine;
        Container = container;
        Runner = runner;
        _endpoint = endpoint;
    }

    /// <summary>The target.</summary>
    public DatabaseTarget Target { get; }
    /// <summary>Docker engine (container mode).</summary>
    public DockerEngine? Engine { get; }
    /// <summary>The container (container mode).</summary>
    public ContainerInfo? Container { get; }
    /// <summary>Where pg tools run.</summary>
    public IPgToolRunner Runner { get; }
    /// <summary>TCP endpoint for Npgsql sessions and local tools (only null when opened with exec fallback allowed and none answered).</summary>
    public TcpEndpoint Endpoint => _endpoint ?? throw new InvalidOperationException("No TCP endpoint: rows stream through docker exec.");

    /// <summary>True when a TCP endpoint was found; false means only docker exec stdio reaches the server.</summary>
    public bool HasTcpEndpoint => _endpoint is not null;

    /// <summary>
    /// Where the pg tools run and what they reach, for verbose lines after a tool's name: "on this machine (the local
    /// PATH) against 127.0.0.1:5432" in host mode, "in container postgres_cenate" in container mode.
    /// </summary>
    public string ToolPlace => Target.Mode == ConnectionMode.Host && _endpoint is not null
        ? $"on this machine ({Runner.Where}) against {_endpoint.Host}:{_endpoint.Port}"
        : $"in {Runner.Where}";

    /// <summary>Checks the container (exists, running) and resolves the endpoint; in host mode only builds the runner.</summary>
    public static async Task<TargetContext> OpenAsync(DatabaseTarget target, string? pgBinDirectory, IOperationReporter reporter, CancellationToken cancellationToken,
        bool allowExecFallback = false)
    {
        if (target.Mode == ConnectionMode.Host)
        {
            var endpoint = await EndpointResolver.ResolveAsync(target, null, cancellationToken).ConfigureAwait(false);
            return new TargetContext(target, null, null, new LocalPgToolRunner(pgBinDirectory), endpoint);
        }
        var engine = new DockerEngine(target.DockerHost);
        try
        {
            var info = await engine.RequireRunningAsync(target.Container!, cancellationToken).ConfigureAwait(false);
            var endpoint = allowExecFallback
                ? await EndpointResolver.TryResolveAsync(target, info, cancellationToken).ConfigureAwait(false)
                : await EndpointResolver.ResolveAsync(target, info, cancellationToken).ConfigureAwait(false);
            reporter.Verbose(endpoint is null
                ? $"Container '{info.Name}' ({info.Id[..Math.Min(12, info.Id.Length)]}) is running but offers no TCP endpoint reachable from here; rows stream through docker exec stdio (the last resort, about 2.5x slower)."
                : $"Container '{info.Name}' ({info.Id[..Math.Min(12, info.Id.Length)]}) is running; database sessions use {endpoint.Host}:{endpoint.Port} ({endpoint.HowFound}).");
            // The password goes into the exec's environment only when the container's socket asks for one.
            var runner = target.Password is null
                ? (IPgToolRunner)new ContainerPgToolRunner(engine, target.Container!)
                : new PasswordOnDemandRunner(new ContainerPgToolRunner(engine, target.Container!), target);
            return new TargetContext(target, engine, info, runner, endpoint);
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => Engine?.Dispose();
}
