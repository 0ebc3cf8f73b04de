using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using Npgsql;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Restores;

/// <summary>
/// The views that depend on a table (directly, or through other views), which Replace must drop before the swap and
/// recreate on the restored table in the same transaction — New-CenateReadOnlyRole's v_&lt;table&gt;_readonly among them.
/// Each is read from the catalog under the table's lock: its definition (pg_get_viewdef, names schema-qualified
/// because the session's search_path is empty), options, owner, grants and comments; they are recreated in
/// dependency order. What cannot be recreated faithfully — a materialized view, a view with triggers or rules of its
/// own, or an object other than a view that depends on one — makes Replace refuse (DependentObjects), naming it and
/// what to run instead.
/// </summary>
internal sealed class DependentViews
{
    private DependentViews(List<View> views) => Views = views;

    /// <summary>One dependent view.</summary>
    internal sealed record View(uint Oid, string Name, char Kind, string Owner, string Definition, string[] Options, bool HasOwnRulesOrTriggers)
    {
        /// <summary>Grant statements (table and column) to replay, built by the server with quoted names.</summary>
        public List<string> Grants { get; } = new();
        /// <summary>Column defaults and COMMENT statements to replay.</summary>
        public List<string> Comments { get; } = new();
    }

    /// <summary>The views, in the order they can be created (a view before the views built on it).</summary>
    public List<View> Views { get; }

    /// <summary>Reads every view that depends on <paramref name="tableOid"/>, directly or through views.</summary>
    public static async Task<DependentViews> ReadAsync(NpgsqlConnection conn, uint tableOid, CancellationToken ct)
    {
        // Depth: the longest chain from the table; creating by increasing depth creates every view after those it reads.
        const string Sql = @"WITH RECURSIVE deps(oid, depth) AS (
    SELECT DISTINCT rw.ev_class, 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite rw ON rw.oid = d.objid
    WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
      AND d.refobjid = @oid AND rw.ev_class <> @oid
  UNION ALL
    SELECT rw.ev_class, deps.depth + 1 FROM deps JOIN pg_catalog.pg_depend d ON d.refobjid = deps.oid
      AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
    JOIN pg_catalog.pg_rewrite rw ON rw.oid = d.objid WHERE rw.ev_class <> deps.oid AND deps.depth < 100)
SELECT c.oid, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), c.relkind::text,
       pg_catalog.pg_get_userbyid(c.relowner)::text, pg_catalog.pg_get_viewdef(c.oid, false), COALESCE(c.reloptions, '{}'::text[]),
       EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename <> '_RETURN')
         OR EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid),
       max(deps.depth)
