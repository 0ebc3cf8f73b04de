using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CenateBackup.Core.Database;

namespace CenateBackup.Core.Audit;

/// <summary>A column of the table rows go back into, as the catalog has it now.</summary>
/// <param name="Name">attname.</param>
/// <param name="Type">format_type(atttypid, atttypmod): SQL, schema-qualified where the (empty) search_path needs it.</param>
/// <param name="Generated">A generated column: PostgreSQL computes it, it is never inserted.</param>
/// <param name="IdentityAlways">GENERATED ALWAYS AS IDENTITY: inserting it needs OVERRIDING SYSTEM VALUE.</param>
public sealed record TableColumn(string Name, string Type, bool Generated, bool IdentityAlways);

/// <summary>The column names, in order, of the row images logged with one shape id.</summary>
/// <param name="Id">audit_row_shape.id (the first 128 bits of the names' SHA-256).</param>
/// <param name="Columns">The names, in the order of the fields of the row's text form.</param>
public sealed record RowShape(Guid Id, IReadOnlyList<string> Columns);

/// <summary>
/// Builds the one INSERT that puts logged rows back (Restore-CenateDeletedRow). A row image is the row's text form as
/// record_out wrote it when the row was logged; it is read back by casting it to a temporary composite type with the
/// image's field names in the image's order, each typed as the table's column of that name is typed NOW (text for a
/// column the table no longer has or computes itself). record_in then runs each column's own input function on the
/// exact text its output function wrote, so every value of every type with text I/O comes back identical (jsonb null vs
/// SQL NULL, json whitespace and duplicate keys, -0, NaN, char(n) padding, …), and a column the image lacks (added
/// since) is left out of the INSERT so it takes its DEFAULT. Entries logged before the image existed go through
/// jsonb_populate_record on old_row, as before. The newest logged version of each primary key is restored, once; a key
/// that exists in the table is skipped. Pure: builds text only.
/// </summary>
public static class UndeleteStatement
{
    /// <summary>The statements, and the columns of logged rows that the table no longer has.</summary>
    /// <param name="Setup">CREATE TYPE pg_temp.… statements to run first, in the same transaction.</param>
    /// <param name="Sql">The INSERT; returns one row (considered, inserted, from json).</param>
    /// <param name="Teardown">DROP TYPE statements.</param>
    /// <param name="DroppedColumns">Names in some image that are not columns of the table now, sorted.</param>
    public sealed record Plan(IReadOnlyList<string> Setup, string Sql, IReadOnlyList<string> Teardown, IReadOnlyList<string> DroppedColumns);

