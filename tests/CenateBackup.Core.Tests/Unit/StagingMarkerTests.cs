using System;
using System.Linq;
using CenateBackup.Core.Database;
using CenateBackup.Core.Restores;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>The marker Restore-CenateTable leaves and Remove-CenateRestoreStaging requires: it must fit the
/// name.</summary>
public sealed class StagingMarkerTests
{
    private static readonly DateTimeOffset Made = new(2026, 11, 30, 10, 15, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("cenate_restore_20261130_101500")]
    [InlineData("cenate_restore_20261130_101500_2")]
    public void A_staging_marker_fits_its_schema_and_the_second_one_of_that_second(string schema)
    {
        var text = StagingMarker.Text("staging", "public", "asegurados", "/b/maestro_cenate_20261129_010000.dump",
            Made);
        Assert.StartsWith("CenateBackup staging {", text, StringComparison.Ordinal);
        var m = StagingMarker.ForStaging(schema, text);
        Assert.NotNull(m);
        Assert.Equal(("public", "asegurados", "maestro_cenate_20261129_010000.dump", Made),
            (m!.Schema, m.Table, m.Backup, m.Created));
    }

    [Theory]
    [InlineData("cenate_restore_20261130_101501")]   // another second: a marker copied from another schema
    [InlineData("cenate_restore_20261130_101500x")]
    [InlineData("mi_cenate_restore_20261130_101500")]
    [InlineData("cenate_restore_20261130_101500_")]
    public void A_marker_on_a_name_it_does_not_fit_proves_nothing(string schema)
    {
        var text = StagingMarker.Text("staging", "public", "asegurados", null, Made);
        Assert.Null(StagingMarker.ForStaging(schema, text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("restored by hand")]
    [InlineData("CenateBackup staging ")]
    [InlineData("CenateBackup staging {not json")]
    [InlineData("CenateBackup staging {\"kind\":\"replaced\",\"schema\":\"public\",\"table\":\"t\"," +
        "\"created\":\"2026-11-30T10:15:00Z\"}")]
    [InlineData("CenateBackup staging {\"kind\":\"staging\",\"schema\":\"public\",\"table\":\"t\"," +
        "\"created\":\"yesterday\"}")]
    [InlineData("CenateBackup staging {\"kind\":\"staging\",\"schema\":\"public\"," +
        "\"created\":\"2026-11-30T10:15:00Z\"}")]
    [InlineData(" CenateBackup staging {\"kind\":\"staging\",\"schema\":\"public\",\"table\":\"t\"," +
        "\"created\":\"2026-11-30T10:15:00Z\"}")]
    public void Anything_but_a_whole_marker_of_the_kind_is_no_marker(string? comment)
    {
        Assert.Null(StagingMarker.ForStaging("cenate_restore_20261130_101500", comment));
    }

    [Theory]
    [InlineData("asegurados")]
    [InlineData("pa'c\"x; DROP TABLE public.pacientes; --")]
    [InlineData("ñandú_tabla_con_un_nombre_muy_largo_que_no_cabe_entero_en_63_bytes")]
    public void A_replaced_marker_fits_the_name_Replace_gives_the_table(string table)
    {
        var stamp = "20261130_101500";
        var name = ReplacedNames.Table(table, stamp);
        var text = StagingMarker.Text("replaced", "ventas", table, null, Made);
        var m = StagingMarker.ForReplaced("ventas", name, text);
        Assert.NotNull(m);
        Assert.Equal(table, m!.Table);
        Assert.Null(StagingMarker.ForReplaced("public", name, text));   // another schema
        Assert.Null(StagingMarker.ForReplaced("ventas", "otra_replaced_" + stamp, text));   // another table
        var staging = StagingMarker.Text("staging", "ventas", table, null, Made);
        Assert.Null(StagingMarker.ForReplaced("ventas", name, staging));
    }

    [Fact]
    public void The_comment_statements_quote_names_and_text()
    {
        var sql = StagingMarker.CommentOnSchema("cenate_restore_20261130_101500", "pub\"lic", "a'b\\c", "x'.dump",
            Made);
        Assert.StartsWith("COMMENT ON SCHEMA \"cenate_restore_20261130_101500\" IS E'CenateBackup staging {", sql,
            StringComparison.Ordinal);
        // No raw quote in the literal's body (JSON writes it as \u0027), and the text reads back as given.
        Assert.DoesNotContain("a'b", sql, StringComparison.Ordinal);
        Assert.Equal(2, sql.Count(c => c == '\''));   // E' and the closing one
        var text = StagingMarker.Text("staging", "pub\"lic", "a'b\\c", "x'.dump", Made);
        var back = StagingMarker.Parse(text, "staging");
        Assert.Equal(("pub\"lic", "a'b\\c", "x'.dump"), (back!.Schema, back.Table, back.Backup));
        var quoted = SqlText.Identifier("s") + "." + SqlText.Identifier("t");
        var replaced = StagingMarker.CommentOnReplaced(quoted, "s", "t", null, Made);
        Assert.StartsWith("COMMENT ON TABLE \"s\".\"t\" IS E'CenateBackup replaced {", replaced,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Drops_are_restrict_never_cascade_and_quote_catalog_names()
    {
        var staging = new StagingItem
        {
            Kind = StagingKind.Staging, Name = "cenate_restore_20261130_101500",
            Schema = "cenate_restore_20261130_101500",
            Tables = new[] { "x\"; DROP SCHEMA public CASCADE; --" },
        };
        Assert.Equal(new[]
        {
            "DROP TABLE \"cenate_restore_20261130_101500\".\"x\"\"; DROP SCHEMA public CASCADE; --\" RESTRICT",
            "DROP SCHEMA \"cenate_restore_20261130_101500\" RESTRICT",
        }, StagingRemover.DropStatements(staging));
        var replaced = new StagingItem
        {
            Kind = StagingKind.Replaced, Name = "t_replaced_20261130_101500", Schema = "s",
        };
        Assert.Equal(new[] { "DROP TABLE \"s\".\"t_replaced_20261130_101500\" RESTRICT" },
            StagingRemover.DropStatements(replaced));
    }
}
