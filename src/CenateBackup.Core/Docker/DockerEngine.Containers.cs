using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace CenateBackup.Core.Docker;

/// <summary>A long-lived helper container the module creates beside the database's (the WAL archiver).</summary>
/// <param name="Name">Its name.</param>
/// <param name="Image">Image id or name to create it from.</param>
/// <param name="Entrypoint">The program and its arguments (no shell: nothing is parsed).</param>
/// <param name="Environment">NAME=value entries; never a secret (docker inspect shows them).</param>
/// <param name="User">uid:gid to run as.</param>
/// <param name="NetworkMode">host, or container:&lt;id&gt; to share the database container's network.</param>
/// <param name="Binds">host:container[:ro] bind mounts.</param>
/// <param name="Labels">Labels that mark it as the module's and record what it serves.</param>
/// <param name="StopSignal">The signal docker stop sends (null: the image's).</param>
public sealed record SidecarSpec(
    string Name,
    string Image,
    IReadOnlyList<string> Entrypoint,
    IReadOnlyList<string> Environment,
    string User,
    string NetworkMode,
    IReadOnlyList<string> Binds,
    IReadOnlyDictionary<string, string> Labels,
    string? StopSignal = null);

/// <summary>A file put into a container before it starts (a secret that must not appear in docker inspect).</summary>
/// <param name="Path">Absolute path in the container; its parent directory is created 0700.</param>
/// <param name="Content">The bytes.</param>
/// <param name="Uid">Owner uid.</param>
/// <param name="Gid">Owner gid.</param>
public sealed record ContainerFile(string Path, byte[] Content, int Uid, int Gid);

