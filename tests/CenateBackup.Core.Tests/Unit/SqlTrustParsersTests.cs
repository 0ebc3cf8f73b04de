using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Restores;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// The parsers that decide what of a backup file is accepted (issue 23 §2): the SQL scanner counts statements the way
/// the server would split them, the COPY header is the one plain statement, and TOC entries are the kind pg_dump writes.
/// </summary>
public sealed class SqlTrustParsersTests
{
    [Theory]
    [InlineData("SELECT 1", 1)]
    [InlineData("SELECT 1;", 1)]
    [InlineData("SELECT 1; SELECT 2", 2)]
    [InlineData("SELECT ';'; DROP TABLE t", 2)]
    [InlineData("SELECT 'it''s; fine'", 1)]
    [InlineData("SELECT E'a\\'; still the string'", 1)]
    [InlineData("SELECT \"a;b\"\"c\" FROM t", 1)]
    [InlineData("SELECT $$;$$", 1)]
    [InlineData("SELECT $cenate$ ; $$ ; $cenate$", 1)]
    [InlineData("SELECT $cenate$ x $cenate$; DROP TABLE t", 2)]
    [InlineData("SELECT 1 -- ; DROP TABLE t\n", 1)]
    [InlineData("SELECT 1 /* ; /* nested ; */ ; */ ", 1)]
    [InlineData("SELECT 1 /* ; */; DROP TABLE t", 2)]
    [InlineData("SELECT $1; SELECT 2", 2)]
    [InlineData(";;;", 0)]
    [InlineData("-- only a comment", 0)]
    public void The_scanner_counts_statements_as_the_server_splits_them(string sql, int count) =>
        Assert.Equal(count, SqlStatementScanner.Statements(sql).Count);

    [Theory]
    [InlineData("SELECT 'open")]
    [InlineData("SELECT \"open")]
    [InlineData("SELECT $x$ open")]
    [InlineData("SELECT 1 /* open")]
    [InlineData("SELECT 1 /* /* */ still open")]
    public void Text_that_does_not_lex_to_its_end_is_refused(string sql) =>
        Assert.Throws<FormatException>(() => SqlStatementScanner.Statements(sql));

    // Finding 1 of the attacker review: the scanner must cut where the server's lexer (scan.l) cuts.
    [Theory]
    [InlineData("SELECT 1 -- x\rCOPY (SELECT 1) TO PROGRAM 'touch /tmp/x'; SELECT 2", 2)] // a -- comment ends at a carriage return
    [InlineData("SELECT 1 -- x\r\n; DROP TABLE t", 2)]
    [InlineData("SELECT 1 AS \u00A0$a$; DROP TABLE t; SELECT 1 AS \u00A0$a$", 3)] // U+00A0 is an identifier character, not white space
    [InlineData("SELECT 1 AS \u0085$a$; DROP TABLE t; SELECT 1 AS \u0085$a$", 3)]
    [InlineData("SELECT 1 AS \u2000$a$; DROP TABLE t; SELECT 1 AS \u2000$a$", 3)]
    [InlineData("SELECT 1 AS a$b$; DROP TABLE t; SELECT 1 AS c$b$", 3)] // $ continues an identifier: no dollar quote opens
    [InlineData("SELECT 1 AS \u00E9$b$; DROP TABLE t; SELECT 1", 3)]
    [InlineData("SELECT $\u00E9$;$\u00E9$", 1)] // a dollar quote's tag may hold characters above U+007F
    [InlineData("SELECT $a$ $b$a$; DROP TABLE t", 2)]
    [InlineData("SELECT E'\\''; DROP TABLE t", 2)] // E'\'' is one quote
    [InlineData("SELECT E'\\\\'; DROP TABLE t", 2)] // E'\\' is one backslash
    [InlineData("SELECT e'x\\'; y'; DROP TABLE t", 2)]
    [InlineData("SELECT 'a\\'; DROP TABLE t; --'", 2)] // a backslash is only a character in a standard string
    [InlineData("SELECT xe'a\\'; DROP TABLE t", 2)] // only a one-letter E makes an escape string
    [InlineData("SELECT X''; DROP TABLE t; --'", 2)] // B'' and X'' do not double quotes
    [InlineData("SELECT B'0'';DROP TABLE t; --'", 1)]
    [InlineData("SELECT N'a'';b'", 1)]
    [InlineData("SELECT U&'a'';' ; DROP TABLE t", 2)]
    [InlineData("SELECT U&\"a\"\";\" ; DROP TABLE t", 2)]
    [InlineData("SELECT E'a'\n'\\'; DROP TABLE t; --'", 1)] // a string continued after a newline keeps its kind
    [InlineData("SELECT X'00' -- c\n  '' ; DROP TABLE t; --'", 2)]
    [InlineData("SELECT 'a' 'b;'; DROP TABLE t", 2)] // no newline: no continuation
    [InlineData("SELECT 1 /* a /* b */ ; */ ; DROP TABLE t", 2)]
    [InlineData("SELECT 1 /*/ ; */ ; DROP TABLE t", 2)]
    [InlineData("SELECT 1 +/* ; */-- ;\n; DROP TABLE t", 2)]
    [InlineData("SELECT $1; SELECT $2", 2)]
    public void The_scanner_cuts_where_the_server_cuts(string sql, int count) =>
        Assert.Equal(count, SqlStatementScanner.Statements(sql).Count);

