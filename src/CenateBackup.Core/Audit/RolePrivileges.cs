using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace CenateBackup.Core.Audit;

/// <summary>How a role still reaches a privilege on a table.</summary>
public enum PrivilegePathKind
{
    /// <summary>Granted to PUBLIC: every role has it.</summary>
    Public,
    /// <summary>Granted to a role the named role is a member of (directly or through other roles).</summary>
    GroupRole,
    /// <summary>Granted to the role itself (by a grantor whose grant this session could not revoke).</summary>
    Direct,
    /// <summary>Membership in a predefined role (pg_write_all_data) that holds it without any grant on the table.</summary>
    PredefinedRole,
}

/// <summary>One way a role keeps a privilege: <paramref name="Via"/> is PUBLIC, the group role, the role itself or the predefined role.</summary>
public sealed record PrivilegePath(string Role, string Privilege, PrivilegePathKind Kind, string Via)
{
    /// <summary>The path in words, for messages.</summary>
    public string Describe() => Kind switch
    {
        PrivilegePathKind.Public => "PUBLIC",
        PrivilegePathKind.GroupRole => $"group role {Via}",
        PrivilegePathKind.Direct => $"its own grant (made by {Via})",
        _ => $"membership in {Via}",
    };
}

/// <summary>
/// What a role can do, looked up in the catalog. "Reach" is the role and every role it is a member of, directly or
/// through other roles: it can use their privileges (INHERIT) or become them (SET ROLE), so for a safety check a
/// membership counts whatever its options are. Roles are matched by exact name, always as bound parameters.
/// </summary>
internal static class RolePrivileges
{
    /// <summary>A CTE "reach(oid)": the role named by parameter @role and every role it is a member of.</summary>
    internal const string ReachCte =
        "WITH RECURSIVE reach(oid) AS (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = @role " +
        "UNION SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN reach ON m.member = reach.oid) ";

    /// <summary>
    /// Why revoking from <paramref name="role"/> cannot protect the table: it owns it (or is a member of the owner
    /// role), it owns the table's schema (a schema owner can DROP the table; pg_database_owner's schema counts for the
    /// database owner), or it is or can become a superuser. Null when none.
    /// </summary>
    public static async Task<(bool Owner, string Reason)?> BypassAsync(NpgsqlConnection conn, string role, string table, string display, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(ReachCte +
            "SELECT r.rolname::text, CASE WHEN r.rolsuper THEN 0 WHEN r.oid = c.relowner THEN 1 WHEN r.oid = n.nspowner OR (n.nspowner = " +
            "(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'pg_database_owner') AND r.oid = (SELECT datdba FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())) " +
            "THEN 2 END AS why, n.nspname::text " +
            "FROM reach JOIN pg_catalog.pg_roles r ON r.oid = reach.oid CROSS JOIN pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE c.oid = @t::pg_catalog.regclass AND (r.oid = c.relowner OR r.oid = n.nspowner OR r.rolsuper OR (n.nspowner = " +
            "(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'pg_database_owner') AND r.oid = (SELECT datdba FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()))) " +
            "ORDER BY 2, r.rolname = @role DESC", conn);
        cmd.Parameters.AddWithValue("role", role);
        cmd.Parameters.AddWithValue("t", table);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
        var name = r.GetString(0);
        var self = string.Equals(name, role, StringComparison.Ordinal);
        var who = self ? $"'{role}'" : $"'{role}' is a member of '{name}', which";
        return r.GetInt32(1) switch
        {
            1 => (true, self ? $"'{role}' owns {display}" : $"'{role}' is a member of '{name}', the owner of {display}"),
            2 => (true, $"{who} owns schema {r.GetString(2)} (directly, or as the owner of the database when pg_database_owner owns the schema), which holds {display}: a schema owner can DROP the table"),
            _ => (false, self ? $"'{role}' is a superuser" : $"'{role}' is a member of the superuser role '{name}'"),
        };
    }

