using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Restores;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// The plan of a partitioned table's restore, from a table of contents written as pg_dump 15/17 writes one: the
/// parent's definition (PARTITION BY), a sub-partitioned partition, leaves attached by "TABLE ATTACH" entries, a
/// detached partition (a plain table with no ATTACH entry) and a leaf whose columns are in another order.
/// </summary>
public class RestorePlanBuilderPartitionTests
{
    private const string Stamp = "20261128_010000";
    private const string Path = "/backups/maestro_cenate_20261128_010000.dump";
    private const string Columns = "(\n    id bigint NOT NULL,\n    fecha date NOT NULL,\n    sede text\n)";

    private static ArchiveTocEntry Table(int id, string name, string? partitionBy) =>
        new(id, "TABLE", "broad", name, "cenate")
        {
            Section = 2,
            Definition = $"CREATE TABLE broad.{name} {Columns}"
                + (partitionBy is null ? "" : $"\nPARTITION BY {partitionBy}") + ";\n",
        };

    private static ArchiveTocEntry Attach(int id, string parent, string child, string bounds) =>
        new(id, "TABLE ATTACH", "broad", child, "cenate")
    {
        Section = 2, Dependencies = new[] { 0 },
        Definition = $"ALTER TABLE ONLY broad.{parent} ATTACH PARTITION broad.{child} {bounds};\n",
    };

    private static ArchiveTocEntry Data(int id, int table, string name, string columns = "id, fecha, sede") =>
        new(id, "TABLE DATA", "broad", name, "cenate")
        {
            Section = 3, CopyStatement = $"COPY broad.{name} ({columns}) FROM stdin;\n", Dependencies = new[] { table },
        };

    private static List<ArchiveTocEntry> Dump(string partitionBy = "RANGE (fecha)") => new()
    {
        Table(100, "atenciones", partitionBy),
        Table(101, "atenciones_2026_01", null),
        Table(102, "atenciones_2026_02", "RANGE (fecha)"),
        Table(103, "atenciones_2026_02_a", null),
        Table(104, "atenciones_2026_02_b", null),
        // Filled on its own and attached later: its columns in another order.
        Table(105, "atenciones_2026_03", null) with
        {
            Definition = "CREATE TABLE broad.atenciones_2026_03 (\n    sede text,\n    fecha date NOT NULL,\n" +
                "    id bigint NOT NULL\n);\n",
        },
        Table(106, "atenciones_2025_11", null), // detached: no ATTACH entry
        Attach(201, "atenciones", "atenciones_2026_01", "FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')"),
        Attach(202, "atenciones", "atenciones_2026_02", "FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')"),
        Attach(203, "atenciones_2026_02", "atenciones_2026_02_a", "FOR VALUES FROM ('2026-02-01') TO ('2026-02-15')"),
        Attach(204, "atenciones_2026_02", "atenciones_2026_02_b", "DEFAULT"),
        Attach(205, "atenciones", "atenciones_2026_03", "FOR VALUES FROM ('2026-03-01') TO ('2026-04-01')"),
        Data(301, 101, "atenciones_2026_01"),
        Data(303, 103, "atenciones_2026_02_a"),
        Data(304, 104, "atenciones_2026_02_b"),
        Data(305, 105, "atenciones_2026_03", "sede, fecha, id"),
        Data(306, 106, "atenciones_2025_11"),
        new(400, "CONSTRAINT", "broad", "atenciones atenciones_pkey", "cenate")
        {
            Section = 4, Dependencies = new[] { 100 },
            Definition = "ALTER TABLE ONLY broad.atenciones\n" +
                "    ADD CONSTRAINT atenciones_pkey PRIMARY KEY (id, fecha);\n",
        },
        new(401, "INDEX", "broad", "atenciones_sede_idx", "cenate")
        {
            Section = 4, Dependencies = new[] { 100 },
            Definition = "CREATE INDEX atenciones_sede_idx ON ONLY broad.atenciones USING hash (sede);\n",
        },
        new(402, "INDEX ATTACH", "broad", "atenciones_2026_01_sede_idx", "cenate")
        {
            Section = 4, Dependencies = new[] { 401 },
            Definition = "ALTER INDEX broad.atenciones_sede_idx ATTACH PARTITION broad.atenciones_2026_01_sede_idx;\n",
        },
    };

