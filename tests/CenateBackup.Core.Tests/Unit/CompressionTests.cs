using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Compression;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public sealed class CompressionTests
{
    [Fact]
    public void Adler32_Matches_Known_Values()
    {
        var empty = new Adler32();
        Assert.Equal(1u, empty.Value);
        var a = new Adler32();
        a.Append(Encoding.ASCII.GetBytes("Wikipedia"));
        Assert.Equal(0x11E60398u, a.Value);
        // Split appends give the same value as one append, also past the 5552-byte deferral window.
        var data = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7 + 255)).ToArray();
        var whole = new Adler32();
        whole.Append(data);
        var parts = new Adler32();
        parts.Append(data.AsSpan(0, 12345));
        parts.Append(data.AsSpan(12345));
        Assert.Equal(whole.Value, parts.Value);
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(data);
        var bytes = ms.ToArray();
        var trailer = (uint)(bytes[^4] << 24 | bytes[^3] << 16 | bytes[^2] << 8 | bytes[^1]);
        Assert.Equal(trailer, whole.Value);
    }

    public static IEnumerable<object[]> Inputs() => new[]
    {
        new object[] { 0, 64 * 1024 },
        new object[] { 1, 64 * 1024 },
        new object[] { 64 * 1024, 64 * 1024 },          // exactly one segment
        new object[] { 3 * 1024 * 1024 + 5, 64 * 1024 }, // many segments and a short tail
        new object[] { 1_000_000, 1 << 21 },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task ParallelZlibWriter_Produces_One_Valid_Zlib_Stream(int size, int segment)
    {
        // Half compressible text, half random: both paths of deflate.
        var rnd = new Random(size);
        var data = new byte[size];
        for (var i = 0; i < size; i++) data[i] = i % 2048 < 1024 ? (byte)"asegurados, Núñez O'Connor\n"[i % 27] : (byte)rnd.Next(256);
        foreach (var level in new[] { CompressionLevel.Fastest, CompressionLevel.Optimal, CompressionLevel.SmallestSize })
        {
            using var output = new MemoryStream();
            var writer = new ParallelZlibWriter(level, (piece, ct) => { output.Write(piece.Span); return ValueTask.CompletedTask; }, segment, maxInFlight: 3);
            // Feed in uneven pieces.
            var offset = 0;
            while (offset < size)
            {
                var n = Math.Min(size - offset, 1 + rnd.Next(100_000));
                await writer.WriteAsync(data.AsMemory(offset, n), CancellationToken.None);
                offset += n;
            }
            await writer.CompleteAsync(CancellationToken.None);
            output.Position = 0;
            using var z = new ZLibStream(output, CompressionMode.Decompress);
            using var back = new MemoryStream();
            z.CopyTo(back);
            Assert.Equal(data, back.ToArray());
            Assert.Equal(0, (output.ToArray()[0] * 256 + output.ToArray()[1]) % 31);
        }
    }

    [Fact]
    public void A_Segment_Ends_With_A_Sync_Flush_Marker_And_Is_Not_Final()
    {
        var seg = ParallelZlibWriter.CompressSegment(Encoding.ASCII.GetBytes(new string('x', 10_000)), 10_000, CompressionLevel.SmallestSize);
        Assert.Equal(new byte[] { 0x00, 0x00, 0xFF, 0xFF }, seg[^4..]);
        Assert.Equal(0, seg[0] & 1); // BFINAL bit of the first block is clear
    }
}
