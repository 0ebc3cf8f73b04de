using System;

namespace CenateBackup.Core.Compression;

/// <summary>The Adler-32 checksum that ends every zlib stream (RFC 1950).</summary>
public struct Adler32
{
    private const uint Mod = 65521;
    // Largest n such that 255n(n+1)/2 + (n+1)(Mod-1) fits in 32 bits: sums can wait that long before the modulo.
    private const int NMax = 5552;
    private uint _a;
    private uint _b;
    private bool _started;

    /// <summary>The checksum of everything added so far (1 for no data).</summary>
    public readonly uint Value => _started ? (_b << 16) | _a : 1u;

    /// <summary>Adds bytes.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (!_started) { _a = 1; _b = 0; _started = true; }
        uint a = _a, b = _b;
        while (data.Length > 0)
        {
            var n = Math.Min(data.Length, NMax);
            foreach (var x in data[..n])
            {
                a += x;
                b += a;
            }
            a %= Mod;
            b %= Mod;
            data = data[n..];
        }
        _a = a;
        _b = b;
    }
}
