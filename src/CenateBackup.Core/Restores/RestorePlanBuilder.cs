using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Restores;

/// <summary>
/// Plans a table restore without a server: from the backup's contents, the live table and the mode to the ordered SQL
/// steps (what -WhatIf prints) — the staging definition, then the rows, then keys, indexes, constraints and triggers,
/// the foreign keys NOT VALID, and Replace's swap. Every definition taken from a dump is checked first
/// (<see cref="TocDefinitionGuard"/>) and its schema-qualified names rewritten to the staging schema.
/// </summary>
internal static class RestorePlanBuilder
{
    /// <summary>LiveTableMissing when the live table is needed and absent (MissingRows, or rows from a CSV/SQL export).</summary>
    public static void CheckLiveTable(TableRestoreMode mode, TableRestoreSource kind, LiveTable? live, string table,
        string database)
    {
        if (live is not null) return;
        if (mode == TableRestoreMode.MissingRows)
        {
            throw new CenateException(ErrorIds.LiveTableMissing, CenateErrorKind.ObjectNotFound,
                Messages.Format("LiveTableMissing", table, database),
                Messages.Get("LiveTableMissing.Action"), table);
        }
        if (kind != TableRestoreSource.Dump)
        {
            throw new CenateException(ErrorIds.LiveTableMissing, CenateErrorKind.ObjectNotFound,
                Messages.Format("LiveTableMissing.2", table, database, kind),
                Messages.Get("LiveTableMissing.Action.2"), table);
        }
    }

    /// <summary>NoPrimaryKey (MissingRows) or TableNotSupported (inheritance; Replace of a partition or hierarchy member).</summary>
    public static void CheckRestorable(TableRestoreMode mode, LiveTable? live, ArchiveTocEntry? tableEntry, string table)
    {
        if (mode == TableRestoreMode.MissingRows && live!.PrimaryKey.Count == 0)
        {
            throw new CenateException(ErrorIds.NoPrimaryKey, CenateErrorKind.InvalidOperation,
                Messages.Format("NoPrimaryKey", table),
                Messages.Get("NoPrimaryKey.Action"), table);
        }
        if (tableEntry?.Definition is { } tableSql && Regex.IsMatch(tableSql, @"\)\s*INHERITS \("))
        {
            throw new CenateException(ErrorIds.TableNotSupported, CenateErrorKind.InvalidOperation,
                Messages.Format("TableNotSupported", table),
                Messages.Get("TableNotSupported.Action"), table);
        }
        var partitionedBackup = tableEntry is not null && PartitionedBackupTable.IsPartitioned(tableEntry);
        if (mode == TableRestoreMode.Replace && (live?.Hierarchy is not null || partitionedBackup))
        {
            var what = Messages.Get(live?.Hierarchy switch
            {
                "a partitioned table" => "Hierarchy.PartitionedTable",
                "a partition" => "Hierarchy.Partition",
                "an inheritance child" => "Hierarchy.InheritanceChild",
                "an inheritance parent" => "Hierarchy.InheritanceParent",
                _ => "Hierarchy.PartitionedInBackup",
            });
            var partitions = live?.Partitioned == true || live?.Hierarchy == "a partition" || partitionedBackup;
            throw new CenateException(ErrorIds.TableNotSupported, CenateErrorKind.InvalidOperation,
                Messages.Format("TableNotSupported.2", table, what),
                Messages.Get(partitions ? "TableNotSupported.Partitions.Action"
                    : "TableNotSupported.Hierarchy.Action"), table);
        }
    }

