using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Retention;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// The retention job in Core (issue 13 §3): it removes only what its host confirms, reports every set in plan order,
/// holds the directory lock, leaves other databases alone and sweeps abandoned files through the same confirmation.
/// Expected outcomes come from the sets' ages, not from the planner.
/// </summary>
public class RetentionJobTests
{
    private static readonly DateTimeOffset s_now = new(2026, 6, 15, 12, 0, 0, TimeSpan.Zero);

    // Only the daily window and MinimumKeep: a set older than 10 days that is not among the newest 2 expires.
    private static readonly RetentionPolicy s_policy = new()
    {
        KeepDaily = 10, KeepWeekly = 0, KeepMonthly = 0, KeepYearly = 0, MinimumKeep = 2, TimeZone = TimeZoneInfo.Utc,
    };

    private static string WriteSet(string dir, string database, DateTimeOffset time)
    {
        var stamp = BackupNaming.Stamp(time);
        var dump = BackupNaming.DumpFile(database, stamp);
        File.WriteAllBytes(Path.Combine(dir, dump), RandomNumberGenerator.GetBytes(100));
        var m = new BackupManifest
        {
            Tool = "test", Database = database, Stamp = stamp, StartedAt = time, Complete = true, CompletedAt = time,
            Verification = new ManifestVerification { Level = "Read", At = time, Passed = true },
        };
        m.Files.Add(new ManifestFile { Name = dump, Kind = BackupFileKind.Dump, Size = 100, Sha256 = new string('0', 64) });
        var path = Path.Combine(dir, BackupNaming.ManifestFile(database, stamp));
        m.Save(path);
        return path;
    }

    private sealed class Host : IRetentionJobHost
    {
        private readonly Func<string, bool> _answer;
        public Host(Func<string, bool> answer) => _answer = answer;
        public List<(string Target, string Action)> Asked { get; } = new();
        public List<RetentionOutcome> Outcomes { get; } = new();
        public List<string> NotRemoved { get; } = new();
        public bool Confirm(string target, string action)
        {
            Asked.Add((target, action));
            return _answer(target);
        }
        public void Decided(RetentionOutcome outcome) => Outcomes.Add(outcome);
        public void AbandonedFileNotRemoved(string path, Exception error) => NotRemoved.Add(path);
    }

    private static RetentionJob Job(string dir, string? database = null) =>
        new(dir, s_policy) { Database = database, Clock = () => s_now, LockTimeout = TimeSpan.FromMilliseconds(300) };

    [Fact]
    public void Run_Declined_RemovesNothingAndReportsWouldRemove()
    {
        using var dir = new TempDirectory();
        var paths = new[] { 1, 2, 30, 40 }.Select(d => WriteSet(dir.Path, "maestro_cenate", s_now.AddDays(-d))).ToList();
        var before = Directory.GetFiles(dir.Path).Where(f => !f.EndsWith(BackupDirectoryLock.FileName, StringComparison.Ordinal)).Order().ToList();
        var host = new Host(_ => false);

        Job(dir.Path).Run(host, NullReporter.Instance);

        Assert.Equal(before, Directory.GetFiles(dir.Path).Where(f => !f.EndsWith(BackupDirectoryLock.FileName, StringComparison.Ordinal)).Order().ToList());
        Assert.Equal(new[] { paths[2], paths[3] }.Order(), host.Asked.Select(a => a.Target).Order());
        Assert.All(host.Asked, a => Assert.StartsWith("Remove backup set (1 files, ", a.Action, StringComparison.Ordinal));
        Assert.Equal(4, host.Outcomes.Count);
        Assert.Equal(new[] { paths[2], paths[3] }.Order(),
            host.Outcomes.Where(o => o.Action == RetentionAction.WouldRemove).Select(o => o.Entry.ManifestPath).Order());
        Assert.Equal(new[] { paths[0], paths[1] }.Order(),
            host.Outcomes.Where(o => o.Action == RetentionAction.Kept).Select(o => o.Entry.ManifestPath).Order());
    }

