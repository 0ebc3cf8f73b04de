using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Restores;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// The restore's plan, built without a server from a table of contents written as pg_dump writes one. Every test
/// quotes names only through the look-up made from <see cref="RestorePlanBuilder.NamesToQuote"/> (as the service does
/// with the server's quote_ident), so a name the builder asks for and the service would not have quoted fails here.
/// </summary>
public class RestorePlanBuilderTests
{
    private const string Stamp = "20261128_010000";
    private const string Staging = "\"cenate_restore_20261128_010000\"";
    private const string Path = "/backups/maestro_cenate_20261128_010000.dump";

    /// <summary>quote_ident as the server writes it for the names used here (a few keywords listed).</summary>
    private static string QuoteIdent(string name) =>
        Regex.IsMatch(name, "^[a-z_][a-z0-9_$]*$") && name is not ("user" or "order" or "table" or "select")
            ? name : "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Q(string schema, string table) => QuoteIdent(schema) + "." + QuoteIdent(table);

    /// <summary>A dump's entries for <paramref name="schema"/>.<paramref name="table"/> (serial id, a key, an index, a trigger, a foreign key) and a neighbour that shares its prefix.</summary>
    private static List<ArchiveTocEntry> Dump(string schema = "public", string table = "asegurados", bool withData = true)
    {
        var qt = Q(schema, table);
        var seq = Q(schema, table + "_id_seq");
        var list = new List<ArchiveTocEntry>
        {
            new(200, "TABLE", schema, table, "cenate") { Section = 2, Definition = $"CREATE TABLE {qt} (\n    id bigint NOT NULL,\n    nombres text,\n    ubigeo integer\n);\n" },
            new(201, "SEQUENCE", schema, table + "_id_seq", "cenate")
                { Section = 2, Definition = $"CREATE SEQUENCE {seq}\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;\n" },
            new(202, "SEQUENCE OWNED BY", schema, table + "_id_seq", "cenate")
                { Section = 2, Definition = $"ALTER SEQUENCE {seq} OWNED BY {qt}.id;\n", Dependencies = new[] { 201 } },
            new(203, "DEFAULT", schema, table + " id", "cenate")
                { Section = 2, Definition = $"ALTER TABLE ONLY {qt} ALTER COLUMN id SET DEFAULT nextval('{seq}'::regclass);\n", Dependencies = new[] { 200, 201 } },
            new(300, "TABLE", "public", "citas", "cenate") { Section = 2, Definition = "CREATE TABLE public.citas (\n    id integer,\n    asegurado_id bigint\n);\n" },
            new(400, "TABLE", schema, table + "_log", "cenate") { Section = 2, Definition = $"CREATE TABLE {Q(schema, table + "_log")} (\n    id integer\n);\n" },
            new(401, "SEQUENCE", schema, table + "_log_id_seq", "cenate")
                { Section = 2, Definition = $"CREATE SEQUENCE {Q(schema, table + "_log_id_seq")}\n    CACHE 1;\n" },
            new(402, "SEQUENCE OWNED BY", schema, table + "_log_id_seq", "cenate")
                { Section = 2, Definition = $"ALTER SEQUENCE {Q(schema, table + "_log_id_seq")} OWNED BY {Q(schema, table + "_log")}.id;\n", Dependencies = new[] { 401 } },
            new(211, "SEQUENCE SET", schema, table + "_id_seq", "cenate")
                { Section = 3, Definition = $"SELECT pg_catalog.setval('{seq}', 20000, true);\n", Dependencies = new[] { 201 } },
            new(403, "SEQUENCE SET", schema, table + "_log_id_seq", "cenate")
                { Section = 3, Definition = $"SELECT pg_catalog.setval('{Q(schema, table + "_log_id_seq")}', 7, true);\n", Dependencies = new[] { 401 } },
            new(220, "CONSTRAINT", schema, table + " " + table + "_pkey", "cenate")
                { Section = 4, Definition = $"ALTER TABLE ONLY {qt}\n    ADD CONSTRAINT {QuoteIdent(table + "_pkey")} PRIMARY KEY (id);\n", Dependencies = new[] { 200 } },
            new(221, "INDEX", schema, table + "_nombres_idx", "cenate")
                { Section = 4, Definition = $"CREATE INDEX {QuoteIdent(table + "_nombres_idx")} ON {qt} USING btree (nombres);\n", Dependencies = new[] { 200 } },
            new(222, "TRIGGER", schema, table + " auditoria", "cenate")
                { Section = 4, Definition = $"CREATE TRIGGER auditoria AFTER DELETE ON {qt} FOR EACH ROW EXECUTE FUNCTION audit.log_delete();\n", Dependencies = new[] { 200 } },
            new(223, "FK CONSTRAINT", schema, table + " " + table + "_ubigeo_fkey", "cenate")
            {
                Section = 4, Dependencies = new[] { 200, 500 },
                Definition = $"ALTER TABLE ONLY {qt}\n    ADD CONSTRAINT {QuoteIdent(table + "_ubigeo_fkey")} FOREIGN KEY (ubigeo) REFERENCES public.ubigeos(id);\n",
            },
            // Another table's foreign key that references this one: not this table's to restore.
            new(224, "FK CONSTRAINT", "public", "citas citas_asegurado_fkey", "cenate")
            {
                Section = 4, Dependencies = new[] { 300, 200 },
                Definition = $"ALTER TABLE ONLY public.citas\n    ADD CONSTRAINT citas_asegurado_fkey FOREIGN KEY (asegurado_id) REFERENCES {qt}(id);\n",
            },
        };
        if (withData)
            list.Add(new(210, "TABLE DATA", schema, table, "cenate") { Section = 3, CopyStatement = $"COPY {qt} (id, nombres, ubigeo) FROM stdin;\n", Dependencies = new[] { 200 } });
        return list;
    }

