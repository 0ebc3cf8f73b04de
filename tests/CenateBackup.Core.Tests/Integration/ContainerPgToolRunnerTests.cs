using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Docker;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Tools;
using Xunit;

namespace CenateBackup.Core.Tests.Integration;

public sealed class ContainerPgToolRunnerTests
{
    private static readonly Dictionary<string, string> s_noEnv = new();

    /// <summary>The command lines of the processes in the container, one per line (no ps in a minbase image).</summary>
    private static async Task<string> ProcessListAsync(ContainerPgToolRunner runner)
    {
        using var ps = new MemoryStream();
        var list = "for d in /proc/[0-9]*; do tr '\\0' ' ' < $d/cmdline 2>/dev/null; echo; done";
        await runner.RunAsync(new PgToolInvocation("sh", new[] { "-c", list }, s_noEnv), null, ps, CancellationToken.None);
        return System.Text.Encoding.UTF8.GetString(ps.ToArray());
    }

    [Fact]
    public async Task Stdin_And_Stdout_RoundTrip_Exactly_Through_The_Exec_Stream()
    {
        using var engine = new DockerEngine(null);
        var runner = new ContainerPgToolRunner(engine, Rig.Container);
        var data = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 17);
        using var input = new MemoryStream(data);
        using var output = new MemoryStream();
        var result = await runner.RunAsync(new PgToolInvocation("cat", Array.Empty<string>(), s_noEnv), input, output, CancellationToken.None);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(output.ToArray()));
    }

    [Fact]
    public async Task ExitCode_And_Stderr_Are_Reported_Exactly()
    {
        using var engine = new DockerEngine(null);
        var runner = new ContainerPgToolRunner(engine, Rig.Container);
        var result = await runner.RunAsync(new PgToolInvocation("sh", new[] { "-c", "echo out; echo err-text >&2; exit 3" }, s_noEnv), null, Stream.Null, CancellationToken.None);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("err-text", result.StandardError);
    }

    [Fact]
    public async Task Environment_Reaches_The_Tool_But_Not_Its_Command_Line()
    {
        using var engine = new DockerEngine(null);
        var runner = new ContainerPgToolRunner(engine, Rig.Container);
        using var output = new MemoryStream();
        var env = new Dictionary<string, string> { ["CENATE_PROBE"] = "s3cr3t-value" };
        var result = await runner.RunAsync(new PgToolInvocation("sh", new[] { "-c", "echo \"$CENATE_PROBE\"; tr '\\0' ' ' < /proc/$$/cmdline" }, env), null, output, CancellationToken.None);
        Assert.Equal(0, result.ExitCode);
        var lines = System.Text.Encoding.UTF8.GetString(output.ToArray()).Split('\n');
        Assert.Equal("s3cr3t-value", lines[0]);
        Assert.DoesNotContain("s3cr3t-value", lines[1]);
    }

    [Fact]
    public async Task Cancelling_Kills_The_Process_Inside_The_Container()
    {
        using var engine = new DockerEngine(null);
        var runner = new ContainerPgToolRunner(engine, Rig.Container);
        var marker = "cenate-sleep-" + Guid.NewGuid().ToString("N")[..8];
        using var cts = new CancellationTokenSource();
        var run = runner.RunAsync(new PgToolInvocation("sh", new[] { "-c", $"sleep 300; echo {marker}" }, s_noEnv), null, Stream.Null, cts.Token);
        // Cancelled once the process really runs in the container (seen in /proc, with a deadline), not after a guessed
        // 2 s that a loaded machine may spend before the exec starts.
        var seen = false;
        var startDeadline = DateTime.UtcNow.AddSeconds(60);
        while (!seen && DateTime.UtcNow < startDeadline && !run.IsCompleted)
        {
            seen = (await ProcessListAsync(runner)).Contains(marker);
            if (!seen) await Task.Delay(200);
        }
        Assert.True(seen, "the process must be running in the container before the cancellation");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(60)));
        // The kill is asynchronous inside the container: TERM, 2 s, KILL, and up to 3 more rounds for a process that was
        // still starting (KillAsync). On a loaded 2-core machine every docker exec takes seconds, so the budget is 30 s.
        var gone = false;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        for (var i = 0; DateTime.UtcNow < deadline && !gone; i++)
        {
            gone = !(await ProcessListAsync(runner)).Contains(marker);
            if (!gone) await Task.Delay(200);
        }
        Assert.True(gone, "the process must not survive the cancellation");
    }

    [Fact]
    public async Task Cancelling_At_Once_Still_Kills_The_Process_And_Its_Children()
    {
        using var engine = new DockerEngine(null);
        var runner = new ContainerPgToolRunner(engine, Rig.Container);
        var marker = "cenate-early-" + Guid.NewGuid().ToString("N")[..8];
        // A duration no other test uses, so leftovers of other runs cannot be mistaken for this one's child.
        var child = "sleep " + Random.Shared.Next(100_000, 999_999);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            runner.RunAsync(new PgToolInvocation("sh", new[] { "-c", $"{child} & {child}; echo {marker}" }, s_noEnv), null, Stream.Null, cts.Token));
        var gone = false;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !gone)
        {
            var text = await ProcessListAsync(runner);
            gone = !text.Contains(marker) && !text.Contains(child);
            if (!gone) await Task.Delay(200);
        }
        Assert.True(gone, "neither the tool nor its child may survive a cancellation that comes before any output");
    }

    [Fact]
    public async Task A_Missing_Container_Is_ContainerNotFound()
    {
        using var engine = new DockerEngine(null);
        var ex = await Assert.ThrowsAsync<CenateException>(() => engine.InspectAsync("cenate_no_such_container_x", CancellationToken.None));
        Assert.Equal(ErrorIds.ContainerNotFound, ex.ErrorId);
        Assert.Equal(CenateErrorKind.ObjectNotFound, ex.Kind);
    }

    [Fact]
    public async Task An_Unreachable_Engine_Is_DockerUnavailable()
    {
        using var engine = new DockerEngine("unix:///tmp/cenate-no-such-docker.sock");
        var ex = await Assert.ThrowsAsync<CenateException>(() => engine.InspectAsync(Rig.Container, CancellationToken.None));
        Assert.Equal(ErrorIds.DockerUnavailable, ex.ErrorId);
        Assert.Equal(CenateErrorKind.ResourceUnavailable, ex.Kind);
    }

    [Fact]
    public async Task The_Rig_Container_Resolves_To_Its_Loopback_Port()
    {
        using var engine = new DockerEngine(null);
        var info = await engine.RequireRunningAsync(Rig.Container, CancellationToken.None);
        Assert.Equal("host", info.NetworkMode);
        var endpoint = await EndpointResolver.ResolveAsync(Rig.ContainerTarget(), info, CancellationToken.None);
        Assert.Equal(("127.0.0.1", Rig.Port), (endpoint.Host, endpoint.Port));
    }
}
