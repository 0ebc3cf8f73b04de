using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Retention;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// Issue 19, part 2: the tar a base backup streams is read as it passes (members, the files that say where its WAL
/// starts and ends, a cut or damaged stream), its facts are read from pg_basebackup's own files, and a base set is a
/// kind of its own that retention plans apart from dumps.
/// </summary>
public class BaseBackupUnitTests
{
    private const string Label =
        "START WAL LOCATION: 0/5000028 (file 000000010000000000000005)\nCHECKPOINT LOCATION: 0/5000060\nBACKUP METHOD: streamed\n" +
        "BACKUP FROM: primary\nSTART TIME: 2026-12-01 05:10:11 UTC\nLABEL: CenateBackup 20261201_051011\nSTART TIMELINE: 1\n";

    private const string BackupManifest =
        "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n{ \"Path\": \"PG_VERSION\", \"Size\": 3 },\n{ \"Path\": \"backup_label\", \"Size\": 10 } ],\n" +
        "\"WAL-Ranges\": [\n{ \"Timeline\": 1, \"Start-LSN\": \"0/5000028\", \"End-LSN\": \"0/7000100\" }\n],\n\"Manifest-Checksum\": \"00\"}\n";

    private static byte[] Tar(params (string Name, char Type, byte[] Data)[] members)
    {
        var ms = new MemoryStream();
        foreach (var (name, type, data) in members)
        {
            ms.Write(TarStreamReader.Header(name, type, data.Length));
            ms.Write(data);
            ms.Write(new byte[(512 - data.Length % 512) % 512]);
        }
        ms.Write(new byte[1024]);
        return ms.ToArray();
    }

    private static byte[] Control(ulong systemIdentifier)
    {
        var b = new byte[8192];
        BitConverter.TryWriteBytes(b.AsSpan(0, 8), systemIdentifier);
        return b;
    }

    private static byte[] SampleTar() => Tar(
        ("backup_label", '0', Encoding.ASCII.GetBytes(Label)),
        ("base", '5', Array.Empty<byte>()),
        ("base/1/1259", '0', RandomNumberGenerator.GetBytes(20000)),
        ("global/pg_control", '0', Control(7443906633431123456UL)),
        ("PG_VERSION", '0', "15\n"u8.ToArray()),
        ("pg_wal/000000010000000000000005", '0', RandomNumberGenerator.GetBytes(4096)),
        ("backup_manifest", '0', Encoding.ASCII.GetBytes(BackupManifest)));