    private static LiveTable Live(bool primaryKey = true, string? hierarchy = null)
    {
        var live = new LiveTable { Oid = 16400, Owner = "cenate_app", Hierarchy = hierarchy };
        if (primaryKey) live.PrimaryKey.Add("id");
        live.Columns.Add(("id", false, false));
        live.Columns.Add(("nombres", false, false));
        live.Columns.Add(("ubigeo", false, false));
        live.Columns.Add(("busqueda", true, false));
        live.ReferencingForeignKeys.Add(("citas_asegurado_fkey", "public.citas", "FOREIGN KEY (asegurado_id) REFERENCES public.asegurados(id)"));
        live.OwnedSequences.Add(("public.asegurados_id_seq", "id", "public", "asegurados_id_seq"));
        live.Indexes.Add("asegurados_pkey");
        live.Indexes.Add("asegurados_nombres_idx");
        live.Triggers.Add(("auditoria", "CREATE TRIGGER auditoria AFTER DELETE ON public.asegurados FOR EACH ROW EXECUTE FUNCTION audit.log_delete()"));
        live.ForeignKeys.Add(("asegurados_ubigeo_fkey", "FOREIGN KEY (ubigeo) REFERENCES public.ubigeos(id)"));
        return live;
    }

    private static RestorePlanInput Input(TableRestoreMode mode, TableRestoreSource kind = TableRestoreSource.Dump, List<ArchiveTocEntry>? entries = null,
        LiveTable? live = null, SqlCopyHeader? header = null, string schema = "public", string table = "asegurados", bool dropReplaced = false)
    {
        entries = kind == TableRestoreSource.Dump ? entries ?? Dump(schema, table) : null;
        var tableEntry = entries is null ? null : ArchiveTableEntries.Find(entries, table, schema, Path);
        var gathered = RestorePlanBuilder.NamesToQuote(table, entries, tableEntry, header).ToHashSet(StringComparer.Ordinal);
        return new RestorePlanInput
        {
            Mode = mode, Kind = kind, Schema = schema, Table = table, QuotedTable = Q(schema, table), Stamp = Stamp,
            SourcePath = kind switch { TableRestoreSource.Csv => "/backups/t.csv.gz", TableRestoreSource.Sql => "/backups/t.data.sql.gz", _ => Path },
            StagingSchema = mode == TableRestoreMode.MissingRows ? "pg_temp" : "cenate_restore_" + Stamp,
            Quote = name => gathered.Contains(name) ? QuoteIdent(name) : throw new Xunit.Sdk.XunitException($"'{name}' was not among the names to quote"),
            Entries = entries, TableEntry = tableEntry, Live = live, SqlHeader = header, LockTimeout = TimeSpan.FromSeconds(45), DropReplaced = dropReplaced,
        };
    }

