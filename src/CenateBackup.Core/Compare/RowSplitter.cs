using System;
using System.Collections.Generic;

namespace CenateBackup.Core.Compare;

/// <summary>Gets one row's bytes.</summary>
internal delegate void RowHandler(ReadOnlySpan<byte> row);

/// <summary>
/// Cuts a byte stream fed in chunks of any size into rows (without their newline): every newline ends a COPY text
/// row (a newline in a value is written \n); a CSV record ends at a newline outside quotes, so the quote state goes on
/// from one chunk to the next. Only a row that straddles two chunks is copied.
/// </summary>
internal sealed class RowSplitter
{
    /// <summary>The longest row (bytes as read, which is at least its decoded text) a comparison accepts: a crafted
    /// file with one endless row must fail, not take all the memory.</summary>
    public const int MaxRowBytes = 256 << 20;

    private readonly bool _csv;
    private readonly RowHandler _row;
    private readonly int _maxRow;
    private byte[] _carry = new byte[1 << 16];
    private int _carried;
    private long _total;
    private List<byte[]>? _segments;
    private bool _inQuote;
    private long _rows;

    /// <summary>Rows are given to <paramref name="row"/>; <paramref name="csv"/>: CSV records, else COPY
    /// text; <paramref name="rowsBefore"/>: rows of the side before this block (for the row number in errors);
    /// <paramref name="maxRow"/>: the row cap (tests lower it).</summary>
    public RowSplitter(bool csv, RowHandler row, long rowsBefore = 0, int maxRow = MaxRowBytes)
    {
        _csv = csv;
        _row = row;
        _rows = rowsBefore;
        _maxRow = maxRow;
    }

    /// <summary>Feeds the next bytes.</summary>
    public void Feed(ReadOnlySpan<byte> chunk)
    {
        var pos = 0;
        if (_total > 0)
        {
            var end = FindEnd(chunk);
            if (end < 0) { Carry(chunk); return; }
            Carry(chunk[..end]);
            Emit(Carried());
            ResetCarry();
            pos = end + 1;
        }
        while (pos < chunk.Length)
        {
            var end = FindEnd(chunk[pos..]);
            if (end < 0) break;
            Emit(chunk.Slice(pos, end));
            pos += end + 1;
        }
        Carry(chunk[pos..]);
    }

    /// <summary>Ends the stream: a last row without a newline is given as it is; an open CSV quote is
    /// corrupt.</summary>
    public void Finish()
    {
        if (_inQuote) throw new FormatException("the data ends inside a quoted CSV field");
        if (_total > 0) Emit(Carried());
        ResetCarry();
    }

    private void Emit(ReadOnlySpan<byte> row)
    {
        if (row.Length > _maxRow) throw TooLong();
        _rows++;
        _row(row);
    }

    /// <summary>The row's content is never in the message (personal data).</summary>
    private FormatException TooLong() => new($"row {_rows + 1} is longer than {Size(_maxRow)}");

    private static string Size(int bytes) => bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? $"{bytes >> 20} MB"
        : $"{bytes} bytes";

    /// <summary>The index of the newline ending the current row in <paramref name="s"/>; -1 when it is not
    /// there.</summary>
    private int FindEnd(ReadOnlySpan<byte> s)
    {
        if (!_csv) return s.IndexOf((byte)'\n');
        // A newline ends the record when an even number of quotes (counting from the record's start) precede it: two
        // vectorised passes per line instead of one search per quote (JSON columns hold many doubled quotes).
        var at = 0;
        while (true)
        {
            var rest = s[at..];
            var nl = rest.IndexOf((byte)'\n');
            var line = nl < 0 ? rest : rest[..nl];
            if ((line.Count((byte)'"') & 1) == 1) _inQuote = !_inQuote;
            if (nl < 0) return -1;
            if (!_inQuote) return at + nl;
            at += nl + 1;
        }
    }

    /// <summary>Up to this size a straddling row grows in one buffer; past it the pieces are kept as they come and
    /// joined once at the row's end, so an endless row costs its bytes, not the garbage of repeated doubling.</summary>
    private const int GrowLimit = 1 << 20;

    private void Carry(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return;
        if (_total + bytes.Length > _maxRow) throw TooLong();
        if (_segments is null && _carried + bytes.Length <= Math.Max(_carry.Length, GrowLimit))
        {
            if (_carried + bytes.Length > _carry.Length) Array.Resize(ref _carry, Math.Min(GrowLimit,
                Math.Max(_carry.Length * 2, _carried + bytes.Length)));
            bytes.CopyTo(_carry.AsSpan(_carried));
            _carried += bytes.Length;
        }
        else (_segments ??= new()).Add(bytes.ToArray());
        _total += bytes.Length;
    }

    private ReadOnlySpan<byte> Carried()
    {
        if (_segments is null) return _carry.AsSpan(0, _carried);
        var all = new byte[_total];
        _carry.AsSpan(0, _carried).CopyTo(all);
        var at = _carried;
        foreach (var piece in _segments) { piece.CopyTo(all, at); at += piece.Length; }
        return all;
    }

    private void ResetCarry()
    {
        _carried = 0;
        _total = 0;
        _segments = null;
    }
}
