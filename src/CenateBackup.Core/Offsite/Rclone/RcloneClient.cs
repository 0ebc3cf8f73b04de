using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Offsite.Rclone;

/// <summary>
/// The remote operations the offsite job needs, each one rclone run. Secrets never go into rclone's arguments (they
/// stay in the admin's config file), every upload is --immutable (a different file at the remote is an error, never
/// overwritten), checks always download (sizes and remote hashes prove nothing on crypt and WebDAV remotes), and
/// everything rclone prints passes the <see cref="RcloneSecretRedactor"/> before it reaches an error or a log line.
/// </summary>
public sealed class RcloneClient
{
    /// <summary>The largest manifest read from a remote; a larger one is reported as damaged.</summary>
    public const long ManifestLimit = 16L << 20;

    private const long ListingLimit = 64L << 20;
    private readonly RcloneOptions _options;
    private readonly Action<string>? _verbose;
    private readonly Lazy<RcloneSecretRedactor> _redactor;

    /// <summary>A client; <paramref name="verbose"/> receives the commands run and rclone's messages,
    /// redacted.</summary>
    public RcloneClient(RcloneOptions options, Action<string>? verbose = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _verbose = verbose;
        _redactor = new Lazy<RcloneSecretRedactor>(() => RcloneSecretRedactor.FromConfigFile(ConfigFile()));
    }

    /// <summary>The options.</summary>
    public RcloneOptions Options => _options;

    /// <summary>The redactor for the config file in use.</summary>
    public RcloneSecretRedactor Redactor => _redactor.Value;

    /// <summary>rclone's version line ("rclone v1.60.1"); RcloneNotFound when it cannot be run.</summary>
    public async Task<string> VersionAsync(CancellationToken ct)
    {
        var run = await RunAsync(new[] { "version" }, 1 << 20, null, ct).ConfigureAwait(false);
        if (run.ExitCode != 0) throw Fail(run, Messages.Get("Rclone.Op.Version"), Executable);
        return run.StandardOutput.Split('\n')[0].Trim();
    }

    /// <summary>The files of a remote directory (not recursive); null when the directory does not exist.</summary>
    public async Task<IReadOnlyList<RemoteFile>?> ListAsync(RemoteLocation dir, CancellationToken ct)
    {
        var run = await RunAsync(new[] { "lsjson", dir.ToString(), "--files-only", "--no-mimetype" }, ListingLimit,
            null, ct)
            .ConfigureAwait(false);
        if (run.ExitCode == 3) return null;
        if (run.ExitCode != 0) throw Fail(run, Messages.Get("Rclone.Op.Listing"), dir.ToString());
        var files = new List<RemoteFile>();
        try
        {
            using var doc = JsonDocument.Parse(run.StandardOutput);
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                var modTime = e.TryGetProperty("ModTime", out var m) && m.ValueKind == JsonValueKind.String
                    && DateTimeOffset.TryParse(m.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None,
                        out var t)
                    ? t : DateTimeOffset.MinValue;
                files.Add(new RemoteFile(e.GetProperty("Name").GetString() ?? "", e.GetProperty("Size").GetInt64(),
                    modTime));
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new CenateException(ErrorIds.RcloneFailed, CenateErrorKind.ToolFailed,
                Messages.Format("RcloneFailed", dir, ex.Message),
                    Messages.Get("RcloneFailed.Action"),
                dir.ToString(), ex);
        }
        return files;
    }

    /// <summary>The text of one remote file, at most <paramref name="maxBytes"/> bytes (more is InvalidData).</summary>
    public async Task<string> ReadTextAsync(RemoteLocation dir, string name, long maxBytes, CancellationToken ct)
    {
        var path = dir.Join(name);
        var run = await RunAsync(new[] { "cat", path, "--count",
            (maxBytes + 1).ToString(CultureInfo.InvariantCulture) },
            (maxBytes + 1) * 4, null, ct).ConfigureAwait(false);
        if (run.ExitCode is 3 or 4)
        {
            throw new CenateException(ErrorIds.RemoteFileNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("RemoteFileNotFound", path),
                    Messages.Get("RemoteFileNotFound.Action"), path);
        }
        if (run.ExitCode != 0) throw Fail(run, Messages.Get("Rclone.Op.Reading"), path);
        if (Encoding.UTF8.GetByteCount(run.StandardOutput) > maxBytes)
        {
            throw new CenateException(ErrorIds.ManifestInvalid, CenateErrorKind.InvalidData,
                Messages.Format("ManifestInvalid.3", path, maxBytes),
                    Messages.Get("ManifestInvalid.Action.3"), path);
        }
        return run.StandardOutput;
    }

