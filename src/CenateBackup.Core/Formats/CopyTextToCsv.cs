using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;

namespace CenateBackup.Core.Formats;

/// <summary>
/// Streaming converter from PostgreSQL's COPY TEXT format (the output of <c>COPY t TO STDOUT</c> and the table
/// data pg_dump stores: fields separated by TAB, rows ended by LF, NULL as <c>\N</c>, backslash escapes) into
/// exactly the bytes <c>COPY t TO STDOUT WITH (FORMAT csv, HEADER)</c> produces for the same rows on
/// PostgreSQL 12–17 (delimiter ',', quote and escape '"', NULL printed as nothing).
/// </summary>
/// <remarks>
/// <para>The input is UTF-8; bytes of 0x80 and above are copied untouched. The input may be split at any byte
/// (inside an escape or a row): a row that is not complete yet is kept until the rest arrives, and only
/// complete rows are written to the output.</para>
/// <para>A non-null value is quoted, as CopyAttributeOutCSV does, when it is empty (it equals the CSV null
/// string), contains ',', '"', CR or LF, or — in a single-column table — is exactly <c>\.</c>; a '"' inside quotes
/// is doubled. Text decoding follows CopyReadAttributesText: <c>\b \f \n \r \t \v</c>, 1–3 octal digits,
/// <c>\x</c> with 1–2 hex digits, and a backslash before any other byte (TAB and LF included) stands for that
/// byte; <c>\N</c> is NULL only as the whole field.</para>
/// <para>A line that is exactly <c>\.</c> (the end-of-data marker pg_dump writes after a table's rows) ends the
/// data; only further empty lines may follow it.</para>
/// </remarks>
public sealed class CopyTextToCsvConverter
{
    // Bytes that end the plain (copy-as-is) part of a field: TAB ends it, backslash starts an escape, and
    // ',', '"', CR force CSV quoting.
    private static readonly SearchValues<byte> s_fieldSpecials = SearchValues.Create("\t\\,\"\r"u8);
    private static readonly SearchValues<byte> s_tabOrBackslash = SearchValues.Create("\t\\"u8);
    private static readonly SearchValues<byte> s_csvQuoteTriggers = SearchValues.Create(",\"\n\r"u8);

    private const int MinOutputBlock = 16 * 1024;

    private readonly int _columnCount;
    private byte[] _carry = Array.Empty<byte>();
    private int _carryLength;
    private bool _ended;

    /// <summary>Creates a converter for a table with <paramref name="columnCount"/> columns.</summary>
    /// <param name="columnCount">The number of fields every row must have (0 for a table without columns).</param>
    public CopyTextToCsvConverter(int columnCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(columnCount);
        _columnCount = columnCount;
    }

    /// <summary>The number of columns each row must have.</summary>
    public int ColumnCount => _columnCount;

    /// <summary>The number of rows converted (written to the output) so far.</summary>
    public long Rows { get; private set; }

    /// <summary>True once the end-of-data line <c>\.</c> has been read.</summary>
    public bool EndMarkerSeen => _ended;

    /// <summary>
    /// Writes the CSV header line as PostgreSQL does: each name as UTF-8, quoted under the same rules as a value,
    /// joined by ',' and ended by LF.
    /// </summary>
    /// <param name="columnNames">The column names, in table order.</param>
    /// <param name="output">Where the header bytes go.</param>
    public static void WriteHeader(IReadOnlyList<string> columnNames, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(columnNames);
        ArgumentNullException.ThrowIfNull(output);
        var single = columnNames.Count == 1;
        for (var i = 0; i < columnNames.Count; i++)
        {
            var name = columnNames[i] ?? throw new ArgumentException($"Column name {i} is null.", nameof(columnNames));
            var raw = Encoding.UTF8.GetBytes(name);
            var dst = output.GetSpan(2 * raw.Length + 3);
            var n = 0;
            if (i > 0) dst[n++] = (byte)',';
            n += WriteCsvValue(raw, single, dst[n..]);
            output.Advance(n);
        }
        var eol = output.GetSpan(1);
        eol[0] = (byte)'\n';
        output.Advance(1);
    }

