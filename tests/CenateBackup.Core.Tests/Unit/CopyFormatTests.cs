using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using CenateBackup.Core.Formats;
using Xunit;
using Xunit.Abstractions;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Shared helpers: feeding the converter in pieces, PostgreSQL-style text encoding, expected CSV.</summary>
internal static class CopyFormatHelpers
{
    public static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Converts <paramref name="text"/> in pieces of <paramref name="pieceSize"/> bytes (0: all at once).</summary>
    public static byte[] Convert(int columns, byte[] text, int pieceSize = 0, IBufferWriter<byte>? writer = null)
    {
        var converter = new CopyTextToCsvConverter(columns);
        var output = writer ?? new ArrayBufferWriter<byte>();
        var step = pieceSize <= 0 ? Math.Max(1, text.Length) : pieceSize;
        for (var i = 0; i < text.Length; i += step)
        {
            converter.Convert(text.AsSpan(i, Math.Min(step, text.Length - i)), output);
        }
        converter.Complete();
        return output switch
        {
            ArrayBufferWriter<byte> a => a.WrittenSpan.ToArray(),
            TightWriter t => t.Written.ToArray(),
            _ => throw new InvalidOperationException(),
        };
    }

    public static string ConvertString(int columns, string text) => Encoding.UTF8.GetString(Convert(columns, U(text)));

    /// <summary>Encodes a value as CopyAttributeOutText does (tab delimiter).</summary>
    public static void EncodeText(byte[] value, List<byte> output)
    {
        foreach (var b in value) EncodeTextByte(b, output);
    }

    public static void EncodeTextByte(byte b, List<byte> output)
    {
        switch (b)
        {
            case 0x08: output.Add((byte)'\\'); output.Add((byte)'b'); break;
            case 0x0C: output.Add((byte)'\\'); output.Add((byte)'f'); break;
            case 0x0A: output.Add((byte)'\\'); output.Add((byte)'n'); break;
            case 0x0D: output.Add((byte)'\\'); output.Add((byte)'r'); break;
            case 0x09: output.Add((byte)'\\'); output.Add((byte)'t'); break;
            case 0x0B: output.Add((byte)'\\'); output.Add((byte)'v'); break;
            case (byte)'\\': output.Add((byte)'\\'); output.Add((byte)'\\'); break;
            default: output.Add(b); break;
        }
    }

    /// <summary>The CSV PostgreSQL writes for rows of values (null = SQL NULL), built byte by byte.</summary>
    public static byte[] ExpectedCsv(int columns, IEnumerable<byte[]?[]> rows)
    {
        var output = new List<byte>();
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                if (i > 0) output.Add((byte)',');
                var v = row[i];
                if (v is null) continue;
                var quote = v.Length == 0;
                foreach (var b in v)
                {
                    if (b == (byte)',' || b == (byte)'"' || b == (byte)'\n' || b == (byte)'\r') quote = true;
                }
                if (columns == 1 && v.Length == 2 && v[0] == (byte)'\\' && v[1] == (byte)'.') quote = true;
                if (quote) output.Add((byte)'"');
                foreach (var b in v)
                {
                    output.Add(b);
                    if (quote && b == (byte)'"') output.Add(b);
                }
                if (quote) output.Add((byte)'"');
            }
            output.Add((byte)'\n');
        }
        return output.ToArray();
    }
}

/// <summary>A buffer writer that hands out spans of exactly the requested size, so any overrun fails.</summary>
internal sealed class TightWriter : IBufferWriter<byte>
{
    private byte[] _current = Array.Empty<byte>();
    public List<byte> Written { get; } = new();
    public void Advance(int count)
    {
        Assert.InRange(count, 0, _current.Length);
        Written.AddRange(_current.AsSpan(0, count).ToArray());
        _current = Array.Empty<byte>();
    }
    public Memory<byte> GetMemory(int sizeHint = 0) => _current = new byte[Math.Max(1, sizeHint)];
    public Span<byte> GetSpan(int sizeHint = 0) => _current = new byte[Math.Max(1, sizeHint)];
}

/// <summary>Byte-counting sink for the throughput test.</summary>
internal sealed class CountingWriter : IBufferWriter<byte>
{
    private readonly byte[] _buffer = new byte[1 << 20];
    public long Count { get; private set; }
    public void Advance(int count) => Count += count;
    public Memory<byte> GetMemory(int sizeHint = 0) => sizeHint <= _buffer.Length ? _buffer : new byte[sizeHint];
    public Span<byte> GetSpan(int sizeHint = 0) => sizeHint <= _buffer.Length ? _buffer : new byte[sizeHint];
}

public sealed class CopyFormatConverterTests
{
    private static string Csv(int columns, string text) => CopyFormatHelpers.ConvertString(columns, text);

