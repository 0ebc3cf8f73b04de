using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite.Rclone;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Integration.Offsite;

/// <summary>RcloneBackupStore lists and removes sets at real sftp and S3 remotes the way BackupCatalog does on
/// disk.</summary>
[Collection(nameof(RemoteCollection))]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RcloneBackupStoreTests
{
    private readonly RemoteFixture _fx;

    public RcloneBackupStoreTests(RemoteFixture fx) => _fx = fx;

    private static readonly DateTimeOffset s_t1 = new(2026, 10, 1, 2, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_t2 = new(2026, 10, 8, 2, 0, 0, TimeSpan.Zero);

    /// <summary>A local directory with two sets, a damaged manifest, a partial and a stray file; uploaded to a new
    /// remote dir.</summary>
    private (RcloneBackupStore Store, RemoteLocation Loc, string Local) Populate(string remote)
    {
        var dir = _fx.NewDir("sets");
        WriteSet(dir, s_t1, extra: "asegurados");
        WriteSet(dir, s_t2);
        File.WriteAllText(Path.Combine(dir, "maestro_cenate_20261015_020000.manifest.json"), "{ not json");
        File.WriteAllBytes(Path.Combine(dir, "maestro_cenate_20261020_020000.dump.abc123.partial"), new byte[7]);
        File.WriteAllBytes(Path.Combine(dir, "notes.txt"), new byte[3]);
        var loc = RemoteFixture.NewLocation(remote);
        var client = _fx.Client();
        client.MakeDirectoryAsync(loc, CancellationToken.None).GetAwaiter().GetResult();
        client.UploadAsync(dir, Directory.GetFiles(dir).Select(Path.GetFileName).ToList()!, loc, null,
            CancellationToken.None)
            .GetAwaiter().GetResult();
        return (new RcloneBackupStore(client, loc), loc, dir);
    }

    private List<string> Names(RemoteLocation loc) =>
        _fx.Client().ListAsync(loc, CancellationToken.None).GetAwaiter().GetResult()!.Select(f => f.Name).ToList();

    private void Upload(string dir, RemoteLocation loc) => _fx.Client()
        .UploadAsync(dir, Directory.GetFiles(dir).Select(Path.GetFileName).ToList()!, loc, null, CancellationToken.None)
        .GetAwaiter().GetResult();

    private static BackupManifest WriteSet(string dir, DateTimeOffset time, string? extra = null)
    {
        var stamp = BackupNaming.Stamp(time);
        var m = new BackupManifest { Tool = "test", Database = "maestro_cenate", Stamp = stamp, StartedAt = time,
            Complete = true, CompletedAt = time };
        var names = new List<string> { BackupNaming.DumpFile("maestro_cenate", stamp) };
        if (extra is not null) names.Add(BackupNaming.CsvFile("maestro_cenate", extra, stamp));
        foreach (var name in names)
        {
            var bytes = RandomNumberGenerator.GetBytes(1000 + name.Length);
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
            m.Files.Add(new ManifestFile
            {
                Name = name, Kind = BackupFileKind.Dump, Size = bytes.Length,
                    Sha256 = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(),
            });
        }
        m.Save(Path.Combine(dir, BackupNaming.ManifestFile("maestro_cenate", stamp)));
        return m;
    }

    [Theory]
    [InlineData("sftp")]
    [InlineData("s3")]
    public void Scan_ListsSetsOrphansAndDamaged_AsTheLocalCatalogDoes(string remote)
    {
        var (store, loc, local) = Populate(remote);
        Assert.True(store.IsRemote);
        Assert.Equal(loc.ToString(), store.Location);
        var scan = store.Scan();
        var expected = BackupCatalog.Scan(local);

        Assert.Equal(expected.Sets.Select(s => Path.GetFileName(s.ManifestPath)),
            scan.Sets.Select(s => s.ManifestPath[(loc.ToString().Length + 1)..]));
        Assert.All(scan.Sets, s => Assert.StartsWith(loc + "/", s.ManifestPath));
        Assert.All(scan.Sets, s => Assert.True(s.Complete));
        Assert.Equal(expected.Orphans.Select(o => (Path.GetFileName(o.Path), o.Size,
            o.IsPartial)).OrderBy(o => o.Item1, StringComparer.Ordinal),
            scan.Orphans.Select(o => (o.Path[(loc.ToString().Length + 1)..], o.Size, o.IsPartial)));
        var damaged = Assert.Single(scan.Damaged);
        Assert.Equal(ErrorIds.ManifestInvalid, damaged.ErrorId);
        Assert.Contains("maestro_cenate_20261015_020000.manifest.json", damaged.Message);
    }

    [Theory]
    [InlineData("sftp")]
    [InlineData("s3")]
    public void RemoveSet_RemovesFilesThenManifest_KeepsWhatAnotherManifestLists(string remote)
    {
        var (store, loc, _) = Populate(remote);
        var client = _fx.Client();
        var scan = store.Scan();
        var old = scan.Sets.Single(s => s.Manifest.Stamp == BackupNaming.Stamp(s_t1));
        var kept = new List<string>();
        var freed = store.RemoveSet(old, scan, kept.Add);

        Assert.Equal(old.Manifest.Files.Sum(f => f.Size), freed);
        Assert.Empty(kept);
        var names = Names(loc).ToList();
        Assert.DoesNotContain(names, n => n.Contains(BackupNaming.Stamp(s_t1), StringComparison.Ordinal));
        Assert.Contains(BackupNaming.ManifestFile("maestro_cenate", BackupNaming.Stamp(s_t2)), names);
        Assert.Contains("notes.txt", names);
        var after = store.Scan();
        Assert.Equal(new[] { BackupNaming.Stamp(s_t2) }, after.Sets.Select(s => s.Manifest.Stamp));
    }

    [Fact]
    public void RemoveSet_KeepsFilesListedByAnotherManifest_AndNamesWithoutTheStamp()
    {
        var dir = _fx.NewDir("sets");
        var m1 = WriteSet(dir, s_t1);
        var m2 = WriteSet(dir, s_t2);
        // A copied manifest: set 2 also lists set 1's dump, and a file that carries no stamp.
        var shared = m1.Files[0].Name;
        File.WriteAllBytes(Path.Combine(dir, "loose.bin"), new byte[5]);
        m2.Files.Add(new ManifestFile { Name = shared, Kind = BackupFileKind.Dump, Size = m1.Files[0].Size,
            Sha256 = m1.Files[0].Sha256 });
        m2.Files.Add(new ManifestFile { Name = "loose.bin", Kind = BackupFileKind.Dump, Size = 5,
            Sha256 = new string('0', 64) });
        m2.Save(Path.Combine(dir, BackupNaming.ManifestFile("maestro_cenate", m2.Stamp)));
        var loc = RemoteFixture.NewLocation("sftp");
        var client = _fx.Client();
        Upload(dir, loc);
        var store = new RcloneBackupStore(client, loc);
        var scan = store.Scan();
        var kept = new List<string>();
        store.RemoveSet(scan.Sets.Single(s => s.Manifest.Stamp == m2.Stamp), scan, kept.Add);

        Assert.Equal(2, kept.Count);
        Assert.Contains(kept, k => k.StartsWith(shared, StringComparison.Ordinal) && k.Contains("lists it too",
            StringComparison.Ordinal));
        Assert.Contains(kept, k => k.StartsWith("loose.bin", StringComparison.Ordinal) && k.Contains("stamp",
            StringComparison.Ordinal));
        var names = Names(loc).OrderBy(n => n).ToList();
        Assert.Equal(new[] { shared, "loose.bin", BackupNaming.ManifestFile("maestro_cenate",
            m1.Stamp) }.OrderBy(n => n), names);
    }

    [Fact]
    public void RemoveSet_StoppedHalfWay_IsRemoveFailed_AndTheSetStaysListed()
    {
        var (store, loc, _) = Populate("sftp");
        var scan = store.Scan();
        var old = scan.Sets.Single(s => s.Manifest.Stamp == BackupNaming.Stamp(s_t1));
        // The server goes away: the removal cannot even start, and nothing claims it happened.
        var dead = new RcloneBackupStore(_fx.Client(), new RemoteLocation("dead", loc.Path));
        var moved = old with { ManifestPath = dead.PathOf(Path.GetFileName(old.ManifestPath)) };
        var deadScan = new CatalogScan(new[] { moved }, Array.Empty<OrphanFile>(), Array.Empty<CenateException>());
        var ex = Assert.Throws<CenateException>(() => dead.RemoveSet(moved, deadScan, null));
        Assert.True(ex.ErrorId == ErrorIds.RemoveFailed, ex.Message);
        Assert.Equal(ErrorIds.RemoteUnreachable, Assert.IsType<CenateException>(ex.InnerException).ErrorId);
        Assert.Equal(2, store.Scan().Sets.Count);
    }

    [Fact]
    public void MissingDirectory_IsPathNotFound_ForScanAndRequireExists()
    {
        var store = new RcloneBackupStore(_fx.Client(), RemoteFixture.NewLocation("sftp"));
        Assert.Equal(ErrorIds.PathNotFound, Assert.Throws<CenateException>(() => store.RequireExists()).ErrorId);
        Assert.Equal(ErrorIds.PathNotFound, Assert.Throws<CenateException>(() => store.Scan()).ErrorId);
    }

    [Fact]
    public void RemoveFile_RemovesAnOrphan_AndRefusesPathsOfOtherPlaces()
    {
        var (store, loc, _) = Populate("sftp");
        var orphan = store.Scan().Orphans.Single(o => o.Path.EndsWith("notes.txt", StringComparison.Ordinal));
        store.RemoveFile(orphan.Path);
        Assert.DoesNotContain(store.Scan().Orphans, o => o.Path == orphan.Path);
        Assert.Throws<CenateException>(() => store.RemoveFile("sftp:elsewhere/notes.txt"));
        Assert.Throws<CenateException>(() => store.RemoveFile(loc + "/../x"));
        using (store.AcquireExclusive(TimeSpan.FromSeconds(1))) { }
    }
}
