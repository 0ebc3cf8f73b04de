using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// The set writer's life cycle on a real directory: what is on disk after a completed set, after a set disposed
/// without completing (an error, Ctrl+C, SIGTERM), and after a failure at the manifest. The expected names come from
/// the fixed start time, not from the writer.
/// </summary>
public class BackupSetWriterTests
{
    private const string Database = "unit_writer_db";
    private static readonly DateTimeOffset s_started = new(2026, 3, 1, 6, 30, 0, TimeSpan.Zero);
    private const string ExpectedStamp = "20260301_063000";

    private static BackupManifest NewManifest() =>
        BackupSetWriter.NewManifest(new DatabaseTarget(ConnectionMode.Host, Database, "cenate", 5432) { Host = "127.0.0.1" },
            "CenateBackup unit", s_started, "00000003-0000001A-1", "15.8", 150008, "15.8");

    /// <summary>Every name in the directory except the lock file, sorted.</summary>
    private static string[] Listing(string directory) =>
        Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Where(n => n != BackupDirectoryLock.FileName)
            .OrderBy(n => n, StringComparer.Ordinal).ToArray()!;

    private static async Task<ManifestFile> WriteFileAsync(BackupSetWriter set, string name, string text)
    {
        using var file = set.CreateFile(name);
        var bytes = Encoding.UTF8.GetBytes(text);
        file.Write(bytes);
        var size = await file.CommitAsync();
        return new ManifestFile { Name = name, Kind = BackupFileKind.Csv, Size = size, Sha256 = file.Sha256!, CompletedAt = DateTimeOffset.UtcNow };
    }

