using System;
using System.Buffers;
using System.Collections.Generic;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Compression;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Archive;

/// <summary>
/// Rewrites a pg_dump custom-format archive (format 1.14: pg_dump 12–15) read from a stream, compressing its
/// data blocks at the requested level on every core, and writes the result to another stream.
/// <para>
/// Why: pg_dump compresses on one core, so at level 9 it spends most of a 4-million-row dump in zlib. The
/// module asks pg_dump for level 1 (cheap) and recompresses here in parallel; the header then records the
/// requested level. Header and table of contents are copied byte for byte; only the compression field
/// changes. Each data block becomes one zlib stream, as pg_restore expects.
/// </para>
/// </summary>
public static class CustomArchiveRecompressor
{
    private const byte BlockData = 1;
    private const byte BlockBlobs = 3;

    /// <summary>Archive format versions (major, minor) this rewriter understands.</summary>
    public static bool Supports(int pgDumpMajor) => pgDumpMajor is >= 12 and <= 15;

    /// <summary>
    /// Copies <paramref name="input"/> to <paramref name="output"/>, recompressing data at <paramref name="level"/> (0–9);
    /// the rows of the tables in <paramref name="taps"/> also go to their tap as they pass (see <see cref="ArchiveTableTap"/>).
    /// </summary>
    public static async Task RunAsync(Stream input, Stream output, int level, CancellationToken cancellationToken,
        IReadOnlyList<ArchiveTableTap>? taps = null)
    {
        taps ??= Array.Empty<ArchiveTableTap>();
        try
        {
            await RewriteAsync(input, output, level, taps, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            foreach (var tap in taps) tap.Fail(ex);
            throw;
        }
        // The archive ended: a table whose block never came has none (a partitioned table; its partitions have theirs).
        foreach (var tap in taps) tap.NotFound();
    }

    private static async Task RewriteAsync(Stream input, Stream output, int level, IReadOnlyList<ArchiveTableTap> taps, CancellationToken cancellationToken)
    {
        var reader = NewReader(input);
        var writer = new ArchiveWriter(output);

        // Header: "PGDMP", vmaj, vmin, vrev, intSize, offSize, format, compression (int), 7 ints, 3 strings.
        var head = await reader.ReadBytesAsync(11, cancellationToken).ConfigureAwait(false);
        if (head.Span[0] != 'P' || head.Span[1] != 'G' || head.Span[2] != 'D' || head.Span[3] != 'M' || head.Span[4] != 'P')
            throw Unexpected("the stream does not start with PGDMP");
        int vmaj = head.Span[5], vmin = head.Span[6];
        if (vmaj != 1 || vmin != 14)
            throw Unexpected($"archive format {vmaj}.{vmin} is not the 1.14 this rewriter knows");
        reader.IntSize = head.Span[8];
        reader.OffSize = head.Span[9];
        if (head.Span[10] != 1) throw Unexpected("not a custom-format archive");
        await writer.WriteAsync(head, cancellationToken).ConfigureAwait(false);
        var inputCompression = await reader.ReadIntAsync(cancellationToken).ConfigureAwait(false);
        await writer.WriteIntAsync(level, reader.IntSize, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < 7; i++) await CopyIntAsync(reader, writer, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < 3; i++) await CopyStrAsync(reader, writer, cancellationToken).ConfigureAwait(false);

        // Table of contents (1.14): copied as is.
        string? archiveEncoding = null;
        var count = await CopyIntAsync(reader, writer, cancellationToken).ConfigureAwait(false);
        for (var e = 0; e < count; e++)
        {
            var dumpId = await CopyIntAsync(reader, writer, cancellationToken).ConfigureAwait(false);
            await CopyIntAsync(reader, writer, cancellationToken).ConfigureAwait(false); // hadDumper
            await CopyStrAsync(reader, writer, cancellationToken).ConfigureAwait(false); // tableoid
            var oid = await CopyStrValueAsync(reader, writer, cancellationToken).ConfigureAwait(false);
            await CopyStrAsync(reader, writer, cancellationToken).ConfigureAwait(false); // tag
            var desc = await CopyStrValueAsync(reader, writer, cancellationToken).ConfigureAwait(false);
            await CopyIntAsync(reader, writer, cancellationToken).ConfigureAwait(false); // section
            var defn = await CopyStrValueAsync(reader, writer, cancellationToken).ConfigureAwait(false);
            for (var s = 1; s < 8; s++) await CopyStrAsync(reader, writer, cancellationToken).ConfigureAwait(false); // dropStmt … withOids
            if (desc == "ENCODING") archiveEncoding = defn;
            while (await CopyStrAsync(reader, writer, cancellationToken).ConfigureAwait(false) >= 0) { } // dependencies, NULL-terminated
            await writer.WriteAsync(await reader.ReadBytesAsync(1 + reader.OffSize, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false); // data offset
            // A table's data entry carries the table's own oid (pg_dump's TableDataInfo).
            if (desc == "TABLE DATA")
            {
                foreach (var tap in taps) if (tap.DumpId is null && tap.TableOid == oid) tap.DumpId = dumpId;
            }
        }

        // pg_dump writes its data in its session's client_encoding, which a role or database setting can make other
        // than the UTF-8 the module's exports are in: then no tap gets rows (the exports read with a COPY of their own).
        if (taps.Count > 0 && archiveEncoding is not ("SET client_encoding = 'UTF8';\n" or "SET client_encoding = 'SQL_ASCII';\n"))
        {
            var encoding = archiveEncoding?.Trim() ?? "no ENCODING entry";
            foreach (var tap in taps) tap.NotFound($"pg_dump wrote its data with {encoding}, the exports are UTF-8");
        }

        // Data blocks until the end of the stream.
        var zlevel = ZlibLevels.ToCompressionLevel(level);
        while (true)
        {
            var type = await reader.TryReadByteAsync(cancellationToken).ConfigureAwait(false);
            if (type < 0) break;
            await writer.WriteAsync(new[] { (byte)type }, cancellationToken).ConfigureAwait(false);
            var blockId = await CopyIntAsync(reader, writer, cancellationToken).ConfigureAwait(false); // dumpId
            if (type == BlockData)
            {
                ArchiveTableTap? tapped = null;
                foreach (var tap in taps) if (tap.DumpId == blockId && !tap.Found.IsCompleted) tapped = tap;
                if (tapped is null)
                {
                    await RecompressChunksAsync(reader, writer, inputCompression, level, zlevel, null, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    tapped.Begin();
                    var (segments, wantRows) = await tapped.WaitAttachedAsync(cancellationToken).ConfigureAwait(false);
                    var holdback = new CopyTailHoldback(wantRows ? tapped.WriteAsync : static (_, _) => ValueTask.CompletedTask);
                    segments?.Begin();
                    await RecompressChunksAsync(reader, writer, inputCompression, level, zlevel, holdback, cancellationToken,
                        segments is null ? null : segments.Segment).ConfigureAwait(false);
                    var rows = await holdback.CompleteAsync(cancellationToken).ConfigureAwait(false);
                    segments?.End(rows, holdback.EndOfData);
                    await tapped.EndAsync(rows).ConfigureAwait(false);
                }
            }
            else if (type == BlockBlobs)
            {
                while (await CopyIntAsync(reader, writer, cancellationToken).ConfigureAwait(false) != 0) // blob oid, 0 ends
                {
                    await RecompressChunksAsync(reader, writer, inputCompression, level, zlevel, null, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                throw Unexpected($"unknown block type {type}");
            }
        }
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task RecompressChunksAsync(PgArchiveReader reader, ArchiveWriter writer, int inputCompression, int level, CompressionLevel zlevel,
        CopyTailHoldback? tee, CancellationToken cancellationToken, ParallelZlibWriter.SegmentObserver? onSegment = null)
    {
        var chunks = new PgArchiveChunkStream(reader);
        Stream source = inputCompression == 0 ? chunks : new ZLibStream(chunks, CompressionMode.Decompress);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        ParallelZlibWriter? zlib = null;
        try
        {
            zlib = level == 0 ? null : new ParallelZlibWriter(zlevel, (piece, ct) => writer.WriteChunkAsync(piece, reader.IntSize, ct),
                onSegment: onSegment);
            int n;
            // Whole buffers: an uncompressed archive has one chunk per row, and each piece costs a call down the line.
            while ((n = await FillAsync(source, buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (zlib is null) await writer.WriteChunkAsync(buffer.AsMemory(0, n), reader.IntSize, cancellationToken).ConfigureAwait(false);
                else await zlib.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                if (tee is not null) await tee.AddAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            }
            if (zlib is not null) await zlib.CompleteAsync(cancellationToken).ConfigureAwait(false);
            zlib = null;
        }
        catch
        {
            // The segments being compressed finish and give their buffers back before the failure is reported.
            zlib?.Abandon();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        // A compressed input stream may end before its chunk list does; drain to the terminating zero.
        await chunks.DrainAsync(cancellationToken).ConfigureAwait(false);
        await writer.WriteIntAsync(0, reader.IntSize, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the block ends; 0 at its end.</summary>
    private static async ValueTask<int> FillAsync(Stream source, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = await source.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            filled += n;
        }
        return filled;
    }

    private static CenateException Unexpected(string why) => new(ErrorIds.PgDumpFailed, CenateErrorKind.InvalidData,
        Messages.Format("PgDumpFailed.Recompress", why), Messages.Get("PgDumpFailed.Recompress.Action"), null);

    private static PgArchiveReader NewReader(Stream input) =>
        new(input, Unexpected, () => Unexpected("the archive ends in the middle of a record"));

    private static async ValueTask<int> CopyIntAsync(PgArchiveReader reader, ArchiveWriter writer, CancellationToken ct)
    {
        var raw = await reader.ReadRawIntAsync(ct).ConfigureAwait(false);
        await writer.WriteAsync(raw, ct).ConfigureAwait(false);
        return reader.DecodeInt(raw.Span);
    }

    /// <summary>Copies a length-prefixed string and returns it (null for NULL); for the short fields of a TOC entry.</summary>
    private static async ValueTask<string?> CopyStrValueAsync(PgArchiveReader reader, ArchiveWriter writer, CancellationToken ct)
    {
        var length = await CopyIntAsync(reader, writer, ct).ConfigureAwait(false);
        if (length < 0) return null;
        if (length == 0) return "";
        var bytes = await reader.ReadBytesAsync(length, ct).ConfigureAwait(false);
        await writer.WriteAsync(bytes, ct).ConfigureAwait(false);
        return System.Text.Encoding.UTF8.GetString(bytes.Span);
    }

    /// <summary>Copies a length-prefixed string; returns its length (-1 for NULL).</summary>
    private static async ValueTask<int> CopyStrAsync(PgArchiveReader reader, ArchiveWriter writer, CancellationToken ct)
    {
        var length = await CopyIntAsync(reader, writer, ct).ConfigureAwait(false);
        if (length > 0) await writer.WriteAsync(await reader.ReadBytesAsync(length, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        return length;
    }

    /// <summary>Buffered writes in pg_dump's encoding.</summary>
    private sealed class ArchiveWriter
    {
        private readonly Stream _stream;
        private readonly byte[] _buffer = new byte[1 << 20];
        private int _len;

        public ArchiveWriter(Stream stream) => _stream = stream;

        public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            if (_len + data.Length > _buffer.Length) await FlushAsync(ct).ConfigureAwait(false);
            if (data.Length > _buffer.Length)
            {
                await _stream.WriteAsync(data, ct).ConfigureAwait(false);
                return;
            }
            data.CopyTo(_buffer.AsMemory(_len));
            _len += data.Length;
        }

        public ValueTask WriteIntAsync(int value, int intSize, CancellationToken ct)
        {
            var raw = new byte[1 + intSize];
            raw[0] = (byte)(value < 0 ? 1 : 0);
            var v = (uint)Math.Abs((long)value);
            for (var i = 1; i <= intSize; i++) { raw[i] = (byte)(v & 0xFF); v >>= 8; }
            return WriteAsync(raw, ct);
        }

        public async ValueTask WriteChunkAsync(ReadOnlyMemory<byte> chunk, int intSize, CancellationToken ct)
        {
            if (chunk.Length == 0) return; // a zero length would end the block
            await WriteIntAsync(chunk.Length, intSize, ct).ConfigureAwait(false);
            await WriteAsync(chunk, ct).ConfigureAwait(false);
        }

        public async ValueTask FlushAsync(CancellationToken ct)
        {
            if (_len == 0) return;
            await _stream.WriteAsync(_buffer.AsMemory(0, _len), ct).ConfigureAwait(false);
            _len = 0;
        }
    }
}
