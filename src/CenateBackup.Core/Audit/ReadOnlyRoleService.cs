using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Targets;
using Npgsql;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Audit;

/// <summary>New-CenateReadOnlyRole (plan 3.3): a login role that can only read, planned first, then carried out.</summary>
public static class ReadOnlyRoleService
{
    /// <summary>
    /// Creates a LOGIN role that can only read: CONNECT on the database, USAGE and SELECT on the schemas' tables, SELECT
    /// on their future tables; optionally read-only views v_&lt;table&gt;_readonly. One transaction. An existing role is
    /// refused when it can write anything (RoleNotReadOnly) or has — or may have — a password it was not given by this
    /// cmdlet (RoleExists), unless <paramref name="force"/>; its password changes only with a password AND force.
    /// <see cref="ReadOnlyRoleResult.Changes"/> says exactly what changes.
    /// </summary>
    public static Task<ReadOnlyRoleResult> PlanAsync(DatabaseTarget target, string role, string? password, IReadOnlyCollection<string> schemas,
        IReadOnlyCollection<string> views, bool force, IOperationReporter reporter, CancellationToken ct) =>
        RunAsync(target, role, password, schemas, views, force, null, reporter, ct);

    /// <summary>Carries out a plan from <see cref="PlanAsync"/>: its steps in one transaction, or nothing (PlanChanged).</summary>
    public static Task<ReadOnlyRoleResult> ExecuteAsync(ReadOnlyRoleResult plan, IOperationReporter reporter, CancellationToken ct) =>
        (plan?.Run ?? throw new ArgumentException("Not a plan made by ReadOnlyRoleService.PlanAsync.", nameof(plan)))(reporter, ct);

    /// <summary>The role as it is: its attributes, whether it is the session's own, and its comment.</summary>
    private sealed record RoleState(bool Login, bool Super, bool CreateDb, bool CreateRole, bool Replication, bool BypassRls, bool IsSelf,
        string? Comment)
    {
        public bool Marked => string.Equals(Comment, ProtectionService.ReadOnlyRoleMarker, StringComparison.Ordinal);
    }