    [Theory]
    [InlineData("SELECT 1\v; SELECT 2")] // a vertical tab is white space only since PostgreSQL 16
    [InlineData("SELECT 1\u0001")]
    [InlineData("SELECT 1a")] // "1a": an error since 15, 1 and a before
    [InlineData("SELECT 1e'\\'; DROP TABLE t; --'")]
    [InlineData("SELECT 0x1F")]
    [InlineData("SELECT 1_000")]
    [InlineData("SELECT $1a")]
    [InlineData("SELECT \"\" FROM t")]
    [InlineData("SELECT E'open\\")]
    [InlineData("SELECT X'00'\n'open")]
    public void What_server_versions_read_differently_or_reject_is_refused(string sql) =>
        Assert.Throws<FormatException>(() => SqlStatementScanner.Statements(sql));

    [Theory]
    [InlineData("CREATE TABLE t (a int); -- x")]
    [InlineData("CREATE TABLE t (a int /* x */);")]
    [InlineData("CREATE TABLE t (a int);\r\n")]
    [InlineData("CREATE TABLE t (a int);\f")]
    [InlineData("CREATE TABLE t (\u00A0a int);")]
    [InlineData("CREATE TABLE t (a\u00E9 int);")]
    [InlineData("CREATE TABLE t (a text DEFAULT $\u00E9$x$\u00E9$);")]
    [InlineData("CREATE TABLE t (a text DEFAULT U&'x');")]
    [InlineData("CREATE TABLE t (a text DEFAULT 'a\0');")]
    [InlineData("CREATE TABLE t (a text DEFAULT 'a'\n'b');")]
    public void Pg_dump_text_has_no_comments_nor_anything_but_ascii_outside_quotes(string sql) =>
        Assert.Throws<FormatException>(() => SqlStatementScanner.PgDumpStatements(sql));

    [Fact]
    public void Pg_dump_text_keeps_any_character_inside_quotes() =>
        Assert.Single(SqlStatementScanner.PgDumpStatements("CREATE TABLE t (\"a\u00A0\r\" text DEFAULT '\u00F1\r\u2000--'::text, b text DEFAULT $$/*$$);\n"));

    [Fact]
    public void Statement_texts_are_cut_at_the_servers_semicolons() =>
        Assert.Equal(new[] { "SELECT 1 -- x\r", " SELECT ';'", " SELECT $a$;$a$ " }, SqlStatementScanner.StatementTexts("SELECT 1 -- x\r; SELECT ';'; SELECT $a$;$a$ ;;  -- end\n"));

    [Fact]
    public void Unquoted_names_fold_ascii_only_as_the_server_does() =>
        Assert.Equal(new[] { "asegurados", "\u00C9x" }, SqlStatementScanner.Tokenize("ASEGURADOS \u00C9X").Select(t => t.Value));

