using System;

namespace CenateBackup.Core.Compare;

/// <summary>
/// Decodes one row of PostgreSQL's COPY text format (the dump's data blocks, a SQL export's rows, a live COPY TO
/// STDOUT) or of its CSV format (a CSV export) into field values. A line holding no newline: the caller split rows.
/// </summary>
internal static class RowDecoders
{
    /// <summary>
    /// COPY text: fields split by tab, <c>\N</c> is NULL, backslash escapes (\b \f \n \r \t \v, octal \ooo, \xHH, any
    /// other \c is c). <see cref="FormatException"/> for a trailing lone backslash.
    /// </summary>
    public static void CopyText(ReadOnlySpan<byte> line, DecodedRow row)
    {
        row.Clear();
        while (true)
        {
            var tab = line.IndexOf((byte)'\t');
            var field = tab < 0 ? line : line[..tab];
            if (field.Length == 2 && field[0] == (byte)'\\' && field[1] == (byte)'N') row.AddNull();
            else if (field.IndexOf((byte)'\\') < 0) row.AddValue(field);
            else row.EndField(Unescape(field, row.BeginField(field.Length)));
            if (tab < 0) return;
            line = line[(tab + 1)..];
        }
    }

    private static int Unescape(ReadOnlySpan<byte> s, Span<byte> into)
    {
        var n = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var b = s[i];
            if (b != (byte)'\\') { into[n++] = b; continue; }
            if (++i >= s.Length) throw new FormatException("a COPY text field ends in a lone backslash");
            var c = s[i];
            switch (c)
            {
                case (byte)'b': into[n++] = 8; break;
                case (byte)'f': into[n++] = 12; break;
                case (byte)'n': into[n++] = 10; break;
                case (byte)'r': into[n++] = 13; break;
                case (byte)'t': into[n++] = 9; break;
                case (byte)'v': into[n++] = 11; break;
                case >= (byte)'0' and <= (byte)'7':
                {
                    var v = c - '0';
                    for (var k = 0; k < 2 && i + 1 < s.Length && s[i
                        + 1] is >= (byte)'0' and <= (byte)'7'; k++) v = v * 8 + (s[++i] - '0');
                    into[n++] = (byte)v;
                    break;
                }
                case (byte)'x' when i + 1 < s.Length && IsHex(s[i + 1]):
                {
                    var v = Hex(s[++i]);
                    if (i + 1 < s.Length && IsHex(s[i + 1])) v = v * 16 + Hex(s[++i]);
                    into[n++] = (byte)v;
                    break;
                }
                default: into[n++] = c; break;
            }
        }
        return n;
    }

    private static bool IsHex(byte b)
        => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private static int Hex(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;

    /// <summary>
    /// CSV as COPY writes it: fields split by comma; an unquoted empty field is NULL, a quoted one ("") the empty
    /// string; "" inside quotes is one quote; a quoted field may hold commas and newlines. A record's final CR (outside
    /// quotes) is dropped. <see cref="FormatException"/> for an unterminated quote or text after a closing quote.
    /// </summary>
    public static void Csv(ReadOnlySpan<byte> record, DecodedRow row)
    {
        row.Clear();
        if (record.Length > 0 && record[^1] == (byte)'\r' && !EndsInsideQuotes(record)) record = record[..^1];
        var i = 0;
        while (true)
        {
            if (i < record.Length && record[i] == (byte)'"')
            {
                var into = row.BeginField(record.Length - i);
                var n = 0;
                i++;
                while (true)
                {
                    var q = record[i..].IndexOf((byte)'"');
                    if (q < 0) throw new FormatException("a CSV field's quote is not closed");
                    record.Slice(i, q).CopyTo(into[n..]);
                    n += q;
                    i += q + 1;
                    if (i < record.Length && record[i] == (byte)'"') { into[n++] = (byte)'"'; i++; continue; }
                    break;
                }
                row.EndField(n);
                if (i == record.Length) return;
                if (record[i] != (byte)',') throw new FormatException("a CSV field has text after its closing quote");
                i++;
                if (i == record.Length) { row.AddNull(); return; }
                continue;
            }
            var comma = record[i..].IndexOf((byte)',');
            var field = comma < 0 ? record[i..] : record.Slice(i, comma);
            if (field.Length == 0) row.AddNull();
            else if (field.IndexOf((byte)'"') >= 0) throw new FormatException("a CSV field holds a quote outside " +
                "quotes");
            else row.AddValue(field);
            if (comma < 0) return;
            i += comma + 1;
            if (i == record.Length) { row.AddNull(); return; }
        }
    }

    private static bool EndsInsideQuotes(ReadOnlySpan<byte> record)
    {
        var inside = false;
        foreach (var b in record) if (b == (byte)'"') inside = !inside;
        return inside;
    }
}
