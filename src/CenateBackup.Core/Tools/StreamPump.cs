using System;
using System.Buffers;
using System.IO;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;

namespace CenateBackup.Core.Tools;

/// <summary>
/// Copies a stream to another with reading and writing overlapped through a pipe, in large blocks: the
/// producer (a tool's stdout) never waits for the disk or the hash, which is what made the naive copy slow.
/// </summary>
public static class StreamPump
{
    private const int BlockSize = 1 << 20;

    // Reads fill what is left of a 1 MB segment and ask for a new one only below 64 KB left: a source that returns
    // a few bytes per read (a slow tool) fills segments instead of taking a fresh 1 MB block per read, which under a
    // slow consumer held up to 16 MB of data in hundreds of thousands of blocks (OutOfMemoryException).
    private const int MinimumRead = 64 * 1024;

    private static readonly PipeOptions s_options = new(
        pauseWriterThreshold: 16 * BlockSize, resumeWriterThreshold: 8 * BlockSize,
        minimumSegmentSize: BlockSize, useSynchronizationContext: false);

    /// <summary>Copies everything from source to destination.</summary>
    public static Task CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken) =>
        CopyAsync(async (writer, ct) =>
        {
            while (true)
            {
                var memory = writer.GetMemory(MinimumRead);
                var n = await source.ReadAsync(memory, ct).ConfigureAwait(false);
                if (n == 0) break;
                writer.Advance(n);
                var flush = await writer.FlushAsync(ct).ConfigureAwait(false);
                if (flush.IsCompleted) break;
            }
        }, destination, cancellationToken);

    /// <summary>Runs a producer that writes into a pipe while the consumer copies the pipe into destination.</summary>
    public static async Task CopyAsync(Func<PipeWriter, CancellationToken, Task> producer, Stream destination, CancellationToken cancellationToken)
    {
        var pipe = new Pipe(s_options);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var produce = Task.Run(async () =>
        {
            try
            {
                await producer(pipe.Writer, linked.Token).ConfigureAwait(false);
                await pipe.Writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await pipe.Writer.CompleteAsync(ex).ConfigureAwait(false);
                throw;
            }
        }, CancellationToken.None);
        var consume = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var result = await pipe.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
                    foreach (var segment in result.Buffer)
                    {
                        await destination.WriteAsync(segment, linked.Token).ConfigureAwait(false);
                    }
                    pipe.Reader.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted) break;
                }
                await pipe.Reader.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                linked.Cancel();
                await pipe.Reader.CompleteAsync(ex).ConfigureAwait(false);
                throw;
            }
        }, CancellationToken.None);
        try
        {
            await Task.WhenAll(produce, consume).ConfigureAwait(false);
        }
        catch
        {
            // Prefer the consumer's error (e.g. disk full) over the producer's resulting cancellation.
            if (consume.IsFaulted) throw consume.Exception!.InnerException!;
            if (produce.IsFaulted) throw produce.Exception!.InnerException!;
            throw;
        }
    }
}