    private static (TarStreamReader Reader, Dictionary<string, byte[]> Files, List<TarMember> Members) Read(byte[] tar, int chunk)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var members = new List<TarMember>();
        var collect = TarStreamReader.Collect(new[] { "backup_label", "backup_manifest", "PG_VERSION", "global/pg_control" }, files);
        var reader = new TarStreamReader(m => { members.Add(m); return collect(m); });
        for (var at = 0; at < tar.Length; at += chunk) reader.Write(tar.AsSpan(at, Math.Min(chunk, tar.Length - at)));
        reader.Finish();
        return (reader, files, members);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(512)]
    [InlineData(1 << 20)]
    public void A_Whole_Tar_Is_Read_In_Any_Pieces(int chunk)
    {
        var tar = SampleTar();
        var (reader, files, members) = Read(tar, chunk);
        Assert.Null(reader.Error);
        Assert.True(reader.Ended);
        Assert.Equal(7, reader.Members);
        Assert.Equal(new[] { "backup_label", "base", "base/1/1259", "global/pg_control", "PG_VERSION", "pg_wal/000000010000000000000005", "backup_manifest" },
            members.Select(m => m.Name));
        Assert.Equal(20000, members[2].Size);
        Assert.True(members[1].IsDirectory);
        Assert.Equal(Label, Encoding.ASCII.GetString(files["backup_label"]));
        Assert.Equal(BackupManifest, Encoding.ASCII.GetString(files["backup_manifest"]));
        Assert.Equal(tar.Length, reader.Bytes);
    }

    [Theory]
    [InlineData(1024)]   // the end blocks are missing
    [InlineData(1030)]   // cut inside the last member's data
    [InlineData(3000)]
    public void A_Cut_Tar_Is_An_Error_Never_A_Whole_Backup(int cut)
    {
        var tar = SampleTar();
        var (reader, _, _) = Read(tar[..^cut], 4096);
        Assert.False(reader.Ended);
        Assert.NotNull(reader.Error);
    }

    [Fact]
    public void A_Damaged_Header_Or_Data_After_The_End_Is_An_Error()
    {
        var tar = SampleTar();
        var damaged = (byte[])tar.Clone();
        damaged[2 * 512 + 3] ^= 0x20;                       // a byte of the second header's name
        var (r1, _, _) = Read(damaged, 4096);
        Assert.Contains("checksum", r1.Error, StringComparison.Ordinal);

        var trailing = tar.Concat(TarStreamReader.Header("extra", '0', 0)).ToArray();
        var (r2, _, _) = Read(trailing, 4096);
        Assert.Contains("follows the end", r2.Error, StringComparison.Ordinal);

        var padded = tar.Concat(new byte[8192]).ToArray();  // tar's record padding is fine
        var (r3, _, _) = Read(padded, 4096);
        Assert.Null(r3.Error);
        Assert.True(r3.Ended);
    }

    [Fact]
    public void Sizes_In_Base256_Are_Read()
    {
        var h = TarStreamReader.Header("big", '0', 0);
        var field = h.AsSpan(124, 12);
        field.Clear();
        field[0] = 0x80;
        field[11] = 0x02;
        field[10] = 0x01;                                   // 0x0102 bytes
        for (var i = 148; i < 156; i++) h[i] = (byte)' ';
        long sum = 0;
        foreach (var b in h) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
        Assert.Equal(0x0102, TarStreamReader.Parse(h, out _)!.Size);
    }

    [Fact]
    public void The_Facts_Come_From_Backup_Label_Backup_Manifest_And_Pg_Control()
    {
        var (_, files, _) = Read(SampleTar(), 65536);
        var facts = BaseBackupFacts.From(files, 16L << 20);
        Assert.Equal("0/5000028", facts.StartLsn);
        Assert.Equal("0/7000100", facts.EndLsn);
        Assert.Equal(1, facts.Timeline);
        Assert.Equal("000000010000000000000005", facts.StartWalFile);
        Assert.Equal("000000010000000000000007", facts.EndWalFile);
        Assert.Equal("15", facts.PgVersion);
        Assert.Equal("7443906633431123456", facts.SystemIdentifier);
        Assert.Equal(2, facts.ManifestFiles);
        Assert.Equal("2026-12-01 05:10:11 UTC", facts.StartTime);
    }

    [Fact]
    public void An_End_On_A_Segment_Boundary_Needs_The_Segment_Before_It_And_The_First_Range_Is_The_Newest_Timeline()
    {
        var files = new Dictionary<string, byte[]>
        {
            ["backup_label"] = Encoding.ASCII.GetBytes(Label),
            ["backup_manifest"] = Encoding.ASCII.GetBytes(
                "{\"Files\": [], \"WAL-Ranges\": [ { \"Timeline\": 2, \"Start-LSN\": \"0/6800000\", \"End-LSN\": \"0/7000000\" }, " +
                "{ \"Timeline\": 1, \"Start-LSN\": \"0/5000028\", \"End-LSN\": \"0/6800000\" } ]}"),
        };
        var facts = BaseBackupFacts.From(files, 16L << 20);
        Assert.Equal("0/7000000", facts.EndLsn);
        Assert.Equal("000000020000000000000006", facts.EndWalFile);   // the newest timeline, the byte before 0/7000000
        Assert.Equal(1, facts.Timeline);                                // backup_label's START TIMELINE
    }

    [Fact]
    public void Edited_Facts_Are_Named_Field_By_Field()
    {
        var (_, files, _) = Read(SampleTar(), 65536);
        var read = BaseBackupFacts.From(files, 16L << 20);
        var same = BaseBackupFacts.From(files, 16L << 20);
        Assert.Null(BaseBackupFacts.Differences(same, read));
        same.EndLsn = "0/FF000000";
        same.SystemIdentifier = "1";
        var d = BaseBackupFacts.Differences(same, read)!;
        Assert.Contains("endLsn is '0/FF000000' in the manifest, '0/7000100' in the archive", d, StringComparison.Ordinal);
        Assert.Contains("systemIdentifier is '1' in the manifest", d, StringComparison.Ordinal);
        Assert.DoesNotContain("startLsn", d, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1L << 20, true)]
    [InlineData(16L << 20, true)]
    [InlineData(1L << 30, true)]
    [InlineData(0, false)]
    [InlineData(3L << 20, false)]
    [InlineData(2L << 30, false)]
    public void Only_Real_Segment_Sizes_Are_Taken(long size, bool ok) => Assert.Equal(ok, BaseBackupFacts.IsSegmentSize(size));

    [Theory]
    [InlineData(1, "0/0", 16L << 20, "000000010000000000000000")]
    [InlineData(2, "1/FF000000", 16L << 20, "0000000200000001000000FF")]
    [InlineData(1, "0/7000100", 64L << 20, "000000010000000000000001")]
    public void Segment_Names_Follow_The_Server(int timeline, string lsn, long size, string expected) =>
        Assert.Equal(expected, BaseBackupFacts.SegmentOf(timeline, lsn, size));

    private static ManifestFile BaseFile() => new() { Name = "x.base.tar.gz", Kind = BackupFileKind.Base, Sha256 = new string('0', 64) };

    [Fact]
    public void A_Base_Set_Is_Its_Own_Kind_Whatever_Its_Manifest_Claims()
    {
        Assert.Equal(BackupFileKind.Base, BackupSetLocator.KindOf("maestro_cenate_20261201_051011.base.tar.gz"));
        var m = BackupManifestTests.Sample();
        m.Files.Clear();
        m.Files.Add(BaseFile());
        m.Kind = BackupSetKind.Full;                        // edited: a base backup is not a dump
        Assert.Equal(BackupSetKind.Base, BackupSetKinds.Effective(m));
        m.Kind = null;
        Assert.Equal(BackupSetKind.Base, BackupSetKinds.Effective(m));
        m.Files.Clear();
        m.Files.Add(new ManifestFile { Name = "x.dump", Kind = BackupFileKind.Dump, Sha256 = new string('0', 64) });
        m.Kind = BackupSetKind.Base;                        // edited: a dump set claiming to be a base backup
        Assert.Equal(BackupSetKind.Full, BackupSetKinds.Effective(m));
        m.Files[0].Kind = BackupFileKind.Base;              // edited entry: a dump file called a base backup is not one
        Assert.NotEqual(BackupSetKind.Base, BackupSetKinds.Effective(m));
        var parsed = Storage.BackupManifest.Parse(BackupManifestWithBase(), "m.json");
        Assert.Equal("0/7000100", parsed.Base!.EndLsn);
    }

    private static string BackupManifestWithBase()
    {
        var m = BackupManifestTests.Sample();
        m.Files.Clear();
        m.Files.Add(BaseFile());
        m.Kind = BackupSetKind.Base;
        m.Base = new ManifestBaseBackup { StartLsn = "0/5000028", EndLsn = "0/7000100", Timeline = 1 };
        return m.ToJson();
    }

    [Fact]
    public void Retention_Plans_Base_Sets_Apart_From_Dumps()
    {
        var now = new DateTimeOffset(2026, 6, 15, 12, 0, 0, TimeSpan.Zero);
        var policy = new RetentionPolicy { KeepDaily = 10, KeepWeekly = 0, KeepMonthly = 0, KeepYearly = 0, MinimumKeep = 2, TimeZone = TimeZoneInfo.Utc,
            MaxNewestAge = TimeSpan.FromDays(7) };
        using var dir = new TempDirectory();
        // Planned together, the two newest dumps would take both MinimumKeep places and the 30-day base backup would
        // expire although it is one of the two newest base backups; apart, each family keeps its own two.
        var dumps = new[] { 1, 2, 40 }.Select(d => Write(dir.Path, now.AddDays(-d), BackupFileKind.Dump)).ToList();
        var bases = new[] { 3, 30, 40 }.Select(d => Write(dir.Path, now.AddDays(-d).AddMinutes(1), BackupFileKind.Base)).ToList();
        var job = new RetentionJob(dir.Path, policy) { Clock = () => now, LockTimeout = TimeSpan.FromMilliseconds(300) };
        var removed = new List<string>();
        job.Run(new Host(removed), NullReporter.Instance);
        Assert.Equal(new[] { dumps[2], bases[2] }.Order(), removed.Order());
        Assert.True(File.Exists(bases[0]) && File.Exists(bases[1]) && File.Exists(dumps[0]) && File.Exists(dumps[1]));
    }

    private static string Write(string dir, DateTimeOffset time, BackupFileKind kind)
    {
        var stamp = BackupNaming.Stamp(time);
        var file = kind == BackupFileKind.Base ? BackupNaming.BaseFile("maestro_cenate", stamp) : BackupNaming.DumpFile("maestro_cenate", stamp);
        File.WriteAllBytes(Path.Combine(dir, file), RandomNumberGenerator.GetBytes(100));
        var m = new Storage.BackupManifest
        {
            Tool = "test", Database = "maestro_cenate", Stamp = stamp, StartedAt = time, Complete = true, CompletedAt = time,
            Kind = kind == BackupFileKind.Base ? BackupSetKind.Base : BackupSetKind.Full,
            Verification = new ManifestVerification { Level = "Read", At = time, Passed = true },
        };
        m.Files.Add(new ManifestFile { Name = file, Kind = kind, Size = 100, Sha256 = new string('0', 64) });
        var path = Path.Combine(dir, BackupNaming.ManifestFile("maestro_cenate", stamp));
        m.Save(path);
        return path;
    }

    private sealed class Host : IRetentionJobHost
    {
        private readonly List<string> _removed;
        public Host(List<string> removed) => _removed = removed;
        public bool Confirm(string target, string action)
        {
            if (target.EndsWith(".manifest.json", StringComparison.Ordinal)) _removed.Add(target);
            return true;
        }
        public void Decided(RetentionOutcome outcome) { }
        public void AbandonedFileNotRemoved(string path, Exception error) { }
    }
}
