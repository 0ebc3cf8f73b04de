using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using Npgsql;

namespace CenateBackup.Core.Formats;

/// <summary>
/// Loads the rows of a CSV export (.csv.gz or .csv): the header line names the columns, and the file is sent as it is
/// to COPY … (FORMAT csv, HEADER true), its records counted on the way.
/// </summary>
internal static class CsvRowLoader
{
    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="stagingTable"/> (quoted, qualified); returns the records after the
    /// header. <paramref name="progress"/>: bytes read, size.
    /// </summary>
    public static async Task<long> LoadAsync(NpgsqlConnection conn, string path, string stagingTable,
        Action<long, long> progress, CancellationToken ct)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var input = CopyImport.OpenData(path, fs);
        var buffer = new byte[1 << 20];
        var n = await input.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        var first = buffer.AsSpan(0, n).IndexOf((byte)'\n');
        if (first < 0)
        {
            throw new CenateException(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData,
                $"'{Path.GetFileName(path)}' has no CSV header line.",
                "Restore from the dump or another set.", path);
        }
        var columns = CsvHeader.ParseColumns(Encoding.UTF8.GetString(buffer, 0, first).TrimEnd('\r'));
        var copySql = $"COPY {stagingTable} ({string.Join(", ", columns.Select(QualifiedTable.Quote))}) " +
            "FROM STDIN WITH (FORMAT csv, HEADER true)";
        var counter = new CsvRecordCounter();
        var size = fs.Length;
        return await CopyImport.RunAsync(conn, copySql, path, async raw =>
        {
            long last = 0;
            do
            {
                counter.Add(buffer.AsSpan(0, n));
                await raw.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                if (fs.Position - last >= (4 << 20)) { last = fs.Position; progress(last, size); }
            }
            while ((n = await input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0);
            return Math.Max(0, counter.Records - 1);
        }, ct).ConfigureAwait(false);
    }
}