    private static LiveTable Live(params string[] leaves)
    {
        var live = new LiveTable
        {
            Oid = 16500, Owner = "cenate", Hierarchy = "a partitioned table", Partitioned = true,
        };
        live.PrimaryKey.AddRange(new[] { "id", "fecha" });
        live.Columns.AddRange(new[] { ("id", false, false), ("fecha", false, false), ("sede", false, false) });
        foreach (var leaf in leaves)
            live.PartitionConstraints.Add(("broad." + leaf, $"(fecha IS NOT NULL) /* {leaf} */"));
        return live;
    }

    private static RestorePlanInput Input(TableRestoreMode mode, List<ArchiveTocEntry>? entries = null,
        LiveTable? live = null, string table = "atenciones")
    {
        entries ??= Dump();
        var tableEntry = ArchiveTableEntries.Find(entries, table, "broad", Path);
        var gathered = RestorePlanBuilder.NamesToQuote(table, entries, tableEntry, null, Path)
            .ToHashSet(StringComparer.Ordinal);
        return new RestorePlanInput
        {
            Mode = mode, Kind = TableRestoreSource.Dump, Schema = "broad", Table = table,
            QuotedTable = "broad." + table, Stamp = Stamp, SourcePath = Path,
            StagingSchema = mode == TableRestoreMode.MissingRows ? "pg_temp" : "cenate_restore_" + Stamp,
            Quote = name => gathered.Contains(name) ? name
                : throw new Xunit.Sdk.XunitException($"'{name}' was not among the names to quote"),
            Entries = entries, TableEntry = tableEntry, Live = live, LockTimeout = TimeSpan.FromSeconds(45),
            UnroutedSchema = mode == TableRestoreMode.MissingRows && live?.Partitioned == true
                ? "cenate_restore_" + Stamp : null,
        };
    }

