using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using Npgsql;

namespace CenateBackup.Core.Restores;

/// <summary>
/// Get-CenateRestoreStaging: the staging schemas cenate_restore_&lt;stamp&gt; and the tables
/// &lt;table&gt;_replaced_&lt;stamp&gt; in a database, read from the catalog (names by pattern, then each one's marker
/// and contents judged by <see cref="StagingMarker"/> and <see cref="ForeignObjectsSql"/>). Rows are the planner's
/// estimate: counting a big copy only to list it would read all of it.
/// </summary>
public static class StagingCatalog
{
    /// <summary>Lists what the filters select, oldest first.</summary>
    public static async Task<IReadOnlyList<StagingItem>> ListAsync(DatabaseTarget target, StagingQuery query,
        IOperationReporter reporter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(query);
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        try
        {
            var items = await ReadAsync(session.Connection, target.Database, query.Kind, null, null, ct)
                .ConfigureAwait(false);
            return items.Where(i => Selected(i, query)).OrderBy(i => i.Created ?? DateTimeOffset.MaxValue)
                .ThenBy(i => i.Name, StringComparer.Ordinal).ToList();
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    private static bool Selected(StagingItem item, StagingQuery query)
    {
        if (query.Table is { } table)
        {
            var match = item.Table is not null && (item.Table == table
                || item.Table[(item.Table.IndexOf('.', StringComparison.Ordinal) + 1)..] == table);
            if (!match) return false;
        }
        if (query.OlderThan is { } older && (item.Created is null || query.Now - item.Created.Value < older))
            return false;
        return true;
    }

    /// <summary>
    /// The items by pattern (or the one named: <paramref name="name"/>, and for Replaced its <paramref
    /// name="schema"/>),
    /// each judged: ours or not, and why.
    /// </summary>
    internal static async Task<List<StagingItem>> ReadAsync(NpgsqlConnection conn, string database, StagingKind? kind,
        string? name, string? schema, CancellationToken ct)
    {
        var items = new List<StagingItem>();
        if (kind is null or StagingKind.Staging)
            items.AddRange(await ReadStagingAsync(conn, database, name, ct).ConfigureAwait(false));
        if (kind is null or StagingKind.Replaced)
            items.AddRange(await ReadReplacedAsync(conn, database, name, schema, ct).ConfigureAwait(false));
        return items;
    }

    // The name patterns in PostgreSQL's regular expression syntax (the same as StagingMarker's, without group names).
    private const string StagingSqlPattern = "^cenate_restore_[0-9]{8}_[0-9]{6}(_[0-9]+)?$";
    private const string ReplacedSqlPattern = "_replaced_[0-9]{8}_[0-9]{6}$";

    private static DateTimeOffset? StampOf(System.Text.RegularExpressions.Regex pattern, string name) =>
        BackupNaming.TryParseStamp(pattern.Match(name).Groups["stamp"].Value, out var time) ? time : null;

    private const string StagingSql =
        "SELECT n.oid, n.nspname::text, pg_catalog.obj_description(n.oid, 'pg_namespace'), " +
        "COALESCE((SELECT pg_catalog.array_agg(c.relname::text ORDER BY c.relname) FROM pg_catalog.pg_class c " +
        "  WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p') AND NOT c.relispartition), '{}'), " +
        "COALESCE((SELECT pg_catalog.sum(pg_catalog.pg_total_relation_size(c.oid)) FROM pg_catalog.pg_class c " +
        "  WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'm')), 0)::bigint, " +
        "(SELECT pg_catalog.sum(c.reltuples) FILTER (WHERE c.reltuples >= 0) FROM pg_catalog.pg_class c " +
        "  WHERE c.relnamespace = n.oid AND c.relkind = 'r')::bigint " +
        "FROM pg_catalog.pg_namespace n WHERE n.nspname ~ @pattern AND (@name::text IS NULL OR n.nspname = @name) " +
        "ORDER BY n.nspname";

    private static async Task<List<StagingItem>> ReadStagingAsync(NpgsqlConnection conn, string database, string? name,
        CancellationToken ct)
    {
        var rows = new List<(uint Oid, string Name, string? Comment, string[] Tables, long Size, long? Rows)>();
        await using (var cmd = new NpgsqlCommand(StagingSql, conn))
        {
            cmd.Parameters.AddWithValue("pattern", StagingSqlPattern);
            cmd.Parameters.AddWithValue("name", NpgsqlTypes.NpgsqlDbType.Text, (object?)name ?? DBNull.Value);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                rows.Add((r.GetFieldValue<uint>(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2),
                    r.GetFieldValue<string[]>(3), r.GetInt64(4), r.IsDBNull(5) ? null : r.GetInt64(5)));
            }
        }
        var items = new List<StagingItem>();
        foreach (var row in rows)
        {
            var marker = StagingMarker.ForStaging(row.Name, row.Comment);
            string? problem = null;
            if (marker is null)
            {
                problem = Messages.Get(row.Comment is not null && row.Comment.StartsWith(StagingMarker.Prefix,
                    StringComparison.Ordinal) ? "Staging.Reason.Mismatch" : "Staging.Reason.NoMarker");
            }
            else
            {
                var foreign = await ForeignObjectsAsync(conn, row.Oid, marker.Table, ct).ConfigureAwait(false);
                if (foreign.Count > 0)
                    problem = Messages.Format("Staging.Reason.Foreign", string.Join(", ", foreign.Take(5)));
            }
            items.Add(new StagingItem
            {
                Kind = StagingKind.Staging, Name = row.Name, Schema = row.Name, Oid = row.Oid, Database = database,
                Table = marker is null ? null : marker.Schema + "." + marker.Table, Tables = row.Tables,
                EstimatedRows = row.Rows, SizeBytes = row.Size,
                Created = marker?.Created ?? StampOf(StagingMarker.StagingName, row.Name),
                BackupFile = marker?.Backup, Ours = problem is null, Problem = problem,
            });
        }
        return items;
    }

    /// <summary>
    /// Every object that depends on the schema itself (everything created in it: tables, sequences, views, functions,
    /// types, operators …; indexes, constraints and triggers hang on their table) except the marker's table, its
    /// partitions and the sequences those own. Anything listed was put there by someone else. Also every table OUTSIDE
    /// the schema that is a partition or an inheritance child of a table in it: dropping a partitioned parent drops its
    /// partitions wherever they are (an automatic dependency RESTRICT does not stop), so a live table attached to a
    /// look-alike copy makes it not ours.
    /// </summary>
    internal const string ForeignObjectsSql =
        "SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) FROM pg_catalog.pg_depend d " +
        "WHERE d.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.refobjid = @schema " +
        "AND d.deptype = 'n' AND NOT (d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND EXISTS (" +
        "  SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = d.objid AND (" +
        "    (c.relkind IN ('r', 'p') AND (c.relname = @table OR EXISTS (SELECT 1 FROM " +
        "      pg_catalog.pg_partition_ancestors(c.oid) a JOIN pg_catalog.pg_class p ON p.oid = a.relid " +
        "      WHERE p.relnamespace = @schema AND p.relname = @table))) " +
        "    OR (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend s " +
        "      JOIN pg_catalog.pg_class t ON t.oid = s.refobjid " +
        "      WHERE s.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND s.objid = c.oid " +
        "      AND s.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND s.deptype IN ('a', 'i') " +
        "      AND t.relnamespace = @schema AND t.relkind IN ('r', 'p')))))) " +
        "UNION ALL SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, i.inhrelid, 0) " +
        "FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent " +
        "JOIN pg_catalog.pg_class ch ON ch.oid = i.inhrelid WHERE p.relnamespace = @schema AND ch.relnamespace <> @schema " +
        "ORDER BY 1";

    internal static async Task<List<string>> ForeignObjectsAsync(NpgsqlConnection conn, uint schemaOid, string table,
        CancellationToken ct)
    {
        var list = new List<string>();
        await using var cmd = new NpgsqlCommand(ForeignObjectsSql, conn);
        cmd.Parameters.AddWithValue("schema", NpgsqlTypes.NpgsqlDbType.Oid, schemaOid);
        cmd.Parameters.AddWithValue("table", NpgsqlTypes.NpgsqlDbType.Name, table);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(r.IsDBNull(0) ? "?" : r.GetString(0));
        return list;
    }

    private const string ReplacedSql =
        // Only plain tables outside any hierarchy (Replace refuses partitioned and inheritance tables), so size and
        // estimate are the table's own.
        "SELECT c.oid, n.nspname::text, c.relname::text, pg_catalog.obj_description(c.oid, 'pg_class'), " +
        "pg_catalog.pg_total_relation_size(c.oid)::bigint, " +
        "CASE WHEN c.reltuples >= 0 THEN c.reltuples END::bigint " +
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
        "WHERE c.relkind = 'r' AND c.relname ~ @pattern " +
        "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.oid OR i.inhrelid = c.oid) " +
        "AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' " +
        "AND (@name::text IS NULL OR c.relname = @name) AND (@schema::text IS NULL OR n.nspname = @schema) " +
        "ORDER BY n.nspname, c.relname";

    private static async Task<List<StagingItem>> ReadReplacedAsync(NpgsqlConnection conn, string database,
        string? name, string? schema, CancellationToken ct)
    {
        var items = new List<StagingItem>();
        await using var cmd = new NpgsqlCommand(ReplacedSql, conn);
        cmd.Parameters.AddWithValue("pattern", ReplacedSqlPattern);
        cmd.Parameters.AddWithValue("name", NpgsqlTypes.NpgsqlDbType.Text, (object?)name ?? DBNull.Value);
        cmd.Parameters.AddWithValue("schema", NpgsqlTypes.NpgsqlDbType.Text, (object?)schema ?? DBNull.Value);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var (nsp, rel) = (r.GetString(1), r.GetString(2));
            var comment = r.IsDBNull(3) ? null : r.GetString(3);
            var marker = StagingMarker.ForReplaced(nsp, rel, comment);
            string? problem = marker is not null ? null : Messages.Get(comment is not null
                && comment.StartsWith(StagingMarker.Prefix, StringComparison.Ordinal)
                ? "Staging.Reason.Mismatch" : "Staging.Reason.NoMarker");
            items.Add(new StagingItem
            {
                Kind = StagingKind.Replaced, Name = rel, Schema = nsp, Oid = r.GetFieldValue<uint>(0),
                Database = database, Table = marker is null ? null : marker.Schema + "." + marker.Table,
                Tables = new[] { rel }, SizeBytes = r.GetInt64(4), EstimatedRows = r.IsDBNull(5) ? null : r.GetInt64(5),
                Created = marker?.Created ?? StampOf(StagingMarker.ReplacedName, rel), BackupFile = marker?.Backup,
                Ours = marker is not null,
                Problem = problem,
            });
        }
        return items;
    }
}