    [Fact]
    public void PlainRowsAndNulls()
    {
        Assert.Equal("1,abc,\n2,,x\n", Csv(3, "1\tabc\t\\N\n2\t\\N\tx\n"));
    }

    [Fact]
    public void EmptyStringIsQuotedNullIsNot()
    {
        Assert.Equal("\"\",\n", Csv(2, "\t\\N\n"));
        Assert.Equal(",\"\"\n", Csv(2, "\\N\t\n"));
        Assert.Equal("\"\"\n\n", Csv(1, "\n\\N\n"));
        Assert.Equal("\"\",\"\",\"\"\n", Csv(3, "\t\t\n"));
    }

    [Theory]
    [InlineData("\\b", "\b")]
    [InlineData("\\f", "\f")]
    [InlineData("\\n", "\"\n\"")]
    [InlineData("\\r", "\"\r\"")]
    [InlineData("\\t", "\t")]
    [InlineData("\\v", "\v")]
    [InlineData("\\\\", "\\")]
    [InlineData("a\\\\b", "a\\b")]
    [InlineData("x\\ny", "\"x\ny\"")]
    [InlineData("\\r\\n", "\"\r\n\"")]
    // octal: 1 to 3 digits, value & 0xFF
    [InlineData("\\101", "A")]
    [InlineData("\\1011", "A1")]
    [InlineData("\\0101", "\u00081")]
    [InlineData("\\1", "\u0001")]
    [InlineData("\\12", "\"\n\"")]
    [InlineData("\\15", "\"\r\"")]
    [InlineData("\\54", "\",\"")]
    [InlineData("\\42", "\"\"\"\"")]
    [InlineData("\\7x", "\u0007x")]
    [InlineData("\\8", "8")]
    [InlineData("\\18", "\u00018")]
    // hex: \x with 1 or 2 digits, else 'x'
    [InlineData("\\x41", "A")]
    [InlineData("\\x41a", "Aa")]
    [InlineData("\\x4", "\u0004")]
    [InlineData("\\x4g", "\u0004g")]
    [InlineData("\\xg", "xg")]
    [InlineData("\\x", "x")]
    [InlineData("\\x2C", "\",\"")]
    [InlineData("\\x2c", "\",\"")]
    [InlineData("\\x22", "\"\"\"\"")]
    [InlineData("\\xA", "\"\n\"")]
    [InlineData("\\x0d", "\"\r\"")]
    // backslash before any other byte stands for that byte
    [InlineData("\\a", "a")]
    [InlineData("\\,", "\",\"")]
    [InlineData("\\\"", "\"\"\"\"")]
    [InlineData("\\ ", " ")]
    [InlineData("a\\Nb", "aNb")]
    [InlineData("\\Nx", "Nx")]
    [InlineData("x\\N", "xN")]
    [InlineData("\\\\N", "\\N")]
    [InlineData("\\ñ", "ñ")]
    public void Escapes(string field, string expected)
    {
        // as the middle column of three, and as a single column
        Assert.Equal($"p,{expected},q\n", Csv(3, $"p\t{field}\tq\n"));
        Assert.Equal($"{expected}\n", Csv(1, field + "\n"));
    }

    [Fact]
    public void OctalAndHexProduceRawBytes()
    {
        var text = CopyFormatHelpers.U("\\377\t\\400\t\\xff\t\\xAf\t\\303\\261\n");
        var expected = new byte[] { 0xFF, (byte)',', 0x00, (byte)',', 0xFF, (byte)',', 0xAF, (byte)',', 0xC3, 0xB1, (byte)'\n' };
        Assert.Equal(expected, CopyFormatHelpers.Convert(5, text));
    }

    [Fact]
    public void BackslashBeforeTabOrNewlineIsLiteral()
    {
        Assert.Equal("a\tb,c\n", Csv(2, "a\\\tb\tc\n"));
        Assert.Equal("\"a\nb\",c\nd,e\n", Csv(2, "a\\\nb\tc\nd\te\n"));
        // an even run of backslashes does not escape the newline
        Assert.Equal("a\\\nb\n", Csv(1, "a\\\\\nb\n"));
        Assert.Equal("\"a\\\nb\"\n", Csv(1, "a\\\\\\\nb\n"));
    }