    [Fact]
    public void MissingRows_stages_a_plain_table_loads_every_leaf_by_its_own_columns_and_keeps_unroutable_rows_aside()
    {
        var live = Live("atenciones_2026_01", "atenciones_2026_02_a");
        var plan = RestorePlanBuilder.Build(Input(TableRestoreMode.MissingRows, live: live));
        const string Sqt = "pg_temp.atenciones";
        const string Kept = "\"cenate_restore_20261128_010000\".atenciones";
        const string File = "from maestro_cenate_20261128_010000.dump";
        Assert.Equal(new[]
        {
            "BEGIN",
            $"CREATE TEMPORARY TABLE {Sqt} {Columns}",
            $"COPY {Sqt} (id, fecha, sede) FROM STDIN   -- rows of broad.atenciones_2026_01 {File}",
            $"COPY {Sqt} (id, fecha, sede) FROM STDIN   -- rows of broad.atenciones_2026_02_a {File}",
            $"COPY {Sqt} (id, fecha, sede) FROM STDIN   -- rows of broad.atenciones_2026_02_b {File}",
            $"COPY {Sqt} (sede, fecha, id) FROM STDIN   -- rows of broad.atenciones_2026_03 {File}",
            $"SELECT count(*) FROM {Sqt} WHERE NOT COALESCE(<the partition constraint of a live leaf: " +
                "broad.atenciones_2026_01, broad.atenciones_2026_02_a>, false)   " +
                "-- backup rows no live partition takes; only when there are any:",
            "CREATE SCHEMA \"cenate_restore_20261128_010000\"",
            $"CREATE TABLE {Kept} (LIKE {Sqt})",
            $"WITH moved AS (DELETE FROM {Sqt} WHERE NOT COALESCE(<the same>, false) RETURNING *) " +
                $"INSERT INTO {Kept} SELECT * FROM moved   -- kept, not inserted",
            RestorePlanBuilder.InsertMissingSql(Live(), "broad.atenciones", Sqt),
            "COMMIT",
        }, plan.Steps);
        // The detached partition's rows are not the parent's; each COPY reads its own leaf's block.
        Assert.Equal(new[] { 301, 303, 304, 305 }, plan.DataCopies.Select(c => c.Data.DumpId));
        // What runs: the live leaves' constraints, OR-ed; a NULL counts as not fitting.
        Assert.Equal($"SELECT count(*) FROM {Sqt} WHERE NOT COALESCE(" +
            "((fecha IS NOT NULL) /* atenciones_2026_01 */) OR " +
            "((fecha IS NOT NULL) /* atenciones_2026_02_a */), false)", plan.UnroutedCountSql);
        Assert.Equal(Kept, plan.UnroutedTable);
        Assert.Equal(3, plan.Unrouted.Count);
        Assert.DoesNotContain(plan.Steps, s => s.Contains("PARTITION BY", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void The_plan_depends_on_the_live_partitions_not_on_the_rows()
    {
        var a = RestorePlanBuilder.Build(Input(TableRestoreMode.MissingRows,
            live: Live("atenciones_2026_01", "atenciones_2026_03")));
        var b = RestorePlanBuilder.Build(Input(TableRestoreMode.MissingRows,
            live: Live("atenciones_2026_01", "atenciones_2026_03")));
        var dropped = RestorePlanBuilder.Build(Input(TableRestoreMode.MissingRows, live: Live("atenciones_2026_01")));
        Assert.Equal(a.Steps, b.Steps);
        Assert.NotEqual(a.Steps, dropped.Steps);
        // No leaves at all: nothing fits, and the plan says so.
        var none = RestorePlanBuilder.Build(Input(TableRestoreMode.MissingRows, live: Live()));
        Assert.EndsWith("WHERE NOT COALESCE(false, false)", none.UnroutedCountSql);
    }

    [Fact]
    public void Staging_is_one_plain_table_with_the_parents_key_and_indexes_and_no_index_attach()
    {
        var plan = RestorePlanBuilder.Build(Input(TableRestoreMode.Staging, live: Live("atenciones_2026_01")));
        const string Sqt = "\"cenate_restore_20261128_010000\".atenciones";
        Assert.Contains($"CREATE TABLE {Sqt} {Columns}", plan.Steps);
        Assert.Contains($"ALTER TABLE ONLY {Sqt}\n    ADD CONSTRAINT atenciones_pkey PRIMARY KEY (id, fecha)",
            plan.Steps);
        Assert.Contains($"CREATE INDEX atenciones_sede_idx ON ONLY {Sqt} USING hash (sede)", plan.Steps);
        Assert.DoesNotContain(plan.Steps,
            s => s.Contains("ATTACH", StringComparison.Ordinal) || s.Contains("PARTITION", StringComparison.Ordinal));
        Assert.Equal(4, plan.Steps.Count(s => s.StartsWith($"COPY {Sqt} ", StringComparison.Ordinal)));
        Assert.Empty(plan.Unrouted);
        Assert.Null(plan.UnroutedCountSql);
    }

    [Fact]
    public void A_sub_partitioned_partition_restores_its_own_leaves_only()
    {
        var live = Live("atenciones_2026_02_a", "atenciones_2026_02_b");
        var plan = RestorePlanBuilder.Build(Input(TableRestoreMode.MissingRows, live: live,
            table: "atenciones_2026_02"));
        Assert.Equal(new[] { 303, 304 }, plan.DataCopies.Select(c => c.Data.DumpId));
        Assert.Contains($"CREATE TEMPORARY TABLE pg_temp.atenciones_2026_02 {Columns}", plan.Steps);
    }

    [Theory]
    [InlineData(TableRestoreMode.Replace, true)]
    [InlineData(TableRestoreMode.Replace, false)]
    public void Replace_of_a_partitioned_table_is_refused_and_says_what_to_do_instead(TableRestoreMode mode,
        bool liveExists)
    {
        var entries = Dump();
        var tableEntry = ArchiveTableEntries.Find(entries, "atenciones", "broad", Path);
        var live = liveExists ? Live("a") : null;
        var ex = Assert.Throws<CenateException>(
            () => RestorePlanBuilder.CheckRestorable(mode, live, tableEntry, "broad.atenciones"));
        Assert.Equal(ErrorIds.TableNotSupported, ex.ErrorId);
        Assert.Equal(CenateErrorKind.InvalidOperation, ex.Kind);
        Assert.Contains("-Mode MissingRows", ex.RecommendedAction);
        Assert.Contains("-Mode Staging", ex.RecommendedAction);
        Assert.Contains("pg_restore into a scratch database", ex.RecommendedAction);
        RestorePlanBuilder.CheckRestorable(TableRestoreMode.MissingRows, Live("a"), tableEntry, "broad.atenciones");
        RestorePlanBuilder.CheckRestorable(TableRestoreMode.Staging, live, tableEntry, "broad.atenciones");
    }

    [Fact]
    public void A_partition_key_with_parentheses_and_quotes_is_taken_out_whole()
    {
        var entries = Dump("LIST ((lower(sede) || ')' || \"sede\"))");
        var plan = RestorePlanBuilder.Build(Input(TableRestoreMode.MissingRows, entries, Live("atenciones_2026_01")));
        Assert.Equal($"CREATE TEMPORARY TABLE pg_temp.atenciones {Columns}", plan.Steps[1]);
    }

    [Theory]
    // A second statement after the clause: the guard refuses it before anything is cut.
    [InlineData("RANGE (fecha);\nDROP TABLE broad.pacientes")]
    // A clause that does not close.
    [InlineData("RANGE ((fecha)")]
    // Something after the clause that pg_dump never writes there.
    [InlineData("RANGE (fecha) AS SELECT 1")]
    public void A_changed_parent_definition_is_refused_and_nothing_is_planned(string partitionBy)
    {
        var ex = Assert.Throws<CenateException>(() => RestorePlanBuilder.Build(
            Input(TableRestoreMode.MissingRows, Dump(partitionBy), Live("atenciones_2026_01"))));
        Assert.Equal(ErrorIds.UnsafeBackupContent, ex.ErrorId);
    }

    [Theory]
    [InlineData("ALTER TABLE ONLY broad.atenciones ATTACH PARTITION broad.atenciones_2026_01 DEFAULT; " +
        "DROP TABLE broad.pacientes;\n")]
    [InlineData("ALTER TABLE ONLY broad.atenciones ATTACH PARTITION broad.pacientes DEFAULT;\n")]
    [InlineData("ALTER TABLE ONLY broad.atenciones DETACH PARTITION broad.atenciones_2026_01;\n")]
    public void A_changed_attach_entry_is_refused(string definition)
    {
        var entries = Dump();
        var i = entries.FindIndex(e => e.DumpId == 201);
        entries[i] = entries[i] with { Definition = definition };
        var ex = Assert.Throws<CenateException>(
            () => Input(TableRestoreMode.MissingRows, entries, Live("atenciones_2026_01")));
        Assert.Equal(ErrorIds.UnsafeBackupContent, ex.ErrorId);
    }

    [Fact]
    public void A_leaf_without_its_rows_is_TableNotInBackup()
    {
        var entries = Dump().Where(e => e.DumpId != 304).ToList();
        var ex = Assert.Throws<CenateException>(
            () => Input(TableRestoreMode.MissingRows, entries, Live("atenciones_2026_01")));
        Assert.Equal(ErrorIds.TableNotInBackup, ex.ErrorId);
        Assert.Contains("atenciones_2026_02_b", ex.Message);
    }
}
