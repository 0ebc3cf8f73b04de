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

namespace CenateBackup.Core.Restores;

/// <summary>
/// MissingRows with -Key: after the backup's rows are in the staging table, only the rows whose primary key is in the
/// given list stay. The keys go into a temporary table of text columns and are compared as text with each key column
/// as PostgreSQL prints it (its output function, as COPY writes it — so a key listed by Compare-CenateBackup matches,
/// char(n) padding and all). Keys are personal data (a DNI): they never appear in steps, messages or verbose lines;
/// only their number does.
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
                $"-Key chooses which missing rows go back: it works only with -Mode MissingRows, not {request.Mode}. " +
                "Nothing was changed.",
                "Add -Mode MissingRows, or leave out -Key.", request.Table);
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

    /// <summary>The list without repeats (ordinal, value by value).</summary>
    public static List<string[]> Distinct(IReadOnlyList<IReadOnlyList<string>> keys)
    {
        var seen = new HashSet<string[]>(KeyComparer.Instance);
        var list = new List<string[]>(keys.Count);
        foreach (var key in keys)
        {
            var k = key.ToArray();
            if (seen.Add(k)) list.Add(k);
        }
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
            foreach (var key in keys)
            {
                await writer.StartRowAsync(ct).ConfigureAwait(false);
                foreach (var value in key) await writer.WriteAsync(value, NpgsqlDbType.Text, ct).ConfigureAwait(false);
            }
            await writer.CompleteAsync(ct).ConfigureAwait(false);
        }
        // The settings pg_dump writes with: dates and intervals print as in the backup's and Compare-CenateBackup's
        // text.
        await conn.ExecAsync("SET LOCAL DateStyle = 'ISO, MDY'; SET LOCAL IntervalStyle = 'postgres'; " +
            "SET LOCAL extra_float_digits = 3", ct).ConfigureAwait(false);
        var removed = await conn.ExecAsync(delete, ct).ConfigureAwait(false);
        result.RequestedKeys = keys.Count;
        result.KeysNotInBackup = await conn.ScalarLongAsync(notInBackup, ct).ConfigureAwait(false);
        reporter.Verbose($"{keys.Count} keys given with -Key: {result.KeysNotInBackup} of them are not in the " +
            "backup; " +
            $"{(result.BackupRows ?? 0) - removed} backup rows kept, {removed} others set aside.");
    }

    private static (string Create, string Copy, string Delete, string NotInBackup) Statements(RestorePlanInput input,
        string sqt)
    {
        var pk = input.Live!.PrimaryKey;
        // The staging table is pg_temp.<table>: the keys' table must not take its name.
        var name = string.Equals(input.Table, KeysTable, StringComparison.Ordinal) ? KeysTable + "_2" : KeysTable;
        var kt = "pg_temp." + name;
        var cols = Enumerable.Range(1, pk.Count).Select(i => "k" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        // format('%s', v) is the column type's output function (what COPY writes); v::text is not always (char(n) loses
        // its padding, inet gains a /32).
        var staged = "(" + string.Join(", ",
            pk.Select(c => $"pg_catalog.format('%s', s.{QualifiedTable.Quote(c)})")) + ")";
        var given = "(" + string.Join(", ", cols.Select(c => "k." + c)) + ")";
        var match = pk.Count == 1 ? $"{staged[1..^1]} = {given[1..^1]}" : $"{staged} = {given}";
        return (
            $"CREATE TEMPORARY TABLE {name} ({string.Join(", ", cols.Select(c => c + " text NOT NULL"))}) " +
            "ON COMMIT DROP",
            $"COPY {kt} ({string.Join(", ", cols)}) FROM STDIN",
            $"DELETE FROM {sqt} s WHERE NOT EXISTS (SELECT 1 FROM {kt} k WHERE {match})",
            $"SELECT count(*) FROM {kt} k WHERE NOT EXISTS (SELECT 1 FROM {sqt} s WHERE {match})");
    }

    private static CenateException Invalid(string table, string why) => new(ErrorIds.KeyListInvalid,
        CenateErrorKind.InvalidArgument, $"The -Key list cannot be used: {why}. Nothing was changed.",
        "Give each key as text as PostgreSQL prints it (one value for a one-column primary key, a list in the key's " +
        "column order for a composite one), or pipe a Compare-CenateBackup result.", table);

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
