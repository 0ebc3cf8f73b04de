using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Errors;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// The version-dependent layout, on archives built byte by byte as pg_dump 9.x–17 write them
/// (pg_backup_archiver.c WriteHead/WriteToc, pg_backup_custom.c): no pg_dump 16 or 17 binary runs here.
/// </summary>
public sealed class CustomArchiveInspectorTests
{
    private static readonly byte[] Rows3 = Encoding.UTF8.GetBytes("1\tuno\n2\ta\\nb\\tc\\\\d\n3\t\\N\n");
    private static readonly byte[] Trailer = Encoding.ASCII.GetBytes("\\.\n\n\n");

    private static SyntheticEntry Table(int id, string schema, string name, string owner = "cenate") =>
        new(id, "TABLE", schema, name, owner, HasData: false, Section: 2, Deps: new[] { 1 });

    private static SyntheticEntry Data(int id, string schema, string name, string? copy = "COPY x FROM stdin;\n", string owner = "cenate") =>
        new(id, "TABLE DATA", schema, name, owner, HasData: true, CopyStmt: copy, Deps: new[] { id - 1 });

    /// <summary>A small database's archive: two tables with data, a sequence, a large object and an index.</summary>
    private static SyntheticArchive Sample(int minor, int compression, bool compress)
    {
        var a = new SyntheticArchive(minor).Header(compression, "base_sintetica", "17.2", "17.2");
        a.Toc(
            new SyntheticEntry(1, "SCHEMA", null, "Mis Datos", "cenate", HasData: false, Section: 2),
            Table(2, "public", "uno"),
            Data(3, "public", "uno"),
            Table(4, "Mis Datos", "Tabla Vacía"),
            Data(5, "Mis Datos", "Tabla Vacía"),
            new SyntheticEntry(6, "SEQUENCE SET", "public", "uno_id_seq", "cenate", HasData: false),
            new SyntheticEntry(7, "BLOBS", null, "BLOBS", "", HasData: true),
            new SyntheticEntry(8, "INDEX", "public", "uno_idx", "cenate", HasData: false, Section: 4));
        // Data blocks in another order than the table of contents; the dump id links them.
        a.DataBlock(5, compress, Trailer);
        a.BlobBlock(7, compress, (16385, Encoding.ASCII.GetBytes("a\nb\nc\n")), (16386, Array.Empty<byte>()));
        a.DataBlock(3, compress, Rows3.AsSpan(0, 7).ToArray(), Rows3.AsSpan(7).ToArray(), Trailer);
        return a;
    }

    private static Task<ArchiveContents> Read(byte[] bytes, bool countRows = true, int maxRead = int.MaxValue) =>
        CustomArchiveInspector.ReadAsync(new ForwardOnlyStream(bytes, maxRead), countRows, CancellationToken.None);

    [Theory]
    [InlineData(15, 0, false, "none", 0)]
    [InlineData(15, 1, true, "gzip", -1)]
    [InlineData(16, 0, false, "none", 0)]
    [InlineData(16, 1, true, "gzip", -1)]
    public async Task Formats_1_15_And_1_16_Read_Header_Toc_And_Rows(int minor, int algorithm, bool compress, string compression, int level)
    {
        var bytes = Sample(minor, algorithm, compress).ToArray();
        var contents = await Read(bytes);

        Assert.Equal(new ArchiveHeader(1, minor, 0, 4, 8, compression, level, "base_sintetica", "17.2", "17.2"), contents.Header);
        Assert.Equal($"1.{minor}", contents.Header.FormatVersion);
        Assert.Equal(new[] { 1, 2, 3, 4, 5, 6, 7, 8 }, contents.Entries.Select(e => e.DumpId));
        // Owner comes after tableam (1.14+) and relkind (1.16+): a misplaced field would garble it.
        Assert.Equal(new ArchiveTocEntry(5, "TABLE DATA", "Mis Datos", "Tabla Vacía", "cenate"), contents.Entries[4]);
        Assert.Equal(new ArchiveTocEntry(8, "INDEX", "public", "uno_idx", "cenate"), contents.Entries[7]);
        Assert.Null(contents.RowCountsUnavailable);
        Assert.Equal(new Dictionary<string, long> { ["public.uno"] = 3, ["Mis Datos.Tabla Vacía"] = 0 }, contents.RowCounts);
        Assert.Equal(new[] { "public.uno", "Mis Datos.Tabla Vacía" }, contents.RowCounts!.Keys);
    }

