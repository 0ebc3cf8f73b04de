using System;

namespace CenateBackup.Core.Archive;

/// <summary>
/// Counts the rows of COPY text-format data fed in pieces of any size. Every row ends in LF (newlines inside values
/// are escaped as \n), so rows are LF bytes, counted vectorized. pg_dump's data blocks end with the end-of-data
/// line "\." and two empty lines (pg_dump.c dumpTableData_copy); no data row can be "\." because COPY writes a
/// backslash in a value as "\\", so that trailer is recognised and not counted.
/// </summary>
internal sealed class CopyRowCounter
{
    private const int TailSize = 16;
    private readonly byte[] _tail = new byte[TailSize];
    private int _tailLength;
    private long _newlines;
    private long _bytes;

    /// <summary>Consumes the next piece of the data.</summary>
    public void Add(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        _newlines += data.Count((byte)'\n');
        _bytes += data.Length;
        if (data.Length >= TailSize)
        {
            data[^TailSize..].CopyTo(_tail);
            _tailLength = TailSize;
            return;
        }
        var keep = Math.Min(_tailLength, TailSize - data.Length);
        _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail);
        data.CopyTo(_tail.AsSpan(keep));
        _tailLength = keep + data.Length;
    }

    /// <summary>Rows so far: the LF count, less the end-of-data line and what follows it.</summary>
    public long Rows
    {
        get
        {
            var tail = _tail.AsSpan(0, _tailLength);
            var run = tail.Length - tail.TrimEnd((byte)'\n').Length; // LFs at the very end
            var before = tail.Length - run;                          // tail bytes before them
            if (run == 0 || before < 2 || tail[before - 2] != (byte)'\\' || tail[before - 1] != (byte)'.') return _newlines;
            var lineStart = _bytes - run - 2 == 0 || (before >= 3 && tail[before - 3] == (byte)'\n');
            return lineStart ? _newlines - run : _newlines;
        }
    }
}
