using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>What a set covers, as recorded and as its files show; a manifest's claim never makes a partial set Full.</summary>
public class BackupSetKindTests
{
    private static ManifestFile File(BackupFileKind kind, bool dataOnly = false, params string[] tables) =>
        new() { Name = "f", Kind = kind, DataOnly = dataOnly, Tables = tables.ToList(), Sha256 = new string('0', 64) };

    public static TheoryData<BackupSetKind, ManifestFile[]> FileShapes() => new()
    {
        // The daily set: dump + exports of asegurados is still a full database set.
        { BackupSetKind.Full, new[] { File(BackupFileKind.Dump), File(BackupFileKind.Csv, true, "public.asegurados"), File(BackupFileKind.Sql, true, "public.asegurados") } },
        { BackupSetKind.Full, new[] { File(BackupFileKind.Sql) } },                                   // plain SQL with schema of the whole database
        { BackupSetKind.Tables, new[] { File(BackupFileKind.Dump, false, "public.asegurados") } },
        { BackupSetKind.Tables, new[] { File(BackupFileKind.Sql, false, "public.asegurados") } },
        { BackupSetKind.DataOnly, new[] { File(BackupFileKind.Dump, true) } },
        { BackupSetKind.DataOnly, new[] { File(BackupFileKind.Sql, true, "public.asegurados") } },    // the old routine's second set
        { BackupSetKind.Exports, new[] { File(BackupFileKind.Csv, true, "public.asegurados") } },
    };

    [Theory]
    [MemberData(nameof(FileShapes))]
    public void Sets_Written_Before_The_Kind_Was_Recorded_Are_Judged_By_Their_Files(BackupSetKind expected, ManifestFile[] files)
    {
        var m = BackupManifestTests.Sample();
        m.Files.Clear();
        m.Files.AddRange(files);
        m.Kind = null;
        Assert.Equal(expected, BackupSetKinds.FromFiles(files));
        Assert.Equal(expected, BackupSetKinds.Effective(m));
    }

    [Fact]
    public void A_Recorded_Kind_Is_Used_But_Full_Only_With_A_Full_Dump()
    {
        var m = BackupManifestTests.Sample();
        m.Files.Clear();
        m.Files.Add(File(BackupFileKind.Csv, true, "public.asegurados"));
        m.Kind = BackupSetKind.Full;                       // edited by someone: no full dump in the set
        Assert.Equal(BackupSetKind.Exports, BackupSetKinds.Effective(m));
        m.Files.Clear();
        m.Files.Add(File(BackupFileKind.Dump));
        m.Kind = BackupSetKind.DataOnly;                   // a claim that makes a set less than it is only costs its own retention
        Assert.Equal(BackupSetKind.DataOnly, BackupSetKinds.Effective(m));
        m.Files.Clear();                                    // a set still being written: only the recorded kind is known
        m.Kind = BackupSetKind.Full;
        Assert.Equal(BackupSetKind.Full, BackupSetKinds.Effective(m));
    }

    [Fact]
    public void The_Kind_Is_Written_And_Read_By_Name()
    {
        var m = BackupManifestTests.Sample();
        m.Kind = BackupSetKind.DataOnly;
        var json = m.ToJson();
        Assert.Contains("\"kind\": \"DataOnly\"", json);
        Assert.Equal(BackupSetKind.DataOnly, BackupManifest.Parse(json, "t").Kind);
        Assert.Null(BackupManifest.Parse(json.Replace("\"kind\": \"DataOnly\",", ""), "t").Kind);
        Assert.Throws<Errors.CenateException>(() => BackupManifest.Parse(json.Replace("\"DataOnly\"", "\"Everything\""), "t"));
    }

    [Fact]
    public void A_Complete_Manifest_Without_Files_Is_Not_A_Complete_Set()
    {
        var m = BackupManifestTests.Sample();
        m.Files.Clear();
        var entry = new CatalogEntry("/x/m.manifest.json", m, new List<string>());
        Assert.False(entry.Complete);
    }
}