    [Fact]
    public void Begin_CreatesTheDirectory0700_AndReservesTheStampWithAnIncompleteManifest()
    {
        using var root = new TempDirectory();
        var directory = Path.Combine(root.Path, "new", "backups");
        using var set = BackupSetWriter.Begin(directory, NewManifest(), NullReporter.Instance);

        Assert.Equal(ExpectedStamp, set.Stamp);
        Assert.Equal(Path.Combine(directory, $"{Database}_{ExpectedStamp}.manifest.json"), set.ManifestPath);
        var onDisk = BackupManifest.Load(set.ManifestPath);
        Assert.False(onDisk.Complete);
        Assert.Equal(ExpectedStamp, onDisk.Stamp);
        Assert.Empty(onDisk.Files);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(set.ManifestPath));
        }
    }

    [Fact]
    public void Begin_TwoSetsOfOneSecond_GetConsecutiveStamps()
    {
        using var dir = new TempDirectory();
        using var first = BackupSetWriter.Begin(dir.Path, NewManifest(), NullReporter.Instance);
        using var second = BackupSetWriter.Begin(dir.Path, NewManifest(), NullReporter.Instance);
        Assert.Equal(ExpectedStamp, first.Stamp);
        Assert.Equal("20260301_063001", second.Stamp);
    }

    [Fact]
    public async Task Complete_KeepsTheFilesAndSavesTheManifestComplete()
    {
        using var dir = new TempDirectory();
        string manifestPath;
        using (var set = BackupSetWriter.Begin(dir.Path, NewManifest(), NullReporter.Instance))
        {
            set.Add(await WriteFileAsync(set, $"{Database}_{set.Stamp}.a.csv", "id\n1\n"));
            set.Add(await WriteFileAsync(set, $"{Database}_{set.Stamp}.b.csv", "id\n2\n"));
            set.Complete();
            manifestPath = set.ManifestPath;
        }

        Assert.Equal(new[] { $"{Database}_{ExpectedStamp}.a.csv", $"{Database}_{ExpectedStamp}.b.csv", $"{Database}_{ExpectedStamp}.manifest.json" },
            Listing(dir.Path));
        var manifest = BackupManifest.Load(manifestPath);
        Assert.True(manifest.Complete);
        Assert.NotNull(manifest.CompletedAt);
        Assert.Equal(new[] { $"{Database}_{ExpectedStamp}.a.csv", $"{Database}_{ExpectedStamp}.b.csv" }, manifest.Files.Select(f => f.Name));
        var expectedSha = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("id\n2\n"))).ToLowerInvariant();
        Assert.Equal(expectedSha, manifest.Files[1].Sha256);
        Assert.Equal("id\n2\n", File.ReadAllText(dir.File($"{Database}_{ExpectedStamp}.b.csv")));
    }

    [Fact]
    public async Task DisposedWithoutComplete_RemovesEveryFileAndTheReservation()
    {
        using var dir = new TempDirectory();
        using (var set = BackupSetWriter.Begin(dir.Path, NewManifest(), NullReporter.Instance))
        {
            // One file committed and listed, one committed and not yet listed (the other task of a dump with -Include),
            // one still being written (its partial).
            set.Add(await WriteFileAsync(set, $"{Database}_{set.Stamp}.dump", "archive"));
            await WriteFileAsync(set, $"{Database}_{set.Stamp}.asegurados.csv.gz", "rows");
            var open = set.CreateFile($"{Database}_{set.Stamp}.asegurados.data.sql.gz");
            open.Write(new byte[] { 1, 2, 3 });
            open.Dispose();
            Assert.Equal(3, Listing(dir.Path).Length);
        }
        Assert.Empty(Listing(dir.Path));
    }

    [Fact]
    public async Task FailureAtTheManifest_RemovesTheRenamedFiles()
    {
        using var dir = new TempDirectory();
        using (var set = BackupSetWriter.Begin(dir.Path, NewManifest(), NullReporter.Instance))
        {
            set.Add(await WriteFileAsync(set, $"{Database}_{set.Stamp}.dump", "archive"));
            // The manifest cannot be written over (as on a full disk): a directory stands where it goes.
            File.Delete(set.ManifestPath);
            Directory.CreateDirectory(set.ManifestPath);
            var ex = Assert.Throws<CenateException>(() => set.Complete());
            Assert.Equal(ErrorIds.WriteFailed, ex.ErrorId);
        }
        // The complete-looking dump is gone: no backup file is left that no manifest lists.
        Assert.False(File.Exists(dir.File($"{Database}_{ExpectedStamp}.dump")));
        // Only the directory that stood in the manifest's way is left (the lock file is not listed).
        Assert.Equal(new[] { $"{Database}_{ExpectedStamp}.manifest.json" }, Listing(dir.Path));
        Assert.True(Directory.Exists(dir.File($"{Database}_{ExpectedStamp}.manifest.json")));
    }

    [Fact]
    public async Task DisposedWithoutComplete_LeavesAnotherRunsFileOfTheSameName()
    {
        using var dir = new TempDirectory();
        var name = $"{Database}_{ExpectedStamp}.dump";
        using (var set = BackupSetWriter.Begin(dir.Path, NewManifest(), NullReporter.Instance))
        {
            using var file = set.CreateFile(name);
            file.Write(Encoding.UTF8.GetBytes("mine"));
            // Another run puts a file under the same name while this one writes: this commit refuses to replace it.
            File.WriteAllText(dir.File(name), "theirs");
            var ex = await Assert.ThrowsAsync<CenateException>(() => file.CommitAsync());
            Assert.Equal(ErrorIds.BackupSetExists, ex.ErrorId);
        }
        Assert.Equal("theirs", File.ReadAllText(dir.File(name)));
        Assert.Equal(new[] { name }, Listing(dir.Path));
    }

    [Fact]
    public void OpenSet_HoldsRetentionOff_UntilDisposed()
    {
        using var dir = new TempDirectory();
        using (BackupSetWriter.Begin(dir.Path, NewManifest(), NullReporter.Instance))
        {
            var ex = Assert.Throws<CenateException>(() => BackupDirectoryLock.AcquireExclusive(dir.Path, TimeSpan.Zero));
            Assert.Equal(ErrorIds.BackupDirectoryBusy, ex.ErrorId);
            // Other writers share the directory.
            using var other = BackupDirectoryLock.AcquireShared(dir.Path, TimeSpan.Zero);
        }
        using var retention = BackupDirectoryLock.AcquireExclusive(dir.Path, TimeSpan.Zero);
    }
}
