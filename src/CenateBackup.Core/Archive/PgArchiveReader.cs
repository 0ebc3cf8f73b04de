using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace CenateBackup.Core.Archive;

/// <summary>
/// pg_dump's ReadByte/ReadInt/ReadStr (src/bin/pg_dump/pg_backup_archiver.c) over a forward-only stream, with a
/// read-ahead buffer. It never seeks, so it reads archives written to a pipe. Integers are a sign byte followed by
/// <see cref="IntSize"/> magnitude bytes, least significant first; strings are an integer length (-1 for NULL)
/// followed by that many bytes.
/// </summary>
internal sealed class PgArchiveReader
{
    private readonly Stream _stream;
    private readonly Func<string, Exception> _invalid;
    private readonly Func<Exception> _endsEarly;
    private readonly byte[] _buffer;
    private int _pos;
    private int _len;
    private long _bufferStart;

    /// <param name="stream">The archive, positioned where reading starts.</param>
    /// <param name="invalid">Builds the exception for bytes that cannot be part of an archive.</param>
    /// <param name="endsEarly">Builds the exception for a stream that ends in the middle of a record.</param>
    /// <param name="bufferSize">
    /// Read-ahead size. 1 reads exactly what is asked for and nothing more (for a header peek on a stream the
    /// caller goes on using).
    /// </param>
    public PgArchiveReader(Stream stream, Func<string, Exception> invalid, Func<Exception> endsEarly, int bufferSize = 1 << 20)
    {
        _stream = stream;
        _invalid = invalid;
        _endsEarly = endsEarly;
        _buffer = new byte[Math.Max(1, bufferSize)];
    }

    /// <summary>Bytes per integer (header byte 8; 4 on every platform pg_dump runs on).</summary>
    public int IntSize { get; set; } = 4;

    /// <summary>Bytes per file offset (header byte 9; 8 on every platform pg_dump runs on).</summary>
    public int OffSize { get; set; } = 8;

    /// <summary>Bytes of the archive consumed so far.</summary>
    public long Position => _bufferStart + _pos;

    /// <summary>The exception for bytes that cannot be part of an archive.</summary>
    public Exception Invalid(string why) => _invalid(why);

    /// <summary>The exception for a stream that ends in the middle of a record.</summary>
    public Exception EndsEarly() => _endsEarly();

    private async ValueTask<bool> FillAsync(CancellationToken ct)
    {
        if (_pos < _len) return true;
        _bufferStart += _len;
        _pos = 0;
        _len = 0;
        _len = await _stream.ReadAsync(_buffer, ct).ConfigureAwait(false);
        return _len > 0;
    }

    /// <summary>The next byte, or -1 at the end of the stream.</summary>
    public async ValueTask<int> TryReadByteAsync(CancellationToken ct) => await FillAsync(ct).ConfigureAwait(false) ? _buffer[_pos++] : -1;

    /// <summary>The next byte; the end of the stream is an error.</summary>
    public async ValueTask<byte> ReadByteAsync(CancellationToken ct)
    {
        if (!await FillAsync(ct).ConfigureAwait(false)) throw _endsEarly();
        return _buffer[_pos++];
    }

    /// <summary>The next <paramref name="count"/> bytes, in a new array.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadBytesAsync(int count, CancellationToken ct)
    {
        var result = new byte[count];
        await ReadIntoAsync(result, ct).ConfigureAwait(false);
        return result;
    }

    /// <summary>Fills <paramref name="target"/>; the end of the stream first is an error.</summary>
    public async ValueTask ReadIntoAsync(Memory<byte> target, CancellationToken ct)
    {
        while (target.Length > 0)
        {
            if (!await FillAsync(ct).ConfigureAwait(false)) throw _endsEarly();
            var n = Math.Min(target.Length, _len - _pos);
            _buffer.AsMemory(_pos, n).CopyTo(target);
            _pos += n;
            target = target[n..];
        }
    }

    /// <summary>
    /// Up to <paramref name="max"/> (&gt; 0) of the next bytes without copying: a view of the read-ahead buffer,
    /// valid until the next call. At least one byte; the end of the stream is an error.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadSliceAsync(int max, CancellationToken ct)
    {
        if (!await FillAsync(ct).ConfigureAwait(false)) throw _endsEarly();
        var n = Math.Min(max, _len - _pos);
        var slice = _buffer.AsMemory(_pos, n);
        _pos += n;
        return slice;
    }

