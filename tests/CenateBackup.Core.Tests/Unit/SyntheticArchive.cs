using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>A table-of-contents entry for <see cref="SyntheticArchive"/>.</summary>
public sealed record SyntheticEntry(int DumpId, string Desc, string? Schema, string Tag, string? Owner, bool HasData,
    string? CopyStmt = null, int Section = 3, int[]? Deps = null, int? OffsetFlag = null);

/// <summary>Writes a custom-format archive the way pg_dump's WriteHead/WriteToc/_StartData/_EndData do, for one format version.</summary>
public sealed class SyntheticArchive
{
    private readonly MemoryStream _bytes = new();
    private readonly int _minor;
    private int _compression;

    public SyntheticArchive(int minor) => _minor = minor;

    public SyntheticArchive Byte(int b) { _bytes.WriteByte((byte)b); return this; }
    public SyntheticArchive Bytes(byte[] b) { _bytes.Write(b); return this; }

    public SyntheticArchive Int(long value)
    {
        Byte(value < 0 ? 1 : 0);
        var magnitude = (ulong)Math.Abs(value);
        for (var i = 0; i < 4; i++) { Byte((int)(magnitude & 0xFF)); magnitude >>= 8; }
        return this;
    }

    public SyntheticArchive Str(string? s)
    {
        if (s is null) return Int(-1);
        var b = Encoding.UTF8.GetBytes(s);
        return Int(b.Length).Bytes(b);
    }

    /// <summary>Up to 1.14 <paramref name="compression"/> is the zlib level; from 1.15 the algorithm byte.</summary>
    public SyntheticArchive Header(int compression, string database, string server, string pgDump)
    {
        _compression = compression;
        Bytes(Encoding.ASCII.GetBytes("PGDMP")).Byte(1).Byte(_minor).Byte(0).Byte(4).Byte(8).Byte(1);
        if (_minor >= 15) Byte(compression); else Int(compression);
        foreach (var t in new[] { 27, 41, 23, 27, 10, 126, 0 }) Int(t); // sec, min, hour, mday, mon, year, isdst
        return Str(database).Str(server).Str(pgDump);
    }

    public SyntheticArchive Toc(params SyntheticEntry[] entries)
    {
        Int(entries.Length);
        foreach (var e in entries)
        {
            Int(e.DumpId).Int(e.HasData ? 1 : 0).Str("1259").Str((16384 + e.DumpId).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Str(e.Tag).Str(e.Desc).Int(e.Section).Str(e.Desc == "TABLE DATA" ? "" : "CREATE something;\n").Str("DROP something;\n");
            Str(e.CopyStmt).Str(e.Schema).Str("");
            if (_minor >= 14) Str(e.Desc.StartsWith("TABLE", StringComparison.Ordinal) ? "heap" : "");
            if (_minor >= 16) Int(e.Desc.StartsWith("TABLE", StringComparison.Ordinal) ? 'r' : 0);
            Str(e.Owner).Str("false");
            foreach (var d in e.Deps ?? Array.Empty<int>()) Str(d.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Str(null);
            Byte(e.OffsetFlag ?? (e.HasData ? 1 : 3)).Bytes(new byte[8]); // written to a pipe: no offsets
        }
        return this;
    }

    public static byte[] Zlib(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }

    private bool Compressed => _minor >= 15 ? _compression == 1 : _compression != 0;

    /// <summary>A type-1 block; with <paramref name="compress"/> the pieces become one zlib stream cut into 5-byte chunks.</summary>
    public SyntheticArchive DataBlock(int dumpId, bool compress, params byte[][] pieces)
    {
        Byte(1).Int(dumpId);
        Chunks(compress, pieces);
        return this;
    }

    /// <summary>A type-1 block holding exactly these chunks.</summary>
    public SyntheticArchive RawDataBlock(int dumpId, params byte[][] chunks)
    {
        Byte(1).Int(dumpId);
        foreach (var c in chunks) Int(c.Length).Bytes(c);
        return Int(0);
    }

    public SyntheticArchive BlobBlock(int dumpId, bool compress, params (int Oid, byte[] Data)[] blobs)
    {
        Byte(3).Int(dumpId);
        foreach (var (oid, data) in blobs)
        {
            Int(oid);
            Chunks(compress, data);
        }
        return Int(0);
    }

    private void Chunks(bool compress, params byte[][] pieces)
    {
        if (compress && !Compressed) throw new InvalidOperationException("the header says uncompressed");
        if (compress)
        {
            var z = Zlib(pieces.SelectMany(p => p).ToArray());
            for (var i = 0; i < z.Length; i += 5) Int(Math.Min(5, z.Length - i)).Bytes(z[i..Math.Min(z.Length, i + 5)]);
        }
        else
        {
            foreach (var p in pieces.Where(p => p.Length > 0)) Int(p.Length).Bytes(p);
        }
        Int(0);
    }

    public byte[] ToArray() => _bytes.ToArray();
}
