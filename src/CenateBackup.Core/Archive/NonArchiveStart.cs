using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Archive;

/// <summary>
/// What a file that is not a pg_dump custom-format archive starts with, for the message that refuses it: a gzip, PNG
/// or zip file, a plain SQL dump, text, or binary data (named by its first bytes). The stream is refused anyway, so a
/// few hundred more bytes are read to tell text from binary noise that happens to start with printable bytes.
/// </summary>
internal static class NonArchiveStart
{
    /// <summary>Up to <see cref="SampleLength"/> bytes from the start of a stream that is not an archive.</summary>
    public static async Task<byte[]> SampleAsync(PgArchiveReader reader, byte[] start, CancellationToken ct)
    {
        var sample = new List<byte>(start);
        while (sample.Count < SampleLength)
        {
            var b = await reader.TryReadByteAsync(ct).ConfigureAwait(false);
            if (b < 0) break;
            sample.Add((byte)b);
        }
        return sample.ToArray();
    }

    /// <summary>How many bytes of a non-archive are looked at.</summary>
    public const int SampleLength = 512;

    /// <summary>
    /// What the start of a non-archive is, in a few words (empty when nothing can be said). Text is bytes without
    /// control characters other than tab, line feed, vertical tab, form feed and carriage return; a random binary
    /// file has such a byte within its first few hundred bytes almost surely, so it is not called text.
    /// </summary>
    public static string Describe(ReadOnlySpan<byte> start)
    {
        if (start.StartsWith(new byte[] { 0x1F, 0x8B })) return Messages.Get("ArchiveInvalid.Start.Gzip");
        if (start.StartsWith(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }))
            return Messages.Get("ArchiveInvalid.Start.Png");
        if (start.StartsWith(new byte[] { (byte)'P', (byte)'K', 3, 4 })) return Messages.Get("ArchiveInvalid.Start.Zip");
        if (start.StartsWith("--"u8)) return Messages.Get("ArchiveInvalid.Start.Sql");
        if (start.Length == 0) return string.Empty;
        foreach (var b in start)
        {
            if (b < 0x09 || (b > 0x0D && b < 0x20) || b == 0x7F)
            {
                var first = start[..Math.Min(8, start.Length)].ToArray()
                    .Select(x => x.ToString("X2", CultureInfo.InvariantCulture));
                return Messages.Format("ArchiveInvalid.Start.Binary", string.Join(" ", first));
            }
        }
        return Messages.Get("ArchiveInvalid.Start.Text");
    }
}
