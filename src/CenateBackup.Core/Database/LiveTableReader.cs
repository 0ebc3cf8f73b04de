using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace CenateBackup.Core.Database;

/// <summary>
/// Reads what the live server holds of a table from its catalog — columns, owner, keys, indexes, triggers, sequences,
/// the foreign keys and views that depend on it — and quotes names as the server's quote_ident does (as pg_dump
/// writes them), so that the backup's definitions and the module's statements name things the same way.
/// </summary>
internal static class LiveTableReader
{
    /// <summary>The ordinary or partitioned table <paramref name="schema"/>.<paramref name="table"/>; null when there is none.</summary>
    public static async Task<LiveTable?> ReadAsync(NpgsqlConnection conn, string schema, string table, CancellationToken ct)
    {
        uint oid;
        string owner;
        string? hierarchy;
        bool partitioned;
        await using (var cmd = new NpgsqlCommand(
            "SELECT c.oid, pg_catalog.pg_get_userbyid(c.relowner)::text, CASE WHEN c.relkind = 'p' THEN 'a partitioned table' " +
            "WHEN c.relispartition THEN 'a partition' " +
            "WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid) THEN 'an inheritance child' " +
            "WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.oid) " +
            "THEN 'an inheritance parent' END, " +
            "c.relkind = 'p' " +
            "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE n.nspname = @s AND c.relname = @t AND c.relkind IN ('r', 'p')", conn))
        {
            cmd.Parameters.AddWithValue("s", schema);
            cmd.Parameters.AddWithValue("t", table);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
            oid = r.GetFieldValue<uint>(0);
            owner = r.GetString(1);
            hierarchy = r.IsDBNull(2) ? null : r.GetString(2);
            partitioned = r.GetBoolean(3);
        }
        var live = new LiveTable { Oid = oid, Owner = owner, Hierarchy = hierarchy, Partitioned = partitioned };
        async Task ReadAsync(string sql, Action<NpgsqlDataReader> row)
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            cmd.Parameters.Add(new NpgsqlParameter("oid", NpgsqlTypes.NpgsqlDbType.Oid) { Value = oid });
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) row(r);
        }
        live.PrimaryKey.AddRange(await DatabaseSession.PrimaryKeyAsync(conn, new QualifiedTable(schema, table).Sql, ct)
            .ConfigureAwait(false));
        live.DeferrableUnique = await DatabaseSession.HasDeferrableUniqueAsync(conn, new QualifiedTable(schema, table).Sql, ct)
            .ConfigureAwait(false);
        await ReadAsync("SELECT attname::text, attgenerated <> '', attidentity = 'a' FROM pg_catalog.pg_attribute " +
            "WHERE attrelid = @oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            r => live.Columns.Add((r.GetString(0), r.GetBoolean(1), r.GetBoolean(2))));
        await ReadAsync("SELECT con.conname::text, con.conrelid::pg_catalog.regclass::text, pg_catalog.pg_get_constraintdef(con.oid) " +
            "FROM pg_catalog.pg_constraint con WHERE con.confrelid = @oid AND con.contype = 'f' AND con.conrelid <> @oid ORDER BY 2, 1",
            r => live.ReferencingForeignKeys.Add((r.GetString(0), r.GetString(1), r.GetString(2))));
        await ReadAsync("SELECT DISTINCT v.oid::pg_catalog.regclass::text FROM pg_catalog.pg_depend d " +
            "JOIN pg_catalog.pg_rewrite rw ON rw.oid = d.objid " +
            "JOIN pg_catalog.pg_class v ON v.oid = rw.ev_class WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass " +
            "AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = @oid AND v.oid <> @oid ORDER BY 1",
            r => live.DependentViews.Add(r.GetString(0)));
        // The sequence always schema-qualified and quoted by the server, with its schema and name apart: a name may hold
        // a dot, so nothing is ever cut out of the quoted text.
        await ReadAsync("SELECT pg_catalog.quote_ident(sn.nspname) || '.' || pg_catalog.quote_ident(s.relname), a.attname::text, " +
            "sn.nspname::text, s.relname::text FROM pg_catalog.pg_depend d " +
            "JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S' " +
            "JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace " +
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid " +
            "WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass " +
            "AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = @oid AND d.deptype IN ('a', 'i') ORDER BY 2",
            r => live.OwnedSequences.Add((r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3))));
        await ReadAsync("SELECT ic.relname::text FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid " +
            "WHERE i.indrelid = @oid ORDER BY 1",
            r => live.Indexes.Add(r.GetString(0)));
        await ReadAsync("SELECT tgname::text, pg_catalog.pg_get_triggerdef(oid) FROM pg_catalog.pg_trigger " +
            "WHERE tgrelid = @oid AND NOT tgisinternal ORDER BY 1",
            r => live.Triggers.Add((r.GetString(0), r.GetString(1))));
        await ReadAsync("SELECT conname::text, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint " +
            "WHERE conrelid = @oid AND contype = 'f' ORDER BY 1",
            r => live.ForeignKeys.Add((r.GetString(0), r.GetString(1))));
        if (partitioned)
        {
            // Every leaf under the table (through sub-partitioned partitions), its ancestors' bounds in its constraint.
            await ReadAsync("SELECT p.relid::pg_catalog.regclass::text, " +
                "COALESCE(pg_catalog.pg_get_partition_constraintdef(p.relid), 'true') " +
                "FROM pg_catalog.pg_partition_tree(@oid::pg_catalog.regclass) p WHERE p.isleaf ORDER BY 1",
                r => live.PartitionConstraints.Add((r.GetString(0), r.GetString(1))));
        }
        return live;
    }

    /// <summary>
    /// quote_ident(schema) || '.' || quote_ident(name), as pg_dump writes qualified names; only the name when schema is
    /// null.
    /// </summary>
    public static async Task<string> QuoteAsync(NpgsqlConnection conn, string? schema, string name, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(schema is null ? "SELECT pg_catalog.quote_ident(@n)"
            : "SELECT pg_catalog.quote_ident(@s) || '.' || pg_catalog.quote_ident(@n)", conn);
        if (schema is not null) cmd.Parameters.AddWithValue("s", schema);
        cmd.Parameters.AddWithValue("n", name);
        return (string)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>Each name as quote_ident writes it (quoted only where needed), in order.</summary>
    public static async Task<List<string>> QuoteIdentifiersAsync(NpgsqlConnection conn, IReadOnlyList<string> names,
        CancellationToken ct)
    {
        var list = new List<string>();
        await using var cmd = new NpgsqlCommand(
            "SELECT pg_catalog.quote_ident(x) FROM pg_catalog.unnest(@n::text[]) WITH ORDINALITY u(x, o) ORDER BY o", conn);
        cmd.Parameters.AddWithValue("n", names.ToArray());
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(r.GetString(0));
        return list;
    }

    /// <summary>
    /// quote_ident of each distinct name, as a look-up (for code that builds statements without a server: it asks
    /// the table for a name the server quoted beforehand).
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string>> QuotedNamesAsync(NpgsqlConnection conn,
        IEnumerable<string> names, CancellationToken ct)
    {
        var distinct = names.Distinct(StringComparer.Ordinal).ToList();
        var quoted = await QuoteIdentifiersAsync(conn, distinct, ct).ConfigureAwait(false);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < distinct.Count; i++) map[distinct[i]] = quoted[i];
        return map;
    }

    /// <summary>The columns (not dropped) both tables have, in <paramref name="a"/>'s order.</summary>
    public static async Task<List<string>> CommonColumnsAsync(NpgsqlConnection conn, string a, string b,
        CancellationToken ct)
    {
        var list = new List<string>();
        await using var cmd = new NpgsqlCommand("SELECT x.attname::text FROM pg_catalog.pg_attribute x " +
            "JOIN pg_catalog.pg_attribute y ON y.attname = x.attname " +
            "AND y.attrelid = @b::pg_catalog.regclass AND y.attnum > 0 AND NOT y.attisdropped " +
            "WHERE x.attrelid = @a::pg_catalog.regclass AND x.attnum > 0 AND NOT x.attisdropped ORDER BY x.attnum", conn);
        cmd.Parameters.AddWithValue("a", a);
        cmd.Parameters.AddWithValue("b", b);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(r.GetString(0));
        return list;
    }

    /// <summary><paramref name="baseName"/>, or baseName_2, _3 … when a schema of that name exists.</summary>
    public static async Task<string> UnusedSchemaNameAsync(NpgsqlConnection conn, string baseName, CancellationToken ct)
    {
        var name = baseName;
        for (var n = 2; await conn.ScalarLongAsync(
            $"SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = {SqlText.Literal(name)}", ct).ConfigureAwait(false) > 0; n++)
        {
            name = baseName + "_" + n.ToString(CultureInfo.InvariantCulture);
        }
        return name;
    }

    /// <summary>
    /// The sessions holding a granted lock on <paramref name="regclass"/> (pid, role, mode, state, since, query), for a
    /// message; null when none or when they cannot be read within 5 seconds (best effort).
    /// </summary>
    public static async Task<string?> LockHoldersAsync(NpgsqlConnection conn, string regclass)
    {
        try
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT pg_catalog.string_agg(DISTINCT pg_catalog.format('pid %s (role %s, %s, %s since %s: %s)', a.pid, a.usename, " +
                "l.mode, a.state, pg_catalog.to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SS'), pg_catalog.left(a.query, 80)), '; ') " +
                "FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid " +
                "WHERE l.relation = pg_catalog.to_regclass(@t) AND l.granted AND l.pid <> pg_catalog.pg_backend_pid()", conn);
            cmd.Parameters.AddWithValue("t", regclass);
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            return await cmd.ExecuteScalarAsync(quick.Token).ConfigureAwait(false) as string;
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            return null; // Only for the message.
        }
    }
}