    /// <summary>
    /// Converts the next piece of COPY TEXT input. Complete rows are written to <paramref name="output"/>; an
    /// incomplete last row is kept for the next call.
    /// </summary>
    /// <param name="input">The next bytes of the COPY TEXT stream, split anywhere.</param>
    /// <param name="output">Where the CSV bytes go.</param>
    /// <exception cref="InvalidDataException">A row has the wrong number of fields, or data follows the end marker.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Convert(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_ended)
        {
            CheckAfterEnd(input);
            return;
        }

        Span<byte> dst = default;
        var written = 0;
        try
        {
            var searchFrom = 0;
            if (_carryLength > 0)
            {
                // The first LF that is not escaped completes the row begun in an earlier call.
                int nl;
                while (true)
                {
                    var rel = input[searchFrom..].IndexOf((byte)'\n');
                    if (rel < 0)
                    {
                        AppendCarry(input);
                        return;
                    }
                    nl = searchFrom + rel;
                    if (!IsEscaped(input[..nl], includeCarry: true)) break;
                    searchFrom = nl + 1;
                }
                AppendCarry(input[..nl]);
                var row = _carry.AsSpan(0, _carryLength);
                _carryLength = 0;
                EmitRow(row, output, ref dst, ref written);
                input = input[(nl + 1)..];
                if (_ended)
                {
                    CheckAfterEnd(input);
                    return;
                }
                searchFrom = 0;
            }

            while (true)
            {
                var rel = input[searchFrom..].IndexOf((byte)'\n');
                if (rel < 0) break;
                var nl = searchFrom + rel;
                if (nl > 0 && input[nl - 1] == (byte)'\\' && IsEscaped(input[..nl], includeCarry: false))
                {
                    searchFrom = nl + 1;
                    continue;
                }
                EmitRow(input[..nl], output, ref dst, ref written);
                input = input[(nl + 1)..];
                searchFrom = 0;
                if (_ended)
                {
                    CheckAfterEnd(input);
                    return;
                }
            }
            AppendCarry(input);
        }
        finally
        {
            if (written > 0) output.Advance(written);
        }
    }

    /// <summary>Declares the end of the input.</summary>
    /// <exception cref="InvalidDataException">The input ended in the middle of a row.</exception>
    public void Complete()
    {
        if (_ended || _carryLength == 0) return;
        if (_carryLength == 2 && _carry[0] == (byte)'\\' && _carry[1] == (byte)'.')
        {
            // The end marker without its final newline.
            _carryLength = 0;
            _ended = true;
            return;
        }
        throw new InvalidDataException(
            $"COPY text data ends in the middle of row {Rows + 1}: {_carryLength} byte(s) without a terminating newline.");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EmitRow(ReadOnlySpan<byte> row, IBufferWriter<byte> output, ref Span<byte> dst, ref int written)
    {
        if (row.Length == 2 && row[0] == (byte)'\\' && row[1] == (byte)'.')
        {
            _ended = true;
            return;
        }
        // Decoding never lengthens a field; doubling quotes at most doubles it; plus two quotes per field,
        // the commas and the newline.
        var need = 2L * row.Length + 3L * _columnCount + 1;
        if (need > int.MaxValue) throw new InvalidDataException($"COPY text row {Rows + 1} is too large ({row.Length} bytes).");
        if (dst.Length - written < need)
        {
            if (written > 0) output.Advance(written);
            written = 0;
            dst = output.GetSpan(Math.Max((int)need, MinOutputBlock));
        }
        written += WriteRow(row, dst[written..]);
        Rows++;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int WriteRow(ReadOnlySpan<byte> row, Span<byte> dst)
    {
        var columns = _columnCount;
        if (columns == 0)
        {
            if (row.Length != 0) throw FieldCountError(row);
            dst[0] = (byte)'\n';
            return 1;
        }

        var o = 0;
        var field = 0;
        var rest = row;
        while (true)
        {
            if (field == columns) throw FieldCountError(row);
            if (field > 0) dst[o++] = (byte)',';
            field++;

            var i = rest.IndexOfAny(s_fieldSpecials);
            if (i < 0 || rest[i] == (byte)'\t')
            {
                // Plain field: copied as is; only the empty string needs quotes.
                var len = i < 0 ? rest.Length : i;
                if (len == 0)
                {
                    dst[o] = (byte)'"';
                    dst[o + 1] = (byte)'"';
                    o += 2;
                }
                else
                {
                    rest[..len].CopyTo(dst[o..]);
                    o += len;
                }
                if (i < 0) break;
                rest = rest[(i + 1)..];
                continue;
            }

            var consumed = WriteComplexField(rest, i, columns == 1, dst, ref o);
            if (consumed >= rest.Length) break;
            rest = rest[(consumed + 1)..]; // skip the TAB
        }

        if (field != columns) throw FieldCountError(row);
        dst[o++] = (byte)'\n';
        return o;
    }

    /// <summary>
    /// Writes a field that has a backslash or a quote-triggering byte at <paramref name="special"/> (the bytes
    /// before it are plain). Returns the number of input bytes the field took (it ends at a TAB or the row end).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int WriteComplexField(ReadOnlySpan<byte> rest, int special, bool singleColumn, Span<byte> dst, ref int o)
    {
        if (special == 0 && rest.Length >= 2 && rest[0] == (byte)'\\' && rest[1] == (byte)'N'
            && (rest.Length == 2 || rest[2] == (byte)'\t'))
        {
            return 2; // NULL: nothing is written
        }

        // Decode into dst after one byte kept free for an opening quote.
        var start = o + 1;
        rest[..special].CopyTo(dst[start..]);
        var w = start + special;
        var j = special;
        while (j < rest.Length)
        {
            var c = rest[j];
            if (c == (byte)'\t') break;
            if (c != (byte)'\\')
            {
                var run = rest[j..].IndexOfAny(s_tabOrBackslash);
                if (run < 0) run = rest.Length - j;
                rest.Slice(j, run).CopyTo(dst[w..]);
                w += run;
                j += run;
                continue;
            }
            j++;
            if (j >= rest.Length) break; // a lone backslash at the end of the row is dropped, as PostgreSQL does
            c = rest[j++];
            switch (c)
            {
                case (byte)'0': case (byte)'1': case (byte)'2': case (byte)'3':
                case (byte)'4': case (byte)'5': case (byte)'6': case (byte)'7':
                {
                    var val = c - '0';
                    if (j < rest.Length && IsOctal(rest[j]))
                    {
                        val = (val << 3) + (rest[j++] - '0');
                        if (j < rest.Length && IsOctal(rest[j])) val = (val << 3) + (rest[j++] - '0');
                    }
                    c = (byte)val;
                    break;
                }
                case (byte)'x':
                    if (j < rest.Length && HexValue(rest[j]) is var h1 && h1 >= 0)
                    {
                        j++;
                        var val = h1;
                        if (j < rest.Length && HexValue(rest[j]) is var h2 && h2 >= 0)
                        {
                            j++;
                            val = (val << 4) + h2;
                        }
                        c = (byte)val;
                    }
                    break;
                case (byte)'b': c = 0x08; break;
                case (byte)'f': c = 0x0C; break;
                case (byte)'n': c = 0x0A; break;
                case (byte)'r': c = 0x0D; break;
                case (byte)'t': c = 0x09; break;
                case (byte)'v': c = 0x0B; break;
                default: break; // any other byte stands for itself
            }
            dst[w++] = c;
        }

        var decoded = dst[start..w];
        if (!NeedsQuotes(decoded, singleColumn))
        {
            decoded.CopyTo(dst[o..]);
            o += decoded.Length;
            return j;
        }

        dst[o] = (byte)'"';
        var quotes = decoded.Count((byte)'"');
        if (quotes > 0)
        {
            // Double the quotes in place, from the right.
            var to = w + quotes - 1;
            for (var from = w - 1; from >= start; from--)
            {
                var b = dst[from];
                dst[to--] = b;
                if (b == (byte)'"') dst[to--] = b;
            }
        }
        o = w + quotes;
        dst[o++] = (byte)'"';
        return j;
    }

    private static bool NeedsQuotes(ReadOnlySpan<byte> value, bool singleColumn) =>
        value.Length == 0
        || (singleColumn && value.Length == 2 && value[0] == (byte)'\\' && value[1] == (byte)'.')
        || value.IndexOfAny(s_csvQuoteTriggers) >= 0;

    /// <summary>Writes one non-null value with CSV quoting; returns the bytes written (at most 2·length + 2).</summary>
    private static int WriteCsvValue(ReadOnlySpan<byte> value, bool singleColumn, Span<byte> dst)
    {
        if (!NeedsQuotes(value, singleColumn))
        {
            value.CopyTo(dst);
            return value.Length;
        }
        var o = 0;
        dst[o++] = (byte)'"';
        while (true)
        {
            var q = value.IndexOf((byte)'"');
            if (q < 0)
            {
                value.CopyTo(dst[o..]);
                o += value.Length;
                break;
            }
            value[..(q + 1)].CopyTo(dst[o..]);
            o += q + 1;
            dst[o++] = (byte)'"';
            value = value[(q + 1)..];
        }
        dst[o++] = (byte)'"';
        return o;
    }

    private static bool IsOctal(byte b) => (uint)(b - '0') <= 7;

    private static int HexValue(byte b)
    {
        if ((uint)(b - '0') <= 9) return b - '0';
        var lower = b | 0x20;
        if ((uint)(lower - 'a') <= 5) return lower - 'a' + 10;
        return -1;
    }

    /// <summary>
    /// True when the LF right after <paramref name="before"/> is escaped, i.e. preceded by an odd run of
    /// backslashes (looking into the kept partial row too when <paramref name="includeCarry"/>).
    /// </summary>
    private bool IsEscaped(ReadOnlySpan<byte> before, bool includeCarry)
    {
        var run = 0;
        var k = before.Length - 1;
        while (k >= 0 && before[k] == (byte)'\\')
        {
            run++;
            k--;
        }
        if (k < 0 && includeCarry)
        {
            for (var c = _carryLength - 1; c >= 0 && _carry[c] == (byte)'\\'; c--) run++;
        }
        return (run & 1) == 1;
    }

    private void AppendCarry(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        var needed = (long)_carryLength + data.Length;
        if (needed > Array.MaxLength) throw new InvalidDataException($"COPY text row {Rows + 1} is too large.");
        if (needed > _carry.Length)
        {
            var size = Math.Max(Math.Max(256L, 2L * _carry.Length), needed);
            Array.Resize(ref _carry, (int)Math.Min(size, Array.MaxLength));
        }
        data.CopyTo(_carry.AsSpan(_carryLength));
        _carryLength += data.Length;
    }

    private void CheckAfterEnd(ReadOnlySpan<byte> rest)
    {
        if (rest.IndexOfAnyExcept((byte)'\n') >= 0)
        {
            throw new InvalidDataException("COPY text data continues after the end-of-data marker \\.");
        }
    }

    private InvalidDataException FieldCountError(ReadOnlySpan<byte> row) =>
        new($"COPY text row {Rows + 1}: expected {_columnCount} field(s), found {CountFields(row)}.");

    private static int CountFields(ReadOnlySpan<byte> row)
    {
        var fields = 1;
        for (var i = 0; i < row.Length; i++)
        {
            if (row[i] == (byte)'\\') i++;
            else if (row[i] == (byte)'\t') fields++;
        }
        return fields;
    }
}
