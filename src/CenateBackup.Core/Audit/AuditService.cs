using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Targets;
using Npgsql;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Audit;

/// <summary>Operations an audit trigger logs.</summary>
[Flags]
public enum AuditOperations
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>Every deleted row.</summary>
    Delete = 1,
    /// <summary>Every row (or the count) before a TRUNCATE.</summary>
    Truncate = 2,
    /// <summary>Old and new row of every update.</summary>
    Update = 4,
}

/// <summary>What Install/Uninstall-CenateAuditTrigger is asked to do.</summary>
public sealed class AuditRequest
{
    /// <summary>The database.</summary>
    public required DatabaseTarget Target { get; init; }
    /// <summary>Table name.</summary>
    public required string Table { get; init; }
    /// <summary>Schema (null: search_path).</summary>
    public string? Schema { get; init; }
    /// <summary>Operations to log.</summary>
    public AuditOperations Operations { get; init; } = AuditOperations.Delete | AuditOperations.Truncate;
    /// <summary>Schema of the log and the trigger functions.</summary>
    public string AuditSchema { get; init; } = "cenate_audit";
    /// <summary>TRUNCATE: copy every row (Rows) or only count them (CountOnly).</summary>
    public bool TruncateCountOnly { get; init; }
    /// <summary>Uninstall: also drop the log (and the audit schema when empty).</summary>
    public bool RemoveLog { get; init; }
    /// <summary>Install: the NOLOGIN role that owns the log and its functions (created if missing).</summary>
    public string AuditOwner { get; init; } = DefaultAuditOwner;
    /// <summary>The audit owner role when none is named.</summary>
    public const string DefaultAuditOwner = "cenate_audit_owner";
}

/// <summary>What an install or uninstall did (or, planned, would do).</summary>
public sealed class AuditResult
{
    /// <summary>schema.table.</summary>
    public string Table { get; set; } = "";
    /// <summary>The audit schema.</summary>
    public string AuditSchema { get; set; } = "";
    /// <summary>Triggers on the table after the run (cenate_audit_delete, …).</summary>
    public List<string> Triggers { get; } = new();
    /// <summary>The SQL run (or to run), in order.</summary>
    public List<string> Steps { get; } = new();
    /// <summary>True when something changed (false: already as asked).</summary>
    public bool Changed { get; set; }
    /// <summary>Rows in the log for this table.</summary>
    public long LogRows { get; set; }
    /// <summary>The role that owns the log (after the run; empty when there is no log).</summary>
    public string AuditOwner { get; set; } = "";
    /// <summary>What the admin must know that did not stop the run (a superuser table owner, no guard).</summary>
    public List<string> Warnings { get; } = new();
    /// <summary>The request this plan was made for (what <see cref="AuditService.ExecuteAsync"/> carries out).</summary>
    internal AuditRequest? Request { get; set; }
    /// <summary>Install (true) or uninstall.</summary>
    internal bool Install { get; set; }
}

/// <summary>
/// Install-CenateAuditTrigger and Uninstall-CenateAuditTrigger: an append-only audit log and triggers that keep every
/// deleted (and truncated, optionally updated) row. The SQL lives in embedded .sql files; identifiers are quoted; all of
/// it runs in one transaction, so nothing is ever half installed.
/// </summary>
public static class AuditService
{
    private static readonly (AuditOperations Op, string Trigger, string Section)[] s_triggers =
    {
        (AuditOperations.Delete, "cenate_audit_delete", "--@delete"),
        (AuditOperations.Truncate, "cenate_audit_truncate", "--@truncate"),
        (AuditOperations.Update, "cenate_audit_update", "--@update"),
    };

