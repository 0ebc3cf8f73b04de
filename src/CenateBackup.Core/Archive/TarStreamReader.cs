using System;
using System.Collections.Generic;
using System.Text;

namespace CenateBackup.Core.Archive;

/// <summary>Where a member's data goes, piece by piece.</summary>
public delegate void TarDataSink(ReadOnlySpan<byte> data);

/// <summary>One member of a tar stream as its header describes it.</summary>
/// <param name="Name">Path inside the archive (ustar prefix joined).</param>
/// <param name="Type">The typeflag: '0' regular file, '5' directory, '2' symbolic link…</param>
/// <param name="Size">Data bytes that follow the header.</param>
public sealed record TarMember(string Name, char Type, long Size)
{
    /// <summary>True for a regular file.</summary>
    public bool IsFile => Type is '0' or '\0' or '7';

    /// <summary>True for a directory.</summary>
    public bool IsDirectory => Type == '5';
}

/// <summary>
/// Reads a tar stream as it is pushed through, with no seeking and no copy of its data: each 512-byte header is
/// parsed and checked (its checksum), each member's data is handed to the sink its header asked for, and the end (two
/// zero blocks) is noticed. What pg_basebackup writes to stdout (ustar, names under 100 bytes) is read; a broken header,
/// a member cut short or a stream with no end is an <see cref="Error"/>, so a truncated or damaged base backup is never
/// taken for a whole one.
/// </summary>
public sealed class TarStreamReader
{
    private const int Block = 512;
    private readonly Func<TarMember, TarDataSink?> _onMember;
    private readonly byte[] _header = new byte[Block];
    private int _headerFill;
    private long _dataLeft;
    private long _padLeft;
    private TarDataSink? _sink;
    private int _zeroBlocks;

    /// <summary>Creates a reader; <paramref name="onMember"/> returns where a member's data goes (null: skipped).</summary>
    public TarStreamReader(Func<TarMember, TarDataSink?> onMember)
    {
        _onMember = onMember;
    }

    /// <summary>Members seen so far.</summary>
    public int Members { get; private set; }

    /// <summary>Bytes pushed so far.</summary>
    public long Bytes { get; private set; }

    /// <summary>True once the end-of-archive blocks were read.</summary>
    public bool Ended { get; private set; }

    /// <summary>What is wrong with the stream (null while it reads as a tar).</summary>
    public string? Error { get; private set; }