FROM deps JOIN pg_catalog.pg_class c ON c.oid = deps.oid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
GROUP BY c.oid, n.nspname, c.relname, c.relkind, c.relowner, c.reloptions
ORDER BY max(deps.depth), 2";
        var views = new List<View>();
        await using (var cmd = new NpgsqlCommand(Sql, conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter("oid", NpgsqlTypes.NpgsqlDbType.Oid) { Value = tableOid });
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                views.Add(new View(r.GetFieldValue<uint>(0), r.GetString(1), r.GetString(2)[0], r.GetString(3), r.IsDBNull(4) ? "" : r.GetString(4),
                    r.GetFieldValue<string[]>(5), r.GetBoolean(6)));
            }
        }
        foreach (var v in views.Where(v => v.Kind == 'v'))
        {
            await CollectAsync(conn, v.Oid, v.Grants,
                "SELECT pg_catalog.format('GRANT %s ON TABLE %s TO %s%s', a.privilege_type, @name, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END, " +
                "CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a " +
                "LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee WHERE c.oid = @oid AND a.grantee <> c.relowner ORDER BY 1", v.Name, ct).ConfigureAwait(false);
            await CollectAsync(conn, v.Oid, v.Grants,
                "SELECT pg_catalog.format('GRANT %s (%I) ON TABLE %s TO %s%s', a.privilege_type, att.attname, @name, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END, " +
                "CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) FROM pg_catalog.pg_attribute att, pg_catalog.aclexplode(att.attacl) a " +
                "LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee WHERE att.attrelid = @oid AND att.attnum > 0 AND att.attacl IS NOT NULL ORDER BY 1", v.Name, ct).ConfigureAwait(false);
            // Column defaults of a view (ALTER VIEW … SET DEFAULT, for INSERTs through it) are part of it too.
            await CollectAsync(conn, v.Oid, v.Comments,
                "SELECT pg_catalog.format('ALTER VIEW %s ALTER COLUMN %I SET DEFAULT %s', @name, att.attname, pg_catalog.pg_get_expr(d.adbin, d.adrelid)) " +
                "FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_attribute att ON att.attrelid = d.adrelid AND att.attnum = d.adnum WHERE d.adrelid = @oid ORDER BY att.attnum", v.Name, ct).ConfigureAwait(false);
            await CollectAsync(conn, v.Oid, v.Comments,
                "SELECT pg_catalog.format('COMMENT ON VIEW %s IS %L', @name, d) FROM pg_catalog.obj_description(@oid, 'pg_class') d WHERE d IS NOT NULL", v.Name, ct).ConfigureAwait(false);
            await CollectAsync(conn, v.Oid, v.Comments,
                "SELECT pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', @name, att.attname, pg_catalog.col_description(@oid, att.attnum)) FROM pg_catalog.pg_attribute att " +
                "WHERE att.attrelid = @oid AND att.attnum > 0 AND pg_catalog.col_description(@oid, att.attnum) IS NOT NULL ORDER BY att.attnum", v.Name, ct).ConfigureAwait(false);
        }
        return new DependentViews(views);
    }

    private static async Task CollectAsync(NpgsqlConnection conn, uint oid, List<string> into, string sql, string name, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.Add(new NpgsqlParameter("oid", NpgsqlTypes.NpgsqlDbType.Oid) { Value = oid });
        cmd.Parameters.AddWithValue("name", name);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) into.Add(r.GetString(0));
    }

    /// <summary>
    /// Refuses (DependentObjects) when a view cannot be recreated as it is: a materialized view, or one with rules or
    /// triggers of its own. The message names it and what to run.
    /// </summary>
    public void EnsureRecreatable(string table)
    {
        var bad = Views.FirstOrDefault(v => v.Kind != 'v' || v.HasOwnRulesOrTriggers);
        if (bad is null) return;
        var what = bad.Kind == 'm' ? "a materialized view" : bad.Kind != 'v' ? "not a plain view" : "a view with rules or triggers of its own";
        var drop = bad.Kind == 'm' ? "DROP MATERIALIZED VIEW" : "DROP VIEW";
        throw new CenateException(ErrorIds.DependentObjects, CenateErrorKind.InvalidOperation,
            Messages.Format("DependentObjects", table, bad.Name, what),
            Messages.Format("DependentObjects.Action", SqlText.Literal(bad.Name), drop, bad.Name), table);
    }

    /// <summary>The statements that drop the views, the views built on others first.</summary>
    public IEnumerable<string> DropStatements() => Enumerable.Reverse(Views).Select(v => $"DROP VIEW {v.Name}");

    /// <summary>The statements that create the views again, as they were: definition, options, owner, grants, comments.</summary>
    public IEnumerable<string> CreateStatements()
    {
        foreach (var v in Views)
        {
            var options = v.Options.Length == 0 ? "" : " WITH (" + string.Join(", ", v.Options.Select(Option)) + ")";
            yield return $"CREATE VIEW {v.Name}{options} AS {v.Definition.Trim().TrimEnd(';')}";
            yield return $"ALTER VIEW {v.Name} OWNER TO {QualifiedTable.Quote(v.Owner)}";
            // A new view gets no grants but its owner's; replay the old ones.
            foreach (var g in v.Grants) yield return g;
            foreach (var c in v.Comments) yield return c;
        }
    }

    /// <summary>"check_option=local" → check_option='local' (values quoted as literals; names are PostgreSQL's own).</summary>
    private static string Option(string option)
    {
        var eq = option.IndexOf('=', StringComparison.Ordinal);
        var name = eq < 0 ? option : option[..eq];
        var value = eq < 0 ? "true" : option[(eq + 1)..];
        return QualifiedTable.Quote(name) + " = " + SqlText.Literal(value);
    }
}
