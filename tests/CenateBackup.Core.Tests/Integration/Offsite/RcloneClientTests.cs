using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite.Rclone;
using Xunit;

namespace CenateBackup.Core.Tests.Integration.Offsite;

/// <summary>The rclone layer against real remotes on 127.0.0.1 (sftp, WebDAV, S3, crypt over local and over
/// WebDAV).</summary>
[Collection(nameof(RemoteCollection))]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RcloneClientTests
{
    private readonly RemoteFixture _fx;
    private static readonly CancellationToken s_ct = CancellationToken.None;

    public RcloneClientTests(RemoteFixture fx) => _fx = fx;

    private (string Dir, Dictionary<string, string> Sums) LocalFiles(params (string Name, int Size)[] files)
    {
        var dir = _fx.NewDir("local");
        var sums = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, size) in files)
        {
            var bytes = RandomNumberGenerator.GetBytes(size);
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
            sums[name] = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
        }
        return (dir, sums);
    }

    [Fact]
    public async Task Version_IsRclone()
    {
        Assert.StartsWith("rclone v", await _fx.Client().VersionAsync(s_ct));
    }

    [Theory]
    [InlineData("sftp")]
    [InlineData("dav")]
    [InlineData("s3")]
    [InlineData("cryptlocal")]
    [InlineData("cryptdav")]
    public async Task Upload_List_ReadManifests_Checksum_Download(string remote)
    {
        var client = _fx.Client();
        var loc = RemoteFixture.NewLocation(remote);
        const string dump = "maestro_cenate_20261130_010203.dump",
            manifest = "maestro_cenate_20261130_010203.manifest.json";
        var (dir, sums) = LocalFiles((dump, 300_000), ("notes.txt", 10));
        File.WriteAllText(Path.Combine(dir, manifest), "{\"formatVersion\":1,\"x\":\"ñ\"}");
        sums[manifest] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir,
            manifest)))).ToLowerInvariant();
        var progress = new List<long>();
        await client.MakeDirectoryAsync(loc, s_ct);
        await client.UploadAsync(dir, new[] { dump, manifest }, loc, new Progress<long>(progress.Add), s_ct);

        var listed = await client.ListAsync(loc, s_ct);
        Assert.NotNull(listed);
        Assert.Equal(new[] { dump, manifest }, listed!.Select(f => f.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(300_000, listed.Single(f => f.Name == dump).Size);
        var manifests = await client.ReadManifestsAsync(loc, s_ct);
        Assert.Equal(new[] { manifest }, manifests.Keys);
        Assert.Equal("{\"formatVersion\":1,\"x\":\"ñ\"}", manifests[manifest]);
        Assert.Equal(manifests[manifest], await client.ReadTextAsync(loc, manifest, 1000, s_ct));

        var report = await client.ChecksumAsync(loc, new Dictionary<string, string> { [dump] = sums[dump],
            [manifest] = sums[manifest] }, s_ct);
        Assert.True(report.Passed);
        Assert.Equal(new[] { dump, manifest }, report.Matched);

        var back = _fx.NewDir("back");
        await client.DownloadAsync(loc, new[] { dump }, back, null, s_ct);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, dump)), File.ReadAllBytes(Path.Combine(back, dump)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(back, dump)));
        Assert.Equal(new[] { dump }, Directory.GetFileSystemEntries(back).Select(Path.GetFileName));

        await client.DeleteAsync(loc, new[] { dump, "never-there.txt" }, s_ct);
        Assert.Equal(new[] { manifest }, (await client.ListAsync(loc, s_ct))!.Select(f => f.Name));
    }

    [Theory]
    [InlineData("dav")]
    [InlineData("cryptlocal")]
    [InlineData("cryptdav")]
    public async Task OneFlippedByte_IsFoundByChecksum_ButPlainCheckPassesIt(string remote)
    {
        var client = _fx.Client();
        var loc = RemoteFixture.NewLocation(remote);
        const string name = "maestro_cenate_20261130_020304.dump";
        var (dir, sums) = LocalFiles((name, 200_000));
        await client.UploadAsync(dir, new[] { name }, loc, null, s_ct);
        Assert.True((await client.ChecksumAsync(loc, sums, s_ct)).Passed);

        FlipOneByte(remote, loc);

        var report = await client.ChecksumAsync(loc, sums, s_ct);
        Assert.Equal(new[] { name }, report.Differ);
        Assert.Empty(report.Matched);
        Assert.Equal(ErrorIds.RemoteChecksumMismatch,
            Assert.Throws<CenateException>(() => report.ThrowIfFailed(loc.ToString())).ErrorId);
        // The reason the layer never uses it: `rclone check` without --download compares sizes only here and exits 0.
        var (exit, _) = RunRclone("check", dir, loc.ToString(), "--config", _fx.ConfigPath, "--one-way");
        Assert.Equal(0, exit);
    }

    private void FlipOneByte(string remote, RemoteLocation loc)
    {
        var onDisk = remote switch
        {
            "dav" => _fx.ServedPath(_fx.WebDav, loc.Path),
            "cryptlocal" => _fx.CryptLocalDirectory,
            _ => _fx.ServedPath(_fx.WebDav, "enc"),
        };
        // Crypt keeps (encrypted) names and directories: the only file below is the one uploaded by this test.
        var file = Directory.EnumerateFiles(remote == "dav" ? onDisk : onDisk, "*", SearchOption.AllDirectories)
            .Where(f => remote == "dav" || IsUnder(f, onDisk, EncryptedDirOf(remote, loc)))
            .OrderByDescending(f => new FileInfo(f).Length).First();
        using var fs = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        fs.Position = fs.Length / 2;
        var b = fs.ReadByte();
        fs.Position = fs.Length / 2;
        fs.WriteByte((byte)(b ^ 0x01));
    }

    private string? EncryptedDirOf(string remote, RemoteLocation loc)
    {
        var (exit, output) = RunRclone("cryptdecode", "--reverse", remote + ":", loc.Path, "--config", _fx.ConfigPath);
        Assert.Equal(0, exit);
        return output.Split('\t').Last().Trim();
    }

    private static bool IsUnder(string file, string root, string? encryptedDir) =>
        encryptedDir is not null && Path.GetRelativePath(root, file).StartsWith(encryptedDir + "/",
            StringComparison.Ordinal);

    [Fact]
    public async Task WrongCryptPassword_ListsNothing_AndChecksumReportsTheFilesMissing()
    {
        var client = _fx.Client();
        var loc = RemoteFixture.NewLocation("cryptlocal");
        const string name = "maestro_cenate_20261130_030405.dump";
        var (dir, sums) = LocalFiles((name, 50_000));
        await client.UploadAsync(dir, new[] { name }, loc, null, s_ct);
        var wrong = new RemoteLocation("cryptwrong", loc.Path);
        // The directory's name does not decrypt with another password: the directory is not there for that remote.
        Assert.Null(await client.ListAsync(wrong, s_ct));
        var report = await client.ChecksumAsync(wrong, sums, s_ct);
        Assert.False(report.Passed);
        Assert.Equal(new[] { name }, report.Missing);
        Assert.Empty(report.Differ);
    }

    [Fact]
    public async Task ImmutableConflict_IsRemoteFileConflict_AndTheRemoteFileIsUnchanged()
    {
        var client = _fx.Client();
        var loc = RemoteFixture.NewLocation("sftp");
        const string name = "maestro_cenate_20261130_040506.dump";
        var (dir, _) = LocalFiles((name, 20_000));
        await client.UploadAsync(dir, new[] { name }, loc, null, s_ct);
        var served = Path.Combine(_fx.ServedPath(_fx.Sftp, loc.Path), name);
        var before = File.ReadAllBytes(served);
        File.WriteAllBytes(Path.Combine(dir, name), RandomNumberGenerator.GetBytes(20_001));
        var ex = await Assert.ThrowsAsync<CenateException>(() => client.UploadAsync(dir, new[] { name }, loc, null,
            s_ct));
        Assert.Equal(ErrorIds.RemoteFileConflict, ex.ErrorId);
        Assert.Equal(CenateErrorKind.ResourceExists, ex.Kind);
        Assert.Equal(before, File.ReadAllBytes(served));
    }

    [Fact]
    public async Task UploadOfAFileNotThereLocally_IsBackupFileMissing_AndNothingIsSent()
    {
        // Plain rclone skips such a --files-from name and exits 0.
        var client = _fx.Client();
        var loc = RemoteFixture.NewLocation("sftp");
        var (dir, _) = LocalFiles(("maestro_cenate_20261130_070809.dump", 100));
        var names = new[] { "maestro_cenate_20261130_070809.dump", "maestro_cenate_20261130_070809.csv.gz" };
        var ex = await Assert.ThrowsAsync<CenateException>(() => client.UploadAsync(dir, names, loc, null, s_ct));
        Assert.Equal(ErrorIds.BackupFileMissing, ex.ErrorId);
        Assert.Null(await client.ListAsync(loc, s_ct));
    }

    [Fact]
    public async Task UnknownRemote_IsRemoteNotConfigured()
    {
        var unknown = new RemoteLocation("nosuchremote", "x");
        var ex = await Assert.ThrowsAsync<CenateException>(() => _fx.Client().ListAsync(unknown, s_ct));
        Assert.Equal(ErrorIds.RemoteNotConfigured, ex.ErrorId);
    }

    [Fact]
    public async Task MissingRclone_IsRcloneNotFound()
    {
        var client = new RcloneClient(new RcloneOptions("/nonexistent/bin/rclone", _fx.ConfigPath));
        var ex = await Assert.ThrowsAsync<CenateException>(() => client.VersionAsync(s_ct));
        Assert.Equal(ErrorIds.RcloneNotFound, ex.ErrorId);
        Assert.Equal(CenateErrorKind.NotInstalled, ex.Kind);
    }

    [Fact]
    public async Task SftpWithNothingListening_IsRemoteUnreachable()
    {
        var ex = await Assert.ThrowsAsync<CenateException>(() => _fx.Client().ListAsync(new RemoteLocation("dead",
            "x"), s_ct));
        Assert.Equal(ErrorIds.RemoteUnreachable, ex.ErrorId);
        Assert.Equal(CenateErrorKind.ConnectionError, ex.Kind);
        Assert.DoesNotContain(_fx.Secrets, s => ex.Message.Contains(s, StringComparison.Ordinal));
    }

    [Fact]
    public async Task MissingDirectory_ListsAsNull_ReadsAsRemoteFileNotFound()
    {
        var loc = RemoteFixture.NewLocation("sftp");
        Assert.Null(await _fx.Client().ListAsync(loc, s_ct));
        var ex = await Assert.ThrowsAsync<CenateException>(() => _fx.Client().ReadTextAsync(loc, "x.manifest.json",
            100, s_ct));
        Assert.Equal(ErrorIds.RemoteFileNotFound, ex.ErrorId);
    }

    [Theory]
    [InlineData("sftp")]
    [InlineData("cryptdav")]
    public async Task DuringALargeUpload_NoPasswordIsInAnyCommandLine_NorInVerbose(string remote)
    {
        var verbose = new List<string>();
        var client = _fx.Client(line => { lock (verbose) verbose.Add(line); });
        var loc = RemoteFixture.NewLocation(remote);
        const string name = "maestro_cenate_20261130_050607.dump";
        var (dir, _) = LocalFiles((name, 96 << 20));
        var progress = new SyncProgress();
        var upload = client.UploadAsync(dir, new[] { name }, loc, progress, s_ct);
        var sawRclone = false;
        var cmdlines = new List<string>();
        while (!upload.IsCompleted)
        {
            var procs = Directory.EnumerateDirectories("/proc").Where(d => char.IsAsciiDigit(Path.GetFileName(d)[0]));
            foreach (var proc in procs)
            {
                string cmdline;
                try { cmdline = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' '); }
                catch (IOException) { continue; }
                catch (UnauthorizedAccessException) { continue; }
                if (cmdline.Contains("rclone copy", StringComparison.Ordinal) && cmdline.Contains(loc.Path,
                    StringComparison.Ordinal))
                {
                    sawRclone = true;
                }
                cmdlines.Add(cmdline);
            }
            // Sampled often: over loopback the whole upload may take under a second on a fast machine.
            await Task.Delay(5);
        }
        await upload;
        // Progress comes from rclone's JSON stats lines: it grows and ends at the bytes sent (the file's size, plus
        // crypt's per-block overhead on a crypt remote).
        Assert.NotEmpty(progress.Values);
        Assert.Equal(progress.Values.OrderBy(v => v), progress.Values);
        Assert.InRange(progress.Values[^1], 96L << 20, (96L << 20) + (2 << 20));
        Assert.True(sawRclone, "the rclone child was never seen running: the upload was too quick to sample");
        foreach (var secret in _fx.Secrets)
        {
            Assert.DoesNotContain(cmdlines, c => c.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(verbose, v => v.Contains(secret, StringComparison.Ordinal));
        }
        Assert.Contains(verbose, v => v.StartsWith("rclone copy ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancellation_KillsRclone()
    {
        var client = _fx.Client();
        var loc = RemoteFixture.NewLocation("sftp");
        const string name = "maestro_cenate_20261130_060708.dump";
        var (dir, _) = LocalFiles((name, 60 << 20));
        using var cts = new CancellationTokenSource();
        var progress = new List<long>();
        var upload = client.UploadAsync(dir, new[] { name }, loc,
            new Progress<long>(b => { lock (progress) progress.Add(b); }), cts.Token);
        var sw = Stopwatch.StartNew();
        while (!RcloneRunning(loc.Path) && sw.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(20);
        Assert.True(RcloneRunning(loc.Path), "rclone never started");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => upload);
        Assert.False(RcloneRunning(loc.Path), "rclone still runs after cancellation");
    }

    private sealed class SyncProgress : IProgress<long>
    {
        public List<long> Values { get; } = new();

        public void Report(long value)
        {
            lock (Values) Values.Add(value);
        }
    }

    private static bool RcloneRunning(string marker) => Directory.EnumerateDirectories("/proc")
        .Where(d => char.IsAsciiDigit(Path.GetFileName(d)[0]))
        .Any(d =>
        {
            try { return File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' ').Contains(marker,
                StringComparison.Ordinal); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return false; }
        });

    private static (int Exit, string Output) RunRclone(params string[] args)
    {
        var psi = new ProcessStartInfo("rclone") { RedirectStandardOutput = true, RedirectStandardError = true,
            UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        _ = err.Result;
        return (p.ExitCode, output);
    }
}