    /// <summary>
    /// Every "*.manifest.json" of a remote directory (name → JSON text) in one rclone run, copied into a private
    /// temporary directory. Manifests larger than <see cref="ManifestLimit"/> are left out (the caller sees them
    /// listed).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> ReadManifestsAsync(RemoteLocation dir, CancellationToken ct)
    {
        var temp = Directory.CreateTempSubdirectory("cenate-rclone-");
        try
        {
            var run = await RunAsync(new[]
            {
                "copy", dir.ToString(), temp.FullName, "--include", "*.manifest.json", "--max-depth", "1",
                "--max-size", ManifestLimit.ToString(CultureInfo.InvariantCulture), "--immutable",
            }, 1 << 20, null, ct).ConfigureAwait(false);
            if (run.ExitCode != 0) throw Fail(run, Messages.Get("Rclone.Op.Manifests"), dir.ToString());
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var f in temp.EnumerateFiles("*.manifest.json"))
            {
                result[f.Name] = await File.ReadAllTextAsync(f.FullName, ct).ConfigureAwait(false);
            }
            return result;
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Uploads the named files of a local directory in one `rclone copy --files-from-raw … --immutable`. A file already
    /// at the remote with the same size and time is skipped; a different one is RemoteFileConflict (never overwritten).
    /// A named file missing locally is BackupFileMissing before anything is sent.
    /// </summary>
    /// <param name="localDir">The local directory holding the files.</param>
    /// <param name="names">The files' names.</param>
    /// <param name="dir">The remote directory.</param>
    /// <param name="bytes">Bytes transferred so far, from rclone's stats (once a second).</param>
    /// <param name="ct">Kills rclone.</param>
    public Task UploadAsync(string localDir, IReadOnlyList<string> names, RemoteLocation dir, IProgress<long>? bytes,
        CancellationToken ct)
    {
        var source = Path.GetFullPath(localDir);
        foreach (var n in names)
        {
            // rclone skips a --files-from name that is not there and still exits 0: check first.
            RemoteLocation.RequirePlainName(n);
            if (!File.Exists(Path.Combine(source, n)))
            {
                throw new CenateException(ErrorIds.BackupFileMissing, CenateErrorKind.ObjectNotFound,
                    Messages.Format("BackupFileMissing.2", Path.Combine(source, n)),
                    Messages.Get("BackupFileMissing.Action.2"), Path.Combine(source, n));
            }
        }
        var what = Messages.Format("Rclone.Op.Uploading", names.Count);
        return CopyAsync(source, dir.ToString(), names, bytes, what, dir.ToString(), ct);
    }

    /// <summary>
    /// Downloads the named files into a local directory. They arrive in a private (0700) directory beside it, are made
    /// 0600 there and only then moved in, so no backup file is readable by others even for a moment; an existing local
    /// file of the same name is not replaced (BackupSetExists).
    /// </summary>
    public async Task DownloadAsync(RemoteLocation dir, IReadOnlyList<string> names, string localDir,
        IProgress<long>? bytes,
        CancellationToken ct)
    {
        var target = Path.GetFullPath(localDir);
        foreach (var n in names) RemoteLocation.RequirePlainName(n);
        var existing = names.FirstOrDefault(n => File.Exists(Path.Combine(target, n)));
        if (existing is not null)
        {
            throw new CenateException(ErrorIds.BackupSetExists, CenateErrorKind.ResourceExists,
                Messages.Format("BackupSetExists.4", Path.Combine(target, existing)),
                Messages.Get("BackupSetExists.Action.4"), Path.Combine(target, existing));
        }
        var staging = Path.Combine(target, ".cenate-download-" + Guid.NewGuid().ToString("N"));
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(staging);
        else Directory.CreateDirectory(staging,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            await CopyAsync(dir.ToString(), staging, names, bytes, Messages.Get("Rclone.Op.Downloading"),
                dir.ToString(),
                ct).ConfigureAwait(false);
            foreach (var n in names)
            {
                var staged = Path.Combine(staging, n);
                if (!File.Exists(staged))
                {
                    throw new CenateException(ErrorIds.RemoteFileNotFound, CenateErrorKind.ObjectNotFound,
                        Messages.Format("RemoteFileNotFound", dir.Join(n)),
                            Messages.Get("RemoteFileNotFound.Action.2"), dir.Join(n));
                }
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(staged, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }
            foreach (var n in names) File.Move(Path.Combine(staging, n), Path.Combine(target, n), overwrite: false);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>
    /// Judges the named files by downloading them: `rclone checksum sha256 &lt;sums&gt; &lt;dir&gt; --download
    /// --one-way`.
    /// This reads every byte back through the remote (and proves a crypt remote still decrypts). Files the remote has
    /// beyond the named ones are not judged.
    /// </summary>
    public async Task<ChecksumReport> ChecksumAsync(RemoteLocation dir,
        IReadOnlyDictionary<string, string> sha256ByName,
        CancellationToken ct)
    {
        var temp = Directory.CreateTempSubdirectory("cenate-rclone-");
        try
        {
            var sums = new StringBuilder();
            foreach (var (name, sha) in sha256ByName.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                RemoteLocation.RequirePlainName(name);
                if (sha.Length != 64 || !sha.All(Uri.IsHexDigit))
                {
                    throw new CenateException(ErrorIds.ManifestInvalid, CenateErrorKind.InvalidData,
                        Messages.Format("ManifestInvalid.4", name), Messages.Get("ManifestInvalid.Action.4"), name);
                }
                sums.Append(sha.ToLowerInvariant()).Append("  ").Append(name).Append('\n');
            }
            var sumFile = Path.Combine(temp.FullName, "sha256.sum");
            await File.WriteAllTextAsync(sumFile, sums.ToString(), ct).ConfigureAwait(false);
            var run = await RunAsync(new[]
            {
                "checksum", "sha256", sumFile, dir.ToString(), "--download", "--one-way", "--combined", "-",
            }, ListingLimit, null, ct).ConfigureAwait(false);
            return RcloneCombinedReport.Parse(run.StandardOutput, sha256ByName.Keys, run.ExitCode)
                ?? throw Fail(run, Messages.Get("Rclone.Op.Checking"), dir.ToString());
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    /// <summary>Deletes the named files of a remote directory; names that are not there are fine.</summary>
    public async Task DeleteAsync(RemoteLocation dir, IReadOnlyList<string> names, CancellationToken ct)
    {
        if (names.Count == 0) return;
        var temp = Directory.CreateTempSubdirectory("cenate-rclone-");
        try
        {
            var list = await WriteNameListAsync(temp.FullName, names, ct).ConfigureAwait(false);
            var run = await RunAsync(new[] { "delete", dir.ToString(), "--files-from-raw", list, "--max-depth", "1" },
                1 << 20, null, ct).ConfigureAwait(false);
            if (run.ExitCode is not (0 or 3)) throw Fail(run, Messages.Format("Rclone.Op.Deleting", names.Count),
                dir.ToString());
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    /// <summary>Creates a remote directory (and its parents); fine when it exists.</summary>
    public async Task MakeDirectoryAsync(RemoteLocation dir, CancellationToken ct)
    {
        var run = await RunAsync(new[] { "mkdir", dir.ToString() }, 1 << 20, null, ct).ConfigureAwait(false);
        if (run.ExitCode != 0) throw Fail(run, Messages.Get("Rclone.Op.Creating"), dir.ToString());
    }

    private async Task CopyAsync(string from, string to, IReadOnlyList<string> names, IProgress<long>? bytes,
        string what,
        string target, CancellationToken ct)
    {
        if (names.Count == 0) return;
        var temp = Directory.CreateTempSubdirectory("cenate-rclone-");
        try
        {
            var list = await WriteNameListAsync(temp.FullName, names, ct).ConfigureAwait(false);
            Action<string>? onLine = bytes is null ? null : line =>
            {
                if (RcloneStats.TryReadBytes(line, out var done)) bytes.Report(done);
            };
            var run = await RunAsync(new[]
            {
                "copy", from, to, "--files-from-raw", list, "--immutable", "--no-traverse", "--stats", "1s", "-v",
            }, 1 << 20, onLine, ct).ConfigureAwait(false);
            if (run.ExitCode != 0) throw Fail(run, what, target);
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    private static async Task<string> WriteNameListAsync(string directory, IReadOnlyList<string> names,
        CancellationToken ct)
    {
        foreach (var n in names) RemoteLocation.RequirePlainName(n);
        var path = Path.Combine(directory, "files.txt");
        await File.WriteAllTextAsync(path, string.Join('\n', names) + "\n", ct).ConfigureAwait(false);
        return path;
    }

    private string Executable => string.IsNullOrEmpty(_options.RclonePath) ? "rclone" : _options.RclonePath;

    private string? ConfigFile()
    {
        if (!string.IsNullOrEmpty(_options.ConfigPath)) return _options.ConfigPath;
        if (Environment.GetEnvironmentVariable("RCLONE_CONFIG") is { Length: > 0 } env) return env;
        var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var candidate = Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".config") : xdg, "rclone",
            "rclone.conf");
        return File.Exists(candidate) ? candidate : Path.Combine(home, ".rclone.conf");
    }

    private async Task<RcloneRun> RunAsync(IReadOnlyList<string> operation, long stdoutLimit, Action<string>? onLine,
        CancellationToken ct)
    {
        var args = new List<string>(operation);
        if (!string.IsNullOrEmpty(_options.ConfigPath)) args.AddRange(new[] { "--config", _options.ConfigPath });
        if (_options.Timeout is { } t)
        {
            var s = Math.Max(1, (long)Math.Ceiling(t.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s";
            args.AddRange(new[] { "--contimeout", s, "--timeout", s });
        }
        args.AddRange(new[] { "--use-json-log", "--ask-password=false" });
        _verbose?.Invoke("rclone " + string.Join(' ', args));
        var redactor = _redactor.Value;
        Action<string> lineHandler = line =>
        {
            onLine?.Invoke(line);
            if (_verbose is not null && !line.Contains("\"stats\":{", StringComparison.Ordinal))
            {
                _verbose(redactor.Redact(line));
            }
        };
        var run = await RcloneProcess.RunAsync(Executable, args, stdoutLimit, lineHandler, ct).ConfigureAwait(false);
        return run with { StandardError = redactor.Redact(run.StandardError) };
    }

    private static CenateException Fail(RcloneRun run, string operation, string target) =>
        RcloneErrors.Map(run.ExitCode, run.StandardError, operation, target);
}
