using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Restores;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Compare;

/// <summary>
/// A side read from a backup file, chosen and checked by the restore's rules (<see cref="RestoreSourceResolver"/>:
/// size and sha256 against the set's manifest, UnverifiedBackup for a file nothing vouches for): the set's CSV export
/// of the table, else its data-only SQL export, else the dump's data block(s), or the kind -From names.
/// </summary>
internal sealed class FileCompareSide : CompareSide
{
    private readonly RestoreSource _source;
    private readonly string _table;
    private SqlExportRows? _sql;
    private List<(ArchiveTocEntry Data, IReadOnlyList<string> Columns)> _blocks = new();

    private FileCompareSide(RestoreSource source, string given, string table, long size)
    {
        _source = source;
        _table = table;
        GivenPath = given;
        FileName = Path.GetFileName(source.Path);
        Manifest = source.Manifest;
        Label = source.Manifest?.Stamp ?? Path.GetFileName(source.Path);
        Size = size;
        Warning = RestoreSourceResolver.UnverifiedWarning(source)?.Replace("restored", "compared",
            StringComparison.Ordinal);
    }

    /// <summary>Resolves and checks the file, then reads its columns (the CSV header, the COPY line, the dump's
    /// TOC).</summary>
    public static async Task<FileCompareSide> OpenAsync(CompareRequest request, string given,
        IOperationReporter reporter,
        CancellationToken ct)
    {
        // A directory is not a set: say so, and how to pick one (Compare takes a path, not a piped set).
        var full = BackupSetPath.RequireFile(given,
            d => $"Compare-CenateBackup (Get-CenateBackup '{d}' -Newest 1).Path -Table {request.Table} …",
            "PathNotFound.Action.9");
        var from = request.From;
        if (from is null && full.EndsWith(".manifest.json", StringComparison.OrdinalIgnoreCase) && File.Exists(full))
        {
            var manifest = BackupManifest.Load(full);
            bool Has(BackupFileKind kind) => RestoreSourceResolver.ChooseFile(manifest, kind, request.Table) is { } f
                && (kind == BackupFileKind.Dump || f.Tables.Count > 0)
                && File.Exists(Path.Combine(Path.GetDirectoryName(full)!, f.Name));
            from = Has(BackupFileKind.Csv) ? TableRestoreSource.Csv : Has(BackupFileKind.Sql)
                ? TableRestoreSource.Sql : TableRestoreSource.Dump;
        }
        reporter.Verbose($"Checking {Path.GetFileName(full)} against its manifest.");
        var source = await RestoreSourceResolver.ResolveAsync(new TableRestoreRequest
        {
            // The resolver only reads the path, the kind, the table and the unverified switch; no server is reached.
            Target = new DatabaseTarget(ConnectionMode.Host, "-", "-", DatabaseTarget.DefaultPort),
            BackupPath = full,
            Table = request.Table,
            Schema = request.Schema,
            From = from,
            AllowUnverifiedBackup = request.AllowUnverifiedBackup,
        }, ct).ConfigureAwait(false);
        var side = new FileCompareSide(source, full, request.Table, new FileInfo(source.Path).Length);
        var qualified = (request.Schema ?? "public") + "." + request.Table;
        if (source.Entry is { Tables.Count: > 0 } entry && source.Kind != TableRestoreSource.Dump
            && !entry.Tables.Any(t => t == qualified || (request.Schema is null && t.EndsWith("." + request.Table,
                StringComparison.Ordinal))))
        {
            throw NotInBackup(qualified, source.Path, $"it holds {string.Join(", ", entry.Tables)}");
        }
        if (source.Manifest is { } m)
        {
            side.PrimaryKey = PrimaryKeyDefinition.FromCatalog(m, qualified);
            side.ExpectedRows = m.RowCounts.TryGetValue(qualified, out var rows) ? rows : null;
        }
        try
        {
            await side.ReadColumnsAsync(request, reporter, ct).ConfigureAwait(false);
        }
        catch
        {
            await side.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return side;
    }

    private async Task ReadColumnsAsync(CompareRequest request, IOperationReporter reporter, CancellationToken ct)
    {
        switch (_source.Kind)
        {
            case TableRestoreSource.Csv:
                Columns = await ReadCsvHeaderAsync(ct).ConfigureAwait(false);
                break;
            case TableRestoreSource.Sql:
                _sql = await SqlExportRows.OpenAsync(_source.Path, ct).ConfigureAwait(false);
                if (_sql.Header.Table != _table || (request.Schema is not null && _sql.Header.Schema != request.Schema))
                {
                    throw NotInBackup((request.Schema ?? "public") + "." + _table, _source.Path,
                        $"its COPY is for {_sql.Header.Schema}.{_sql.Header.Table}");
                }
                Columns = _sql.Header.Columns;
                break;
            default:
                var entries = await RestoreSourceResolver.ReadTableOfContentsAsync(_source.Path, reporter,
                    ct).ConfigureAwait(false);
                var table = ArchiveTableEntries.Find(entries, _table, request.Schema, _source.Path);
                var leaves = PartitionedBackupTable.IsPartitioned(table) ? PartitionedBackupTable.Leaves(entries,
                    table, _source.Path)
                    : new() { (table, ArchiveTableEntries.Data(entries, table)
                        ?? throw NotInBackup($"{table.Schema}.{table.Tag}", _source.Path,
                            "the dump holds its definition but no data")) };
                _blocks = leaves.Select(l => (l.Data,
                    (IReadOnlyList<string>)TocDefinitionGuard.CheckCopy(_source.Path, l.Data,
                    (l.Leaf.Schema!, l.Leaf.Tag)).Columns)).ToList();
                Columns = _blocks.Count > 0 ? _blocks[0].Columns : Array.Empty<string>();
                break;
        }
    }

    private async Task<IReadOnlyList<string>> ReadCsvHeaderAsync(CancellationToken ct)
    {
        await using var fs = new FileStream(_source.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16,
            FileOptions.Asynchronous);
        await using var input = CopyImport.OpenData(_source.Path, fs);
        var buffer = new byte[1 << 16];
        var n = await ReadCorruptAware(() => input.ReadAtLeastAsync(buffer, buffer.Length, false,
            ct).AsTask()).ConfigureAwait(false);
        var nl = buffer.AsSpan(0, n).IndexOf((byte)'\n');
        if (nl < 0) throw Corrupt(_source.Path, "it has no CSV header line");
        return CsvHeader.ParseColumns(Encoding.UTF8.GetString(buffer, 0, nl).TrimEnd('\r'));
    }

    /// <inheritdoc />
    public override async Task StreamAsync(CompareSink sink, Action<long> progress, CancellationToken ct)
    {
        try
        {
            switch (_source.Kind)
            {
                case TableRestoreSource.Csv: await StreamCsvAsync(sink, progress, ct).ConfigureAwait(false); break;
                case TableRestoreSource.Sql:
                    var split = sink.Begin(Columns, csv: false);
                    await _sql!.CopyRowsAsync(new SplitterStream(split), read => progress(read),
                        ct).ConfigureAwait(false);
                    split.Finish();
                    break;
                default: await StreamDumpAsync(sink, progress, ct).ConfigureAwait(false); break;
            }
        }
        catch (FormatException ex) { throw Corrupt(_source.Path, ex.Message); }
        catch (InvalidDataException ex) { throw Corrupt(_source.Path, "it is not valid gzip data: " + ex.Message); }
        catch (CenateException ex) when (ex.ErrorId == ErrorIds.ArchiveInvalid) { throw Corrupt(_source.Path,
            ex.Message); }
        if (ExpectedRows is { } expected && expected != sink.Rows)
        {
            throw Corrupt(_source.Path, $"it gave {sink.Rows} rows, its manifest records {expected}");
        }
    }

    private async Task StreamCsvAsync(CompareSink sink, Action<long> progress, CancellationToken ct)
    {
        await using var fs = new FileStream(_source.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var input = CopyImport.OpenData(_source.Path, fs);
        var buffer = new byte[1 << 20];
        var split = sink.Begin(Columns, csv: true);
        var header = true;
        long last = 0;
        int n;
        while ((n = await input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            var chunk = buffer.AsSpan(0, n);
            if (header)
            {
                var nl = chunk.IndexOf((byte)'\n');
                if (nl < 0) throw new FormatException("the CSV header line is longer than 1 MB");
                chunk = chunk[(nl + 1)..];
                header = false;
            }
            split.Feed(chunk);
            if (fs.Position - last >= (4 << 20)) { last = fs.Position; progress(last); }
        }
        split.Finish();
    }

    private async Task StreamDumpAsync(CompareSink sink, Action<long> progress, CancellationToken ct)
    {
        var columnsOf = _blocks.ToDictionary(b => b.Data.DumpId, b => b.Columns);
        await using var fs = new FileStream(_source.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        await CustomArchiveInspector.StreamTablesDataAsync(fs, columnsOf.Keys, async (id, stream) =>
        {
            var split = sink.Begin(columnsOf[id], csv: false);
            var rows = await stream((chunk, _)
                => { split.Feed(chunk.Span); return ValueTask.CompletedTask; }).ConfigureAwait(false);
            split.Finish();
            return rows;
        }, read => progress(read), ct).ConfigureAwait(false);
    }

    private static async Task<int> ReadCorruptAware(Func<Task<int>> read)
    {
        try { return await read().ConfigureAwait(false); }
        catch (InvalidDataException ex) { throw new FormatException("not valid gzip data: " + ex.Message, ex); }
    }

    /// <summary>BackupCorrupt: the file cannot be decoded.</summary>
    internal static CenateException Corrupt(string path, string why) => new(ErrorIds.BackupCorrupt,
        CenateErrorKind.InvalidData,
        Messages.Format("BackupCorrupt.Compare", Path.GetFileName(path), why),
        Messages.Get("BackupCorrupt.Compare.Action"), path);

    private static CenateException NotInBackup(string table, string path, string why) => new(ErrorIds.TableNotInBackup,
        CenateErrorKind.ObjectNotFound, Messages.Format("TableNotInBackup.Compare", table, Path.GetFileName(path), why),
        Messages.Get("TableNotInBackup.Compare.Action"), table);

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_sql is not null) await _sql.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A write-only stream that feeds a splitter (the SQL export's reader writes its rows to a
    /// stream).</summary>
    private sealed class SplitterStream : Stream
    {
        private readonly RowSplitter _split;
        public SplitterStream(RowSplitter split) => _split = split;
        public override void Write(ReadOnlySpan<byte> buffer) => _split.Feed(buffer);
        public override void Write(byte[] buffer, int offset, int count) => _split.Feed(buffer.AsSpan(offset, count));
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _split.Feed(buffer.Span);
            return ValueTask.CompletedTask;
        }
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            _split.Feed(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set
            => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
