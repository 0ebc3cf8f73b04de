using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CenateBackup.Core.Docker;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public sealed class DockerFrameParserTests
{
    private static byte[] Frame(byte stream, byte[] payload)
    {
        var header = new byte[] { stream, 0, 0, 0, (byte)(payload.Length >> 24), (byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length };
        return header.Concat(payload).ToArray();
    }

    private static (byte[] Out, byte[] Err) Parse(byte[] raw, int blockSize, DockerFrameParser? parser = null)
    {
        parser ??= new DockerFrameParser();
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        for (var i = 0; i < raw.Length; i += blockSize)
        {
            parser.Feed(raw.AsSpan(i, Math.Min(blockSize, raw.Length - i)), (s, p) => (s == 1 ? stdout : stderr).Write(p));
        }
        Assert.True(parser.AtFrameBoundary);
        return (stdout.ToArray(), stderr.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(4099)]
    [InlineData(1 << 20)]
    public void Splits_Stdout_And_Stderr_Whatever_The_Block_Boundaries(int blockSize)
    {
        var rnd = new Random(blockSize);
        var expectedOut = new List<byte>();
        var expectedErr = new List<byte>();
        var raw = new List<byte>();
        for (var i = 0; i < 200; i++)
        {
            var payload = new byte[rnd.Next(0, 5000)];
            rnd.NextBytes(payload);
            var stream = (byte)(i % 7 == 0 ? 2 : i % 11 == 0 ? 3 : 1);
            raw.AddRange(Frame(stream, payload));
            (stream == 1 ? expectedOut : expectedErr).AddRange(payload);
        }
        var (o, e) = Parse(raw.ToArray(), blockSize);
        Assert.Equal(expectedOut.ToArray(), o);
        Assert.Equal(expectedErr.ToArray(), e);
    }

    [Fact]
    public void Knows_When_The_Stream_Stops_Inside_A_Frame()
    {
        var parser = new DockerFrameParser();
        var frame = Frame(1, new byte[100]);
        parser.Feed(frame.AsSpan(0, 50), (_, _) => { });
        Assert.False(parser.AtFrameBoundary);
        parser.Feed(frame.AsSpan(50), (_, _) => { });
        Assert.True(parser.AtFrameBoundary);
        parser.Feed(frame.AsSpan(0, 5), (_, _) => { });
        Assert.False(parser.AtFrameBoundary); // half a header
    }

    [Fact]
    public void Rejects_An_Unknown_Stream_Type()
    {
        var parser = new DockerFrameParser();
        Assert.Throws<InvalidDataException>(() => parser.Feed(Frame(9, new byte[3]), (_, _) => { }));
    }
}