    [Theory]
    [InlineData("COPY public.asegurados (id, nombres) FROM stdin;", "public", "asegurados", new[] { "id", "nombres" })]
    [InlineData("COPY \"public\".\"asegurados\" (\"id\", \"Nombres\") FROM stdin;", "public", "asegurados", new[] { "id", "Nombres" })]
    [InlineData("COPY \"Esq;uema\".\"t;\"\"q$cenate$\" (\"c;ol\", x) FROM STDIN;", "Esq;uema", "t;\"q$cenate$", new[] { "c;ol", "x" })]
    [InlineData("COPY Public.Asegurados (ID) FROM stdin; -- a comment after it\n", "public", "asegurados", new[] { "id" })]
    public void A_plain_copy_header_gives_its_names(string text, string schema, string table, string[] columns)
    {
        var h = SqlCopyHeader.TryParse(text, out var why);
        Assert.True(h is not null, why);
        Assert.Equal(schema, h!.Schema);
        Assert.Equal(table, h.Table);
        Assert.Equal(columns, h.Columns);
    }

    [Theory]
    [InlineData("COPY public.asegurados (id) FROM PROGRAM 'touch /tmp/x'; COPY public.asegurados (id) FROM stdin;")]
    [InlineData("COPY public.asegurados (id) FROM PROGRAM 'touch /tmp/x';")]
    [InlineData("COPY public.asegurados (id) FROM '/etc/passwd';")]
    [InlineData("COPY public.asegurados (id) FROM stdin; DROP TABLE public.asegurados;")]
    [InlineData("COPY public.asegurados (id) FROM stdin WITH (FORMAT csv);")]
    [InlineData("COPY public.asegurados (id) FROM stdin")]
    [InlineData("COPY public.asegurados FROM stdin;")]
    [InlineData("COPY public.asegurados (id, id) FROM stdin;")]
    [InlineData("COPY public.asegurados (id, (SELECT 1)) FROM stdin;")]
    [InlineData("COPY db.public.asegurados (id) FROM stdin;")]
    [InlineData("COPY public.asegurados (id) TO stdout;")]
    [InlineData("COPY public.asegurados (id) FROM \"stdin\";")]
    [InlineData("COPY public.asegurados (\"id) FROM stdin;")]
    [InlineData("SELECT 1;")]
    public void Anything_but_the_plain_copy_header_is_refused(string text) => Assert.Null(SqlCopyHeader.TryParse(text, out _));

    [Theory]
    [InlineData("SET statement_timeout = 0", true)]
    [InlineData("SET client_encoding = 'UTF8'", true)]
    [InlineData("SET client_encoding = 'LATIN1'", false)]
    [InlineData("SET standard_conforming_strings = on", true)]
    [InlineData("SELECT pg_catalog.set_config('search_path', '', false)", true)]
    [InlineData("SET search_path = evil", false)]
    [InlineData("SET role = postgres", false)]
    [InlineData("SELECT pg_catalog.set_config('role', 'postgres', false)", false)]
    [InlineData("SET statement_timeout = 0; DROP TABLE t", false)]
    public void Only_the_settings_pg_dump_writes_are_recognised(string sql, bool harmless) =>
        Assert.Equal(harmless, SqlStatementScanner.Statements(sql).All(DataOnlySqlScript.IsSessionSetting));

    [Theory]
    [InlineData("SELECT pg_catalog.setval('\"public\".\"asegurados_id_seq\"', 20000, true)", true)]
    [InlineData("SELECT pg_catalog.setval('public.x', 1, false)", true)]
    [InlineData("SELECT pg_catalog.setval('public.x', (SELECT 1), true)", false)]
    [InlineData("SELECT pg_catalog.pg_sleep(1)", false)]
    public void Setval_lines_are_recognised(string sql, bool ok) =>
        Assert.Equal(ok, DataOnlySqlScript.IsSequenceSetval(SqlStatementScanner.Statements(sql).Single()));

    private static readonly (string, string) s_table = ("public", "asegurados");
    private static readonly List<(string, string)> s_sequences = new() { ("public", "asegurados_id_seq") };

    private static ArchiveTocEntry Entry(string kind, string definition) => new(7, kind, "public", "asegurados", "cenate") { Definition = definition };

