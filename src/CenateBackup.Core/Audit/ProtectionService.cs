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
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Audit;

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
    public static Task<ProtectResult> PlanProtectAsync(DatabaseTarget target, string table, string? schema, IReadOnlyCollection<string>? roles,
        IReadOnlyCollection<string>? allExcept, bool includeInherited, IOperationReporter reporter, CancellationToken ct) =>
        ProtectCoreAsync(target, table, schema, roles, allExcept, includeInherited, null, reporter, ct);

    /// <summary>Carries out a plan from <see cref="PlanProtectAsync"/>: its revokes, or nothing (PlanChanged).</summary>
    public static Task<ProtectResult> ProtectAsync(ProtectResult plan, IOperationReporter reporter, CancellationToken ct) =>
        (plan?.Run ?? throw new ArgumentException("Not a plan made by PlanProtectAsync.", nameof(plan)))(reporter, ct);

    private static async Task<ProtectResult> ProtectCoreAsync(DatabaseTarget target, string table, string? schema,
        IReadOnlyCollection<string>? roles, IReadOnlyCollection<string>? allExcept, bool includeInherited,
        ProtectResult? confirmed, IOperationReporter reporter, CancellationToken ct)
    {
        var dryRun = confirmed is null;
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        var conn = session.Connection;
        try
        {
            var t = await session.ResolveTableAsync(table, schema, ct).ConfigureAwait(false);
            var result = new ProtectResult { Table = t.Display };
            result.Run = (r, c) =>
                ProtectCoreAsync(target, table, schema, roles, allExcept, includeInherited, result, r, c);
            result.Before.AddRange(await GrantsAsync(conn, t, ct).ConfigureAwait(false));
            var existing = await RoleNamesAsync(conn, ct).ConfigureAwait(false);
            var owner = await OwnerAsync(conn, t, ct).ConfigureAwait(false);
            // The rows of a partitioned (or inheritance) parent live in its partitions, and DELETE/TRUNCATE on a partition
            // is checked against the partition's own grants: every descendant is protected and checked with the parent.
            var relations = new List<QualifiedTable> { t };
            var owners = new HashSet<string>(StringComparer.Ordinal) { owner };
            await AddDescendantsAsync(conn, t, relations, owners, ct).ConfigureAwait(false);
            var targets = roles is not null
                ? await NamedTargetsAsync(conn, t, relations, roles, existing, ct).ConfigureAwait(false)
                : await GrantedTargetsAsync(conn, t, relations, owners, allExcept, result.Before, ct)
                    .ConfigureAwait(false);
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
            await CheckRevokedAsync(conn, tx, t, relations, owner, result, ct).ConfigureAwait(false);
            if (roles is not null)
            {
                await CheckEffectiveAsync(conn, tx, t, relations, roles, includeInherited, result, ct)
                    .ConfigureAwait(false);
            }
            // After the effective check, which adds -IncludeInherited's revokes to the steps; a mismatch rolls back.
            if (confirmed is not null) ConfirmedPlan.Require(confirmed.Steps, result.Steps, t.Display);
            if (dryRun) await tx.RollbackAsync(ct).ConfigureAwait(false);
            else await tx.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    private static async Task<HashSet<string>> RoleNamesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var existing = new HashSet<string>(StringComparer.Ordinal);
        await using var cmd = new NpgsqlCommand("SELECT rolname::text FROM pg_catalog.pg_roles", conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) existing.Add(r.GetString(0));
        return existing;
    }

    private static async Task<string> OwnerAsync(NpgsqlConnection conn, QualifiedTable t, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_catalog.pg_get_userbyid(relowner)::text " +
            "FROM pg_catalog.pg_class WHERE oid = @t::pg_catalog.regclass", conn);
        cmd.Parameters.AddWithValue("t", t.Sql);
        return (string)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>Adds the table's partitions and inheritance children (at any depth) and their owners.</summary>
    private static async Task AddDescendantsAsync(NpgsqlConnection conn, QualifiedTable t,
        List<QualifiedTable> relations, HashSet<string> owners, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "WITH RECURSIVE d(oid) AS (SELECT @t::pg_catalog.regclass::pg_catalog.oid UNION " +
            "SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN d ON i.inhparent = d.oid) " +
            "SELECT n.nspname::text, c.relname::text, pg_catalog.pg_get_userbyid(c.relowner)::text " +
            "FROM d JOIN pg_catalog.pg_class c ON c.oid = d.oid " +
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE d.oid <> @t::pg_catalog.regclass " +
            "ORDER BY 1, 2", conn);
        cmd.Parameters.AddWithValue("t", t.Sql);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            relations.Add(new QualifiedTable(r.GetString(0), r.GetString(1)));
            owners.Add(r.GetString(2));
        }
    }

    /// <summary>
    /// The roles named with -Role: each must exist, and none may own the table (or a partition) or be a superuser,
    /// because no revoke can stop those.
    /// </summary>
    private static async Task<List<string>> NamedTargetsAsync(NpgsqlConnection conn, QualifiedTable t,
        List<QualifiedTable> relations, IReadOnlyCollection<string> roles, HashSet<string> existing,
        CancellationToken ct)
    {
        var missing = roles.Where(r => !string.Equals(r, "PUBLIC", StringComparison.OrdinalIgnoreCase)
            && !existing.Contains(r)).ToList();
        if (missing.Count > 0)
        {
            throw new CenateException(ErrorIds.RoleNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("RoleNotFound", string.Join(", ", missing)),
                Messages.Get("RoleNotFound.Action"), string.Join(",", missing));
        }
        var targets = roles.ToList();
        foreach (var (role, rel) in targets.Where(r => !IsPublic(r)).SelectMany(r => relations.Select(rel => (r, rel))))
        {
            var display = rel == t ? rel.Display : $"{rel.Display} (a partition of {t.Display})";
            if (await RolePrivileges.BypassAsync(conn, role, rel.Sql, display, ct).ConfigureAwait(false)
                is not { } bypass) continue;
            throw bypass.Owner
                ? new CenateException(ErrorIds.RoleOwnsTable, CenateErrorKind.InvalidOperation,
                    Messages.Format("RoleOwnsTable", bypass.Reason),
                    Messages.Format("RoleOwnsTable.Action", rel.Sql, role), role)
                : new CenateException(ErrorIds.RoleIsSuperuser, CenateErrorKind.InvalidOperation,
                    Messages.Format("RoleIsSuperuser", bypass.Reason),
                    Messages.Format("RoleIsSuperuser.Action", role), role);
        }
        return targets;
    }

    /// <summary>
    /// Without -Role: every role granted DELETE or TRUNCATE on the table or a partition, but the owners and -AllExcept.
    /// </summary>
    private static async Task<List<string>> GrantedTargetsAsync(NpgsqlConnection conn, QualifiedTable t,
        List<QualifiedTable> relations, HashSet<string> owners, IReadOnlyCollection<string>? allExcept,
        List<TableGrant> before, CancellationToken ct)
    {
        var keep = new HashSet<string>(allExcept ?? Array.Empty<string>(), StringComparer.Ordinal);
        keep.UnionWith(owners);
        var targets = new List<string>();
        foreach (var rel in relations)
        {
            foreach (var g in rel == t ? before : await GrantsAsync(conn, rel, ct).ConfigureAwait(false))
            {
                if (!keep.Contains(g.Role) && !targets.Contains(g.Role, StringComparer.Ordinal)
                    && (g.Privileges.Contains("DELETE", StringComparison.Ordinal)
                        || g.Privileges.Contains("TRUNCATE", StringComparison.Ordinal)))
                    targets.Add(g.Role);
            }
        }
        return targets;
    }

    /// <summary>
    /// A REVOKE by a role that did not grant the privilege only warns on the server: check what is left.
    /// </summary>
    private static async Task CheckRevokedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, QualifiedTable t,
        List<QualifiedTable> relations, string owner, ProtectResult result, CancellationToken ct)
    {
        var left = new List<TableGrant>(result.After);
        foreach (var rel in relations.Skip(1)) left.AddRange(await GrantsAsync(conn, rel, ct).ConfigureAwait(false));
        var still = left.Where(g => result.Roles.Contains(g.Role, StringComparer.OrdinalIgnoreCase)
            && (g.Privileges.Contains("DELETE", StringComparison.Ordinal)
                || g.Privileges.Contains("TRUNCATE", StringComparison.Ordinal))).Select(g => g.Role).ToList();
        if (still.Count > 0)
        {
            await tx.RollbackAsync(ct).ConfigureAwait(false);
            throw new CenateException(ErrorIds.InsufficientPrivilege, CenateErrorKind.PermissionDenied,
                Messages.Format("InsufficientPrivilege.5", string.Join(", ", still), t.Display),
                Messages.Format("InsufficientPrivilege.Action.5", owner), t.Display);
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
            if (revocable.Count > 0) remedies.Add(Messages.Format("PrivilegeStillGranted.Remedy.Inherited",
                string.Join(", ", revocable)));
            if (paths.Any(p => p.Kind == PrivilegePathKind.PredefinedRole))
                remedies.Add(Messages.Get("PrivilegeStillGranted.Remedy.Predefined"));
            if (paths.Any(p => p.Kind == PrivilegePathKind.Direct))
                remedies.Add(Messages.Get("PrivilegeStillGranted.Remedy.Direct"));
            if (paths.Any(p => result.Inherited.Contains(p.Via, StringComparer.Ordinal)))
                remedies.Add(Messages.Get("PrivilegeStillGranted.Remedy.Grantor"));
            if (remedies.Count == 0) remedies.Add(Messages.Get("PrivilegeStillGranted.Remedy.Check"));
            throw new CenateException(ErrorIds.PrivilegeStillGranted, CenateErrorKind.InvalidOperation,
                Messages.Format("PrivilegeStillGranted", t.Display, detail),
                char.ToUpperInvariant(remedies[0][0]) + string.Join("; ", remedies)[1..] + ".", string.Join(",", paths.Select(p => p.Role).Distinct(StringComparer.Ordinal)));
        }
    }

    /// <summary>The SCRAM-SHA-256 verifier of a password (see <see cref="Scram.Verifier"/>).</summary>
    public static string ScramVerifier(string password, byte[]? salt = null, int iterations = 4096) => Scram.Verifier(password, salt, iterations);

    /// <summary>The comment that marks a role New-CenateReadOnlyRole created (COMMENT ON ROLE needs CREATEROLE/ADMIN on it).</summary>
    public const string ReadOnlyRoleMarker = "CenateBackup read-only role";
}