    /// <summary>Every name <see cref="Build"/> may ask <see cref="RestorePlanInput.Quote"/> for (a superset).</summary>
    public static IEnumerable<string> NamesToQuote(string table, IReadOnlyList<ArchiveTocEntry>? entries, ArchiveTocEntry? tableEntry,
        SqlCopyHeader? sqlHeader, string path = "")
    {
        yield return table;
        if (entries is not null && tableEntry is not null)
        {
            foreach (var e in entries.Where(e => e.Description == "SEQUENCE"))
            {
                if (e.Schema is not null) yield return e.Schema;
                yield return e.Tag;
            }
            var data = PartitionedBackupTable.IsPartitioned(tableEntry)
                ? PartitionedBackupTable.Leaves(entries, tableEntry, path)
                    .Select(l => (ArchiveTocEntry?)l.Data).ToList()
                : new List<ArchiveTocEntry?> { ArchiveTableEntries.Data(entries, tableEntry) };
            foreach (var copy in data.Select(d => d?.CopyStatement))
            {
                if (copy is not null && SqlCopyHeader.TryParse(copy, out _) is { } header)
                    foreach (var c in header.Columns) yield return c;
            }
        }
        if (sqlHeader is not null) foreach (var c in sqlHeader.Columns) yield return c;
    }

    /// <summary>The plan: statements before and after the rows, the COPY, and every step in order.</summary>
    public static RestorePlan Build(RestorePlanInput input)
    {
        var stagingQ = input.StagingSchema == "pg_temp" ? "pg_temp" : QualifiedTable.Quote(input.StagingSchema);
        var plan = new RestorePlan { StagingQuoted = stagingQ, StagingTable = stagingQ + "." + input.Quote(input.Table) };
        if (input.Mode != TableRestoreMode.MissingRows) plan.Pre.Add($"CREATE SCHEMA {stagingQ}");
        if (input.Entries is not null) FromDump(input, plan);
        else FromExport(input, plan);

        var qt = input.QuotedTable;
        var sqt = plan.StagingTable;
        var file = System.IO.Path.GetFileName(input.SourcePath);
        var steps = plan.Steps;
        steps.Add("BEGIN");
        steps.AddRange(plan.Pre);
        if (input.Kind == TableRestoreSource.Dump)
        {
            foreach (var (data, copySql) in plan.DataCopies)
            {
                var leaf = data.Schema == input.Schema && data.Tag == input.Table ? ""
                    : $"of {data.Schema}.{data.Tag} ";
                steps.Add(copySql + $"   -- rows {leaf}from {file}");
            }
        }
        else
        {
            steps.Add(input.Kind == TableRestoreSource.Sql ? plan.CopySql + $"   -- rows from {file}"
                : $"COPY {sqt} FROM STDIN   -- rows from {file}");
        }
        if (input.Keys is not null) steps.AddRange(RestoreKeyFilter.Steps(input, sqt, input.Keys.Count));
        steps.AddRange(plan.Post);
        steps.AddRange(plan.ForeignKeys);
        if (input.Mode == TableRestoreMode.MissingRows && input.Live!.Partitioned)
            steps.AddRange(UnroutedRows.Plan(input, plan));
        if (input.Mode == TableRestoreMode.MissingRows)
        {
            if (InsertLockSql(input.Live!, qt) is { } lockSql) steps.Add(lockSql);
            steps.Add(InsertMissingSql(input.Live!, qt, sqt));
        }
        if (input.Mode == TableRestoreMode.Replace) steps.AddRange(ReplaceSteps(input, stagingQ, sqt));
        steps.Add("COMMIT");
        return plan;
    }