    [Theory]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (\n    id bigint NOT NULL,\n    nombres text DEFAULT 'a;b'::text\n);\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (\n    id bigint NOT NULL\n)\nWITH (fillfactor='90');\n\n\nALTER TABLE ONLY public.asegurados ALTER COLUMN id SET STATISTICS 500;\n")]
    [InlineData("TABLE", "CREATE UNLOGGED TABLE public.asegurados (id int) PARTITION BY RANGE (id);\n")]
    [InlineData("SEQUENCE", "ALTER TABLE public.asegurados ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (\n    SEQUENCE NAME public.asegurados_id_seq\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1\n);\n")]
    [InlineData("SEQUENCE", "CREATE SEQUENCE public.asegurados_id_seq\n    AS integer\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;\n")]
    [InlineData("SEQUENCE OWNED BY", "ALTER SEQUENCE public.asegurados_id_seq OWNED BY public.asegurados.id;\n")]
    [InlineData("SEQUENCE SET", "SELECT pg_catalog.setval('public.asegurados_id_seq', 20000, true);\n")]
    [InlineData("DEFAULT", "ALTER TABLE ONLY public.asegurados ALTER COLUMN id SET DEFAULT nextval('public.asegurados_id_seq'::regclass);\n")]
    [InlineData("CONSTRAINT", "ALTER TABLE ONLY public.asegurados\n    ADD CONSTRAINT asegurados_pkey PRIMARY KEY (id);\n")]
    [InlineData("FK CONSTRAINT", "ALTER TABLE ONLY public.asegurados\n    ADD CONSTRAINT fk FOREIGN KEY (ipress) REFERENCES public.ipress(codigo);\n")]
    [InlineData("INDEX", "CREATE INDEX idx_asegurados_doc ON public.asegurados USING btree (numero_documento);\n")]
    [InlineData("INDEX", "CREATE UNIQUE INDEX \"i;x\" ON ONLY public.asegurados USING btree (id);\n")]
    [InlineData("TRIGGER", "CREATE TRIGGER trg AFTER DELETE ON public.asegurados FOR EACH ROW EXECUTE FUNCTION public.f();\n")]
    [InlineData("TRIGGER", "CREATE TRIGGER trg BEFORE UPDATE OF estado ON public.asegurados FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION public.f();\n")]
    [InlineData("COMMENT", "COMMENT ON TABLE public.asegurados IS 'it''s; fine';\n")]
    [InlineData("COMMENT", "COMMENT ON COLUMN public.asegurados.nombres IS $$x$$;\n")]
    [InlineData("POLICY", "CREATE POLICY p ON public.asegurados USING ((estado = 'A'::text));\n")]
    [InlineData("ROW SECURITY", "ALTER TABLE public.asegurados ENABLE ROW LEVEL SECURITY;\n")]
    [InlineData("COMMENT", "COMMENT ON CONSTRAINT asegurados_pkey ON public.asegurados IS 'pk';\n")]
    [InlineData("RULE", "CREATE RULE r AS\n    ON DELETE TO public.asegurados DO INSTEAD NOTHING;\n")]
    [InlineData("CONSTRAINT", "ALTER TABLE ONLY public.asegurados\n    ADD CONSTRAINT asegurados_pkey PRIMARY KEY (id);\n\nALTER TABLE public.asegurados CLUSTER ON asegurados_pkey;\n")]
    [InlineData("INDEX", "CREATE INDEX i ON public.asegurados USING btree (lower(nombres));\n\nALTER INDEX public.i ALTER COLUMN 1 SET STATISTICS 500;\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (\n    \"a\u00F1o\" text DEFAULT 'Se\u00F1or; -- \u00A0'::text,\n    \"x$a$\" integer,\n    b text DEFAULT E'a\\\\b'::text CHECK ((b <> 'seleccionado'::text))\n);\n")]
    [InlineData("COMMENT", "COMMENT ON TABLE public.asegurados IS 'select * from it; pg_read_file(x)';\n")]
    public void What_pg_dump_writes_passes(string kind, string definition) =>
        TocDefinitionGuard.Check("x.dump", Entry(kind, definition), s_table, s_sequences);