    private static async Task<ReadOnlyRoleResult> RunAsync(DatabaseTarget target, string role, string? password, IReadOnlyCollection<string> schemas,
        IReadOnlyCollection<string> views, bool force, ReadOnlyRoleResult? confirmed, IOperationReporter reporter, CancellationToken ct)
    {
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        var conn = session.Connection;
        try
        {
            var result = new ReadOnlyRoleResult { Role = role };
            result.Run = (rep, c) => RunAsync(target, role, password, schemas, views, force, result, rep, c);
            var r = QualifiedTable.Quote(role);
            var state = await ReadRoleAsync(conn, role, ct).ConfigureAwait(false);
            result.Created = state is null;
            state ??= new RoleState(false, false, false, false, false, false, false, null);
            if (result.Created && password is null)
            {
                throw new CenateException(ErrorIds.PasswordRequired, CenateErrorKind.InvalidArgument,
                    Messages.Format("PasswordRequired", role), Messages.Get("PasswordRequired.Action"), role);
            }
            if (!result.Created) await CheckExistingAsync(conn, role, state, force, result, ct).ConfigureAwait(false);
            var setPassword = password is not null && (result.Created || force);
            var verifier = Verifier(role, password, setPassword, result);
            var steps = new List<(string Shown, string Run)>();
            RoleSteps(role, r, state, setPassword, verifier, result, steps);
            await GrantStepsAsync(conn, target, role, r, schemas, result, steps, ct).ConfigureAwait(false);
            await ViewStepsAsync(session, role, r, views, result, steps, ct).ConfigureAwait(false);
            result.Steps.AddRange(steps.Select(s => s.Shown));
            if (confirmed is null) return result;
            ConfirmedPlan.Require(confirmed.Steps, result.Steps, role);
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
                Messages.Format("ReadOnlyRoleService.Error", role, ex.SqlState, ex.MessageText),
                Messages.Get(ex.SqlState == "42501" ? "ReadOnlyRoleService.Error.Action.Privilege"
                    : "ReadOnlyRoleService.Error.Action"), role);
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    private static async Task<RoleState?> ReadRoleAsync(NpgsqlConnection conn, string role, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls, " +
            "r.rolname = current_user, pg_catalog.shobj_description(r.oid, 'pg_authid') FROM pg_catalog.pg_roles r WHERE r.rolname = @r", conn);
        cmd.Parameters.AddWithValue("r", role);
        await using var rd = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await rd.ReadAsync(ct).ConfigureAwait(false)) return null;
        return new RoleState(rd.GetBoolean(0), rd.GetBoolean(1), rd.GetBoolean(2), rd.GetBoolean(3), rd.GetBoolean(4), rd.GetBoolean(5),
            rd.GetBoolean(6), rd.IsDBNull(7) ? null : rd.GetString(7));
    }

    /// <summary>An existing role is adopted only when it is safe to, or with -Force (then the warnings say what it keeps).</summary>
    private static async Task CheckExistingAsync(NpgsqlConnection conn, string role, RoleState state, bool force, ReadOnlyRoleResult result,
        CancellationToken ct)
    {
        var (login, isSelf, marked) = (state.Login, state.IsSelf, state.Marked);
        if (isSelf)
        {
            throw new CenateException(ErrorIds.RoleNotReadOnly, CenateErrorKind.InvalidOperation,
                Messages.Format("RoleNotReadOnly", role),
                Messages.Get("RoleNotReadOnly.Action"), role);
        }
        var writes = await RolePrivileges.WriteCapabilitiesAsync(conn, role, ct).ConfigureAwait(false);
        var hasPassword = await RolePrivileges.HasPasswordAsync(conn, role, ct).ConfigureAwait(false);
        if (writes.Count > 0 && !force)
        {
            throw new CenateException(ErrorIds.RoleNotReadOnly, CenateErrorKind.InvalidOperation,
                Messages.Format("RoleNotReadOnly.2", role, Summarize(writes)),
                Messages.Get("RoleNotReadOnly.Action.2"), role);
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
                Messages.Format("RoleExists", role, members),
                Messages.Get("RoleExists.Action"), role);
        }
        if (members is not null) result.Warnings.Add(Messages.Format("Warning.ReadOnlyRole.Members", role, members));
        if (!marked && hasPassword != false && !force)
        {
            var why = Messages.Get(hasPassword == true ? "RoleExists.Why.Password"
                : login ? "RoleExists.Why.Login" : "RoleExists.Why.Maybe");
            throw new CenateException(ErrorIds.RoleExists, CenateErrorKind.ResourceExists,
                Messages.Format("RoleExists.2", role, why),
                Messages.Get("RoleExists.Action.2"), role);
        }
        foreach (var w in writes) result.Warnings.Add(Messages.Format("Warning.ReadOnlyRole.Keeps", role, w));
    }

    /// <summary>The SCRAM verifier sent instead of the password (null when the password is not set).</summary>
    private static string? Verifier(string role, string? password, bool setPassword, ReadOnlyRoleResult result)
    {
        if (password is not null && !setPassword)
        {
            result.Warnings.Add(Messages.Format("Warning.ReadOnlyRole.PasswordKept", role));
        }
        string? verifier = null;
        if (setPassword)
        {
            try { verifier = ProtectionService.ScramVerifier(password!); }
            catch (ArgumentException ex)
            {
                throw new CenateException(ErrorIds.PasswordInvalid, CenateErrorKind.InvalidArgument,
                    Messages.Format("PasswordInvalid.Unchanged", ex.Message),
                        Messages.Get("PasswordInvalid.Action"), role);
            }
            var nfkc = Encoding.UTF8.GetBytes(password!.Normalize(NormalizationForm.FormKC));
            if (!nfkc.AsSpan().SequenceEqual(SaslPrep.PasswordBytes(password)))
            {
                result.Warnings.Add(Messages.Get("Warning.ReadOnlyRole.SaslPrep"));
            }
        }
        return verifier;
    }

    private static void RoleSteps(string role, string r, RoleState state, bool setPassword, string? verifier, ReadOnlyRoleResult result,
        List<(string Shown, string Run)> steps)
    {
        var (login, super, createDb, createRole, replication, bypassRls) =
            (state.Login, state.Super, state.CreateDb, state.CreateRole, state.Replication, state.BypassRls);
        var (comment, marked) = (state.Comment, state.Marked);
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
            var sql = $"COMMENT ON ROLE {r} IS {SqlText.Literal(ProtectionService.ReadOnlyRoleMarker)}";
            steps.Add((sql, sql));
            if (!result.Created) result.Changes.Add(comment is null ? $"Role '{role}' marked as a CenateBackup read-only role (COMMENT ON ROLE)." : $"The comment of role '{role}' ('{comment}') replaced by '{ProtectionService.ReadOnlyRoleMarker}'.");
        }
    }

    private static async Task GrantStepsAsync(NpgsqlConnection conn, DatabaseTarget target, string role, string r,
        IReadOnlyCollection<string> schemas, ReadOnlyRoleResult result, List<(string Shown, string Run)> steps, CancellationToken ct)
    {
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
    }

    private static async Task ViewStepsAsync(DatabaseSession session, string role, string r, IReadOnlyCollection<string> views,
        ReadOnlyRoleResult result, List<(string Shown, string Run)> steps, CancellationToken ct)
    {
        var conn = session.Connection;
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
                                Messages.Format("ReadOnlyViewUnsafe.Action", t.Schema, t.Name), v);
                        }
                    }
                }
                result.Changes.Add(exists ? $"View {t.Schema}.v_{t.Name}_readonly replaced (SELECT * FROM {t.Display}), readable by '{role}' only." : $"View {t.Schema}.v_{t.Name}_readonly created (SELECT * FROM {t.Display}), readable by '{role}' only.");
            }
            foreach (var sql in new[] { $"CREATE OR REPLACE VIEW {v} WITH (security_barrier) AS SELECT * FROM {t.Sql}", $"REVOKE ALL ON {v} FROM PUBLIC", $"GRANT SELECT ON {v} TO {r}" })
                steps.Add((sql, sql));
            result.Views.Add(t.Schema + ".v_" + t.Name + "_readonly");
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
