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
/// Writes ONE valid zlib stream (RFC 1950) whose deflate data is compressed on several cores: the input is cut
/// into segments, each compressed independently and ended with a sync flush (byte-aligned, not final), the
/// segments are emitted in order, then an empty final block and the Adler-32 of all input. Any zlib inflater
/// (pg_restore's included) reads it as one stream. The cost is a few bytes per segment and no match across
/// segment borders (negligible at megabyte segments).
/// </summary>
public sealed class ParallelZlibWriter
{
    private static readonly byte[] s_finalEmptyBlock = { 0x03, 0x00 };
    private readonly CompressionLevel _level;
    private readonly int _segmentSize;
    private readonly int _maxInFlight;
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> _emit;
    private readonly Queue<Task<CompressedSegment>> _inFlight = new();
    private byte[] _segment;
    private int _filled;
    private Adler32 _adler;
    private bool _headerWritten;

    /// <summary>Creates a writer that hands compressed pieces, in order, to <paramref name="emit"/>.</summary>
    public ParallelZlibWriter(CompressionLevel level, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> emit, int segmentSize = 1 << 21, int? maxInFlight = null)
    {
        _level = level;
        _emit = emit;
        _segmentSize = segmentSize;
        _maxInFlight = maxInFlight ?? Math.Max(2, Environment.ProcessorCount + 1);
        _segment = ArrayPool<byte>.Shared.Rent(segmentSize);
    }

    /// <summary>Adds uncompressed data.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        _adler.Append(data.Span);
        while (data.Length > 0)
        {
            var n = Math.Min(data.Length, _segmentSize - _filled);
            data.Span[..n].CopyTo(_segment.AsSpan(_filled));
            _filled += n;
            data = data[n..];
            if (_filled == _segmentSize) await DispatchAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Compresses what is left and ends the stream (final block and Adler-32).</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_filled > 0) await DispatchAsync(cancellationToken).ConfigureAwait(false);
        await EnsureHeaderAsync(cancellationToken).ConfigureAwait(false);
        while (_inFlight.Count > 0) await EmitNextAsync(cancellationToken).ConfigureAwait(false);
        ArrayPool<byte>.Shared.Return(_segment);
        var trailer = new byte[6];
        s_finalEmptyBlock.CopyTo(trailer, 0);
        BinaryPrimitives.WriteUInt32BigEndian(trailer.AsSpan(2), _adler.Value);
        await _emit(trailer, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask EnsureHeaderAsync(CancellationToken cancellationToken)
    {
        if (_headerWritten) return;
        _headerWritten = true;
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
        _inFlight.Enqueue(Task.Run(() =>
        {
            try { return CompressSegmentPooled(segment, length, level); }
            finally { ArrayPool<byte>.Shared.Return(segment); }
        }, cancellationToken));
        while (_inFlight.Count >= _maxInFlight) await EmitNextAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask EmitNextAsync(CancellationToken cancellationToken)
    {
        var compressed = await _inFlight.Dequeue().ConfigureAwait(false);
        try
        {
            await _emit(compressed.Buffer.AsMemory(0, compressed.Length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(compressed.Buffer);
        }
    }

    private readonly record struct CompressedSegment(byte[] Buffer, int Length);

    /// <summary>Like <see cref="CompressSegment"/>, into a pooled buffer (no large-object garbage per segment).</summary>
    private static CompressedSegment CompressSegmentPooled(byte[] data, int length, CompressionLevel level)
    {
        // Deflate never grows data by more than ~0.1% plus a few bytes per block; leave ample room.
        var buffer = ArrayPool<byte>.Shared.Rent(length + (length >> 4) + 1024);
        using var output = new MemoryStream(buffer, 0, buffer.Length, writable: true, publiclyVisible: true);
        var deflate = new DeflateStream(output, level, leaveOpen: true);
        deflate.Write(data, 0, length);
        deflate.Flush(); // Z_SYNC_FLUSH: byte-aligned, ends with 00 00 FF FF, not final
        var flushed = (int)output.Position;
        try { deflate.Dispose(); } catch (NotSupportedException) { } // the final block may not fit: it is dropped anyway
        return new CompressedSegment(buffer, flushed);
    }

    /// <summary>Raw deflate of one segment, ended by a sync flush (so segments concatenate).</summary>
    internal static byte[] CompressSegment(byte[] data, int length, CompressionLevel level)
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
