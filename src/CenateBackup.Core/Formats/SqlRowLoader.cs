using System;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using Npgsql;

namespace CenateBackup.Core.Formats;

/// <summary>
/// Loads the rows of a data-only SQL export (.sql.gz) into the live table's definition: the file is read as data
/// (<see cref="SqlExportRows"/>), its COPY header checked against the table (<see cref="SqlExportCopy"/>), and only the
/// rows are sent, with a COPY the module builds.
/// </summary>
internal static class SqlRowLoader
{
    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="stagingTable"/>; returns the rows sent. <paramref name="progress"/>:
    /// bytes read, size.
    /// </summary>
    public static async Task<long> LoadAsync(NpgsqlConnection conn, string path, QualifiedTable table, string quotedTable,
        LiveTable live, string stagingTable, Action<long, long> progress, CancellationToken ct)
    {
        // Read and checked again: the rows are taken from this reading only, and only once its header passed.
        await using var rows = await SqlExportRows.OpenAsync(path, ct).ConfigureAwait(false);
        SqlExportCopy.Check(path, rows.Header, table, quotedTable, live);
        var quoted = await LiveTableReader.QuotedNamesAsync(conn, rows.Header.Columns, ct).ConfigureAwait(false);
        var copySql = SqlExportCopy.Statement(rows.Header, stagingTable, name => quoted[name]);
        return await CopyImport.RunAsync(conn, copySql, path,
            raw => rows.CopyRowsAsync(raw, read => progress(read, rows.Length), ct), ct).ConfigureAwait(false);
    }
}
