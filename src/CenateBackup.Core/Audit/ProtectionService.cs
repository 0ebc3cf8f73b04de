using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Targets;
using Npgsql;

namespace CenateBackup.Core.Audit;

/// <summary>A role's privileges on a table.</summary>
public sealed record TableGrant(string Role, string Privileges);

/// <summary>What Protect-CenateTable did.</summary>
public sealed class ProtectResult
{
    /// <summary>schema.table.</summary>
    public string Table { get; set; } = "";
    /// <summary>Roles whose DELETE/TRUNCATE were revoked.</summary>
    public List<string> Roles { get; } = new();
    /// <summary>Grants before.</summary>
    public List<TableGrant> Before { get; } = new();
    /// <summary>Grants after.</summary>
    public List<TableGrant> After { get; } = new();
    /// <summary>The SQL.</summary>
    public List<string> Steps { get; } = new();
    /// <summary>PUBLIC and group roles also revoked from (-IncludeInherited): the named roles reached DELETE/TRUNCATE through them.</summary>
    public List<string> Inherited { get; } = new();
}

/// <summary>What New-CenateReadOnlyRole did.</summary>
public sealed class ReadOnlyRoleResult
{
    /// <summary>The role.</summary>
    public string Role { get; set; } = "";
    /// <summary>True when it was created (false: it existed and was brought up to date).</summary>
    public bool Created { get; set; }
    /// <summary>Schemas it may read.</summary>
    public List<string> Schemas { get; } = new();
    /// <summary>Read-only views created.</summary>
    public List<string> Views { get; } = new();
    /// <summary>The SQL, with the password shown as a placeholder.</summary>
    public List<string> Steps { get; } = new();
    /// <summary>What changed, in words (an existing role: attributes removed, password replaced, grants added, views).</summary>
    public List<string> Changes { get; } = new();
    /// <summary>What the caller must know: the password left unchanged, write privileges an adopted role keeps, clients that cannot log in.</summary>
    public List<string> Warnings { get; } = new();
}

/// <summary>Protect-CenateTable and New-CenateReadOnlyRole (plan 3.2 and 3.3).</summary>
public static class ProtectionService
{
    private static async Task<List<TableGrant>> GrantsAsync(NpgsqlConnection conn, QualifiedTable table, CancellationToken ct)
    {
        var list = new List<TableGrant>();
        await using var cmd = new NpgsqlCommand("SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE r.rolname::text END, pg_catalog.string_agg(a.privilege_type, ',' ORDER BY a.privilege_type) " +
            "FROM pg_catalog.pg_class c, pg_catalog.aclexplode(COALESCE(c.relacl, pg_catalog.acldefault('r', c.relowner))) a LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee " +
            "WHERE c.oid = @t::pg_catalog.regclass GROUP BY 1 ORDER BY 1", conn);
        cmd.Parameters.AddWithValue("t", table.Sql);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(new TableGrant(r.GetString(0), r.GetString(1)));
        return list;
    }