    [Theory]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("\"", "\"\"\"\"")]
    [InlineData("\"\"", "\"\"\"\"\"\"")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData(",", "\",\"")]
    [InlineData("a\rb", "\"a\rb\"")]
    [InlineData(" a ", " a ")]
    [InlineData(" ", " ")]
    [InlineData("  lead", "  lead")]
    [InlineData("trail  ", "trail  ")]
    [InlineData("it's", "it's")]
    [InlineData("semi;colon|pipe", "semi;colon|pipe")]
    [InlineData("ñandú", "ñandú")]
    [InlineData("café crème", "café crème")]
    [InlineData("😀", "😀")]
    [InlineData("a😀b,ñ", "\"a😀b,ñ\"")]
    [InlineData("\"ñ\"", "\"\"\"ñ\"\"\"")]
    [InlineData("N", "N")]
    [InlineData(".", ".")]
    public void RawValues(string field, string expected)
    {
        Assert.Equal($"1,{expected}\n", Csv(2, $"1\t{field}\n"));
        Assert.Equal($"{expected}\n", Csv(1, field + "\n"));
    }

    [Fact]
    public void Utf8PassesThroughByteForByte()
    {
        var value = "ñ é ü 日本 😀🎉";
        Assert.Equal(CopyFormatHelpers.U(value + "," + value + "\n"), CopyFormatHelpers.Convert(2, CopyFormatHelpers.U(value + "\t" + value + "\n")));
    }

    [Fact]
    public void BackslashDotValue()
    {
        // The value \. is written as \\. in text; CSV quotes it only in a single-column table.
        Assert.Equal("\"\\.\"\n", Csv(1, "\\\\.\n"));
        Assert.Equal("\\.,x\n", Csv(2, "\\\\.\tx\n"));
        Assert.Equal("x,\\.\n", Csv(2, "x\t\\\\.\n"));
        Assert.Equal("\\.x\n", Csv(1, "\\\\.x\n"));
        Assert.Equal("x\\.\n", Csv(1, "x\\\\.\n"));
        // an octal-encoded backslash decodes to the same value, and is quoted the same way
        Assert.Equal("\"\\.\"\n", Csv(1, "\\134.\n"));
        // \. inside a row of several columns is just an escaped '.'
        Assert.Equal(".,x\n", Csv(2, "\\.\tx\n"));
    }

    [Fact]
    public void EndMarkerEndsTheData()
    {
        var c = new CopyTextToCsvConverter(2);
        var output = new ArrayBufferWriter<byte>();
        c.Convert(CopyFormatHelpers.U("a\tb\n\\.\n\n\n"), output);
        c.Complete();
        Assert.Equal("a,b\n", Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal(1, c.Rows);
        Assert.True(c.EndMarkerSeen);

        Assert.Equal("x\n", Csv(1, "x\n\\.\n"));
        Assert.Equal("", Csv(1, "\\.\n"));
        Assert.Equal("", Csv(3, "\\.\n"));
        // without its final newline
        Assert.Equal("x\n", Csv(1, "x\n\\."));
    }

    [Fact]
    public void EndMarkerSplitAcrossCalls()
    {
        var text = CopyFormatHelpers.U("a\tb\n\\.\n\n");
        for (var size = 1; size <= text.Length; size++)
        {
            Assert.Equal("a,b\n", Encoding.UTF8.GetString(CopyFormatHelpers.Convert(2, text, size)));
        }
    }

    [Fact]
    public void DataAfterEndMarkerIsRejected()
    {
        Assert.Throws<InvalidDataException>(() => Csv(2, "a\tb\n\\.\nc\td\n"));
        var c = new CopyTextToCsvConverter(2);
        var output = new ArrayBufferWriter<byte>();
        c.Convert(CopyFormatHelpers.U("a\tb\n\\.\n"), output);
        c.Convert(CopyFormatHelpers.U("\n"), output);
        Assert.Throws<InvalidDataException>(() => c.Convert(CopyFormatHelpers.U("x"), output));
    }

    [Fact]
    public void WrongFieldCountsAreRejected()
    {
        var tooFew = Assert.Throws<InvalidDataException>(() => Csv(3, "1\t2\t3\n4\t5\n"));
        Assert.Contains("row 2", tooFew.Message);
        Assert.Contains("expected 3", tooFew.Message);
        Assert.Contains("found 2", tooFew.Message);

        var tooMany = Assert.Throws<InvalidDataException>(() => Csv(2, "1\t2\t3\t4\n"));
        Assert.Contains("row 1", tooMany.Message);
        Assert.Contains("expected 2", tooMany.Message);
        Assert.Contains("found 4", tooMany.Message);

        // an escaped tab is not a separator
        var escaped = Assert.Throws<InvalidDataException>(() => Csv(2, "1\\\t2\n"));
        Assert.Contains("found 1", escaped.Message);

        Assert.Throws<InvalidDataException>(() => Csv(2, "\n"));
        Assert.Throws<InvalidDataException>(() => Csv(1, "a\tb\n"));
        Assert.Throws<InvalidDataException>(() => Csv(0, "a\n"));
    }

    [Fact]
    public void OnlyCompleteRowsAreWrittenBeforeAnError()
    {
        var c = new CopyTextToCsvConverter(2);
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<InvalidDataException>(() => c.Convert(CopyFormatHelpers.U("a\tb\nc\td\ne\n"), output));
        Assert.Equal(2, c.Rows);
        Assert.Equal("a,b\nc,d\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData("a\tb")]
    [InlineData("a\tb\n\\")]
    [InlineData("a\tb\nc")]
    [InlineData("a\tb\nc\t\\x4")]
    [InlineData("a\tb\nc\td\\\n")]
    [InlineData("\\")]
    public void TruncatedInputFailsOnComplete(string text)
    {
        var c = new CopyTextToCsvConverter(2);
        var output = new ArrayBufferWriter<byte>();
        c.Convert(CopyFormatHelpers.U(text), output);
        var ex = Assert.Throws<InvalidDataException>(c.Complete);
        Assert.Contains("middle of row", ex.Message);
    }

    [Fact]
    public void EmptyInputAndZeroColumns()
    {
        Assert.Equal("", Csv(3, ""));
        Assert.Equal("\n\n", Csv(0, "\n\n"));
        var c = new CopyTextToCsvConverter(0);
        c.Convert(CopyFormatHelpers.U("\n\n\n"), new ArrayBufferWriter<byte>());
        c.Complete();
        Assert.Equal(3, c.Rows);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CopyTextToCsvConverter(-1));
    }

    [Fact]
    public void EverySplitPositionGivesTheSameBytes()
    {
        var text = CopyFormatHelpers.U(
            "1\tñ😀\t\\N\t\\\\.\t\\x41\\x4g\\101\\7\n" +
            "2\t\t\"q\", r\t\\n\\r\\t\\b\\f\\v\t a\\\tb\\\nc \n" +
            "3\t\\Nx\t\\\\N\t\\377\\x2C\t\\.\n" +
            "\\.\n");
        var whole = CopyFormatHelpers.Convert(5, text);
        var expected = CopyFormatHelpers.U(
            "1,ñ😀,,\\.,A\u0004gA\u0007\n" +
            "2,\"\",\"\"\"q\"\", r\",\"\n\r\t\b\f\v\",\" a\tb\nc \"\n" +
            "3,Nx,\\N,\"").Concat(new byte[] { 0xFF }).Concat(CopyFormatHelpers.U(",\",.\n")).ToArray();
        Assert.Equal(expected, whole);
        for (var cut1 = 0; cut1 <= text.Length; cut1++)
        {
            for (var cut2 = cut1; cut2 <= text.Length; cut2 += 7)
            {
                var c = new CopyTextToCsvConverter(5);
                var output = new ArrayBufferWriter<byte>();
                c.Convert(text.AsSpan(0, cut1), output);
                c.Convert(text.AsSpan(cut1, cut2 - cut1), output);
                c.Convert(text.AsSpan(cut2), output);
                c.Complete();
                Assert.Equal(whole, output.WrittenSpan.ToArray());
                Assert.Equal(3, c.Rows);
            }
        }
        Assert.Equal(whole, CopyFormatHelpers.Convert(5, text, 1));
    }

    [Fact]
    public void BigRowsFitTheRequestedSpan()
    {
        // Raw quotes double in CSV: the converter's size estimate must hold with a writer that gives exactly what is asked.
        var quotes = new string('"', 50_000);
        var csv = CopyFormatHelpers.Convert(1, CopyFormatHelpers.U(quotes + "\n"), 4096, new TightWriter());
        Assert.Equal("\"" + new string('"', 100_000) + "\"\n", Encoding.UTF8.GetString(csv));
        var tabs = string.Concat(Enumerable.Repeat("\t", 4_999)) + "\n";
        var many = CopyFormatHelpers.Convert(5_000, CopyFormatHelpers.U(tabs), 0, new TightWriter());
        Assert.Equal(string.Join(",", Enumerable.Repeat("\"\"", 5_000)) + "\n", Encoding.UTF8.GetString(many));
    }
}

public sealed class CopyFormatHeaderTests
{
    private static string Header(params string[] names)
    {
        var output = new ArrayBufferWriter<byte>();
        CopyTextToCsvConverter.WriteHeader(names, output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Fact]
    public void PlainNames() => Assert.Equal("id,name,created_at\n", Header("id", "name", "created_at"));

    [Fact]
    public void NamesNeedingQuotes()
    {
        Assert.Equal("\"a,b\",\"q\"\"x\",sp ace,ñandú,\"cr\rlf\n\",😀\n", Header("a,b", "q\"x", "sp ace", "ñandú", "cr\rlf\n", "😀"));
        Assert.Equal("\"\"\n", Header(""));
    }

    [Fact]
    public void BackslashDotName()
    {
        Assert.Equal("\"\\.\"\n", Header("\\."));
        Assert.Equal("\\.,x\n", Header("\\.", "x"));
        Assert.Equal("\\.x\n", Header("\\.x"));
    }

    [Fact]
    public void NoColumns() => Assert.Equal("\n", Header());
}
