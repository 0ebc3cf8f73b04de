using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using Npgsql;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Audit;

/// <summary>What <see cref="AuditOwnership.PlanAsync"/> found and what must run (as the installing role) before the log's SQL.</summary>
internal sealed class AuditOwnerPlan
{
    /// <summary>Create the role, the schema; move existing objects of the log to the audit owner; revoke stray grants.</summary>
    public List<string> Steps { get; } = new();
    /// <summary>Things the admin must know that do not stop the install (a superuser table owner, no guard).</summary>
    public List<string> Warnings { get; } = new();
    /// <summary>The installing role is a superuser: it can create the guard's event triggers.</summary>
    public bool InstallerIsSuperuser { get; init; }
    /// <summary>Every object of the log exists, belongs to the audit owner and carries no grant to anyone else.</summary>
    public bool OwnedAsExpected { get; set; }
    /// <summary>The audit owner role exists already.</summary>
    public bool OwnerExists { get; init; }
}

/// <summary>
/// Who owns the audit log. The log, its shape table and its functions belong to a dedicated NOLOGIN role (by default
/// cenate_audit_owner) that neither the audited table's owner nor any other ordinary role can become: only that role (and
/// superusers) can change or erase the log. This class checks that such an arrangement holds (or can be made) before
/// anything is installed, and refuses with <see cref="ErrorIds.AuditOwnerUnsafe"/> otherwise, saying what a superuser must run.
/// </summary>
internal static class AuditOwnership
{
    /// <summary>The objects CenateBackup creates in the audit schema (everything else found there is refused).</summary>
    private static readonly string[] s_tables = { "audit_log", "audit_row_shape" };
    private static readonly string[] s_functions = { "row_shape(oid)", "log_deleted_rows()", "log_updated_row()", "log_truncate()", "guard_audit_triggers()" };