public sealed partial class DockerEngine
{
    /// <summary>
    /// Creates the container (restart policy unless-stopped), copies <paramref name="files"/> into it (0600, in a 0700
    /// directory) and starts it. A container left half made by a failure is removed. ContainerExists when the name is taken.
    /// </summary>
    public async Task<string> CreateSidecarAsync(SidecarSpec spec, IReadOnlyList<ContainerFile> files, CancellationToken ct)
    {
        var id = await CreateAsync(spec, restart: true, ct).ConfigureAwait(false);
        try
        {
            if (files.Count > 0)
            {
                using var tar = TarOf(files);
                await _client.Containers.ExtractArchiveToContainerAsync(id, new CopyToContainerParameters { Path = "/" }, tar, ct)
                    .ConfigureAwait(false);
            }
            await _client.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct).ConfigureAwait(false);
            return id;
        }
        catch (Exception ex)
        {
            try
            {
                await _client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, CancellationToken.None)
                    .ConfigureAwait(false);
            }
            catch (Exception) { /* the first failure is the one to report */ }
            if (IsEngineUnreachable(ex)) throw Unavailable(ex);
            if (ex is DockerApiException api)
            {
                throw new CenateException(ErrorIds.ContainerStartFailed, CenateErrorKind.ResourceUnavailable,
                    Messages.Format("ContainerStartFailed", spec.Name, api.ResponseBody?.Trim()), Messages.Get("ContainerStartFailed.Action"),
                    spec.Name, ex);
            }
            throw;
        }
    }

    /// <summary>
    /// Creates a container without restart policy, fills it with the tar <paramref name="writeTar"/> writes (streamed, never
    /// held whole; unpacked at "/" and owned by the container's user) and starts it. A failure on the way — the tar
    /// writer's first — removes the container: nothing half-filled is left.
    /// </summary>
    public async Task<string> CreateFilledAsync(SidecarSpec spec, Func<Stream, (int Uid, int Gid), CancellationToken, Task> writeTar,
        CancellationToken ct)
    {
        var id = await CreateAsync(spec, restart: false, ct).ConfigureAwait(false);
        try
        {
            // The owner is looked up in the image's own /etc/passwd (the engine's copyUIDGID may read another one).
            var owner = await UserIdsAsync(id, spec.User, ct).ConfigureAwait(false);
            var pipe = new System.IO.Pipelines.Pipe(new System.IO.Pipelines.PipeOptions(pauseWriterThreshold: 8 << 20,
                resumeWriterThreshold: 4 << 20, useSynchronizationContext: false));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var producer = Task.Run(async () =>
            {
                var writer = pipe.Writer.AsStream();
                try
                {
                    await writeTar(writer, owner, stop.Token).ConfigureAwait(false);
                    await writer.FlushAsync(stop.Token).ConfigureAwait(false);
                    await pipe.Writer.CompleteAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    await pipe.Writer.CompleteAsync(ex).ConfigureAwait(false);
                    throw;
                }
            }, CancellationToken.None);
            Task upload;
            await using (var reader = pipe.Reader.AsStream())
            {
                upload = _client.Containers.ExtractArchiveToContainerAsync(id,
                    new CopyToContainerParameters { Path = "/" }, reader, stop.Token);
                try
                {
                    await upload.ConfigureAwait(false);
                }
                catch (Exception) when (producer.IsFaulted || !producer.IsCompleted)
                {
                    // The writer's failure says why; the upload only saw its stream end early.
                    stop.Cancel();
                    await WriterOutcomeAsync(producer).ConfigureAwait(false);
                    throw;
                }
            }
            await WriterOutcomeAsync(producer).ConfigureAwait(false);
            await _client.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct).ConfigureAwait(false);
            return id;
        }
        catch (Exception ex)
        {
            try
            {
                await _client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, CancellationToken.None)
                    .ConfigureAwait(false);
            }
            catch (Exception) { /* the first failure is the one to report */ }
            if (ex is TarWriterFailed writer) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(writer.InnerException!).Throw();
            if (IsEngineUnreachable(ex)) throw Unavailable(ex);
            if (ex is DockerApiException api)
            {
                throw new CenateException(ErrorIds.ContainerStartFailed, CenateErrorKind.ResourceUnavailable,
                    Messages.Format("ContainerStartFailed", spec.Name, api.ResponseBody?.Trim()), Messages.Get("ContainerStartFailed.Action"),
                    spec.Name, ex);
            }
            throw;
        }
    }

    /// <summary>
    /// The uid and gid of <paramref name="user"/> ("name" or "uid[:gid]") in the container's /etc/passwd, read through the
    /// archive API from the created container. ContainerStartFailed when the image has no such user.
    /// </summary>
    private async Task<(int Uid, int Gid)> UserIdsAsync(string id, string user, CancellationToken ct)
    {
        var parts = user.Split(':');
        if (int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var uid))
        {
            var gid = parts.Length > 1 && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var g)
                ? g : uid;
            return (uid, gid);
        }
        var archive = await _client.Containers.GetArchiveFromContainerAsync(id, new ContainerPathStatParameters { Path = "/etc/passwd" },
            statOnly: false, ct).ConfigureAwait(false);
        await using var stream = archive.Stream ?? Stream.Null;
        using var reader = new TarReader(stream);
        while (await reader.GetNextEntryAsync(copyData: true, ct).ConfigureAwait(false) is { } entry)
        {
            if (entry.DataStream is null) continue;
            using var text = new StreamReader(entry.DataStream, Encoding.UTF8);
            while (await text.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                var f = line.Split(':');
                if (f.Length >= 4 && f[0] == parts[0]
                    && int.TryParse(f[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var u)
                    && int.TryParse(f[3], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var gg))
                {
                    return (u, gg);
                }
            }
        }
        throw new CenateException(ErrorIds.ContainerStartFailed, CenateErrorKind.ResourceUnavailable,
            Messages.Format("ContainerStartFailed", spec_name(id), $"the image has no user '{parts[0]}' in /etc/passwd"), Messages.Get("ContainerStartFailed.Action"), id);

        static string spec_name(string i) => i[..Math.Min(12, i.Length)];
    }

    /// <summary>The tar writer's own failure, kept apart from the engine's (an I/O error reading a backup is not the engine's).</summary>
    private sealed class TarWriterFailed(Exception inner) : Exception(inner.Message, inner);

    private static async Task WriterOutcomeAsync(Task producer)
    {
        try
        {
            await producer.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            throw new TarWriterFailed(ex);
        }
    }

    /// <summary>
    /// Runs a short-lived container to its end (no restart policy, no network unless <see cref="SidecarSpec.NetworkMode"/>
    /// says one) and removes it, whatever happened: its exit code and the last lines it wrote. Cancelling removes it.
    /// </summary>
    public async Task<(long ExitCode, string Output)> RunToExitAsync(SidecarSpec spec, CancellationToken ct)
    {
        var id = await CreateAsync(spec, restart: false, ct).ConfigureAwait(false);
        try
        {
            await _client.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct).ConfigureAwait(false);
            var wait = await _client.Containers.WaitContainerAsync(id, ct).ConfigureAwait(false);
            using var stream = await _client.Containers.GetContainerLogsAsync(id, new ContainerLogsParameters
            {
                ShowStdout = true,
                ShowStderr = true,
                Tail = "40",
            }, ct).ConfigureAwait(false);
            var (stdout, stderr) = await stream.ReadOutputToEndAsync(ct).ConfigureAwait(false);
            return (wait.StatusCode, (stdout + stderr).Trim());
        }
        catch (Exception ex) when (IsEngineUnreachable(ex))
        {
            throw Unavailable(ex);
        }
        catch (DockerApiException ex)
        {
            throw new CenateException(ErrorIds.ContainerStartFailed, CenateErrorKind.ResourceUnavailable,
                Messages.Format("ContainerStartFailed", spec.Name, ex.ResponseBody?.Trim()), Messages.Get("ContainerStartFailed.Action"),
                spec.Name, ex);
        }
        finally
        {
            try
            {
                await _client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, CancellationToken.None)
                    .ConfigureAwait(false);
            }
            catch (Exception) { /* gone already, or the engine went away: nothing more to do */ }
        }
    }

    /// <summary>
    /// Creates (does not start) a container of <paramref name="spec"/>: restart policy unless-stopped for a long-lived
    /// helper, none for a run to exit (whose network "none" is disabled). ContainerExists when the name is taken.
    /// </summary>
    private async Task<string> CreateAsync(SidecarSpec spec, bool restart, CancellationToken ct)
    {
        var create = new CreateContainerParameters
        {
            Name = spec.Name,
            Image = spec.Image,
            Entrypoint = spec.Entrypoint.ToList(),
            Cmd = new List<string>(),
            Env = spec.Environment.ToList(),
            User = spec.User,
            Labels = new Dictionary<string, string>(spec.Labels),
            NetworkDisabled = spec.NetworkMode == "none",
            StopSignal = spec.StopSignal,
            HostConfig = new HostConfig
            {
                NetworkMode = spec.NetworkMode,
                Binds = spec.Binds.ToList(),
                RestartPolicy = new RestartPolicy { Name = restart ? RestartPolicyKind.UnlessStopped : RestartPolicyKind.No },
                Init = true,
            },
        };
        try
        {
            return (await _client.Containers.CreateContainerAsync(create, ct).ConfigureAwait(false)).ID;
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            throw new CenateException(ErrorIds.ContainerExists, CenateErrorKind.ResourceExists,
                Messages.Format("ContainerExists", spec.Name), Messages.Format("ContainerExists.Action", spec.Name), spec.Name, ex);
        }
        catch (Exception ex) when (IsEngineUnreachable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>Starts a stopped container.</summary>
    public async Task StartAsync(string container, CancellationToken ct)
    {
        try
        {
            await _client.Containers.StartContainerAsync(container, new ContainerStartParameters(), ct).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException ex)
        {
            throw NotFound(container, ex);
        }
        catch (Exception ex) when (IsEngineUnreachable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>Stops (10 s grace) and removes a container; a container already gone is fine.</summary>
    public async Task RemoveAsync(string container, CancellationToken ct)
    {
        try
        {
            await _client.Containers.StopContainerAsync(container, new ContainerStopParameters { WaitBeforeKillSeconds = 10 }, ct)
                .ConfigureAwait(false);
            await _client.Containers.RemoveContainerAsync(container, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct)
                .ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
        }
        catch (Exception ex) when (IsEngineUnreachable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>The ID (sha256:…) of an image given by name, tag or ID; ImageNotFound when the engine does not have it (nothing is pulled).</summary>
    public async Task<string> InspectImageIdAsync(string image, CancellationToken ct)
    {
        try
        {
            return (await _client.Images.InspectImageAsync(image, ct).ConfigureAwait(false)).ID;
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            throw new CenateException(ErrorIds.ImageNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("ImageNotFound", image), Messages.Get("ImageNotFound.Action"), image, ex);
        }
        catch (Exception ex) when (IsEngineUnreachable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>The labels of a volume (empty when it has none), or null when the engine has no volume of that name.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> VolumeLabelsAsync(string name, CancellationToken ct)
    {
        try
        {
            var volume = await _client.Volumes.InspectAsync(name, ct).ConfigureAwait(false);
            return volume.Labels is { } labels ? new Dictionary<string, string>(labels, StringComparer.Ordinal) : new Dictionary<string, string>();
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception ex) when (IsEngineUnreachable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>Creates a named volume with labels (labels can only be given at creation: they say who made it).</summary>
    public async Task CreateVolumeAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken ct)
    {
        try
        {
            await _client.Volumes.CreateAsync(new VolumesCreateParameters { Name = name, Labels = new Dictionary<string, string>(labels) }, ct)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (IsEngineUnreachable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>Stops a container (10 s grace, then killed); one already stopped or gone is fine.</summary>
    public async Task StopAsync(string container, CancellationToken ct)
    {
        try
        {
            await _client.Containers.StopContainerAsync(container, new ContainerStopParameters { WaitBeforeKillSeconds = 10 }, ct)
                .ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
        }
        catch (Exception ex) when (IsEngineUnreachable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>Removes a named volume; one already gone is fine.</summary>
    public async Task RemoveVolumeAsync(string name, CancellationToken ct)
    {
        try
        {
            await _client.Volumes.RemoveAsync(name, force: false, ct).ConfigureAwait(false);
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            throw new CenateException(ErrorIds.VolumeInUse, CenateErrorKind.ResourceBusy, Messages.Format("VolumeInUse", name, ex.ResponseBody?.Trim()),
                Messages.Get("VolumeInUse.Action"), name, ex);
        }
        catch (Exception ex) when (IsEngineUnreachable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>The containers (running or not) that carry <paramref name="label"/>=<paramref name="value"/>.</summary>
    public async Task<IReadOnlyList<ContainerInfo>> FindByLabelAsync(string label, string value, CancellationToken ct)
    {
        IList<ContainerListResponse> list;
        try
        {
            list = await _client.Containers.ListContainersAsync(new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = new Dictionary<string, bool> { [label + "=" + value] = true },
                },
            }, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsEngineUnreachable(ex))
        {
            throw Unavailable(ex);
        }
        var found = new List<ContainerInfo>();
        foreach (var item in list)
        {
            try
            {
                found.Add(await InspectAsync(item.ID, ct).ConfigureAwait(false));
            }
            catch (CenateException ex) when (ex.ErrorId == ErrorIds.ContainerNotFound)
            {
                // removed between the list and the inspect
            }
        }
        return found;
    }

    /// <summary>The last <paramref name="lines"/> lines the container wrote (stdout and stderr) since <paramref name="since"/>, for messages.</summary>
    public async Task<string> LogTailAsync(string container, int lines, DateTimeOffset since, CancellationToken ct)
    {
        try
        {
            using var stream = await _client.Containers.GetContainerLogsAsync(container, new ContainerLogsParameters
            {
                ShowStdout = true,
                ShowStderr = true,
                Tail = lines.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Since = since.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, ct).ConfigureAwait(false);
            var (stdout, stderr) = await stream.ReadOutputToEndAsync(ct).ConfigureAwait(false);
            return (stdout + stderr).Trim();
        }
        catch (Exception ex) when (ex is DockerApiException or IOException || IsEngineUnreachable(ex))
        {
            return "";
        }
    }

    private CenateException NotFound(string container, Exception ex) => new(ErrorIds.ContainerNotFound, CenateErrorKind.ObjectNotFound,
        Messages.Format("ContainerNotFound.2", container, _endpointText), Messages.Get("ContainerNotFound.Action.2"), container, ex);

    /// <summary>A tar of the files (0600) under their directories (0700), owned by the given ids.</summary>
    private static MemoryStream TarOf(IReadOnlyList<ContainerFile> files)
    {
        var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            var dirs = new HashSet<string>(StringComparer.Ordinal);
            foreach (var file in files)
            {
                var relative = file.Path.TrimStart('/');
                var dir = Path.GetDirectoryName(relative)?.Replace('\\', '/');
                if (!string.IsNullOrEmpty(dir) && dirs.Add(dir))
                {
                    writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, dir + "/")
                    {
                        Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                        Uid = file.Uid,
                        Gid = file.Gid,
                    });
                }
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, relative)
                {
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                    Uid = file.Uid,
                    Gid = file.Gid,
                    DataStream = new MemoryStream(file.Content, writable: false),
                });
            }
        }
        buffer.Position = 0;
        return buffer;
    }
}
