using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Archive;

/// <summary>
/// Reads pg_dump custom-format archives (<c>pg_dump -Fc</c>) front to back from any readable stream, never
/// seeking, so archives written to a pipe (which carry no data offsets) read the same as files. Reports the
/// header, the table of contents and, on request, the number of rows stored for each table.
/// <para>
/// Layout (PostgreSQL src/bin/pg_dump/pg_backup_archiver.c ReadHead/ReadToc/ReadInt/ReadStr/ReadOffset and
/// pg_backup_custom.c): "PGDMP", version major/minor/revision, intSize, offSize and format bytes, then the
/// compression (an int level up to format 1.14, an algorithm byte from 1.15), seven ints of creation time and
/// three strings (database, server version, pg_dump version). The table of contents is an int count and per
/// entry: dumpId, hadDumper, tableoid, oid, tag, desc, section, defn, dropStmt, copyStmt, namespace, tablespace,
/// tableam (1.14+), relkind int (1.16+), owner, "false" (the old WITH OIDS flag), dependency strings ended by a
/// NULL string, and the custom format's data offset (a flag byte and offSize bytes). Data blocks follow to the end:
/// a type byte (1 data, 3 large objects), the dumpId, and (int length, bytes) chunks ended by a zero length; a
/// large-object block holds (oid, chunks) pairs ended by oid 0.
/// </para>
/// </summary>
public static class CustomArchiveInspector
{
    /// <summary>The oldest archive format read: 1.12 (pg_dump 9.x and 10).</summary>
    public const int OldestMinorVersion = 12;

    /// <summary>The newest archive format read: 1.16 (pg_dump 17 and later).</summary>
    public const int NewestMinorVersion = 16;

    private const byte BlockData = 1;
    private const byte BlockBlobs = 3;
    private const byte OffsetPosNotSet = 1;
    private const byte OffsetPosSet = 2;
    private const byte OffsetNoData = 3;
    private const string TableData = "TABLE DATA";