    [Fact]
    public void Staging_from_a_dump_creates_the_schema_the_definition_and_sequence_then_rows_then_keys()
    {
        var plan = RestorePlanBuilder.Build(Input(TableRestoreMode.Staging, live: Live()));
        var sqt = Staging + ".asegurados";
        Assert.Equal(new[]
        {
            "BEGIN",
            $"CREATE SCHEMA {Staging}",
            $"CREATE TABLE {sqt} (\n    id bigint NOT NULL,\n    nombres text,\n    ubigeo integer\n)",
            $"CREATE SEQUENCE {Staging}.asegurados_id_seq\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1",
            $"ALTER SEQUENCE {Staging}.asegurados_id_seq OWNED BY {sqt}.id",
            $"ALTER TABLE ONLY {sqt} ALTER COLUMN id SET DEFAULT nextval('{Staging}.asegurados_id_seq'::regclass)",
            $"SELECT pg_catalog.setval('{Staging}.asegurados_id_seq', 20000, true)",
            $"COPY {sqt} (id, nombres, ubigeo) FROM STDIN   -- rows from maestro_cenate_20261128_010000.dump",
            $"ALTER TABLE ONLY {sqt}\n    ADD CONSTRAINT asegurados_pkey PRIMARY KEY (id)",
            $"CREATE INDEX asegurados_nombres_idx ON {sqt} USING btree (nombres)",
            $"CREATE TRIGGER auditoria AFTER DELETE ON {sqt} FOR EACH ROW EXECUTE FUNCTION audit.log_delete()",
            "COMMIT",
        }, plan.Steps);
        // The foreign key is left off the staging copy (it would lock the live table it references), and said so.
        Assert.Empty(plan.ForeignKeys);
        var warning = Assert.Single(plan.Warnings);
        Assert.StartsWith("Not created on the staging copy", warning);
        Assert.Contains($"ALTER TABLE ONLY {sqt}     ADD CONSTRAINT asegurados_ubigeo_fkey", warning);
        Assert.Equal($"COPY {sqt} (id, nombres, ubigeo) FROM STDIN", plan.CopySql);
        Assert.Equal(plan.Steps.Skip(1).Take(plan.Pre.Count), plan.Pre);
    }

    [Fact]
    public void A_neighbour_sharing_the_prefix_and_another_tables_foreign_key_stay_out()
    {
        foreach (var mode in new[] { TableRestoreMode.Staging, TableRestoreMode.Replace })
        {
            var plan = RestorePlanBuilder.Build(Input(mode, live: Live()));
            var all = string.Join("\n", plan.Pre.Concat(plan.Post).Concat(plan.ForeignKeys));
            Assert.DoesNotContain("asegurados_log", all);
            Assert.DoesNotContain("citas_asegurado_fkey", all.Split("\n").Where(l => !l.StartsWith("ALTER TABLE public.citas", StringComparison.Ordinal)));
            Assert.DoesNotContain("public.asegurados", all); // every name of the table and its sequence was renamed
        }
    }

