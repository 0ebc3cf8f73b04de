using System;

namespace CenateBackup.Core.Offsite.Directories;

/// <summary>One file copied to a directory target and read back from its disk.</summary>
/// <param name="Path">The file at the target (final name).</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Sha256">Lowercase hex SHA-256 of the bytes read back (equal to the expected one).</param>
/// <param name="Elapsed">Copy and read-back together.</param>
public sealed record VerifiedCopyResult(string Path, long Bytes, string Sha256, TimeSpan Elapsed)
{
    /// <summary>
    /// True when the read-back came from the disk: the file was fsynced and dropped from the page cache first
    /// (Linux). False where the OS offers no way to drop it, so the read-back may have come from memory.
    /// </summary>
    public bool ReadFromDisk { get; init; } = true;
}
