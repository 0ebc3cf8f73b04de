using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Docker;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Exports;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Which error a run reports when one consumer fails and the others are cancelled because of it.</summary>
public class CopyPumpTests
{
    /// <summary>A read-only source whose reads are given by a function (the tests' sources differ only in that).</summary>
    private sealed class Source(Func<byte[], int, int, int> read) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => read(buffer, offset, count);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>An endless source, so the producer is still producing when a consumer fails.</summary>
    private static Stream Endless() => new Source((buffer, offset, count) => { Array.Fill(buffer, (byte)'x', offset, count); return count; });

    /// <summary>A source that fails after 3 MB (a lost connection, a stopped container).</summary>
    private static Stream FailingAfter3MB()
    {
        long left = 3L << 20;
        return new Source((buffer, offset, count) =>
        {
            if (left <= 0) throw new IOException("connection reset by peer");
            var n = (int)Math.Min(count, left);
            left -= n;
            return n;
        });
    }

    /// <summary>Consumer A: takes its first piece, then waits until B has failed and the run is cancelled, so it is waiting for its next piece.</summary>
    private sealed class WaitingConsumer(ManualResetEventSlim bFailed) : IChunkConsumer
    {
        public int Pieces;
        public void Write(ReadOnlySpan<byte> data)
        {
            Pieces++;
            Assert.True(bFailed.Wait(TimeSpan.FromSeconds(30)));
            // Usually B's failure has cancelled the run by now and A's next take sees the cancellation; if not (a loaded
            // machine), A takes more pieces until it does. Either way DiskFull must be what the run reports.
            Thread.Sleep(300);
        }
        public void Complete() { }
    }

    /// <summary>Consumer B: the disk is full at its first write.</summary>
    private sealed class DiskFullConsumer(ManualResetEventSlim failed) : IChunkConsumer
    {
        public void Write(ReadOnlySpan<byte> data)
        {
            var error = new CenateException(ErrorIds.DiskFull, CenateErrorKind.WriteError, "The disk is full.");
            failed.Set();
            throw error;
        }
        public void Complete() { }
    }

    [Fact]
    public async Task A_Consumer_Cancelled_By_Another_Ones_DiskFull_Never_Hides_It()
    {
        for (var round = 0; round < 5; round++)
        {
            using var bFailed = new ManualResetEventSlim();
            var a = new WaitingConsumer(bFailed);
            // A first: Task.WhenAll reports the first task's exception first, which was A's cancellation.
            var ex = await Assert.ThrowsAsync<CenateException>(() => CopyPump.RunStreamAsync(Endless(), new IChunkConsumer[] { a, new DiskFullConsumer(bFailed) }, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal(ErrorIds.DiskFull, ex.ErrorId);
        }
    }

    /// <summary>A slow consumer (a compressor) that notes whether it is still writing.</summary>
    private sealed class SlowConsumer : IChunkConsumer
    {
        public volatile bool Writing;
        public volatile bool WroteAfterReturn;
        public volatile bool Returned;
        public void Write(ReadOnlySpan<byte> data)
        {
            Writing = true;
            if (Returned) WroteAfterReturn = true;
            Thread.Sleep(150);
            if (Returned) WroteAfterReturn = true;
            Writing = false;
        }
        public void Complete() { }
    }

    [Fact]
    public async Task A_Failed_Source_Is_Reported_Only_After_Every_Consumer_Has_Stopped_Writing()
    {
        // The caller disposes the consumers' streams (native zlib) as soon as the run throws: a consumer still writing
        // into a disposed deflater crashed the whole process (a segfault in libSystem.IO.Compression.Native).
        var slow = new SlowConsumer();
        var ex = await Assert.ThrowsAsync<IOException>(() => CopyPump.RunStreamAsync(FailingAfter3MB(), new IChunkConsumer[] { new CountingConsumer(), slow }, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("reset", ex.Message);
        slow.Returned = true;
        Assert.False(slow.Writing, "a consumer was still writing when the run reported its error");
        // Proving an absence needs a window: longer than one 150 ms write, and it can only miss a bug, never fail a good run.
        Thread.Sleep(400);
        Assert.False(slow.WroteAfterReturn, "a consumer wrote after the run had returned");
    }

    [Fact]
    public async Task A_Real_Cancellation_Is_Reported_As_One()
    {
        using var cts = new CancellationTokenSource();
        var sink = new CountingConsumer();
        // Cancelled once the sink has data (an event with a deadline, not a 200 ms timer that may fire before the start).
        var run = CopyPump.RunStreamAsync(Endless(), new IChunkConsumer[] { sink, new CountingConsumer() }, cts.Token);
        Assert.True(sink.FirstWrite.Wait(TimeSpan.FromSeconds(30)), "the run must be under way before it is cancelled");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(sink.Completed);
    }

    [Fact]
    public async Task A_Whole_Stream_Reaches_Every_Consumer()
    {
        var data = new byte[5 * 1024 * 1024 + 17];
        new Random(3).NextBytes(data);
        var a = new CountingConsumer();
        var b = new CountingConsumer();
        var total = await CopyPump.RunStreamAsync(new MemoryStream(data), new IChunkConsumer[] { a, b }, CancellationToken.None);
        Assert.Equal(data.Length, total);
        Assert.Equal(data.Length, a.Bytes);
        Assert.Equal(data.Length, b.Bytes);
        Assert.True(a.Completed && b.Completed);
    }

    private sealed class CountingConsumer : IChunkConsumer
    {
        public long Bytes;
        public bool Completed;
        public readonly ManualResetEventSlim FirstWrite = new();
        public void Write(ReadOnlySpan<byte> data)
        {
            Bytes += data.Length;
            FirstWrite.Set();
        }
        public void Complete() => Completed = true;
    }

    // ---- ContainerPgToolRunner: a broken output stream fails the run even when the tool exited 0 ----

    [Fact]
    public void A_Stream_That_Ended_Inside_A_Frame_Fails_A_Successful_Exit()
    {
        var failure = ContainerPgToolRunner.Judge(0, new EndOfStreamException("The Docker attach stream ended inside a frame."), false, "pg_dump", "postgres_cenate");
        Assert.NotNull(failure);
        Assert.Equal(ErrorIds.ConnectionLost, failure!.ErrorId);
        Assert.Contains("incomplete", failure.Message);
    }

    [Fact]
    public void A_Read_Error_Fails_A_Successful_Exit_And_A_Stopped_Container_Says_So()
    {
        Assert.Equal(ErrorIds.ConnectionLost, ContainerPgToolRunner.Judge(0, new IOException("connection reset"), false, "pg_dump", "c")!.ErrorId);
        Assert.Equal(ErrorIds.ContainerStopped, ContainerPgToolRunner.Judge(0, new IOException("connection reset"), true, "pg_dump", "c")!.ErrorId);
        Assert.Equal(ErrorIds.ContainerStopped, ContainerPgToolRunner.Judge(137, null, true, "pg_dump", "c")!.ErrorId);
        // A clean stream: the tool's own exit code and stderr tell (success, or the tool's failure).
        Assert.Null(ContainerPgToolRunner.Judge(0, null, false, "pg_dump", "c"));
        Assert.Null(ContainerPgToolRunner.Judge(1, null, false, "pg_dump", "c"));
        Assert.Null(ContainerPgToolRunner.Judge(1, new IOException("reset"), false, "pg_dump", "c"));
    }
}
