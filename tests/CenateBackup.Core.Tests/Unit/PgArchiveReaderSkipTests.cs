using System;
using System.IO;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Skipping data the reader does not need: by reading, or by seeking when asked and the stream can.</summary>
public class PgArchiveReaderSkipTests
{
    private static byte[] Bytes(int n)
    {
        var b = new byte[n];
        for (var i = 0; i < n; i++) b[i] = (byte)(i % 251);
        return b;
    }

    private static PgArchiveReader Reader(Stream s, bool seek) =>
        new(s, why => new InvalidDataException(why), () => new EndOfStreamException(), bufferSize: 16, seekToSkip: seek);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Skip_lands_on_the_same_byte_either_way(bool seek)
    {
        var data = Bytes(1000);
        var r = Reader(new MemoryStream(data), seek);
        Assert.Equal(data[0], await r.ReadByteAsync(default));
        await r.SkipAsync(500, default);
        Assert.Equal(501, r.Position);
        Assert.Equal(data[501], await r.ReadByteAsync(default));
        await r.SkipAsync(3, default);
        Assert.Equal(data[505], await r.ReadByteAsync(default));
        await r.SkipAsync(494, default);
        Assert.Equal(-1, await r.TryReadByteAsync(default));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Skipping_past_the_end_is_a_cut_archive(bool seek)
    {
        var r = Reader(new MemoryStream(Bytes(100)), seek);
        await r.ReadByteAsync(default);
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await r.SkipAsync(100, default));
    }

    [Fact]
    public async Task A_forward_only_stream_is_read_through()
    {
        var inner = new MemoryStream(Bytes(300));
        var r = Reader(new ForwardOnly(inner), seek: true);
        await r.SkipAsync(200, default);
        Assert.Equal(Bytes(300)[200], await r.ReadByteAsync(default));
    }

    private sealed class ForwardOnly(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
