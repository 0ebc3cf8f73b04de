using System;

namespace CenateBackup.Core.Compare;

/// <summary>
/// One row decoded to field values (CSV unquoted, COPY text unescaped): the values' bytes in one reused buffer, each
/// field's start and length, -1 for NULL. NULL and the empty string stay distinct.
/// </summary>
internal sealed class DecodedRow
{
    private byte[] _data = new byte[4096];
    private int[] _start = new int[32];
    private int[] _length = new int[32];
    private int _used;

    /// <summary>Fields in this row.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes of field <paramref name="i"/> (empty for NULL).</summary>
    public ReadOnlySpan<byte> Field(int i) => _length[i] < 0 ? default : _data.AsSpan(_start[i], _length[i]);

    /// <summary>The stored length of field <paramref name="i"/>: -1 for NULL.</summary>
    public int Length(int i) => _length[i];

    /// <summary>Empties the row for the next one.</summary>
    public void Clear()
    {
        Count = 0;
        _used = 0;
    }

    /// <summary>Adds a NULL field.</summary>
    public void AddNull() => Add(-1, 0);

    /// <summary>Adds a field copied from <paramref name="value"/>.</summary>
    public void AddValue(ReadOnlySpan<byte> value)
    {
        EnsureData(value.Length);
        value.CopyTo(_data.AsSpan(_used));
        Add(value.Length, _used);
        _used += value.Length;
    }

    /// <summary>Room for <paramref name="max"/> bytes of a field written in place; finish it with <see
    /// cref="EndField"/>.</summary>
    public Span<byte> BeginField(int max)
    {
        EnsureData(max);
        return _data.AsSpan(_used, max);
    }

    /// <summary>Ends a field begun with <see cref="BeginField"/> that took <paramref name="written"/> bytes.</summary>
    public void EndField(int written)
    {
        Add(written, _used);
        _used += written;
    }

    private void Add(int length, int start)
    {
        if (Count == _start.Length)
        {
            Array.Resize(ref _start, Count * 2);
            Array.Resize(ref _length, Count * 2);
        }
        _start[Count] = start;
        _length[Count] = length;
        Count++;
    }

    private void EnsureData(int more)
    {
        if (_used + more <= _data.Length) return;
        Array.Resize(ref _data, Math.Max(_data.Length * 2, _used + more));
    }
}