    [Theory]
    [InlineData(12, 0, false)]
    [InlineData(13, 6, true)]
    [InlineData(14, -1, true)]
    public async Task Formats_1_12_To_1_14_Record_A_Zlib_Level(int minor, int level, bool compress)
    {
        var contents = await Read(Sample(minor, level, compress).ToArray());
        Assert.Equal(level == 0 ? "none" : "gzip", contents.Header.Compression);
        Assert.Equal(level, contents.Header.CompressionLevel);
        Assert.Equal("cenate", contents.Entries[4].Owner);
        Assert.Equal(3, contents.RowCounts!["public.uno"]);
    }

    [Theory]
    [InlineData(15)]
    [InlineData(16)]
    public async Task Every_Field_Of_The_Toc_Is_Needed_For_Its_Version(int minor)
    {
        // The same entries written with the previous version's layout must not read as this version.
        var forged = Sample(minor - 1, 0, compress: false).ToArray();
        var header = new SyntheticArchive(minor).Header(0, "base_sintetica", "17.2", "17.2").ToArray();
        var older = new SyntheticArchive(minor - 1).Header(0, "base_sintetica", "17.2", "17.2").ToArray();
        var spliced = header.Concat(forged.Skip(older.Length)).ToArray();
        if (minor == 16)
        {
            await Assert.ThrowsAsync<CenateException>(() => Read(spliced));
        }
        else
        {
            // 1.15 changed only the header, so the 1.14 TOC is also a valid 1.15 TOC.
            Assert.Equal(3, (await Read(spliced)).RowCounts!["public.uno"]);
        }
    }

    [Theory]
    [InlineData(2, "lz4")]
    [InlineData(3, "zstd")]
    public async Task Lz4_And_Zstd_Data_Is_Read_Through_But_Not_Counted(int algorithm, string name)
    {
        // Opaque bytes stand in for the lz4/zstd frames: the inspector only walks the chunks.
        var bytes = Sample(16, algorithm, compress: false).ToArray();
        var contents = await Read(bytes);
        Assert.Equal(name, contents.Header.Compression);
        Assert.Equal(-1, contents.Header.CompressionLevel);
        Assert.Null(contents.RowCounts);
        Assert.Equal($"data compressed with {name}, which the module cannot read", contents.RowCountsUnavailable);

        var cut = await Assert.ThrowsAsync<CenateException>(() => Read(bytes[..^3]));
        Assert.Contains("ends early", cut.Message);
    }

