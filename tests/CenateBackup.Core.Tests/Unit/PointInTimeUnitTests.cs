using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CenateBackup.Core;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Pitr;
using CenateBackup.Core.Retention;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// Point-in-time recovery without Docker: the recovery target's text, which base backup and which WAL files a restore
/// takes, and which WAL segments retention may remove.
/// </summary>
public class PointInTimeUnitTests
{
    private const long Segment = 16L << 20;

    private static void Touch(string dir, params string[] names)
    {
        foreach (var n in names) File.WriteAllBytes(Path.Combine(dir, n), new byte[] { 1, 2, 3 });
    }

    private static BackupManifest BaseSet(string dir, DateTimeOffset completed, string start, string database = "maestro_cenate",
        bool? verified = null, string system = "7443906633431123456")
    {
        var stamp = BackupNaming.Stamp(completed.AddMinutes(-1));
        var file = BackupNaming.BaseFile(database, stamp);
        Touch(dir, file);
        var m = new BackupManifest
        {
            Tool = "test", Database = database, Stamp = stamp, StartedAt = completed.AddMinutes(-1), CompletedAt = completed, Complete = true,
            Kind = BackupSetKind.Base,
            Base = new ManifestBaseBackup
            {
                StartWalFile = start, EndWalFile = start, Timeline = 1, WalSegmentSize = Segment, SystemIdentifier = system,
                StartLsn = "0/1000028", EndLsn = "0/1000100", PgVersion = "15",
            },
        };
        m.Files.Add(new ManifestFile { Name = file, Kind = BackupFileKind.Base, Size = 3, Sha256 = new string('a', 64) });
        if (verified is not null) m.Verification = new ManifestVerification { Level = "Read", At = completed, Passed = verified.Value };
        m.Save(Path.Combine(dir, BackupNaming.ManifestFile(database, stamp)));
        return m;
    }

    private static PointInTimeRequest Request(string path, DateTimeOffset time, string? wal = null) => new()
    {
        Target = new DatabaseTarget(ConnectionMode.Container, "maestro_cenate", "cenate", 5432) { Container = "postgres_cenate" },
        BasePath = path,
        WalPath = wal,
        Time = time,
    };

    private sealed class Reporter : IOperationReporter
    {
        public List<string> Warnings { get; } = new();
        public void Verbose(string message) { }
        public void Progress(OperationProgress progress) { }
        public void Warning(string message) => Warnings.Add(message);
    }

    private sealed class Host(bool yes) : IRetentionJobHost
    {
        public List<string> Asked { get; } = new();
        public bool Confirm(string target, string action)
        {
            Asked.Add(action);
            return yes;
        }
        public void Decided(RetentionOutcome outcome) { }
        public void AbandonedFileNotRemoved(string path, Exception error) => throw error;
    }

    [Fact]
    public void The_Recovery_Target_Is_Written_In_Utc_To_The_Microsecond()
    {
        var local = new DateTimeOffset(2026, 11, 29, 10, 41, 59, TimeSpan.FromHours(-5)).AddTicks(1234567);
        Assert.Equal("2026-11-29 15:41:59.123456+00", PointInTimeService.TargetText(local));
    }

    [Fact]
    public void A_Time_Read_In_Another_Zone_Than_The_Servers_Is_Warned_About_Once_Both_Are_Named()
    {
        var lima = new DateTimeOffset(2026, 11, 29, 10, 41, 59, TimeSpan.FromHours(-5));
        var warning = PointInTimeService.ZoneWarning(lima, "UTC");
        Assert.NotNull(warning);
        Assert.Contains("2026-11-29 10:41:59 -05:00", warning);
        Assert.Contains("2026-11-29 15:41:59 +00:00", warning);
        Assert.Null(PointInTimeService.ZoneWarning(lima, "America/Lima"));
        Assert.Null(PointInTimeService.ZoneWarning(lima, "No/Such_Zone"));
    }