    internal static string ReadSql(string name)
    {
        using var stream = typeof(AuditService).Assembly.GetManifestResourceStream("CenateBackup.Audit." + name + ".sql")
            ?? throw new InvalidOperationException($"Embedded SQL '{name}' is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Plans the install of the log and the table's triggers: the SQL steps, nothing changed.</summary>
    public static Task<AuditResult> PlanInstallAsync(AuditRequest request, IOperationReporter reporter, CancellationToken cancellationToken) =>
        RunAsync(request, null, install: true, reporter, cancellationToken);

    /// <summary>Plans the removal of the table's triggers (and, with RemoveLog, of the log): nothing changed.</summary>
    public static Task<AuditResult> PlanUninstallAsync(AuditRequest request, IOperationReporter reporter, CancellationToken cancellationToken) =>
        RunAsync(request, null, install: false, reporter, cancellationToken);

    /// <summary>
    /// Carries out a plan from <see cref="PlanInstallAsync"/> or <see cref="PlanUninstallAsync"/> in one transaction; when
    /// the database no longer needs exactly those steps, nothing changes (PlanChanged). A second install changes nothing.
    /// </summary>
    public static Task<AuditResult> ExecuteAsync(AuditResult plan, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var request = plan.Request ?? throw new ArgumentException("Not a plan made by AuditService.", nameof(plan));
        return RunAsync(request, plan, plan.Install, reporter, cancellationToken);
    }

    private static async Task<AuditResult> RunAsync(AuditRequest request, AuditResult? confirmed, bool install, IOperationReporter reporter, CancellationToken ct)
    {
        var dryRun = confirmed is null;
        await using var session = await DatabaseSession.OpenAsync(request.Target, null, reporter, ct).ConfigureAwait(false);
        var conn = session.Connection;
        try
        {
            var table = await session.ResolveTableAsync(request.Table, request.Schema, ct).ConfigureAwait(false);
            var audit = QualifiedTable.Quote(request.AuditSchema);
            var result = new AuditResult { Table = table.Display, AuditSchema = request.AuditSchema, Request = request, Install = install };
            var existing = await TriggersAsync(conn, table, ct).ConfigureAwait(false);
            var logExists = await ScalarAsync<bool>(conn, "SELECT pg_catalog.to_regclass(@r) IS NOT NULL", ct, ("r", audit + ".audit_log")).ConfigureAwait(false);
            // Up to date: the three functions (the row-image writers calling row_shape), row_shape, the row-image columns and the shape table. A log installed by an earlier
            // version lacks the image: install-log.sql (idempotent) adds it and replaces the functions.
            var functionsOk = logExists && await ScalarAsync<bool>(conn,
                "SELECT (SELECT count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = @s AND p.proname IN ('log_deleted_rows', 'log_updated_row', 'log_truncate') AND p.prosecdef) = 3 " +
                "AND (SELECT count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = @s AND p.proname IN ('log_deleted_rows', 'log_truncate') AND p.prosrc LIKE '%old_row_image%' AND p.prosrc LIKE '%row_shape(TG_RELID)%') = 2 " +
                "AND (SELECT count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = @s AND p.proname = 'row_shape') = 1 " +
                "AND (SELECT count(*) FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass(@log) AND attname IN ('old_row_image', 'old_row_shape') AND NOT attisdropped) = 2 " +
                "AND pg_catalog.to_regclass(@shape) IS NOT NULL",
                ct, ("s", request.AuditSchema), ("log", audit + ".audit_log"), ("shape", audit + ".audit_row_shape")).ConfigureAwait(false);
            if (install) await PlanInstallStepsAsync(conn, request, table, existing, functionsOk, result, ct).ConfigureAwait(false);
            else await PlanUninstallStepsAsync(conn, request, table, existing, logExists, result, ct).ConfigureAwait(false);
            result.Changed = result.Steps.Count > 0;
            if (confirmed is not null) ConfirmedPlan.Require(confirmed.Steps, result.Steps, table.Display);
            if (!dryRun && result.Changed)
            {
                await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
                // No name chosen by a user is ever put into a string literal here, but the fixed literals must mean the same
                // whatever the server's default.
                await ExecAsync(conn, "SET LOCAL standard_conforming_strings = on", ct).ConfigureAwait(false);
                foreach (var sql in result.Steps) await ExecAsync(conn, sql, ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
                reporter.Verbose($"{result.Steps.Count} steps run in one transaction on {table.Display}.");
            }
            else if (!result.Changed)
            {
                reporter.Verbose(install ? $"The audit of {table.Display} is already installed as asked; nothing changed." : $"{table.Display} has no such audit trigger; nothing changed.");
            }
            result.Triggers.AddRange(dryRun ? existing : await TriggersAsync(conn, table, ct).ConfigureAwait(false));
            result.AuditOwner = await ScalarAsync<string?>(conn, "SELECT pg_catalog.pg_get_userbyid(c.relowner)::text FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass(@r)", ct,
                ("r", audit + ".audit_log")).ConfigureAwait(false) ?? (install && dryRun ? request.AuditOwner : "");
            if (await ScalarAsync<bool>(conn, "SELECT pg_catalog.to_regclass(@r) IS NOT NULL", ct, ("r", audit + ".audit_log")).ConfigureAwait(false))
            {
                result.LogRows = await ScalarAsync<long>(conn, $"SELECT count(*) FROM {audit}.audit_log WHERE schema_name = @s AND table_name = @t", ct,
                    ("s", table.Schema), ("t", table.Name)).ConfigureAwait(false);
            }
            return result;
        }
        catch (PostgresException ex) when (ex.SqlState == "42501")
        {
            // The guard, or a log that belongs to the audit owner: say who may do this, not only which privilege is missing.
            throw new CenateException(ErrorIds.InsufficientPrivilege, CenateErrorKind.PermissionDenied,
                Messages.Format("InsufficientPrivilege.4", request.Target.User,
                    Messages.Get(install ? "Audit.Verb.Install" : "Audit.Verb.Remove"), request.Table, ex.MessageText),
                Messages.Get("InsufficientPrivilege.Action.4"),
                request.Table, ex);
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    /// <summary>Install: the log (as the audit owner), the guard, the owner's grants and the missing triggers.</summary>
    private static async Task PlanInstallStepsAsync(NpgsqlConnection conn, AuditRequest request, QualifiedTable table,
        IReadOnlyCollection<string> existing, bool functionsOk, AuditResult result, CancellationToken ct)
    {
        var audit = QualifiedTable.Quote(request.AuditSchema);
        await RequireSupportedTableAsync(conn, table, ct).ConfigureAwait(false);
        var owner = QualifiedTable.Quote(request.AuditOwner);
        var ownership = await AuditOwnership.PlanAsync(conn, table, request.AuditSchema, request.AuditOwner, ct).ConfigureAwait(false);
        result.Warnings.AddRange(ownership.Warnings);
        var guard = AuditOwnership.GuardName(request.AuditSchema);
        // Up to date also means: the functions of this version (the guard; log_truncate finds the log through its
        // search_path), owned as expected, and with a superuser installing, the guard's two event triggers enabled.
        var current = functionsOk && ownership.OwnedAsExpected && await ScalarAsync<bool>(conn,
            "SELECT pg_catalog.to_regprocedure(@g) IS NOT NULL " +
            "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = @s AND p.proname = 'log_truncate' AND p.prosrc LIKE '%\\%I.audit_log%') " +
            "AND (NOT @super OR (SELECT count(*) FROM pg_catalog.pg_event_trigger e WHERE e.evtname IN (@e1, @e2) AND e.evtenabled = 'O' AND e.evtfoid = pg_catalog.to_regprocedure(@g)) = 2)",
            ct, ("g", audit + ".guard_audit_triggers()"), ("s", request.AuditSchema), ("super", ownership.InstallerIsSuperuser), ("e1", guard), ("e2", guard + "_drop")).ConfigureAwait(false);
        if (!current)
        {
            result.Steps.AddRange(ownership.Steps);
            // The log's own SQL runs as the audit owner, so everything it creates belongs to that role.
            result.Steps.Add($"SET LOCAL ROLE {owner}");
            result.Steps.Add(Fill(ReadSql("install-log"), audit, guard));
            result.Steps.Add("RESET ROLE");
            if (ownership.InstallerIsSuperuser) result.Steps.Add(Fill(ReadSql("install-guard"), audit, guard));
        }
        // log_truncate reads the table as the audit owner (copy or count): it needs SELECT on it and USAGE on its schema.
        if (request.Operations.HasFlag(AuditOperations.Truncate) || existing.Contains("cenate_audit_truncate"))
        {
            var (usage, select) = ownership.OwnerExists
                ? await PrivilegesAsync(conn, request.AuditOwner, table, ct).ConfigureAwait(false)
                : (false, false);
            if (!usage) result.Steps.Add($"GRANT USAGE ON SCHEMA {QualifiedTable.Quote(table.Schema)} TO {owner}");
            if (!select) result.Steps.Add($"GRANT SELECT ON TABLE {table.Sql} TO {owner}");
        }
        var sections = SplitSections(ReadSql("install-triggers"));
        foreach (var (op, trigger, section) in s_triggers)
        {
            if (!request.Operations.HasFlag(op) || existing.Contains(trigger)) continue;
            result.Steps.Add(sections[section].Replace("{{table}}", table.Sql, StringComparison.Ordinal).Replace("{{audit}}", audit, StringComparison.Ordinal)
                .Replace("{{truncate_mode}}", request.TruncateCountOnly ? "CountOnly" : "Rows", StringComparison.Ordinal));
        }
    }

    /// <summary>Uninstall: the table's triggers and, with RemoveLog, the log when no other table's trigger writes to it.</summary>
    private static async Task PlanUninstallStepsAsync(NpgsqlConnection conn, AuditRequest request, QualifiedTable table,
        IReadOnlyCollection<string> existing, bool logExists, AuditResult result, CancellationToken ct)
    {
        var audit = QualifiedTable.Quote(request.AuditSchema);
        foreach (var (op, trigger, _) in s_triggers)
        {
            if (request.Operations.HasFlag(op) && existing.Contains(trigger)) result.Steps.Add($"DROP TRIGGER {trigger} ON {table.Sql}");
        }
        if (request.RemoveLog && logExists)
        {
            // The log is shared by every audited table: it goes only when no audit trigger anywhere still writes to it.
            // Matched by the table's oid, not by its name as text (a quoted name never equals its display form).
            var dropped = s_triggers.Where(x => request.Operations.HasFlag(x.Op) && existing.Contains(x.Trigger)).Select(x => x.Trigger).ToArray();
            var others = new List<string>();
            await using (var cmd = new NpgsqlCommand("SELECT tg.tgrelid::pg_catalog.regclass::text || '.' || tg.tgname FROM pg_catalog.pg_trigger tg " +
                "JOIN pg_catalog.pg_proc p ON p.oid = tg.tgfoid JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = @s " +
                "AND NOT (tg.tgrelid = @t::pg_catalog.regclass AND tg.tgname = ANY(@d)) ORDER BY 1", conn))
            {
                cmd.Parameters.AddWithValue("s", request.AuditSchema);
                cmd.Parameters.AddWithValue("t", table.Sql);
                cmd.Parameters.AddWithValue("d", dropped);
                await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await r.ReadAsync(ct).ConfigureAwait(false)) others.Add(r.GetString(0));
            }
            if (others.Count > 0)
            {
                throw new CenateException(ErrorIds.AuditLogInUse, CenateErrorKind.InvalidOperation,
                    Messages.Format("AuditLogInUse", string.Join(", ", others)),
                    Messages.Get("AuditLogInUse.Action"), request.AuditSchema);
            }
            // The guard's event triggers first (they depend on its function); only a superuser may drop them.
            var guard = AuditOwnership.GuardName(request.AuditSchema);
            if (await ScalarAsync<bool>(conn, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname IN (@e1, @e2))", ct, ("e1", guard), ("e2", guard + "_drop")).ConfigureAwait(false))
                result.Steps.Add($"DROP EVENT TRIGGER IF EXISTS {guard}; DROP EVENT TRIGGER IF EXISTS {guard}_drop");
            result.Steps.Add($"DROP FUNCTION IF EXISTS {audit}.guard_audit_triggers()");
            result.Steps.Add($"DROP FUNCTION {audit}.log_deleted_rows(), {audit}.log_updated_row(), {audit}.log_truncate()");
            result.Steps.Add($"DROP FUNCTION IF EXISTS {audit}.row_shape(oid)");
            result.Steps.Add($"DROP TABLE {audit}.audit_log");
            result.Steps.Add($"DROP TABLE IF EXISTS {audit}.audit_row_shape");
            result.Steps.Add($"DROP SCHEMA {audit}");
        }
    }

    /// <summary>
    /// Partitioned tables, partitions and tables in an inheritance tree are refused: a statement trigger on one of them
    /// does not see the rows a statement on another removes (DELETE through the parent, TRUNCATE of the parent copies
    /// FROM ONLY the parent, which holds no rows), so their deletions would go unlogged, or be logged as 0 rows.
    /// </summary>
    private static async Task RequireSupportedTableAsync(NpgsqlConnection conn, QualifiedTable table, CancellationToken ct)
    {
        var kind = await ScalarAsync<string>(conn,
            // A code and the parent's name (the words come from the resources, in the admin's language).
            "SELECT CASE WHEN c.relkind = 'p' THEN 'PartitionedTable' WHEN c.relispartition THEN 'PartitionOf' || chr(9) || i.inhparent::pg_catalog.regclass::text " +
            "WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhparent = c.oid) THEN 'InheritanceParent' " +
            "WHEN i.inhparent IS NOT NULL THEN 'InheritsFrom' || chr(9) || i.inhparent::pg_catalog.regclass::text ELSE '' END " +
            "FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_inherits i ON i.inhrelid = c.oid AND i.inhseqno = 1 WHERE c.oid = @t::pg_catalog.regclass", ct, ("t", table.Sql)).ConfigureAwait(false);
        if (kind.Length == 0) return;
        var tab = kind.IndexOf('\t', StringComparison.Ordinal);
        var parent = tab < 0 ? "" : kind[(tab + 1)..];
        var what = (tab < 0 ? kind : kind[..tab]) switch
        {
            "PartitionedTable" => Messages.Get("AuditHierarchy.PartitionedTable"),
            "PartitionOf" => Messages.Format("AuditHierarchy.PartitionOf", parent),
            "InheritanceParent" => Messages.Get("AuditHierarchy.InheritanceParent"),
            _ => Messages.Format("AuditHierarchy.InheritsFrom", parent),
        };
        throw new CenateException(ErrorIds.TableNotSupported, CenateErrorKind.InvalidOperation,
            Messages.Format("TableNotSupported.3", table.Display, what),
            Messages.Get("TableNotSupported.Action.2"), table.Display);
    }

    private static async Task<(bool Usage, bool Select)> PrivilegesAsync(NpgsqlConnection conn, string role, QualifiedTable table, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_catalog.has_schema_privilege(@r, @s, 'USAGE'), pg_catalog.has_table_privilege(@r, @t, 'SELECT')", conn);
        cmd.Parameters.AddWithValue("r", role);
        cmd.Parameters.AddWithValue("s", table.Schema);
        cmd.Parameters.AddWithValue("t", table.Sql);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return (r.GetBoolean(0), r.GetBoolean(1));
    }

    /// <summary>
    /// Puts the quoted audit schema and the guard's name into an embedded script. Comment lines go first: a quoted name
    /// may hold a newline, which inside a -- comment would end it and turn the rest of the name into SQL.
    /// </summary>
    private static string Fill(string sql, string audit, string guard) =>
        string.Join("\n", sql.Split('\n').Where(l => !l.TrimStart().StartsWith("--", StringComparison.Ordinal)))
            .Replace("{{audit}}", audit, StringComparison.Ordinal).Replace("{{guard}}", guard, StringComparison.Ordinal);

    private static Dictionary<string, string> SplitSections(string sql)
    {
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        string? current = null;
        foreach (var line in sql.Split('\n'))
        {
            if (line.StartsWith("--@", StringComparison.Ordinal)) { current = line.Trim(); sections[current] = ""; continue; }
            if (current is not null && !line.StartsWith("--", StringComparison.Ordinal)) sections[current] += line + "\n";
        }
        return sections;
    }

    private static async Task<List<string>> TriggersAsync(NpgsqlConnection conn, QualifiedTable table, CancellationToken ct)
    {
        var list = new List<string>();
        await using var cmd = new NpgsqlCommand("SELECT tgname::text FROM pg_catalog.pg_trigger WHERE tgrelid = @t::pg_catalog.regclass AND tgname LIKE 'cenate\\_audit\\_%' ORDER BY 1", conn);
        cmd.Parameters.AddWithValue("t", table.Sql);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(r.GetString(0));
        return list;
    }

    private static async Task ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (n, v) in parameters) cmd.Parameters.AddWithValue(n, v);
        var value = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return value is DBNull ? default! : (T)value!;
    }
}
