using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// What retention may delete (issue 12 §3/§4): a manifest is data, so RemoveSet never deletes a file another manifest
/// lists, the lock file, or a name without the set's stamp; orphan cleanup removes only what an unfinished run of a
/// database of this directory left, after a day; manifest updates always leave one whole JSON document.
/// </summary>
public class BackupCatalogTests
{
    private static readonly DateTimeOffset s_now = DateTimeOffset.UtcNow;

    private static string WriteFile(string dir, string name, int size = 1000, DateTimeOffset? mtime = null)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(size));
        if (mtime is not null) File.SetLastWriteTimeUtc(path, mtime.Value.UtcDateTime);
        return path;
    }

    private static BackupManifest WriteSet(string dir, string database, DateTimeOffset time, bool complete = true, IEnumerable<string>? fileNames = null, string? manifestName = null)
    {
        var stamp = BackupNaming.Stamp(time);
        var m = new BackupManifest { Tool = "test", Database = database, Stamp = stamp, StartedAt = time, Complete = complete, CompletedAt = complete ? time : null };
        foreach (var name in fileNames ?? new[] { BackupNaming.DumpFile(database, stamp) })
        {
            var path = Path.Combine(dir, name);
            if (!File.Exists(path)) WriteFile(dir, name);
            m.Files.Add(new ManifestFile { Name = name, Kind = BackupFileKind.Dump, Size = new FileInfo(path).Length, Sha256 = new string('0', 64) });
        }
        m.Save(Path.Combine(dir, manifestName ?? BackupNaming.ManifestFile(database, stamp)));
        return m;
    }

    private static CatalogEntry Entry(CatalogScan scan, string manifestName) => scan.Sets.Single(s => Path.GetFileName(s.ManifestPath) == manifestName);

    [Fact]
    public void RemoveSet_OfACopiedManifest_KeepsTheFilesTheOriginalLists()
    {
        using var dir = new TempDirectory();
        var time = s_now.AddDays(-100);
        var m = WriteSet(dir.Path, "maestro_cenate", time);
        var original = BackupNaming.ManifestFile("maestro_cenate", m.Stamp);
        // A copy under another name (a user's "backup of the manifest"), listing the same dump.
        var copy = "maestro_cenate_20000101_000000.manifest.json";
        File.Copy(dir.File(original), dir.File(copy));
        var dump = dir.File(m.Files[0].Name);
        var scan = BackupCatalog.Scan(dir.Path);
        var kept = new List<string>();

        var freed = BackupCatalog.RemoveSet(Entry(scan, copy), scan, kept.Add);

        Assert.Equal(0, freed);
        Assert.True(File.Exists(dump));
        Assert.True(File.Exists(dir.File(original)));
        Assert.False(File.Exists(dir.File(copy)));
        Assert.Contains(kept, k => k.Contains(original, StringComparison.Ordinal));
        // With the copy gone, removing the original really frees the dump (the scan is stale; the disk decides).
        Assert.True(BackupCatalog.RemoveSet(Entry(scan, original), scan, null) > 0);
        Assert.False(File.Exists(dump));
        Assert.DoesNotContain(Directory.GetFiles(dir.Path), f => !f.EndsWith(BackupDirectoryLock.FileName, StringComparison.Ordinal));
    }

    [Fact]
    public void RemoveSet_WithoutAScan_StillKeepsSharedFiles()
    {
        using var dir = new TempDirectory();
        var m = WriteSet(dir.Path, "maestro_cenate", s_now.AddDays(-50));
        File.Copy(dir.File(BackupNaming.ManifestFile("maestro_cenate", m.Stamp)), dir.File("copy_" + BackupNaming.ManifestFile("maestro_cenate", m.Stamp)));
        var scan = BackupCatalog.Scan(dir.Path);
        BackupCatalog.RemoveSet(Entry(scan, "copy_" + BackupNaming.ManifestFile("maestro_cenate", m.Stamp)));
        Assert.True(File.Exists(dir.File(m.Files[0].Name)));
    }

    [Fact]
    public void RemoveSet_NeverDeletesTheLockFile_AManifest_APartial_OrANameWithoutTheStamp()
    {
        using var dir = new TempDirectory();
        var time = s_now.AddDays(-100);
        var stamp = BackupNaming.Stamp(time);
        var other = WriteSet(dir.Path, "otra_db", s_now.AddDays(-1));
        var otherManifest = BackupNaming.ManifestFile("otra_db", other.Stamp);
        WriteFile(dir.Path, BackupDirectoryLock.FileName, 0);
        WriteFile(dir.Path, "notes.txt");
        WriteFile(dir.Path, "maestro_cenate_20990101_000000.dump");
        WriteFile(dir.Path, "maestro_cenate_" + stamp + ".dump.abcdef012345.partial");
        var own = BackupNaming.DumpFile("maestro_cenate", stamp);
        var oldStyle = "asegurados_" + stamp + ".csv.gz";
        // A hostile or damaged manifest lists files that are not its set's.
        WriteSet(dir.Path, "maestro_cenate", time, fileNames: new[] { own, oldStyle, BackupDirectoryLock.FileName, "notes.txt", "maestro_cenate_20990101_000000.dump",
            otherManifest, "maestro_cenate_" + stamp + ".dump.abcdef012345.partial" });
        var scan = BackupCatalog.Scan(dir.Path);
        var kept = new List<string>();

        BackupCatalog.RemoveSet(Entry(scan, BackupNaming.ManifestFile("maestro_cenate", stamp)), scan, kept.Add);

        Assert.False(File.Exists(dir.File(own)));
        Assert.False(File.Exists(dir.File(oldStyle))); // an old set's export name carries the stamp: removed with its set
        Assert.False(File.Exists(dir.File(BackupNaming.ManifestFile("maestro_cenate", stamp))));
        foreach (var survivor in new[] { BackupDirectoryLock.FileName, "notes.txt", "maestro_cenate_20990101_000000.dump", otherManifest, "maestro_cenate_" + stamp + ".dump.abcdef012345.partial", other.Files[0].Name })
        {
            Assert.True(File.Exists(dir.File(survivor)), survivor);
        }
        Assert.Equal(5, kept.Count);
    }

    [Fact]
    public void AbandonedFiles_AreOnlyFilesOfUnfinishedRunsOfThisDirectorysDatabases_OlderThanADay()
    {
        using var dir = new TempDirectory();
        var old = s_now.AddDays(-3);
        WriteSet(dir.Path, "maestro_cenate", s_now.AddDays(-10));
        var done = WriteSet(dir.Path, "maestro_cenate", old);
        var crashed = WriteSet(dir.Path, "maestro_cenate", old.AddHours(1), complete: false, fileNames: Array.Empty<string>());
        var oldFile = old.AddDays(-1);
        string W(string name, DateTimeOffset? mtime = null) { WriteFile(dir.Path, name, 10, mtime ?? oldFile); return dir.File(name); }

        var expected = new[]
        {
            // The crashed run (incomplete manifest) left its dump and an export.
            W(BackupNaming.DumpFile("maestro_cenate", crashed.Stamp)),
            W(BackupNaming.CsvFile("maestro_cenate", "asegurados", crashed.Stamp)),
            // A run that died before even its manifest was kept: no manifest at all for this stamp.
            W(BackupNaming.DumpFile("maestro_cenate", BackupNaming.Stamp(old.AddHours(2)))),
            // Partial files of this database, even of a complete set's stamp (a verification that was killed mid-save).
            W(BackupNaming.ManifestFile("maestro_cenate", done.Stamp) + ".0123456789ab.partial"),
            W(BackupNaming.DumpFile("maestro_cenate", BackupNaming.Stamp(old.AddHours(3))) + ".partial"),
        };
        var left = new[]
        {
            W("notes.txt"),
            W("asegurados_" + crashed.Stamp + ".csv.gz"),                                            // old-style name: no database in it
            W(BackupNaming.DumpFile("otra_db", crashed.Stamp)),                                      // a database with no set here
            W(BackupNaming.CsvFile("maestro_cenate", "extra", done.Stamp)),                          // unlisted file beside a complete set
            W(BackupNaming.DumpFile("maestro_cenate", BackupNaming.Stamp(s_now.AddHours(-2)))),     // stamp younger than a day
            W(BackupNaming.DumpFile("maestro_cenate", BackupNaming.Stamp(old.AddHours(4))), s_now), // written to just now
            W(BackupNaming.ManifestFile("maestro_cenate", BackupNaming.Stamp(old.AddHours(5)))),    // a damaged manifest
            W("maestro_cenate_garbage.dump"),
        };
        File.WriteAllText(dir.File(BackupDirectoryLock.FileName), "");
        File.SetLastWriteTimeUtc(dir.File(BackupDirectoryLock.FileName), oldFile.UtcDateTime);

        var scan = BackupCatalog.Scan(dir.Path);
        Assert.Single(scan.Damaged);
        var found = BackupCatalog.AbandonedFiles(scan, s_now).Select(o => o.Path).OrderBy(p => p, StringComparer.Ordinal).ToList();

        Assert.Equal(expected.OrderBy(p => p, StringComparer.Ordinal).ToList(), found);
        Assert.All(left, l => Assert.DoesNotContain(l, found));
        // Retention limited to another database (-Database) leaves this database's files alone.
        Assert.Empty(BackupCatalog.AbandonedFiles(scan, s_now, "otra_db"));
        Assert.Equal(expected.Length, BackupCatalog.AbandonedFiles(scan, s_now, "maestro_cenate").Count);
    }

    [Fact]
    public void RemoveStalePartials_RemovesOnlyOldPartialsOfItsOwnDatabase()
    {
        using var dir = new TempDirectory();
        var old = s_now.AddDays(-2);
        var stale = WriteFile(dir.Path, BackupNaming.DumpFile("maestro_cenate", BackupNaming.Stamp(old)) + ".0123456789ab.partial", 10, old);
        var staleOldStyle = WriteFile(dir.Path, BackupNaming.DumpFile("maestro_cenate", BackupNaming.Stamp(old)) + ".partial", 10, old);
        var keep = new[]
        {
            WriteFile(dir.Path, BackupNaming.DumpFile("maestro", BackupNaming.Stamp(old)) + ".0123456789ab.partial", 10, old),           // another database
            WriteFile(dir.Path, BackupNaming.DumpFile("otra_db", BackupNaming.Stamp(old)) + ".0123456789ab.partial", 10, old),           // another database
            WriteFile(dir.Path, BackupNaming.DumpFile("maestro_cenate", BackupNaming.Stamp(s_now)) + ".0123456789ab.partial", 10, old),  // a run of today
            WriteFile(dir.Path, BackupNaming.DumpFile("maestro_cenate", BackupNaming.Stamp(old)) + ".fedcba987654.partial", 10, s_now),  // still being written
            WriteFile(dir.Path, "asegurados_" + BackupNaming.Stamp(old) + ".csv.gz.partial", 10, old),                                   // no database in the name
            WriteFile(dir.Path, "notes.partial", 10, old),
            WriteFile(dir.Path, BackupNaming.DumpFile("maestro_cenate", BackupNaming.Stamp(old)), 10, old),                                // not a partial
        };

        var removed = BackupCatalog.RemoveStalePartials(dir.Path, "maestro_cenate", s_now);

        Assert.Equal(new[] { stale, staleOldStyle }.OrderBy(p => p, StringComparer.Ordinal), removed.OrderBy(p => p, StringComparer.Ordinal));
        Assert.False(File.Exists(stale));
        Assert.All(keep, k => Assert.True(File.Exists(k), k));
    }

    /// <summary>Two verifications recording into one manifest at once: every read sees one whole JSON document, and no partial is left.</summary>
    [Fact]
    public async Task ConcurrentManifestUpdates_AlwaysLeaveValidJson_AndNoPartial()
    {
        using var dir = new TempDirectory();
        var m = WriteSet(dir.Path, "maestro_cenate", s_now.AddDays(-1));
        var path = dir.File(BackupNaming.ManifestFile("maestro_cenate", m.Stamp));
        var stop = false;
        using var reading = new System.Threading.ManualResetEventSlim();
        var reader = Task.Run(() =>
        {
            var reads = 0;
            while (!System.Threading.Volatile.Read(ref stop))
            {
                BackupManifest.Load(path); // throws ManifestInvalid on a torn or empty file
                reads++;
                reading.Set();
            }
            return reads;
        });
        // The writers start only once the reader reads: on a loaded machine it was scheduled after they had finished.
        Assert.True(reading.Wait(TimeSpan.FromMinutes(2)), "the reader never started");
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 25; i++)
            {
                Assert.True(ManifestUpdate.Apply(path, current =>
                {
                    current.Verification = new ManifestVerification { Level = "Read", At = DateTimeOffset.UtcNow, Passed = true, Problems = new List<string> { $"writer {w} round {i}" } };
                    return true;
                }));
            }
        })).ToArray();
        await Task.WhenAll(writers);
        System.Threading.Volatile.Write(ref stop, true);
        Assert.True(await reader > 0);
        var final = BackupManifest.Load(path);
        Assert.Equal(m.Files[0].Sha256, final.Files[0].Sha256);
        Assert.Matches("^writer [0-3] round 24$", final.Verification!.Problems[0]);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.partial"));
    }

    [Fact]
    public void ManifestUpdate_OfARemovedSet_DoesNotBringItBack()
    {
        using var dir = new TempDirectory();
        var m = WriteSet(dir.Path, "maestro_cenate", s_now.AddDays(-1));
        var path = dir.File(BackupNaming.ManifestFile("maestro_cenate", m.Stamp));
        File.Delete(path);
        Assert.False(ManifestUpdate.Apply(path, _ => true));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void ManifestUpdate_WaitsForRetention_ThenSaysBusy()
    {
        using var dir = new TempDirectory();
        var m = WriteSet(dir.Path, "maestro_cenate", s_now.AddDays(-1));
        var path = dir.File(BackupNaming.ManifestFile("maestro_cenate", m.Stamp));
        var before = File.ReadAllText(path);
        using (BackupDirectoryLock.AcquireExclusive(dir.Path, TimeSpan.FromSeconds(1)))
        {
            var ex = Assert.Throws<CenateException>(() => ManifestUpdate.Apply(path, _ => true, TimeSpan.FromMilliseconds(500)));
            Assert.Equal(ErrorIds.BackupDirectoryBusy, ex.ErrorId);
        }
        Assert.Equal(before, File.ReadAllText(path));
    }
}
