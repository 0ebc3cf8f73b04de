using System;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace CenateBackup.Core.Verification;

/// <summary>
/// Reads a backup file for a consumer (pg_restore's stdin, a gzip decoder) and, on the same pass, hashes
/// every byte (SHA-256) and reports progress: one read of the file instead of one per check.
/// </summary>
internal sealed class ReadThroughStream : Stream
{
    private readonly FileStream _file;
    private readonly IncrementalHash? _sha;
    private readonly Action<long>? _progress;
    private long _read;
    private long _lastReport;

    public ReadThroughStream(string path, Action<long>? progress, bool hash = true)
    {
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        _sha = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        _progress = progress;
    }

    public override long Length => _file.Length;

    /// <summary>Reads what the consumer left (a tool that stopped early), so the hash covers the whole file; returns it ("" without hashing).</summary>
    public async Task<string> FinishAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        while (await ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0) { }
        return _sha is null ? "" : Convert.ToHexString(_sha.GetHashAndReset()).ToLowerInvariant();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await _file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (n == 0) return 0;
        _sha?.AppendData(buffer.Span[..n]);
        _read += n;
        if (_progress is not null && _read - _lastReport >= (4 << 20))
        {
            _lastReport = _read;
            _progress(_read);
        }
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
            _sha?.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