    /// <summary>Pushes the next bytes of the stream.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        Bytes += data.Length;
        while (data.Length > 0 && Error is null)
        {
            if (_dataLeft > 0)
            {
                var n = (int)Math.Min(_dataLeft, data.Length);
                _sink?.Invoke(data[..n]);
                _dataLeft -= n;
                data = data[n..];
                continue;
            }
            if (_padLeft > 0)
            {
                var n = (int)Math.Min(_padLeft, data.Length);
                _padLeft -= n;
                data = data[n..];
                continue;
            }
            var take = Math.Min(Block - _headerFill, data.Length);
            data[..take].CopyTo(_header.AsSpan(_headerFill));
            _headerFill += take;
            data = data[take..];
            if (_headerFill < Block) break;
            _headerFill = 0;
            OnHeader();
        }
    }

    /// <summary>Says the stream ended: an archive without its end blocks, or cut inside a member, is an error.</summary>
    public void Finish()
    {
        if (Error is not null) return;
        if (!Ended)
        {
            Error = _dataLeft > 0 || _padLeft > 0 || _headerFill > 0
                ? $"the stream ends inside a member ({Bytes} bytes read)"
                : $"the stream ends without the tar end blocks ({Bytes} bytes read)";
        }
    }

    private void OnHeader()
    {
        if (Ended)
        {
            // Past the end only zero padding may follow (tar pads to its record size).
            if (Array.Exists(_header, b => b != 0)) Error = "data follows the end of the archive";
            return;
        }
        if (Array.TrueForAll(_header, b => b == 0))
        {
            if (++_zeroBlocks == 2) Ended = true;
            return;
        }
        if (_zeroBlocks > 0)
        {
            Error = "a header follows a zero block";
            return;
        }
        var member = Parse(_header, out var why);
        if (member is null)
        {
            Error = $"header {Members + 1} is not a tar header ({why})";
            return;
        }
        Members++;
        _sink = _onMember(member);
        _dataLeft = member.Type is '0' or '\0' or '7' ? member.Size : member.Type is '5' or '2' or '1' ? 0 : member.Size;
        _padLeft = (Block - (_dataLeft % Block)) % Block;
    }

    /// <summary>Parses a 512-byte ustar header; null with the reason when it is not one.</summary>
    public static TarMember? Parse(ReadOnlySpan<byte> header, out string why)
    {
        why = "";
        long sum = 0;
        for (var i = 0; i < Block; i++) sum += i is >= 148 and < 156 ? (byte)' ' : header[i];
        if (!TryOctal(header.Slice(148, 8), out var recorded) || recorded != sum)
        {
            why = "bad checksum";
            return null;
        }
        if (!TrySize(header.Slice(124, 12), out var size) || size < 0)
        {
            why = "bad size";
            return null;
        }
        var name = Text(header[..100]);
        // POSIX ustar ("ustar\0") has a name prefix at 345; GNU's "ustar  " keeps other fields there.
        if (header.Slice(257, 6).SequenceEqual("ustar\0"u8))
        {
            var prefix = Text(header.Slice(345, 155));
            if (prefix.Length > 0) name = prefix + "/" + name;
        }
        if (name.Length == 0)
        {
            why = "empty name";
            return null;
        }
        return new TarMember(name, (char)header[156], size);
    }

    private static string Text(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    private static bool TrySize(ReadOnlySpan<byte> field, out long value)
    {
        if ((field[0] & 0x80) != 0)
        {
            // GNU base-256 for sizes of 8 GiB and more.
            value = field[0] & 0x7F;
            for (var i = 1; i < field.Length; i++)
            {
                if (value > (long.MaxValue >> 8)) return false;
                value = (value << 8) | field[i];
            }
            return true;
        }
        return TryOctal(field, out value);
    }

    private static bool TryOctal(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        var text = Encoding.ASCII.GetString(field).Trim(' ', '\0');
        if (text.Length == 0) return true;
        foreach (var c in text)
        {
            if (c is < '0' or > '7') return false;
        }
        try
        {
            value = Convert.ToInt64(text, 8);
            return true;
        }
        catch (Exception ex) when (ex is OverflowException or FormatException)
        {
            return false;
        }
    }

    /// <summary>A 512-byte ustar header (for tests and tools that write a tar).</summary>
    public static byte[] Header(string name, char type, long size)
    {
        var h = new byte[Block];
        Encoding.UTF8.GetBytes(name).CopyTo(h, 0);
        Encoding.ASCII.GetBytes("0000600\0").CopyTo(h, 100);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(h, 108);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(h, 116);
        Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0").CopyTo(h, 124);
        Encoding.ASCII.GetBytes("00000000000\0").CopyTo(h, 136);
        h[156] = (byte)type;
        "ustar\0"u8.CopyTo(h.AsSpan(257));
        "00"u8.CopyTo(h.AsSpan(263));
        for (var i = 148; i < 156; i++) h[i] = (byte)' ';
        long sum = 0;
        foreach (var b in h) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
        return h;
    }

    /// <summary>Collected small members by name (backup_label, backup_manifest, PG_VERSION, global/pg_control).</summary>
    public static Func<TarMember, TarDataSink?> Collect(IReadOnlyCollection<string> names, IDictionary<string, byte[]> into,
        long maxSize = 64L << 20)
    {
        return member =>
        {
            if (!member.IsFile || member.Size > maxSize || !Contains(names, member.Name)) return null;
            var buffer = new byte[member.Size];
            var at = 0;
            into[member.Name] = buffer;
            return data =>
            {
                data.CopyTo(buffer.AsSpan(at));
                at += data.Length;
            };
        };
    }

    private static bool Contains(IReadOnlyCollection<string> names, string name)
    {
        foreach (var n in names) if (string.Equals(n, name, StringComparison.Ordinal)) return true;
        return false;
    }
}