    /// <summary>The guard's event trigger name for an audit schema: made of [a-z0-9_] only, so it can be written into SQL bodies.</summary>
    public static string GuardName(string auditSchema) => auditSchema == "cenate_audit"
        ? "cenate_audit_guard"
        : "cenate_audit_guard_" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(auditSchema)))[..12].ToLowerInvariant();

    /// <summary>A dollar-quoted string whose tag does not occur in <paramref name="body"/>.</summary>
    public static string DollarQuote(string body)
    {
        var tag = "$cenate$";
        for (var i = 1; body.Contains(tag, StringComparison.Ordinal); i++) tag = "$cenate" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "$";
        return tag + body + tag;
    }

    private static CenateException Unsafe(string message, string remedy, object target) =>
        new(ErrorIds.AuditOwnerUnsafe, CenateErrorKind.PermissionDenied,
            Messages.Format("AuditOwnerUnsafe.Unchanged", message), remedy, target);

    /// <summary>The roles that decide who can reach the log, as the catalog shows them before any change.</summary>
    private sealed record RoleFacts(
        string Me, bool MeSuper, bool MeCreateRole, string TableOwner, bool TableOwnerSuper, bool TableOwnerCreateRole,
        bool OwnerExists, bool OwnerLogin, bool OwnerSuper, bool TableOwnerIsMember, bool TableOwnerCanBecomeMe,
        bool MeIsMember, int Version);

    /// <summary>An object found in the audit schema and the role that owns it.</summary>
    private sealed record SchemaObject(string Kind, string Name, string Sql, string ObjectOwner, bool OwnerSuper);

    /// <summary>
    /// Checks the roles (installing role, table owner, audit owner and its members) and the owners of whatever already
    /// exists in the audit schema, and plans the steps that give everything to the audit owner.
    /// </summary>
    public static async Task<AuditOwnerPlan> PlanAsync(
        NpgsqlConnection conn, QualifiedTable table, string auditSchema, string ownerRole, CancellationToken ct)
    {
        var audit = QualifiedTable.Quote(auditSchema);
        var owner = QualifiedTable.Quote(ownerRole);
        var roles = await ReadRolesAsync(conn, table, ownerRole, ct).ConfigureAwait(false);
        var plan = new AuditOwnerPlan { InstallerIsSuperuser = roles.MeSuper, OwnerExists = roles.OwnerExists };
        var asSuperuser = Messages.Format("AuditOwnerUnsafe.Action.AsSuperuser", ownerRole);

        await CheckTriggerPrivilegeAsync(conn, table, roles, asSuperuser, ct).ConfigureAwait(false);
        CheckRoles(roles, table, ownerRole, asSuperuser);
        await CheckOwnerMembersAsync(conn, roles, ownerRole, ct).ConfigureAwait(false);
        AddRoleWarnings(plan, roles, table);

        var objects = await ReadSchemaObjectsAsync(conn, auditSchema, ct).ConfigureAwait(false);
        var schemaExists = objects.Any(o => o.Kind == "SCHEMA");
        var changes = PlanOwnerChanges(objects, roles, auditSchema, ownerRole);
        await CheckLogTablesAsync(conn, audit, auditSchema, ct).ConfigureAwait(false);
        var revokes = await ReadStrayGrantsAsync(conn, audit, auditSchema, ownerRole, ct).ConfigureAwait(false);

        if (!roles.OwnerExists)
        {
            // A concurrent install may create the same role: then the role exists, which is what is wanted.
            plan.Steps.Add("DO " + DollarQuote($"BEGIN CREATE ROLE {owner} NOLOGIN NOSUPERUSER NOCREATEDB " +
                "NOCREATEROLE NOREPLICATION NOBYPASSRLS; " +
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END"));
            plan.Steps.Add($"COMMENT ON ROLE {owner} IS " +
                "'CenateBackup: owns the audit log; NOLOGIN, and no ordinary role may be a member of it.'");
        }
        if (!roles.MeSuper && !roles.MeIsMember) plan.Steps.Add($"GRANT {owner} TO {QualifiedTable.Quote(roles.Me)}");
        if (!schemaExists) plan.Steps.Add($"CREATE SCHEMA {audit} AUTHORIZATION {owner}");
        plan.Steps.AddRange(changes);
        plan.Steps.AddRange(revokes);
        plan.OwnedAsExpected = roles.OwnerExists && schemaExists && changes.Count == 0 && revokes.Count == 0;
        return plan;
    }

    /// <summary>The installing role, the table's owner and the audit owner (if any), with their memberships.</summary>
    private static async Task<RoleFacts> ReadRolesAsync(
        NpgsqlConnection conn, QualifiedTable table, string ownerRole, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT m.rolname::text, m.rolsuper, m.rolcreaterole, o.rolname::text, o.rolsuper, o.rolcreaterole, " +
            "a.oid IS NOT NULL, COALESCE(a.rolcanlogin, false), COALESCE(a.rolsuper, false), " +
            "a.oid IS NOT NULL AND pg_catalog.pg_has_role(o.oid, a.oid, 'MEMBER'), " +
            "o.oid <> m.oid AND pg_catalog.pg_has_role(o.oid, m.oid, 'MEMBER'), " +
            "a.oid IS NOT NULL AND pg_catalog.pg_has_role(m.oid, a.oid, 'MEMBER'), " +
            "pg_catalog.current_setting('server_version_num')::int " +
            "FROM pg_catalog.pg_roles m, pg_catalog.pg_class c JOIN pg_catalog.pg_roles o ON o.oid = c.relowner " +
            "LEFT JOIN pg_catalog.pg_roles a ON a.rolname = @a " +
            "WHERE m.rolname = current_user AND c.oid = @t::pg_catalog.regclass", conn);
        cmd.Parameters.AddWithValue("a", ownerRole);
        cmd.Parameters.AddWithValue("t", table.Sql);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return new RoleFacts(r.GetString(0), r.GetBoolean(1), r.GetBoolean(2), r.GetString(3), r.GetBoolean(4),
            r.GetBoolean(5), r.GetBoolean(6), r.GetBoolean(7), r.GetBoolean(8), r.GetBoolean(9), r.GetBoolean(10),
            r.GetBoolean(11), r.GetInt32(12));
    }

    /// <summary>
    /// First what any install needs: a role that may not create triggers on the table cannot install at all.
    /// </summary>
    private static async Task CheckTriggerPrivilegeAsync(
        NpgsqlConnection conn, QualifiedTable table, RoleFacts roles, string asSuperuser, CancellationToken ct)
    {
        if (roles.MeSuper) return;
        await using var cmd = new NpgsqlCommand("SELECT pg_catalog.has_table_privilege(@t, 'TRIGGER')", conn);
        cmd.Parameters.AddWithValue("t", table.Sql);
        if (!(bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
        {
            throw new CenateException(ErrorIds.InsufficientPrivilege, CenateErrorKind.PermissionDenied,
                Messages.Format("InsufficientPrivilege.3", roles.Me, table.Display), asSuperuser, roles.Me);
        }
    }

    /// <summary>
    /// The audit owner, the installing role and the table's owner, each against what it could do to the log.
    /// </summary>
    private static void CheckRoles(RoleFacts roles, QualifiedTable table, string ownerRole, string asSuperuser)
    {
        var owner = QualifiedTable.Quote(ownerRole);
        var (me, tableOwner) = (roles.Me, roles.TableOwner);
        // The audit owner itself: nobody logs in as it, and it is no superuser (the trigger functions run with its rights).
        if (roles.OwnerExists && (roles.OwnerLogin || roles.OwnerSuper))
        {
            throw Unsafe(Messages.Format(
                    roles.OwnerLogin ? "AuditOwnerUnsafe.OwnerLogin" : "AuditOwnerUnsafe.OwnerSuper",
                    ownerRole),
                Messages.Format("AuditOwnerUnsafe.Action.OwnerRole", owner), ownerRole);
        }
        if (tableOwner == ownerRole)
        {
            throw Unsafe(Messages.Format("AuditOwnerUnsafe.OwnsTable", ownerRole, table.Display),
                Messages.Get("AuditOwnerUnsafe.Action.OwnsTable"), ownerRole);
        }
        // A role other than a superuser needs to become the audit owner to give it the log: it must be able to create or
        // join it, and must not be (or be reachable from) the table's owner.
        if (!roles.MeSuper)
        {
            if (me == tableOwner || roles.TableOwnerCanBecomeMe)
            {
                throw Unsafe(Messages.Format(me == tableOwner ? "AuditOwnerUnsafe.InstallerOwns"
                        : "AuditOwnerUnsafe.InstallerUsedByOwner", me, table.Display, tableOwner, ownerRole),
                    asSuperuser, me);
            }
            if (!roles.MeIsMember && !roles.MeCreateRole)
            {
                throw Unsafe(Messages.Format("AuditOwnerUnsafe.InstallerCannot", me, ownerRole),
                    Messages.Format("AuditOwnerUnsafe.Action.InstallerCannot", asSuperuser, owner,
                        QualifiedTable.Quote(me)),
                    me);
            }
        }
        if (!roles.TableOwnerSuper)
        {
            if (roles.TableOwnerIsMember)
            {
                throw Unsafe(Messages.Format("AuditOwnerUnsafe.TableOwnerMember", tableOwner, ownerRole),
                    Messages.Format("AuditOwnerUnsafe.Action.TableOwnerMember", owner,
                        QualifiedTable.Quote(tableOwner)),
                    tableOwner);
            }
            if (roles.TableOwnerCreateRole && roles.Version < 160000)
            {
                throw Unsafe(Messages.Format("AuditOwnerUnsafe.TableOwnerCreateRole", tableOwner),
                    Messages.Format("AuditOwnerUnsafe.Action.TableOwnerCreateRole", QualifiedTable.Quote(tableOwner)),
                    tableOwner);
            }
        }
    }

    /// <summary>
    /// Nobody else may become the audit owner either: its only member may be the (non-superuser) installing role, and
    /// then nobody may become that role.
    /// </summary>
    private static async Task CheckOwnerMembersAsync(
        NpgsqlConnection conn, RoleFacts roles, string ownerRole, CancellationToken ct)
    {
        var members = new List<string>();
        await using (var cmd = new NpgsqlCommand(
            "SELECT r.rolname::text FROM pg_catalog.pg_roles r " +
            "WHERE NOT r.rolsuper AND r.rolname <> @a AND r.rolname <> current_user AND (" +
            "(EXISTS (SELECT 1 FROM pg_catalog.pg_roles a WHERE a.rolname = @a) AND pg_catalog.pg_has_role(r.oid, " +
            "(SELECT a.oid FROM pg_catalog.pg_roles a WHERE a.rolname = @a), 'MEMBER')) " +
            "OR (@joins AND pg_catalog.pg_has_role(r.oid, " +
            "(SELECT m.oid FROM pg_catalog.pg_roles m WHERE m.rolname = current_user), 'MEMBER'))) ORDER BY 1", conn))
        {
            cmd.Parameters.AddWithValue("a", ownerRole);
            cmd.Parameters.AddWithValue("joins", !roles.MeSuper);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) members.Add(r.GetString(0));
        }
        if (members.Count > 0)
        {
            var owner = QualifiedTable.Quote(ownerRole);
            throw Unsafe(roles.MeSuper
                    ? Messages.Format("AuditOwnerUnsafe.Members", ownerRole, string.Join(", ", members))
                    : Messages.Format("AuditOwnerUnsafe.Members.Through", ownerRole, string.Join(", ", members),
                        roles.Me),
                Messages.Format("AuditOwnerUnsafe.Action.Members", owner), ownerRole);
        }
    }

    /// <summary>What the admin must know that does not stop the install: a superuser table owner; no guard.</summary>
    private static void AddRoleWarnings(AuditOwnerPlan plan, RoleFacts roles, QualifiedTable table)
    {
        if (roles.TableOwnerSuper)
        {
            plan.Warnings.Add(Messages.Format("Warning.AuditOwnership.TableOwnerSuper", roles.TableOwner, table.Sql));
        }
        if (!roles.MeSuper)
        {
            plan.Warnings.Add(Messages.Format("Warning.AuditOwnership.NoGuard", roles.Me, roles.TableOwner,
                table.Display));
        }
    }

    /// <summary>The schema itself and every relation, routine and type in it, with their owners.</summary>
    private static async Task<List<SchemaObject>> ReadSchemaObjectsAsync(
        NpgsqlConnection conn, string auditSchema, CancellationToken ct)
    {
        var objects = new List<SchemaObject>();
        await using var cmd = new NpgsqlCommand(
            "WITH n AS (SELECT oid, nspname, nspowner FROM pg_catalog.pg_namespace WHERE nspname = @s) " +
            "SELECT 'SCHEMA', n.nspname::text, '', o.rolname::text, o.rolsuper FROM n " +
            "JOIN pg_catalog.pg_roles o ON o.oid = n.nspowner " +
            "UNION ALL SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' " +
            "WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'c' THEN 'TYPE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, " +
            "c.relname::text, '', o.rolname::text, o.rolsuper FROM pg_catalog.pg_class c " +
            "JOIN n ON n.oid = c.relnamespace JOIN pg_catalog.pg_roles o ON o.oid = c.relowner " +
            "WHERE c.relkind IN ('r', 'p', 'S', 'v', 'm', 'c', 'f') " +
            "UNION ALL SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' " +
            "END, p.proname::text || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')', '', o.rolname::text, " +
            "o.rolsuper FROM pg_catalog.pg_proc p JOIN n ON n.oid = p.pronamespace JOIN pg_catalog.pg_roles o ON " +
            "o.oid = p.proowner UNION ALL SELECT 'TYPE', t.typname::text, '', o.rolname::text, o.rolsuper FROM " +
            "pg_catalog.pg_type t JOIN n ON n.oid = t.typnamespace " +
            "JOIN pg_catalog.pg_roles o ON o.oid = t.typowner WHERE t.typtype IN ('d', 'e', 'r', 'm') " +
            "ORDER BY 1, 2", conn);
        cmd.Parameters.AddWithValue("s", auditSchema);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            objects.Add(new SchemaObject(
                r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetBoolean(4)));
        }
        return objects;
    }

    /// <summary>
    /// What already exists in the audit schema: every object must be one CenateBackup creates, owned by the audit
    /// owner, or by a role that may hand it over (an install made by an earlier version belongs to the role that ran
    /// it, usually the table's owner). Returns the ALTER … OWNER statements that hand them over.
    /// </summary>
    private static List<string> PlanOwnerChanges(
        List<SchemaObject> objects, RoleFacts roles, string auditSchema, string ownerRole)
    {
        var audit = QualifiedTable.Quote(auditSchema);
        var owner = QualifiedTable.Quote(ownerRole);
        var adoptable = new HashSet<string>(StringComparer.Ordinal) { ownerRole, roles.Me, roles.TableOwner };
        var changes = new List<string>();
        foreach (var o in objects)
        {
            var sql = o.Kind switch
            {
                "SCHEMA" => audit,
                "TABLE" when s_tables.Contains(o.Name) => audit + "." + QualifiedTable.Quote(o.Name),
                "SEQUENCE" when o.Name == "audit_log_id_seq" => null,   // the identity's sequence follows its table
                "FUNCTION" when s_functions.Contains(o.Name.Replace(" ", "", StringComparison.Ordinal)) =>
                    audit + "." + QualifiedTable.Quote(o.Name[..o.Name.IndexOf('(')]) + o.Name[o.Name.IndexOf('(')..],
                _ => throw Unsafe(Messages.Format("AuditOwnerUnsafe.Foreign", auditSchema, o.Kind, o.Name,
                    o.ObjectOwner),
                    Messages.Format("AuditOwnerUnsafe.Action.Foreign", o.Kind, audit, o.Name), o.Name),
            };
            if (sql is null || o.ObjectOwner == ownerRole) continue;
            if (!adoptable.Contains(o.ObjectOwner) && !o.OwnerSuper)
            {
                throw Unsafe(Messages.Format("AuditOwnerUnsafe.Existing", o.Kind.ToLowerInvariant(),
                        o.Kind == "SCHEMA" ? auditSchema : auditSchema + "." + o.Name, o.ObjectOwner, ownerRole),
                    Messages.Format("AuditOwnerUnsafe.Action.Existing", o.ObjectOwner, audit, o.Kind, sql, owner),
                        o.Name);
            }
            changes.Add($"ALTER {o.Kind} {sql} OWNER TO {owner}");
        }
        return changes;
    }

    /// <summary>
    /// Tables of the log: no trigger, rule or row-level security of anyone else's making (an owner could have added a
    /// trigger that deletes what the functions insert).
    /// </summary>
    private static async Task CheckLogTablesAsync(
        NpgsqlConnection conn, string audit, string auditSchema, CancellationToken ct)
    {
        var extras = new List<string>();
        await using (var cmd = new NpgsqlCommand(
            "SELECT 'trigger ' || tg.tgname || ' on ' || tg.tgrelid::pg_catalog.regclass::text " +
            "FROM pg_catalog.pg_trigger tg WHERE NOT tg.tgisinternal " +
            "AND tg.tgrelid IN (pg_catalog.to_regclass(@l), pg_catalog.to_regclass(@sh)) " +
            "UNION ALL SELECT 'rule ' || rw.rulename || ' on ' || rw.ev_class::pg_catalog.regclass::text " +
            "FROM pg_catalog.pg_rewrite rw WHERE rw.ev_class IN (pg_catalog.to_regclass(@l), " +
            "pg_catalog.to_regclass(@sh)) UNION ALL SELECT 'row-level security on ' || " +
            "c.oid::pg_catalog.regclass::text FROM pg_catalog.pg_class c WHERE c.oid IN (pg_catalog.to_regclass(@l), " +
            "pg_catalog.to_regclass(@sh)) AND c.relrowsecurity ORDER BY 1",
            conn))
        {
            cmd.Parameters.AddWithValue("l", audit + ".audit_log");
            cmd.Parameters.AddWithValue("sh", audit + ".audit_row_shape");
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) extras.Add(r.GetString(0));
        }
        if (extras.Count > 0)
        {
            throw Unsafe(Messages.Format("AuditOwnerUnsafe.Extras", string.Join(", ", extras)),
                Messages.Get("AuditOwnerUnsafe.Action.Extras"), auditSchema);
        }
    }

    /// <summary>
    /// Grants to anyone but the owner (PUBLIC included) on the schema and its objects go: the log is readable and
    /// writable only by the audit owner (and superusers). The current owner's own entries pass to the new owner with
    /// ALTER … OWNER, so they are not listed.
    /// </summary>
    private static async Task<List<string>> ReadStrayGrantsAsync(
        NpgsqlConnection conn, string audit, string auditSchema, string ownerRole, CancellationToken ct)
    {
        var revokes = new List<string>();
        await using var cmd = new NpgsqlCommand(
            "WITH n AS (SELECT oid, nspacl, nspowner FROM pg_catalog.pg_namespace WHERE nspname = @s), acl AS (" +
            "SELECT 'SCHEMA' AS kind, '' AS name, a.grantee FROM n, pg_catalog.aclexplode(n.nspacl) a " +
            "WHERE a.grantee <> n.nspowner " +
            "UNION SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.relname::text, a.grantee " +
            "FROM pg_catalog.pg_class c JOIN n ON n.oid = c.relnamespace, pg_catalog.aclexplode(c.relacl) a " +
            "WHERE c.relkind IN ('r', 'S') AND a.grantee <> c.relowner " +
            "UNION SELECT 'FUNCTION', p.proname::text || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')', " +
            "a.grantee FROM pg_catalog.pg_proc p JOIN n ON n.oid = p.pronamespace, pg_catalog.aclexplode(p.proacl) a " +
            "WHERE a.grantee <> p.proowner) " +
            "SELECT kind, name, CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END " +
            "FROM acl LEFT JOIN pg_catalog.pg_roles r ON r.oid = acl.grantee " +
            "WHERE r.rolname IS DISTINCT FROM @a ORDER BY 1, 2, 3", conn);
        cmd.Parameters.AddWithValue("s", auditSchema);
        cmd.Parameters.AddWithValue("a", ownerRole);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var (kind, name, grantee) = (r.GetString(0), r.GetString(1), r.GetString(2));
            var target = kind switch
            {
                "SCHEMA" => audit,
                "FUNCTION" => audit + "." + QualifiedTable.Quote(name[..name.IndexOf('(')]) + name[name.IndexOf('(')..],
                _ => audit + "." + QualifiedTable.Quote(name),
            };
            revokes.Add($"REVOKE ALL ON {kind} {target} FROM {grantee}");
        }
        return revokes;
    }
}
