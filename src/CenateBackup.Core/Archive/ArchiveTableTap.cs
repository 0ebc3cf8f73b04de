using System;
using System.IO;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;

namespace CenateBackup.Core.Archive;

/// <summary>
/// One table's rows taken out of a custom-format archive while <see cref="CustomArchiveRecompressor"/> rewrites it:
/// the recompressor inflates every data block anyway, so the table's COPY text passes through here on its way, and
/// the set's CSV and SQL exports are written from it instead of reading the table from the server a second time.
/// <para>
/// The rows are exactly pg_dump's data for the table (the TABLE DATA entry whose catalog oid is the table's), in
/// COPY text format, without pg_dump's end-of-data line. <see cref="Found"/> says whether the archive had such a
/// block (a partitioned table has none of its own: its partitions do); only when it did do <see cref="OpenRows"/>'s
/// bytes follow. The pipe in between is small and bounded: a slow export holds the recompressor, and with it pg_dump.
/// </para>
/// <para>
/// The export side says what it wants before the block comes (<see cref="Attach"/>): the rows through the pipe (the
/// CSV), and/or the block's compressed segments as they are written (<see cref="IArchiveSegmentSink"/>: the data-only
/// SQL, whose rows are the archive's own deflate data). The recompressor waits for that decision at the block.
/// </para>
/// </summary>
public sealed class ArchiveTableTap
{
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 2 << 20, resumeWriterThreshold: 1 << 20,
        useSynchronizationContext: false));
    private readonly TaskCompletionSource<bool> _found = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<long> _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<(IArchiveSegmentSink? Segments, bool Rows)> _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Creates a tap for <paramref name="table"/>, whose pg_class oid is <paramref name="tableOid"/>, in an archive
    /// whose data is compressed at <paramref name="archiveLevel"/>.
    /// </summary>
    public ArchiveTableTap(QualifiedTable table, uint tableOid, int archiveLevel)
    {
        Table = table;
        TableOid = tableOid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        ArchiveLevel = archiveLevel;
    }

    /// <summary>The zlib level of the archive's data (what a segment sink receives).</summary>
    public int ArchiveLevel { get; }

    /// <summary>
    /// What the export wants from the block: its compressed segments (null: none) and its rows through
    /// <see cref="OpenRows"/> (false: nothing is written to the pipe). Called once, before awaiting <see cref="Found"/>.
    /// </summary>
    public void Attach(IArchiveSegmentSink? segments, bool rows)
    {
        if (!_attached.TrySetResult((segments, rows))) throw new InvalidOperationException("The tap is already attached.");
    }

    /// <summary>The rows of the block, once it has ended and every segment was handed over.</summary>
    public Task<long> Completed => _completed.Task;

    internal async Task<(IArchiveSegmentSink? Segments, bool Rows)> WaitAttachedAsync(CancellationToken cancellationToken) =>
        await _attached.Task.WaitAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>The table.</summary>
    public QualifiedTable Table { get; }

    /// <summary>Its oid as the archive's table of contents writes it.</summary>
    public string TableOid { get; }

    /// <summary>The dump id of the table's data block, once the table of contents named it.</summary>
    internal int? DumpId { get; set; }

    /// <summary>Rows the archive held for the table (set when its block ended).</summary>
    public long Rows { get; private set; }

    /// <summary>
    /// True once the archive reaches the table's data block; false when the archive ended without one (or cannot
    /// give the module's bytes: see <see cref="CustomArchiveRecompressor"/>). Faulted with the rewrite's own error
    /// when it failed first.
    /// </summary>
    public Task<bool> Found => _found.Task;

    /// <summary>The rows, in COPY text format (read once; disposing it stops the tap).</summary>
    public Stream OpenRows() => _pipe.Reader.AsStream();

    internal void Begin() => _found.TrySetResult(true);

    internal async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var result = await _pipe.Writer.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        // The export stopped reading (it failed, and says why): the rewrite stops too.
        if (result.IsCompleted) throw new OperationCanceledException("The table export stopped reading the archive's rows.");
    }

    internal async ValueTask EndAsync(long rows)
    {
        Rows = rows;
        await _pipe.Writer.CompleteAsync().ConfigureAwait(false);
        _completed.TrySetResult(rows);
    }

    /// <summary>Why the archive gave no rows for the table (when <see cref="Found"/> is false).</summary>
    public string? NotFoundReason { get; private set; }

    internal void NotFound(string reason = "the archive has no data block of its own")
    {
        NotFoundReason ??= reason;
        if (_found.TrySetResult(false))
        {
            _pipe.Writer.Complete();
            _completed.TrySetCanceled();
        }
    }

    /// <summary>
    /// The rewrite failed (or never started): the export waiting for the block, or reading its rows, gets the same
    /// error (a disk that filled under the SQL export stays DiskFull on both sides).
    /// </summary>
    internal void Fail(Exception cause)
    {
        _found.TrySetException(cause);
        _completed.TrySetException(cause);
        try { _pipe.Writer.Complete(cause); }
        catch (InvalidOperationException) { /* already completed */ }
    }

    /// <summary>
    /// The export gave up (it failed, or another table's did): a rewrite waiting for its decision, or writing its
    /// rows, stops at once instead of waiting for a reader that is gone.
    /// </summary>
    public void Decline()
    {
        _attached.TrySetException(new OperationCanceledException("The table export stopped before the archive reached its rows."));
        try { _pipe.Reader.Complete(); }
        catch (InvalidOperationException) { /* already completed */ }
    }
}

/// <summary>
/// Receives a tapped block's compressed data as the recompressor writes it, on the recompressor's thread: each
/// segment's raw deflate bytes (byte-aligned, sync-flushed) with the input they hold, in order.
/// </summary>
public interface IArchiveSegmentSink
{
    /// <summary>The block starts.</summary>
    void Begin();

    /// <summary>The next segment.</summary>
    void Segment(ReadOnlySpan<byte> compressed, ReadOnlySpan<byte> uncompressed);

    /// <summary>
    /// The block ended: <paramref name="rows"/> rows, and the end-of-data line pg_dump wrote after them
    /// (<paramref name="endOfData"/>, part of the segments' input).
    /// </summary>
    void End(long rows, ReadOnlySpan<byte> endOfData);
}
