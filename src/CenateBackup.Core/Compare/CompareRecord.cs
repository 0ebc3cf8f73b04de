using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO.Hashing;
using System.Text;

namespace CenateBackup.Core.Compare;

/// <summary>
/// The compact record a row becomes for sorting and joining: its key fields (each an int32 length, -1 for NULL, then
/// the bytes), a 128-bit XxHash of the compared non-key fields (each with its length or the NULL marker, in the
/// reference's column order, so two sides with other column orders hash alike), and — only with -IncludeRows — every
/// field of the row in the side's column order.
/// </summary>
internal sealed class CompareRecord
{
    /// <summary>Bytes of the hash.</summary>
    public const int HashBytes = 16;

    private readonly int[] _key;
    private readonly int[] _compared;
    private readonly int[]? _all;
    private byte[] _record = new byte[1024];
    private byte[] _hashInput = new byte[1024];

    /// <summary>
    /// <paramref name="key"/>/<paramref name="compared"/>: indexes into the decoded row of the key fields (key order)
    /// and the compared fields; <paramref name="all"/>: the row's fields to carry (null: none).
    /// </summary>
    public CompareRecord(int[] key, int[] compared, int[]? all)
    {
        _key = key;
        _compared = compared;
        _all = all;
    }

    /// <summary>The highest field index the row must have.</summary>
    public int FieldsNeeded
    {
        get
        {
            var max = -1;
            foreach (var i in _key) max = Math.Max(max, i);
            foreach (var i in _compared) max = Math.Max(max, i);
            if (_all is not null) foreach (var i in _all) max = Math.Max(max, i);
            return max + 1;
        }
    }

    /// <summary>Encodes <paramref name="row"/>; the span is valid until the next call.</summary>
    public ReadOnlySpan<byte> Encode(DecodedRow row)
    {
        var n = 0;
        foreach (var i in _key) n = Put(ref _record, n, row, i);
        var h = 0;
        foreach (var i in _compared) h = Put(ref _hashInput, h, row, i);
        Ensure(ref _record, n + HashBytes + 4);
        XxHash128.Hash(_hashInput.AsSpan(0, h), _record.AsSpan(n, HashBytes));
        n += HashBytes;
        if (_all is not null)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_record.AsSpan(n), _all.Length);
            n += 4;
            foreach (var i in _all) n = Put(ref _record, n, row, i);
        }
        return _record.AsSpan(0, n);
    }

    private static int Put(ref byte[] buffer, int at, DecodedRow row, int i)
    {
        var length = row.Length(i);
        Ensure(ref buffer, at + 4 + Math.Max(length, 0));
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at), length);
        at += 4;
        if (length > 0) row.Field(i).CopyTo(buffer.AsSpan(at));
        return at + Math.Max(length, 0);
    }

    private static void Ensure(ref byte[] buffer, int size)
    {
        if (size > buffer.Length) Array.Resize(ref buffer, Math.Max(buffer.Length * 2, size));
    }

    /// <summary>Bytes the key fields take at the start of <paramref name="record"/>.</summary>
    public static int KeyLength(ReadOnlySpan<byte> record, int keyCount)
    {
        var p = 0;
        for (var i = 0; i < keyCount; i++) p += 4 + Math.Max(0, BinaryPrimitives.ReadInt32LittleEndian(record[p..]));
        return p;
    }

    /// <summary>The hash of the compared fields.</summary>
    public static ReadOnlySpan<byte> Hash(ReadOnlySpan<byte> record, int keyCount) =>
        record.Slice(KeyLength(record, keyCount), HashBytes);

    /// <summary>The fast sort value of the first key field when it is a canonical integer of up to 18 digits.</summary>
    public static bool TryFastKey(ReadOnlySpan<byte> record, out long value)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(record);
        value = 0;
        return length > 0 && CompareKeyOrder.TryFastInteger(record.Slice(4, length), out value);
    }

    /// <summary>The key fields as text (null for NULL), in key order.</summary>
    public static string?[] KeyText(ReadOnlySpan<byte> record, int keyCount) => Fields(record, 0, keyCount).Values;

    /// <summary>The carried row's fields as text (null for NULL), in the side's column order.</summary>
    public static string?[] RowText(ReadOnlySpan<byte> record, int keyCount)
    {
        var p = KeyLength(record, keyCount) + HashBytes;
        var count = BinaryPrimitives.ReadInt32LittleEndian(record[p..]);
        return Fields(record, p + 4, count).Values;
    }

    private static (string?[] Values, int End) Fields(ReadOnlySpan<byte> record, int p, int count)
    {
        var values = new string?[count];
        for (var i = 0; i < count; i++)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(record[p..]);
            p += 4;
            if (length >= 0)
            {
                values[i] = Encoding.UTF8.GetString(record.Slice(p, length));
                p += length;
            }
        }
        return (values, p);
    }

    /// <summary>Index of each name of <paramref name="wanted"/> in <paramref name="columns"/>.</summary>
    public static int[] IndexesOf(IReadOnlyList<string> columns, IEnumerable<string> wanted)
    {
        var list = new List<int>();
        foreach (var name in wanted)
        {
            var i = -1;
            for (var k = 0; k < columns.Count; k++) if (string.Equals(columns[k], name,
                StringComparison.Ordinal)) { i = k; break; }
            if (i < 0) throw new ArgumentException($"Column '{name}' is not in the row.", nameof(wanted));
            list.Add(i);
        }
        return list.ToArray();
    }
}
