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

public sealed class CopyFormatCsvRecordCounterTests
{
    private static CsvRecordCounter Count(string csv, int piece = 0)
    {
        var bytes = CopyFormatHelpers.U(csv);
        var counter = new CsvRecordCounter();
        var step = piece <= 0 ? Math.Max(1, bytes.Length) : piece;
        for (var i = 0; i < bytes.Length; i += step) counter.Add(bytes.AsSpan(i, Math.Min(step, bytes.Length - i)));
        return counter;
    }

    [Theory]
    [InlineData("", 0, false, false)]
    [InlineData("a,b\n", 1, false, true)]
    [InlineData("a,b\nc,d", 1, false, false)]
    [InlineData("a,b\nc,d\n", 2, false, true)]
    [InlineData("\"a\nb\",c\n", 1, false, true)]
    [InlineData("\"a\"\"\nb\",c\n", 1, false, true)]
    [InlineData("\"\"\"\"\n\"\"\n", 2, false, true)]
    [InlineData("\"open\n", 0, true, false)]
    [InlineData("\"a\n\"\n\n", 2, false, true)]
    [InlineData("x,\"\r\n\"\r\n", 1, false, true)]
    public void CountsRecords(string csv, long records, bool inQuotes, bool endsWithNewline)
    {
        for (var piece = 0; piece <= 3; piece++)
        {
            var counter = Count(csv, piece);
            Assert.Equal(records, counter.Records);
            Assert.Equal(inQuotes, counter.InQuotes);
            Assert.Equal(endsWithNewline, counter.EndsWithNewline);
        }
    }

    [Fact]
    public void EmptyPiecesChangeNothing()
    {
        var counter = new CsvRecordCounter();
        counter.Add(CopyFormatHelpers.U("a\n"));
        counter.Add(ReadOnlySpan<byte>.Empty);
        Assert.Equal(1, counter.Records);
        Assert.True(counter.EndsWithNewline);
    }
}

/// <summary>
/// Many typical rows fed in 64 KB pieces: every row comes out, and the record counter agrees. How fast this runs is a
/// benchmark, not a test (a wall-clock figure fails on a busy machine): bench/Measure-CsvConversion.ps1 prints it.
/// </summary>
public sealed class CopyFormatBulkTests
{
    [Fact]
    public void ConvertsManyTypicalRowsInPieces()
    {
        // ~180-byte rows of 10 columns, the way a users/orders table dumps.
        var rng = new Random(7);
        var block = new List<byte>();
        var rowsInBlock = 0;
        while (block.Count < 4 << 20)
        {
            var id = rng.Next(1, 10_000_000);
            var name = rng.Next(4) == 0 ? "Núñez, José" : "Alexander Hamilton";
            var note = rng.Next(5) == 0 ? "\\N" : "order shipped via \"express\" to Lyon\\tFR";
            var row = $"{id}\t{name}\tuser{id}@example.com\t2024-03-{rng.Next(10, 28)} 12:34:56.123456+00\t{rng.Next(1000)}.{rng.Next(100):00}\t{(rng.Next(2) == 0 ? "t" : "f")}\t\\N\t{note}\t{rng.Next():x8}-{rng.Next(65536):x4}-4{rng.Next(4096):x3}-a{rng.Next(4096):x3}-{rng.Next():x8}{rng.Next(65536):x4}\tsome plain text here\n";
            block.AddRange(Encoding.UTF8.GetBytes(row));
            rowsInBlock++;
        }
        var input = block.ToArray();
        const int repeats = 3;

        // In 64 KB pieces (rows split across pieces) the output is byte-identical to one whole conversion.
        var whole = CopyFormatHelpers.Convert(10, input);
        Assert.Equal(whole, CopyFormatHelpers.Convert(10, input, 65536));

        var converter = new CopyTextToCsvConverter(10);
        var sink = new CountingWriter();
        for (var r = 0; r < repeats; r++)
        {
            for (var i = 0; i < input.Length; i += 65536)
            {
                converter.Convert(input.AsSpan(i, Math.Min(65536, input.Length - i)), sink);
            }
        }
        converter.Complete();
        Assert.Equal((long)rowsInBlock * repeats, converter.Rows);

        var counter = new CsvRecordCounter();
        for (var r = 0; r < repeats; r++) counter.Add(whole);
        Assert.Equal((long)rowsInBlock * repeats, counter.Records);
    }
}
