using System;
using System.Buffers.Binary;

namespace CenateBackup.Core.Compare;

/// <summary>
/// The order both sides of a comparison are sorted in, per key field: NULL first; canonical integers (no leading zeros,
/// no '+', "-0" is not one) by value, before any other text; other text by ordinal UTF-8 bytes. Integers of any length
/// compare exactly (sign, then digit count, then digits): a key like a DNI with leading zeros sorts as text.
/// </summary>
internal static class CompareKeyOrder
{
    /// <summary>True for -?[1-9][0-9]* or 0.</summary>
    public static bool IsCanonicalInteger(ReadOnlySpan<byte> s)
    {
        var digits = s.Length > 0 && s[0] == (byte)'-' ? s[1..] : s;
        if (digits.Length == 0) return false;
        if (digits[0] == (byte)'0') return digits.Length == 1 && s.Length == 1;
        foreach (var b in digits) if ((uint)(b - '0') > 9) return false;
        return true;
    }

    /// <summary>The value of a canonical integer of at most 18 digits (a fast sort key); false otherwise.</summary>
    public static bool TryFastInteger(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > 19 || !IsCanonicalInteger(s)) return false;
        var negative = s[0] == (byte)'-';
        var digits = negative ? s[1..] : s;
        if (digits.Length > 18) return false;
        foreach (var b in digits) value = value * 10 + (b - '0');
        if (negative) value = -value;
        return true;
    }

    /// <summary>Compares two field values (null: SQL NULL).</summary>
    public static int CompareField(ReadOnlySpan<byte> a, bool aNull, ReadOnlySpan<byte> b, bool bNull)
    {
        if (aNull || bNull) return aNull == bNull ? 0 : aNull ? -1 : 1;
        var ai = IsCanonicalInteger(a);
        var bi = IsCanonicalInteger(b);
        if (ai && bi) return CompareIntegers(a, b);
        if (ai != bi) return ai ? -1 : 1;
        return a.SequenceCompareTo(b);
    }

    private static int CompareIntegers(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var an = a[0] == (byte)'-';
        var bn = b[0] == (byte)'-';
        if (an != bn) return an ? -1 : 1;
        var byMagnitude = a.Length != b.Length ? a.Length.CompareTo(b.Length) : a.SequenceCompareTo(b);
        return an ? -Math.Sign(byMagnitude) : Math.Sign(byMagnitude);
    }

    /// <summary>
    /// Compares the keys of two records (<see cref="CompareRecord"/> layout: <paramref name="keyCount"/> fields, each
    /// an
    /// int32 length, -1 for NULL, then its bytes).
    /// </summary>
    public static int CompareKeys(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int keyCount)
    {
        int pa = 0, pb = 0;
        for (var i = 0; i < keyCount; i++)
        {
            var la = BinaryPrimitives.ReadInt32LittleEndian(a[pa..]);
            var lb = BinaryPrimitives.ReadInt32LittleEndian(b[pb..]);
            pa += 4;
            pb += 4;
            var fa = la < 0 ? default : a.Slice(pa, la);
            var fb = lb < 0 ? default : b.Slice(pb, lb);
            var c = CompareField(fa, la < 0, fb, lb < 0);
            if (c != 0) return c;
            pa += Math.Max(la, 0);
            pb += Math.Max(lb, 0);
        }
        return 0;
    }
}