    /// <summary>
    /// The DELETE and TRUNCATE privileges <paramref name="role"/> still has on the table, counting every role in its
    /// reach (has_table_privilege), each with the paths it comes through. Empty when it has neither.
    /// </summary>
    public static async Task<List<PrivilegePath>> DeleteTruncatePathsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string role, string table, CancellationToken ct)
    {
        var list = new List<PrivilegePath>();
        var held = new List<string>();
        await using (var cmd = new NpgsqlCommand(ReachCte +
            "SELECT p.priv FROM pg_catalog.unnest(ARRAY['DELETE', 'TRUNCATE']) p(priv) " +
            "WHERE EXISTS (SELECT 1 FROM reach WHERE pg_catalog.has_table_privilege(reach.oid, @t::pg_catalog.regclass, p.priv)) ORDER BY 1", conn, tx))
        {
            cmd.Parameters.AddWithValue("role", role);
            cmd.Parameters.AddWithValue("t", table);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) held.Add(r.GetString(0));
        }
        if (held.Count == 0) return list;
        await using (var cmd = new NpgsqlCommand(ReachCte +
            "SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'P' WHEN g.rolname = @role THEN 'D' ELSE 'G' END, " +
            "CASE WHEN a.grantee = 0 THEN 'PUBLIC' WHEN g.rolname = @role THEN pg_catalog.pg_get_userbyid(a.grantor)::text ELSE g.rolname::text END " +
            "FROM pg_catalog.pg_class c CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(c.relacl, pg_catalog.acldefault('r', c.relowner))) a " +
            "LEFT JOIN pg_catalog.pg_roles g ON g.oid = a.grantee " +
            "WHERE c.oid = @t::pg_catalog.regclass AND a.privilege_type IN ('DELETE', 'TRUNCATE') AND (a.grantee = 0 OR a.grantee IN (SELECT oid FROM reach)) " +
            "UNION ALL SELECT 'DELETE', 'W', r.rolname::text FROM reach JOIN pg_catalog.pg_roles r ON r.oid = reach.oid WHERE r.rolname = 'pg_write_all_data' " +
            "ORDER BY 1, 2 DESC, 3", conn, tx))
        {
            cmd.Parameters.AddWithValue("role", role);
            cmd.Parameters.AddWithValue("t", table);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var kind = r.GetString(1) switch { "P" => PrivilegePathKind.Public, "D" => PrivilegePathKind.Direct, "G" => PrivilegePathKind.GroupRole, _ => PrivilegePathKind.PredefinedRole };
                if (held.Contains(r.GetString(0))) list.Add(new PrivilegePath(role, r.GetString(0), kind, r.GetString(2)));
            }
        }
        // has_table_privilege said yes but no grant explains it: name it anyway rather than report success.
        foreach (var priv in held)
        {
            if (!list.Exists(p => p.Privilege == priv)) list.Add(new PrivilegePath(role, priv, PrivilegePathKind.PredefinedRole, "a role this check does not know (see \\dp and \\du)"));
        }
        return list;
    }

    /// <summary>
    /// Everything that lets <paramref name="role"/> (or a role in its reach) change data or the schema in this database
    /// or the cluster, in words, each naming the membership it comes through. Grants to PUBLIC are not counted: every
    /// role, a new one too, has them. Empty for a role that can only read.
    /// </summary>
    public static async Task<List<string>> WriteCapabilitiesAsync(NpgsqlConnection conn, string role, CancellationToken ct)
    {
        const string via = "CASE WHEN rr.self THEN '' ELSE ' (through membership in ' || pg_catalog.quote_ident(rr.name) || ')' END";
        var sql = "WITH RECURSIVE reach(oid) AS (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = @role " +
            "UNION SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN reach ON m.member = reach.oid), " +
            "rr AS (SELECT r.oid, r.rolname::text AS name, r.rolname = @role AS self, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls " +
            "FROM reach JOIN pg_catalog.pg_roles r ON r.oid = reach.oid) " +
            // Attributes: not inherited, but a member can SET ROLE to the role that has them.
            $"SELECT 1, 'is a superuser' || {via} FROM rr WHERE rr.rolsuper " +
            $"UNION ALL SELECT 2, 'may create roles (CREATEROLE)' || {via} FROM rr WHERE rr.rolcreaterole " +
            $"UNION ALL SELECT 3, 'may create databases (CREATEDB)' || {via} FROM rr WHERE rr.rolcreatedb " +
            $"UNION ALL SELECT 4, 'may start replication (REPLICATION)' || {via} FROM rr WHERE rr.rolreplication " +
            $"UNION ALL SELECT 5, 'bypasses row-level security (BYPASSRLS)' || {via} FROM rr WHERE rr.rolbypassrls " +
            "UNION ALL SELECT 6, 'is a member of ' || rr.name FROM rr WHERE NOT rr.self AND rr.name IN " +
            "('pg_write_all_data', 'pg_write_server_files', 'pg_execute_server_program', 'pg_maintain', 'pg_create_subscription') " +
            // Ownership anywhere in the cluster: an owner can do anything to what it owns.
            $"UNION ALL SELECT 7, 'owns ' || pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) || {via} " +
            "FROM pg_catalog.pg_shdepend d JOIN rr ON rr.oid = d.refobjid " +
            "WHERE d.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass AND d.deptype = 'o' " +
            "AND (d.dbid = 0 OR d.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())) " +
            $"UNION ALL SELECT 8, 'owns ' || pg_catalog.count(*) || ' object(s) in database ' || pg_catalog.quote_ident(db.datname) || {via} " +
            "FROM pg_catalog.pg_shdepend d JOIN rr ON rr.oid = d.refobjid JOIN pg_catalog.pg_database db ON db.oid = d.dbid " +
            "WHERE d.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass AND d.deptype = 'o' AND db.datname <> pg_catalog.current_database() " +
            "GROUP BY db.datname, rr.self, rr.name " +
            // Grants in other databases: their catalogs cannot be read from here, but pg_shdepend records that they exist.
            $"UNION ALL SELECT 8, 'has privileges on ' || pg_catalog.count(*) || ' object(s) in database ' || pg_catalog.quote_ident(db.datname) || " +
            $"' (not readable from this database; check them there with \\dp, or use -Force if they only read)' || {via} " +
            "FROM pg_catalog.pg_shdepend d JOIN rr ON rr.oid = d.refobjid JOIN pg_catalog.pg_database db ON db.oid = d.dbid " +
            "WHERE d.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass AND d.deptype = 'a' AND db.datname <> pg_catalog.current_database() " +
            "GROUP BY db.datname, rr.self, rr.name " +
            // Write privileges on tables, views, sequences (UPDATE = setval) and their columns.
            $"UNION ALL SELECT 9, pg_catalog.string_agg(DISTINCT a.privilege_type, ', ') || ' on ' || c.oid::pg_catalog.regclass::text || {via} " +
            "FROM pg_catalog.pg_class c CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a JOIN rr ON rr.oid = a.grantee " +
            "WHERE c.relacl IS NOT NULL AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN') " +
            "GROUP BY c.oid, rr.self, rr.name " +
            $"UNION ALL SELECT 10, pg_catalog.string_agg(DISTINCT a.privilege_type, ', ') || ' on columns of ' || c.oid::pg_catalog.regclass::text || {via} " +
            "FROM pg_catalog.pg_attribute att JOIN pg_catalog.pg_class c ON c.oid = att.attrelid CROSS JOIN LATERAL pg_catalog.aclexplode(att.attacl) a JOIN rr ON rr.oid = a.grantee " +
            "WHERE att.attacl IS NOT NULL AND a.privilege_type IN ('INSERT', 'UPDATE', 'REFERENCES') GROUP BY c.oid, rr.self, rr.name " +
            // Future tables: default privileges that will grant it writes.
            $"UNION ALL SELECT 11, pg_catalog.string_agg(DISTINCT a.privilege_type, ', ') || ' on the future tables of ' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(da.defaclrole)) " +
            $"|| COALESCE(' in schema ' || pg_catalog.quote_ident(n.nspname), '') || ' (default privileges)' || {via} " +
            "FROM pg_catalog.pg_default_acl da CROSS JOIN LATERAL pg_catalog.aclexplode(da.defaclacl) a JOIN rr ON rr.oid = a.grantee LEFT JOIN pg_catalog.pg_namespace n ON n.oid = da.defaclnamespace " +
            "WHERE da.defaclobjtype = 'r' AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN') GROUP BY da.oid, n.nspname, da.defaclrole, rr.self, rr.name " +
            // CREATE on schemas and databases: it could create objects (and own them).
            $"UNION ALL SELECT 12, 'CREATE on schema ' || pg_catalog.quote_ident(n.nspname) || {via} " +
            "FROM pg_catalog.pg_namespace n CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a JOIN rr ON rr.oid = a.grantee WHERE n.nspacl IS NOT NULL AND a.privilege_type = 'CREATE' " +
            $"UNION ALL SELECT 13, 'CREATE on database ' || pg_catalog.quote_ident(db.datname) || {via} " +
            "FROM pg_catalog.pg_database db CROSS JOIN LATERAL pg_catalog.aclexplode(db.datacl) a JOIN rr ON rr.oid = a.grantee WHERE db.datacl IS NOT NULL AND a.privilege_type = 'CREATE' " +
            $"UNION ALL SELECT 14, 'UPDATE on large object ' || l.oid || {via} " +
            "FROM pg_catalog.pg_largeobject_metadata l CROSS JOIN LATERAL pg_catalog.aclexplode(l.lomacl) a JOIN rr ON rr.oid = a.grantee WHERE l.lomacl IS NOT NULL AND a.privilege_type = 'UPDATE' " +
            // A SECURITY DEFINER function runs as its owner: an explicit EXECUTE grant is a way to write as someone else.
            $"UNION ALL SELECT 15, 'EXECUTE on SECURITY DEFINER function ' || p.oid::pg_catalog.regprocedure::text || ' (runs as ' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(p.proowner)) || ')' || {via} " +
            "FROM pg_catalog.pg_proc p CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a JOIN rr ON rr.oid = a.grantee " +
            "WHERE p.prosecdef AND p.proacl IS NOT NULL AND a.privilege_type = 'EXECUTE' AND p.proowner NOT IN (SELECT oid FROM rr) " +
            "ORDER BY 1, 2";
        var list = new List<string>();
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue("role", role);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(r.GetString(1));
        return list;
    }

    /// <summary>
    /// Whether the role has a password: read from pg_authid when this session may (superusers), else null — pg_roles
    /// shows '********' for every role, so without pg_authid nobody can tell.
    /// </summary>
    public static async Task<bool?> HasPasswordAsync(NpgsqlConnection conn, string role, CancellationToken ct)
    {
        await using (var check = new NpgsqlCommand("SELECT pg_catalog.has_table_privilege('pg_catalog.pg_authid', 'SELECT')", conn))
        {
            if (!(bool)(await check.ExecuteScalarAsync(ct).ConfigureAwait(false))!) return null;
        }
        await using var cmd = new NpgsqlCommand("SELECT rolpassword IS NOT NULL FROM pg_catalog.pg_authid WHERE rolname = @role", conn);
        cmd.Parameters.AddWithValue("role", role);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
    }
}