    [Fact]
    public void MissingRows_loads_a_temporary_table_without_keys_and_inserts_in_one_statement()
    {
        var plan = RestorePlanBuilder.Build(Input(TableRestoreMode.MissingRows, live: Live()));
        Assert.Equal(new[]
        {
            "BEGIN",
            "CREATE TEMPORARY TABLE pg_temp.asegurados (\n    id bigint NOT NULL,\n    nombres text,\n    ubigeo integer\n)",
            "COPY pg_temp.asegurados (id, nombres, ubigeo) FROM STDIN   -- rows from maestro_cenate_20261128_010000.dump",
            "WITH missing AS (SELECT s.\"id\", s.\"nombres\", s.\"ubigeo\" FROM pg_temp.asegurados s WHERE NOT EXISTS (SELECT 1 FROM public.asegurados l " +
            "WHERE l.\"id\" = s.\"id\")), inserted AS (INSERT INTO public.asegurados (\"id\", \"nombres\", \"ubigeo\") SELECT * FROM missing " +
            "ON CONFLICT DO NOTHING RETURNING 1) SELECT (SELECT count(*) FROM missing), (SELECT count(*) FROM inserted)",
            "COMMIT",
        }, plan.Steps);
        Assert.Empty(plan.Post);
        Assert.Empty(plan.ForeignKeys);
        Assert.Empty(plan.Warnings);
    }

    [Fact]
    public void MissingRows_overrides_a_generated_always_identity()
    {
        var live = Live();
        live.Columns[0] = ("id", false, true);
        var insert = RestorePlanBuilder.Build(Input(TableRestoreMode.MissingRows, live: live)).Steps[^2];
        Assert.Contains("INSERT INTO public.asegurados (\"id\", \"nombres\", \"ubigeo\") OVERRIDING SYSTEM VALUE SELECT", insert);
        Assert.DoesNotContain("busqueda", insert); // a generated column gets no value
    }

    [Fact]
    public void Replace_adds_foreign_keys_not_valid_then_renames_the_live_tables_indexes_and_sequences_aside()
    {
        var plan = RestorePlanBuilder.Build(Input(TableRestoreMode.Replace, live: Live(), dropReplaced: true));
        var sqt = Staging + ".asegurados";
        var fk = $"ALTER TABLE ONLY {sqt}\n    ADD CONSTRAINT asegurados_ubigeo_fkey FOREIGN KEY (ubigeo) REFERENCES public.ubigeos(id) NOT VALID";
        Assert.Equal(new[] { fk }, plan.ForeignKeys);
        var copy = plan.Steps.FindIndex(s => s.StartsWith("COPY ", StringComparison.Ordinal));
        Assert.Equal(new[]
        {
            $"ALTER TABLE ONLY {sqt}\n    ADD CONSTRAINT asegurados_pkey PRIMARY KEY (id)",
            $"CREATE INDEX asegurados_nombres_idx ON {sqt} USING btree (nombres)",
            $"CREATE TRIGGER auditoria AFTER DELETE ON {sqt} FOR EACH ROW EXECUTE FUNCTION audit.log_delete()",
            fk,
            "LOCK TABLE ONLY public.asegurados IN ACCESS EXCLUSIVE MODE   -- waits at most 45 s (-LockTimeout), then LockTimeout and nothing changed",
            "ALTER TABLE public.citas DROP CONSTRAINT \"citas_asegurado_fkey\"",
            "ALTER INDEX \"public\".\"asegurados_pkey\" RENAME TO \"asegurados_pkey_r20261128010000\"",
            "ALTER INDEX \"public\".\"asegurados_nombres_idx\" RENAME TO \"asegurados_nombres_idx_r20261128010000\"",
            "ALTER SEQUENCE public.asegurados_id_seq RENAME TO \"asegurados_id_seq_r20261128010000\"",
            "ALTER TABLE public.asegurados RENAME TO \"asegurados_replaced_20261128_010000\"",
            $"ALTER TABLE {sqt} SET SCHEMA \"public\"",
            "the live table's triggers, row-level security, policies and comments carried over to the restored table (the live ones win; differences from the backup in Warnings)",
            "ALTER TABLE public.asegurados OWNER TO \"cenate_app\"   -- and the old table's table and column grants",
            "sequences of the restored table set to the old ones' last values where those are further (never backwards)",
            "ALTER TABLE public.citas ADD CONSTRAINT \"citas_asegurado_fkey\" FOREIGN KEY (asegurado_id) REFERENCES public.asegurados(id)",
            $"DROP SCHEMA {Staging}",
            "SELECT count(*) FROM public.asegurados   -- must equal the backup's rows, or everything is rolled back",
            "DROP TABLE \"public\".\"asegurados_replaced_20261128_010000\"   -- with the rows written since the backup",
            "COMMIT",
        }, plan.Steps.Skip(copy + 1));
        Assert.Contains($"SELECT pg_catalog.setval('{Staging}.asegurados_id_seq', 20000, true)", plan.Pre);
        Assert.Empty(plan.Warnings);
    }

