using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Docker;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Tools;
using CenateBackup.Core.Archive;

namespace CenateBackup.Core.Verification;

/// <summary>What reading a base backup found.</summary>
/// <param name="Sha256">SHA-256 of the file as read.</param>
/// <param name="Checks">What was checked.</param>
/// <param name="Problems">What is wrong.</param>
public sealed record BaseBackupRead(string Sha256, List<string> Checks, List<VerificationProblem> Problems);

/// <summary>
/// Reads a base backup file to its end (SHA-256, gzip, every tar header), unpacks it into a private temporary directory
/// (0700, files 0600, next to the set) and runs pg_verifybackup on it: every file against the backup_manifest's sizes and
/// checksums, and the WAL it carries parsed from the start to the end of the backup. pg_verifybackup runs in a
/// throwaway container of the database container's image (no network, the directory mounted read-only, as this
/// account's uid), or locally when a pg_verifybackup of the backup's major version is there. The directory is removed
/// whatever happens.
/// </summary>
public static class BaseBackupVerifier
{
    /// <summary>Reads and verifies one base backup file.</summary>
    /// <param name="path">The .base.tar.gz.</param>
    /// <param name="recorded">What the set's manifest says of it (compared with what the archive says), or null.</param>
    /// <param name="tools">Where pg_verifybackup runs.</param>
    /// <param name="progress">Bytes read so far.</param>
    /// <param name="reporter">Verbose and warnings.</param>
    /// <param name="ct">Ctrl+C.</param>
    public static async Task<BaseBackupRead> ReadAsync(string path, ManifestBaseBackup? recorded, RestoreToolOptions tools, Action<long> progress,
        IOperationReporter reporter, CancellationToken ct)
    {
        var name = Path.GetFileName(path);
        var checks = new List<string>();
        var problems = new List<VerificationProblem>();
        var directory = ScratchParent(Path.GetDirectoryName(Path.GetFullPath(path))!, reporter);
        RemoveStaleScratch(directory, reporter);
        var scratch = Path.Combine(directory, ScratchPrefix + Guid.NewGuid().ToString("N"));
        PrivateDirectory.Create(scratch);
        try
        {
            string sha;
            var collected = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            var unpack = new Unpacker(scratch);
            var collect = TarStreamReader.Collect(s_facts, collected, 256L << 20);
            var tar = new TarStreamReader(member =>
            {
                // The files that say where the backup's WAL starts and ends are read as they are unpacked.
                var take = member.Name is "PG_VERSION" or "backup_label" or "backup_manifest" or "global/pg_control" ? collect(member) : null;
                var write = unpack.Open(member);
                return take is null ? write : data => { take(data); write?.Invoke(data); };
            });
            await using (var input = new ReadThroughStream(path, progress))
            {
                VerificationProblem? problem;
                try
                {
                    problem = await VerificationService.InflateToEndAsync(path, input, data => tar.Write(data), ct).ConfigureAwait(false);
                }
                catch (IOException ex) when (AtomicBackupFile.IsDiskFull(ex))
                {
                    throw new CenateException(ErrorIds.DiskFull, CenateErrorKind.WriteError, Messages.Format("Base.ScratchFull", scratch),
                        Messages.Get("Base.ScratchFull.Action"), path, ex);
                }
                finally
                {
                    unpack.Close();
                }
                sha = await input.FinishAsync(ct).ConfigureAwait(false);
                checks.Add($"gzip read {name}");
                if (problem is not null) problems.Add(problem);
            }
            if (problems.Count == 0)
            {
                tar.Finish();
                checks.Add($"tar read {name}");
                var why = tar.Error ?? unpack.Error;
                if (why is not null) problems.Add(new VerificationProblem(ProblemKind.Unreadable, name, "not a whole base backup: " + why));
                else if (!File.Exists(Path.Combine(scratch, "backup_manifest")))
                    problems.Add(new VerificationProblem(ProblemKind.Unreadable, name, "it holds no backup_manifest"));
            }
            if (problems.Count == 0 && recorded is not null)
            {
                // The manifest's WAL range is data: it must be what the archive's own files say.
                checks.Add($"WAL range {name}");
                try
                {
                    var read = BaseBackupFacts.From(collected, recorded.WalSegmentSize);
                    if (BaseBackupFacts.Differences(recorded, read) is { } differs)
                        problems.Add(new VerificationProblem(ProblemKind.ChecksumMismatch, name, "the manifest's base facts differ from the archive's: " + differs));
                }
                catch (Exception ex) when (ex is KeyNotFoundException or FormatException or System.Text.Json.JsonException or InvalidOperationException)
                {
                    problems.Add(new VerificationProblem(ProblemKind.Unreadable, name, "its backup_label or backup_manifest cannot be read: " + ex.Message));
                }
            }
            if (problems.Count > 0) return new BaseBackupRead(sha, checks, problems);
            reporter.Verbose($"{name}: {tar.Members} members unpacked into {scratch}; running pg_verifybackup.");
            var major = collected.TryGetValue("PG_VERSION", out var v) ? System.Text.Encoding.ASCII.GetString(v).Trim() : "";
            var (ok, output, where) = await RunVerifyBackupAsync(scratch, major, tools, reporter, ct).ConfigureAwait(false);
            checks.Add($"pg_verifybackup {name} ({where})");
            if (!ok)
            {
                problems.Add(new VerificationProblem(ProblemKind.Unreadable, name, "pg_verifybackup failed: " + ToolMessages.FirstLines(output, 4)));
            }
            return new BaseBackupRead(sha, checks, problems);
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                reporter.Warning(Messages.Format("Warning.Base.ScratchLeft", scratch, ex.Message));
            }
        }
    }

    /// <summary>pg_verifybackup on the directory: in a throwaway container of -Container's image, else locally.</summary>
    private static async Task<(bool Ok, string Output, string Where)> RunVerifyBackupAsync(string directory, string major, RestoreToolOptions tools,
        IOperationReporter reporter, CancellationToken ct)
    {
        if (tools.Container is { Length: > 0 } container)
        {
            var host = tools.DockerHost ?? Environment.GetEnvironmentVariable("DOCKER_HOST");
            if (host is { Length: > 0 } && !host.StartsWith("unix://", StringComparison.OrdinalIgnoreCase)
                && !host.StartsWith("npipe://", StringComparison.OrdinalIgnoreCase))
            {
                throw Unavailable(major, $"the Docker engine at {host} is not on this machine, so it cannot mount the unpacked copy");
            }
            using var engine = new DockerEngine(tools.DockerHost);
            var info = await engine.InspectAsync(container, ct).ConfigureAwait(false);
            var spec = new SidecarSpec($"cenate_verify_{Guid.NewGuid().ToString("N")[..12]}", info.ImageId,
                new[] { "sh", "-c", VerifyScript, "verify", major },
                Array.Empty<string>(), $"{geteuid()}:{getegid()}", "none", new[] { directory + ":" + Mount + ":ro" },
                new Dictionary<string, string> { ["cenate.role"] = "verify-base", ["cenate.database-container"] = info.Name });
            reporter.Verbose($"pg_verifybackup runs in a throwaway container of {info.Name}'s image ({info.ImageId[..Math.Min(19, info.ImageId.Length)]}).");
            var (code, output) = await engine.RunToExitAsync(spec, ct).ConfigureAwait(false);
            if (code == 127 || output.Contains("executable file not found", StringComparison.OrdinalIgnoreCase))
            {
                throw Unavailable(major, $"container {info.Name}'s image has no pg_verifybackup");
            }
            if (code == 42) throw Unavailable(major, $"container {info.Name}'s image has {ToolMessages.FirstLines(output, 1)}");
            if (code == 43)
            {
                throw Unavailable(major, $"a container of {info.Name}'s image cannot read the unpacked copy (rootless Docker, userns-remap or SELinux)");
            }
            return (code == 0, output, $"image of {info.Name}");
        }
        var runner = new LocalPgToolRunner(tools.PgBinDirectory);
        PgVersion version;
        try
        {
            version = await PgToolVersion.OfAsync(runner, "pg_verifybackup", ct).ConfigureAwait(false);
        }
        catch (CenateException ex) when (ex.ErrorId is ErrorIds.PgToolNotFound)
        {
            throw Unavailable(major, "no pg_verifybackup in PATH");
        }
        if (major.Length > 0 && version.Major.ToString(System.Globalization.CultureInfo.InvariantCulture) != major)
        {
            throw Unavailable(major, $"the local pg_verifybackup is {version}");
        }
        using var output2 = new MemoryStream();
        var result = await runner.RunAsync(new PgToolInvocation("pg_verifybackup", new[] { "--exit-on-error", directory },
            new Dictionary<string, string>()), null, output2, ct).ConfigureAwait(false);
        return (result.Succeeded, (System.Text.Encoding.UTF8.GetString(output2.ToArray()) + "\n" + result.StandardError).Trim(),
            $"local pg_verifybackup {version}");
    }

    private const string Mount = "/cenate-base";
    private const string ScratchPrefix = ".cenate-verify-";
    private static readonly string[] s_facts = { "backup_label", "backup_manifest", "PG_VERSION", "global/pg_control" };

    // In the throwaway container: the mounted copy must be readable (rootless Docker, userns-remap or SELinux may deny
    // it: 43), and pg_verifybackup of the backup's major version (42 otherwise); then pg_verifybackup itself.
    private const string VerifyScript =
        "[ -r " + Mount + "/backup_manifest ] || { echo \"cannot read " + Mount + "/backup_manifest in the container\"; exit 43; }; " +
        "v=\"$(pg_verifybackup --version)\" || exit 127; echo \"$v\"; " +
        "case \"$v\" in *\") $1.\"*|*\") $1\") exec pg_verifybackup --exit-on-error " + Mount + " ;; *) exit 42 ;; esac";

    /// <summary>
    /// Where the copy is unpacked: next to the set (same file system, the space the admin gave the backups) when no
    /// other account can rename or replace anything on the way there — each directory of the path owned by this user or
    /// root and writable by no one else, or sticky. Otherwise someone who may write the backup directory could swap the
    /// unpack directory for a link while members are written, and aim them anywhere this account may write: the system
    /// temp directory is used instead.
    /// </summary>
    private static string ScratchParent(string setDirectory, IOperationReporter reporter)
    {
        if (OperatingSystem.IsWindows() || HoldsFilesSafely(setDirectory)) return setDirectory;
        var temp = Path.GetFullPath(Path.GetTempPath());
        reporter.Verbose($"{setDirectory} (or a directory above it) may be written by another account: the copy is unpacked under {temp} instead.");
        return temp;
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static bool HoldsFilesSafely(string directory)
    {
        var me = Alerts.AlertFileTrust.CurrentUser();
        for (var d = directory; d is not null; d = Path.GetDirectoryName(d))
        {
            try
            {
                if (!Alerts.AlertFileTrust.DirectoryHoldsFilesSafely(Alerts.AlertFileTrust.OwnerOf(d), File.GetUnixFileMode(d), me)) return false;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Unpacked copies a killed check left (older than a day): they hold the cluster's data, so they go.</summary>
    private static void RemoveStaleScratch(string directory, IOperationReporter reporter)
    {
        foreach (var old in Directory.EnumerateDirectories(directory, ScratchPrefix + "*"))
        {
            try
            {
                var info = new DirectoryInfo(old);
                if (info.LinkTarget is not null || DateTime.UtcNow - info.LastWriteTimeUtc < TimeSpan.FromDays(1)) continue;
                Directory.Delete(old, recursive: true);
                reporter.Verbose($"Removed {old}, an unpacked copy an earlier check left.");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                reporter.Warning(Messages.Format("Warning.Base.ScratchLeft", old, ex.Message));
            }
        }
    }

    private static CenateException Unavailable(string major, string why) => new(ErrorIds.BaseBackupVerifierUnavailable, CenateErrorKind.NotInstalled,
        Messages.Format("Base.VerifierUnavailable", major.Length > 0 ? major : "?", why), Messages.Get("Base.VerifierUnavailable.Action"), null);

    /// <summary>Writes a tar's members under one directory: plain relative names only, files 0600, directories 0700.</summary>
    private sealed class Unpacker
    {
        private readonly string _root;
        private FileStream? _open;

        public Unpacker(string root) => _root = Path.GetFullPath(root);

        public string? Error { get; private set; }

        public TarDataSink? Open(TarMember member)
        {
            Close();
            if (Error is not null) return null;
            // The server writes some members with a leading "./" (./pg_wal/archive_status/).
            var relative = member.Name.TrimEnd('/');
            while (relative.StartsWith("./", StringComparison.Ordinal)) relative = relative[2..];
            if (relative.Length == 0 || relative.StartsWith('/') || relative.Split('/').Any(p => p is ".." or "." or "") || relative.Contains('\\'))
            {
                Error = $"member '{member.Name}' is not a plain relative path";
                return null;
            }
            var full = Path.GetFullPath(Path.Combine(_root, relative));
            if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                Error = $"member '{member.Name}' points outside the backup";
                return null;
            }
            try
            {
                if (member.IsDirectory)
                {
                    PrivateDirectory.Create(full);
                    return null;
                }
                if (member.IsFile) PrivateDirectory.Create(Path.GetDirectoryName(full)!);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Error = $"member '{member.Name}' clashes with another one ({ex.Message})";
                return null;
            }
            if (!member.IsFile)
            {
                // pg_basebackup writes links only for tablespaces, which New-CenateBaseBackup refuses.
                Error = $"member '{member.Name}' is of type '{member.Type}', not a file or directory";
                return null;
            }
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 1 << 16 };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            try
            {
                _open = new FileStream(full, options);
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException || ex is IOException io && !AtomicBackupFile.IsDiskFull(io))
            {
                Error = $"member '{member.Name}' appears twice or clashes with a directory ({ex.Message})";
                return null;
            }
            var file = _open;
            return data => file.Write(data);
        }

        public void Close()
        {
            _open?.Dispose();
            _open = null;
        }
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint geteuid();

    [DllImport("libc", EntryPoint = "getegid")]
    private static extern uint getegid();
}
