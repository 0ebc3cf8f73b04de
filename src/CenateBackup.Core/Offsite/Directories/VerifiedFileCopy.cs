using System;
using System.Diagnostics;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Offsite.Directories;

/// <summary>
/// Copies one file to a directory target and proves the target's disk holds it: the copy goes to its own partial file
/// (O_EXCL, 0600), is fsynced, dropped from the page cache and read back from the disk with SHA-256 before it gets
/// its final name (a rename that never replaces a file). A read-back from the cache would prove nothing about a USB
/// disk. Mismatch → TargetChecksumMismatch, full disk → DiskFull, Ctrl+C → cancelled; in each case nothing is left.
/// </summary>
public static class VerifiedFileCopy
{
    // Large blocks, two of them: one is read while the other is written (or hashed).
    private const int BlockSize = 2 * 1024 * 1024;

    /// <summary>
    /// Copies <paramref name="sourcePath"/> to <paramref name="targetDirectory"/>/<paramref name="name"/> and verifies
    /// it against <paramref name="expectedSha256"/> (the manifest's). A file of that name already at the target is
    /// never trusted nor replaced: BackupSetExists (the caller decides what to do with it).
    /// <paramref name="bytes"/> gets the bytes copied so far.
    /// </summary>
    public static Task<VerifiedCopyResult> CopyAsync(string sourcePath, string targetDirectory, string name,
        string expectedSha256, IProgress<long>? bytes, CancellationToken cancellationToken) =>
        CopyAsync(sourcePath, targetDirectory, name, expectedSha256, bytes, null, cancellationToken);

    /// <summary>The copy, with a test hook that runs on the partial file after its fsync, before the
    /// read-back.</summary>
    internal static async Task<VerifiedCopyResult> CopyAsync(string sourcePath, string targetDirectory, string name,
        string expectedSha256, IProgress<long>? bytes, Action<string>? afterFsync, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(name) || name != Path.GetFileName(name) || name is "." or "..")
        {
            throw new ArgumentException($"'{name}' is not a plain file name.", nameof(name));
        }
        var directory = Path.GetFullPath(targetDirectory);
        var finalPath = Path.Combine(directory, name);
        if (File.Exists(finalPath) || Directory.Exists(finalPath) || new FileInfo(finalPath).LinkTarget is not null)
        {
            throw Exists(finalPath);
        }
        var watch = Stopwatch.StartNew();
        string? partial = null;
        var committed = false;
        try
        {
            long length;
            using (var source = OpenSource(sourcePath))
            {
                await using var target = PartialFile.Create(finalPath, FileOptions.Asynchronous, out partial);
                length = await CopyBlocksAsync(source, target, bytes, cancellationToken).ConfigureAwait(false);
                target.Flush(flushToDisk: true);
            }
            afterFsync?.Invoke(partial);
            var (sha, fromDisk) = await HashAsync(partial, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(sha, expectedSha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new CenateException(ErrorIds.TargetChecksumMismatch, CenateErrorKind.InvalidData,
                    Messages.Format("TargetChecksumMismatch", name, directory, sha, expectedSha256.ToLowerInvariant()),
                    Messages.Get("TargetChecksumMismatch.Action"),
                    finalPath);
            }
            if (!NoReplaceRename.TryMove(partial, finalPath)) throw Exists(finalPath);
            committed = true;
            DirectorySync.Fsync(directory);
            return new VerifiedCopyResult(finalPath, length, sha, watch.Elapsed) { ReadFromDisk = fromDisk };
        }
        catch (UnauthorizedAccessException ex) when (partial is null)
        {
            throw BackupDirectory.NotWritable(directory, ex);
        }
        catch (IOException ex) when (AtomicBackupFile.IsDiskFull(ex))
        {
            throw new CenateException(ErrorIds.DiskFull, CenateErrorKind.WriteError,
                Messages.Format("DiskFull.4", directory, name),
                Messages.Get("DiskFull.Action.4"),
                finalPath, ex);
        }
        catch (IOException ex) when (ex is not FileNotFoundException)
        {
            throw new CenateException(ErrorIds.WriteFailed, CenateErrorKind.WriteError,
                Messages.Format("WriteFailed.3", name, directory, ex.Message),
                Messages.Get("WriteFailed.Action.3"), finalPath, ex);
        }
        finally
        {
            if (!committed && partial is not null)
            {
                try { File.Delete(partial); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    /// <summary>SHA-256 (lowercase hex) of <paramref name="path"/> as its disk holds it: fsync, drop the cached pages,
    /// read.</summary>
    public static async Task<string> ReadBackSha256Async(string path, CancellationToken cancellationToken) =>
        (await HashAsync(path, cancellationToken).ConfigureAwait(false)).Sha256;

    private static FileStream OpenSource(string sourcePath)
    {
        try
        {
            return new FileStream(sourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, 0,
                FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CenateException(ErrorIds.BackupFileMissing, CenateErrorKind.ObjectNotFound,
                Messages.Format("BackupFileMissing", sourcePath),
                Messages.Get("BackupFileMissing.Action"), sourcePath, ex);
        }
    }

    private static async Task<long> CopyBlocksAsync(Stream source, Stream target, IProgress<long>? bytes,
        CancellationToken cancellationToken)
    {
        var blocks = new[] { new byte[BlockSize], new byte[BlockSize] };
        var pending = Task.CompletedTask;
        long total = 0;
        for (var i = 0; ; i ^= 1)
        {
            var read = await ReadFullAsync(source, blocks[i], cancellationToken).ConfigureAwait(false);
            await pending.ConfigureAwait(false);
            if (total > 0) bytes?.Report(total);
            if (read == 0) break;
            pending = target.WriteAsync(blocks[i].AsMemory(0, read), cancellationToken).AsTask();
            total += read;
        }
        return total;
    }

    private static async Task<(string Sha256, bool FromDisk)> HashAsync(string path,
        CancellationToken cancellationToken)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        var fromDisk = PageCache.Drop(file.SafeFileHandle, path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var blocks = new[] { new byte[BlockSize], new byte[BlockSize] };
        var read = await ReadFullAsync(file, blocks[0], cancellationToken).ConfigureAwait(false);
        for (var i = 0; read > 0; i ^= 1)
        {
            // Read the next block while this one is hashed.
            var next = ReadFullAsync(file, blocks[i ^ 1], cancellationToken);
            hash.AppendData(blocks[i], 0, read);
            read = await next.ConfigureAwait(false);
        }
        // What was read back is not kept in memory either: a backup of several GB should not evict the server's cache.
        PageCache.Drop(file.SafeFileHandle, path);
        return (Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(), fromDisk);
    }

    private static async Task<int> ReadFullAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            filled += n;
        }
        return filled;
    }

    private static CenateException Exists(string finalPath) => new(ErrorIds.BackupSetExists,
        CenateErrorKind.ResourceExists,
        Messages.Format("BackupSetExists.Target", finalPath), Messages.Get("BackupSetExists.Action.Target"), finalPath);
}
