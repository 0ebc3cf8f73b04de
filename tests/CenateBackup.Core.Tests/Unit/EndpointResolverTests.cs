using System.Collections.Generic;
using CenateBackup.Core.Docker;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Targets;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class EndpointResolverTests
{
    private static DatabaseTarget Container(string? host = null, int port = 5432) =>
        new(ConnectionMode.Container, "maestro_cenate", "cenate", port) { Container = "postgres_cenate", Host = host };

    private static ContainerInfo Info(string networkMode = "bridge", Dictionary<int, int>? published = null, params string[] addresses) =>
        new("0123456789abcdef", "postgres_cenate", true, "running", networkMode, published ?? new Dictionary<int, int>(), addresses);

    private static TcpEndpoint Resolve(DatabaseTarget target, ContainerInfo? info) =>
        EndpointResolver.ResolveAsync(target, info, System.Threading.CancellationToken.None).GetAwaiter().GetResult();

    [Fact]
    public void ExplicitHost_Wins_OverEverything()
    {
        var info = Info("host", new Dictionary<int, int> { [5432] = 15432 }, "172.17.0.2");
        var ep = Resolve(Container(host: "db.internal"), info);
        Assert.Equal("db.internal", ep.Host);
        Assert.Equal(5432, ep.Port);
        Assert.Contains("explicit", ep.HowFound);
    }

    [Fact]
    public void HostMode_UsesHostAndPort()
    {
        var t = new DatabaseTarget(ConnectionMode.Host, "d", "u", 6543) { Host = "10.0.0.5" };
        var ep = Resolve(t, null);
        Assert.Equal(new TcpEndpoint("10.0.0.5", 6543, ep.HowFound), ep);
    }

    [Fact]
    public void HostMode_WithoutHost_IsContainerEndpointNotFound()
    {
        var t = new DatabaseTarget(ConnectionMode.Host, "d", "u", 5432);
        var ex = Assert.Throws<CenateException>(() => Resolve(t, null));
        Assert.Equal(ErrorIds.ContainerEndpointNotFound, ex.ErrorId);
        Assert.Equal(CenateErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void PublishedPort_ComesSecond_On127001()
    {
        var info = Info("host", new Dictionary<int, int> { [5432] = 15432, [80] = 8080 }, "172.17.0.2");
        var ep = Resolve(Container(), info);
        Assert.Equal("127.0.0.1", ep.Host);
        Assert.Equal(15432, ep.Port);
        Assert.Contains("published", ep.HowFound);
    }

    [Fact]
    public void PublishedPort_IsLookedUpByTheTargetPort()
    {
        var info = Info("bridge", new Dictionary<int, int> { [5432] = 15432, [5433] = 25433 });
        var ep = Resolve(Container(port: 5433), info);
        Assert.Equal(new TcpEndpoint("127.0.0.1", 25433, ep.HowFound), ep);
    }

    [Fact]
    public void OtherPublishedPorts_DoNotCount()
    {
        using var listener = Listen(out var port);
        var info = Info("bridge", new Dictionary<int, int> { [80] = 8080 }, "127.0.0.1");
        var ep = Resolve(Container(port: port), info);
        Assert.Equal("127.0.0.1", ep.Host);
        Assert.Equal(port, ep.Port);
        Assert.Contains("container address", ep.HowFound);
    }

    [Fact]
    public void ExplicitTcpHost_InContainerMode_UsesTcpPort()
    {
        var t = new DatabaseTarget(ConnectionMode.Container, "d", "u", 5432) { Container = "c", Host = "127.0.0.1", TcpPort = 15999 };
        var ep = Resolve(t, Info("none"));
        Assert.Equal(new TcpEndpoint("127.0.0.1", 15999, ep.HowFound), ep);
        Assert.Contains("-TcpHost", ep.HowFound);
    }

    [Fact]
    public async System.Threading.Tasks.Task ContainerAddress_ThatDoesNotAnswer_IsSkipped_AndTryResolveSaysExec()
    {
        int closedPort;
        using (Listen(out closedPort)) { }
        using var listener = Listen(out var port);
        // The first address refuses the connection (nothing listens on that port any more); there is no second working one.
        var t = Container(port: closedPort);
        var none = await EndpointResolver.TryResolveAsync(t, Info("none", null, "127.0.0.1"), System.Threading.CancellationToken.None);
        Assert.Null(none);
        var ex = await Assert.ThrowsAsync<CenateException>(() => EndpointResolver.ResolveAsync(t, Info("none", null, "127.0.0.1"), System.Threading.CancellationToken.None));
        Assert.Equal(ErrorIds.ContainerEndpointNotFound, ex.ErrorId);
        Assert.Contains("-TcpHost", ex.RecommendedAction);
        Assert.NotEqual(port, closedPort);
    }

    private static Listening Listen(out int port)
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        return new Listening(l);
    }

    private sealed class Listening(System.Net.Sockets.TcpListener listener) : System.IDisposable
    {
        public void Dispose() => listener.Stop();
    }

    [Fact]
    public void HostNetwork_Is127001_WithTheServerPort()
    {
        var ep = Resolve(Container(port: 5440), Info("host", null, "172.17.0.2"));
        Assert.Equal("127.0.0.1", ep.Host);
        Assert.Equal(5440, ep.Port);
        Assert.Contains("host-network", ep.HowFound);
    }

    [Fact]
    public void ContainerAddress_IsTheLastResort_FirstThatAnswers()
    {
        using var listener = Listen(out var port);
        var ep = Resolve(Container(port: port), Info("bridge", null, "127.0.0.2", "127.0.0.1"));
        Assert.Equal("127.0.0.1", ep.Host);
        Assert.Equal(port, ep.Port);
        Assert.Contains("container address", ep.HowFound);
    }

    [Fact]
    public void EmptyHost_IsNotAnExplicitHost()
    {
        var ep = Resolve(Container(host: ""), Info("bridge", new Dictionary<int, int> { [5432] = 15432 }));
        Assert.Equal(15432, ep.Port);
    }

    [Fact]
    public void Nothing_IsContainerEndpointNotFound()
    {
        var ex = Assert.Throws<CenateException>(() => Resolve(Container(), Info("none")));
        Assert.Equal(ErrorIds.ContainerEndpointNotFound, ex.ErrorId);
        Assert.Equal(CenateErrorKind.ResourceUnavailable, ex.Kind);
        Assert.Equal("postgres_cenate", ex.Target);
        Assert.Contains("5432", ex.Message);
    }
}
