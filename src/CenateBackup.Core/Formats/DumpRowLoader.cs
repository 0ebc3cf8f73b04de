using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Errors;
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

    /// <summary>
    /// Streams several data blocks (the leaves of a partitioned table), each into its own COPY, in one pass over the
    /// dump in the order it holds them; returns the rows sent. A table with sixty monthly partitions reads the file once.
    /// </summary>
    public static async Task<long> LoadAllAsync(NpgsqlConnection conn, string path,
        IReadOnlyList<(ArchiveTocEntry Data, string CopySql)> copies, Action<long, long> progress, CancellationToken ct)
    {
        if (copies.Count == 1) return await LoadAsync(conn, path, copies[0].Data, copies[0].CopySql, progress, ct).ConfigureAwait(false);
        var copyFor = copies.ToDictionary(c => c.Data.DumpId, c => c.CopySql);
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        var size = fs.Length;
        try
        {
            return await CustomArchiveInspector.StreamTablesDataAsync(fs, copyFor.Keys,
                (id, stream) => CopyImport.RunAsync(conn, copyFor[id], path,
                    raw => stream((chunk, token) => raw.WriteAsync(chunk, token)), ct),
                read => progress(read, size), ct).ConfigureAwait(false);
        }
        catch (CenateException ex) when (ex.ErrorId == ErrorIds.ArchiveInvalid)
        {
            throw CopyImport.Corrupt(path, ex);
        }
    }
}
