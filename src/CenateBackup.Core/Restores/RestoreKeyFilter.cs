using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using Npgsql;
using NpgsqlTypes;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Restores;

/// <summary>
/// MissingRows with -Key: after the backup's rows are in the staging table, only the rows whose primary key is in the
/// given list stay. The keys go into a temporary table of text columns (binary COPY) and are compared as VALUES of the
/// live key column's type (one cast per column, the type named by format_type from the catalog): 1.50 equals 1.5, an
/// upper-case uuid its lower-case text, '0042' the integer 42, and a timestamptz written in another TimeZone the same
/// instant. A value that does not read as its column's type is KeyListInvalid naming the key's position only.
/// Keys are personal data (a DNI): they never appear in steps, messages or verbose lines; only their number does.
/// </summary>
internal static class RestoreKeyFilter
{
    private const string KeysTable = "cenate_restore_keys";

    /// <summary>
    /// KeyNeedsMissingRows when keys are given for another mode; KeyListInvalid for an empty, null or NUL value.
    /// </summary>
    public static void CheckRequest(TableRestoreRequest request)
    {
        if (request.Keys is null) return;
        if (request.Mode != TableRestoreMode.MissingRows)
        {
            throw new CenateException(ErrorIds.KeyNeedsMissingRows, CenateErrorKind.InvalidArgument,
                Messages.Format("KeyNeedsMissingRows", request.Mode),
                Messages.Get("KeyNeedsMissingRows.Action"), request.Table);
        }
        for (var i = 0; i < request.Keys.Count; i++)
        {
            var key = request.Keys[i];
            if (key is null || key.Count == 0 || key.Any(v => v is null))
                throw Invalid(request.Table,
                    $"key {i + 1} of the list is empty or holds a null value (a primary key never does)");
            if (key.Any(v => v.Contains('\0', StringComparison.Ordinal)))
                throw Invalid(request.Table,
                    $"key {i + 1} of the list holds a NUL character (no PostgreSQL text does)");
        }
    }

    /// <summary>
    /// KeyListInvalid when a piped comparison's key columns are not the live primary key (same names, same order):
    /// its keys would be compared with other columns (a DNI with an id).
    /// </summary>
    public static void CheckColumns(IReadOnlyList<string>? keyColumns, IReadOnlyList<string> primaryKey, string table)
    {
        if (keyColumns is null || keyColumns.SequenceEqual(primaryKey, StringComparer.Ordinal)) return;
        throw Invalid(table,
            $"the comparison's keys are of the column(s) ({string.Join(", ", keyColumns)}), but the primary key of " +
            $"{table} is ({string.Join(", ", primaryKey)}); its keys would be compared with other columns");
    }

