using System.Collections.Generic;

namespace CenateBackup.Core.Archive;

/// <summary>What <see cref="CustomArchiveInspector.ReadAsync"/> found in an archive.</summary>
public sealed class ArchiveContents
{
    internal ArchiveContents(ArchiveHeader header, IReadOnlyList<ArchiveTocEntry> entries, IReadOnlyDictionary<string, long>? rowCounts, string? rowCountsUnavailable)
    {
        Header = header;
        Entries = entries;
        RowCounts = rowCounts;
        RowCountsUnavailable = rowCountsUnavailable;
    }

    /// <summary>The archive header.</summary>
    public ArchiveHeader Header { get; }

    /// <summary>The table of contents, in archive order.</summary>
    public IReadOnlyList<ArchiveTocEntry> Entries { get; }

    /// <summary>
    /// Rows stored per table: key "schema.table" (unquoted, exactly the TABLE DATA entry's schema + "." + tag),
    /// value the number of rows in its data block, in table-of-contents order. Null when rows were not counted
    /// (not asked, or see <see cref="RowCountsUnavailable"/>).
    /// </summary>
    public IReadOnlyDictionary<string, long>? RowCounts { get; }

    /// <summary>Why <see cref="RowCounts"/> is null although counting was asked (e.g. lz4-compressed data); null otherwise.</summary>
    public string? RowCountsUnavailable { get; }
}
