using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Threading;
using System.Threading.Tasks;

namespace CenateBackup.Core.Compression;

/// <summary>
/// Writes ONE valid zlib stream (RFC 1950) — or, with <c>gzip: true</c>, one gzip member (RFC 1952) — whose deflate
/// data is compressed on several cores: the input is cut into segments, each compressed independently and ended with
/// a sync flush (byte-aligned, not final), the segments are emitted in order, then an empty final block and the
/// checksum of all input (zlib: Adler-32; gzip: CRC-32 and the length). Any inflater (pg_restore's, gzip's) reads it
/// as one stream. The cost is a few bytes per segment and no match across segment borders (negligible at megabyte
/// segments).
/// </summary>
public sealed class ParallelZlibWriter
{
    /// <summary>
    /// Sees each segment as it is emitted, in order: its deflate bytes (byte-aligned, ended by a sync flush, so they
    /// can be copied into another deflate stream as they are) and the input they hold.
    /// </summary>
    public delegate void SegmentObserver(ReadOnlySpan<byte> compressed, ReadOnlySpan<byte> uncompressed);

    private static readonly byte[] s_finalEmptyBlock = { 0x03, 0x00 };
    private readonly CompressionLevel _level;
    private readonly int _segmentSize;
    private readonly int _maxInFlight;
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> _emit;
    private readonly Queue<Task<CompressedSegment>> _inFlight = new();
    private byte[] _segment;
    private bool _segmentReturned;
    private int _filled;
    private Adler32 _adler;
    private readonly System.IO.Hashing.Crc32? _crc;
    private readonly SegmentObserver? _onSegment;
    private long _length;
    private bool _headerWritten;

    /// <summary>
    /// The default segment: just under 1 MB, so that a segment and its compressed form (which may be a little larger
    /// than the input) each fit a 1 MB pooled buffer; 2 MB segments took 4 MB output buffers from the pool.
    /// </summary>
    public const int DefaultSegmentSize = (1 << 20) - (16 << 10);

    /// <summary>Creates a writer that hands compressed pieces, in order, to <paramref name="emit"/>.</summary>
    public ParallelZlibWriter(CompressionLevel level, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> emit, int segmentSize = DefaultSegmentSize, int? maxInFlight = null,
        bool gzip = false, SegmentObserver? onSegment = null)
    {
        _level = level;
        _onSegment = onSegment;
        if (gzip) _crc = new System.IO.Hashing.Crc32();
        _emit = emit;
        _segmentSize = segmentSize;
        _maxInFlight = maxInFlight ?? Math.Max(2, Environment.ProcessorCount);
        _segment = ArrayPool<byte>.Shared.Rent(segmentSize);
    }

