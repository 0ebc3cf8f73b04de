using System;
using System.Threading;
using System.Threading.Tasks;

namespace CenateBackup.Core.Archive;

/// <summary>
/// Passes COPY text data on, holding back the last bytes until the end so that pg_dump's end-of-data line
/// ("\." and the empty lines after it) is not sent: what reaches the sink is rows only. Counts the rows.
/// </summary>
internal sealed class CopyTailHoldback
{
    private const int Keep = 16;
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> _sink;
    private readonly byte[] _held = new byte[Keep];
    private int _heldLength;
    private long _sent;
    private readonly CopyRowCounter _counter = new();

    public CopyTailHoldback(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink) => _sink = sink;

    public async ValueTask AddAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (data.IsEmpty) return;
        _counter.Add(data.Span);
        var total = _heldLength + data.Length;
        if (total <= Keep)
        {
            data.CopyTo(_held.AsMemory(_heldLength));
            _heldLength = total;
            return;
        }
        // Send all but the last Keep bytes of (held + data), oldest first; hold those last bytes.
        var send = total - Keep;
        var fromHeld = Math.Min(_heldLength, send);
        if (fromHeld > 0)
        {
            await _sink(_held.AsMemory(0, fromHeld).ToArray(), ct).ConfigureAwait(false);
            _sent += fromHeld;
        }
        var fromData = send - fromHeld;
        if (fromData > 0)
        {
            await _sink(data[..fromData], ct).ConfigureAwait(false);
            _sent += fromData;
        }
        var keptHeld = _heldLength - fromHeld;
        _held.AsSpan(fromHeld, keptHeld).CopyTo(_held);
        data.Span[fromData..].CopyTo(_held.AsSpan(keptHeld));
        _heldLength = Keep;
    }

    /// <summary>What <see cref="CompleteAsync"/> held back as the end-of-data line (empty when there was none).</summary>
    public byte[] EndOfData { get; private set; } = Array.Empty<byte>();

    /// <summary>Sends the held bytes without the end-of-data line; returns the rows.</summary>
    public async ValueTask<long> CompleteAsync(CancellationToken ct)
    {
        var rows = _counter.Rows;
        var tail = _held.AsSpan(0, _heldLength);
        var run = tail.Length - tail.TrimEnd((byte)'\n').Length;
        var before = tail.Length - run;
        var cut = tail.Length;
        if (run > 0 && before >= 2 && tail[before - 2] == (byte)'\\' && tail[before - 1] == (byte)'.'
            && (_sent + before - 2 == 0 || (before >= 3 && tail[before - 3] == (byte)'\n')))
        {
            cut = before - 2;
        }
        EndOfData = _held.AsSpan(cut, _heldLength - cut).ToArray();
        if (cut > 0) await _sink(_held.AsMemory(0, cut).ToArray(), ct).ConfigureAwait(false);
        return rows;
    }
}