    /// <summary>
    /// Revokes DELETE and TRUNCATE on the table from the named roles, or from every role holding them except
    /// <paramref name="allExcept"/> and the owner. One transaction; dry run changes nothing. Named roles are then
    /// checked for the EFFECTIVE privilege (through PUBLIC, group roles, pg_write_all_data): the call fails with
    /// PrivilegeStillGranted unless <paramref name="includeInherited"/> revokes from PUBLIC and those group roles too.
    /// The owner (or a member of it) and superusers are refused: no revoke can stop them.
    /// </summary>
    public static async Task<ProtectResult> ProtectAsync(DatabaseTarget target, string table, string? schema, IReadOnlyCollection<string>? roles,
        IReadOnlyCollection<string>? allExcept, bool includeInherited, bool dryRun, IOperationReporter reporter, CancellationToken ct)
    {
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        var conn = session.Connection;
        try
        {
            var t = await session.ResolveTableAsync(table, schema, ct).ConfigureAwait(false);
            var result = new ProtectResult { Table = t.Display };
            result.Before.AddRange(await GrantsAsync(conn, t, ct).ConfigureAwait(false));
            var existing = new HashSet<string>(StringComparer.Ordinal);
            await using (var cmd = new NpgsqlCommand("SELECT rolname::text FROM pg_catalog.pg_roles", conn))
            {
                await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await r.ReadAsync(ct).ConfigureAwait(false)) existing.Add(r.GetString(0));
            }
            string owner;
            await using (var cmd = new NpgsqlCommand("SELECT pg_catalog.pg_get_userbyid(relowner)::text FROM pg_catalog.pg_class WHERE oid = @t::pg_catalog.regclass", conn))
            {
                cmd.Parameters.AddWithValue("t", t.Sql);
                owner = (string)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }
            // The rows of a partitioned (or inheritance) parent live in its partitions, and DELETE/TRUNCATE on a partition
            // is checked against the partition's own grants: every descendant is protected and checked with the parent.
            var relations = new List<QualifiedTable> { t };
            var owners = new HashSet<string>(StringComparer.Ordinal) { owner };
            await using (var cmd = new NpgsqlCommand("WITH RECURSIVE d(oid) AS (SELECT @t::pg_catalog.regclass::pg_catalog.oid UNION " +
                "SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN d ON i.inhparent = d.oid) " +
                "SELECT n.nspname::text, c.relname::text, pg_catalog.pg_get_userbyid(c.relowner)::text FROM d JOIN pg_catalog.pg_class c ON c.oid = d.oid " +
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE d.oid <> @t::pg_catalog.regclass ORDER BY 1, 2", conn))
            {
                cmd.Parameters.AddWithValue("t", t.Sql);
                await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    relations.Add(new QualifiedTable(r.GetString(0), r.GetString(1)));
                    owners.Add(r.GetString(2));
                }
            }
            List<string> targets;
            if (roles is not null)
            {
                var missing = roles.Where(r => !string.Equals(r, "PUBLIC", StringComparison.OrdinalIgnoreCase) && !existing.Contains(r)).ToList();
                if (missing.Count > 0)
                {
                    throw new CenateException(ErrorIds.RoleNotFound, CenateErrorKind.ObjectNotFound, $"Role(s) {string.Join(", ", missing)} do not exist. Nothing was changed.",
                        "Check -Role (list roles with: psql -c '\\du').", string.Join(",", missing));
                }
                targets = roles.ToList();
                foreach (var (role, rel) in targets.Where(r => !IsPublic(r)).SelectMany(r => relations.Select(rel => (r, rel))))
                {
                    if (await RolePrivileges.BypassAsync(conn, role, rel.Sql, rel == t ? rel.Display : $"{rel.Display} (a partition of {t.Display})", ct).ConfigureAwait(false) is not { } bypass) continue;
                    throw bypass.Owner
                        ? new CenateException(ErrorIds.RoleOwnsTable, CenateErrorKind.InvalidOperation,
                            $"{bypass.Reason}: an owner can always DELETE, TRUNCATE or DROP (it can grant itself any privilege back), so revoking from it protects nothing. Nothing was changed.",
                            $"Make the table's owner (and its schema's owner) a NOLOGIN role that no application logs in as or is a member of (ALTER TABLE {rel.Sql} OWNER TO <nologin role>; ALTER SCHEMA … OWNER TO …), then protect the application role. Give '{role}' only the privileges it needs.", role)
                        : new CenateException(ErrorIds.RoleIsSuperuser, CenateErrorKind.InvalidOperation,
                            $"{bypass.Reason}: a superuser bypasses every privilege check, so revoking from it protects nothing. Nothing was changed.",
                            $"Do not let applications log in as a superuser: make '{role}' NOSUPERUSER (or remove the membership) and grant it only what it needs.", role);
                }
            }
            else
            {
                var keep = new HashSet<string>(allExcept ?? Array.Empty<string>(), StringComparer.Ordinal);
                keep.UnionWith(owners);
                targets = new List<string>();
                foreach (var rel in relations)
                {
                    foreach (var g in rel == t ? result.Before : await GrantsAsync(conn, rel, ct).ConfigureAwait(false))
                    {
                        if (!keep.Contains(g.Role) && !targets.Contains(g.Role, StringComparer.Ordinal)
                            && (g.Privileges.Contains("DELETE", StringComparison.Ordinal) || g.Privileges.Contains("TRUNCATE", StringComparison.Ordinal)))
                            targets.Add(g.Role);
                    }
                }
            }
            foreach (var role in targets)
            {
                result.Steps.Add(RevokeSql(relations, role));
                result.Roles.Add(role);
            }
            await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            foreach (var sql in result.Steps)
            {
                await using var cmd = new NpgsqlCommand(sql, conn, tx);
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            result.After.AddRange(await GrantsAsync(conn, t, ct).ConfigureAwait(false));
            // A REVOKE by a role that did not grant the privilege only warns on the server: check what is left.
            var left = new List<TableGrant>(result.After);
            foreach (var rel in relations.Skip(1)) left.AddRange(await GrantsAsync(conn, rel, ct).ConfigureAwait(false));
            var still = left.Where(g => result.Roles.Contains(g.Role, StringComparer.OrdinalIgnoreCase)
                && (g.Privileges.Contains("DELETE", StringComparison.Ordinal) || g.Privileges.Contains("TRUNCATE", StringComparison.Ordinal))).Select(g => g.Role).ToList();
            if (still.Count > 0)
            {
                await tx.RollbackAsync(ct).ConfigureAwait(false);
                throw new CenateException(ErrorIds.InsufficientPrivilege, CenateErrorKind.PermissionDenied,
                    $"{string.Join(", ", still)} would keep DELETE or TRUNCATE on {t.Display}: the privilege was granted by another role, and only it (or the owner, or a superuser) can revoke it. Nothing was changed.",
                    $"Run Protect-CenateTable as the table's owner ({owner}) or a superuser.", t.Display);
            }
            if (roles is not null) await CheckEffectiveAsync(conn, tx, t, relations, roles, includeInherited, result, ct).ConfigureAwait(false);
            if (dryRun) await tx.RollbackAsync(ct).ConfigureAwait(false);
            else await tx.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    private static bool IsPublic(string role) => string.Equals(role, "PUBLIC", StringComparison.OrdinalIgnoreCase);

    private static string RevokeSql(IEnumerable<QualifiedTable> relations, string role) =>
        $"REVOKE DELETE, TRUNCATE ON TABLE {string.Join(", ", relations.Select(r => r.Sql))} FROM {(IsPublic(role) ? "PUBLIC" : QualifiedTable.Quote(role))}";

    /// <summary>
    /// After the revokes: may a named role still DELETE or TRUNCATE, through PUBLIC, a group role or pg_write_all_data?
    /// With <paramref name="includeInherited"/> PUBLIC and the group roles lose them too (once); otherwise, or when a
    /// path cannot be revoked, the transaction is rolled back and PrivilegeStillGranted names each role and path.
    /// </summary>
    private static async Task CheckEffectiveAsync(NpgsqlConnection conn, NpgsqlTransaction tx, QualifiedTable t, IReadOnlyList<QualifiedTable> relations,
        IReadOnlyCollection<string> roles, bool includeInherited, ProtectResult result, CancellationToken ct)
    {
        for (var pass = 0; ; pass++)
        {
            var paths = new List<PrivilegePath>();
            foreach (var role in roles.Where(r => !IsPublic(r)).Distinct(StringComparer.Ordinal))
            {
                foreach (var rel in relations)
                {
                    foreach (var path in await RolePrivileges.DeleteTruncatePathsAsync(conn, tx, role, rel.Sql, ct).ConfigureAwait(false))
                        paths.Add(rel == t ? path : path with { Privilege = $"{path.Privilege} on partition {rel.Display}" });
                }
            }
            if (paths.Count == 0) return;
            var revocable = paths.Where(p => p.Kind is PrivilegePathKind.Public or PrivilegePathKind.GroupRole).Select(p => p.Via)
                .Where(v => !result.Roles.Contains(v, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal).ToList();
            if (includeInherited && pass == 0 && revocable.Count > 0)
            {
                foreach (var via in revocable)
                {
                    var sql = RevokeSql(relations, via);
                    await using var cmd = new NpgsqlCommand(sql, conn, tx);
                    await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    result.Steps.Add(sql);
                    result.Roles.Add(via);
                    result.Inherited.Add(via);
                }
                continue;
            }
            await tx.RollbackAsync(ct).ConfigureAwait(false);
            var detail = string.Join("; ", paths.GroupBy(p => p.Role, StringComparer.Ordinal).Select(g =>
                $"'{g.Key}' can still " + string.Join(", ", g.GroupBy(p => p.Privilege).Select(pg => $"{pg.Key} through {string.Join(" and ", pg.Select(p => p.Describe()))}"))));
            var remedies = new List<string>();
            if (revocable.Count > 0) remedies.Add($"add -IncludeInherited to revoke from {string.Join(", ", revocable)} too (every member loses the privilege), or name them in -Role, or remove the memberships");
            if (paths.Any(p => p.Kind == PrivilegePathKind.PredefinedRole)) remedies.Add("remove the predefined role (REVOKE pg_write_all_data FROM <role>)");
            if (paths.Any(p => p.Kind == PrivilegePathKind.Direct)) remedies.Add("run it as the grantor, the owner or a superuser");
            if (paths.Any(p => result.Inherited.Contains(p.Via, StringComparer.Ordinal))) remedies.Add("a grant to PUBLIC or a group role was made by a role whose grants this session cannot revoke: run it as that grantor");
            if (remedies.Count == 0) remedies.Add("check the grants (\\dp) and memberships (\\du)");
            throw new CenateException(ErrorIds.PrivilegeStillGranted, CenateErrorKind.InvalidOperation,
                $"After revoking on {t.Display}: {detail}. Nothing was changed.",
                char.ToUpperInvariant(remedies[0][0]) + string.Join("; ", remedies)[1..] + ".", string.Join(",", paths.Select(p => p.Role).Distinct(StringComparer.Ordinal)));
        }
    }

    /// <summary>
    /// The SCRAM-SHA-256 verifier of a password (RFC 5802/7677, 4096 iterations, as PostgreSQL stores it). Sent instead of
    /// the password, so the password itself never reaches the server's statement log. The password goes through
    /// SASLprep exactly as PostgreSQL and libpq prepare it (<see cref="SaslPrep.PasswordBytes(string)"/>).
    /// </summary>
    public static string ScramVerifier(string password, byte[]? salt = null, int iterations = 4096)
    {
        salt ??= RandomNumberGenerator.GetBytes(16);
        var salted = Rfc2898DeriveBytes.Pbkdf2(SaslPrep.PasswordBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }

    /// <summary>The comment that marks a role New-CenateReadOnlyRole created (COMMENT ON ROLE needs CREATEROLE/ADMIN on it).</summary>
    public const string ReadOnlyRoleMarker = "CenateBackup read-only role";

    /// <summary>
    /// Creates a LOGIN role that can only read: CONNECT on the database, USAGE and SELECT on the schemas' tables, SELECT
    /// on their future tables; optionally read-only views v_&lt;table&gt;_readonly. One transaction. An existing role is
    /// refused when it can write anything (RoleNotReadOnly) or has — or may have — a password it was not given by this
    /// cmdlet (RoleExists), unless <paramref name="force"/>; its password changes only with a password AND force.
    /// <see cref="ReadOnlyRoleResult.Changes"/> says exactly what changes.
    /// </summary>
    public static async Task<ReadOnlyRoleResult> NewReadOnlyRoleAsync(DatabaseTarget target, string role, string? password, IReadOnlyCollection<string> schemas,
        IReadOnlyCollection<string> views, bool force, bool dryRun, IOperationReporter reporter, CancellationToken ct)
    {
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        var conn = session.Connection;
        try
        {
            var result = new ReadOnlyRoleResult { Role = role };
            var r = QualifiedTable.Quote(role);
            bool login = false, super = false, createDb = false, createRole = false, replication = false, bypassRls = false, isSelf = false;
            string? comment = null;
            await using (var cmd = new NpgsqlCommand("SELECT r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls, " +
                "r.rolname = current_user, pg_catalog.shobj_description(r.oid, 'pg_authid') FROM pg_catalog.pg_roles r WHERE r.rolname = @r", conn))
            {
                cmd.Parameters.AddWithValue("r", role);
                await using var rd = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                result.Created = !await rd.ReadAsync(ct).ConfigureAwait(false);
                if (!result.Created)
                {
                    (login, super, createDb, createRole, replication, bypassRls, isSelf) =
                        (rd.GetBoolean(0), rd.GetBoolean(1), rd.GetBoolean(2), rd.GetBoolean(3), rd.GetBoolean(4), rd.GetBoolean(5), rd.GetBoolean(6));
                    comment = rd.IsDBNull(7) ? null : rd.GetString(7);
                }
            }
            var marked = string.Equals(comment, ReadOnlyRoleMarker, StringComparison.Ordinal);
            if (result.Created && password is null)
            {
                throw new CenateException(ErrorIds.PasswordRequired, CenateErrorKind.InvalidArgument,
                    $"Role '{role}' does not exist, and a new role needs a password. Nothing was changed.", "Give -Password.", role);
            }
            if (!result.Created)
            {
                if (isSelf)
                {
                    throw new CenateException(ErrorIds.RoleNotReadOnly, CenateErrorKind.InvalidOperation,
                        $"Role '{role}' is the role this session is connected as; it cannot make itself read-only. Nothing was changed.",
                        "Choose another name for the read-only role.", role);
                }
                var writes = await RolePrivileges.WriteCapabilitiesAsync(conn, role, ct).ConfigureAwait(false);
                var hasPassword = await RolePrivileges.HasPasswordAsync(conn, role, ct).ConfigureAwait(false);
                if (writes.Count > 0 && !force)
                {
                    throw new CenateException(ErrorIds.RoleNotReadOnly, CenateErrorKind.InvalidOperation,
                        $"Role '{role}' exists and is not a read-only role: it {Summarize(writes)}. Nothing was changed.",
                        "Choose another name for the read-only role. -Force adopts it anyway, but it keeps all of this (the result's Warnings list it).", role);
                }
                string? members;
                await using (var cmd = new NpgsqlCommand("SELECT pg_catalog.string_agg(m.rolname::text, ', ' ORDER BY m.rolname) FROM pg_catalog.pg_auth_members a " +
                    "JOIN pg_catalog.pg_roles m ON m.oid = a.member JOIN pg_catalog.pg_roles g ON g.oid = a.roleid WHERE g.rolname = @r", conn))
                {
                    cmd.Parameters.AddWithValue("r", role);
                    members = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
                }
                if (members is not null && !marked && !force)
                {
                    // A group role: every grant to it widens what its members can read.
                    throw new CenateException(ErrorIds.RoleExists, CenateErrorKind.ResourceExists,
                        $"Role '{role}' exists, was not created by New-CenateReadOnlyRole, and has members ({members}): the read grants would reach them too. Nothing was changed.",
                        "Choose another name for the read-only role, or add -Force if its members should read these schemas too.", role);
                }
                if (members is not null) result.Warnings.Add($"The members of role '{role}' ({members}) can use its read privileges too.");
                if (!marked && hasPassword != false && !force)
                {
                    var why = hasPassword == true
                        ? "has a password"
                        : (login ? "can log in and may have a password" : "may have a password") + " (only a superuser can read pg_authid to tell)";
                    throw new CenateException(ErrorIds.RoleExists, CenateErrorKind.ResourceExists,
                        $"Role '{role}' exists, was not created by New-CenateReadOnlyRole, and {why}: it may be another application's login. Nothing was changed.",
                        "Choose another name for the read-only role, or add -Force to adopt this role (its password changes only if -Password is given too).", role);
                }
                foreach (var w in writes) result.Warnings.Add($"Role '{role}' keeps what makes it not read-only: it {w}.");
            }
            var setPassword = password is not null && (result.Created || force);
            if (password is not null && !setPassword)
            {
                result.Warnings.Add($"The password of the existing role '{role}' was NOT changed: -Password changes an existing role's password only together with -Force.");
            }
            string? verifier = null;
            if (setPassword)
            {
                try { verifier = ScramVerifier(password!); }
                catch (ArgumentException ex)
                {
                    throw new CenateException(ErrorIds.PasswordInvalid, CenateErrorKind.InvalidArgument, ex.Message + " Nothing was changed.", "Choose another password.", role);
                }
                var nfkc = Encoding.UTF8.GetBytes(password!.Normalize(NormalizationForm.FormKC));
                if (!nfkc.AsSpan().SequenceEqual(SaslPrep.PasswordBytes(password)))
                {
                    result.Warnings.Add("The password has characters SASLprep removes or replaces (such as a soft hyphen, a zero-width or non-ASCII space) or that make SASLprep fail: " +
                        "PostgreSQL and libpq clients (psql) log in with it, but Npgsql (.NET) clients, which apply only NFKC, will not. Prefer a password without them.");
                }
            }
            var steps = new List<(string Shown, string Run)>();
            if (result.Created)
            {
                const string shown = "CREATE ROLE {0} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD '{1}'";
                steps.Add((string.Format(CultureInfo.InvariantCulture, shown, r, "<SCRAM-SHA-256 verifier>"), string.Format(CultureInfo.InvariantCulture, shown, r, verifier)));
                result.Changes.Add($"Role '{role}' created: LOGIN, NOINHERIT, no superuser, database or role creation, with the password given.");
            }
            else
            {
                // Only the clauses that change something: each one needs its own privilege (e.g. NOBYPASSRLS a superuser).
                var clauses = new List<string>();
                void Clause(bool change, string sql, string said) { if (change) { clauses.Add(sql); result.Changes.Add(said); } }
                Clause(!login, "LOGIN", $"LOGIN added to role '{role}' (it could not log in before).");
                Clause(super, "NOSUPERUSER", $"SUPERUSER removed from role '{role}'.");
                Clause(createDb, "NOCREATEDB", $"CREATEDB removed from role '{role}'.");
                Clause(createRole, "NOCREATEROLE", $"CREATEROLE removed from role '{role}'.");
                Clause(replication, "NOREPLICATION", $"REPLICATION removed from role '{role}'.");
                Clause(bypassRls, "NOBYPASSRLS", $"BYPASSRLS removed from role '{role}'.");
                var alter = $"ALTER ROLE {r}" + (clauses.Count > 0 ? " " + string.Join(" ", clauses) : "");
                if (setPassword)
                {
                    steps.Add(($"{alter} PASSWORD '<SCRAM-SHA-256 verifier>'", $"{alter} PASSWORD '{verifier}'"));
                    result.Changes.Add($"Password of role '{role}' replaced: the old password no longer works.");
                }
                else if (clauses.Count > 0)
                {
                    steps.Add((alter, alter));
                }
            }
            if (!marked)
            {
                var sql = $"COMMENT ON ROLE {r} IS {SqlText.Literal(ReadOnlyRoleMarker)}";
                steps.Add((sql, sql));
                if (!result.Created) result.Changes.Add(comment is null ? $"Role '{role}' marked as a CenateBackup read-only role (COMMENT ON ROLE)." : $"The comment of role '{role}' ('{comment}') replaced by '{ReadOnlyRoleMarker}'.");
            }
            var db = QualifiedTable.Quote(target.Database);
            if (!await HasDirectAclAsync(conn, "SELECT d.datacl FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()", role, "CONNECT", ct).ConfigureAwait(false))
            {
                result.Changes.Add($"CONNECT on database {target.Database} granted.");
            }
            steps.Add(($"GRANT CONNECT ON DATABASE {db} TO {r}", $"GRANT CONNECT ON DATABASE {db} TO {r}"));
            foreach (var schema in schemas)
            {
                var s = QualifiedTable.Quote(schema);
                await using (var cmd = new NpgsqlCommand("SELECT " +
                    "NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(n.nspacl) a JOIN pg_catalog.pg_roles g ON g.oid = a.grantee WHERE g.rolname = @r AND a.privilege_type = 'USAGE'), " +
                    "(SELECT pg_catalog.count(*) FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT EXISTS " +
                    "(SELECT 1 FROM pg_catalog.aclexplode(c.relacl) a JOIN pg_catalog.pg_roles g ON g.oid = a.grantee WHERE g.rolname = @r AND a.privilege_type = 'SELECT')), " +
                    "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_default_acl da CROSS JOIN LATERAL pg_catalog.aclexplode(da.defaclacl) a JOIN pg_catalog.pg_roles g ON g.oid = a.grantee " +
                    "WHERE da.defaclrole = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user) AND da.defaclnamespace = n.oid AND da.defaclobjtype = 'r' AND g.rolname = @r AND a.privilege_type = 'SELECT') " +
                    "FROM pg_catalog.pg_namespace n WHERE n.nspname = @s", conn))
                {
                    cmd.Parameters.AddWithValue("r", role);
                    cmd.Parameters.AddWithValue("s", schema);
                    await using var rd = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    if (await rd.ReadAsync(ct).ConfigureAwait(false))
                    {
                        if (rd.GetBoolean(0)) result.Changes.Add($"USAGE on schema {schema} granted.");
                        if (rd.GetInt64(1) > 0) result.Changes.Add($"SELECT granted on {rd.GetInt64(1)} table(s) and view(s) of schema {schema}.");
                        if (rd.GetBoolean(2)) result.Changes.Add($"SELECT on the tables the connected role creates later in schema {schema} granted (default privileges).");
                    }
                }
                foreach (var sql in new[] { $"GRANT USAGE ON SCHEMA {s} TO {r}", $"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r}", $"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT ON TABLES TO {r}" })
                    steps.Add((sql, sql));
                result.Schemas.Add(schema);
            }
            foreach (var view in views)
            {
                var (viewSchema, viewTable) = QualifiedTable.Split(view);
                var t = await session.ResolveTableAsync(viewTable, viewSchema, ct).ConfigureAwait(false);
                var v = QualifiedTable.Quote(t.Schema) + "." + QualifiedTable.Quote("v_" + t.Name + "_readonly");
                await using (var cmd = new NpgsqlCommand(
                    "SELECT c.relkind::text, pg_catalog.pg_get_userbyid(c.relowner)::text, " +
                    "c.relowner IN ((SELECT relowner FROM pg_catalog.pg_class WHERE oid = @t::pg_catalog.regclass), (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)) " +
                    "FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass(@v)", conn))
                {
                    cmd.Parameters.AddWithValue("v", v);
                    cmd.Parameters.AddWithValue("t", t.Sql);
                    var exists = false;
                    await using (var rd = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
                    {
                        if (await rd.ReadAsync(ct).ConfigureAwait(false))
                        {
                            exists = true;
                            // CREATE OR REPLACE keeps the old owner: a view someone else made first would stay theirs, to redefine
                            // later so that whatever the read-only role selects runs their code.
                            if (rd.GetString(0) != "v" || !rd.GetBoolean(2))
                            {
                                throw new CenateException(ErrorIds.ReadOnlyViewUnsafe, CenateErrorKind.InvalidOperation,
                                    $"{t.Schema}.v_{t.Name}_readonly already exists and belongs to '{rd.GetString(1)}'" +
                                    (rd.GetString(0) != "v" ? " (it is not a view)" : "") + ", not to the table's owner or to this session's role: replacing it would leave it in that role's hands. Nothing was changed.",
                                    $"Check who created it and why; drop it (DROP VIEW {t.Schema}.v_{t.Name}_readonly) or give it to the table's owner, then run again.", v);
                            }
                        }
                    }
                    result.Changes.Add(exists ? $"View {t.Schema}.v_{t.Name}_readonly replaced (SELECT * FROM {t.Display}), readable by '{role}' only." : $"View {t.Schema}.v_{t.Name}_readonly created (SELECT * FROM {t.Display}), readable by '{role}' only.");
                }
                foreach (var sql in new[] { $"CREATE OR REPLACE VIEW {v} WITH (security_barrier) AS SELECT * FROM {t.Sql}", $"REVOKE ALL ON {v} FROM PUBLIC", $"GRANT SELECT ON {v} TO {r}" })
                    steps.Add((sql, sql));
                result.Views.Add(t.Schema + ".v_" + t.Name + "_readonly");
            }
            result.Steps.AddRange(steps.Select(s => s.Shown));
            if (dryRun) return result;
            await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            foreach (var (_, sql) in steps)
            {
                await using var cmd = new NpgsqlCommand(sql, conn, tx);
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }
        catch (PostgresException ex)
        {
            // Never echo the statement: it holds the verifier.
            throw new CenateException(ex.SqlState == "42501" ? ErrorIds.InsufficientPrivilege : ErrorIds.DatabaseError,
                ex.SqlState == "42501" ? CenateErrorKind.PermissionDenied : CenateErrorKind.InvalidOperation,
                $"Creating the read-only role '{role}' failed ({ex.SqlState}): {ex.MessageText}. Nothing was changed.",
                ex.SqlState == "42501" ? "Run it as a role with CREATEROLE (or the database owner)." : "See the server log.", role);
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    private static string Summarize(List<string> items) =>
        items.Count <= 8 ? string.Join("; ", items) : string.Join("; ", items.Take(8)) + $"; and {items.Count - 8} more";

    private static async Task<bool> HasDirectAclAsync(NpgsqlConnection conn, string aclQuery, string role, string privilege, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM ({aclQuery}) x(acl) CROSS JOIN LATERAL pg_catalog.aclexplode(x.acl) a " +
            "JOIN pg_catalog.pg_roles g ON g.oid = a.grantee WHERE g.rolname = @r AND a.privilege_type = @p)", conn);
        cmd.Parameters.AddWithValue("r", role);
        cmd.Parameters.AddWithValue("p", privilege);
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }
}
