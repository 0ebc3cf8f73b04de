using System;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Storage;

/// <summary>
/// A write-only stream for one backup file: writes to its own "&lt;name&gt;.&lt;random&gt;.partial" (created with O_EXCL,
/// 0600), hashes with SHA-256 as it goes, and on <see cref="CommitAsync"/> fsyncs, renames to the final name without
/// ever replacing an existing file (<see cref="NoReplaceRename"/>) and fsyncs the directory. Two writers of one name
/// never share a partial file: the second one's commit fails with BackupSetExists and the first one's file stays whole.
/// Disposed without commit, it deletes its partial file, so nothing that looks complete is ever left.
/// Write failures surface as <see cref="CenateException"/> (DiskFull / WriteFailed).
/// </summary>
public sealed class AtomicBackupFile : Stream
{
    private const int ENOSPC = 28;
    private readonly FileStream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Action<long>? _onProgress;
    private bool _committed;
    private long _length;

    /// <summary>Creates the partial file; fails if the final file already exists.</summary>
    public AtomicBackupFile(string finalPath, Action<long>? onProgress = null)
    {
        FinalPath = Path.GetFullPath(finalPath);
        _onProgress = onProgress;
        if (File.Exists(FinalPath))
        {
            throw new CenateException(ErrorIds.BackupSetExists, CenateErrorKind.InvalidOperation,
                Messages.Format("BackupSetExists", FinalPath), Messages.Get("BackupSetExists.Action"), FinalPath);
        }
        try
        {
            // A name of its own, created exclusively: a leftover partial or a planted symlink is never opened or removed.
            _file = PartialFile.Create(FinalPath, FileOptions.Asynchronous, out var partialPath);
            PartialPath = partialPath;
        }
        catch (UnauthorizedAccessException ex)
        {
            throw BackupDirectory.NotWritable(Path.GetDirectoryName(FinalPath)!, ex);
        }
        catch (IOException ex)
        {
            throw Translate(ex);
        }
    }

    /// <summary>The name the file gets once complete.</summary>
    public string FinalPath { get; }
    /// <summary>The name while being written ("&lt;final&gt;.&lt;random&gt;.partial").</summary>
    public string PartialPath { get; }
    /// <summary>Lowercase hex SHA-256 (valid after commit).</summary>
    public string? Sha256 { get; private set; }
    /// <summary>True once the file has its final name (this run created it there).</summary>
    public bool IsCommitted => _committed;

    /// <inheritdoc />
    public override bool CanRead => false;
    /// <inheritdoc />
    public override bool CanSeek => false;
    /// <inheritdoc />
    public override bool CanWrite => true;
    /// <inheritdoc />
    public override long Length => _length;
    /// <inheritdoc />
    public override long Position { get => _length; set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            _file.Write(buffer);
        }
        catch (IOException ex)
        {
            throw Translate(ex);
        }
        _hash.AppendData(buffer);
        _length += buffer.Length;
        _onProgress?.Invoke(_length);
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await _file.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw Translate(ex);
        }
        _hash.AppendData(buffer.Span);
        _length += buffer.Length;
        _onProgress?.Invoke(_length);
    }

    /// <inheritdoc />
    public override void Flush() { }
    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Makes the file durable and gives it its final name. Returns its size.</summary>
    public Task<long> CommitAsync()
    {
        try
        {
            _file.Flush(flushToDisk: true);
            _file.Dispose();
            Sha256 = Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant();
            if (!NoReplaceRename.TryMove(PartialPath, FinalPath))
            {
                throw new CenateException(ErrorIds.BackupSetExists, CenateErrorKind.InvalidOperation,
                    Messages.Format("BackupSetExists.2", FinalPath),
                    Messages.Get("BackupSetExists.Action.2"), FinalPath);
            }
            _committed = true;
            DirectorySync.Fsync(Path.GetDirectoryName(FinalPath)!);
        }
        catch (IOException ex)
        {
            throw Translate(ex);
        }
        return Task.FromResult(_length);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
            _hash.Dispose();
            if (!_committed)
            {
                try { File.Delete(PartialPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
        base.Dispose(disposing);
    }

    internal static bool IsDiskFull(IOException ex) => (ex.HResult & 0xFFFF) == ENOSPC || ex.HResult == unchecked((int)0x80070070) || ex.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);

    private CenateException Translate(IOException ex) => IsDiskFull(ex)
        ? new CenateException(ErrorIds.DiskFull, CenateErrorKind.WriteError,
            Messages.Format("DiskFull", Path.GetDirectoryName(FinalPath)),
            Messages.Get("DiskFull.Action"), FinalPath, ex)
        : new CenateException(ErrorIds.WriteFailed, CenateErrorKind.WriteError,
            Messages.Format("WriteFailed", PartialPath, ex.Message),
            Messages.Get("WriteFailed.Action"), FinalPath, ex);
}
