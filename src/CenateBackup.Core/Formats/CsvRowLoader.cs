using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using Npgsql;
using CenateBackup.Core.Resources;

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
                Messages.Format("BackupCorrupt.2", Path.GetFileName(path)),
                Messages.Get("BackupCorrupt.Action"), path);
        }
        var columns = CsvHeader.ParseColumns(Encoding.UTF8.GetString(buffer, 0, first).TrimEnd('\r'));
        var quoted = string.Join(", ", columns.Select(QualifiedTable.Quote));
        // A CSV of COPY (SELECT * FROM a partitioned table) holds its generated columns too, which COPY cannot write:
        // such a file goes through a temporary table of plain columns, and the generated ones are computed again.
        var generated = await GeneratedColumnsAsync(conn, stagingTable, ct).ConfigureAwait(false);
        var stored = columns.Where(c => !generated.Contains(c)).ToList();
        var into = stored.Count == columns.Count ? stagingTable : "pg_temp.cenate_csv_rows";
        if (into != stagingTable)
        {
            await conn.ExecAsync($"CREATE TEMPORARY TABLE cenate_csv_rows AS SELECT {quoted} FROM {stagingTable} WITH NO DATA", ct)
                .ConfigureAwait(false);
        }
        var copySql = $"COPY {into} ({quoted}) FROM STDIN WITH (FORMAT csv, HEADER true)";
        var counter = new CsvRecordCounter();
        var size = fs.Length;
        var rows = await CopyImport.RunAsync(conn, copySql, path, async raw =>
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
        if (into != stagingTable)
        {
            var list = string.Join(", ", stored.Select(QualifiedTable.Quote));
            await conn.ExecAsync($"INSERT INTO {stagingTable} ({list}) SELECT {list} FROM {into}", ct).ConfigureAwait(false);
            await conn.ExecAsync($"DROP TABLE {into}", ct).ConfigureAwait(false);
        }
        return rows;
    }

    /// <summary>The generated columns of <paramref name="table"/> (quoted, qualified; attgenerated from PostgreSQL 12 on).</summary>
    private static async Task<HashSet<string>> GeneratedColumnsAsync(NpgsqlConnection conn, string table, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT a.attname::text FROM pg_catalog.pg_attribute a " +
            "WHERE a.attrelid = pg_catalog.to_regclass(@t) AND a.attnum > 0 AND NOT a.attisdropped " +
            "AND COALESCE(pg_catalog.to_jsonb(a) ->> 'attgenerated', '') <> ''", conn);
        cmd.Parameters.AddWithValue("t", table);
        var names = new HashSet<string>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) names.Add(r.GetString(0));
        return names;
    }
}