    /// <summary>
    /// Builds the plan. <paramref name="rowsWhere"/> is the log filter (" WHERE … ", its parameters bound by the caller)
    /// that selects DELETE/TRUNCATE entries holding a row; shape i is bound as parameter <c>@shape{i}</c> (uuid).
    /// </summary>
    public static Plan Build(string table, IReadOnlyList<TableColumn> columns, IReadOnlyList<string> primaryKey, string log, string rowsWhere,
        bool logHasImage, IReadOnlyList<RowShape> shapes, bool deferrableKey = false)
    {
        if (primaryKey.Count == 0) throw new ArgumentException("A primary key is needed.", nameof(primaryKey));
        // ON CONFLICT refuses a table with a DEFERRABLE key: then writers are locked out, and the keys that exist
        // again are left out by the anti-join alone.
        var conflict = deferrableKey ? "" : " ON CONFLICT DO NOTHING";
        var byName = columns.ToDictionary(c => c.Name, StringComparer.Ordinal);
        string Q(string identifier) => QualifiedTable.Quote(identifier);
        var overriding = columns.Any(c => c.IdentityAlways && !c.Generated) ? " OVERRIDING SYSTEM VALUE" : "";
        var setup = new List<string>();
        if (deferrableKey) setup.Add($"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE");
        var teardown = new List<string>();
        var dropped = new SortedSet<string>(StringComparer.Ordinal);
        var ctes = new List<string>();
        var keySelects = new List<string>();
        var inserts = new List<string>();

        string KeyColumns(Func<string, string> keyOf) => string.Join(", ", primaryKey.Select((k, j) => $"{keyOf(k)} AS k{j}"));
        string N(int i) => i.ToString(CultureInfo.InvariantCulture);

        // Each group is read twice: once for the keys (all selected entries), once by log id for the rows to insert.
        // The second read joins the log's primary key, never one CTE with another: with a -Since filter the planner
        // expects one row and would nest-loop two CTE scans (measured: 24 s for 10,000 rows instead of 0.8 s).
        // OFFSET 0 keeps the cast to the image type from being repeated once per column.
        for (var i = 0; i < shapes.Count; i++)
        {
            var shape = shapes[i];
            var type = "pg_temp." + Q("cenate_image_" + N(i));
            var attributes = new List<string>();
            var insert = new List<string>();
            foreach (var name in shape.Columns)
            {
                if (byName.TryGetValue(name, out var c) && !c.Generated)
                {
                    attributes.Add($"{Q(name)} {c.Type}");
                    insert.Add(name);
                }
                else
                {
                    // Not inserted: a column dropped since (reported) or one PostgreSQL computes. Read as text, unused.
                    attributes.Add($"{Q(name)} text");
                    if (c is null) dropped.Add(name);
                }
            }
            setup.Add($"CREATE TYPE {type} AS ({string.Join(", ", attributes)})");
            teardown.Add($"DROP TYPE {type}");
            var ofShape = $"l.old_row_image IS NOT NULL AND l.old_row_shape = @shape{N(i)}";
            // A key column the image lacks (added since) takes its DEFAULT: such a row has no key to compare yet.
            keySelects.Add($"SELECT id, {N(i)} AS src, {KeyColumns(k => insert.Contains(k, StringComparer.Ordinal) ? $"(r).{Q(k)}" : $"NULL::{byName[k].Type}")} " +
                           $"FROM (SELECT l.id, l.old_row_image::{type} AS r FROM {log} l{rowsWhere} AND {ofShape} OFFSET 0) g");
            if (insert.Count > 0)
            {
                inserts.Add($"INSERT INTO {table} ({string.Join(", ", insert.Select(Q))}){overriding} SELECT {string.Join(", ", insert.Select(c => "(s.r)." + Q(c)))} " +
                            $"FROM (SELECT l.old_row_image::{type} AS r FROM wanted w JOIN {log} l ON l.id = w.id WHERE w.src = {N(i)} OFFSET 0) s{conflict} RETURNING 1");
            }
        }

        // Entries without an image (logged by an earlier version of the log, or whose shape is unknown): old_row, by name.
        var known = shapes.Count == 0 ? "" : " AND l.old_row_shape IN (" + string.Join(", ", shapes.Select((_, i) => "@shape" + N(i))) + ")";
        var jsonFilter = logHasImage ? $" AND NOT (l.old_row_image IS NOT NULL{known})" : "";
        const string json = "-1";
        keySelects.Add($"SELECT id, {json} AS src, {KeyColumns(k => $"(r).{Q(k)}")} FROM (SELECT l.id, pg_catalog.jsonb_populate_record(NULL::{table}, l.old_row) AS r FROM {log} l{rowsWhere}{jsonFilter} OFFSET 0) g");
        var all = columns.Where(c => !c.Generated).Select(c => Q(c.Name)).ToList();
        inserts.Add($"INSERT INTO {table} ({string.Join(", ", all)}){overriding} SELECT {string.Join(", ", all.Select(c => "(s.r)." + c))} " +
                    $"FROM (SELECT pg_catalog.jsonb_populate_record(NULL::{table}, l.old_row) AS r FROM wanted w JOIN {log} l ON l.id = w.id WHERE w.src = {json} OFFSET 0) s{conflict} RETURNING 1");

        var ks = string.Join(", ", primaryKey.Select((_, j) => "k" + N(j)));
        var anyNull = string.Join(" OR ", primaryKey.Select((_, j) => $"k{N(j)} IS NULL"));
        var on = string.Join(" AND ", primaryKey.Select((k, j) => $"t.{Q(k)} = x.k{N(j)}"));
        ctes.Add($"keyed AS ({string.Join(" UNION ALL ", keySelects)})");
        // The newest entry of each key, once. Rows without a key (NULL) are each their own.
        ctes.Add($"x AS (SELECT DISTINCT ON ({ks}, nokey) id, src, {ks} FROM (SELECT keyed.*, CASE WHEN {anyNull} THEN id END AS nokey FROM keyed) y ORDER BY {ks}, nokey, id DESC)");
        ctes.Add($"wanted AS (SELECT x.id, x.src FROM x WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on}))");
        for (var i = 0; i < inserts.Count; i++) ctes.Add($"ins{N(i)} AS ({inserts[i]})");
        var inserted = string.Join(" + ", inserts.Select((_, i) => $"(SELECT count(*) FROM ins{N(i)})"));
        var sql = "WITH " + string.Join(",\n     ", ctes) + $"\nSELECT (SELECT count(*) FROM x), {inserted}, (SELECT count(*) FROM x WHERE src = {json})";
        return new Plan(setup, sql, teardown, dropped.ToList());
    }
}