    [Fact]
    public void Replace_of_a_table_that_is_gone_only_moves_the_restored_one_in()
    {
        var plan = RestorePlanBuilder.Build(Input(TableRestoreMode.Replace, live: null, dropReplaced: true));
        var copy = plan.Steps.FindIndex(s => s.StartsWith("COPY ", StringComparison.Ordinal));
        Assert.Equal(new[]
        {
            $"ALTER TABLE {Staging}.asegurados SET SCHEMA \"public\"",
            $"DROP SCHEMA {Staging}",
            "SELECT count(*) FROM public.asegurados   -- must equal the backup's rows, or everything is rolled back",
            "COMMIT",
        }, plan.Steps.Skip(copy + 1 + 4)); // after the key, index, trigger and foreign key
    }

    [Fact]
    public void A_foreign_key_already_not_valid_is_not_marked_twice()
    {
        var entries = Dump();
        var i = entries.FindIndex(e => e.DumpId == 223);
        entries[i] = entries[i] with { Definition = "ALTER TABLE public.asegurados\n    ADD CONSTRAINT asegurados_ubigeo_fkey FOREIGN KEY (ubigeo) REFERENCES public.ubigeos(id) NOT VALID;\n" };
        var plan = RestorePlanBuilder.Build(Input(TableRestoreMode.Replace, entries: entries, live: Live()));
        var fk = Assert.Single(plan.ForeignKeys);
        Assert.EndsWith("REFERENCES public.ubigeos(id) NOT VALID", fk);
        Assert.Single(Regex.Matches(fk, "NOT VALID"));
    }

    [Fact]
    public void Names_with_quotes_spaces_and_capitals_are_renamed_whole()
    {
        const string schema = "Esquema \"raro\"";
        const string table = "Tabla con espacios";
        var plan = RestorePlanBuilder.Build(Input(TableRestoreMode.Replace, schema: schema, table: table, live: null));
        var sqt = Staging + ".\"Tabla con espacios\"";
        Assert.Equal($"CREATE SCHEMA {Staging}", plan.Steps[1]);
        Assert.Equal($"CREATE TABLE {sqt} (\n    id bigint NOT NULL,\n    nombres text,\n    ubigeo integer\n)", plan.Steps[2]);
        Assert.Contains($"ALTER SEQUENCE {Staging}.\"Tabla con espacios_id_seq\" OWNED BY {sqt}.id", plan.Pre);
        Assert.Contains($"SELECT pg_catalog.setval('{Staging}.\"Tabla con espacios_id_seq\"', 20000, true)", plan.Pre);
        Assert.Equal($"COPY {sqt} (id, nombres, ubigeo) FROM STDIN", plan.CopySql);
        Assert.Contains($"ALTER TABLE {sqt} SET SCHEMA \"Esquema \"\"raro\"\"\"", plan.Steps);
        Assert.DoesNotContain(plan.Pre.Concat(plan.Post).Concat(plan.ForeignKeys), s => s.Contains("\"Esquema \"\"raro\"\"\".", StringComparison.Ordinal));
    }

