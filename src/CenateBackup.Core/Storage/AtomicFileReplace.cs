using System;
using System.IO;

namespace CenateBackup.Core.Storage;

/// <summary>
/// Replaces a small file whole (a manifest, an alert's state or status file): a partial file of its own
/// (O_EXCL, 0600), fsync, rename over the old file, fsync the directory. A reader sees the old file or the new one,
/// never half of one; on failure the partial is removed and the exception is the caller's to explain.
/// </summary>
public static class AtomicFileReplace
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/>; <paramref name="mode"/> (Unix) replaces
    /// the partial's 0600 before the rename.</summary>
    public static void Write(string path, byte[] bytes, UnixFileMode? mode = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var full = Path.GetFullPath(path);
        string? partial = null;
        try
        {
            using (var stream = PartialFile.Create(full, FileOptions.None, out partial))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            if (mode is { } m && !OperatingSystem.IsWindows()) File.SetUnixFileMode(partial, m);
            File.Move(partial, full, overwrite: true);
            partial = null;
        }
        finally
        {
            if (partial is not null)
            {
                try { File.Delete(partial); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
        DirectorySync.Fsync(Path.GetDirectoryName(full)!);
    }
}
