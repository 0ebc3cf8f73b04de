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
/// lists compare object by object (<see cref="Compare"/>).
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

    // The fifth column says whether PostgreSQL derived the object from another one: a constraint cloned from a parent
    // (conparentid), an index that is a partition of a partitioned index, a trigger cloned onto a partition.
    // tgparentid exists from PostgreSQL 13 on: read through to_jsonb, so older servers answer too. Invalid indexes (left
    // by a failed CREATE INDEX CONCURRENTLY) are not recorded: pg_dump does not dump them.
    private const string ObjectsSql = TablesCte + @"SELECT t.tbl,
  CASE con.contype WHEN 'p' THEN 'PrimaryKey' WHEN 'u' THEN 'Unique' WHEN 'f' THEN 'ForeignKey' WHEN 'c' THEN 'Check'
    WHEN 'x' THEN 'Exclusion' WHEN 'n' THEN 'NotNull' WHEN 't' THEN 'ConstraintTrigger' ELSE 'Constraint' END,
  con.conname::text, pg_catalog.pg_get_constraintdef(con.oid), con.conparentid <> 0
FROM pg_catalog.pg_constraint con JOIN t ON t.oid = con.conrelid
UNION ALL
SELECT t.tbl, 'Index', ic.relname::text, pg_catalog.pg_get_indexdef(i.indexrelid),
  EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)
FROM pg_catalog.pg_index i JOIN t ON t.oid = i.indrelid JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
WHERE i.indisvalid
UNION ALL
SELECT t.tbl, 'Trigger', tg.tgname::text, pg_catalog.pg_get_triggerdef(tg.oid),
  COALESCE(pg_catalog.to_jsonb(tg) ->> 'tgparentid', '0') <> '0'
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
                list.Add(new ManifestCatalogObject
                {
                    Table = table, Kind = r.GetString(1), Name = r.GetString(2), Definition = r.GetString(3),
                    Derived = r.GetBoolean(4),
                });
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

    /// <summary>
    /// Exact row counts of the named tables ("schema.table", as a manifest records its critical tables) with all their
    /// partitions and inheritance children, as count(*) of the table counts them at dump time. A name that is no table
    /// here is left out. The names are matched against the catalog and quoted by the server, never pasted into SQL.
    /// </summary>
    public static async Task<SortedDictionary<string, long>> CountWithDescendantsAsync(NpgsqlConnection connection,
        IReadOnlyCollection<string> tables, CancellationToken cancellationToken)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        if (tables.Count == 0) return counts;
        string? sql;
        await using (var cmd = new NpgsqlCommand(TablesCte + @"SELECT pg_catalog.string_agg(
  pg_catalog.format('SELECT %L::text, count(*) FROM %I.%I', t.tbl, n.nspname, c.relname), ' UNION ALL ')
FROM t JOIN pg_catalog.pg_class c ON c.oid = t.oid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE t.tbl = ANY(@names)", connection))
        {
            cmd.Parameters.AddWithValue("names", tables.ToArray());
            sql = await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }
        if (sql is null) return counts;
        await using (var count = new NpgsqlCommand(sql, connection))
        {
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

    /// <summary>
    /// Compares the objects recorded at dump time with those found after a restore: what is missing, what differs.
    /// An object matches one of the same table, kind, name and definition. A derived object (<see
    /// cref="ManifestCatalogObject.Derived"/> on either side) whose name a restore does not keep — PostgreSQL names a
    /// foreign key's clones for the referenced partitions anew — matches one of the same table, kind and definition
    /// (<see cref="Identity"/>: columns, referenced table and columns, actions, deferrability, predicate, method). What
    /// is left is different when an object of its name is left, else missing. Objects found only after the restore are
    /// not problems.
    /// </summary>
    public static (List<ManifestCatalogObject> Missing, List<(ManifestCatalogObject Expected, ManifestCatalogObject Found)> Different) Compare(
        IEnumerable<ManifestCatalogObject> expected, IEnumerable<ManifestCatalogObject> found)
    {
        var left = found.GroupBy(o => (o.Table, o.Kind)).ToDictionary(g => g.Key, g => g.ToList());
        var unmatched = new List<ManifestCatalogObject>();
        foreach (var e in expected)
        {
            var same = Candidates(left, e).FindIndex(f => f.Name == e.Name && SameDefinition(e.Definition, f.Definition));
            if (same >= 0) left[(e.Table, e.Kind)].RemoveAt(same);
            else unmatched.Add(e);
        }
        var stillUnmatched = new List<ManifestCatalogObject>();
        // Derived objects first: a plain object of the same definition (a partition's own key beside the clone of its
        // parent's) must not take the restored clone and leave the derived one reported missing under the wrong name.
        foreach (var e in unmatched.OrderBy(e => e.Derived ? 0 : 1))
        {
            var identity = Identity(e);
            var candidates = Candidates(left, e);
            var same = candidates.FindIndex(f => (e.Derived || f.Derived) && Identity(f) == identity);
            if (same >= 0) candidates.RemoveAt(same);
            else stillUnmatched.Add(e);
        }
        var missing = new List<ManifestCatalogObject>();
        var different = new List<(ManifestCatalogObject, ManifestCatalogObject)>();
        foreach (var e in stillUnmatched)
        {
            var candidates = Candidates(left, e);
            var named = candidates.FindIndex(f => f.Name == e.Name);
            if (named < 0) { missing.Add(e); continue; }
            different.Add((e, candidates[named]));
            candidates.RemoveAt(named);
        }
        return (missing, different);
    }

    private static List<ManifestCatalogObject> Candidates(
        Dictionary<(string, string), List<ManifestCatalogObject>> left, ManifestCatalogObject e) =>
        left.TryGetValue((e.Table, e.Kind), out var list) ? list : new List<ManifestCatalogObject>();

    private static bool SameDefinition(string expected, string found) =>
        string.Equals(expected, found, StringComparison.Ordinal)
        || string.Equals(Normalize(expected), Normalize(found), StringComparison.Ordinal);

    private static readonly System.Text.RegularExpressions.Regex s_ownName = new(
        @"^CREATE (UNIQUE |CONSTRAINT )?(INDEX|TRIGGER) (?:""(?:[^""]|"""")*""|\S+) ",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// What an object is, without its own name: the normalized definition (a constraint's definition names none; an
    /// index's and a trigger's lose the name after CREATE … INDEX / TRIGGER).
    /// </summary>
    public static string Identity(ManifestCatalogObject o)
    {
        var definition = o.Kind is "Index" or "Trigger" ? s_ownName.Replace(o.Definition, "CREATE $1$2 ", 1) : o.Definition;
        return Normalize(definition);
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
