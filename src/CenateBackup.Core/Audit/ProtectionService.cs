using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Dumps;
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
    /// <paramref name="allExcept"/> and the owner. One transaction; dry run changes nothing.
    /// </summary>
    public static async Task<ProtectResult> ProtectAsync(DatabaseTarget target, string table, string? schema, IReadOnlyCollection<string>? roles,
        IReadOnlyCollection<string>? allExcept, bool dryRun, IOperationReporter reporter, CancellationToken ct)
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
            }
            else
            {
                var keep = new HashSet<string>(allExcept ?? Array.Empty<string>(), StringComparer.Ordinal) { owner };
                targets = result.Before.Where(g => !keep.Contains(g.Role) && (g.Privileges.Contains("DELETE", StringComparison.Ordinal) || g.Privileges.Contains("TRUNCATE", StringComparison.Ordinal)))
                    .Select(g => g.Role).ToList();
            }
            foreach (var role in targets)
            {
                var grantee = string.Equals(role, "PUBLIC", StringComparison.OrdinalIgnoreCase) ? "PUBLIC" : QualifiedTable.Quote(role);
                result.Steps.Add($"REVOKE DELETE, TRUNCATE ON TABLE {t.Sql} FROM {grantee}");
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
            var still = result.After.Where(g => result.Roles.Contains(g.Role, StringComparer.OrdinalIgnoreCase)
                && (g.Privileges.Contains("DELETE", StringComparison.Ordinal) || g.Privileges.Contains("TRUNCATE", StringComparison.Ordinal))).Select(g => g.Role).ToList();
            if (still.Count > 0)
            {
                await tx.RollbackAsync(ct).ConfigureAwait(false);
                throw new CenateException(ErrorIds.InsufficientPrivilege, CenateErrorKind.PermissionDenied,
                    $"{string.Join(", ", still)} would keep DELETE or TRUNCATE on {t.Display}: the privilege was granted by another role, and only it (or the owner, or a superuser) can revoke it. Nothing was changed.",
                    $"Run Protect-CenateTable as the table's owner ({owner}) or a superuser.", t.Display);
            }
            if (dryRun) await tx.RollbackAsync(ct).ConfigureAwait(false);
            else await tx.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
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

    /// <summary>
    /// Creates (or brings up to date) a LOGIN role that can only read: CONNECT on the database, USAGE and SELECT on the
    /// schemas' tables, SELECT on their future tables; optionally read-only views v_&lt;table&gt;_readonly. One transaction.
    /// </summary>
    public static async Task<ReadOnlyRoleResult> NewReadOnlyRoleAsync(DatabaseTarget target, string role, string password, IReadOnlyCollection<string> schemas,
        IReadOnlyCollection<string> views, bool dryRun, IOperationReporter reporter, CancellationToken ct)
    {
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        var conn = session.Connection;
        try
        {
            var result = new ReadOnlyRoleResult { Role = role };
            await using (var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname = @r", conn))
            {
                cmd.Parameters.AddWithValue("r", role);
                result.Created = (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 0;
            }
            if (!result.Created)
            {
                // Never turn an existing administrator or application owner into a read-only role (it would lose its rights).
                await using var cmd = new NpgsqlCommand("SELECT r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relowner = r.oid) " +
                    "FROM pg_catalog.pg_roles r WHERE r.rolname = @r", conn);
                cmd.Parameters.AddWithValue("r", role);
                if ((bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
                {
                    throw new CenateException(ErrorIds.RoleNotReadOnly, CenateErrorKind.InvalidOperation,
                        $"Role '{role}' exists and is not a read-only role (it is a superuser, may create roles or databases, or owns tables). Nothing was changed.",
                        "Choose another name for the read-only role.", role);
                }
            }
            var r = QualifiedTable.Quote(role);
            var verifier = ScramVerifier(password);
            var steps = new List<(string Shown, string Run)>
            {
                result.Created
                    ? ($"CREATE ROLE {r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD '<SCRAM-SHA-256 verifier>'", $"CREATE ROLE {r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD '{verifier}'")
                    : ($"ALTER ROLE {r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '<SCRAM-SHA-256 verifier>'", $"ALTER ROLE {r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{verifier}'"),
                ($"GRANT CONNECT ON DATABASE {QualifiedTable.Quote(target.Database)} TO {r}", $"GRANT CONNECT ON DATABASE {QualifiedTable.Quote(target.Database)} TO {r}"),
            };
            foreach (var schema in schemas)
            {
                var s = QualifiedTable.Quote(schema);
                foreach (var sql in new[] { $"GRANT USAGE ON SCHEMA {s} TO {r}", $"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r}", $"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT ON TABLES TO {r}" })
                    steps.Add((sql, sql));
                result.Schemas.Add(schema);
            }
            foreach (var view in views)
            {
                var (viewSchema, viewTable) = QualifiedTable.Split(view);
                var t = await session.ResolveTableAsync(viewTable, viewSchema, ct).ConfigureAwait(false);
                var v = QualifiedTable.Quote(t.Schema) + "." + QualifiedTable.Quote("v_" + t.Name + "_readonly");
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
}
