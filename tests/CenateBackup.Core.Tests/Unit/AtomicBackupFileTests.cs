using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class AtomicBackupFileTests
{
    private const UnixFileMode Mode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static string Hex(byte[] data) => Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(3 * 1024 * 1024 + 17)]
    public async Task WriteThenCommit_GivesFinalFile_ContentHashSizeMode(int size)
    {
        using var dir = new TempDirectory();
        var path = dir.File("db_20260301_063000.dump");
        var data = RandomNumberGenerator.GetBytes(size);

        long committed;
        string? sha;
        using (var file = new AtomicBackupFile(path))
        {
            Assert.Matches("^" + System.Text.RegularExpressions.Regex.Escape(path) + @"\.[0-9a-f]{12}\.partial$", file.PartialPath);
            Assert.Equal(Path.GetFullPath(path), file.FinalPath);
            Assert.True(File.Exists(file.PartialPath));
            Assert.False(File.Exists(path));
            if (!OperatingSystem.IsWindows()) Assert.Equal(Mode0600, File.GetUnixFileMode(file.PartialPath));
            Assert.Null(file.Sha256);

            // Mixed write paths, in uneven pieces.
            var offset = 0;
            var piece = 1;
            while (offset < size)
            {
                var n = Math.Min(piece, size - offset);
                if (piece % 2 == 0) await file.WriteAsync(data.AsMemory(offset, n));
                else file.Write(data, offset, n);
                offset += n;
                piece = piece * 3 + 1;
            }
            Assert.Equal(size, file.Length);
            Assert.Equal(size, file.Position);

            committed = await file.CommitAsync();
            sha = file.Sha256;
        }

        Assert.Equal(size, committed);
        Assert.Equal(Hex(data), sha);
        Assert.True(File.Exists(path));
        Assert.False(File.Exists(path + ".partial"));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));
        Assert.Equal(data, await File.ReadAllBytesAsync(path));
        Assert.Equal(size, new FileInfo(path).Length);
        if (!OperatingSystem.IsWindows()) Assert.Equal(Mode0600, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task Sha256_IsLowercaseHex64()
    {
        using var dir = new TempDirectory();
        using var file = new AtomicBackupFile(dir.File("x.dump"));
        await file.WriteAsync(new byte[] { 1, 2, 3 });
        await file.CommitAsync();
        Assert.Matches("^[0-9a-f]{64}$", file.Sha256);
        Assert.Equal("039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81", file.Sha256);
    }

    [Fact]
    public async Task WorksUnderAGZipStream_HashIsOfTheCompressedBytes()
    {
        using var dir = new TempDirectory();
        var path = dir.File("t_20260301_063000.sql.gz");
        var text = System.Text.Encoding.UTF8.GetBytes(string.Concat(System.Linq.Enumerable.Repeat("INSERT INTO t VALUES (1);\n", 10_000)));
        using (var file = new AtomicBackupFile(path))
        {
            await using (var gz = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true))
            {
                await gz.WriteAsync(text);
            }
            await file.CommitAsync();
            Assert.Equal(Hex(await File.ReadAllBytesAsync(path)), file.Sha256);
        }
        await using var read = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        await read.CopyToAsync(ms);
        Assert.Equal(text, ms.ToArray());
    }

    [Fact]
    public async Task Progress_ReportsTheRunningTotal()
    {
        using var dir = new TempDirectory();
        var seen = new List<long>();
        using var file = new AtomicBackupFile(dir.File("x.dump"), seen.Add);
        await file.WriteAsync(new byte[10]);
        await file.WriteAsync(new byte[5]);
        file.Write(new byte[7], 0, 7);
        Assert.Equal(new long[] { 10, 15, 22 }, seen);
    }

    [Fact]
    public async Task DisposeWithoutCommit_DeletesThePartial_AndLeavesNoFinalFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("db_20260301_063000.dump");
        using (var file = new AtomicBackupFile(path))
        {
            await file.WriteAsync(RandomNumberGenerator.GetBytes(100_000));
            Assert.True(File.Exists(file.PartialPath));
        }
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".partial"));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public async Task DisposeAfterCommit_KeepsTheFinalFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("x.dump");
        var file = new AtomicBackupFile(path);
        await file.WriteAsync(new byte[] { 42 });
        await file.CommitAsync();
        file.Dispose();
        file.Dispose(); // twice is harmless
        Assert.Equal(new byte[] { 42 }, await File.ReadAllBytesAsync(path));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void ExistingFinalFile_ThrowsBackupSetExists_AndIsLeftUntouched()
    {
        using var dir = new TempDirectory();
        var path = dir.File("db_20260301_063000.dump");
        var original = RandomNumberGenerator.GetBytes(1000);
        File.WriteAllBytes(path, original);
        var mtime = File.GetLastWriteTimeUtc(path);

        var ex = Assert.Throws<CenateException>(() => new AtomicBackupFile(path));
        Assert.Equal(ErrorIds.BackupSetExists, ex.ErrorId);
        Assert.Equal(CenateErrorKind.InvalidOperation, ex.Kind);
        Assert.Equal(Path.GetFullPath(path), ex.Target);

        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(path));
        Assert.False(File.Exists(path + ".partial"));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public async Task FinalFileAppearingBeforeCommit_IsNotOverwritten()
    {
        using var dir = new TempDirectory();
        var path = dir.File("x.dump");
        using var file = new AtomicBackupFile(path);
        await file.WriteAsync(new byte[] { 1, 2, 3 });
        await File.WriteAllBytesAsync(path, new byte[] { 9 });

        var ex = await Record.ExceptionAsync(() => file.CommitAsync());
        Assert.IsType<CenateException>(ex);
        Assert.Equal(ErrorIds.BackupSetExists, ((CenateException)ex!).ErrorId);
        Assert.Equal(new byte[] { 9 }, await File.ReadAllBytesAsync(path));
        file.Dispose();
        Assert.False(File.Exists(path + ".partial"));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void MissingDirectory_IsACenateException()
    {
        using var dir = new TempDirectory();
        var ex = Record.Exception(() => new AtomicBackupFile(Path.Combine(dir.Path, "no", "such", "x.dump")));
        Assert.IsType<CenateException>(ex);
    }

    [Fact]
    public void IsWriteOnly()
    {
        using var dir = new TempDirectory();
        using var file = new AtomicBackupFile(dir.File("x.dump"));
        Assert.True(file.CanWrite);
        Assert.False(file.CanRead);
        Assert.False(file.CanSeek);
        Assert.Throws<NotSupportedException>(() => file.Read(new byte[1], 0, 1));
        Assert.Throws<NotSupportedException>(() => file.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => file.SetLength(0));
    }

    /// <summary>
    /// A stale "&lt;name&gt;.partial" (from a crash, another tool, or someone else) must not decide the mode or
    /// the content of the committed file: the backup is 0600 and holds exactly what was written.
    /// </summary>
    [Fact]
    public async Task StalePartial_DoesNotLoosenTheModeOfTheCommittedFile()
    {
        if (OperatingSystem.IsWindows()) return;
        using var dir = new TempDirectory();
        var path = dir.File("db_20260301_063000.dump");
        await File.WriteAllBytesAsync(path + ".partial", RandomNumberGenerator.GetBytes(5000));
        File.SetUnixFileMode(path + ".partial", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        using (var file = new AtomicBackupFile(path))
        {
            await file.WriteAsync(new byte[] { 1, 2, 3 });
            await file.CommitAsync();
        }
        Assert.Equal(new byte[] { 1, 2, 3 }, await File.ReadAllBytesAsync(path));
        Assert.Equal(Mode0600, File.GetUnixFileMode(path));
        // Not this writer's file: left for retention to judge (it may be another writer's).
        Assert.Equal(5000, new FileInfo(path + ".partial").Length);
    }

    /// <summary>
    /// A "&lt;name&gt;.partial" symlink planted in the backup directory must not make the backup write through it
    /// (the module runs as root; FileMode.Create follows the link and truncates its target).
    /// </summary>
    [Fact]
    public async Task PlantedPartialSymlink_IsNotWrittenThrough()
    {
        if (OperatingSystem.IsWindows()) return;
        using var dir = new TempDirectory();
        using var elsewhere = new TempDirectory();
        var victim = elsewhere.File("victim.conf");
        await File.WriteAllTextAsync(victim, "precious");
        var path = dir.File("db_20260301_063000.dump");
        File.CreateSymbolicLink(path + ".partial", victim);

        try
        {
            using var file = new AtomicBackupFile(path);
            await file.WriteAsync(new byte[] { 1, 2, 3 });
            await file.CommitAsync();
        }
        catch (CenateException) { /* refusing is fine too */ }

        Assert.Equal("precious", await File.ReadAllTextAsync(victim));
        if (File.Exists(path)) Assert.Null(new FileInfo(path).LinkTarget);
    }

    /// <summary>
    /// Two writers of one final name (two runs in one second): each writes its own partial, the second never unlinks
    /// the first's, the first commit wins, the second fails with BackupSetExists, and the final file holds exactly the
    /// first writer's bytes under the sha256 it reported (issue 12: a commit published a half-written file).
    /// </summary>
    [Fact]
    public async Task TwoWritersOfOneName_NeverShareAPartial_FirstCommitWins_SecondFails()
    {
        using var dir = new TempDirectory();
        var path = dir.File("asegurados_20260301_063000.csv.gz");
        var first = RandomNumberGenerator.GetBytes(200_000);
        var second = RandomNumberGenerator.GetBytes(300_000);
        using var a = new AtomicBackupFile(path);
        await a.WriteAsync(first.AsMemory(0, 100_000));
        using var b = new AtomicBackupFile(path);
        Assert.NotEqual(a.PartialPath, b.PartialPath);
        await b.WriteAsync(second);
        await a.WriteAsync(first.AsMemory(100_000));
        Assert.True(File.Exists(a.PartialPath));
        Assert.Equal(first.Length, new FileInfo(a.PartialPath).Length);

        await a.CommitAsync();
        var ex = await Assert.ThrowsAsync<CenateException>(() => b.CommitAsync());
        Assert.Equal(ErrorIds.BackupSetExists, ex.ErrorId);
        b.Dispose();

        Assert.Equal(first, await File.ReadAllBytesAsync(path));
        Assert.Equal(Hex(first), a.Sha256);
        Assert.Equal(new[] { path }, Directory.GetFileSystemEntries(dir.Path));
    }

    /// <summary>Many writers race for one name at once: exactly one commit wins, its bytes are the file, no partial is left.</summary>
    [Fact]
    public async Task ManyWritersRacingToCommit_ExactlyOneWins_AndTheFileIsItsOwn()
    {
        using var dir = new TempDirectory();
        var path = dir.File("db_20260301_063000.dump");
        for (var round = 0; round < 20; round++)
        {
            if (File.Exists(path)) File.Delete(path);
            var payloads = new List<byte[]>();
            var files = new List<AtomicBackupFile>();
            for (var i = 0; i < 8; i++)
            {
                var data = RandomNumberGenerator.GetBytes(4096 + i);
                payloads.Add(data);
                var f = new AtomicBackupFile(path);
                await f.WriteAsync(data);
                files.Add(f);
            }
            using var start = new ManualResetEventSlim();
            var tasks = new List<Task<bool>>();
            foreach (var f in files)
            {
                tasks.Add(Task.Run(async () =>
                {
                    start.Wait();
                    try { await f.CommitAsync(); return true; }
                    catch (CenateException e) when (e.ErrorId == ErrorIds.BackupSetExists) { return false; }
                }));
            }
            start.Set();
            var won = await Task.WhenAll(tasks);
            Assert.Single(won, w => w);
            var winner = Array.IndexOf(won, true);
            foreach (var f in files) f.Dispose();
            Assert.Equal(payloads[winner], await File.ReadAllBytesAsync(path));
            Assert.Equal(Hex(payloads[winner]), files[winner].Sha256);
            Assert.Equal(new[] { path }, Directory.GetFileSystemEntries(dir.Path));
        }
    }

    [Fact]
    public void PartialNames_AreFreshEachTime_AndCreatedExclusively()
    {
        using var dir = new TempDirectory();
        var path = dir.File("x.dump");
        var names = new HashSet<string>();
        var files = new List<AtomicBackupFile>();
        for (var i = 0; i < 50; i++)
        {
            var f = new AtomicBackupFile(path);
            files.Add(f);
            Assert.True(names.Add(f.PartialPath));
        }
        Assert.Equal(50, Directory.GetFiles(dir.Path, "*.partial").Length);
        foreach (var f in files) f.Dispose();
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}
