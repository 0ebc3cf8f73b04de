using System;
using System.Buffers;
using System.IO;
using System.IO.Compression;
using System.Text;
using CenateBackup.Core.Compression;
using CenateBackup.Core.Database;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Exports;

/// <summary>
/// One export file being written: an <see cref="AtomicBackupFile"/> (partial name, 0600, SHA-256 as it goes),
/// behind a gzip stream unless the level is 0 / compression is off.
/// </summary>
internal sealed class ExportFile : IDisposable
{
    private readonly AtomicBackupFile _file;
    private readonly GZipStream? _gzip;
    private readonly Stream _sink;

    /// <summary>Writes through <paramref name="file"/>, a file of the set (<see cref="BackupSetWriter.CreateFile"/>).</summary>
    public ExportFile(AtomicBackupFile file, int? gzipLevel)
    {
        _file = file;
        if (gzipLevel is not null)
        {
            _gzip = new GZipStream(_file, ZlibLevels.ToCompressionLevel(gzipLevel.Value), leaveOpen: true);
        }
        _sink = (Stream?)_gzip ?? _file;
        GzipLevel = gzipLevel;
    }

    public string FinalPath => _file.FinalPath;
    public int? GzipLevel { get; }
    /// <summary>Uncompressed bytes written.</summary>
    public long Written { get; private set; }

    public void Write(ReadOnlySpan<byte> data)
    {
        _sink.Write(data);
        Written += data.Length;
    }

    public void Write(string text) => Write(Encoding.UTF8.GetBytes(text));

    /// <summary>Ends the gzip member (writes its trailer); the file is not committed yet.</summary>
    public void Finish() => _gzip?.Dispose();

    /// <summary>fsync, rename, fsync the directory; returns size and hash.</summary>
    public (long Size, string Sha256) Commit()
    {
        var size = _file.CommitAsync().GetAwaiter().GetResult();
        return (size, _file.Sha256!);
    }

    public void Dispose()
    {
        try { _gzip?.Dispose(); } catch (Exception) { /* a failed write already reported its error */ }
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
        _out.Write(header);
        _out.Write($"--\n-- Data for Name: {shape.Table.Name}; Type: TABLE DATA; Schema: {shape.Table.Schema}\n--\n\n");
        _out.Write(CopyStatement(shape) + "\n");
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
        var tail = new StringBuilder("\\.\n\n\n");
        foreach (var setval in _shape.SequenceSetvals) tail.Append(setval).Append("\n\n");
        tail.Append("--\n-- Data-only dump complete\n--\n\n");
        _out.Write(tail.ToString());
        _out.Finish();
    }
}
