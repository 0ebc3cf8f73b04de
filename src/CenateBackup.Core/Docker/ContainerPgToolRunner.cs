using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Tools;
using Docker.DotNet;
using Docker.DotNet.Models;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Docker;

/// <summary>
/// Runs PostgreSQL tools inside a container through the Docker exec API, streaming stdin/stdout directly
/// (no file is left in the container, no docker cp). Each run carries a unique marker in its environment, so
/// cancelling can find and kill the tool, and whatever it started, inside the container.
/// </summary>
public sealed class ContainerPgToolRunner : IPgToolRunner
{
    private const string RunMarkerName = "CENATE_EXEC_RUN";

    // Kills, inside the container, every process whose environment carries this run's marker ($0): the tool,
    // and anything it started. TERM first, KILL two seconds later (which also catches a process that was still
    // starting when the first pass ran).
    private const string KillScript =
        "k() { for d in /proc/[0-9]*; do tr '\\0' '\\n' < \"$d/environ\" 2>/dev/null | grep -qxF \"$1\" && kill -\"$2\" \"${d#/proc/}\" 2>/dev/null; done; }; " +
        "left() { for d in /proc/[0-9]*; do tr '\\0' '\\n' < \"$d/environ\" 2>/dev/null | grep -qxF \"$1\" && return 0; done; return 1; }; " +
        "k \"$0\" TERM; sleep 2; k \"$0\" KILL; sleep 0.2; if left \"$0\"; then exit 3; fi; exit 0";
    private const int BlockSize = 1 << 20;
    private readonly DockerEngine _engine;
    private readonly string _container;

    /// <summary>Creates a runner for one container.</summary>
    public ContainerPgToolRunner(DockerEngine engine, string container)
    {
        _engine = engine;
        _container = container;
    }

    /// <inheritdoc />
    public string Where => $"container {_container}";

