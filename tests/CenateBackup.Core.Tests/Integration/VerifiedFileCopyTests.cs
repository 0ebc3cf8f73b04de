using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite.Directories;
using Xunit;

namespace CenateBackup.Core.Tests.Integration;

/// <summary>Copies to real disks, read back from the disk itself: sha256sum's hash, 0600, no page cache, no
/// leftovers.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class VerifiedFileCopyTests : IClassFixture<MountedDisks>, IDisposable
{
    private readonly MountedDisks _disks;
    private readonly string _sources;

    public VerifiedFileCopyTests(MountedDisks disks)
    {
        _disks = disks;
        _sources = Path.Combine(disks.OnRoot, "src-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_sources);
    }

    public void Dispose() => Directory.Delete(_sources, recursive: true);

    private (string Path, string Sha) Source(int bytes)
    {
        var path = Path.Combine(_sources, Guid.NewGuid().ToString("N") + ".dump");
        var data = RandomNumberGenerator.GetBytes(bytes);
        File.WriteAllBytes(path, data);
        return (path, Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant());
    }

    private string Target(string disk)
    {
        var dir = Path.Combine(disk, "c-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string Sha256Sum(string path) => MountedDisks.Run("sha256sum", path).Split(' ')[0];

    private static long ResidentPages(string path) =>
        long.Parse(MountedDisks.Run("fincore", "--raw", "--noheadings", "-o", "PAGES", path).Trim());

    [Fact]
    public async Task CopyToExt4_ReadsBackFromTheDisk_MatchesSha256sum_0600_NotInPageCache()
    {
        var (src, sha) = Source(5 * 1024 * 1024 + 123);
        var dir = Target(_disks.Ext4);
        long reported = 0;
        var r = await VerifiedFileCopy.CopyAsync(src, dir, "maestro_cenate_20250101_000000.dump",
            sha.ToUpperInvariant(),
            new Progress<long>(b => Interlocked.Exchange(ref reported, b)), CancellationToken.None);
        Assert.Equal((Path.Combine(dir, "maestro_cenate_20250101_000000.dump"), 5L * 1024 * 1024 + 123, sha, true),
            (r.Path, r.Bytes, r.Sha256, r.ReadFromDisk));
        // Read back and then dropped again: the copy leaves nothing of the file in memory.
        Assert.Equal(0, ResidentPages(r.Path));
        Assert.Equal(sha, Sha256Sum(r.Path));
        Assert.True(ResidentPages(r.Path) > 0, "fincore sees the pages sha256sum just read");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(r.Path));
        Assert.Equal(new[] { r.Path }, Directory.GetFiles(dir));
        Assert.Equal(sha, await VerifiedFileCopy.ReadBackSha256Async(r.Path, CancellationToken.None));
        Assert.Equal(0, ResidentPages(r.Path));
        await Task.Delay(200);
        Assert.Equal(r.Bytes, Interlocked.Read(ref reported));
    }

    [Fact]
    public async Task ByteFlippedOnTheDiskBehindTheCache_IsCaught()
    {
        // The page cache keeps the bytes that were written; the flip goes to the disk image under the file system.
        // Only a read-back that really reads the disk can see it.
        var (src, sha) = Source(300 * 1024);
        var dir = Target(_disks.Ext4);
        var ex = await Assert.ThrowsAsync<CenateException>(() => VerifiedFileCopy.CopyAsync(src, dir, "a.dump", sha,
            null, partial => FlipOnDisk(partial, 4096 * 10 + 7), CancellationToken.None));
        Assert.Equal((ErrorIds.TargetChecksumMismatch, CenateErrorKind.InvalidData), (ex.ErrorId, ex.Kind));
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public async Task ByteFlippedThroughTheFileSystem_IsCaught_OnTmpfsToo()
    {
        var (src, sha) = Source(100 * 1024);
        var dir = Target(_disks.Tmpfs);
        var ex = await Assert.ThrowsAsync<CenateException>(() => VerifiedFileCopy.CopyAsync(src, dir, "a.dump", sha,
            null, partial =>
            {
                using var f = new FileStream(partial, FileMode.Open, FileAccess.ReadWrite);
                f.Position = 5000;
                var b = (byte)f.ReadByte();
                f.Position = 5000;
                f.WriteByte((byte)(b ^ 1));
            }, CancellationToken.None));
        Assert.Equal(ErrorIds.TargetChecksumMismatch, ex.ErrorId);
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public async Task WrongExpectedSha_IsMismatch_AndNothingLeft()
    {
        var (src, _) = Source(1000);
        var dir = Target(_disks.Ext4);
        Assert.Equal(ErrorIds.TargetChecksumMismatch, (await Assert.ThrowsAsync<CenateException>(() =>
            VerifiedFileCopy.CopyAsync(src, dir, "a.dump", new string('0', 64), null, CancellationToken.None)))
            .ErrorId);
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public async Task OverflowingTheSmallTmpfs_IsDiskFull_AndNoFileIsLeft()
    {
        var (src, sha) = Source(10 * 1024 * 1024);
        var dir = Target(_disks.Tmpfs);
        var ex = await Assert.ThrowsAsync<CenateException>(() =>
            VerifiedFileCopy.CopyAsync(src, dir, "big.dump", sha, null, CancellationToken.None));
        Assert.Equal((ErrorIds.DiskFull, CenateErrorKind.WriteError), (ex.ErrorId, ex.Kind));
        Assert.Empty(Directory.GetFileSystemEntries(dir));
        var state = await DirectoryTarget.CheckAsync(_disks.Tmpfs,
            new DirectoryTargetRequirements { RequireMarker = false }, default);
        Assert.True(state.FreeBytes > 7L * 1024 * 1024, $"free {state.FreeBytes}: the partial file was not removed");
    }

    [Fact]
    public async Task ExistingFileAtTheTarget_IsNeitherTrustedNorReplaced()
    {
        var (src, sha) = Source(4096);
        var dir = Target(_disks.Ext4);
        var existing = Path.Combine(dir, "a.dump");
        File.WriteAllText(existing, "someone else's");
        Assert.Equal(ErrorIds.BackupSetExists, (await Assert.ThrowsAsync<CenateException>(() =>
            VerifiedFileCopy.CopyAsync(src, dir, "a.dump", sha, null, CancellationToken.None))).ErrorId);
        Assert.Equal("someone else's", File.ReadAllText(existing));
        Assert.Single(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public async Task Cancelled_LeavesNoPartialFile()
    {
        var (src, sha) = Source(6 * 1024 * 1024);
        var dir = Target(_disks.Ext4);
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(_ => cts.Cancel());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            VerifiedFileCopy.CopyAsync(src, dir, "a.dump", sha, progress, cts.Token));
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public async Task MissingSource_IsBackupFileMissing()
    {
        var dir = Target(_disks.Ext4);
        var gone = Path.Combine(_sources, "gone.dump");
        var ex = await Assert.ThrowsAsync<CenateException>(() =>
            VerifiedFileCopy.CopyAsync(gone, dir, "a.dump", new string('0', 64), null, default));
        Assert.Equal(ErrorIds.BackupFileMissing, ex.ErrorId);
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Theory]
    [InlineData("../escape.dump")]
    [InlineData("sub/a.dump")]
    [InlineData("..")]
    public async Task NameWithAPath_IsRefused(string name)
    {
        var (src, sha) = Source(10);
        var dir = Target(_disks.Tmpfs);
        await Assert.ThrowsAsync<ArgumentException>(() =>
            VerifiedFileCopy.CopyAsync(src, dir, name, sha, null, default));
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    /// <summary>Writes a flipped byte straight into the ext4 image at the file's physical block (filefrag).</summary>
    private void FlipOnDisk(string file, long offsetInFile)
    {
        var extents = MountedDisks.Run("filefrag", "-v", file);
        var first = Regex.Match(extents, @"^\s*0:\s+0\.\.\s*\d+:\s+(\d+)\.\.", RegexOptions.Multiline);
        Assert.True(first.Success, "filefrag: " + extents);
        Assert.True(ResidentPages(file) > 0, "the good bytes just written are in the page cache");
        var physical = long.Parse(first.Groups[1].Value) * 4096 + offsetInFile;
        using var image = new FileStream(_disks.Image, FileMode.Open, FileAccess.ReadWrite);
        image.Position = physical;
        var b = (byte)image.ReadByte();
        image.Position = physical;
        image.WriteByte((byte)(b ^ 0x40));
        image.Flush(flushToDisk: true);
    }

    private sealed class SyncProgress : IProgress<long>
    {
        private readonly Action<long> _report;
        public SyncProgress(Action<long> report) => _report = report;
        public void Report(long value) => _report(value);
    }
}