    /// <summary>Adds uncompressed data.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        Checksum(data.Span);
        while (data.Length > 0)
        {
            var n = Math.Min(data.Length, _segmentSize - _filled);
            data.Span[..n].CopyTo(_segment.AsSpan(_filled));
            _filled += n;
            data = data[n..];
            if (_filled == _segmentSize) await DispatchAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Adds uncompressed data, waiting (blocking this thread) when the compressors are all busy.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        Checksum(data);
        while (data.Length > 0)
        {
            var n = Math.Min(data.Length, _segmentSize - _filled);
            data[..n].CopyTo(_segment.AsSpan(_filled));
            _filled += n;
            data = data[n..];
            if (_filled == _segmentSize) DispatchAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Ends the stream, blocking this thread (see <see cref="CompleteAsync"/>).</summary>
    public void Complete() => CompleteAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Drops the stream after a failure: waits for the segments being compressed (so no pooled buffer is still in
    /// use) and emits nothing more.
    /// </summary>
    public void Abandon()
    {
        ReturnSegment();
        while (_inFlight.Count > 0)
        {
            var task = _inFlight.Dequeue();
            try
            {
                var done = task.GetAwaiter().GetResult();
                ArrayPool<byte>.Shared.Return(done.Buffer);
                if (done.Source is not null) ArrayPool<byte>.Shared.Return(done.Source);
            }
            catch (Exception) { /* the failure that made the caller give up is the one reported */ }
        }
    }

    /// <summary>Gives the segment being filled back to the pool, once.</summary>
    private void ReturnSegment()
    {
        if (_segmentReturned) return;
        _segmentReturned = true;
        ArrayPool<byte>.Shared.Return(_segment);
    }

    private void Checksum(ReadOnlySpan<byte> data)
    {
        if (_crc is null) _adler.Append(data);
        else { _crc.Append(data); _length += data.Length; }
    }

    /// <summary>Compresses what is left and ends the stream (final block and the checksum).</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_filled > 0) await DispatchAsync(cancellationToken).ConfigureAwait(false);
        await EnsureHeaderAsync(cancellationToken).ConfigureAwait(false);
        while (_inFlight.Count > 0) await EmitNextAsync(cancellationToken).ConfigureAwait(false);
        ReturnSegment();
        byte[] trailer;
        if (_crc is null)
        {
            trailer = new byte[6];
            BinaryPrimitives.WriteUInt32BigEndian(trailer.AsSpan(2), _adler.Value);
        }
        else
        {
            // gzip: CRC-32 and the input length modulo 2^32, both little-endian (RFC 1952).
            trailer = new byte[10];
            BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(2), _crc.GetCurrentHashAsUInt32());
            BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(6), unchecked((uint)_length));
        }
        s_finalEmptyBlock.CopyTo(trailer, 0);
        await _emit(trailer, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask EnsureHeaderAsync(CancellationToken cancellationToken)
    {
        if (_headerWritten) return;
        _headerWritten = true;
        if (_crc is not null)
        {
            // gzip member: magic, deflate, no flags, no mtime, XFL (2 slowest, 4 fastest), OS 3 (Unix).
            byte xfl = _level switch { CompressionLevel.Fastest => 4, CompressionLevel.SmallestSize => 2, _ => 0 };
            await _emit(new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3 }, cancellationToken).ConfigureAwait(false);
            return;
        }
        // CMF 0x78 (deflate, 32K window); FLG chosen so (CMF*256+FLG) % 31 == 0, with the level hint.
        byte flg = _level switch { CompressionLevel.Fastest => 0x01, CompressionLevel.SmallestSize => 0xDA, _ => 0x9C };
        await _emit(new byte[] { 0x78, flg }, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask DispatchAsync(CancellationToken cancellationToken)
    {
        await EnsureHeaderAsync(cancellationToken).ConfigureAwait(false);
        var segment = _segment;
        var length = _filled;
        _segment = ArrayPool<byte>.Shared.Rent(_segmentSize);
        _filled = 0;
        var level = _level;
        var keep = _onSegment is not null;
        _inFlight.Enqueue(Task.Run(() =>
        {
            try { return CompressSegmentPooled(segment, length, level) with { Source = keep ? segment : null, SourceLength = length }; }
            finally { if (!keep) ArrayPool<byte>.Shared.Return(segment); }
        }, cancellationToken));
        while (_inFlight.Count >= _maxInFlight) await EmitNextAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask EmitNextAsync(CancellationToken cancellationToken)
    {
        var compressed = await _inFlight.Dequeue().ConfigureAwait(false);
        try
        {
            await _emit(compressed.Buffer.AsMemory(0, compressed.Length), cancellationToken).ConfigureAwait(false);
            _onSegment?.Invoke(compressed.Buffer.AsSpan(0, compressed.Length), compressed.Source.AsSpan(0, compressed.SourceLength));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(compressed.Buffer);
            if (compressed.Source is not null) ArrayPool<byte>.Shared.Return(compressed.Source);
        }
    }

    private readonly record struct CompressedSegment(byte[] Buffer, int Length)
    {
        /// <summary>The input, kept until the segment is emitted when a <see cref="SegmentObserver"/> wants it.</summary>
        public byte[]? Source { get; init; }
        public int SourceLength { get; init; }
    }

    /// <summary>Like <see cref="CompressSegment"/>, into a pooled buffer (no large-object garbage per segment).</summary>
    private static CompressedSegment CompressSegmentPooled(byte[] data, int length, CompressionLevel level)
    {
        // Deflate grows incompressible data by a few bytes per stored block; this bound leaves ample room. Should a
        // segment ever not fit, it is compressed again into a buffer twice its size.
        var buffer = ArrayPool<byte>.Shared.Rent(length + (length >> 10) + 1024);
        while (true)
        {
            try
            {
                using var output = new MemoryStream(buffer, 0, buffer.Length, writable: true, publiclyVisible: true);
                var deflate = new DeflateStream(output, level, leaveOpen: true);
                deflate.Write(data, 0, length);
                deflate.Flush(); // Z_SYNC_FLUSH: byte-aligned, ends with 00 00 FF FF, not final
                var flushed = (int)output.Position;
                try { deflate.Dispose(); } catch (NotSupportedException) { } // the final block may not fit: it is dropped anyway
                return new CompressedSegment(buffer, flushed);
            }
            catch (NotSupportedException)
            {
                var bigger = buffer.Length * 2;
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = ArrayPool<byte>.Shared.Rent(bigger);
            }
        }
    }

    /// <summary>Raw deflate of one segment, ended by a sync flush (so segments concatenate).</summary>
    public static byte[] CompressSegment(byte[] data, int length, CompressionLevel level)
    {
        using var output = new MemoryStream(length / 2 + 1024);
        var deflate = new DeflateStream(output, level, leaveOpen: true);
        deflate.Write(data, 0, length);
        deflate.Flush(); // Z_SYNC_FLUSH: byte-aligned, ends with 00 00 FF FF, not final
        var flushed = (int)output.Length;
        deflate.Dispose(); // appends the final block, which is dropped
        return output.GetBuffer().AsSpan(0, flushed).ToArray();
    }
}
