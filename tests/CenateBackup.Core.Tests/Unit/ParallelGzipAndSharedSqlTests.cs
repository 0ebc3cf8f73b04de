using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Compression;
using CenateBackup.Core.Database;
using CenateBackup.Core.Exports;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// The gzip framing of <see cref="ParallelZlibWriter"/> (the table exports), and the data-only SQL written from an
/// archive's own compressed segments (<see cref="SqlGzFromArchive"/>): both must be one gzip member whose content is
/// exactly what a plain writer would produce.
/// </summary>
public sealed class ParallelGzipAndSharedSqlTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cenate-gz-" + Guid.NewGuid().ToString("N"));

    public ParallelGzipAndSharedSqlTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Sample(int size, int seed)
    {
        var rnd = new Random(seed);
        var data = new byte[size];
        const string text = "42253520\tGarcía\tChávez\tAna Lucía\t1984-01-22\tMz. \"K\" Lt. 7\\nRef.\t\\N\n";
        for (var i = 0; i < size; i++) data[i] = i % 4096 < 3072 ? (byte)text[i % text.Length] : (byte)rnd.Next(256);
        return data;
    }

    private static byte[] Gunzip(byte[] gz)
    {
        using var z = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        using var back = new MemoryStream();
        z.CopyTo(back);
        return back.ToArray();
    }

    /// <summary>The member's own trailer: CRC-32 and ISIZE of the content, little-endian.</summary>
    private static void AssertTrailer(byte[] gz, byte[] content)
    {
        Assert.Equal(0x1f, gz[0]);
        Assert.Equal(0x8b, gz[1]);
        Assert.Equal(8, gz[2]);
        Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(content), BitConverter.ToUInt32(gz, gz.Length - 8));
        Assert.Equal(unchecked((uint)content.Length), BitConverter.ToUInt32(gz, gz.Length - 4));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(ParallelZlibWriter.DefaultSegmentSize, 2)]
    [InlineData(ParallelZlibWriter.DefaultSegmentSize + 1, 3)]
    [InlineData(5 * 1024 * 1024 + 17, 4)]
    public void Gzip_Framing_Is_One_Member_With_The_Right_Trailer(int size, int seed)
    {
        var data = Sample(size, seed);
        foreach (var level in new[] { CompressionLevel.Fastest, CompressionLevel.Optimal, CompressionLevel.SmallestSize })
        {
            using var output = new MemoryStream();
            var writer = new ParallelZlibWriter(level, (piece, _) => { output.Write(piece.Span); return ValueTask.CompletedTask; }, gzip: true);
            var rnd = new Random(seed);
            for (var offset = 0; offset < size;)
            {
                var n = Math.Min(size - offset, 1 + rnd.Next(300_000));
                writer.Write(data.AsSpan(offset, n));
                offset += n;
            }
            writer.Complete();
            var gz = output.ToArray();
            Assert.Equal(data, Gunzip(gz));
            AssertTrailer(gz, data);
        }
    }

    [Fact]
    public void Gzip_Output_Passes_Gzip_Itself()
    {
        var data = Sample(3 * 1024 * 1024, 7);
        var path = Path.Combine(_dir, "x.csv.gz");
        using (var file = File.Create(path))
        {
            var writer = new ParallelZlibWriter(CompressionLevel.Optimal, (piece, _) => { file.Write(piece.Span); return ValueTask.CompletedTask; }, gzip: true);
            writer.Write(data);
            writer.Complete();
        }
        var psi = new ProcessStartInfo("gzip", new[] { "-dc", path }) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        using var back = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(back);
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        Assert.Equal(data, back.ToArray());
    }

    [Fact]
    public void An_Abandoned_Writer_Emits_Nothing_More()
    {
        var pieces = 0;
        var writer = new ParallelZlibWriter(CompressionLevel.Optimal, (_, _) => { pieces++; return ValueTask.CompletedTask; }, gzip: true);
        writer.Write(Sample(4 * 1024 * 1024, 9));
        var before = pieces;
        writer.Abandon();
        Assert.Equal(before, pieces);
    }

    [Fact]
    public void The_Segment_Observer_Sees_Every_Segment_In_Order_With_Its_Input()
    {
        var data = Sample(4 * 1024 * 1024 + 333, 11);
        using var zlib = new MemoryStream();
        using var deflate = new MemoryStream();
        using var input = new MemoryStream();
        var writer = new ParallelZlibWriter(CompressionLevel.Optimal, (piece, _) => { zlib.Write(piece.Span); return ValueTask.CompletedTask; },
            onSegment: (compressed, uncompressed) => { deflate.Write(compressed); input.Write(uncompressed); });
        writer.Write(data);
        writer.Complete();
        Assert.Equal(data, input.ToArray());
        // The segments are the zlib stream's deflate data, between its 2-byte header and its final block + Adler-32.
        var z = zlib.ToArray();
        Assert.Equal(z.AsSpan(2, z.Length - 2 - 6).ToArray(), deflate.ToArray());
    }

    private static TableShape Shape() => new(new QualifiedTable("public", "asegurados"), new List<string> { "id", "nombres", "ubigeo" },
        "UTF8", 3, 8192, new List<string> { "SELECT pg_catalog.setval('public.asegurados_id_seq', 3, true);" });

    private const string Header = "--\n-- Data-only dump of a table, written by test\n--\n\n";

    /// <summary>What <see cref="SqlFromCopyText"/> writes for <paramref name="rows"/>, uncompressed.</summary>
    private byte[] PlainSql(byte[] rows)
    {
        var path = Path.Combine(_dir, "plain-" + Guid.NewGuid().ToString("N") + ".sql");
        using (var file = new ExportFile(new AtomicBackupFile(path), null))
        {
            var sql = new SqlFromCopyText(file, Shape(), Header, null);
            if (rows.Length > 0) sql.Write(rows); // the pump never hands a consumer an empty piece
            sql.Complete();
            file.Commit();
        }
        return File.ReadAllBytes(path);
    }

    /// <summary>The shared writer fed as the recompressor feeds it: the block's data is rows + pg_dump's end-of-data line.</summary>
    private byte[] SharedSql(byte[] rows, CompressionLevel level, string endOfData = "\\.\n\n\n", int? segment = null)
    {
        var path = Path.Combine(_dir, "shared-" + Guid.NewGuid().ToString("N") + ".sql.gz");
        using var file = new AtomicBackupFile(path);
        var shared = new SqlGzFromArchive(file, Shape(), Header, level == CompressionLevel.SmallestSize ? 9 : 6);
        shared.Begin();
        var block = rows.Concat(Encoding.ASCII.GetBytes(endOfData)).ToArray();
        var writer = new ParallelZlibWriter(level, (_, _) => ValueTask.CompletedTask, segment ?? ParallelZlibWriter.DefaultSegmentSize,
            onSegment: shared.Segment);
        writer.Write(block);
        writer.Complete();
        shared.End(rows.Count(b => b == (byte)'\n'), Encoding.ASCII.GetBytes(endOfData));
        file.CommitAsync().GetAwaiter().GetResult();
        return File.ReadAllBytes(path);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(40_000)]
    public void Sql_Written_From_The_Archive_Segments_Is_Byte_For_Byte_The_Plain_Script(int rowCount)
    {
        var rows = new StringBuilder();
        for (var i = 1; i <= rowCount; i++) rows.Append(i).Append("\tNúñez O'Connor \"x\"\\t").Append(i % 7 == 0 ? "\\N" : "150101").Append('\n');
        var bytes = Encoding.UTF8.GetBytes(rows.ToString());
        foreach (var level in new[] { CompressionLevel.Optimal, CompressionLevel.SmallestSize })
        {
            var gz = SharedSql(bytes, level, segment: 64 * 1024);
            var content = Gunzip(gz);
            Assert.Equal(PlainSql(bytes), content);
            AssertTrailer(gz, content);
        }
    }

    [Fact]
    public void Pg_Dump_Data_Without_Its_End_Of_Data_Line_Is_Refused()
    {
        var rows = Encoding.UTF8.GetBytes("1\ta\tb\n");
        var ex = Assert.Throws<CenateBackup.Core.Errors.CenateException>(() => SharedSql(rows, CompressionLevel.Optimal, endOfData: "\\.\n"));
        Assert.Equal(CenateBackup.Core.Errors.ErrorIds.PgDumpFailed, ex.ErrorId);
    }

    [Fact]
    public void A_Closed_Export_Stops_The_Rewrite_Instead_Of_Writing_Into_A_Disposed_File()
    {
        var path = Path.Combine(_dir, "closed.sql.gz");
        using var file = new AtomicBackupFile(path);
        var shared = new SqlGzFromArchive(file, Shape(), Header, 6);
        shared.Begin();
        shared.Close();
        file.Dispose();
        Assert.Throws<OperationCanceledException>(() => shared.Segment(new byte[] { 1, 2 }, new byte[] { 3 }));
        Assert.Throws<OperationCanceledException>(() => shared.End(0, Encoding.ASCII.GetBytes("\\.\n\n\n")));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void The_Fast_Copy_Reader_Finds_What_It_Needs_In_The_Pinned_Npgsql()
    {
        // Directory.Packages.props pins Npgsql; an upgrade that renames the copy stream's buffer fields must fail here,
        // not silently make every export 1.4 times slower.
        Assert.True(CopyOutStream.FastPathAvailable);
    }
}
