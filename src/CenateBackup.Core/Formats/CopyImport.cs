using System;
using System.IO;
using System.IO.Compression;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using Npgsql;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Formats;

/// <summary>
/// One COPY … FROM STDIN fed with a backup file's rows, the part the dump, CSV and SQL row loaders share: on any
/// failure the COPY is cancelled, and a damaged file becomes BackupCorrupt. The caller's transaction then rolls back.
/// </summary>
internal static class CopyImport
{
    /// <summary>
    /// Runs <paramref name="copySql"/> and feeds it raw bytes through <paramref name="write"/>, which returns the rows
    /// it sent.
    /// </summary>
    public static async Task<long> RunAsync(NpgsqlConnection conn, string copySql, string path, Func<Stream, Task<long>> write,
        CancellationToken ct)
    {
        var writer = await conn.BeginTextImportAsync(copySql, ct).ConfigureAwait(false);
        long rows;
        try
        {
            rows = await write(((StreamWriter)writer).BaseStream).ConfigureAwait(false);
        }
        catch (CenateException ex) when (ex.ErrorId == ErrorIds.ArchiveInvalid)
        {
            await CancelAsync(writer).ConfigureAwait(false);
            throw Corrupt(path, ex);
        }
        catch (InvalidDataException ex)
        {
            await CancelAsync(writer).ConfigureAwait(false);
            throw new CenateException(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData,
                Messages.Format("BackupCorrupt", Path.GetFileName(path), ex.Message), Messages.Get("BackupCorrupt.Action"),
                path, ex);
        }
        catch
        {
            await CancelAsync(writer).ConfigureAwait(false);
            throw;
        }
        await writer.DisposeAsync().ConfigureAwait(false);
        return rows;
    }

    /// <summary>BackupCorrupt for a dump the archive reader refused (ArchiveInvalid).</summary>
    public static CenateException Corrupt(string file, CenateException inner) => new(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData,
        Messages.Format("BackupCorrupt.CopyImport", Path.GetFileName(file), inner.Message),
            Messages.Get("BackupCorrupt.CopyImport.Action"),
        file, inner);

    /// <summary>Opens the rows of <paramref name="path"/>: gunzipped when its name ends in .gz.</summary>
    public static Stream OpenData(string path, FileStream fs) =>
        path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(fs, CompressionMode.Decompress) : fs;

    private static async Task CancelAsync(TextWriter writer)
    {
        try { if (writer is NpgsqlCopyTextWriter w) await w.CancelAsync().ConfigureAwait(false); } catch (Exception) { }
        try { await writer.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
    }
}
