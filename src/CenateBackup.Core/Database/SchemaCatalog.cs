using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Storage;
using Npgsql;

namespace CenateBackup.Core.Database;

/// <summary>
/// Reads what a restore must bring back besides rows — keys, indexes, constraints, triggers — and exact row counts,
/// the same way at dump time (in the set's snapshot) and after a restore drill (in the scratch database), so the two
/// lists compare name by name and definition by definition.
/// </summary>
public static class SchemaCatalog
{
    // User tables as pg_dump sees them: not system schemas, not members of an extension.
    private const string TablesCte = @"WITH t AS (
  SELECT c.oid, n.nspname || '.' || c.relname AS tbl, c.relkind
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e'))
";

    private const string ObjectsSql = TablesCte + @"SELECT t.tbl,
  CASE con.contype WHEN 'p' THEN 'PrimaryKey' WHEN 'u' THEN 'Unique' WHEN 'f' THEN 'ForeignKey' WHEN 'c' THEN 'Check'
    WHEN 'x' THEN 'Exclusion' WHEN 'n' THEN 'NotNull' WHEN 't' THEN 'ConstraintTrigger' ELSE 'Constraint' END,
  con.conname::text, pg_catalog.pg_get_constraintdef(con.oid)
FROM pg_catalog.pg_constraint con JOIN t ON t.oid = con.conrelid
UNION ALL
SELECT t.tbl, 'Index', ic.relname::text, pg_catalog.pg_get_indexdef(i.indexrelid)
FROM pg_catalog.pg_index i JOIN t ON t.oid = i.indrelid JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
UNION ALL
SELECT t.tbl, 'Trigger', tg.tgname::text, pg_catalog.pg_get_triggerdef(tg.oid)
FROM pg_catalog.pg_trigger tg JOIN t ON t.oid = tg.tgrelid WHERE NOT tg.tgisinternal
ORDER BY 1, 2, 3";

    // Counted tables include extension members: pg_dump writes the rows of extensions' configuration tables
    // (spatial_ref_sys, cron.job …), and the dump's own counts name them.
    private const string CountedTablesCte = @"WITH t AS (
  SELECT c.oid, n.nspname || '.' || c.relname AS tbl, c.relkind
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_')
";

    private const string LeafTablesSql = CountedTablesCte + "SELECT t.tbl FROM t ORDER BY 1";

    /// <summary>
    /// The keys, indexes, constraints and triggers of every user table (or only of <paramref name="tables"/>,
    /// "schema.table"), printed with an empty search_path so every name is schema-qualified the same way everywhere.
    /// </summary>
    public static async Task<List<ManifestCatalogObject>> ReadObjectsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        IReadOnlyCollection<string>? tables, CancellationToken cancellationToken)
    {
        string previous;
        await using (var get = new NpgsqlCommand("SELECT pg_catalog.current_setting('search_path')", connection, transaction))
        {
            previous = (string)(await get.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        await SetSearchPathAsync(connection, transaction, "pg_catalog", cancellationToken).ConfigureAwait(false);
        var list = new List<ManifestCatalogObject>();
        try
        {
            await using var cmd = new NpgsqlCommand(ObjectsSql, connection, transaction);
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var table = r.GetString(0);
                if (tables is not null && !tables.Contains(table)) continue;
                list.Add(new ManifestCatalogObject { Table = table, Kind = r.GetString(1), Name = r.GetString(2), Definition = r.GetString(3) });
            }
        }
        finally
        {
            await SetSearchPathAsync(connection, transaction, previous, cancellationToken).ConfigureAwait(false);
        }
        return list;
    }

    /// <summary>Exact row counts of every user table that holds rows itself (partitions, not their parents).</summary>
    public static async Task<SortedDictionary<string, long>> CountAllTablesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await using (var cmd = new NpgsqlCommand(LeafTablesSql, connection))
        {
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false)) names.Add(r.GetString(0));
        }
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        if (names.Count == 0) return counts;
        // One statement, one round trip: SELECT count(*) of each table, names quoted by the server.
        await using (var cmd = new NpgsqlCommand(CountedTablesCte + @"SELECT pg_catalog.string_agg(
  pg_catalog.format('SELECT %L::text, count(*) FROM ONLY %I.%I', t.tbl, n.nspname, c.relname), ' UNION ALL ')
FROM t JOIN pg_catalog.pg_class c ON c.oid = t.oid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE t.relkind = 'r'", connection))
        {
            var sql = (string)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            await using var count = new NpgsqlCommand(sql, connection);
            await using var r = await count.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false)) counts[r.GetString(0)] = r.GetInt64(1);
        }
        return counts;
    }

    private static async Task SetSearchPathAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string value, CancellationToken cancellationToken)
    {
        await using var set = new NpgsqlCommand("SELECT pg_catalog.set_config('search_path', @v, @local)", connection, transaction);
        set.Parameters.AddWithValue("v", value);
        set.Parameters.AddWithValue("local", transaction is not null);
        await set.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Compares the objects recorded at dump time with those found after a restore: what is missing, what differs.</summary>
    public static (List<ManifestCatalogObject> Missing, List<(ManifestCatalogObject Expected, ManifestCatalogObject Found)> Different) Compare(
        IEnumerable<ManifestCatalogObject> expected, IEnumerable<ManifestCatalogObject> found)
    {
        var byKey = found.GroupBy(o => (o.Table, o.Kind, o.Name)).ToDictionary(g => g.Key, g => g.First());
        var missing = new List<ManifestCatalogObject>();
        var different = new List<(ManifestCatalogObject, ManifestCatalogObject)>();
        foreach (var e in expected)
        {
            if (!byKey.TryGetValue((e.Table, e.Kind, e.Name), out var f)) missing.Add(e);
            else if (!string.Equals(e.Definition, f.Definition, StringComparison.Ordinal)
                     && !string.Equals(Normalize(e.Definition), Normalize(f.Definition), StringComparison.Ordinal)) different.Add((e, f));
        }
        return (missing, different);
    }

    private static readonly System.Text.RegularExpressions.Regex s_casts = new(
        @"::(?:character varying|double precision|bit varying|time(?:stamp)?(?: with(?:out)? time zone)?|""[^""]+""|[A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z_][A-Za-z0-9_]*)?(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])*",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// A definition without casts, parentheses and spaces. PostgreSQL does not print an expression back exactly as it
    /// read it: a CHECK (col = ANY (ARRAY[…]::text[])) comes back after a restore as ANY (ARRAY[(…)::text, …]) — the same
    /// constraint, other text. Definitions that differ only so are equal; another column, value, method or flag is not.
    /// </summary>
    public static string Normalize(string definition)
    {
        var s = s_casts.Replace(definition, "");
        var b = new System.Text.StringBuilder(s.Length);
        foreach (var c in s)
        {
            if (c is '(' or ')' || char.IsWhiteSpace(c)) continue;
            b.Append(c);
        }
        return b.ToString();
    }
}