    [Fact]
    public void Run_Confirmed_RemovesOnlyTheConfirmedSets()
    {
        using var dir = new TempDirectory();
        var paths = new[] { 1, 2, 30, 40 }.Select(d => WriteSet(dir.Path, "maestro_cenate", s_now.AddDays(-d))).ToList();
        // Yes to the 40-day set only.
        var host = new Host(t => t == paths[3]);

        Job(dir.Path).Run(host, NullReporter.Instance);

        Assert.True(File.Exists(paths[0]) && File.Exists(paths[1]) && File.Exists(paths[2]));
        Assert.False(File.Exists(paths[3]));
        Assert.Empty(Directory.GetFiles(dir.Path, "*" + BackupNaming.Stamp(s_now.AddDays(-40)) + "*"));
        Assert.Equal(RetentionAction.Removed, host.Outcomes.Single(o => o.Entry.ManifestPath == paths[3]).Action);
        Assert.Equal(RetentionAction.WouldRemove, host.Outcomes.Single(o => o.Entry.ManifestPath == paths[2]).Action);
        Assert.All(host.Outcomes, o => Assert.Null(o.Error));
    }

    [Fact]
    public void Run_WithDatabase_NeverAsksAboutAnotherDatabase()
    {
        using var dir = new TempDirectory();
        var mine = new[] { 1, 2, 30 }.Select(d => WriteSet(dir.Path, "maestro_cenate", s_now.AddDays(-d))).ToList();
        var other = new[] { 1, 2, 30 }.Select(d => WriteSet(dir.Path, "otra_base", s_now.AddDays(-d))).ToList();
        var host = new Host(_ => true);

        Job(dir.Path, "maestro_cenate").Run(host, NullReporter.Instance);

        Assert.All(other, p => Assert.True(File.Exists(p)));
        Assert.False(File.Exists(mine[2]));
        Assert.DoesNotContain(host.Asked, a => a.Target.Contains("otra_base", StringComparison.Ordinal));
        Assert.Equal(3, host.Outcomes.Count);
    }

    [Fact]
    public void Run_SweepsAbandonedFilesOnlyWhenConfirmed()
    {
        using var dir = new TempDirectory();
        WriteSet(dir.Path, "maestro_cenate", s_now.AddDays(-1));
        var oldStamp = BackupNaming.Stamp(s_now.AddDays(-3));
        var partial = Path.Combine(dir.Path, BackupNaming.DumpFile("maestro_cenate", oldStamp) + ".abc123" + PartialFile.Suffix);
        File.WriteAllBytes(partial, new byte[10]);
        File.SetLastWriteTimeUtc(partial, s_now.AddDays(-3).UtcDateTime);

        var no = new Host(_ => false);
        Job(dir.Path).Run(no, NullReporter.Instance);
        Assert.True(File.Exists(partial));
        Assert.Contains(no.Asked, a => a.Target == partial && a.Action.StartsWith("Remove stale partial file", StringComparison.Ordinal));

        var yes = new Host(_ => true);
        Job(dir.Path).Run(yes, NullReporter.Instance);
        Assert.False(File.Exists(partial));
        Assert.Empty(yes.NotRemoved);
    }

    [Fact]
    public void Run_WhileABackupHoldsTheDirectory_IsBusyAndTouchesNothing()
    {
        using var dir = new TempDirectory();
        var old = WriteSet(dir.Path, "maestro_cenate", s_now.AddDays(-40));
        new[] { 1, 2 }.ToList().ForEach(d => WriteSet(dir.Path, "maestro_cenate", s_now.AddDays(-d)));
        var host = new Host(_ => true);
        using (BackupDirectoryLock.AcquireShared(dir.Path, TimeSpan.FromSeconds(5)))
        {
            var ex = Assert.Throws<CenateException>(() => Job(dir.Path).Run(host, NullReporter.Instance));
            Assert.Equal(ErrorIds.BackupDirectoryBusy, ex.ErrorId);
        }
        Assert.True(File.Exists(old));
        Assert.Empty(host.Asked);
        Assert.Empty(host.Outcomes);
    }

    [Fact]
    public void Run_MissingDirectory_IsPathNotFound()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<CenateException>(() => Job(dir.File("nope")).Run(new Host(_ => true), NullReporter.Instance));
        Assert.Equal(ErrorIds.PathNotFound, ex.ErrorId);
        Assert.False(Directory.Exists(dir.File("nope")));
    }
}
