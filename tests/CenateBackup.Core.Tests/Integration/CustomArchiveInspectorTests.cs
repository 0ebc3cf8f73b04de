using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Errors;
using Npgsql;
using Xunit;

namespace CenateBackup.Core.Tests.Integration;

/// <summary>
/// A database of its own (random name, dropped afterwards) with the awkward cases: an empty table, values with
/// newlines, tabs and backslashes, a one-column table of empty strings, a zero-column table, 50,000 rows, names
/// that need quotes, an index, constraints, a trigger, a sequence, a materialized view and a large object.
/// </summary>
public sealed class InspectorDatabase : IAsyncLifetime
{
    public string Name { get; } = "cenate_inspect_" + Guid.NewGuid().ToString("N")[..10];
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "cenate-inspect-" + Guid.NewGuid().ToString("N")[..8]);
    public Dictionary<string, long> Expected { get; } = new(StringComparer.Ordinal);
    public string ServerVersion { get; private set; } = "";
    public string PgDumpVersion { get; private set; } = "";

    /// <summary>Archives written to a file (-f, seekable: the TOC gets data offsets), by compression level.</summary>
    public Dictionary<int, string> Files { get; } = new();

    /// <summary>Archives written to stdout through a pipe (no data offsets), by compression level.</summary>
    public Dictionary<int, byte[]> Piped { get; } = new();

    private static readonly string[] Tables =
    {
        "\"Mis Datos\".\"Tabla Vacía\"", "public.texto_raro", "public.solo_texto", "public.sin_columnas", "\"Mis Datos\".\"Grande\"",
    };

    public static string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Rig.Port, Username = "cenate", Password = Rig.Password, Database = database, Pooling = false,
    }.ConnectionString;

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        await using (var admin = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        await using (var conn = new NpgsqlConnection(ConnectionString(Name)))
        {
            await conn.OpenAsync();
            await using (var setup = new NpgsqlCommand(Setup, conn)) await setup.ExecuteNonQueryAsync();
            foreach (var table in Tables)
            {
                await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", conn);
                var key = table.Replace("\"", "", StringComparison.Ordinal);
                Expected[key] = (long)(await count.ExecuteScalarAsync())!;
            }
            await using var version = new NpgsqlCommand("SHOW server_version", conn);
            ServerVersion = (string)(await version.ExecuteScalarAsync())!;
        }
        PgDumpVersion = Encoding.UTF8.GetString(await ArchiveTools.RunAsync("pg_dump", "--version")).Trim().Replace("pg_dump (PostgreSQL) ", "", StringComparison.Ordinal);
        foreach (var level in new[] { 0, 6 })
        {
            Files[level] = Path.Combine(Directory, $"z{level}.dump");
            await ArchiveTools.RunAsync("pg_dump", ArchiveTools.DumpArgs(Name, level).Concat(new[] { "-f", Files[level] }).ToArray());
            Piped[level] = await ArchiveTools.RunAsync("pg_dump", ArchiveTools.DumpArgs(Name, level));
        }
    }

    public async Task DisposeAsync()
    {
        await using (var admin = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    private const string Setup = """
        CREATE SCHEMA "Mis Datos";
        CREATE TABLE "Mis Datos"."Tabla Vacía" (id int PRIMARY KEY, nombre text);
        CREATE TABLE public.texto_raro (id int PRIMARY KEY, t text, b bytea, CONSTRAINT texto_raro_id_check CHECK (id > 0));
        INSERT INTO public.texto_raro VALUES
            (1, E'línea 1\nlínea 2\n', NULL),
            (2, E'tab\taquí', E'\\x00ff0a'),
            (3, E'barra \\ punto \\. y \\N', NULL),
            (4, E'\\.', NULL),
            (5, '', ''),
            (6, NULL, NULL),
            (7, E'\r\nwindows\r\n', NULL),
            (8, E'termina en barra \\', NULL);
        CREATE TABLE public.solo_texto (t text);
        INSERT INTO public.solo_texto VALUES (''), (''), (E'\\.'), ('');
        CREATE TABLE public.sin_columnas ();
        INSERT INTO public.sin_columnas DEFAULT VALUES;
        INSERT INTO public.sin_columnas DEFAULT VALUES;
        INSERT INTO public.sin_columnas DEFAULT VALUES;
        CREATE TABLE "Mis Datos"."Grande" (id bigint PRIMARY KEY, v text NOT NULL, ref int REFERENCES public.texto_raro (id));
        INSERT INTO "Mis Datos"."Grande" SELECT g, md5(g::text) || E'\n\t' || g, 1 + g % 8 FROM generate_series(1, 50000) g;
        CREATE INDEX grande_v_idx ON "Mis Datos"."Grande" (v);
        CREATE FUNCTION public.toca() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
        CREATE TRIGGER grande_toca BEFORE UPDATE ON "Mis Datos"."Grande" FOR EACH ROW EXECUTE FUNCTION public.toca();
        CREATE SEQUENCE public.contador;
        SELECT setval('public.contador', 42);
        CREATE MATERIALIZED VIEW public.resumen AS SELECT count(*) AS n FROM "Mis Datos"."Grande";
        SELECT lo_from_bytea(0, E'objeto\ngrande\n'::bytea);
        """;
}

internal static class ArchiveTools
{
    public static string[] DumpArgs(string database, int level, params string[] extra) =>
        new[] { "-h", "127.0.0.1", "-p", Rig.Port.ToString(CultureInfo.InvariantCulture), "-U", "cenate", "-d", database, "-Fc", "-Z", level.ToString(CultureInfo.InvariantCulture) }
            .Concat(extra).ToArray();

    public static Process Start(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PGPASSWORD"] = Rig.Password;
        return Process.Start(psi)!;
    }

    public static async Task<byte[]> RunAsync(string tool, params string[] args)
    {
        using var p = Start(tool, args);
        var err = p.StandardError.ReadToEndAsync();
        using var ms = new MemoryStream();
        await p.StandardOutput.BaseStream.CopyToAsync(ms);
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"{tool} failed: {await err}");
        return ms.ToArray();
    }
}