    /// <summary>Step 3 from a dump: the table's entries, renamed to the staging schema, and the COPY of its data block.</summary>
    private static void FromDump(RestorePlanInput input, RestorePlan plan)
    {
        var entries = input.Entries!;
        var table = input.TableEntry!;
        var qt = input.QuotedTable;
        var path = input.SourcePath;
        var map = RenameMap(input, plan.StagingQuoted);
        // Every definition below is the backup's text: each must be the one statement pg_dump writes for its object,
        // about this table or its own sequences, before any of it runs (TocDefinitionGuard).
        var own = (table.Schema!, table.Tag);
        var sequences = ArchiveTableEntries.OwnedSequences(entries, table, qt).Select(e => (e.Schema ?? "", e.Tag)).ToList();
        // A partitioned table is staged as one plain table of the parent's columns: its definition without
        // PARTITION BY.
        var partitioned = PartitionedBackupTable.IsPartitioned(table);
        foreach (var e in ArchiveTableEntries.Related(entries, table, qt))
        {
            if (input.Mode == TableRestoreMode.MissingRows && e != table) continue; // a temporary table of the rows: no keys needed
            if (string.IsNullOrWhiteSpace(e.Definition)) continue;
            var (text, count) = partitioned && e == table
                ? PartitionedBackupTable.WithoutPartitionBy(path, e, own, sequences)
                : (e.Definition!, TocDefinitionGuard.Check(path, e, own, sequences));
            var sql = Rename(text, map).Trim();
            if (e.Description == "FK CONSTRAINT")
            {
                // A foreign key on a staging copy would hold locks on, and block deletes from, the live table it references.
                if (input.Mode == TableRestoreMode.Staging)
                    plan.Warnings.Add(Messages.Format("Warning.RestorePlanBuilder.ForeignKey", sql.Replace("\n", " ",
                        StringComparison.Ordinal)));
                else plan.ForeignKeys.Add(AddNotValid(sql));
                continue;
            }
            if (input.Mode == TableRestoreMode.MissingRows) sql = Regex.Replace(sql, @"^CREATE TABLE ", "CREATE TEMPORARY TABLE ");
            (e.Section == 4 ? plan.Post : plan.Pre).AddRange(CheckedStatements(path, e, sql, count));
        }
        var blocks = partitioned ? PartitionedBackupTable.Leaves(entries, table, path)
            : new() { (table, OwnData(input)) };
        foreach (var (leaf, data) in blocks)
        {
            // Each COPY is built here from its entry's names, re-quoted (a partition may order its columns otherwise);
            // the entry's own text is never sent.
            var header = TocDefinitionGuard.CheckCopy(path, data, (leaf.Schema!, leaf.Tag));
            var columns = string.Join(", ", header.Columns.Select(input.Quote));
            plan.DataCopies.Add((data, $"COPY {plan.StagingTable} ({columns}) FROM STDIN"));
        }
        plan.CopySql = plan.DataCopies.Count > 0 ? plan.DataCopies[0].CopySql : "";
        if (input.Mode == TableRestoreMode.MissingRows) return;
        foreach (var seqSet in ArchiveTableEntries.OwnedSequenceSets(entries, table, qt))
        {
            var count = TocDefinitionGuard.Check(path, seqSet, own, sequences);
            plan.Pre.AddRange(CheckedStatements(path, seqSet, Rename(seqSet.Definition!, map).Trim(), count));
        }
    }

    /// <summary>The table's own TABLE DATA entry; TableNotInBackup when the dump has none.</summary>
    private static ArchiveTocEntry OwnData(RestorePlanInput input)
    {
        var data = ArchiveTableEntries.Data(input.Entries!, input.TableEntry!);
        if (data?.CopyStatement is not null) return data;
        throw new CenateException(ErrorIds.TableNotInBackup, CenateErrorKind.ObjectNotFound,
            Messages.Format("TableNotInBackup.5", input.DisplayTable),
            Messages.Get("TableNotInBackup.Action.3"),
            input.DisplayTable);
    }

    /// <summary>Step 3 from a CSV/SQL export: the rows go into the live table's own definition.</summary>
    private static void FromExport(RestorePlanInput input, RestorePlan plan)
    {
        var live = input.Live!;
        var qt = input.QuotedTable;
        var sqt = plan.StagingTable;
        plan.Pre.Add(input.Mode == TableRestoreMode.MissingRows
            ? $"CREATE TEMPORARY TABLE {sqt} (LIKE {qt} INCLUDING DEFAULTS INCLUDING GENERATED)"
            : $"CREATE TABLE {sqt} (LIKE {qt} INCLUDING ALL)");
        if (input.Mode != TableRestoreMode.MissingRows)
        {
            var liveMap = new Dictionary<string, string>(StringComparer.Ordinal) { [qt] = sqt };
            // Replace carries the live table's triggers over after the swap, with its policies, comments and grants.
            if (input.Mode == TableRestoreMode.Staging)
                foreach (var (_, def) in live.Triggers) plan.Post.Add(Rename(def, liveMap));
            if (input.Mode == TableRestoreMode.Replace)
                foreach (var (fkName, def) in live.ForeignKeys)
                    plan.ForeignKeys.Add($"ALTER TABLE {sqt} ADD CONSTRAINT {QualifiedTable.Quote(fkName)} {def} NOT VALID");
        }
        if (input.Kind == TableRestoreSource.Sql)
        {
            // The file's header is checked now, so -WhatIf refuses a changed file too; it is read again for the rows.
            SqlExportCopy.Check(input.SourcePath, input.SqlHeader!, new QualifiedTable(input.Schema, input.Table), qt, live);
            plan.CopySql = SqlExportCopy.Statement(input.SqlHeader!, sqt, input.Quote);
        }
    }