    [Fact]
    public void Csv_staging_copies_the_live_definition_and_its_triggers()
    {
        var plan = RestorePlanBuilder.Build(Input(TableRestoreMode.Staging, TableRestoreSource.Csv, live: Live()));
        var sqt = Staging + ".asegurados";
        Assert.Equal(new[]
        {
            "BEGIN",
            $"CREATE SCHEMA {Staging}",
            $"CREATE TABLE {sqt} (LIKE public.asegurados INCLUDING ALL)",
            $"COPY {sqt} FROM STDIN   -- rows from t.csv.gz",
            $"CREATE TRIGGER auditoria AFTER DELETE ON {sqt} FOR EACH ROW EXECUTE FUNCTION audit.log_delete()",
            "COMMIT",
        }, plan.Steps);
        Assert.Equal("", plan.CopySql);
    }

    [Fact]
    public void Csv_replace_and_missing_rows_take_the_live_foreign_keys_or_a_temporary_copy()
    {
        var replace = RestorePlanBuilder.Build(Input(TableRestoreMode.Replace, TableRestoreSource.Csv, live: Live()));
        Assert.Equal(new[] { $"ALTER TABLE {Staging}.asegurados ADD CONSTRAINT \"asegurados_ubigeo_fkey\" FOREIGN KEY (ubigeo) REFERENCES public.ubigeos(id) NOT VALID" },
            replace.ForeignKeys);
        Assert.Empty(replace.Post); // the live triggers come over after the swap, not onto the copy
        var missing = RestorePlanBuilder.Build(Input(TableRestoreMode.MissingRows, TableRestoreSource.Csv, live: Live()));
        Assert.Equal("CREATE TEMPORARY TABLE pg_temp.asegurados (LIKE public.asegurados INCLUDING DEFAULTS INCLUDING GENERATED)", missing.Steps[1]);
        Assert.Empty(missing.ForeignKeys);
    }

    private static SqlCopyHeader Header(string line) => SqlCopyHeader.TryParse(line, out var why) ?? throw new Xunit.Sdk.XunitException(why);

    [Fact]
    public void Sql_export_copy_is_built_from_its_header_names_requoted()
    {
        var header = Header("COPY public.asegurados (id, \"nombres\", ubigeo) FROM stdin;");
        var plan = RestorePlanBuilder.Build(Input(TableRestoreMode.Staging, TableRestoreSource.Sql, live: Live(), header: header));
        Assert.Equal($"COPY {Staging}.asegurados (id, nombres, ubigeo) FROM STDIN", plan.CopySql);
        Assert.Contains($"COPY {Staging}.asegurados (id, nombres, ubigeo) FROM STDIN   -- rows from t.data.sql.gz", plan.Steps);
    }

    [Theory]
    [InlineData("COPY public.citas (id) FROM stdin;", ErrorIds.TableNotInBackup)]
    [InlineData("COPY otro.asegurados (id) FROM stdin;", ErrorIds.TableNotInBackup)]
    [InlineData("COPY public.asegurados (id, borrado) FROM stdin;", ErrorIds.BackupCorrupt)]
    [InlineData("COPY public.asegurados (id, busqueda) FROM stdin;", ErrorIds.BackupCorrupt)] // generated: no value may be loaded
    public void Sql_export_of_another_table_or_unknown_columns_is_refused(string line, string errorId)
    {
        var ex = Assert.Throws<CenateException>(() =>
            RestorePlanBuilder.Build(Input(TableRestoreMode.Staging, TableRestoreSource.Sql, live: Live(), header: Header(line))));
        Assert.Equal(errorId, ex.ErrorId);
    }

