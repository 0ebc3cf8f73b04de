using System;
using System.Linq;
using CenateBackup.Core.Audit;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class UndeleteStatementTests
{
    private const string Log = "\"cenate_audit\".audit_log";
    private const string Where = " WHERE table_name = @table";

    private static readonly TableColumn[] s_now =
    {
        new("id", "integer", false, false),
        new("keep", "jsonb", false, false),
        new("nuevo", "text", false, false),                 // added since the rows were logged
        new("calc", "text", true, false),                   // generated
        new("serie", "bigint", false, true),                // identity ALWAYS
        new("we\"ird", "public.\"my type\"", false, false), // an identifier that needs quoting
    };

    [Fact]
    public void A_column_the_image_lacks_is_left_out_so_it_takes_its_default_and_a_dropped_one_is_reported()
    {
        var shape = new RowShape(Guid.NewGuid(), new[] { "id", "keep", "gone", "calc", "we\"ird" });
        var plan = UndeleteStatement.Build("\"public\".\"t\"", s_now, new[] { "id" }, Log, Where, logHasImage: true, new[] { shape });

        Assert.Equal(new[] { "gone" }, plan.DroppedColumns);
        // The image's fields in the image's order; current types for columns that exist, text for dropped/generated ones.
        Assert.Equal("CREATE TYPE pg_temp.\"cenate_image_0\" AS (\"id\" integer, \"keep\" jsonb, \"gone\" text, \"calc\" text, \"we\"\"ird\" public.\"my type\")",
            Assert.Single(plan.Setup));
        Assert.Equal("DROP TYPE pg_temp.\"cenate_image_0\"", Assert.Single(plan.Teardown));
        var insert = plan.Sql.Split('\n').Single(l => l.Contains("ins0 AS", StringComparison.Ordinal));
        Assert.Contains("INSERT INTO \"public\".\"t\" (\"id\", \"keep\", \"we\"\"ird\") OVERRIDING SYSTEM VALUE SELECT (s.r).\"id\", (s.r).\"keep\", (s.r).\"we\"\"ird\" " +
            "FROM (SELECT l.old_row_image::pg_temp.\"cenate_image_0\" AS r FROM wanted w JOIN \"cenate_audit\".audit_log l ON l.id = w.id WHERE w.src = 0 OFFSET 0) s ON CONFLICT DO NOTHING", insert, StringComparison.Ordinal);
        Assert.DoesNotContain("nuevo", insert, StringComparison.Ordinal);
        Assert.DoesNotContain("calc", insert, StringComparison.Ordinal);
        Assert.DoesNotContain("gone", insert, StringComparison.Ordinal);
        Assert.Contains("l.old_row_image::pg_temp.\"cenate_image_0\" AS r FROM \"cenate_audit\".audit_log l WHERE table_name = @table AND l.old_row_image IS NOT NULL AND l.old_row_shape = @shape0", plan.Sql, StringComparison.Ordinal);
    }

    [Fact]
    public void Entries_without_an_image_go_through_jsonb_and_every_group_shares_one_newest_per_key_selection()
    {
        var a = new RowShape(Guid.NewGuid(), new[] { "id", "keep" });
        var b = new RowShape(Guid.NewGuid(), new[] { "id", "keep", "nuevo" });
        var plan = UndeleteStatement.Build("\"public\".\"t\"", s_now, new[] { "id" }, Log, Where, logHasImage: true, new[] { a, b });

        Assert.Equal(2, plan.Setup.Count);
        Assert.Contains("SELECT id, -1 AS src, (r).\"id\" AS k0 FROM (SELECT l.id, pg_catalog.jsonb_populate_record(NULL::\"public\".\"t\", l.old_row) AS r FROM \"cenate_audit\".audit_log l " +
            "WHERE table_name = @table AND NOT (l.old_row_image IS NOT NULL AND l.old_row_shape IN (@shape0, @shape1)) OFFSET 0) g", plan.Sql, StringComparison.Ordinal);
        Assert.Contains("SELECT id, 0 AS src, (r).\"id\" AS k0 FROM (SELECT l.id, l.old_row_image::pg_temp.\"cenate_image_0\" AS r", plan.Sql, StringComparison.Ordinal);
        Assert.Contains("SELECT id, 1 AS src, (r).\"id\" AS k0 FROM (SELECT l.id, l.old_row_image::pg_temp.\"cenate_image_1\" AS r", plan.Sql, StringComparison.Ordinal);
        Assert.Equal(2, plan.Sql.Split(" UNION ALL ").Length - 1);
        // Rows to insert are read again through the log's primary key, never by joining one CTE with another (which
        // the planner nest-loops when a -Since filter makes it expect one row).
        Assert.Equal(3, plan.Sql.Split("FROM wanted w JOIN \"cenate_audit\".audit_log l ON l.id = w.id").Length - 1);
        Assert.Contains("(SELECT count(*) FROM x WHERE src = -1)", plan.Sql, StringComparison.Ordinal);
        Assert.Contains("DISTINCT ON (k0, nokey)", plan.Sql, StringComparison.Ordinal);
        Assert.Contains("ORDER BY k0, nokey, id DESC", plan.Sql, StringComparison.Ordinal);
        Assert.Equal(3, plan.Sql.Split("ON CONFLICT DO NOTHING").Length - 1);
        Assert.Empty(plan.DroppedColumns);
    }

    [Fact]
    public void A_deferrable_key_locks_out_writers_and_inserts_without_on_conflict()
    {
        var columns = new[] { new TableColumn("id", "integer", false, false), new TableColumn("v", "text", false, false) };
        var plan = UndeleteStatement.Build("\"public\".\"t\"", columns, new[] { "id" }, Log, Where, logHasImage: false,
            Array.Empty<RowShape>(), deferrableKey: true);
        Assert.Equal("LOCK TABLE \"public\".\"t\" IN SHARE ROW EXCLUSIVE MODE", plan.Setup[0]);
        Assert.DoesNotContain("ON CONFLICT", plan.Sql, StringComparison.Ordinal);
        Assert.Contains("WHERE NOT EXISTS (SELECT 1 FROM \"public\".\"t\" t WHERE t.\"id\" = x.k0)", plan.Sql, StringComparison.Ordinal);
    }

    [Fact]
    public void A_log_without_image_columns_never_names_them()
    {
        var plan = UndeleteStatement.Build("\"public\".\"t\"", s_now, new[] { "id" }, Log, Where, logHasImage: false, Array.Empty<RowShape>());
        Assert.Empty(plan.Setup);
        Assert.DoesNotContain("old_row_image", plan.Sql, StringComparison.Ordinal);
        Assert.DoesNotContain("old_row_shape", plan.Sql, StringComparison.Ordinal);
        Assert.Contains("INSERT INTO \"public\".\"t\" (\"id\", \"keep\", \"nuevo\", \"serie\", \"we\"\"ird\") OVERRIDING SYSTEM VALUE", plan.Sql, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_column_added_since_gives_rows_without_a_key_that_are_each_restored_on_their_own()
    {
        var shape = new RowShape(Guid.NewGuid(), new[] { "keep" });
        var plan = UndeleteStatement.Build("\"public\".\"t\"", s_now, new[] { "id", "serie" }, Log, Where, logHasImage: true, new[] { shape });
        Assert.Contains("SELECT id, 0 AS src, NULL::integer AS k0, NULL::bigint AS k1 FROM", plan.Sql, StringComparison.Ordinal);
        Assert.Contains("CASE WHEN k0 IS NULL OR k1 IS NULL THEN id END AS nokey", plan.Sql, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 0, 0, 0, false, true)]
    [InlineData(0, 23, 59, 59, false, true)]
    [InlineData(1, 0, 0, 0, false, false)]
    [InlineData(180, 0, 0, 0, false, false)]
    [InlineData(0, 12, 0, 0, true, false)]
    [InlineData(0, 0, 0, 0, true, false)]
    [InlineData(0, -1, 0, 0, true, true)]
    [InlineData(-180, 0, 0, 0, false, true)]
    public void The_retention_floor_is_one_day_unless_forced_and_never_negative(int days, int hours, int minutes, int seconds, bool force, bool refused)
    {
        var olderThan = new TimeSpan(days, hours, minutes, seconds);
        var ex = Record.Exception(() => AuditLogService.CheckRetention(olderThan, force));
        if (!refused)
        {
            Assert.Null(ex);
            return;
        }
        var ce = Assert.IsType<CenateBackup.Core.Errors.CenateException>(ex);
        Assert.Equal("DurationBelowFloor", ce.ErrorId);
        Assert.Equal(CenateBackup.Core.Errors.CenateErrorKind.InvalidArgument, ce.Kind);
        Assert.Contains("-OlderThan '180d'", ce.Message, StringComparison.Ordinal);
    }
}