    [Fact]
    public async Task Without_Counting_Only_Header_And_Toc_Are_Read()
    {
        var bytes = Sample(16, 1, compress: true).ToArray();
        var contents = await Read(bytes, countRows: false);
        Assert.Null(contents.RowCounts);
        Assert.Null(contents.RowCountsUnavailable);
        Assert.Equal(8, contents.Entries.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task Reads_Split_Anywhere_Give_The_Same_Result(int maxRead)
    {
        foreach (var (alg, compress) in new[] { (0, false), (1, true) })
        {
            var bytes = Sample(16, alg, compress).ToArray();
            var contents = await Read(bytes, maxRead: maxRead);
            Assert.Equal(3, contents.RowCounts!["public.uno"]);
            Assert.Equal(0, contents.RowCounts!["Mis Datos.Tabla Vacía"]);
        }
    }

    [Fact]
    public async Task ReadHeader_Consumes_Exactly_The_Header()
    {
        var archive = Sample(16, 1, compress: true);
        var headerLength = new SyntheticArchive(16).Header(1, "base_sintetica", "17.2", "17.2").ToArray().Length;
        var stream = new ForwardOnlyStream(archive.ToArray(), int.MaxValue);
        var header = await CustomArchiveInspector.ReadHeaderAsync(stream, CancellationToken.None);
        Assert.Equal("1.16", header.FormatVersion);
        Assert.Equal("gzip", header.Compression);
        Assert.Equal(headerLength, stream.Consumed);
    }

    [Fact]
    public async Task Insert_Statements_Are_Not_Counted_As_Lines()
    {
        var a = new SyntheticArchive(14).Header(0, "db", "15", "15");
        a.Toc(Table(1, "public", "t"), Data(2, "public", "t", copy: null));
        a.DataBlock(2, false, Encoding.ASCII.GetBytes("INSERT INTO public.t VALUES (1, 'a\nb');\n\n\n"));
        var contents = await Read(a.ToArray());
        Assert.Null(contents.RowCounts);
        Assert.Contains("INSERT", contents.RowCountsUnavailable);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public async Task A_Zlib_Stream_That_Stops_Short_Inside_Complete_Chunks_Is_Damage(int keep)
    {
        // .NET inflates a short zlib stream without complaint; pg_restore fails "could not uncompress data".
        var zlib = SyntheticArchive.Zlib(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("fila\\n\\tcon escapes\n", 500)) + "\\.\n\n\n"));
        var a = new SyntheticArchive(15).Header(1, "db", "16", "16");
        a.Toc(Table(1, "public", "t"), Data(2, "public", "t"));
        a.RawDataBlock(2, keep == 0 ? Array.Empty<byte[]>() : new[] { zlib[..(zlib.Length * keep / 5)] });
        var ex = await Assert.ThrowsAsync<CenateException>(() => Read(a.ToArray()));
        Assert.Contains("stops before its zlib stream ends", ex.Message);

        var whole = new SyntheticArchive(15).Header(1, "db", "16", "16");
        whole.Toc(Table(1, "public", "t"), Data(2, "public", "t"));
        whole.RawDataBlock(2, zlib[..100], zlib[100..]);
        Assert.Equal(500, (await Read(whole.ToArray())).RowCounts!["public.t"]);
    }

    [Fact]
    public async Task Data_Of_Other_Entries_Is_Not_Counted_As_A_Table()
    {
        var a = new SyntheticArchive(14).Header(0, "db", "15", "15");
        a.Toc(Table(1, "public", "t"), Data(2, "public", "t"),
            new SyntheticEntry(3, "BLOB COMMENTS", null, "BLOB COMMENTS", "cenate", HasData: true));
        a.DataBlock(3, false, Encoding.ASCII.GetBytes("COMMENT ON LARGE OBJECT 1 IS 'x';\n"));
        a.DataBlock(2, false, Encoding.ASCII.GetBytes("7\n"), Trailer);
        var contents = await Read(a.ToArray());
        Assert.Equal(new Dictionary<string, long> { ["public.t"] = 1 }, contents.RowCounts);
    }

    public static IEnumerable<object[]> Damage() => new[]
    {
        new object[] { "unknown block type", (Action<SyntheticArchive>)(a => a.Byte(2).Int(3).Int(0)), "block type 2" },
        new object[] { "unknown dump id", (Action<SyntheticArchive>)(a => a.DataBlock(99, false, Trailer)), "dump id 99" },
        new object[] { "two blocks for one entry", (Action<SyntheticArchive>)(a => a.DataBlock(3, false, Trailer)), "two data blocks" },
        new object[] { "bad sign byte", (Action<SyntheticArchive>)(a => a.Byte(1).Byte(7).Bytes(new byte[] { 3, 0, 0, 0 })), "sign byte" },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public async Task Bytes_Pg_Dump_Does_Not_Write_Are_Damage_Not_Truncation(string what, Action<SyntheticArchive> append, string expected)
    {
        var a = Sample(16, 0, compress: false);
        append(a);
        var ex = await Assert.ThrowsAsync<CenateException>(() => Read(a.ToArray()));
        Assert.Equal(ErrorIds.ArchiveInvalid, ex.ErrorId);
        Assert.Contains(expected, ex.Message);
        Assert.Contains("damaged", ex.Message);
        Assert.DoesNotContain("ends early", ex.Message);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public async Task Damaged_Compressed_Data_Says_So()
    {
        var a = new SyntheticArchive(14).Header(6, "db", "15", "15");
        a.Toc(Table(1, "public", "t"), Data(2, "public", "t"));
        var zlib = SyntheticArchive.Zlib(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("fila de datos\n", 1000)) + "\\.\n\n\n"));
        for (var i = 4; i < zlib.Length - 8; i += 7) zlib[i] ^= 0x5A;
        a.RawDataBlock(2, zlib);
        var ex = await Assert.ThrowsAsync<CenateException>(() => Read(a.ToArray()));
        Assert.Equal(ErrorIds.ArchiveInvalid, ex.ErrorId);
        Assert.Contains("damaged", ex.Message);
        Assert.Contains("TABLE DATA public.t", ex.Message);
    }

    [Fact]
    public async Task Every_Cut_Is_Reported_As_Ending_Early()
    {
        foreach (var (alg, compress) in new[] { (0, false), (1, true) })
        {
            var bytes = Sample(16, alg, compress).ToArray();
            for (var length = 5; length < bytes.Length; length++)
            {
                var ex = await Assert.ThrowsAsync<CenateException>(() => Read(bytes[..length]));
                Assert.Equal(ErrorIds.ArchiveInvalid, ex.ErrorId);
                Assert.Contains("ends early", ex.Message);
            }
        }
    }

    [Fact]
    public async Task A_File_With_Offsets_Expects_Only_The_Blocks_It_Marks()
    {
        // Written to a file, pg_dump rewrites the TOC with offsets (flag 2) for the entries that got data;
        // an entry that still says "not set" (flag 1) then has no block, and that is not a cut.
        var a = new SyntheticArchive(14).Header(0, "db", "15", "15");
        a.Toc(Table(1, "public", "t"), Data(2, "public", "t") with { OffsetFlag = 2 }, Data(4, "public", "u") with { OffsetFlag = 1 });
        a.DataBlock(2, false, Encoding.ASCII.GetBytes("1\n2\n"), Trailer);
        Assert.Equal(new Dictionary<string, long> { ["public.t"] = 2 }, (await Read(a.ToArray())).RowCounts);
    }

    [Theory]
    [InlineData(new byte[0], "empty")]
    [InlineData(new byte[] { (byte)'P', (byte)'G', (byte)'D' }, "too short")]
    [InlineData(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, "PNG")]
    [InlineData(new byte[] { 0x1F, 0x8B, 8, 0, 0, 0, 0, 0 }, "gzip")]
    [InlineData(new byte[] { (byte)'a', (byte)',', (byte)'b', (byte)'\n', (byte)'1', (byte)',', (byte)'2', (byte)'\n' }, "does not start with PGDMP")]
    public async Task Not_An_Archive_Is_Refused_By_Both_Entry_Points(byte[] bytes, string expected)
    {
        var a = await Assert.ThrowsAsync<CenateException>(() => CustomArchiveInspector.ReadHeaderAsync(new ForwardOnlyStream(bytes, int.MaxValue), CancellationToken.None));
        var b = await Assert.ThrowsAsync<CenateException>(() => Read(bytes));
        foreach (var ex in new[] { a, b })
        {
            Assert.Equal(ErrorIds.ArchiveInvalid, ex.ErrorId);
            Assert.Contains(expected, ex.Message);
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(17)]
    [InlineData(200)]
    public async Task Unknown_Format_Versions_Are_Named(int minor)
    {
        var bytes = Sample(16, 0, compress: false).ToArray();
        bytes[6] = (byte)minor;
        var ex = await Assert.ThrowsAsync<CenateException>(() => CustomArchiveInspector.ReadHeaderAsync(new MemoryStream(bytes), CancellationToken.None));
        Assert.Contains($"1.{minor}", ex.Message);
        Assert.Equal(ErrorIds.ArchiveInvalid, ex.ErrorId);
    }

    [Theory]
    [InlineData(5, "directory")]
    [InlineData(3, "tar")]
    public async Task Other_Pg_Dump_Formats_Are_Named(int format, string expected)
    {
        var bytes = Sample(16, 0, compress: false).ToArray();
        bytes[10] = (byte)format;
        var ex = await Assert.ThrowsAsync<CenateException>(() => Read(bytes));
        Assert.Contains(expected, ex.Message);
        Assert.Contains("not custom format", ex.Message);
    }

    [Fact]
    public async Task An_Unknown_Compression_Algorithm_Is_Damage()
    {
        var bytes = Sample(16, 0, compress: false).ToArray();
        bytes[11] = 9;
        var ex = await Assert.ThrowsAsync<CenateException>(() => Read(bytes));
        Assert.Contains("compression algorithm byte is 9", ex.Message);
    }

    [Fact]
    public async Task Random_Bytes_After_A_Valid_Header_Fail_Cleanly()
    {
        var header = new SyntheticArchive(14).Header(0, "db", "15", "15").ToArray();
        var random = new Random(20241127);
        for (var i = 0; i < 300; i++)
        {
            var tail = new byte[random.Next(1, 4000)];
            random.NextBytes(tail);
            var ex = await Assert.ThrowsAsync<CenateException>(() => Read(header.Concat(tail).ToArray()));
            Assert.Equal(ErrorIds.ArchiveInvalid, ex.ErrorId);
        }
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("\\.\n\n\n", 0)]
    [InlineData("1\n\\.\n\n\n", 1)]
    [InlineData("\n\n\\.\n\n\n", 2)]          // one text column holding '': empty lines are rows
    [InlineData("a\\.\n\\.\n\n\n", 1)]         // "\." inside a row is not the end marker
    [InlineData("\\\\.\n\\.\n\n\n", 1)]        // a value that is exactly \. is written \\.
    [InlineData("1\n2\n", 2)]                 // no end marker (not pg_dump's, but counted plainly)
    [InlineData("1\n\n\n", 3)]
    [InlineData("x\\.\n", 1)]
    public void Copy_Rows_Are_Lines_Without_The_End_Marker(string data, long rows)
    {
        var bytes = Encoding.ASCII.GetBytes(data);
        for (var piece = 1; piece <= Math.Max(1, bytes.Length); piece++)
        {
            var counter = new CopyRowCounter();
            for (var i = 0; i < bytes.Length; i += piece) counter.Add(bytes.AsSpan(i, Math.Min(piece, bytes.Length - i)));
            Assert.Equal(rows, counter.Rows);
        }
    }

    [Fact]
    public void Copy_Rows_Are_Counted_Across_Large_Pieces()
    {
        var row = Encoding.ASCII.GetBytes("12345\tsome text with a \\n and a \\t\n");
        var data = Enumerable.Range(0, 100_000).SelectMany(_ => row).Concat(Trailer).ToArray();
        var counter = new CopyRowCounter();
        for (var i = 0; i < data.Length; i += 1 << 20) counter.Add(data.AsSpan(i, Math.Min(1 << 20, data.Length - i)));
        Assert.Equal(100_000, counter.Rows);
    }
}
