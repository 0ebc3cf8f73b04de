using System;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Tools;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class StreamPumpTests
{
    // A deadline only against a hang, never a speed target: on a loaded 2-core machine (load average 40, six agents)
    // the 64,000 reads of the trickle test took more than 20 s. A working pump ends in well under a second when idle.
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1 << 20)]
    [InlineData((1 << 20) + 1)]
    [InlineData(10 * 1024 * 1024)]
    public async Task CopiesExactly(int size)
    {
        var data = RandomNumberGenerator.GetBytes(size);
        using var source = new MemoryStream(data, writable: false);
        using var destination = new MemoryStream();
        await StreamPump.CopyAsync(source, destination, CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(size, destination.Length);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(destination.ToArray()));
    }

    [Fact]
    public async Task CopiesExactly_FromASourceThatReturnsOddSmallReads()
    {
        var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 7);
        using var source = new TrickleStream(data);
        using var destination = new MemoryStream();
        await StreamPump.CopyAsync(source, destination, CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(destination.ToArray()));
    }

    [Fact]
    public async Task CopiesExactly_ToASlowDestination_WithBackpressure()
    {
        // More than the pipe's pause threshold (16 MB) so the producer must wait for the consumer.
        var data = RandomNumberGenerator.GetBytes(20 * 1024 * 1024);
        using var source = new MemoryStream(data, writable: false);
        using var destination = new SlowStream();
        await StreamPump.CopyAsync(source, destination, CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(destination.Inner.ToArray()));
    }

    [Fact]
    public async Task DestinationIOException_Surfaces_NotACancellation_AndDoesNotHang()
    {
        using var source = new EndlessStream();
        using var destination = new FailingStream(failAfter: 3 * 1024 * 1024);
        var ex = await Record.ExceptionAsync(() => StreamPump.CopyAsync(source, destination, CancellationToken.None).WaitAsync(Timeout));
        Assert.NotNull(ex);
        Assert.IsNotType<TimeoutException>(ex);
        Assert.False(ex is OperationCanceledException, $"expected the IOException, got {ex}");
        Assert.IsType<IOException>(ex);
        Assert.Same(destination.Thrown, ex);
    }

    [Fact]
    public async Task DestinationIOException_OnTheFirstWrite_Surfaces()
    {
        using var source = new MemoryStream(RandomNumberGenerator.GetBytes(100));
        using var destination = new FailingStream(failAfter: 0);
        var ex = await Record.ExceptionAsync(() => StreamPump.CopyAsync(source, destination, CancellationToken.None).WaitAsync(Timeout));
        Assert.Same(destination.Thrown, ex);
    }

    [Fact]
    public async Task SourceIOException_Surfaces()
    {
        var boom = new IOException("connection reset");
        using var source = new ThrowingSource(boom, goodBytes: 2 * 1024 * 1024);
        using var destination = new MemoryStream();
        var ex = await Record.ExceptionAsync(() => StreamPump.CopyAsync(source, destination, CancellationToken.None).WaitAsync(Timeout));
        Assert.IsType<IOException>(ex);
        Assert.Equal("connection reset", ex!.Message);
    }

    [Fact]
    public async Task Cancellation_StopsAnEndlessCopy()
    {
        using var source = new EndlessStream(delayPerRead: TimeSpan.FromMilliseconds(1));
        using var destination = new CountingStream();
        using var cts = new CancellationTokenSource();
        // Cancelled once data has flowed (an event, not a timer: on a loaded machine the copy may not start in 200 ms).
        var copy = StreamPump.CopyAsync(source, destination, cts.Token);
        Assert.True(await destination.FirstWrite.Task.WaitAsync(Timeout), "some data should have flowed before the cancel");
        cts.Cancel();
        var ex = await Record.ExceptionAsync(() => copy.WaitAsync(Timeout));
        Assert.IsAssignableFrom<OperationCanceledException>(ex);
        Assert.True(destination.Written > 0, "some data should have flowed before the cancel");
        var after = destination.Written;
        await Task.Delay(100);
        Assert.Equal(after, destination.Written);
    }

    [Fact]
    public async Task AlreadyCancelled_DoesNotCopy()
    {
        using var source = new EndlessStream();
        using var destination = new CountingStream();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var ex = await Record.ExceptionAsync(() => StreamPump.CopyAsync(source, destination, cts.Token).WaitAsync(Timeout));
        Assert.IsAssignableFrom<OperationCanceledException>(ex);
    }

    [Fact]
    public async Task ProducerOverload_CopiesWhatTheProducerWrites()
    {
        var data = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 3);
        using var destination = new MemoryStream();
        await StreamPump.CopyAsync(async (writer, ct) =>
        {
            for (var off = 0; off < data.Length; off += 70_001)
            {
                await writer.WriteAsync(data.AsMemory(off, Math.Min(70_001, data.Length - off)), ct);
            }
        }, destination, CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(destination.ToArray()));
    }

    [Fact]
    public async Task ProducerException_Surfaces()
    {
        using var destination = new MemoryStream();
        var ex = await Record.ExceptionAsync(() => StreamPump.CopyAsync((_, _) => throw new InvalidDataException("bad producer"), destination, CancellationToken.None).WaitAsync(Timeout));
        Assert.IsType<InvalidDataException>(ex);
    }

    // ---- helper streams ----

    internal abstract class ReadOnlyStreamBase : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    internal abstract class WriteOnlyStreamBase : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Returns 1..97 bytes per read.</summary>
    internal sealed class TrickleStream : ReadOnlyStreamBase
    {
        private readonly byte[] _data;
        private int _pos;
        private int _n;
        public TrickleStream(byte[] data) => _data = data;
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = Math.Min(Math.Min(buffer.Length, (_n++ % 97) + 1), _data.Length - _pos);
            _data.AsMemory(_pos, n).CopyTo(buffer);
            _pos += n;
            return ValueTask.FromResult(n);
        }
    }

    /// <summary>Never ends; honours cancellation.</summary>
    private sealed class EndlessStream : ReadOnlyStreamBase
    {
        private readonly TimeSpan _delay;
        public EndlessStream(TimeSpan delayPerRead = default) => _delay = delayPerRead;
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_delay > TimeSpan.Zero) await Task.Delay(_delay, cancellationToken);
            var n = Math.Min(buffer.Length, 64 * 1024);
            buffer.Span[..n].Fill(0x5A);
            return n;
        }
    }

    private sealed class ThrowingSource : ReadOnlyStreamBase
    {
        private readonly IOException _ex;
        private long _left;
        public ThrowingSource(IOException ex, long goodBytes) { _ex = ex; _left = goodBytes; }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left <= 0) return ValueTask.FromException<int>(_ex);
            var n = (int)Math.Min(buffer.Length, _left);
            _left -= n;
            return ValueTask.FromResult(n);
        }
    }

    private sealed class FailingStream : WriteOnlyStreamBase
    {
        private readonly long _failAfter;
        private long _written;
        public FailingStream(long failAfter) => _failAfter = failAfter;
        public IOException? Thrown { get; private set; }
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_written + buffer.Length > _failAfter)
            {
                Thrown = new IOException("No space left on device", 28);
                return ValueTask.FromException(Thrown);
            }
            _written += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }

    private sealed class CountingStream : WriteOnlyStreamBase
    {
        private long _written;
        public long Written => Interlocked.Read(ref _written);
        /// <summary>Completes at the first write, so a test can act once data flows instead of after a guessed delay.</summary>
        public TaskCompletionSource<bool> FirstWrite { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Interlocked.Add(ref _written, buffer.Length);
            FirstWrite.TrySetResult(true);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Takes nothing until a delay has passed, then everything at once.</summary>
    internal sealed class StalledStream : WriteOnlyStreamBase
    {
        private readonly Task _open;
        public StalledStream(TimeSpan delay) => _open = Task.Delay(delay);
        public MemoryStream Inner { get; } = new();
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _open.WaitAsync(cancellationToken);
            Inner.Write(buffer.Span);
        }
    }

    private sealed class SlowStream : WriteOnlyStreamBase
    {
        public MemoryStream Inner { get; } = new();
        private int _calls;
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (++_calls % 8 == 0) await Task.Delay(1, cancellationToken);
            Inner.Write(buffer.Span);
        }
    }
}

/// <summary>Tests that measure the process's allocations: run alone, while no other test allocates.</summary>
[CollectionDefinition(nameof(AloneCollection), DisableParallelization = true)]
public sealed class AloneCollection
{
}

[Collection(nameof(AloneCollection))]
public class StreamPumpMemoryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_trickling_source_behind_a_stalled_destination_holds_little_memory()
    {
        // Tiny reads while the destination does not take anything for a while: the pipe fills up to its pause
        // threshold (16 MB of data). Each read once took a block of its own (1 MB), which ran out of memory.
        var data = RandomNumberGenerator.GetBytes(6 * 1024 * 1024);
        using var source = new StreamPumpTests.TrickleStream(data);
        using var destination = new StreamPumpTests.StalledStream(TimeSpan.FromSeconds(2));
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await StreamPump.CopyAsync(source, destination, CancellationToken.None).WaitAsync(Timeout);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(destination.Inner.ToArray()));
        Assert.True(allocated < 512L * 1024 * 1024, $"{allocated / (1024 * 1024)} MB allocated to copy 6 MB");
    }
}
