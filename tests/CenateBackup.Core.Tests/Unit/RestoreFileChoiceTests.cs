using CenateBackup.Core.Restores;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// Which file of a set Restore-CenateTable reads: a -Format Plain set holds two Sql files, the whole-database script
/// (no tables named; pg_dump 15.14+/17.6+ fence it with \restrict) and the table's own export.
/// </summary>
public class RestoreFileChoiceTests
{
    private const string Script = "db_s.sql.gz";
    private const string Export = "db_s.asegurados.data.sql.gz";
    private const string Other = "db_s.ipress.data.sql.gz";

    private static ManifestFile File(string name, BackupFileKind kind, bool dataOnly = false, params string[] tables) =>
        new() { Name = name, Kind = kind, DataOnly = dataOnly, Tables = new(tables) };

    private static BackupManifest Set(params ManifestFile[] files) =>
        new() { Stamp = "20261130_050000", Files = new(files) };

    private static string? Chosen(BackupManifest set, BackupFileKind kind) =>
        RestoreSourceResolver.ChooseFile(set, kind, "asegurados")?.Name;

    [Fact]
    public void PlainSet_Sql_TakesTheTablesExport_NotTheWholeDatabaseScript()
    {
        var set = Set(File(Script, BackupFileKind.Sql), File(Export, BackupFileKind.Sql, true, "public.asegurados"));
        Assert.Equal(Export, Chosen(set, BackupFileKind.Sql));
    }

    [Fact]
    public void ExportOfAnotherTable_IsNeverTaken_AFileNamingNoTableIsTheLastResort()
    {
        var other = File(Other, BackupFileKind.Sql, true, "public.ipress");
        Assert.Equal(Script, Chosen(Set(File(Script, BackupFileKind.Sql), other), BackupFileKind.Sql));
        Assert.Null(Chosen(Set(other), BackupFileKind.Sql));
    }

    [Fact]
    public void Dump_IsTheFullOne_NeverADataOnlyDump()
    {
        var dataOnly = File("db_s.data.dump", BackupFileKind.Dump, true);
        Assert.Equal("db_s.dump", Chosen(Set(dataOnly, File("db_s.dump", BackupFileKind.Dump)), BackupFileKind.Dump));
        Assert.Null(Chosen(Set(dataOnly), BackupFileKind.Dump));
    }
}