    /// <summary>KeyListInvalid when a key has not as many values as the live table's primary key has columns.</summary>
    public static void CheckArity(IReadOnlyList<IReadOnlyList<string>> keys, IReadOnlyList<string> primaryKey,
        string table)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            if (keys[i].Count == primaryKey.Count) continue;
            throw Invalid(table,
                $"key {i + 1} of the list has {keys[i].Count} value(s), but the primary key of {table} has " +
                $"{primaryKey.Count} " +
                $"column(s) ({string.Join(", ", primaryKey)}); a composite key is given as a list in that order");
        }
    }

    /// <summary>The list without repeats (ordinal, value by value); positions are 1-based in the given list.</summary>
    public static (List<string[]> Keys, List<long> Positions) Distinct(IReadOnlyList<IReadOnlyList<string>> keys)
    {
        var seen = new HashSet<string[]>(KeyComparer.Instance);
        var list = new List<string[]>(keys.Count);
        var positions = new List<long>(keys.Count);
        for (var i = 0; i < keys.Count; i++)
        {
            var k = keys[i].ToArray();
            if (!seen.Add(k)) continue;
            list.Add(k);
            positions.Add(i + 1);
        }
        return (list, positions);
    }

    /// <summary>
    /// Each primary key column's type (oid, and its name as format_type writes it — quoted and qualified as needed,
    /// without a typmod so that a cast never truncates or rounds a key), in key order.
    /// </summary>
    public static async Task<List<KeyColumnType>> KeyTypesAsync(NpgsqlConnection conn, uint tableOid,
        IReadOnlyList<string> primaryKey, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT a.atttypid, pg_catalog.format_type(a.atttypid, NULL) " +
            "FROM pg_catalog.unnest(@names::text[]) WITH ORDINALITY n(name, ord) " +
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = @oid AND a.attname = n.name ORDER BY n.ord", conn);
        cmd.Parameters.Add(new NpgsqlParameter("names", NpgsqlDbType.Array | NpgsqlDbType.Text)
            { Value = primaryKey.ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("oid", NpgsqlDbType.Oid) { Value = tableOid });
        var list = new List<KeyColumnType>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(new KeyColumnType(r.GetFieldValue<uint>(0),
            r.GetString(1)));
        if (list.Count != primaryKey.Count)
            throw new InvalidOperationException("The primary key's column types could not be read.");
        return list;
    }

    /// <summary>The filter's statements, as the steps show them (the keys themselves are not shown).</summary>
    public static List<string> Steps(RestorePlanInput input, string sqt, int keyCount)
    {
        var (create, copy, delete, _) = Statements(input, sqt);
        return new List<string>
        {
            create,
            copy + $"   -- the {keyCount.ToString(CultureInfo.InvariantCulture)} distinct keys given with -Key " +
                "(not shown)",
            "DO $cenate$ … $cenate$   -- each key must read as its column's type, else KeyListInvalid " +
                "(position only)",
            "SET LOCAL DateStyle = 'ISO, MDY'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 3",
            delete + "   -- only the rows of the given keys stay",
        };
    }

    /// <summary>Runs the filter in the restore's transaction; sets RequestedKeys and KeysNotInBackup.</summary>
    public static async Task ApplyAsync(NpgsqlConnection conn, RestorePlanInput input, string sqt, List<string[]> keys,
        TableRestoreResult result, IOperationReporter reporter, CancellationToken ct)
    {
        var (create, copy, delete, notInBackup) = Statements(input, sqt);
        await conn.ExecAsync(create, ct).ConfigureAwait(false);
        var writer = await conn.BeginBinaryImportAsync(copy + " (FORMAT binary)", ct).ConfigureAwait(false);
        await using (writer.ConfigureAwait(false))
        {
            for (var i = 0; i < keys.Count; i++)
            {
                await writer.StartRowAsync(ct).ConfigureAwait(false);
                await writer.WriteAsync(input.KeyPositions![i], NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                foreach (var value in keys[i])
                    await writer.WriteAsync(value, NpgsqlDbType.Text, ct).ConfigureAwait(false);
            }
            await writer.CompleteAsync(ct).ConfigureAwait(false);
        }
        // Dates such as 01/02/2026 read as pg_dump's settings would print them (ISO, MDY), whatever the server's.
        await conn.ExecAsync("SET LOCAL DateStyle = 'ISO, MDY'; SET LOCAL IntervalStyle = 'postgres'; " +
            "SET LOCAL extra_float_digits = 3", ct).ConfigureAwait(false);
        await CheckCastsAsync(conn, input, result.Table, ct).ConfigureAwait(false);
        long removed;
        try
        {
            removed = await conn.ExecAsync(delete, ct).ConfigureAwait(false);
            result.KeysNotInBackup = await conn.ScalarLongAsync(notInBackup, ct).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal)
            || ex.SqlState.StartsWith("23", StringComparison.Ordinal))
        {
            // PostgreSQL's message holds the value: it is not passed on, not even as the inner exception.
            throw Invalid(result.Table, "a key does not read as its primary key column's type");
        }
        result.RequestedKeys = keys.Count;
        if (result.KeysNotInBackup > 0)
        {
            result.Warnings.Add(Messages.Format("Warning.RestoreKeyFilter.NotInBackup", result.KeysNotInBackup,
                keys.Count));
        }
        reporter.Verbose($"{keys.Count} keys given with -Key: {result.KeysNotInBackup} of them are not in the " +
            "backup; " +
            $"{(result.BackupRows ?? 0) - removed} backup rows kept, {removed} others set aside.");
    }

    /// <summary>
    /// KeyListInvalid naming the first key (its position in the given list) whose values do not read as the key
    /// columns' types. One bulk pass first; only when it fails, key by key (each in its own subtransaction) to find
    /// which. The types are named inside the block from their oids, so nothing given is spliced into it.
    /// </summary>
    private static async Task CheckCastsAsync(NpgsqlConnection conn, RestorePlanInput input, string table,
        CancellationToken ct)
    {
        var types = input.KeyTypes!;
        var kt = KeysTableSql(input);
        string Cast(string value, int i) =>
            $"'{value}::' || pg_catalog.format_type({types[i].Oid.ToString(CultureInfo.InvariantCulture)}, NULL)";
        static string N(int i) => (i + 1).ToString(CultureInfo.InvariantCulture);
        var all = string.Join(" || ', ' || ", types.Select((_, i) => Cast("c" + N(i), i)));
        var one = string.Join(" || ', ' || ", types.Select((_, i) => Cast("$" + N(i), i)));
        var cols = string.Join(", ", types.Select((_, i) => "c" + N(i)));
        var rs = string.Join(", ", types.Select((_, i) => "r.c" + N(i)));
        var block = "DO $cenate$ DECLARE r record; BEGIN " +
            "PERFORM pg_catalog.set_config('cenate.bad_key', '', true); " +
            $"BEGIN EXECUTE 'SELECT count(*) FROM {kt} WHERE (' || {all} || ') IS NULL'; RETURN; " +
            "EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN NULL; END; " +
            $"FOR r IN SELECT n, {cols} FROM {kt} ORDER BY n LOOP " +
            $"BEGIN EXECUTE 'SELECT ' || {one} USING {rs}; " +
            "EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN " +
            "PERFORM pg_catalog.set_config('cenate.bad_key', r.n::text, true); RETURN; END; " +
            "END LOOP; END $cenate$";
        await conn.ExecAsync(block, ct).ConfigureAwait(false);
        var bad = await conn.ScalarStringAsync("SELECT pg_catalog.current_setting('cenate.bad_key', true)", ct)
            .ConfigureAwait(false);
        if (string.IsNullOrEmpty(bad)) return;
        var names = string.Join(", ", input.Live!.PrimaryKey.Select((c, i) => $"{c} {types[i].Name}"));
        throw Invalid(table, $"key {bad} of the list does not read as the primary key's type ({names})");
    }

    private static string KeysTableSql(RestorePlanInput input) =>
        "pg_temp." + (string.Equals(input.Table, KeysTable, StringComparison.Ordinal) ? KeysTable + "_2" : KeysTable);

    private static (string Create, string Copy, string Delete, string NotInBackup) Statements(RestorePlanInput input,
        string sqt)
    {
        var pk = input.Live!.PrimaryKey;
        // The staging table is pg_temp.<table>: the keys' table must not take its name.
        var kt = KeysTableSql(input);
        var name = kt["pg_temp.".Length..];
        var types = input.KeyTypes!;
        var cols = Enumerable.Range(1, pk.Count).Select(i => "c" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        // Values, not text: each given text read as the live key column's type (named by format_type, so quoted).
        var staged = "(" + string.Join(", ", pk.Select(c => $"s.{QualifiedTable.Quote(c)}")) + ")";
        var given = "(" + string.Join(", ", cols.Select((c, i) => $"k.{c}::{types[i].Name}")) + ")";
        var match = pk.Count == 1 ? $"{staged[1..^1]} = {given[1..^1]}" : $"{staged} = {given}";
        return (
            $"CREATE TEMPORARY TABLE {name} (n bigint NOT NULL, " +
            $"{string.Join(", ", cols.Select(c => c + " text NOT NULL"))}) ON COMMIT DROP",
            $"COPY {kt} (n, {string.Join(", ", cols)}) FROM STDIN",
            $"DELETE FROM {sqt} s WHERE NOT EXISTS (SELECT 1 FROM {kt} k WHERE {match})",
            $"SELECT count(*) FROM {kt} k WHERE NOT EXISTS (SELECT 1 FROM {sqt} s WHERE {match})");
    }

    private static CenateException Invalid(string table, string why) => new(ErrorIds.KeyListInvalid,
        CenateErrorKind.InvalidArgument, Messages.Format("KeyListInvalid.Restore", why),
        Messages.Get("KeyListInvalid.Restore.Action"), table);

    /// <summary>A primary key column's type: its oid and its name as format_type writes it.</summary>
    public sealed record KeyColumnType(uint Oid, string Name);

    private sealed class KeyComparer : IEqualityComparer<string[]>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(string[] obj)
        {
            var hash = new HashCode();
            foreach (var v in obj) hash.Add(v, StringComparer.Ordinal);
            hash.Add(obj.Length);
            return hash.ToHashCode();
        }
    }
}
