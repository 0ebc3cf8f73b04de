using System;
using System.Collections.Generic;

namespace CenateBackup.Core.Archive;

/// <summary>One entry of an archive's table of contents (what <c>pg_restore -l</c> lists).</summary>
/// <param name="DumpId">The entry's dump id; data blocks name their entry by it.</param>
/// <param name="Description">The object type, e.g. "TABLE", "TABLE DATA", "INDEX", "CONSTRAINT", "TRIGGER", "SEQUENCE SET".</param>
/// <param name="Schema">The schema, unquoted; null for objects outside a schema.</param>
/// <param name="Tag">The object name, unquoted (for a TABLE DATA entry the table name).</param>
/// <param name="Owner">The owning role; null or empty when the object has none.</param>
public sealed record ArchiveTocEntry(int DumpId, string Description, string? Schema, string Tag, string? Owner)
{
    /// <summary>The SQL that creates the object, as pg_dump wrote it (names schema-qualified, search_path empty).</summary>
    public string? Definition { get; init; }
    /// <summary>For TABLE DATA: the COPY … FROM stdin; statement its data block is for.</summary>
    public string? CopyStatement { get; init; }
    /// <summary>1 none, 2 pre-data, 3 data, 4 post-data.</summary>
    public int Section { get; init; }
    /// <summary>Dump ids of the entries this one depends on.</summary>
    public IReadOnlyList<int> Dependencies { get; init; } = Array.Empty<int>();

    /// <summary>Entries are equal when they name the same object (dump id, type, schema, name, owner); the SQL is detail.</summary>
    public bool Equals(ArchiveTocEntry? other) =>
        other is not null && DumpId == other.DumpId && Description == other.Description && Schema == other.Schema && Tag == other.Tag && Owner == other.Owner;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(DumpId, Description, Schema, Tag, Owner);
}
