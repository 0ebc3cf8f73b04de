using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Database;

namespace CenateBackup.Core.Exports;

/// <summary>
/// The COPY … TO STDOUT statement an export sends. A plain (or inheritance) table is copied as itself, its own rows
/// only, as pg_dump copies each inheritance table on its own. A partitioned table (relkind 'p', at any level) cannot
/// be the source of COPY (server error 42809), so its rows are read through a query over all its partitions:
/// the CSV export is COPY (SELECT * FROM table); the -Include text stream names COPY's columns (generated ones left out).
/// Names are re-quoted identifiers, never pasted text.
/// </summary>
public static class CopyOutStatement
{
    /// <summary>
    /// What follows COPY: "table" / "table (columns)" for a plain table, "(SELECT columns FROM table)" for a
    /// partitioned one.
    /// </summary>
    /// <param name="table">The table.</param>
    /// <param name="columns">The columns in COPY order (dropped and generated ones left out), or null for all of them
    /// (a plain table only: COPY table writes exactly those).</param>
    /// <param name="partitioned">True for relkind 'p'.</param>
    public static string Source(QualifiedTable table, IReadOnlyList<string>? columns, bool partitioned)
    {
        var list = columns is null ? null : string.Join(", ", columns.Select(QualifiedTable.Quote));
        if (partitioned)
        {
            // A zero-column SELECT is valid SQL; COPY writes one empty line per row, as COPY of such a table does.
            return $"(SELECT {list ?? "*"} FROM {table.Sql})";
        }
        return list is null ? table.Sql : $"{table.Sql} ({list})";
    }

    /// <summary>
    /// The CSV export: COPY … TO STDOUT WITH (FORMAT csv, HEADER) — of a partitioned table, exactly what psql's
    /// COPY (SELECT * FROM table) TO STDOUT WITH (FORMAT csv, HEADER) writes, generated columns included (the columns
    /// of COPY of a plain table leave them out).
    /// </summary>
    public static string Csv(QualifiedTable table, IReadOnlyList<string> columns, bool partitioned) =>
        $"COPY {Source(table, null, partitioned)} TO STDOUT WITH (FORMAT csv, HEADER)";

    /// <summary>The text-format stream the -Include exports convert (CSV and data-only SQL).</summary>
    public static string Text(QualifiedTable table, IReadOnlyList<string> columns, bool partitioned) =>
        $"COPY {Source(table, columns, partitioned)} TO STDOUT";
}