    [Fact]
    public void Sql_export_without_a_schema_in_its_header_loads_the_named_table()
    {
        var plan = RestorePlanBuilder.Build(Input(TableRestoreMode.MissingRows, TableRestoreSource.Sql, live: Live(), header: Header("COPY asegurados (id) FROM stdin;")));
        Assert.Equal("COPY pg_temp.asegurados (id) FROM STDIN", plan.CopySql);
    }

    [Fact]
    public void A_dump_without_the_tables_rows_is_TableNotInBackup()
    {
        var ex = Assert.Throws<CenateException>(() => RestorePlanBuilder.Build(Input(TableRestoreMode.Staging, entries: Dump(withData: false), live: Live())));
        Assert.Equal(ErrorIds.TableNotInBackup, ex.ErrorId);
        Assert.Contains("public.asegurados but not its rows", ex.Message);
    }

    [Theory]
    [InlineData(220, "ALTER TABLE ONLY public.asegurados ADD CONSTRAINT k PRIMARY KEY (id); DROP TABLE public.citas;")]
    [InlineData(221, "CREATE INDEX i ON public.citas USING btree (id);")]
    [InlineData(200, "CREATE TABLE public.asegurados (id bigint) ; SELECT pg_catalog.pg_sleep(10);")]
    public void A_changed_definition_is_refused_before_any_plan(int dumpId, string definition)
    {
        var entries = Dump();
        var i = entries.FindIndex(e => e.DumpId == dumpId);
        entries[i] = entries[i] with { Definition = definition };
        var ex = Assert.Throws<CenateException>(() => RestorePlanBuilder.Build(Input(TableRestoreMode.Replace, entries: entries, live: Live())));
        Assert.Equal(ErrorIds.UnsafeBackupContent, ex.ErrorId);
    }

    [Fact]
    public void A_copy_statement_for_another_table_is_refused()
    {
        var entries = Dump();
        var i = entries.FindIndex(e => e.DumpId == 210);
        entries[i] = entries[i] with { CopyStatement = "COPY public.citas (id) FROM stdin;\n" };
        var ex = Assert.Throws<CenateException>(() => RestorePlanBuilder.Build(Input(TableRestoreMode.Staging, entries: entries, live: Live())));
        Assert.Equal(ErrorIds.UnsafeBackupContent, ex.ErrorId);
    }

    [Fact]
    public void The_table_is_found_by_name_and_schema_or_refused_with_the_tables_there()
    {
        var entries = Dump();
        Assert.Equal(200, ArchiveTableEntries.Find(entries, "asegurados", null, Path).DumpId);
        Assert.Equal(200, ArchiveTableEntries.Find(entries, "asegurados", "public", Path).DumpId);
        var ex = Assert.Throws<CenateException>(() => ArchiveTableEntries.Find(entries, "Asegurados", null, Path));
        Assert.Equal(ErrorIds.TableNotInBackup, ex.ErrorId);
        Assert.Contains("it holds 3 tables (public.asegurados, public.citas, public.asegurados_log)", ex.Message);
        Assert.Throws<CenateException>(() => ArchiveTableEntries.Find(entries, "asegurados", "otro", Path));
    }

