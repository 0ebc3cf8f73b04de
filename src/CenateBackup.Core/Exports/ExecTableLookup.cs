using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using CenateBackup.Core.Database;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Exports;

/// <summary>
/// The table lookup of the docker-exec export route (no TCP endpoint): one psql query that finds the table by the
/// psql variables t and s (quoted by psql, never pasted), and reports its kind, its COPY columns, the server version
/// and the estimated rows (summed over the partitions of a partitioned table) as one JSON array on one line.
/// </summary>
public sealed record ExecTableLookup(QualifiedTable Table, bool Partitioned, IReadOnlyList<string> Columns,
    string ServerVersion, int ServerVersionNum, long EstimatedRows)
{
    /// <summary>The psql script (variables :'t' table name, :'s' schema or empty for the search_path).</summary>
    public const string Script = @"WITH RECURSIVE t AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r','p') AND c.relname = :'t'
    AND ((:'s' = '' AND n.nspname = ANY(pg_catalog.current_schemas(false))) OR n.nspname = :'s')
  ORDER BY pg_catalog.array_position(pg_catalog.current_schemas(false), n.nspname) NULLS LAST LIMIT 1),
tree AS (
  SELECT t.oid, t.relkind FROM t
  UNION ALL
  SELECT c.oid, c.relkind FROM tree JOIN pg_catalog.pg_inherits i ON i.inhparent = tree.oid
  JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid WHERE tree.relkind = 'p')
SELECT pg_catalog.json_build_array(t.nspname, t.relname, t.relkind::text,
  pg_catalog.current_setting('server_version'), pg_catalog.current_setting('server_version_num'),
  (SELECT COALESCE(pg_catalog.json_agg(a.attname ORDER BY a.attnum), '[]'::json) FROM pg_catalog.pg_attribute a
   WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''),
  (SELECT COALESCE(sum(GREATEST(c.reltuples, 0)) FILTER (WHERE tree.relkind <> 'p'), 0)::bigint
   FROM tree JOIN pg_catalog.pg_class c ON c.oid = tree.oid))
FROM t;
";

    /// <summary>Reads the script's output (psql -A -t): one JSON array.</summary>
    /// <exception cref="FormatException">The output is not what the script prints.</exception>
    public static ExecTableLookup Parse(string output)
    {
        try
        {
            using var doc = JsonDocument.Parse(output.Trim());
            var a = doc.RootElement;
            if (a.ValueKind != JsonValueKind.Array || a.GetArrayLength() != 7)
            {
                throw new FormatException("not a 7-element array");
            }
            var columns = new List<string>();
            foreach (var c in a[5].EnumerateArray()) columns.Add(Text(c));
            var table = new QualifiedTable(Text(a[0]), Text(a[1]));
            var versionNum = int.Parse(Text(a[4]), CultureInfo.InvariantCulture);
            return new ExecTableLookup(table, Text(a[2]) == "p", columns, Text(a[3]), versionNum, a[6].GetInt64());
        }
        catch (Exception ex)
            when (ex is JsonException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new FormatException(
                Messages.Format("DatabaseError.ExecLookup", ex.Message), ex);
        }
    }

    private static string Text(JsonElement e) =>
        e.GetString() ?? throw new FormatException("a null where a name or version was expected");
}
