using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Restores;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class TableRestoreUnitTests
{
    private static readonly Dictionary<string, string> Map = new(StringComparer.Ordinal)
    {
        ["public.asegurados"] = "\"cenate_restore_20261128_010000\".asegurados",
        ["public.asegurados_id_seq"] = "\"cenate_restore_20261128_010000\".asegurados_id_seq",
    };

    [Theory]
    [InlineData("CREATE TABLE public.asegurados (\n    id bigint NOT NULL\n);", "CREATE TABLE \"cenate_restore_20261128_010000\".asegurados (\n    id bigint NOT NULL\n);")]
    [InlineData("ALTER TABLE ONLY public.asegurados\n    ADD CONSTRAINT asegurados_pkey PRIMARY KEY (id);", "ALTER TABLE ONLY \"cenate_restore_20261128_010000\".asegurados\n    ADD CONSTRAINT asegurados_pkey PRIMARY KEY (id);")]
    [InlineData("CREATE INDEX asegurados_ubigeo_idx ON public.asegurados USING btree (ubigeo);", "CREATE INDEX asegurados_ubigeo_idx ON \"cenate_restore_20261128_010000\".asegurados USING btree (ubigeo);")]
    [InlineData("COMMENT ON COLUMN public.asegurados.nombres IS 'x';", "COMMENT ON COLUMN \"cenate_restore_20261128_010000\".asegurados.nombres IS 'x';")]
    [InlineData("SELECT pg_catalog.setval('public.asegurados_id_seq', 20000, true);", "SELECT pg_catalog.setval('\"cenate_restore_20261128_010000\".asegurados_id_seq', 20000, true);")]
    public void Rename_rewrites_the_table_and_its_sequences(string sql, string expected) => Assert.Equal(expected, RestorePlanBuilder.Rename(sql, Map));

    [Theory]
    // Other objects that only share a prefix, or live in another schema, keep their names.
    [InlineData("CREATE TRIGGER t BEFORE UPDATE ON public.asegurados_log FOR EACH ROW EXECUTE FUNCTION public.asegurados_set_updated_at();")]
    [InlineData("ALTER TABLE ONLY public.citas ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES otro.asegurados(id);")]
    [InlineData("SELECT 'mypublic.asegurados';")]
    [InlineData("CREATE VIEW public.v AS SELECT 1 FROM \"public.asegurados\";")]
    public void Rename_leaves_other_names_alone(string sql) => Assert.Equal(sql, RestorePlanBuilder.Rename(sql, Map));

    [Fact]
    public void Rename_handles_quoted_names()
    {
        var map = new Dictionary<string, string> { ["\"Esquema \"\"raro\"\"\".\"Tabla con espacios\""] = "\"cenate_restore_x\".\"Tabla con espacios\"" };
        Assert.Equal("CREATE TABLE \"cenate_restore_x\".\"Tabla con espacios\" (a int);",
            RestorePlanBuilder.Rename("CREATE TABLE \"Esquema \"\"raro\"\"\".\"Tabla con espacios\" (a int);", map));
    }

    // The COPY line's names come from SqlCopyHeader, the one parser of it (the restore's own re-parser is gone).
    [Theory]
    [InlineData("COPY public.asegurados (id, nombres) FROM stdin;", "public", "asegurados", new[] { "id", "nombres" })]
    [InlineData("COPY \"public\".\"asegurados\" (\"id\") FROM stdin;", "public", "asegurados", new[] { "id" })]
    [InlineData("COPY \"Esquema \"\"raro\"\"\".\"Tabla, con coma\" (\"x\") FROM stdin;", "Esquema \"raro\"", "Tabla, con coma", new[] { "x" })]
    public void Copy_lines_name_their_table(string line, string schema, string table, string[] columns)
    {
        var header = SqlCopyHeader.TryParse(line, out var why);
        Assert.True(header is not null, why);
        Assert.Equal((schema, table), (header!.Schema, header.Table));
        Assert.Equal(columns, header.Columns);
    }

    [Theory]
    [InlineData("id,nombres,apellido_paterno", new[] { "id", "nombres", "apellido_paterno" })]
    [InlineData("\"Columna, con coma\",\"x\"\"y\",plain", new[] { "Columna, con coma", "x\"y", "plain" })]
    [InlineData("solo", new[] { "solo" })]
    public void Csv_headers_give_their_columns(string line, string[] columns) => Assert.Equal(columns, CsvHeader.ParseColumns(line));

    private static async Task<(string Sent, long Rows)> Hold(string data, int piece)
    {
        var sent = new StringBuilder();
        var holdback = new CopyTailHoldback((chunk, _) => { sent.Append(Encoding.UTF8.GetString(chunk.Span)); return ValueTask.CompletedTask; });
        var bytes = Encoding.UTF8.GetBytes(data);
        for (var i = 0; i < bytes.Length; i += piece)
            await holdback.AddAsync(bytes.AsMemory(i, Math.Min(piece, bytes.Length - i)), CancellationToken.None);
        var rows = await holdback.CompleteAsync(CancellationToken.None);
        return (sent.ToString(), rows);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(4096)]
    public async Task The_end_of_data_line_is_never_sent(int piece)
    {
        var rows = string.Concat(Enumerable.Range(1, 40).Select(i => $"{i}\tfila\\n{i}\t\\\\.\n"));
        var (sent, count) = await Hold(rows + "\\.\n\n\n", piece);
        Assert.Equal(rows, sent);
        Assert.Equal(40, count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public async Task An_empty_table_sends_nothing(int piece)
    {
        var (sent, count) = await Hold("\\.\n\n\n", piece);
        Assert.Equal("", sent);
        Assert.Equal(0, count);
    }

    [Fact]
    public async Task Data_without_an_end_line_is_sent_whole()
    {
        var (sent, count) = await Hold("1\ta\n2\tb\n", 2);
        Assert.Equal("1\ta\n2\tb\n", sent);
        Assert.Equal(2, count);
    }
}