    /// <summary>pg_dump's qualified names of the table and its owned sequences → the staging names.</summary>
    private static Dictionary<string, string> RenameMap(RestorePlanInput input, string stagingQ)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [input.QuotedTable] = stagingQ + "." + input.Quote(input.TableEntry!.Tag),
        };
        if (input.Mode == TableRestoreMode.MissingRows) return map;
        foreach (var seq in ArchiveTableEntries.OwnedSequences(input.Entries!, input.TableEntry, input.QuotedTable))
        {
            var from = seq.Schema is null ? input.Quote(seq.Tag) : input.Quote(seq.Schema) + "." + input.Quote(seq.Tag);
            map[from] = stagingQ + "." + input.Quote(seq.Tag);
        }
        return map;
    }

    /// <summary>Replaces whole qualified names (not prefixes of longer names).</summary>
    internal static string Rename(string sql, IReadOnlyDictionary<string, string> map)
    {
        foreach (var (from, to) in map.OrderByDescending(kv => kv.Key.Length))
        {
            sql = Regex.Replace(sql, @"(?<![A-Za-z0-9_$"".])" + Regex.Escape(from) + @"(?![A-Za-z0-9_$""])",
                to.Replace("$", "$$", StringComparison.Ordinal));
        }
        return sql;
    }

    private static string AddNotValid(string sql)
    {
        var s = sql.TrimEnd().TrimEnd(';');
        return s.EndsWith(" NOT VALID", StringComparison.Ordinal) ? s : s + " NOT VALID";
    }

    /// <summary>
    /// Before MissingRows' insert into a table with a DEFERRABLE unique key, which ON CONFLICT refuses: writers wait
    /// until the restore commits, so no row can take a missing key between the check and the insert.
    /// </summary>
    internal static string? InsertLockSql(LiveTable live, string qt) =>
        live.DeferrableUnique ? $"LOCK TABLE {qt} IN SHARE ROW EXCLUSIVE MODE" : null;

    /// <summary>MissingRows' one statement: the rows missing now, and how many of them were inserted.</summary>
    internal static string InsertMissingSql(LiveTable live, string qt, string sqt)
    {
        var cols = live.Columns.Where(c => !c.Generated).Select(c => QualifiedTable.Quote(c.Name)).ToList();
        var on = string.Join(" AND ", live.PrimaryKey.Select(c => $"l.{QualifiedTable.Quote(c)} = s.{QualifiedTable.Quote(c)}"));
        var overriding = live.Columns.Any(c => c.IdentityAlways) ? " OVERRIDING SYSTEM VALUE" : "";
        // One statement, one snapshot: the rows missing now, and those of them inserted (a row written meanwhile with the
        // same key or another unique value wins: ON CONFLICT DO NOTHING; with a DEFERRABLE key, which ON CONFLICT refuses,
        // the table is locked against writers first, InsertLockSql).
        var conflict = live.DeferrableUnique ? "" : " ON CONFLICT DO NOTHING";
        return $"WITH missing AS (SELECT {string.Join(", ", cols.Select(c => "s." + c))} FROM {sqt} s WHERE NOT EXISTS (SELECT 1 FROM {qt} l WHERE {on})), " +
               $"inserted AS (INSERT INTO {qt} ({string.Join(", ", cols)}){overriding} SELECT * FROM missing{conflict} RETURNING 1) " +
               "SELECT (SELECT count(*) FROM missing), (SELECT count(*) FROM inserted)";
    }

    /// <summary>Replace's swap as -WhatIf shows it (<see cref="TableSwap"/> runs it).</summary>
    private static List<string> ReplaceSteps(RestorePlanInput input, string stagingQ, string sqt)
    {
        var (live, views, qt, stamp) = (input.Live, input.Views, input.QuotedTable, input.Stamp);
        var schemaQ = QualifiedTable.Quote(input.Schema);
        var steps = new List<string>();
        if (live is not null)
        {
            steps.Add($"LOCK TABLE ONLY {qt} IN ACCESS EXCLUSIVE MODE   -- waits at most " +
                $"{input.LockTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s (-LockTimeout), then LockTimeout and nothing changed");
            foreach (var fk in live.ReferencingForeignKeys) steps.Add($"ALTER TABLE {fk.Table} DROP CONSTRAINT {QualifiedTable.Quote(fk.Name)}");
            if (views is not null) steps.AddRange(views.DropStatements().Select(d => d + "   -- created again below, as it is now"));
            foreach (var idx in live.Indexes)
                steps.Add($"ALTER INDEX {schemaQ}.{QualifiedTable.Quote(idx)} RENAME TO {QualifiedTable.Quote(ReplacedNames.Suffixed(idx, stamp))}");
            foreach (var (seq, _, _, name) in live.OwnedSequences)
                steps.Add($"ALTER SEQUENCE {seq} RENAME TO {QualifiedTable.Quote(ReplacedNames.Suffixed(name, stamp))}");
            steps.Add($"ALTER TABLE {qt} RENAME TO {QualifiedTable.Quote(ReplacedNames.Table(input.Table, stamp))}");
        }
        steps.Add($"ALTER TABLE {sqt} SET SCHEMA {schemaQ}");
        if (live is not null)
        {
            steps.Add("the live table's triggers, row-level security, policies and comments carried over to the restored table " +
                "(the live ones win; differences from the backup in Warnings)");
            steps.Add($"ALTER TABLE {qt} OWNER TO {QualifiedTable.Quote(live.Owner)}   -- and the old table's table and column grants");
            steps.Add("sequences of the restored table set to the old ones' last values where those are further (never backwards)");
            if (views is not null) steps.AddRange(views.CreateStatements());
            foreach (var fk in live.ReferencingForeignKeys) steps.Add($"ALTER TABLE {fk.Table} ADD CONSTRAINT {QualifiedTable.Quote(fk.Name)} {fk.Definition}");
        }
        steps.Add($"DROP SCHEMA {stagingQ}");
        steps.Add($"SELECT count(*) FROM {qt}   -- must equal the backup's rows, or everything is rolled back");
        if (live is not null && input.DropReplaced)
            steps.Add($"DROP TABLE {schemaQ}.{QualifiedTable.Quote(ReplacedNames.Table(input.Table, stamp))}   -- with the rows written since the backup");
        return steps;
    }

    /// <summary>
    /// The renamed text of a definition the guard accepted, cut into its statements; it must still lex and hold as many
    /// statements as the guard counted (renaming put quoted names in it), or it is refused.
    /// </summary>
    private static List<string> CheckedStatements(string path, ArchiveTocEntry entry, string sql, int count)
    {
        List<string> texts;
        try
        {
            texts = SqlStatementScanner.StatementTexts(sql);
        }
        catch (FormatException ex)
        {
            throw Unsafe(path, entry, $"after renaming to the staging schema it does not lex ({ex.Message})");
        }
        if (texts.Count != count) throw Unsafe(path, entry, $"after renaming to the staging schema it holds {texts.Count} statements, not {count}");
        return texts;
    }

    private static CenateException Unsafe(string path, ArchiveTocEntry entry, string why) => new(ErrorIds.UnsafeBackupContent, CenateErrorKind.InvalidData,
        Messages.Format("UnsafeBackupContent.Plan", System.IO.Path.GetFileName(path), entry.Description, entry.Tag,
            entry.DumpId, why),
        Messages.Get("UnsafeBackupContent.Dump.Action"), path);
}
