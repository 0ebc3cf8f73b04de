using System;

namespace CenateBackup.Core.Docker;

/// <summary>
/// Parses Docker's multiplexed attach stream (8-byte header: stream type, 3 zero bytes, big-endian length;
/// then the payload) from blocks of any size, so the socket can be read in large blocks instead of one
/// small read per frame. Stream type 0/1 is stdout, 2 stderr, 3 the engine's "systemerr" (kept with stderr,
/// where Docker.DotNet 3.x threw "unknown stream type").
/// </summary>
public sealed class DockerFrameParser
{
    private readonly byte[] _header = new byte[8];
    private int _headerFilled;
    private int _remaining;
    private int _target;

    /// <summary>Called with each piece of payload and its stream: 1 stdout, 2 stderr.</summary>
    public delegate void PayloadHandler(int stream, ReadOnlySpan<byte> payload);

    /// <summary>True when the parser sits between frames (a clean place for the stream to end).</summary>
    public bool AtFrameBoundary => _headerFilled == 0 && _remaining == 0;

    /// <summary>Consumes a block of the raw stream.</summary>
    public void Feed(ReadOnlySpan<byte> data, PayloadHandler onPayload)
    {
        while (data.Length > 0)
        {
            if (_remaining == 0)
            {
                var take = Math.Min(8 - _headerFilled, data.Length);
                data[..take].CopyTo(_header.AsSpan(_headerFilled));
                _headerFilled += take;
                data = data[take..];
                if (_headerFilled < 8) return;
                _headerFilled = 0;
                _target = _header[0] switch
                {
                    0 or 1 => 1,
                    2 or 3 => 2,
                    _ => throw new System.IO.InvalidDataException($"Docker attach stream: unknown stream type {_header[0]}."),
                };
                _remaining = (_header[4] << 24) | (_header[5] << 16) | (_header[6] << 8) | _header[7];
                if (_remaining < 0) throw new System.IO.InvalidDataException("Docker attach stream: negative frame length.");
                continue;
            }
            var n = Math.Min(_remaining, data.Length);
            onPayload(_target, data[..n]);
            _remaining -= n;
            data = data[n..];
        }
    }
}