    [Fact]
    public void Checks_refuse_what_the_mode_cannot_do()
    {
        static string Id(Action a) => Assert.Throws<CenateException>(a).ErrorId;
        Assert.Equal(ErrorIds.LiveTableMissing, Id(() => RestorePlanBuilder.CheckLiveTable(TableRestoreMode.MissingRows, TableRestoreSource.Dump, null, "public.t", "db")));
        Assert.Equal(ErrorIds.LiveTableMissing, Id(() => RestorePlanBuilder.CheckLiveTable(TableRestoreMode.Staging, TableRestoreSource.Csv, null, "public.t", "db")));
        RestorePlanBuilder.CheckLiveTable(TableRestoreMode.Replace, TableRestoreSource.Dump, null, "public.t", "db");
        Assert.Equal(ErrorIds.NoPrimaryKey, Id(() => RestorePlanBuilder.CheckRestorable(TableRestoreMode.MissingRows, Live(primaryKey: false), null, "public.t")));
        RestorePlanBuilder.CheckRestorable(TableRestoreMode.Staging, Live(primaryKey: false), null, "public.t");
        var child = new ArchiveTocEntry(1, "TABLE", "public", "t", "o") { Definition = "CREATE TABLE public.t (\n    a integer\n)\nINHERITS (public.p);" };
        Assert.Equal(ErrorIds.TableNotSupported, Id(() => RestorePlanBuilder.CheckRestorable(TableRestoreMode.Staging, null, child, "public.t")));
        Assert.Equal(ErrorIds.TableNotSupported, Id(() => RestorePlanBuilder.CheckRestorable(TableRestoreMode.Replace, Live(hierarchy: "a partition"), null, "public.t")));
        RestorePlanBuilder.CheckRestorable(TableRestoreMode.MissingRows, Live(hierarchy: "a partition"), null, "public.t");
    }

    [Fact]
    public void Replaced_names_fit_in_63_bytes()
    {
        var longName = new string('a', 60);
        Assert.Equal(63, ReplacedNames.Table(longName, Stamp).Length);
        Assert.EndsWith("_replaced_" + Stamp, ReplacedNames.Table(longName, Stamp));
        Assert.Equal("t_replaced_" + Stamp, ReplacedNames.Table("t", Stamp));
        Assert.Equal(63, ReplacedNames.Suffixed(longName, Stamp).Length);
        Assert.Equal("idx_r20261128010000", ReplacedNames.Suffixed("idx", Stamp));
    }

    [Fact]
    public void Replaced_names_of_accented_tables_fit_in_63_bytes_with_the_suffix_whole()
    {
        // 43 characters, 45 bytes: cut by characters the name would be 64 bytes and the server would cut the suffix.
        const string accented = "información_de_atenciones_ambulatorias_2024";
        foreach (var name in new[] { ReplacedNames.Table(accented, Stamp), ReplacedNames.Suffixed(accented + "_pkey_ñandú", Stamp) })
        {
            Assert.True(System.Text.Encoding.UTF8.GetByteCount(name) <= 63, name);
            Assert.Matches(@"_(replaced_\d{8}_\d{6}|r\d{14})$", name);
        }
        Assert.StartsWith("información_de_atenciones", ReplacedNames.Table(accented, Stamp));
        Assert.Matches(StagingMarker.ReplacedName, ReplacedNames.Table(accented, Stamp));
    }

    [Fact]
    public void A_deferrable_key_locks_out_writers_and_inserts_without_on_conflict()
    {
        var live = Live();
        Assert.Null(RestorePlanBuilder.InsertLockSql(live, "public.asegurados"));
        Assert.Contains("ON CONFLICT DO NOTHING", RestorePlanBuilder.InsertMissingSql(live, "public.asegurados", "pg_temp.asegurados"),
            StringComparison.Ordinal);
        live.DeferrableUnique = true;
        Assert.Equal("LOCK TABLE public.asegurados IN SHARE ROW EXCLUSIVE MODE", RestorePlanBuilder.InsertLockSql(live, "public.asegurados"));
        var sql = RestorePlanBuilder.InsertMissingSql(live, "public.asegurados", "pg_temp.asegurados");
        Assert.DoesNotContain("ON CONFLICT", sql, StringComparison.Ordinal);
        Assert.Contains("WHERE NOT EXISTS (SELECT 1 FROM public.asegurados l WHERE l.\"id\" = s.\"id\")", sql, StringComparison.Ordinal);
    }
}
