using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace CenateBackup.Core.Archive;

/// <summary>
/// The data of one pg_dump custom-format block as a read-only stream: (int length, bytes) chunks ended by a zero
/// length (pg_backup_custom.c _CustomReadFunc / _skipData). Each read returns bytes of one chunk at most.
/// </summary>
internal sealed class PgArchiveChunkStream : Stream
{
    private readonly PgArchiveReader _reader;
    private int _remaining;
    private bool _ended;

    public PgArchiveChunkStream(PgArchiveReader reader) => _reader = reader;

    /// <summary>True once the terminating zero length has been read.</summary>
    public bool Ended => _ended;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_remaining == 0)
        {
            if (_ended) return 0;
            var len = await _reader.ReadIntAsync(cancellationToken).ConfigureAwait(false);
            if (len < 0) throw _reader.Invalid("negative chunk length");
            if (len == 0) { _ended = true; return 0; }
            _remaining = len;
        }
        var n = Math.Min(buffer.Length, _remaining);
        await _reader.ReadIntoAsync(buffer[..n], cancellationToken).ConfigureAwait(false);
        _remaining -= n;
        return n;
    }

    /// <summary>Like <see cref="ReadAsync(Memory{byte}, CancellationToken)"/> but without copying: a view of the reader's buffer, valid until the next read; empty at the end of the block.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadSliceAsync(CancellationToken cancellationToken)
    {
        while (_remaining == 0)
        {
            if (_ended) return ReadOnlyMemory<byte>.Empty;
            var len = await _reader.ReadIntAsync(cancellationToken).ConfigureAwait(false);
            if (len < 0) throw _reader.Invalid("negative chunk length");
            if (len == 0) { _ended = true; return ReadOnlyMemory<byte>.Empty; }
            _remaining = len;
        }
        var slice = await _reader.ReadSliceAsync(_remaining, cancellationToken).ConfigureAwait(false);
        _remaining -= slice.Length;
        return slice;
    }

    /// <summary>Reads through to the terminating zero length.</summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        while (true)
        {
            if (_remaining > 0)
            {
                await _reader.SkipAsync(_remaining, ct).ConfigureAwait(false);
                _remaining = 0;
            }
            if (_ended) return;
            var len = await _reader.ReadIntAsync(ct).ConfigureAwait(false);
            if (len < 0) throw _reader.Invalid("negative chunk length");
            if (len == 0) _ended = true;
            else _remaining = len;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
