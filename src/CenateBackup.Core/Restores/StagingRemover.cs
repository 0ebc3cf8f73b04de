using System;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Targets;
using Npgsql;

namespace CenateBackup.Core.Restores;

/// <summary>
/// Remove-CenateRestoreStaging: drops one staging schema or replaced table, in a transaction of its own, after reading
/// it again inside that transaction and proving it is the module's (<see cref="StagingMarker"/>, nothing foreign in
/// it). Nothing is dropped with CASCADE: the table goes with DROP TABLE and the schema with DROP SCHEMA, both RESTRICT,
/// so an object someone added meanwhile, or a view elsewhere that reads the copy, stops the drop instead of going
/// with it. Every name in the SQL comes from the catalog and is quoted here.
/// </summary>
public static class StagingRemover
{
    /// <summary>What would be dropped (nothing changed): StagingNotFound or StagingNotOurs when it may not be.</summary>
    public static async Task<StagingItem> PlanAsync(DatabaseTarget target, StagingKind? kind, string name,
        string? schema, IOperationReporter reporter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct).ConfigureAwait(false);
        try
        {
            return await FindOursAsync(session.Connection, target.Database, kind, name, schema, ct).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    /// <summary>
    /// Drops <paramref name="planned"/> (read again first; when it is no longer the object that was shown — dropped,
    /// or made again — StagingNotFound). Waits at most <paramref name="lockTimeout"/> for its locks.
    /// </summary>
    public static async Task<StagingItem> RemoveAsync(DatabaseTarget target, StagingItem planned, TimeSpan lockTimeout,
        IOperationReporter reporter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(planned);
        var lockMs = Math.Max(1L, (long)Math.Ceiling(lockTimeout.TotalMilliseconds));
        await using var session = await DatabaseSession.OpenAsync(target, null, reporter, ct,
            $"SET lock_timeout = {lockMs.ToString(CultureInfo.InvariantCulture)}").ConfigureAwait(false);
        var conn = session.Connection;
        try
        {
            await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            var item = await FindOursAsync(conn, target.Database, planned.Kind, planned.Name,
                planned.Kind == StagingKind.Replaced ? planned.Schema : null, ct).ConfigureAwait(false);
            if (item.Oid != planned.Oid) throw NotFound(item.Kind, Shown(item), target.Database);
            foreach (var sql in DropStatements(item))
            {
                reporter.Verbose(sql);
                await conn.ExecAsync(sql, ct).ConfigureAwait(false);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return item;
        }
        catch (PostgresException ex) when (ex.SqlState == "2BP01")
        {
            throw new CenateException(ErrorIds.DependentObjects, CenateErrorKind.InvalidOperation,
                Messages.Format("Staging.Dependents", Shown(planned), target.Database, ex.MessageText,
                    ex.Detail?.Replace('\n', ';')),
                Messages.Get("Staging.Dependents.Action"), Shown(planned), ex);
        }
        catch (PostgresException ex) when (ex.SqlState == "55P03" && !ct.IsCancellationRequested)
        {
            throw new CenateException(ErrorIds.LockTimeout, CenateErrorKind.ResourceBusy,
                Messages.Format("Staging.LockTimeout", Shown(planned), target.Database,
                    lockTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)),
                Messages.Get("Staging.LockTimeout.Action"), Shown(planned), ex);
        }
        catch (NpgsqlException ex)
        {
            throw session.Translate(ex);
        }
    }

    /// <summary>The statements that drop it, names quoted from the catalog; never CASCADE.</summary>
    public static string[] DropStatements(StagingItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var schemaQ = SqlText.Identifier(item.Schema);
        return item.Kind == StagingKind.Replaced
            ? new[] { $"DROP TABLE {schemaQ}.{SqlText.Identifier(item.Name)} RESTRICT" }
            : item.Tables.Select(t => $"DROP TABLE {schemaQ}.{SqlText.Identifier(t)} RESTRICT")
                .Append($"DROP SCHEMA {schemaQ} RESTRICT").ToArray();
    }

    /// <summary>"schema x" or "table s.t", as messages name it.</summary>
    public static string Shown(StagingItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item.Kind == StagingKind.Staging ? item.Name : item.Schema + "." + item.Name;
    }

    private static async Task<StagingItem> FindOursAsync(NpgsqlConnection conn, string database, StagingKind? kind,
        string name, string? schema, CancellationToken ct)
    {
        var found = await StagingCatalog.ReadAsync(conn, database, kind, name, schema, ct).ConfigureAwait(false);
        var shown = schema is null ? name : schema + "." + name;
        if (found.Count == 0) throw NotFound(kind, shown, database);
        if (found.Count > 1)
        {
            // The same name as a staging schema and as a replaced table, or replaced tables in several schemas.
            throw new CenateException(ErrorIds.StagingAmbiguous, CenateErrorKind.InvalidArgument,
                Messages.Format("Staging.Ambiguous", shown, database, string.Join(", ", found.Select(Shown))),
                Messages.Get("Staging.Ambiguous.Action"), shown);
        }
        var item = found[0];
        if (!item.Ours)
        {
            throw new CenateException(ErrorIds.StagingNotOurs, CenateErrorKind.InvalidOperation,
                Messages.Format("StagingNotOurs", Shown(item), database, item.Problem),
                Messages.Format("StagingNotOurs.Action", Shown(item)), Shown(item));
        }
        return item;
    }

    private static CenateException NotFound(StagingKind? kind, string shown, string database) =>
        new(ErrorIds.StagingNotFound, CenateErrorKind.ObjectNotFound,
            Messages.Format("StagingNotFound", shown, database, kind?.ToString() ?? "Staging/Replaced"),
            Messages.Get("StagingNotFound.Action"), shown);
}
