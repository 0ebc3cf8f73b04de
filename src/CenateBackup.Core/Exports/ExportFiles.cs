using System;
using System.Buffers;
using System.IO;
using System.Threading.Tasks;
using System.Text;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Compression;
using CenateBackup.Core.Database;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Exports;

/// <summary>
/// One export file being written: an <see cref="AtomicBackupFile"/> (partial name, 0600, SHA-256 as it goes),
/// behind a gzip member compressed on every core (<see cref="ParallelZlibWriter"/>) unless compression is off.
/// </summary>
internal sealed class ExportFile : IDisposable
{
    private readonly AtomicBackupFile _file;
    private readonly ParallelZlibWriter? _gzip;
    private bool _finished;

    /// <summary>Writes through <paramref name="file"/>, a file of the set (<see cref="BackupSetWriter.CreateFile"/>).</summary>
    public ExportFile(AtomicBackupFile file, int? gzipLevel)
    {
        _file = file;
        if (gzipLevel is not null)
        {
            // One gzip member in segments of about 1 MB, several compressed at once when a core is free.
            _gzip = new ParallelZlibWriter(ZlibLevels.ToCompressionLevel(gzipLevel.Value), (piece, _) =>
            {
                _file.Write(piece.Span);
                return ValueTask.CompletedTask;
            }, gzip: true);
        }
        GzipLevel = gzipLevel;
    }

    public string FinalPath => _file.FinalPath;
    public int? GzipLevel { get; }
    /// <summary>Uncompressed bytes written.</summary>
    public long Written { get; private set; }

    public void Write(ReadOnlySpan<byte> data)
    {
        if (_gzip is null) _file.Write(data);
        else _gzip.Write(data);
        Written += data.Length;
    }

    public void Write(string text) => Write(Encoding.UTF8.GetBytes(text));

    /// <summary>Ends the gzip member (writes its trailer); the file is not committed yet.</summary>
    public void Finish()
    {
        if (_finished) return;
        _gzip?.Complete();
        _finished = true;
    }

    /// <summary>fsync, rename, fsync the directory; returns size and hash.</summary>
    public (long Size, string Sha256) Commit()
    {
        var size = _file.CommitAsync().GetAwaiter().GetResult();
        return (size, _file.Sha256!);
    }

    public void Dispose()
    {
        // Not finished: a failed export. Nothing more is written; the partial file goes with the set.
        if (!_finished) _gzip?.Abandon();
        _file.Dispose();
    }
}

/// <summary>Writes CSV as it comes (from COPY … CSV HEADER) and counts its records.</summary>
internal sealed class CsvPassThrough : IChunkConsumer
{
    private readonly ExportFile _out;
    private readonly CsvRecordCounter _counter = new();
    private readonly Action<long>? _onRows;

    public CsvPassThrough(ExportFile output, Action<long>? onRows)
    {
        _out = output;
        _onRows = onRows;
    }

    /// <summary>Data rows (the header line is not counted).</summary>
    public long Rows => Math.Max(0, _counter.Records - 1);

    public void Write(ReadOnlySpan<byte> data)
    {
        _counter.Add(data);
        _out.Write(data);
        _onRows?.Invoke(Rows);
    }

    public void Complete()
    {
        if (_counter.InQuotes || (_counter.Records > 0 && !_counter.EndsWithNewline) || _counter.Records == 0)
        {
            throw new InvalidDataException("The CSV stream ended in the middle of a record.");
        }
        _out.Finish();
    }
}

/// <summary>Turns COPY text rows into the CSV PostgreSQL's COPY … (FORMAT csv, HEADER) would have written.</summary>
internal sealed class CsvFromCopyText : IChunkConsumer
{
    private readonly ExportFile _out;
    private readonly CopyTextToCsvConverter _converter;
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 21);
    private readonly Action<long>? _onRows;

    public CsvFromCopyText(ExportFile output, TableShape shape, Action<long>? onRows)
    {
        _out = output;
        _onRows = onRows;
        _converter = new CopyTextToCsvConverter(shape.Columns.Count);
        CopyTextToCsvConverter.WriteHeader(shape.Columns, _buffer);
        _out.Write(_buffer.WrittenSpan);
        _buffer.Clear();
    }

    public long Rows => _converter.Rows;

    public void Write(ReadOnlySpan<byte> data)
    {
        _converter.Convert(data, _buffer);
        _out.Write(_buffer.WrittenSpan);
        _buffer.Clear();
        _onRows?.Invoke(_converter.Rows);
    }

    public void Complete()
    {
        _converter.Complete();
        _out.Finish();
    }
}

/// <summary>
/// Writes a data-only SQL script of one table, as pg_dump --data-only -t writes it: session settings, the
/// COPY … FROM stdin block with the rows in COPY text format, the end marker, and setval for the sequences the
/// table owns. psql -f restores it into an existing table.
/// </summary>
internal sealed class SqlFromCopyText : IChunkConsumer
{
    private readonly ExportFile _out;
    private readonly TableShape _shape;
    private readonly Action<long>? _onRows;
    private bool _atLineStart = true;

    public SqlFromCopyText(ExportFile output, TableShape shape, string header, Action<long>? onRows)
    {
        _out = output;
        _shape = shape;
        _onRows = onRows;
        _out.Write(Prefix(shape, header));
    }

    /// <summary>What comes before the rows: the header, the entry's comment and the COPY line.</summary>
    public static string Prefix(TableShape shape, string header) =>
        header + $"--\n-- Data for Name: {shape.Table.Name}; Type: TABLE DATA; Schema: {shape.Table.Schema}\n--\n\n" + CopyStatement(shape) + "\n";

