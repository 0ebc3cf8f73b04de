using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using Npgsql;

namespace CenateBackup.Core.Restores;

/// <summary>
/// What surrounds a table's rows and is decided by the people running the database, not by the backup: its triggers
/// (audit triggers installed after the backup), row-level security and policies, comments and grants. Replace reads
/// them from the live table under its lock and carries them over to the restored table, so restoring rows never
/// silently removes an audit trigger or opens a table that row-level security closed.
/// </summary>
internal sealed class TableSurroundings
{
    /// <summary>Trigger name → (CREATE TRIGGER … ON &lt;the table's live name&gt;, pg_trigger.tgenabled). Internal (foreign key) triggers are not here.</summary>
    public Dictionary<string, (string Definition, string Enabled)> Triggers { get; } = new(StringComparer.Ordinal);
    /// <summary>ALTER TABLE … ENABLE ROW LEVEL SECURITY.</summary>
    public bool RowSecurity { get; private set; }
    /// <summary>ALTER TABLE … FORCE ROW LEVEL SECURITY.</summary>
    public bool ForceRowSecurity { get; private set; }
    /// <summary>Policy name → CREATE POLICY … ON &lt;the table's live name&gt;.</summary>
    public Dictionary<string, string> Policies { get; } = new(StringComparer.Ordinal);
    /// <summary>COMMENT ON TABLE (null: none).</summary>
    public string? Comment { get; private set; }
    /// <summary>Every column → its comment (null: none).</summary>
    public Dictionary<string, string?> Columns { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Reads the surroundings of <paramref name="table"/> (a qualified, quoted name), with every definition written as if
    /// the table were named <paramref name="shownAs"/>, so that the live table's and the restored copy's compare as text
    /// and run unchanged once the copy carries that name.
    /// </summary>
    public static async Task<TableSurroundings> ReadAsync(NpgsqlConnection conn, string table, string shownAs, CancellationToken ct)
    {
        var s = new TableSurroundings();
        // The name as pg_get_triggerdef prints it (quote_ident: quoted only where needed), which the caller's may not be.
        string printed;
        await using (var name = new NpgsqlCommand("SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) FROM pg_catalog.pg_class c " +
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = @t::pg_catalog.regclass", conn))
        {
            name.Parameters.AddWithValue("t", table);
            printed = (string)(await name.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }
        var rename = new Dictionary<string, string>(StringComparer.Ordinal) { [printed] = shownAs };
        async Task ReadAsync(string sql, Action<NpgsqlDataReader> row)
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            cmd.Parameters.AddWithValue("t", table);
            cmd.Parameters.AddWithValue("shown", shownAs);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) row(r);
        }
        // pg_get_triggerdef always qualifies the table (not pretty), as the rename map expects.
        await ReadAsync("SELECT t.tgname::text, pg_catalog.pg_get_triggerdef(t.oid), t.tgenabled::text FROM pg_catalog.pg_trigger t " +
            "WHERE t.tgrelid = @t::pg_catalog.regclass AND NOT t.tgisinternal ORDER BY 1",
            r => s.Triggers[r.GetString(0)] = (RestorePlanBuilder.Rename(r.GetString(1), rename), r.GetString(2)));
        await ReadAsync("SELECT c.relrowsecurity, c.relforcerowsecurity, pg_catalog.obj_description(c.oid, 'pg_class') FROM pg_catalog.pg_class c WHERE c.oid = @t::pg_catalog.regclass",
            r => { s.RowSecurity = r.GetBoolean(0); s.ForceRowSecurity = r.GetBoolean(1); s.Comment = r.IsDBNull(2) ? null : r.GetString(2); });
        await ReadAsync("SELECT p.polname::text, pg_catalog.format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', p.polname, @shown, " +
            "CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END, " +
            "CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END, " +
            "(SELECT pg_catalog.string_agg(CASE WHEN o = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(o)) END, ', ' ORDER BY 1) FROM pg_catalog.unnest(p.polroles) o), " +
            "' USING (' || pg_catalog.pg_get_expr(p.polqual, p.polrelid) || ')', ' WITH CHECK (' || pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) || ')') " +
            "FROM pg_catalog.pg_policy p WHERE p.polrelid = @t::pg_catalog.regclass ORDER BY 1",
            r => s.Policies[r.GetString(0)] = r.GetString(1));
        await ReadAsync("SELECT a.attname::text, pg_catalog.col_description(a.attrelid, a.attnum) FROM pg_catalog.pg_attribute a " +
            "WHERE a.attrelid = @t::pg_catalog.regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            r => s.Columns[r.GetString(0)] = r.IsDBNull(1) ? null : r.GetString(1));
        return s;
    }

    /// <summary>
    /// Makes the restored table (now named <paramref name="qt"/>) carry the live table's triggers, row-level security,
    /// policies and comments: the live ones win. With <paramref name="fromDump"/>, every difference from the backup's
    /// definition is said in <paramref name="warnings"/> (a CSV/SQL export has no definition to differ from).
    /// A trigger or policy the restored table cannot take (it names a column the backup lacks) is left out with a warning
    /// rather than failing the restore: the rows matter more, and the warning names the statement to run by hand.
    /// </summary>
    public static async Task CarryOverAsync(string qt, TableSurroundings live, TableSurroundings restored, bool fromDump,
        List<string> warnings, Func<string, CancellationToken, Task> exec, CancellationToken ct)
    {
        var table = qt;
        static string OneLine(string s) => s.Replace("\n", " ", StringComparison.Ordinal).Trim();

        async Task<bool> TryAsync(string sql, string what)
        {
            await exec("SAVEPOINT cenate_carry", ct).ConfigureAwait(false);
            try
            {
                await exec(sql, ct).ConfigureAwait(false);
                await exec("RELEASE SAVEPOINT cenate_carry", ct).ConfigureAwait(false);
                return true;
            }
            catch (PostgresException ex) when (ex.SqlState.StartsWith("42", StringComparison.Ordinal))
            {
                await exec("ROLLBACK TO SAVEPOINT cenate_carry", ct).ConfigureAwait(false);
                warnings.Add($"{what} of the live table could NOT be carried over to the restored {table} ({ex.MessageText}); run it by hand once the table fits: {OneLine(sql)}");
                return false;
            }
        }

        // Triggers: the live ones win; those only in the backup are not recreated (dropped since, or replaced by the live ones).
        foreach (var (name, (definition, _)) in restored.Triggers.Where(t => !live.Triggers.TryGetValue(t.Key, out var l) || l != t.Value))
        {
            await exec($"DROP TRIGGER {QualifiedTable.Quote(name)} ON {qt}", ct).ConfigureAwait(false);
            if (fromDump && !live.Triggers.ContainsKey(name))
                warnings.Add($"Trigger {name} of the backup is not on the live table (dropped since the backup): it was not recreated. The backup's definition: {OneLine(definition)}");
        }
        foreach (var (name, (definition, enabled)) in live.Triggers)
        {
            var had = restored.Triggers.TryGetValue(name, out var backup);
            if (had && backup == (definition, enabled)) continue;
            if (!await TryAsync(definition, $"Trigger {name}").ConfigureAwait(false)) continue;
            var state = enabled switch { "D" => "DISABLE TRIGGER", "R" => "ENABLE REPLICA TRIGGER", "A" => "ENABLE ALWAYS TRIGGER", _ => null };
            if (state is not null) await exec($"ALTER TABLE {qt} {state} {QualifiedTable.Quote(name)}", ct).ConfigureAwait(false);
            if (!fromDump) continue;
            warnings.Add(!had
                ? $"Trigger {name} was added to the live table since the backup: it is kept on the restored table."
                : backup.Definition != definition
                    ? $"Trigger {name} differs from the backup's: the live definition was kept ({OneLine(definition)}; the backup had: {OneLine(backup.Definition)})."
                    : $"Trigger {name} is {Enabled(enabled)} on the live table, {Enabled(backup.Enabled)} in the backup: kept {Enabled(enabled)}.");
        }

        // Row-level security: never weaker (or stronger) than the live table's.
        if (live.RowSecurity != restored.RowSecurity)
        {
            await exec($"ALTER TABLE {qt} {(live.RowSecurity ? "ENABLE" : "DISABLE")} ROW LEVEL SECURITY", ct).ConfigureAwait(false);
            if (fromDump) warnings.Add($"Row-level security is {(live.RowSecurity ? "enabled" : "disabled")} on the live table, {(restored.RowSecurity ? "enabled" : "disabled")} in the backup: kept {(live.RowSecurity ? "enabled" : "disabled")}.");
        }
        if (live.ForceRowSecurity != restored.ForceRowSecurity)
        {
            await exec($"ALTER TABLE {qt} {(live.ForceRowSecurity ? "FORCE" : "NO FORCE")} ROW LEVEL SECURITY", ct).ConfigureAwait(false);
            if (fromDump) warnings.Add($"Row-level security is {(live.ForceRowSecurity ? "" : "not ")}forced on the live table, {(restored.ForceRowSecurity ? "" : "not ")}in the backup: kept as on the live table.");
        }

        // Policies: as triggers.
        foreach (var (name, definition) in restored.Policies.Where(p => !live.Policies.TryGetValue(p.Key, out var l) || l != p.Value))
        {
            await exec($"DROP POLICY {QualifiedTable.Quote(name)} ON {qt}", ct).ConfigureAwait(false);
            if (fromDump && !live.Policies.ContainsKey(name))
                warnings.Add($"Policy {name} of the backup is not on the live table (dropped since the backup): it was not recreated. The backup's definition: {OneLine(definition)}");
        }
        foreach (var (name, definition) in live.Policies)
        {
            var had = restored.Policies.TryGetValue(name, out var backup);
            if (had && backup == definition) continue;
            if (!await TryAsync(definition, $"Policy {name}").ConfigureAwait(false)) continue;
            if (fromDump)
                warnings.Add(had ? $"Policy {name} differs from the backup's: the live definition was kept ({definition}; the backup had: {backup})."
                    : $"Policy {name} was added to the live table since the backup: it is kept on the restored table.");
        }

        // Comments: the live ones, on the columns the restored table has.
        if (live.Comment != restored.Comment)
        {
            await exec($"COMMENT ON TABLE {qt} IS {SqlText.Literal(live.Comment)}", ct).ConfigureAwait(false);
            if (fromDump) warnings.Add($"The table's comment differs from the backup's: the live one was kept.");
        }
        var changed = new List<string>();
        foreach (var (column, comment) in live.Columns)
        {
            if (!restored.Columns.TryGetValue(column, out var backup) || backup == comment) continue;
            await exec($"COMMENT ON COLUMN {qt}.{QualifiedTable.Quote(column)} IS {SqlText.Literal(comment)}", ct).ConfigureAwait(false);
            changed.Add(column);
        }
        if (fromDump && changed.Count > 0) warnings.Add($"Comments of columns {string.Join(", ", changed)} differ from the backup's: the live ones were kept.");

        if (fromDump)
        {
            var added = live.Columns.Keys.Where(c => !restored.Columns.ContainsKey(c)).ToList();
            if (added.Count > 0)
                warnings.Add($"Columns added to the live table since the backup are not on the restored table: {string.Join(", ", added)} (their values stay in the replaced table).");
            var gone = restored.Columns.Keys.Where(c => !live.Columns.ContainsKey(c)).ToList();
            if (gone.Count > 0)
                warnings.Add($"Columns of the backup that the live table no longer has are back on the restored table: {string.Join(", ", gone)}.");
        }
    }

    /// <summary>
    /// The grants of <paramref name="from"/> (the replaced table), table and column, on <paramref name="to"/> (the restored
    /// one), and no others: grants that default privileges gave the new table are revoked first.
    /// </summary>
    public static async Task CopyGrantsAsync(NpgsqlConnection conn, string from, string to, Func<string, CancellationToken, Task> exec, CancellationToken ct)
    {
        const string Grantee = "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END";
        var statements = new List<string>();
        async Task CollectAsync(string sql)
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            cmd.Parameters.AddWithValue("from", from);
            cmd.Parameters.AddWithValue("to", to);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) statements.Add(r.GetString(0));
        }
        await CollectAsync($"SELECT DISTINCT pg_catalog.format('REVOKE ALL ON TABLE %s FROM %s', @to, {Grantee}) FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a " +
            "LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee WHERE c.oid = @to::pg_catalog.regclass AND a.grantee <> c.relowner");
        await CollectAsync($"SELECT pg_catalog.format('GRANT %s ON TABLE %s TO %s%s', a.privilege_type, @to, {Grantee}, CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) " +
            "FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee " +
            "WHERE c.oid = @from::pg_catalog.regclass AND a.grantee <> c.relowner");
        await CollectAsync($"SELECT pg_catalog.format('GRANT %s (%I) ON TABLE %s TO %s%s', a.privilege_type, att.attname, @to, {Grantee}, CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) " +
            "FROM pg_catalog.pg_attribute att, pg_catalog.aclexplode(att.attacl) a LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee " +
            "WHERE att.attrelid = @from::pg_catalog.regclass AND att.attnum > 0 AND NOT att.attisdropped AND att.attacl IS NOT NULL " +
            "AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute n WHERE n.attrelid = @to::pg_catalog.regclass AND n.attname = att.attname AND n.attnum > 0 AND NOT n.attisdropped)");
        foreach (var sql in statements) await exec(sql, ct).ConfigureAwait(false);
    }

    private static string Enabled(string state) => state switch { "D" => "disabled", "R" => "enabled for replicas only", "A" => "always enabled", _ => "enabled" };

}