    /// <summary>Reads past <paramref name="count"/> bytes; the end of the stream first is an error.</summary>
    public async ValueTask SkipAsync(long count, CancellationToken ct)
    {
        while (count > 0)
        {
            if (!await FillAsync(ct).ConfigureAwait(false)) throw _endsEarly();
            var n = (int)Math.Min(count, _len - _pos);
            _pos += n;
            count -= n;
        }
    }

    /// <summary>The raw bytes of one integer (sign byte + <see cref="IntSize"/> bytes), in a new array.</summary>
    public ValueTask<ReadOnlyMemory<byte>> ReadRawIntAsync(CancellationToken ct) => ReadBytesAsync(1 + IntSize, ct);

    /// <summary>pg_dump's ReadInt: any non-zero sign byte negates; the magnitude is truncated to 32 bits.</summary>
    public int DecodeInt(ReadOnlySpan<byte> raw)
    {
        long value = 0;
        for (var i = IntSize; i >= 1; i--) value = (value << 8) | raw[i];
        return (int)(raw[0] != 0 ? -value : value);
    }

    /// <summary>pg_dump's ReadInt (see <see cref="DecodeInt"/>).</summary>
    public async ValueTask<int> ReadIntAsync(CancellationToken ct)
    {
        var size = 1 + IntSize;
        if (_len - _pos >= size)
        {
            var value = DecodeInt(_buffer.AsSpan(_pos, size));
            _pos += size;
            return value;
        }
        var raw = await ReadRawIntAsync(ct).ConfigureAwait(false);
        return DecodeInt(raw.Span);
    }

    /// <summary>
    /// An integer that must be well formed: sign byte 0 or 1 and a magnitude that fits in a long. Anything else
    /// is not pg_dump's output, and <paramref name="what"/> names the field in the error.
    /// </summary>
    public ValueTask<long> ReadCheckedIntAsync(string what, CancellationToken ct)
    {
        var size = 1 + IntSize;
        if (_len - _pos >= size)
        {
            var value = DecodeChecked(_buffer.AsSpan(_pos, size), what);
            _pos += size;
            return new ValueTask<long>(value);
        }
        return SlowAsync();

        async ValueTask<long> SlowAsync()
        {
            var copy = new byte[size];
            await ReadIntoAsync(copy, ct).ConfigureAwait(false);
            return DecodeChecked(copy, what);
        }
    }

    private long DecodeChecked(ReadOnlySpan<byte> raw, string what)
    {
        if (raw[0] > 1) throw _invalid($"the sign byte of {what} is {raw[0]} (pg_dump writes 0 or 1)");
        ulong magnitude = 0;
        for (var i = IntSize; i >= 1; i--) magnitude = (magnitude << 8) | raw[i];
        if (magnitude > long.MaxValue) throw _invalid($"{what} does not fit in 64 bits");
        return raw[0] != 0 ? -(long)magnitude : (long)magnitude;
    }

    /// <summary>pg_dump's ReadStr as UTF-8 text; null for a NULL string.</summary>
    public async ValueTask<string?> ReadStrAsync(string what, CancellationToken ct)
    {
        var length = await ReadStrLengthAsync(what, ct).ConfigureAwait(false);
        if (length < 0) return null;
        if (length == 0) return string.Empty;
        if (length <= _buffer.Length && length <= 1 << 16)
        {
            var bytes = await ReadBytesAsync((int)length, ct).ConfigureAwait(false);
            return System.Text.Encoding.UTF8.GetString(bytes.Span);
        }
        // Grow with what the stream really holds, so a garbage length cannot allocate gigabytes up front.
        using var text = new MemoryStream();
        while (length > 0)
        {
            var slice = await ReadSliceAsync((int)Math.Min(length, 1 << 20), ct).ConfigureAwait(false);
            text.Write(slice.Span);
            length -= slice.Length;
        }
        return System.Text.Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
    }

    /// <summary>Reads past one string; returns its length (-1 for NULL).</summary>
    public async ValueTask<long> SkipStrAsync(string what, CancellationToken ct)
    {
        var length = await ReadStrLengthAsync(what, ct).ConfigureAwait(false);
        if (length > 0) await SkipAsync(length, ct).ConfigureAwait(false);
        return length;
    }

    private async ValueTask<long> ReadStrLengthAsync(string what, CancellationToken ct)
    {
        var length = await ReadCheckedIntAsync($"the length of {what}", ct).ConfigureAwait(false);
        if (length < -1 || length > int.MaxValue) throw _invalid($"the length of {what} is {length}");
        return length;
    }
}