    /// <inheritdoc />
    public async Task<PgToolResult> RunAsync(
        PgToolInvocation invocation, Stream? standardInput, Stream? standardOutput, CancellationToken cancellationToken)
    {
        // Marks this run's processes, so cancelling can find and kill them however early it comes.
        var runMarker = RunMarkerName + "=" + Guid.NewGuid().ToString("N");
        var create = CreateParameters(invocation, standardInput is not null, runMarker);
        var (execId, stream) = await StartExecAsync(create, runMarker, cancellationToken).ConfigureAwait(false);

        var stderr = new BoundedText();
        Exception? streamError = null;
        var killStarted = 0;
        using (stream)
        {
            // The kill may run before the engine has really started the process (a loaded machine): then it finds
            // nothing, so the exec is watched afterwards and killed again if it still runs.
            using var killer = cancellationToken.Register(() =>
            {
                if (Interlocked.Exchange(ref killStarted, 1) == 0) _ = KillAndWatchAsync(runMarker, stream, execId);
            });
            var inTask = standardInput is null
                ? Task.CompletedTask
                : CopyStandardInputAsync(standardInput, stream, cancellationToken);

            try
            {
                await DemultiplexAsync(stream, standardOutput ?? Stream.Null, stderr, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is IOException)
            {
                // The attach stream broke or ended inside a frame: usually the container stopped under us. Inspect
                // below decides; whatever the exit code, the output is incomplete. (Failures writing the local file
                // arrive as CenateException, not IOException.)
                streamError = ex;
                stderr.Append("\n" + ex.Message);
            }
            catch
            {
                _ = KillAsync(runMarker, null);
                throw;
            }
            await inTask.ConfigureAwait(false);
        }
        if (cancellationToken.IsCancellationRequested && Interlocked.Exchange(ref killStarted, 1) == 0)
        {
            // The cancellation's other callbacks (the reader's, which closes the stream) ran first and the read loop
            // ended before the kill's turn came: leaving the block unregistered it, and the tool would run on.
            await KillAsync(runMarker, null).ConfigureAwait(false);
            _ = KillIfStartedLateAsync(execId, runMarker);
        }
        cancellationToken.ThrowIfCancellationRequested();

        var exitCode = await WaitForExitCodeAsync(execId).ConfigureAwait(false);
        if (exitCode == 0 && streamError is null) return new PgToolResult(exitCode, stderr.ToString());
        // A failed run may be the container stopping under us.
        var stopped = await _engine.HasStoppedAsync(_container).ConfigureAwait(false);
        if (Judge(exitCode, streamError, stopped, invocation.Tool, _container) is { } failure) throw failure;
        return new PgToolResult(exitCode, stderr.ToString());
    }

    /// <summary>The exec that runs the tool, its environment and this run's marker.</summary>
    private static ContainerExecCreateParameters CreateParameters(
        PgToolInvocation invocation, bool attachStdin, string runMarker)
    {
        // The prologue gives the tool, where coreutils' stdbuf exists, a 4 MB stdout buffer: pg_dump writes
        // 4 KB pieces, and every piece costs a Docker frame and a wake-up on both
        // sides of the exec stream (measured: 377 MB dump 22 s → 18 s through the docker CLI alone).
        var cmd = new List<string>
        {
            "sh", "-c",
            "if command -v stdbuf >/dev/null 2>&1; then exec stdbuf -o 4M \"$@\"; else exec \"$@\"; fi",
            "cenate", invocation.Tool,
        };
        cmd.AddRange(invocation.Arguments);
        return new ContainerExecCreateParameters
        {
            AttachStdout = true,
            AttachStderr = true,
            AttachStdin = attachStdin,
            Cmd = cmd,
            Env = invocation.Environment.Select(kv => kv.Key + "=" + kv.Value).Append(runMarker).ToList(),
        };
    }

    /// <summary>Creates and starts the exec, turning the engine's refusals into the module's errors.</summary>
    private async Task<(string ExecId, MultiplexedStream Stream)> StartExecAsync(
        ContainerExecCreateParameters create, string runMarker, CancellationToken cancellationToken)
    {
        string? createdExec = null;
        try
        {
            var execId = (await _engine.Client.Exec.CreateContainerExecAsync(_container, create, cancellationToken)
                .ConfigureAwait(false)).ID;
            createdExec = execId;
            var stream = await _engine.Client.Exec.StartContainerExecAsync(
                execId, new ContainerExecStartParameters { Detach = false }, cancellationToken).ConfigureAwait(false);
            return (execId, stream);
        }
        catch (OperationCanceledException)
        {
            // Cancelled while the exec was being started: it may be running already, so kill it by its marker; and the
            // engine may still start it after that (a loaded machine), so watch the exec for a few seconds.
            await KillAsync(runMarker, null).ConfigureAwait(false);
            if (createdExec is not null)
            {
                // Wait a few seconds for it here; the watch goes on in the background (an exec that never starts is
                // watched a minute).
                var watch = KillIfStartedLateAsync(createdExec, runMarker);
                await Task.WhenAny(watch, Task.Delay(TimeSpan.FromSeconds(6), CancellationToken.None)).ConfigureAwait(false);
            }
            throw;
        }
        catch (DockerContainerNotFoundException ex)
        {
            throw new CenateException(ErrorIds.ContainerNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("ContainerNotFound", _container), Messages.Get("ContainerNotFound.Action"), _container, ex);
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            throw new CenateException(ErrorIds.ContainerNotRunning, CenateErrorKind.ResourceUnavailable,
                Messages.Format("ContainerNotRunning", _container), Messages.Format("ContainerNotRunning.Action", _container),
                _container, ex);
        }
        catch (Exception ex) when (DockerEngine.IsEngineUnreachable(ex))
        {
            throw _engine.Unavailable(ex);
        }
    }

    /// <summary>Copies <paramref name="standardInput"/> into the exec on a worker, then closes its stdin.</summary>
    private static Task CopyStandardInputAsync(Stream standardInput, MultiplexedStream stream, CancellationToken ct) =>
        Task.Run(async () =>
        {
            var buf = ArrayPool<byte>.Shared.Rent(BlockSize);
            try
            {
                int n;
                while ((n = await standardInput.ReadAsync(buf.AsMemory(0, BlockSize), ct).ConfigureAwait(false)) > 0)
                {
                    await stream.WriteAsync(buf, 0, n, ct).ConfigureAwait(false);
                }
            }
            catch (IOException) { /* the tool closed stdin early; its exit code tells */ }
            catch (OperationCanceledException) { }
            finally
            {
                ArrayPool<byte>.Shared.Return(buf);
                try { stream.CloseWrite(); } catch (IOException) { } catch (ObjectDisposedException) { }
            }
        }, CancellationToken.None);

    /// <summary>The exec's exit code once the engine says it has ended (up to 5 s), or null.</summary>
    private async Task<int?> WaitForExitCodeAsync(string execId)
    {
        try
        {
            for (var i = 0; i < 50; i++)
            {
                var inspect = await _engine.Client.Exec.InspectContainerExecAsync(execId, CancellationToken.None)
                    .ConfigureAwait(false);
                if (!inspect.Running) return inspect.ExitCode is { } code ? (int)code : null;
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (DockerApiException) { /* the container went away */ }
        return null;
    }

    /// <summary>
    /// What a finished exec means: null when the tool's own result (exit code, stderr) tells; otherwise the error to
    /// throw. A broken output stream fails the run even when the tool exited 0: its output is incomplete.
    /// </summary>
    internal static CenateException? Judge(int? exitCode, Exception? streamError, bool containerStopped, string tool, string container)
    {
        if (containerStopped)
        {
            return new CenateException(ErrorIds.ContainerStopped, CenateErrorKind.ResourceUnavailable,
                Messages.Format("ContainerStopped", container, tool),
                Messages.Format("ContainerStopped.Action", container), container, streamError);
        }
        if (streamError is not null && exitCode == 0)
        {
            return new CenateException(ErrorIds.ConnectionLost, CenateErrorKind.ConnectionError,
                Messages.Format("ConnectionLost.3", tool, container, streamError.Message),
                Messages.Get("ConnectionLost.Action.3"), container, streamError);
        }
        return null;
    }

    /// <summary>
    /// Splits the attach stream into stdout (written to <paramref name="output"/>) and stderr. Docker.DotNet's
    /// ReadOutputAsync costs two async reads per frame; here the socket stream under Docker.DotNet's wrappers
    /// (MultiplexedStream → HijackedStreamResponse → buffered socket stream) is read in 1 MB blocks on one
    /// dedicated thread and the frames are parsed in memory. Should a future Docker.DotNet rename its fields,
    /// the slower ReadOutputAsync path is used.
    /// </summary>
    private static async Task DemultiplexAsync(MultiplexedStream stream, Stream output, BoundedText stderr, CancellationToken ct)
    {
        if (WrappedStream(stream) is not { } raw)
        {
            await StreamPump.CopyAsync((writer, token) => DemultiplexSlowAsync(stream, writer, stderr, token), output, ct).ConfigureAwait(false);
            return;
        }
        // Blocking reads on a dedicated thread: async reads of small frames cost a thread-pool hop each, and
        // the pool's idle workers spin (sched_yield) between them; one thread that sleeps in recv() does not.
        var source = WrappedStream(raw) ?? raw;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var parser = new DockerFrameParser();
            var buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
            try
            {
                using var reg = ct.Register(() => { try { source.Dispose(); } catch (Exception) { } });
                while (true)
                {
                    int n;
                    try
                    {
                        n = source.Read(buffer, 0, BlockSize);
                    }
                    catch (Exception) when (ct.IsCancellationRequested)
                    {
                        throw new OperationCanceledException(ct);
                    }
                    if (n == 0) break;
                    // Written here, synchronously: the file write and its hash are cheap next to the exec stream,
                    // and staying on this thread keeps the thread pool (and its spinning) out of the data path.
                    parser.Feed(buffer.AsSpan(0, n), (target, payload) =>
                    {
                        if (target == 2) stderr.Append(Encoding.UTF8.GetString(payload));
                        else output.Write(payload);
                    });
                }
                if (!parser.AtFrameBoundary) throw new EndOfStreamException("The Docker attach stream ended inside a frame.");
                output.Flush();
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        })
        { IsBackground = true, Name = "CenateBackup exec reader" };
        thread.Start();
        await done.Task.ConfigureAwait(false);
    }

    /// <summary>The stream a Docker.DotNet wrapper keeps in its private "_stream" field, or null.</summary>
    private static Stream? WrappedStream(object wrapper) =>
        wrapper.GetType().GetField("_stream", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)?.GetValue(wrapper) as Stream;

    private static async Task DemultiplexSlowAsync(MultiplexedStream stream, System.IO.Pipelines.PipeWriter writer, BoundedText stderr, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
        try
        {
            while (true)
            {
                var r = await stream.ReadOutputAsync(buffer, 0, BlockSize, ct).ConfigureAwait(false);
                if (r.EOF) break;
                if (r.Target == MultiplexedStream.TargetStream.StandardError)
                {
                    stderr.Append(Encoding.UTF8.GetString(buffer, 0, r.Count));
                    continue;
                }
                writer.Write(buffer.AsSpan(0, r.Count));
                var f = await writer.FlushAsync(ct).ConfigureAwait(false);
                if (f.IsCompleted) break;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task KillAndWatchAsync(string runMarker, MultiplexedStream stream, string execId)
    {
        await KillAsync(runMarker, stream).ConfigureAwait(false);
        await KillIfStartedLateAsync(execId, runMarker).ConfigureAwait(false);
    }

    /// <summary>
    /// Watches a cancelled exec until it has ended (up to a minute): the engine may start it, or its process may
    /// appear, only after the first kill ran and found nothing. Each time it is seen running it is killed again.
    /// </summary>
    private async Task KillIfStartedLateAsync(string execId, string runMarker)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var state = await _engine.Client.Exec.InspectContainerExecAsync(execId, CancellationToken.None).ConfigureAwait(false);
                if (state.Running) await KillAsync(runMarker, null).ConfigureAwait(false);
                else if (state.Pid != 0) return; // it ran and has ended
            }
            catch (Exception) { return; }
            await Task.Delay(500, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task KillAsync(string runMarker, MultiplexedStream? stream)
    {
        try
        {
            // The kill script exits 3 when a marked process is still there after TERM and KILL: a process whose start
            // was still on its way when the cancellation came (a loaded machine). Look again, a few times.
            for (var attempt = 0; attempt < 4; attempt++)
            {
                var create = new ContainerExecCreateParameters { Cmd = new List<string> { "sh", "-c", KillScript, runMarker } };
                var id = (await _engine.Client.Exec.CreateContainerExecAsync(_container, create, CancellationToken.None).ConfigureAwait(false)).ID;
                using (var s = await _engine.Client.Exec.StartContainerExecAsync(id, new ContainerExecStartParameters(), CancellationToken.None).ConfigureAwait(false))
                {
                    await s.CopyOutputToAsync(Stream.Null, Stream.Null, Stream.Null, CancellationToken.None).ConfigureAwait(false);
                }
                var done = await _engine.Client.Exec.InspectContainerExecAsync(id, CancellationToken.None).ConfigureAwait(false);
                if (done.ExitCode == 0) break;
                await Task.Delay(500, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception) { /* best effort: the container may be gone */ }
        finally
        {
            try { stream?.Dispose(); } catch (Exception) { }
        }
    }
}
