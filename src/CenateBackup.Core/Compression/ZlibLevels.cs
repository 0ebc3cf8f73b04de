using System.IO.Compression;

namespace CenateBackup.Core.Compression;

/// <summary>
/// The zlib levels 0–9 the cmdlets accept, mapped to the four settings .NET offers on net8.0:
/// 0 none, 1–3 fastest, 4–6 optimal (zlib 6), 7–9 smallest (zlib 9). Used for .gz files and recompressed dumps alike.
/// </summary>
public static class ZlibLevels
{
    /// <summary>The .NET setting for a zlib level.</summary>
    public static CompressionLevel ToCompressionLevel(int level) => level switch
    {
        0 => CompressionLevel.NoCompression,
        <= 3 => CompressionLevel.Fastest,
        <= 6 => CompressionLevel.Optimal,
        _ => CompressionLevel.SmallestSize,
    };
}
