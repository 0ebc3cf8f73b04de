using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using Npgsql;

namespace CenateBackup.Core.Formats;

/// <summary>
/// Loads a table's rows from a custom-format dump: its data block is read by the module's archive reader (no
/// pg_restore, no file copied into a container; streamed dumps without data offsets work) and sent with COPY.
/// </summary>
internal static class DumpRowLoader
{
    /// <summary>
    /// Streams the data block of <paramref name="data"/> (a TABLE DATA entry) into <paramref name="copySql"/> (a COPY …
    /// FROM STDIN the caller built from the entry's names, re-quoted); returns the rows sent.
    /// <paramref name="progress"/>: bytes read, size.
    /// </summary>
    public static async Task<long> LoadAsync(NpgsqlConnection conn, string path, ArchiveTocEntry data, string copySql,
        Action<long, long> progress, CancellationToken ct)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        var size = fs.Length;
        return await CopyImport.RunAsync(conn, copySql, path, raw => CustomArchiveInspector.StreamTableDataAsync(fs, data.DumpId,
            (chunk, token) => raw.WriteAsync(chunk, token), read => progress(read, size), ct), ct).ConfigureAwait(false);
    }
}