    [Fact]
    public void The_Newest_Base_Completed_Before_The_Time_Is_Chosen_Not_A_Later_Or_Failed_One_Nor_Another_Database()
    {
        using var dir = new TempDirectory();
        var t0 = new DateTimeOffset(2026, 11, 1, 2, 0, 0, TimeSpan.Zero);
        BaseSet(dir.Path, t0, "000000010000000000000003");
        var second = BaseSet(dir.Path, t0.AddDays(7), "000000010000000000000010", verified: true);
        BaseSet(dir.Path, t0.AddDays(8), "000000010000000000000020", verified: false);
        BaseSet(dir.Path, t0.AddDays(8).AddHours(1), "000000010000000000000021", database: "otra_base");
        BaseSet(dir.Path, t0.AddDays(14), "000000010000000000000030");
        var reporter = new Reporter();
        var plan = new PointInTimePlan();
        PointInTimeService.ChooseBase(Request(dir.Path, t0.AddDays(9)), plan, reporter);
        Assert.Equal(second.Stamp, plan.BaseStamp);
        Assert.Equal(t0.AddDays(7), plan.BaseCompleted);
        Assert.Contains(reporter.Warnings, w => w.Contains("failed its last check", StringComparison.Ordinal));
        // Exactly at the completion time: that set; a second before: the one before it.
        PointInTimeService.ChooseBase(Request(dir.Path, t0.AddDays(7)), plan, reporter);
        Assert.Equal(second.Stamp, plan.BaseStamp);
        PointInTimeService.ChooseBase(Request(dir.Path, t0.AddDays(7).AddSeconds(-1)), plan, reporter);
        Assert.Equal(BackupNaming.Stamp(t0.AddMinutes(-1)), plan.BaseStamp);
    }

    [Fact]
    public void A_Time_Before_Every_Base_Names_The_Oldest_And_A_Manifest_Path_Takes_Only_That_Set()
    {
        using var dir = new TempDirectory();
        var t0 = new DateTimeOffset(2026, 11, 1, 2, 0, 0, TimeSpan.Zero);
        var first = BaseSet(dir.Path, t0, "000000010000000000000003");
        BaseSet(dir.Path, t0.AddDays(7), "000000010000000000000010");
        var ex = Assert.Throws<CenateException>(() => PointInTimeService.ChooseBase(Request(dir.Path, t0.AddHours(-1)), new PointInTimePlan(), new Reporter()));
        Assert.Equal(ErrorIds.PointInTimeNoBaseBackup, ex.ErrorId);
        Assert.Contains(BackupNaming.ManifestFile("maestro_cenate", first.Stamp), ex.Message);
        var plan = new PointInTimePlan();
        PointInTimeService.ChooseBase(Request(Path.Combine(dir.Path, BackupNaming.ManifestFile("maestro_cenate", first.Stamp)), t0.AddDays(30)), plan, new Reporter());
        Assert.Equal(first.Stamp, plan.BaseStamp);
        var missing = Assert.Throws<CenateException>(() => PointInTimeService.ChooseBase(Request(Path.Combine(dir.Path, "nope"), t0), new PointInTimePlan(), new Reporter()));
        Assert.Equal(ErrorIds.PathNotFound, missing.ErrorId);
    }

    [Fact]
    public void A_Manifest_That_Names_A_File_Outside_Its_Directory_Is_Not_A_Usable_Base()
    {
        using var dir = new TempDirectory();
        var t0 = new DateTimeOffset(2026, 11, 1, 2, 0, 0, TimeSpan.Zero);
        var m = BaseSet(dir.Path, t0, "000000010000000000000003");
        var path = Path.Combine(dir.Path, BackupNaming.ManifestFile("maestro_cenate", m.Stamp));
        Directory.CreateDirectory(Path.Combine(dir.Path, "sub"));
        m.Files[0].Name = "sub/../" + m.Files[0].Name;
        m.Save(path);
        var ex = Assert.Throws<CenateException>(() => PointInTimeService.ChooseBase(Request(dir.Path, t0.AddDays(1)), new PointInTimePlan(), new Reporter()));
        Assert.Equal(ErrorIds.PointInTimeNoBaseBackup, ex.ErrorId);
    }

    [Fact]
    public void The_Wal_Put_In_Starts_At_The_Base_Backup_And_A_Partial_Segment_Counts_Only_Without_Its_Complete_Twin()
    {
        using var wal = new TempDirectory();
        Touch(wal.Path, "000000010000000000000009", "00000001000000000000000A", "00000001000000000000000B", "00000001000000000000000C.partial",
            "00000001000000000000000B.partial", "00000002.history", ".cenate-wal-archive.json", "notes.txt", "00000001000000000000000D.tmp");
        var plan = new PointInTimePlan { WalPath = wal.Path, BaseFacts = new ManifestBaseBackup { StartWalFile = "00000001000000000000000A", WalSegmentSize = Segment } };
        PointInTimeService.ChooseWal(plan);
        Assert.Equal(new[] { "00000001000000000000000A", "00000001000000000000000B", "00000001000000000000000C", "00000002.history" }, plan.WalFiles);
        Assert.EndsWith("00000001000000000000000B", plan.WalSources["00000001000000000000000B"]);
        Assert.EndsWith("00000001000000000000000C.partial", plan.WalSources["00000001000000000000000C"]);
        Assert.Equal(12, plan.WalBytes);
    }