    /// <summary>The end-of-data line that ends the rows.</summary>
    public const string EndOfData = "\\.\n\n\n";

    /// <summary>What comes after the end-of-data line: the owned sequences' setval and the closing comment.</summary>
    public static string Suffix(TableShape shape)
    {
        var tail = new StringBuilder();
        foreach (var setval in shape.SequenceSetvals) tail.Append(setval).Append("\n\n");
        tail.Append("--\n-- Data-only dump complete\n--\n\n");
        return tail.ToString();
    }

    public long Rows { get; private set; }

    /// <summary>COPY "schema"."table" ("a", "b") FROM stdin;</summary>
    public static string CopyStatement(TableShape shape)
    {
        var columns = new StringBuilder();
        foreach (var c in shape.Columns)
        {
            if (columns.Length > 0) columns.Append(", ");
            columns.Append(QualifiedTable.Quote(c));
        }
        return $"COPY {shape.Table.Sql} ({columns}) FROM stdin;";
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        Rows += data.Count((byte)'\n');
        _atLineStart = data[^1] == (byte)'\n';
        _out.Write(data);
        _onRows?.Invoke(Rows);
    }

    public void Complete()
    {
        if (!_atLineStart) throw new InvalidDataException("The COPY stream ended in the middle of a row.");
        _out.Write(EndOfData + Suffix(_shape));
        _out.Finish();
    }
}

/// <summary>
/// The data-only SQL script of <see cref="SqlFromCopyText"/>, gzip-compressed, written from the archive's own
/// compressed data: its rows (and pg_dump's end-of-data line) are the tapped block's deflate segments, copied as they
/// are (<see cref="ArchiveTableTap"/>); only the short text before and after them is compressed here. The content is
/// byte for byte what <see cref="SqlFromCopyText"/> writes, in one gzip member (RFC 1952) whose CRC-32 covers it all;
/// the rows are not compressed a second time.
/// </summary>
internal sealed class SqlGzFromArchive : IArchiveSegmentSink
{
    private static readonly byte[] s_finalEmptyBlock = { 0x03, 0x00 };
    private readonly AtomicBackupFile _file;
    private readonly TableShape _shape;
    private readonly string _header;
    private readonly System.IO.Compression.CompressionLevel _level;
    private readonly System.IO.Hashing.Crc32 _crc = new();
    private long _length;
    private readonly object _gate = new();
    private bool _closed;

    public SqlGzFromArchive(AtomicBackupFile file, TableShape shape, string header, int level)
    {
        _file = file;
        _shape = shape;
        _header = header;
        _level = ZlibLevels.ToCompressionLevel(level);
        Level = level;
    }

    /// <summary>The compression level of the file (the archive's).</summary>
    public int Level { get; }

    /// <summary>Rows written (known at the end of the block).</summary>
    public long Rows { get; private set; }

    /// <summary>True once the trailer is written.</summary>
    public bool Finished { get; private set; }

    public AtomicBackupFile File => _file;

    /// <summary>
    /// The export is done with the file (it failed, or committed it): a rewrite still handing over segments on its
    /// own thread stops with a cancellation instead of writing into a disposed file.
    /// </summary>
    public void Close()
    {
        lock (_gate) _closed = true;
    }

    private void EnsureOpen()
    {
        if (_closed) throw new OperationCanceledException("The data-only SQL export was stopped.");
    }

    public void Begin()
    {
        lock (_gate) BeginCore();
    }

    public void Segment(ReadOnlySpan<byte> compressed, ReadOnlySpan<byte> uncompressed)
    {
        lock (_gate)
        {
            EnsureOpen();
            _file.Write(compressed);
            _crc.Append(uncompressed);
            _length += uncompressed.Length;
        }
    }

    public void End(long rows, ReadOnlySpan<byte> endOfData)
    {
        lock (_gate) EndCore(rows, endOfData);
    }

    private void BeginCore()
    {
        EnsureOpen();
        byte xfl = _level switch { System.IO.Compression.CompressionLevel.Fastest => 4, System.IO.Compression.CompressionLevel.SmallestSize => 2, _ => 0 };
        _file.Write(new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3 });
        WriteText(SqlFromCopyText.Prefix(_shape, _header));
    }

    private void EndCore(long rows, ReadOnlySpan<byte> endOfData)
    {
        EnsureOpen();
        // The segments' input ended with pg_dump's end-of-data line; the script's is the same line, or it is not a
        // script this module writes.
        if (!endOfData.SequenceEqual(Encoding.ASCII.GetBytes(SqlFromCopyText.EndOfData)))
        {
            throw new Errors.CenateException(Errors.ErrorIds.PgDumpFailed, Errors.CenateErrorKind.InvalidData,
                Resources.Messages.Format("PgDumpFailed.EndOfData", _shape.Table.Display),
                Resources.Messages.Get("PgDumpFailed.Recompress.Action"), _shape.Table.Display);
        }
        WriteText(SqlFromCopyText.Suffix(_shape));
        var trailer = new byte[10];
        s_finalEmptyBlock.CopyTo(trailer, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(2), _crc.GetCurrentHashAsUInt32());
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(6), unchecked((uint)_length));
        _file.Write(trailer);
        Rows = rows;
        Finished = true;
    }

    private void WriteText(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        _file.Write(ParallelZlibWriter.CompressSegment(bytes, bytes.Length, _level));
        _crc.Append(bytes);
        _length += bytes.Length;
    }
}
