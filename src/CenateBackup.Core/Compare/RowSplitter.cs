using System;

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
    private readonly bool _csv;
    private readonly RowHandler _row;
    private byte[] _carry = new byte[1 << 16];
    private int _carried;
    private bool _inQuote;

    /// <summary>Rows are given to <paramref name="row"/>; <paramref name="csv"/>: CSV records, else COPY
    /// text.</summary>
    public RowSplitter(bool csv, RowHandler row)
    {
        _csv = csv;
        _row = row;
    }

    /// <summary>Feeds the next bytes.</summary>
    public void Feed(ReadOnlySpan<byte> chunk)
    {
        var pos = 0;
        if (_carried > 0)
        {
            var end = FindEnd(chunk);
            if (end < 0) { Carry(chunk); return; }
            Carry(chunk[..end]);
            _row(_carry.AsSpan(0, _carried));
            _carried = 0;
            pos = end + 1;
        }
        while (pos < chunk.Length)
        {
            var end = FindEnd(chunk[pos..]);
            if (end < 0) break;
            _row(chunk.Slice(pos, end));
            pos += end + 1;
        }
        Carry(chunk[pos..]);
    }

    /// <summary>Ends the stream: a last row without a newline is given as it is; an open CSV quote is
    /// corrupt.</summary>
    public void Finish()
    {
        if (_inQuote) throw new FormatException("the data ends inside a quoted CSV field");
        if (_carried > 0) _row(_carry.AsSpan(0, _carried));
        _carried = 0;
    }

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

    private void Carry(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return;
        if (_carried + bytes.Length > _carry.Length) Array.Resize(ref _carry, Math.Max(_carry.Length * 2, _carried
            + bytes.Length));
        bytes.CopyTo(_carry.AsSpan(_carried));
        _carried += bytes.Length;
    }
}