    [Theory]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (id int);\nCREATE TABLE public.injected (x int);\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (id int);\nALTER TABLE ONLY public.otra ALTER COLUMN id SET STATISTICS 5;\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (id int);\nALTER TABLE ONLY public.asegurados ALTER COLUMN id SET DEFAULT f();\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (id int DEFAULT 'x'; DROP TABLE t; --');\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (id int) /* ; */; DROP TABLE t;\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados AS SELECT 1;\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (id int) AS SELECT pg_sleep(1);\n")]
    [InlineData("TABLE", "CREATE TABLE public.otra (id int);\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (id int\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (id text DEFAULT $x$ open\n")]
    [InlineData("SEQUENCE", "CREATE SEQUENCE public.other_seq;\n")]
    [InlineData("SEQUENCE", "CREATE SEQUENCE public.asegurados_id_seq START WITH 1; SELECT 1;\n")]
    [InlineData("SEQUENCE SET", "SELECT pg_catalog.setval('public.asegurados_id_seq', (SELECT 1), true);\n")]
    [InlineData("SEQUENCE SET", "SELECT pg_catalog.pg_terminate_backend(1);\n")]
    [InlineData("DEFAULT", "ALTER TABLE ONLY public.otra ALTER COLUMN id SET DEFAULT 1;\n")]
    [InlineData("CONSTRAINT", "ALTER TABLE ONLY public.asegurados ADD CONSTRAINT k PRIMARY KEY (id);\nDROP TABLE public.victim;\n")]
    [InlineData("CONSTRAINT", "ALTER TABLE ONLY public.otra ADD CONSTRAINT k PRIMARY KEY (id);\n")]
    [InlineData("CONSTRAINT", "ALTER TABLE ONLY public.asegurados DROP CONSTRAINT k;\n")]
    [InlineData("INDEX", "CREATE INDEX i ON public.otra USING btree (id);\n")]
    [InlineData("INDEX", "DROP INDEX public.i;\n")]
    [InlineData("TRIGGER", "CREATE TRIGGER t AFTER DELETE ON public.otra FOR EACH ROW EXECUTE FUNCTION f();\n")]
    [InlineData("COMMENT", "COMMENT ON TABLE public.asegurados IS 'x'; DROP TABLE t;\n")]
    [InlineData("COMMENT", "COMMENT ON TABLE public.asegurados IS f();\n")]
    [InlineData("ROW SECURITY", "ALTER TABLE public.asegurados DISABLE ROW LEVEL SECURITY;\n")]
    [InlineData("ACL", "GRANT ALL ON TABLE public.asegurados TO PUBLIC;\n")]
    [InlineData("COMMENT", "COMMENT ON TABLE public.otra IS 'x';\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (id int CHECK ((pg_catalog.pg_read_file('/etc/passwd') IS NOT NULL)));\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (id int CHECK ((query_to_xml('select 1', true, true, '') IS NOT NULL)));\n")]
    [InlineData("CHECK CONSTRAINT", "ALTER TABLE public.asegurados ADD CONSTRAINT c CHECK (pg_terminate_backend(1) OR true) NOT VALID;\n")]
    [InlineData("DEFAULT", "ALTER TABLE ONLY public.asegurados ALTER COLUMN id SET DEFAULT \"lo_import\"('/etc/passwd');\n")]
    [InlineData("INDEX", "CREATE INDEX i ON public.asegurados USING btree ((set_config('role', 'x', false)));\n")]
    [InlineData("CONSTRAINT", "ALTER TABLE ONLY public.asegurados ADD CONSTRAINT k PRIMARY KEY (id);\nALTER TABLE public.otra CLUSTER ON k;\n")]
    [InlineData("INDEX", "CREATE INDEX i ON public.asegurados (id);\nALTER INDEX public.i ALTER COLUMN 1 SET STATISTICS 5; DROP TABLE t;\n")]
    [InlineData("INDEX", "CREATE INDEX i ON public.asegurados (id);\nALTER INDEX public.i RENAME TO j;\n")]
    [InlineData("RULE", "CREATE RULE r AS ON DELETE TO public.otra DO INSTEAD NOTHING;\n")]
    [InlineData("RULE", "CREATE RULE r AS ON DELETE TO public.asegurados DO INSTEAD (DELETE FROM public.otra; DELETE FROM public.x);\n")]
    // Finding 1: the two attack definitions of the review.
    [InlineData("TABLE", "CREATE TABLE public.asegurados (\n    id bigint NOT NULL\n);\n-- x\rCOPY (SELECT 1) TO PROGRAM 'touch /tmp/cenate_rev_pwn';\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (\n    id bigint NOT NULL,\n    \u00A0$a$ integer\n);\nCOPY (SELECT 1) TO PROGRAM 'touch /tmp/cenate_rev_pwn';\nSELECT 1 FROM (SELECT 1) AS s(\u00A0$a$)\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (\n    id bigint NOT NULL,\n    \u2000$a$ integer\n);\nCOPY (SELECT 1) TO PROGRAM 'touch /tmp/x';\nSELECT 1 FROM (SELECT 1) AS s(\u2000$a$)\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (\n    id bigint NOT NULL,\n    a$b$ integer\n);\nCOPY (SELECT 1) TO PROGRAM 'touch /tmp/x';\nSELECT $b$\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (\n    id bigint DEFAULT X''\n);\nCOPY (SELECT 1) TO PROGRAM 'touch /tmp/x'; --'\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (id int) /* ; */;\n")]
    // Finding 4: functions that run SQL given as text, and strings that read as SQL.
    [InlineData("TABLE", "CREATE TABLE public.asegurados (\n    id bigint,\n    CONSTRAINT rev_chk CHECK ((ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, (pg_read_file(''/etc/passwd'', 0, 40))::int::text::tsquery') IS NOT NULL))\n);\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (id bigint CHECK ((pg_catalog.ts_rewrite('a'::tsquery, 'x') IS NOT NULL)));\n")]
    [InlineData("TABLE", "CREATE TABLE public.asegurados (id bigint CHECK ((\"ts_stat\"('x') IS NOT NULL)));\n")]
    [InlineData("CHECK CONSTRAINT", "ALTER TABLE public.asegurados ADD CONSTRAINT c CHECK ((query_to_xmlschema('x', true, true, '') IS NOT NULL));\n")]
    [InlineData("CHECK CONSTRAINT", "ALTER TABLE public.asegurados ADD CONSTRAINT c CHECK ((table_to_xml_and_xmlschema('t', true, true, '') IS NOT NULL));\n")]
    [InlineData("DEFAULT", "ALTER TABLE ONLY public.asegurados ALTER COLUMN id SET DEFAULT public.dblink_exec('x');\n")]
    [InlineData("DEFAULT", "ALTER TABLE ONLY public.asegurados ALTER COLUMN id SET DEFAULT public.f('select 1');\n")]
    [InlineData("DEFAULT", "ALTER TABLE ONLY public.asegurados ALTER COLUMN id SET DEFAULT public.f('x pg_read_file (''/etc/passwd'')');\n")]
    public void Anything_else_is_UnsafeBackupContent(string kind, string definition)
    {
        var ex = Assert.Throws<CenateException>(() => TocDefinitionGuard.Check("x.dump", Entry(kind, definition), s_table, s_sequences));
        Assert.Equal(ErrorIds.UnsafeBackupContent, ex.ErrorId);
    }

    [Theory]
    [InlineData("COPY public.asegurados (id, nombres) FROM stdin;\n", true)]
    [InlineData("COPY public.otra (id) FROM stdin;\n", false)]
    [InlineData("COPY public.asegurados (id) FROM PROGRAM 'touch /tmp/m'; COPY public.asegurados (id) FROM stdin;\n", false)]
    public void The_data_entry_copy_must_be_plain_and_this_table(string copy, bool ok)
    {
        var entry = new ArchiveTocEntry(8, "TABLE DATA", "public", "asegurados", "cenate") { CopyStatement = copy };
        if (ok) Assert.Equal("asegurados", TocDefinitionGuard.CheckCopy("x.dump", entry, s_table).Table);
        else Assert.Equal(ErrorIds.UnsafeBackupContent, Assert.Throws<CenateException>(() => TocDefinitionGuard.CheckCopy("x.dump", entry, s_table)).ErrorId);
    }
}
