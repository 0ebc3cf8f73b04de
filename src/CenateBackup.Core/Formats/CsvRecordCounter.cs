using System;
using System.Runtime.CompilerServices;

namespace CenateBackup.Core.Formats;

/// <summary>
/// Counts the records of a CSV byte stream (quote '"', records ended by LF) fed in pieces of any size: a record
/// ends at each LF outside double quotes. Every '"' toggles the in-quotes state, so a doubled <c>""</c> inside a
/// quoted value toggles twice and leaves it unchanged.
/// </summary>
public sealed class CsvRecordCounter
{
    /// <summary>The number of record-ending LF bytes (outside quotes) seen so far.</summary>
    public long Records { get; private set; }

    /// <summary>True when the bytes seen so far end inside a quoted value.</summary>
    public bool InQuotes { get; private set; }

    /// <summary>True when the last byte seen was a record-ending LF (false before any byte).</summary>
    public bool EndsWithNewline { get; private set; }

    /// <summary>Consumes the next piece of the stream.</summary>
    /// <param name="data">The next bytes, split anywhere.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        var last = data[^1];
        var inQuotes = InQuotes;
        var records = Records;
        while (!data.IsEmpty)
        {
            var q = data.IndexOf((byte)'"');
            if (inQuotes)
            {
                if (q < 0) break;
                inQuotes = false;
            }
            else
            {
                if (q < 0)
                {
                    records += data.Count((byte)'\n');
                    break;
                }
                records += data[..q].Count((byte)'\n');
                inQuotes = true;
            }
            data = data[(q + 1)..];
        }
        Records = records;
        InQuotes = inQuotes;
        EndsWithNewline = last == (byte)'\n' && !inQuotes;
    }
}