    [Fact]
    public void Retention_Removes_Only_The_Segments_Before_The_Oldest_Kept_Base_Across_A_Log_Boundary()
    {
        using var wal = new TempDirectory();
        Touch(wal.Path, "0000000100000000000000FE", "0000000100000000000000FF", "000000010000000100000000", "000000010000000100000001",
            "000000010000000100000002.partial", "0000000100000000000000FD.partial", "00000002.history");
        File.WriteAllText(Path.Combine(wal.Path, ".cenate-wal-archive.json"), "{\"systemIdentifier\":\"7443906633431123456\"}");
        using var sets = new TempDirectory();
        var now = DateTimeOffset.UtcNow;
        BaseSet(sets.Path, now.AddDays(-1), "000000010000000100000000");
        BaseSet(sets.Path, now, "000000010000000100000001");
        var kept = BackupCatalog.Scan(sets.Path).Sets;
        var host = new Host(true);
        WalPruning.Run(wal.Path, kept, host, new Reporter());
        Assert.Single(host.Asked);
        Assert.Contains("3 WAL segment(s)", host.Asked[0]);
        Assert.Equal(new[] { ".cenate-wal-archive.json", "000000010000000100000000", "000000010000000100000001", "000000010000000100000002.partial", "00000002.history" },
            Directory.EnumerateFiles(wal.Path).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
    }

    [Fact]
    public void Retention_Removes_No_Wal_When_Declined_When_No_Base_Is_Kept_Or_When_The_Archive_Is_Another_Clusters()
    {
        using var wal = new TempDirectory();
        Touch(wal.Path, "000000010000000000000001", "000000010000000000000002");
        using var sets = new TempDirectory();
        BaseSet(sets.Path, DateTimeOffset.UtcNow, "000000010000000000000002");
        var kept = BackupCatalog.Scan(sets.Path).Sets;
        WalPruning.Run(wal.Path, kept, new Host(false), new Reporter());
        Assert.Equal(2, Directory.EnumerateFiles(wal.Path).Count());
        var reporter = new Reporter();
        // No marker: not shown to be this cluster's archive, nothing removed.
        WalPruning.Run(wal.Path, kept, new Host(true), reporter);
        Assert.Equal(2, Directory.EnumerateFiles(wal.Path).Count());
        Assert.Contains(reporter.Warnings, w => w.Contains("no marker", StringComparison.Ordinal));
        reporter = new Reporter();
        WalPruning.Run(wal.Path, Array.Empty<CatalogEntry>(), new Host(true), reporter);
        Assert.Equal(2, Directory.EnumerateFiles(wal.Path).Count());
        Assert.Single(reporter.Warnings);
        File.WriteAllText(Path.Combine(wal.Path, ".cenate-wal-archive.json"), "{\"systemIdentifier\":\"1111111111111111111\"}");
        var ex = Assert.Throws<CenateException>(() => WalPruning.Run(wal.Path, kept, new Host(true), new Reporter()));
        Assert.Equal(ErrorIds.WalArchiveForeign, ex.ErrorId);
        Assert.Equal(3, Directory.EnumerateFiles(wal.Path).Count());
        // An edited manifest whose start the archive does not hold (here: far past its newest) removes nothing.
        File.WriteAllText(Path.Combine(wal.Path, ".cenate-wal-archive.json"), "{\"systemIdentifier\":\"7443906633431123456\"}");
        using var edited = new TempDirectory();
        BaseSet(edited.Path, DateTimeOffset.UtcNow, "0000000100000FFF000000FF");
        var warned = new Reporter();
        WalPruning.Run(wal.Path, BackupCatalog.Scan(edited.Path).Sets, new Host(true), warned);
        Assert.Equal(3, Directory.EnumerateFiles(wal.Path).Count());
        Assert.Contains(warned.Warnings, w => w.Contains("0000000100000FFF000000FF", StringComparison.Ordinal));
        // A marker that cannot be read is no proof either: nothing is removed.
        File.WriteAllBytes(Path.Combine(wal.Path, ".cenate-wal-archive.json"), new byte[] { 1, 2, 3 });
        Assert.Equal(ErrorIds.WalArchiveForeign, Assert.Throws<CenateException>(() => WalPruning.Run(wal.Path, kept, new Host(true), new Reporter())).ErrorId);
        Assert.Equal(3, Directory.EnumerateFiles(wal.Path).Count());
    }
}
