namespace CenateBackup.Core.Archive;

/// <summary>The header of a pg_dump custom-format archive.</summary>
/// <param name="VersionMajor">Archive format major version (1).</param>
/// <param name="VersionMinor">Archive format minor version: 12 and 13 (pg_dump 9.x–11), 14 (12–15), 15 (16), 16 (17 and later).</param>
/// <param name="VersionRevision">Archive format revision byte (0 in every pg_dump release).</param>
/// <param name="IntSize">Bytes per integer in the archive (4).</param>
/// <param name="OffSize">Bytes per file offset in the archive (8).</param>
/// <param name="Compression">How the data blocks are compressed: "none", "gzip", "lz4" or "zstd".</param>
/// <param name="CompressionLevel">
/// The zlib level recorded by format 1.14 and older (-1 is zlib's default, 0 none); from 1.15 on the header records
/// only the algorithm, so this is 0 for "none" and -1 (unknown) otherwise.
/// </param>
/// <param name="DatabaseName">The database that was dumped.</param>
/// <param name="ServerVersion">The server version pg_dump read from, e.g. "15.18 (Debian 15.18-0+deb12u1)".</param>
/// <param name="PgDumpVersion">The version of the pg_dump that wrote the archive, e.g. "15.18 (Debian 15.18-0+deb12u1)".</param>
public sealed record ArchiveHeader(int VersionMajor, int VersionMinor, int VersionRevision, int IntSize, int OffSize,
    string Compression, int CompressionLevel, string DatabaseName, string ServerVersion, string PgDumpVersion)
{
    /// <summary>"major.minor", e.g. "1.14".</summary>
    public string FormatVersion => $"{VersionMajor}.{VersionMinor}";
}