/// <summary>Custom-format archives from the local pg_dump 15, read as files and straight from pg_dump's stdout pipe.</summary>
public sealed class CustomArchiveInspectorTests : IClassFixture<InspectorDatabase>
{
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(60);
    private readonly InspectorDatabase _db;

    public CustomArchiveInspectorTests(InspectorDatabase db) => _db = db;

    private static Task<ArchiveContents> Read(byte[] bytes, bool countRows = true) =>
        CustomArchiveInspector.ReadAsync(new NoSeekStream(new MemoryStream(bytes)), countRows, CancellationToken.None).WaitAsync(NoHang);

    private void AssertArchive(ArchiveContents contents, int level)
    {
        Assert.Equal("1.14", contents.Header.FormatVersion);
        Assert.Equal(level == 0 ? "none" : "gzip", contents.Header.Compression);
        Assert.Equal(level, contents.Header.CompressionLevel);
        Assert.Equal(_db.Name, contents.Header.DatabaseName);
        Assert.Equal(_db.PgDumpVersion, contents.Header.PgDumpVersion);
        Assert.Equal(_db.ServerVersion, contents.Header.ServerVersion);
        Assert.Equal(4, contents.Header.IntSize);
        Assert.Equal(8, contents.Header.OffSize);

        Assert.Null(contents.RowCountsUnavailable);
        Assert.NotNull(contents.RowCounts);
        Assert.Equal(_db.Expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), contents.RowCounts!.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.Equal(50_000, contents.RowCounts["Mis Datos.Grande"]);
        Assert.Equal(0, contents.RowCounts["Mis Datos.Tabla Vacía"]);

        void Has(string desc, string? schema, string tag) =>
            Assert.Contains(contents.Entries, e => e.Description == desc && e.Schema == schema && e.Tag == tag && (e.Owner == "cenate" || desc == "BLOBS"));
        Has("SCHEMA", null, "Mis Datos");
        Has("TABLE", "Mis Datos", "Grande");
        Has("TABLE DATA", "Mis Datos", "Grande");
        Has("INDEX", "Mis Datos", "grande_v_idx");
        Has("CONSTRAINT", "Mis Datos", "Grande Grande_pkey");
        Has("CONSTRAINT", "public", "texto_raro texto_raro_pkey");
        Has("FK CONSTRAINT", "Mis Datos", "Grande Grande_ref_fkey");
        Has("TRIGGER", "Mis Datos", "Grande grande_toca");
        Has("SEQUENCE SET", "public", "contador");
        Has("MATERIALIZED VIEW DATA", "public", "resumen");
        Has("BLOBS", null, "BLOBS");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public async Task A_File_Archive_Counts_Exactly_What_Select_Count_Says(int level)
    {
        await using var file = new FileStream(_db.Files[level], FileMode.Open, FileAccess.Read);
        var contents = await CustomArchiveInspector.ReadAsync(new NoSeekStream(file), true, CancellationToken.None).WaitAsync(NoHang);
        AssertArchive(contents, level);
        Assert.Equal(file.Length, file.Position); // read to the end
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public async Task An_Archive_Read_Straight_From_The_Pg_Dump_Pipe_Counts_The_Same(int level)
    {
        using var p = ArchiveTools.Start("pg_dump", ArchiveTools.DumpArgs(_db.Name, level));
        var err = p.StandardError.ReadToEndAsync();
        Assert.False(p.StandardOutput.BaseStream.CanSeek);
        var contents = await CustomArchiveInspector.ReadAsync(p.StandardOutput.BaseStream, true, CancellationToken.None).WaitAsync(NoHang);
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, await err);
        AssertArchive(contents, level);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public async Task Piped_Archives_Without_Offsets_Read_Like_Files(int level)
    {
        var piped = await Read(_db.Piped[level]);
        var file = await Read(await File.ReadAllBytesAsync(_db.Files[level]));
        AssertArchive(piped, level);
        Assert.Equal(file.Entries, piped.Entries);
        // The two differ in the TOC's data offsets (set only in the file); both are otherwise the same dump.
        Assert.NotEqual(await File.ReadAllBytesAsync(_db.Files[level]), _db.Piped[level]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public async Task Several_Data_Blocks_Stream_In_One_Pass_In_Archive_Order(int level)
    {
        var bytes = _db.Piped[level];
        var contents = await Read(bytes, countRows: false);
        var data = contents.Entries.Where(e => e.Description == "TABLE DATA" && e.Schema is "Mis Datos" or "public").ToList();
        var wanted = data.Where(e => e.Tag is "Grande" or "texto_raro" or "Tabla Vacía").Select(e => e.DumpId).Reverse().ToList();
        Assert.Equal(3, wanted.Count);
        var seen = new List<int>();
        var lines = new Dictionary<int, long>();
        var total = await CustomArchiveInspector.StreamTablesDataAsync(new NoSeekStream(new MemoryStream(bytes)), wanted, async (id, streamIt) =>
        {
            seen.Add(id);
            long newlines = 0;
            var rows = await streamIt((chunk, _) =>
            {
                newlines += chunk.Span.Count((byte)'\n');
                return ValueTask.CompletedTask;
            });
            lines[id] = newlines;
            return rows;
        }, null, CancellationToken.None).WaitAsync(NoHang);
        // The archive's order, not the order asked for; each block's rows as select count(*) says.
        Assert.Equal(data.Select(e => e.DumpId).Where(wanted.Contains), seen);
        Assert.Equal(50_000 + _db.Expected["public.texto_raro"], total);
        foreach (var e in data.Where(e => wanted.Contains(e.DumpId)))
            Assert.Equal(_db.Expected[e.Schema + "." + e.Tag], lines[e.DumpId]);
    }

    [Fact]
    public async Task A_Block_Missing_From_A_Cut_Archive_Is_Named()
    {
        var bytes = _db.Piped[0];
        var contents = await Read(bytes, countRows: false);
        var last = contents.Entries.Last(e => e.Description == "TABLE DATA");
        var cut = bytes.AsSpan(0, bytes.Length - 1000).ToArray();
        var ex = await Assert.ThrowsAsync<CenateException>(() => CustomArchiveInspector.StreamTablesDataAsync(
            new NoSeekStream(new MemoryStream(cut)), new[] { last.DumpId }, (_, s) => s((_, _) => ValueTask.CompletedTask), null,
            CancellationToken.None).WaitAsync(NoHang));
        Assert.Equal(ErrorIds.ArchiveInvalid, ex.ErrorId);
    }

    [Fact]
    public async Task The_Toc_Is_What_Pg_Restore_Lists()
    {
        var contents = await Read(_db.Piped[6], countRows: false);
        Assert.Null(contents.RowCounts);
        var listing = Encoding.UTF8.GetString(await ArchiveTools.RunAsync("pg_restore", "-l", _db.Files[6]));
        var lines = listing.Split('\n').Where(l => l.Length > 0 && !l.StartsWith(';')).ToList();
        Assert.True(lines.Count > 20, listing);
        var byId = contents.Entries.ToDictionary(e => e.DumpId);
        foreach (var line in lines)
        {
            // "dumpId; tableoid oid desc schema tag owner"
            var id = int.Parse(line[..line.IndexOf(';', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            var e = byId[id];
            Assert.EndsWith($" {e.Description} {e.Schema ?? "-"} {e.Tag} {e.Owner}", line);
        }
    }

    [Fact]
    public async Task Insert_Dumps_Say_Why_Rows_Are_Not_Counted()
    {
        var bytes = await ArchiveTools.RunAsync("pg_dump", ArchiveTools.DumpArgs(_db.Name, 0, "--inserts", "-t", "public.texto_raro"));
        var contents = await Read(bytes);
        Assert.Null(contents.RowCounts);
        Assert.Contains("INSERT", contents.RowCountsUnavailable);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(0, 60)]
    [InlineData(0, 99)]
    [InlineData(6, 10)]
    [InlineData(6, 60)]
    [InlineData(6, 99)]
    public async Task A_Cut_Archive_Ends_Early(int level, int percent)
    {
        var whole = _db.Piped[level];
        var ex = await Assert.ThrowsAsync<CenateException>(() => Read(whole[..(int)(whole.LongLength * percent / 100)]));
        Assert.Equal(ErrorIds.ArchiveInvalid, ex.ErrorId);
        Assert.Contains("ends early", ex.Message);

        var file = await File.ReadAllBytesAsync(_db.Files[level]);
        ex = await Assert.ThrowsAsync<CenateException>(() => Read(file[..(int)(file.LongLength * percent / 100)]));
        Assert.Contains("ends early", ex.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public async Task Every_Sampled_Cut_Ends_Early_Never_Hangs_Or_Crashes(int level)
    {
        var whole = _db.Piped[level];
        var cuts = Enumerable.Range(0, 120).Select(i => (int)(whole.LongLength * i / 120))
            .Concat(Enumerable.Range(1, 40).Select(i => whole.Length - i))
            .Where(c => c >= 5).Distinct();
        foreach (var cut in cuts)
        {
            var ex = await Assert.ThrowsAsync<CenateException>(() => Read(whole[..cut]));
            Assert.True(ex.Message.Contains("ends early", StringComparison.Ordinal), $"cut at {cut} of {whole.Length}: {ex.Message}");
        }
    }

    [Fact]
    public async Task Garbage_Is_Refused_Clearly()
    {
        var random = new Random(1234);
        var noise = new byte[1 << 20];
        random.NextBytes(noise);
        var png = new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }.Concat(noise.Take(5000)).ToArray();
        var csv = Encoding.UTF8.GetBytes("tipo_documento,numero,apellidos\nDNI,12345678,\"PÉREZ, ANA\"\n");
        var sql = await ArchiveTools.RunAsync("pg_dump", "-h", "127.0.0.1", "-p", Rig.Port.ToString(CultureInfo.InvariantCulture), "-U", "cenate", "-d", _db.Name, "-t", "public.solo_texto");
        foreach (var (bytes, expected) in new[] { (noise, "PGDMP"), (png, "PNG"), (csv, "text"), (Array.Empty<byte>(), "empty"), (sql, "plain SQL dump") })
        {
            var ex = await Assert.ThrowsAsync<CenateException>(() => Read(bytes));
            Assert.Equal(ErrorIds.ArchiveInvalid, ex.ErrorId);
            Assert.Contains("not a pg_dump custom-format archive", ex.Message);
            Assert.Contains(expected, ex.Message);
            var header = await Assert.ThrowsAsync<CenateException>(() => CustomArchiveInspector.ReadHeaderAsync(new MemoryStream(bytes), CancellationToken.None).WaitAsync(NoHang));
            Assert.Equal(ex.Message, header.Message);
        }
    }

    [Fact]
    public async Task Garbage_After_Or_Inside_A_Real_Archive_Is_Damage()
    {
        var whole = _db.Piped[0];
        var appended = whole.Concat(Encoding.ASCII.GetBytes("\u0007 trailing garbage")).ToArray();
        var ex = await Assert.ThrowsAsync<CenateException>(() => Read(appended));
        Assert.Contains("damaged", ex.Message);
        Assert.DoesNotContain("ends early", ex.Message);

        // Any byte flipped in the zlib data fails (inflate error or Adler-32 mismatch), or breaks the block structure.
        var compressed = _db.Piped[6];
        for (var i = 0; i < 40; i++)
        {
            var copy = (byte[])compressed.Clone();
            var at = (int)(compressed.LongLength * (50 + i) / 100) - i;
            copy[at] ^= 0x10;
            var flipped = await Assert.ThrowsAsync<CenateException>(() => Read(copy));
            Assert.Equal(ErrorIds.ArchiveInvalid, flipped.ErrorId);
        }
    }

    [Fact]
    public async Task Version_1_17_Is_Named_And_A_Forged_1_16_Header_Still_Reads()
    {
        var original = _db.Piped[6];
        var v17 = (byte[])original.Clone();
        v17[6] = 17;
        var ex = await Assert.ThrowsAsync<CenateException>(() => CustomArchiveInspector.ReadHeaderAsync(new MemoryStream(v17), CancellationToken.None));
        Assert.Contains("1.17", ex.Message);
        ex = await Assert.ThrowsAsync<CenateException>(() => Read(v17));
        Assert.Contains("1.17", ex.Message);

        // 1.15+ records the algorithm in one byte where 1.14 has the 5-byte level: forge that too.
        var v16 = original[..11].Concat(new byte[] { 1 }).Concat(original[16..]).ToArray();
        v16[6] = 16;
        var header = await CustomArchiveInspector.ReadHeaderAsync(new MemoryStream(v16), CancellationToken.None);
        Assert.Equal("1.16", header.FormatVersion);
        Assert.Equal("gzip", header.Compression);
        Assert.Equal(-1, header.CompressionLevel);
        Assert.Equal(_db.Name, header.DatabaseName);
        Assert.Equal(_db.PgDumpVersion, header.PgDumpVersion);
        // Its TOC has no relkind fields, so reading on must fail cleanly.
        var toc = await Record.ExceptionAsync(() => Read(v16));
        Assert.IsType<CenateException>(toc);

        // Patching only the version byte leaves a 1.14 header under a 1.16 label: a clean refusal or a read, never a crash.
        var naive = (byte[])original.Clone();
        naive[6] = 16;
        var outcome = await Record.ExceptionAsync(() => CustomArchiveInspector.ReadHeaderAsync(new MemoryStream(naive), CancellationToken.None));
        Assert.True(outcome is null or CenateException, outcome?.ToString());
    }
}

/// <summary>Passes reads through; any attempt to seek or ask the position fails the test.</summary>
internal sealed class NoSeekStream : Stream
{
    private readonly Stream _inner;

    public NoSeekStream(Stream inner) => _inner = inner;

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.ReadAsync(buffer, offset, count, cancellationToken);
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException("no seeking");
    public override long Position { get => throw new NotSupportedException("no seeking"); set => throw new NotSupportedException("no seeking"); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("no seeking");
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
