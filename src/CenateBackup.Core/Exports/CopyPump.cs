using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using Npgsql;

namespace CenateBackup.Core.Exports;

/// <summary>Receives a byte stream in pieces, on a thread of its own.</summary>
internal interface IChunkConsumer
{
    /// <summary>The next piece.</summary>
    void Write(ReadOnlySpan<byte> data);
    /// <summary>The stream ended normally.</summary>
    void Complete();
}

/// <summary>
/// Moves the output of a COPY … TO STDOUT (or any stream) to one or more consumers. The source is read on a
/// dedicated thread with synchronous reads (through <see cref="CopyOutStream"/>, which takes every row already
/// in the connection's buffer per read), gathered into 1 MB chunks; each consumer runs on its own
/// thread, so reading, converting and compressing overlap and use every core.
/// </summary>
internal static class CopyPump
{
    private const int ChunkSize = 1 << 20;

    /// <summary>Runs COPY <paramref name="copySql"/> (… TO STDOUT) on <paramref name="connection"/> into the consumers.</summary>
    public static Task<long> RunCopyAsync(NpgsqlConnection connection, string copySql, IReadOnlyList<IChunkConsumer> consumers, CancellationToken cancellationToken) =>
        RunAsync(consumers, cancellationToken, (emit, token) =>
        {
            using var reader = connection.BeginTextExport(copySql);
            // Whole buffers of rows per read, not one row per call (CopyOutStream).
            var raw = new CopyOutStream(reader.BaseStream);
            // Ctrl+C or a failing consumer: ask the server to cancel the COPY (a CancelRequest on a side
            // connection); the blocked read then fails with 57014 and the session is left usable.
            using var registration = token.Register(() => { try { reader.Cancel(); } catch (Exception) { } });
            ReadAll(raw, emit, token);
        });

    /// <summary>Reads <paramref name="source"/> to its end into the consumers.</summary>
    public static Task<long> RunStreamAsync(Stream source, IReadOnlyList<IChunkConsumer> consumers, CancellationToken cancellationToken) =>
        RunAsync(consumers, cancellationToken, (emit, token) => ReadAll(source, emit, token));

    private static void ReadAll(Stream raw, Action<byte[], int> emit, CancellationToken token)
    {
        while (true)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
            var filled = 0;
            var ended = false;
            try
            {
                while (filled < ChunkSize - 65536)
                {
                    var n = raw.Read(buffer, filled, ChunkSize - filled);
                    if (n == 0) { ended = true; break; }
                    filled += n;
                }
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
            token.ThrowIfCancellationRequested();
            if (filled > 0) emit(buffer, filled);
            else ArrayPool<byte>.Shared.Return(buffer);
            if (ended) return;
        }
    }

    private static async Task<long> RunAsync(IReadOnlyList<IChunkConsumer> consumers, CancellationToken cancellationToken, Action<Action<byte[], int>, CancellationToken> produce)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var queues = new BlockingCollection<(byte[] Buffer, int Length)>[consumers.Count];
        var workers = new Task[consumers.Count];
        Exception? consumerError = null;
        var producedAll = false;
        for (var i = 0; i < consumers.Count; i++)
        {
            var queue = queues[i] = new BlockingCollection<(byte[], int)>(boundedCapacity: 8);
            var consumer = consumers[i];
            workers[i] = Task.Factory.StartNew(() =>
            {
                try
                {
                    foreach (var (buffer, length) in queue.GetConsumingEnumerable(linked.Token))
                    {
                        try { consumer.Write(buffer.AsSpan(0, length)); }
                        finally { ArrayPool<byte>.Shared.Return(buffer); }
                    }
                    // Only a whole stream is completed; after a failed read the producer's error is the one that counts.
                    if (Volatile.Read(ref producedAll)) consumer.Complete();
                }
                catch (Exception ex)
                {
                    if (ex is not OperationCanceledException) Interlocked.CompareExchange(ref consumerError, ex, null);
                    // Stop the producer and the other consumers: this output can no longer be completed.
                    try { linked.Cancel(); } catch (ObjectDisposedException) { }
                    throw;
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        long total = 0;
        var producer = Task.Factory.StartNew(() =>
        {
            try
            {
                produce((buffer, length) =>
                {
                    total += length;
                    for (var i = 0; i < queues.Length; i++)
                    {
                        var piece = buffer;
                        if (i < queues.Length - 1)
                        {
                            piece = ArrayPool<byte>.Shared.Rent(length);
                            Buffer.BlockCopy(buffer, 0, piece, 0, length);
                        }
                        try { queues[i].Add((piece, length), linked.Token); }
                        catch { ArrayPool<byte>.Shared.Return(piece); throw; }
                    }
                }, linked.Token);
                Volatile.Write(ref producedAll, true);
            }
            finally
            {
                foreach (var q in queues) q.CompleteAdding();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        Exception? producerError = null;
        try
        {
            await producer.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A consumer's failure (or Ctrl+C) cancelled the COPY, or the source failed on its own (connection lost,
            // container stopped). Either way the workers are stopped and awaited before anything is reported: the
            // caller disposes the consumers' streams (a native zlib stream among them) as soon as this returns, and a
            // worker still writing into a disposed deflater crashes the whole process.
            producerError = ex;
            try { linked.Cancel(); } catch (ObjectDisposedException) { }
        }
        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Every worker has ended; which error counts is decided below. A worker that was cancelled because
            // another one failed ends with an OperationCanceledException, and Task.WhenAll may throw that one
            // first: it must never hide the failure that caused it (a full disk reported as a cancellation).
        }
        finally
        {
            foreach (var q in queues)
            {
                while (q.TryTake(out var left)) ArrayPool<byte>.Shared.Return(left.Buffer);
                q.Dispose();
            }
        }
        if (consumerError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(consumerError).Throw();
        cancellationToken.ThrowIfCancellationRequested();
        if (producerError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(producerError).Throw();
        // A worker that failed with no recorded cause (cannot happen today: only a consumer error, Ctrl+C or a failed source stop them, all reported above) still fails the run.
        foreach (var w in workers) await w.ConfigureAwait(false);
        return total;
    }
}
