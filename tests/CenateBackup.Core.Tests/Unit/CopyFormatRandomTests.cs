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

public sealed class CopyFormatRandomTests
{
    // Includes every byte that matters to either format, plus octal and hex digits next to escapes.
    private static readonly byte[][] Alphabet =
    [
        [(byte)','], [(byte)'"'], [(byte)'\n'], [(byte)'\r'], [(byte)'\t'], [(byte)'\\'], [(byte)'.'], [(byte)'N'],
        [(byte)' '], [(byte)'a'], [(byte)'F'], [(byte)'0'], [(byte)'7'], [(byte)'8'], [(byte)'x'],
        [0x08], [0x0B], [0x0C], [0x01], [0xC3, 0xB1] /* ñ */, [0xF0, 0x9F, 0x98, 0x80] /* emoji */,
    ];

    private static readonly byte[][] SpecialValues =
    [
        [], [(byte)'\\', (byte)'.'], [(byte)'\\', (byte)'N'], [(byte)'"'], [(byte)' '], [(byte)'.'], [(byte)'N'],
    ];

    private static byte[] RandomValue(Random rng)
    {
        if (rng.Next(8) == 0) return SpecialValues[rng.Next(SpecialValues.Length)];
        var value = new List<byte>();
        var length = rng.Next(0, 13);
        for (var i = 0; i < length; i++) value.AddRange(Alphabet[rng.Next(Alphabet.Length)]);
        return value.ToArray();
    }

    /// <summary>Text-encodes a value; with <paramref name="alternate"/> some bytes use other valid spellings.</summary>
    private static void Encode(byte[] value, List<byte> text, Random rng, bool alternate)
    {
        foreach (var b in value)
        {
            var mode = alternate ? rng.Next(10) : 0;
            if (mode == 7)
            {
                text.Add((byte)'\\');
                text.AddRange(Encoding.ASCII.GetBytes(System.Convert.ToString(b, 8).PadLeft(3, '0')));
            }
            else if (mode == 8)
            {
                text.Add((byte)'\\');
                text.Add((byte)'x');
                text.AddRange(Encoding.ASCII.GetBytes(rng.Next(2) == 0 ? b.ToString("x2") : b.ToString("X2")));
            }
            else if (mode == 9 && b < 0x80 && !"bfnrtvxN.01234567".Contains((char)b))
            {
                // a backslash before an ordinary byte (TAB, LF and CR included) stands for that byte
                text.Add((byte)'\\');
                text.Add(b);
            }
            else
            {
                CopyFormatHelpers.EncodeTextByte(b, text);
            }
        }
    }

    [Fact]
    public void RandomTablesMatchTheReference()
    {
        var rng = new Random(20240611);
        for (var table = 0; table < 400; table++)
        {
            var columns = rng.Next(4) == 0 ? 1 : rng.Next(1, 6);
            var alternate = rng.Next(3) == 0;
            var rows = new List<byte[]?[]>();
            var text = new List<byte>();
            var rowCount = rng.Next(0, 40);
            for (var r = 0; r < rowCount; r++)
            {
                var row = new byte[]?[columns];
                for (var c = 0; c < columns; c++)
                {
                    if (c > 0) text.Add((byte)'\t');
                    if (rng.Next(7) == 0)
                    {
                        text.Add((byte)'\\');
                        text.Add((byte)'N');
                        continue;
                    }
                    row[c] = RandomValue(rng);
                    Encode(row[c]!, text, rng, alternate);
                }
                text.Add((byte)'\n');
                rows.Add(row);
            }
            if (rng.Next(3) == 0)
            {
                text.AddRange("\\.\n"u8.ToArray());
                for (var n = rng.Next(3); n > 0; n--) text.Add((byte)'\n');
            }

            var names = Enumerable.Range(0, columns).Select(i => rng.Next(5) == 0 ? $"c,\"{i}\"" : $"col{i}").ToArray();
            var headerWriter = new ArrayBufferWriter<byte>();
            CopyTextToCsvConverter.WriteHeader(names, headerWriter);
            var expectedHeader = CopyFormatHelpers.ExpectedCsv(columns, [names.Select(CopyFormatHelpers.U).ToArray()]);
            Assert.Equal(expectedHeader, headerWriter.WrittenSpan.ToArray());

            var expected = CopyFormatHelpers.ExpectedCsv(columns, rows);
            var input = text.ToArray();

            Assert.Equal(expected, CopyFormatHelpers.Convert(columns, input));
            Assert.Equal(expected, CopyFormatHelpers.Convert(columns, input, 1));

            // random piece sizes, 1-byte pieces included, into a writer that gives exactly the size asked
            var converter = new CopyTextToCsvConverter(columns);
            var tight = new TightWriter();
            for (var pos = 0; pos < input.Length;)
            {
                var size = rng.Next(3) == 0 ? 1 : rng.Next(1, 40);
                size = Math.Min(size, input.Length - pos);
                converter.Convert(input.AsSpan(pos, size), tight);
                pos += size;
            }
            converter.Complete();
            Assert.Equal(expected, tight.Written.ToArray());
            Assert.Equal(rowCount, converter.Rows);

            // the record counter sees header + rows, whatever the piece sizes
            var csv = expectedHeader.Concat(expected).ToArray();
            var counter = new CsvRecordCounter();
            for (var pos = 0; pos < csv.Length;)
            {
                var size = Math.Min(rng.Next(1, 30), csv.Length - pos);
                counter.Add(csv.AsSpan(pos, size));
                pos += size;
            }
            Assert.Equal(rowCount + 1, counter.Records);
            Assert.False(counter.InQuotes);
            Assert.True(counter.EndsWithNewline);
        }
    }
}
