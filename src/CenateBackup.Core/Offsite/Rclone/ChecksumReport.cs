using System.Collections.Generic;

namespace CenateBackup.Core.Offsite.Rclone;

/// <summary>What `rclone checksum sha256 --download` found for the named files.</summary>
/// <param name="Matched">Files whose downloaded bytes hash to the expected sha256.</param>
/// <param name="Differ">Files whose bytes differ, or that could not be read or decrypted.</param>
/// <param name="Missing">Files that are not at the remote.</param>
public sealed record ChecksumReport(IReadOnlyList<string> Matched, IReadOnlyList<string> Differ, IReadOnlyList<string> Missing)
{
    /// <summary>Every named file is there and matches.</summary>
    public bool Passed => Differ.Count == 0 && Missing.Count == 0;
}