    /// <summary>
    /// Reads only the archive header. The stream is read one byte at a time, so nothing after the header is consumed.
    /// </summary>
    /// <exception cref="CenateException">
    /// <see cref="ErrorIds.ArchiveInvalid"/> when the stream is empty, too short, does not start with PGDMP, is not
    /// custom format, or has a format version this reader does not know.
    /// </exception>
    public static async Task<ArchiveHeader> ReadHeaderAsync(Stream input, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var place = new Place();
        var reader = NewReader(input, place, bufferSize: 1);
        return await ReadHeaderCoreAsync(reader, place, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the header and the table of contents; when <paramref name="countRows"/> is true also every data block
    /// to the end of the stream, inflating zlib-compressed data and counting the COPY rows of each TABLE DATA entry.
    /// Without counting, reading stops after the table of contents (with up to 1 MB of read-ahead).
    /// </summary>
    /// <exception cref="CenateException">
    /// <see cref="ErrorIds.ArchiveInvalid"/> for anything that is not a complete, well-formed archive: the message
    /// says whether the archive ends early (cut off) or holds bytes pg_dump does not write (damaged or not an archive).
    /// </exception>
    public static async Task<ArchiveContents> ReadAsync(Stream input, bool countRows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var place = new Place();
        var reader = NewReader(input, place, bufferSize: 1 << 20);
        var header = await ReadHeaderCoreAsync(reader, place, ct).ConfigureAwait(false);
        var toc = await ReadTocAsync(reader, header.VersionMinor, place, ct).ConfigureAwait(false);
        var entries = new ArchiveTocEntry[toc.Count];
        for (var i = 0; i < toc.Count; i++) entries[i] = toc[i].Entry;
        if (!countRows) return new ArchiveContents(header, entries, null, null);

        string? unavailable = header.Compression switch
        {
            "none" or "gzip" => null,
            var other => $"data compressed with {other}, which the module cannot read",
        };
        if (unavailable is null && toc.Exists(e => e.Entry.Description == TableData && !e.HasCopy))
            unavailable = "the table data is stored as INSERT statements (pg_dump --inserts), not COPY rows";

        var counts = await ReadDataBlocksAsync(reader, header, toc, unavailable is null, place, ct).ConfigureAwait(false);
        if (unavailable is not null) return new ArchiveContents(header, entries, null, unavailable);

        var ordered = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var e in toc)
        {
            if (e.Entry.Description != TableData || !counts.TryGetValue(e.Entry.DumpId, out var rows)) continue;
            var key = RowCountKey(e.Entry);
            ordered[key] = ordered.TryGetValue(key, out var earlier) ? earlier + rows : rows;
        }
        return new ArchiveContents(header, entries, ordered, null);
    }

    /// <summary>
    /// Streams the COPY text rows of one TABLE DATA entry to <paramref name="sink"/>, inflated, without the end-of-data
    /// line; the rest of the archive is skipped, and reading stops after that block. Returns the rows sent.
    /// </summary>
    /// <exception cref="CenateException">ArchiveInvalid for a cut or damaged archive, or when the entry has no data block.</exception>
    public static Task<long> StreamTableDataAsync(Stream input, int dumpId, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink,
        Action<long>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return StreamTablesDataAsync(input, new[] { dumpId }, (_, stream) => stream(sink), progress, ct);
    }

    /// <summary>
    /// Streams the data blocks of several TABLE DATA entries (the leaves of a partitioned table) in one pass over the
    /// archive, in the order the archive holds them: for each, <paramref name="onBlock"/> gets the entry's dump id and a
    /// function that streams that block's COPY text rows to a sink and returns them counted. Reading stops after the
    /// last of them. Returns the rows of all.
    /// </summary>
    /// <exception cref="CenateException">ArchiveInvalid for a cut or damaged archive, or when an entry has no data block.</exception>
    public static async Task<long> StreamTablesDataAsync(Stream input, IReadOnlyCollection<int> dumpIds,
        Func<int, Func<Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask>, Task<long>>, Task<long>> onBlock,
        Action<long>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(onBlock);
        var place = new Place();
        var reader = NewReader(input, place, bufferSize: 1 << 20);
        var header = await ReadHeaderCoreAsync(reader, place, ct).ConfigureAwait(false);
        if (header.Compression is not ("none" or "gzip"))
        {
            throw new CenateException(ErrorIds.ArchiveInvalid, CenateErrorKind.NotInstalled,
                Messages.Format("ArchiveInvalid", header.Compression),
                Messages.Get("ArchiveInvalid.Action"));
        }
        var toc = await ReadTocAsync(reader, header.VersionMinor, place, ct).ConfigureAwait(false);
        var wanted = new Dictionary<int, ArchiveTocEntry>();
        foreach (var dumpId in dumpIds)
        {
            wanted[dumpId] = toc.Find(e => e.Entry.DumpId == dumpId)?.Entry
                ?? throw new ArgumentException($"Dump id {dumpId} is not in the archive.", nameof(dumpIds));
        }
        long rows = 0;
        while (wanted.Count > 0 && await ReadBlockHeaderAsync(reader, place, ct).ConfigureAwait(false) is var (type, id) && type >= 0)
        {
            if (type == BlockBlobs)
            {
                while (await reader.ReadCheckedIntAsync("a large object oid", ct).ConfigureAwait(false) != 0) await SkipChunksAsync(reader, ct).ConfigureAwait(false);
                continue;
            }
            if (id is < int.MinValue or > int.MaxValue || !wanted.Remove((int)id, out var target))
            {
                await SkipChunksAsync(reader, ct).ConfigureAwait(false);
                continue;
            }
            place.Where = $"the data of {Describe(target)}";
            rows += await onBlock((int)id, sink => StreamBlockAsync(reader, header, target, sink, progress, ct)).ConfigureAwait(false);
        }
        if (wanted.Count == 0) return rows;
        throw new CenateException(ErrorIds.ArchiveInvalid, CenateErrorKind.InvalidData,
            Messages.Format("ArchiveInvalid.2", Describe(wanted.Values.First()), reader.Position),
            Messages.Get("ArchiveInvalid.Action.2"));
    }

    /// <summary>One data block, from after its header: inflated, the end-of-data line held back; returns its rows.</summary>
    private static async Task<long> StreamBlockAsync(PgArchiveReader reader, ArchiveHeader header, ArchiveTocEntry target,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink, Action<long>? progress, CancellationToken ct)
    {
        var chunks = new PgArchiveChunkStream(reader);
        var holdback = new CopyTailHoldback(sink);
        var compressed = 0L;
        try
        {
            if (header.Compression == "none")
            {
                ReadOnlyMemory<byte> slice;
                while (!(slice = await chunks.ReadSliceAsync(ct).ConfigureAwait(false)).IsEmpty)
                {
                    await holdback.AddAsync(slice, ct).ConfigureAwait(false);
                    progress?.Invoke(reader.Position);
                }
            }
            else
            {
                await using var zlib = new ZLibStream(chunks, CompressionMode.Decompress, leaveOpen: true);
                var buffer = new byte[1 << 20];
                int n;
                while ((n = await zlib.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    await holdback.AddAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    if (reader.Position - compressed >= (1 << 20)) { compressed = reader.Position; progress?.Invoke(compressed); }
                }
                if (chunks.Ended)
                {
                    throw new CenateException(ErrorIds.ArchiveInvalid, CenateErrorKind.InvalidData,
                        Messages.Format("ArchiveInvalid.3", Describe(target), reader.Position),
                        Messages.Get("ArchiveInvalid.Action.3"));
                }
                // The zlib stream ends before the block's closing empty chunk: read up to it, so the next block follows.
                if (!(await chunks.ReadSliceAsync(ct).ConfigureAwait(false)).IsEmpty || !chunks.Ended)
                {
                    throw new CenateException(ErrorIds.ArchiveInvalid, CenateErrorKind.InvalidData,
                        Messages.Format("ArchiveInvalid.4", Describe(target), reader.Position),
                        Messages.Get("ArchiveInvalid.Action.3"));
                }
            }
        }
        catch (InvalidDataException ex)
        {
            throw new CenateException(ErrorIds.ArchiveInvalid, CenateErrorKind.InvalidData,
                Messages.Format("ArchiveInvalid.5", Describe(target), ex.Message, reader.Position),
                Messages.Get("ArchiveInvalid.Action.3"), null, ex);
        }
        return await holdback.CompleteAsync(ct).ConfigureAwait(false);
    }

    private static string RowCountKey(ArchiveTocEntry entry) => entry.Schema is null ? entry.Tag : entry.Schema + "." + entry.Tag;

    private static async Task<ArchiveHeader> ReadHeaderCoreAsync(PgArchiveReader reader, Place place, CancellationToken ct)
    {
        place.Where = "the header";
        var magic = new byte[5];
        var got = 0;
        while (got < magic.Length)
        {
            var b = await reader.TryReadByteAsync(ct).ConfigureAwait(false);
            if (b < 0) break;
            magic[got++] = (byte)b;
        }
        if (!magic.AsSpan(0, got).SequenceEqual("PGDMP"u8[..got]))
        {
            // The stream is refused anyway: read a little more so that text and binary noise are told apart.
            var sample = await NonArchiveStart.SampleAsync(reader, magic.AsSpan(0, got).ToArray(), ct)
                .ConfigureAwait(false);
            var what = NonArchiveStart.Describe(sample);
            throw NotAnArchive(what.Length == 0
                ? Messages.Get("ArchiveInvalid.NoMagic")
                : Messages.Format("ArchiveInvalid.NoMagic.2", what));
        }
        if (got == 0) throw NotAnArchive(Messages.Get("ArchiveInvalid.Empty"));
        if (got < magic.Length) throw NotAnArchive(Messages.Format("ArchiveInvalid.TooShort", got));

        int vmaj = await reader.ReadByteAsync(ct).ConfigureAwait(false);
        int vmin = await reader.ReadByteAsync(ct).ConfigureAwait(false);
        int vrev = await reader.ReadByteAsync(ct).ConfigureAwait(false);
        if (vmaj != 1 || vmin < OldestMinorVersion || vmin > NewestMinorVersion)
        {
            throw new CenateException(ErrorIds.ArchiveInvalid, CenateErrorKind.NotInstalled,
                Messages.Format("ArchiveInvalid.6", vmaj, vmin, OldestMinorVersion, NewestMinorVersion),
                vmaj == 1 && vmin > NewestMinorVersion
                    ? Messages.Get("ArchiveInvalid.Action.Newer")
                    : Messages.Get("ArchiveInvalid.Action.Older"));
        }

        int intSize = await reader.ReadByteAsync(ct).ConfigureAwait(false);
        int offSize = await reader.ReadByteAsync(ct).ConfigureAwait(false);
        if (intSize is < 1 or > 8) throw Damaged(reader, place, $"the integer size is {intSize} bytes");
        if (offSize is < 1 or > 16) throw Damaged(reader, place, $"the offset size is {offSize} bytes");
        reader.IntSize = intSize;
        reader.OffSize = offSize;

        int format = await reader.ReadByteAsync(ct).ConfigureAwait(false);
        if (format != 1)
        {
            var name = format switch
            {
                3 => "tar, pg_dump -Ft",
                5 => Messages.Get("ArchiveInvalid.Format.Directory"),
                _ => Messages.Get("ArchiveInvalid.Format.Unknown"),
            };
            throw NotAnArchive(Messages.Format("ArchiveInvalid.NotCustom", format, name));
        }

        string compression;
        int level;
        if (vmin >= 15)
        {
            int algorithm = await reader.ReadByteAsync(ct).ConfigureAwait(false);
            compression = algorithm switch
            {
                0 => "none",
                1 => "gzip",
                2 => "lz4",
                3 => "zstd",
                _ => throw Damaged(reader, place, $"the compression algorithm byte is {algorithm} (pg_dump writes 0 none, 1 gzip, 2 lz4, 3 zstd)"),
            };
            level = algorithm == 0 ? 0 : -1;
        }
        else
        {
            var recorded = await reader.ReadCheckedIntAsync("the compression level", ct).ConfigureAwait(false);
            if (recorded is < -1 or > 9) throw Damaged(reader, place, $"the compression level is {recorded} (zlib levels are -1 to 9)");
            level = (int)recorded;
            compression = level == 0 ? "none" : "gzip";
        }

        for (var i = 0; i < 7; i++) await reader.ReadCheckedIntAsync("the creation time", ct).ConfigureAwait(false);
        var database = await reader.ReadStrAsync("the database name", ct).ConfigureAwait(false);
        var server = await reader.ReadStrAsync("the server version", ct).ConfigureAwait(false);
        var pgDump = await reader.ReadStrAsync("the pg_dump version", ct).ConfigureAwait(false);
        return new ArchiveHeader(vmaj, vmin, vrev, intSize, offSize, compression, level, database ?? string.Empty, server ?? string.Empty, pgDump ?? string.Empty);
    }

    /// <summary>One table-of-contents entry and what the data phase needs to know about it.</summary>
    private sealed class TocItem
    {
        public required ArchiveTocEntry Entry { get; init; }
        public required bool HasCopy { get; init; }
        public required byte OffsetFlag { get; init; }
        public bool Seen { get; set; }
    }

    private static async Task<List<TocItem>> ReadTocAsync(PgArchiveReader reader, int vmin, Place place, CancellationToken ct)
    {
        place.Where = "the table of contents";
        var count = await reader.ReadCheckedIntAsync("the number of table-of-contents entries", ct).ConfigureAwait(false);
        if (count is < 0 or > int.MaxValue) throw Damaged(reader, place, $"the table of contents claims {count} entries");
        var items = new List<TocItem>((int)Math.Min(count, 4096));
        var ids = new HashSet<int>();
        for (var i = 0; i < count; i++)
        {
            place.Where = $"entry {i + 1} of {count} of the table of contents";
            var dumpId = await reader.ReadCheckedIntAsync("a dump id", ct).ConfigureAwait(false);
            if (dumpId is <= 0 or > int.MaxValue) throw Damaged(reader, place, $"dump id {dumpId} is out of range");
            if (!ids.Add((int)dumpId)) throw Damaged(reader, place, $"dump id {dumpId} appears twice");
            var hadDumper = await reader.ReadCheckedIntAsync("the has-data flag", ct).ConfigureAwait(false);
            if (hadDumper is not (0 or 1)) throw Damaged(reader, place, $"the has-data flag is {hadDumper}");
            await reader.SkipStrAsync("the catalog table oid", ct).ConfigureAwait(false);
            await reader.SkipStrAsync("the object oid", ct).ConfigureAwait(false);
            var tag = await reader.ReadStrAsync("the object name", ct).ConfigureAwait(false);
            var desc = await reader.ReadStrAsync("the object type", ct).ConfigureAwait(false);
            var section = await reader.ReadCheckedIntAsync("the section", ct).ConfigureAwait(false);
            if (section is < 1 or > 4) throw Damaged(reader, place, $"the section is {section} (pg_dump writes 1 to 4)");
            var definition = await reader.ReadStrAsync("the definition", ct).ConfigureAwait(false);
            await reader.SkipStrAsync("the drop statement", ct).ConfigureAwait(false);
            var copyStatement = await reader.ReadStrAsync("the COPY statement", ct).ConfigureAwait(false);
            var schema = await reader.ReadStrAsync("the schema", ct).ConfigureAwait(false);
            await reader.SkipStrAsync("the tablespace", ct).ConfigureAwait(false);
            if (vmin >= 14) await reader.SkipStrAsync("the table access method", ct).ConfigureAwait(false);
            if (vmin >= 16) await reader.ReadCheckedIntAsync("the relation kind", ct).ConfigureAwait(false);
            var owner = await reader.ReadStrAsync("the owner", ct).ConfigureAwait(false);
            await reader.SkipStrAsync("the WITH OIDS flag", ct).ConfigureAwait(false);
            var dependencies = new List<int>();
            string? dependency;
            while ((dependency = await reader.ReadStrAsync("a dependency", ct).ConfigureAwait(false)) is not null)
            {
                if (int.TryParse(dependency, NumberStyles.None, CultureInfo.InvariantCulture, out var dep)) dependencies.Add(dep);
            }
            var flag = await reader.ReadByteAsync(ct).ConfigureAwait(false);
            if (flag is not (OffsetPosNotSet or OffsetPosSet or OffsetNoData)) throw Damaged(reader, place, $"the data offset flag is {flag} (pg_dump writes 1, 2 or 3)");
            await reader.SkipAsync(reader.OffSize, ct).ConfigureAwait(false);
            items.Add(new TocItem
            {
                Entry = new ArchiveTocEntry((int)dumpId, desc ?? string.Empty, schema, tag ?? string.Empty, owner)
                {
                    Definition = definition,
                    CopyStatement = string.IsNullOrEmpty(copyStatement) ? null : copyStatement,
                    Section = (int)section,
                    Dependencies = dependencies,
                },
                HasCopy = !string.IsNullOrEmpty(copyStatement),
                OffsetFlag = flag,
            });
        }
        return items;
    }

    /// <summary>Reads every data block to the end of the stream; returns rows per TABLE DATA dump id when <paramref name="count"/>.</summary>
    private static async Task<Dictionary<int, long>> ReadDataBlocksAsync(PgArchiveReader reader, ArchiveHeader header, List<TocItem> toc, bool count, Place place, CancellationToken ct)
    {
        var byId = new Dictionary<int, TocItem>(toc.Count);
        foreach (var item in toc) byId[item.Entry.DumpId] = item;
        var rows = new Dictionary<int, long>();
        var buffer = count && header.Compression == "gzip" ? new byte[1 << 20] : null;
        while (await ReadBlockHeaderAsync(reader, place, ct).ConfigureAwait(false) is var (type, id) && type >= 0)
        {
            if (id is <= 0 or > int.MaxValue || !byId.TryGetValue((int)id, out var item))
                throw Damaged(reader, place, $"a data block names dump id {id}, which the table of contents does not list");
            if (item.Seen) throw Damaged(reader, place, $"dump id {id} has two data blocks");
            item.Seen = true;
            place.Where = $"the data of {Describe(item.Entry)}";
            switch (type)
            {
                case BlockData when count && item.Entry.Description == TableData:
                    rows[item.Entry.DumpId] = await CountRowsAsync(reader, buffer, item.Entry, ct).ConfigureAwait(false);
                    break;
                case BlockData:
                    await SkipChunksAsync(reader, ct).ConfigureAwait(false);
                    break;
                default: // BlockBlobs
                    while (await reader.ReadCheckedIntAsync("a large object oid", ct).ConfigureAwait(false) != 0)
                        await SkipChunksAsync(reader, ct).ConfigureAwait(false);
                    break;
            }
        }

        // A cut exactly between two blocks reads like a clean end: the blocks the table of contents promises tell.
        // A file written with seeks marks the entries with data (flag 2); a pipe leaves all data entries at flag 1.
        var seekable = toc.Exists(e => e.OffsetFlag == OffsetPosSet);
        var missing = toc.FindAll(e => !e.Seen && (seekable ? e.OffsetFlag == OffsetPosSet : e.OffsetFlag == OffsetPosNotSet));
        if (missing.Count > 0)
        {
            throw new CenateException(ErrorIds.ArchiveInvalid, CenateErrorKind.InvalidData,
                Messages.Format("ArchiveInvalid.7", reader.Position, missing.Count, Describe(missing[0].Entry)),
                Messages.Get("ArchiveInvalid.Action.4"));
        }
        return rows;
    }

    /// <summary>The next data block's type and dump id; type -1 at the end of the stream.</summary>
    private static async Task<(int Type, long Id)> ReadBlockHeaderAsync(PgArchiveReader reader, Place place, CancellationToken ct)
    {
        place.Where = "the data blocks";
        var type = await reader.TryReadByteAsync(ct).ConfigureAwait(false);
        if (type < 0) return (-1, 0);
        if (type is not (BlockData or BlockBlobs)) throw Damaged(reader, place, $"data block type {type} is unknown (pg_dump writes 1 and 3)");
        var id = await reader.ReadCheckedIntAsync("a data block's dump id", ct).ConfigureAwait(false);
        return (type, id);
    }

    private static string Describe(ArchiveTocEntry e) => e.Schema is null ? $"{e.Description} {e.Tag}" : $"{e.Description} {e.Schema}.{e.Tag}";

    private static async Task SkipChunksAsync(PgArchiveReader reader, CancellationToken ct)
    {
        long length;
        while ((length = await reader.ReadCheckedIntAsync("a chunk length", ct).ConfigureAwait(false)) != 0)
        {
            if (length is < 0 or > int.MaxValue) throw reader.Invalid($"a chunk length is {length}");
            await reader.SkipAsync(length, ct).ConfigureAwait(false);
        }
    }

    private static async Task<long> CountRowsAsync(PgArchiveReader reader, byte[]? inflateBuffer, ArchiveTocEntry entry, CancellationToken ct)
    {
        var counter = new CopyRowCounter();
        var chunks = new PgArchiveChunkStream(reader);
        if (inflateBuffer is null)
        {
            ReadOnlyMemory<byte> slice;
            while (!(slice = await chunks.ReadSliceAsync(ct).ConfigureAwait(false)).IsEmpty) counter.Add(slice.Span);
            return counter.Rows;
        }

        try
        {
            using var zlib = new ZLibStream(chunks, CompressionMode.Decompress, leaveOpen: true);
            int n;
            while ((n = await zlib.ReadAsync(inflateBuffer, ct).ConfigureAwait(false)) > 0) counter.Add(inflateBuffer.AsSpan(0, n));
        }
        catch (InvalidDataException ex)
        {
            throw new CenateException(ErrorIds.ArchiveInvalid, CenateErrorKind.InvalidData,
                Messages.Format("ArchiveInvalid.5", Describe(entry), ex.Message, reader.Position),
                Messages.Get("ArchiveInvalid.Action.3"), null, ex);
        }
        // .NET ends a zlib stream that stops short without an error; the inflater then asked the chunk list for more
        // than it holds (a complete stream ends without that read). pg_restore refuses such a block too.
        if (chunks.Ended)
        {
            throw new CenateException(ErrorIds.ArchiveInvalid, CenateErrorKind.InvalidData,
                Messages.Format("ArchiveInvalid.3", Describe(entry), reader.Position),
                Messages.Get("ArchiveInvalid.Action.3"));
        }
        // The zlib stream may end before its chunk list does (pg_restore reads the rest too).
        await chunks.DrainAsync(ct).ConfigureAwait(false);
        return counter.Rows;
    }

    private static PgArchiveReader NewReader(Stream input, Place place, int bufferSize)
    {
        PgArchiveReader? reader = null;
        reader = new PgArchiveReader(input,
            why => Damaged(reader!, place, why),
            () => new CenateException(ErrorIds.ArchiveInvalid, CenateErrorKind.InvalidData,
                Messages.Format("ArchiveInvalid.8", reader!.Position, place.Where),
                Messages.Get("ArchiveInvalid.Action.4")),
            bufferSize);
        return reader;
    }

    private static CenateException NotAnArchive(string why) => new(ErrorIds.ArchiveInvalid, CenateErrorKind.InvalidData,
        Messages.Format("ArchiveInvalid.NotArchive", why), Messages.Get("ArchiveInvalid.Action.NotArchive"));

    private static CenateException Damaged(PgArchiveReader reader, Place place, string why) => new(ErrorIds.ArchiveInvalid, CenateErrorKind.InvalidData,
        Messages.Format("ArchiveInvalid.Damaged", why, reader.Position.ToString(CultureInfo.InvariantCulture),
            place.Where),
        Messages.Get("ArchiveInvalid.Action.3"));

    /// <summary>Where reading is, for messages.</summary>
    private sealed class Place
    {
        public string Where { get; set; } = "the header";
    }
}
