using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>A stream that only reads forward and returns at most maxRead bytes per read; Seek/Position/Length throw.</summary>
internal sealed class ForwardOnlyStream : Stream
{
    private readonly byte[] _data;
    private readonly int _maxRead;

    public ForwardOnlyStream(byte[] data, int maxRead)
    {
        _data = data;
        _maxRead = maxRead;
    }

    public int Consumed { get; private set; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = Math.Min(Math.Min(buffer.Length, _maxRead), _data.Length - Consumed);
        _data.AsSpan(Consumed, n).CopyTo(buffer);
        Consumed += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException("forward only");
    public override long Position { get => throw new NotSupportedException("forward only"); set => throw new NotSupportedException("forward only"); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("forward only");
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
