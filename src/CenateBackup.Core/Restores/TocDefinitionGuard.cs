using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Restores;

/// <summary>
/// Restore-CenateTable runs the table's definition, keys, indexes, constraints and triggers from the dump's table of
/// contents — text that anyone who can write the backup file can change. Before any of it runs, each entry must be
/// exactly one statement of the kind pg_dump writes for that object, about this table (or its own sequences):
/// a TABLE entry one CREATE TABLE of the table, an INDEX one CREATE INDEX on it, a CONSTRAINT one ALTER TABLE … ADD
/// CONSTRAINT on it, and so on. Statements are counted with <see cref="SqlStatementScanner"/>, which knows quotes,
/// dollar quotes and comments, so a second statement cannot hide after a semicolon in a string or after a comment.
/// </summary>
internal static class TocDefinitionGuard
{
    /// <summary>
    /// Refuses (UnsafeBackupContent) <paramref name="entry"/>'s definition unless it is the one statement expected for
    /// its kind, naming <paramref name="table"/> (schema, name) or one of <paramref name="sequences"/>.
    /// </summary>
    /// <returns>How many statements the definition holds (the caller runs each on its own and checks the count again on the text it sends).</returns>
    public static int Check(string path, ArchiveTocEntry entry, (string Schema, string Name) table, IReadOnlyCollection<(string Schema, string Name)> sequences)
    {
        var text = entry.Definition ?? "";
        List<List<SqlToken>> statements;
        try
        {
            // Lexed as pg_dump writes definitions: no comments, nothing but plain ASCII outside quotes (see PgDumpStatements).
            statements = SqlStatementScanner.PgDumpStatements(text);
        }
        catch (FormatException ex)
        {
            throw Refuse(path, entry, $"it does not lex as SQL ({ex.Message})");
        }
        if (statements.Count == 0) throw Refuse(path, entry, "it holds no statement");
        // pg_dump appends per-column settings of the table to its TABLE entry (SET STATISTICS, SET STORAGE, …): those,
        // on this table, may follow the CREATE TABLE; every other entry is exactly one statement.
        // An index (or a key's index) may carry its CLUSTER mark and column statistics targets the same way.
        var index = entry.Description is "INDEX" or "CONSTRAINT";
        if (statements.Count != 1 && !index && entry.Description != "TABLE") throw Refuse(path, entry, $"it holds {statements.Count} statements, not one");
        var why = Expected(entry.Description, statements[0], table, sequences);
        if (why is not null) throw Refuse(path, entry, why);
        var call = statements.SelectMany(DeniedCalls).FirstOrDefault();
        if (call is not null) throw Refuse(path, entry, $"it calls {call}(), which reads or writes files, runs SQL text, signals sessions or changes settings — nothing a table's definition needs");
        // A belt for the functions not named above that run SQL given as text: an expression's string that reads as a
        // query or names a denied function. A comment's text is only stored, never run.
        if (entry.Description != "COMMENT")
        {
            var query = statements.SelectMany(x => x).FirstOrDefault(x => x.Kind == SqlTokenKind.String && LooksLikeSql(x.Value));
            if (query.Value is not null) throw Refuse(path, entry, $"a string in it reads as SQL ('{Shorten(query.Value)}'); a table's definition does not hand SQL text to a function");
        }
        for (var n = 1; n < statements.Count; n++)
        {
            var fits = index ? IsIndexSetting(statements[n], table) : IsColumnSetting(statements[n], table);
            if (!fits)
            {
                throw Refuse(path, entry, index
                    ? $"after its statement it holds another ({Shorten(statements[n])}), which is not ALTER TABLE … CLUSTER ON or ALTER INDEX … SET STATISTICS"
                    : $"after its CREATE TABLE it holds another statement ({Shorten(statements[n])}), which is not a column setting of the same table");
            }
        }
        return statements.Count;
    }

    /// <summary>
    /// Server functions a CHECK, DEFAULT, index expression or policy from a backup could call to act beyond the table
    /// (the restoring role is often a superuser): file access, SQL run from text, other sessions, settings, locks and
    /// sleeps. A defence in depth — the definition's other expressions still run as the restoring role.
    /// </summary>
    private static readonly string[] s_deniedPrefixes =
    {
        "pg_read_", "pg_ls_", "pg_stat_file", "pg_file_", "lo_", "dblink", "query_to_xml", "cursor_to_xml", "table_to_xml", "schema_to_xml",
        "database_to_xml", "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_promote", "pg_switch_wal",
        "pg_create_restore_point", "pg_backup_", "pg_start_backup", "pg_stop_backup", "set_config", "pg_sleep", "pg_advisory", "pg_try_advisory",
        "pg_notify", "pg_logical_emit_message", "pg_create_logical_replication_slot", "pg_create_physical_replication_slot",
        "pg_drop_replication_slot", "pg_replication_", "pg_import_system_collations", "pg_log_backend_memory_contexts",
        // SQL run from text through SPI: ts_rewrite(tsquery, text) and ts_stat(text) run their text argument as a query.
        "ts_rewrite", "ts_stat", "pg_background", "schedule",
    };

    /// <summary>Names denied wherever they occur in a function's name: query_to_xml, query_to_xmlschema, cursor_to_xml_and_xmlschema, … — every *_to_xml* runs or reads a query.</summary>
    private static readonly string[] s_deniedParts = { "_to_xml", "dblink" };

    private static bool IsDenied(string name) =>
        s_deniedPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)) || s_deniedParts.Any(p => name.Contains(p, StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<string> DeniedCalls(List<SqlToken> t)
    {
        for (var k = 0; k + 1 < t.Count; k++)
        {
            if (!t[k].IsIdentifier || !t[k + 1].IsSymbol('(')) continue;
            if (IsDenied(t[k].Value)) yield return t[k].Value;
            // A name the guard cannot read as written (U&"…" escapes) could be any function: refused too.
            else if (t[k].Kind == SqlTokenKind.QuotedIdentifier && t[k].Value.StartsWith("U&", StringComparison.Ordinal)) yield return t[k].Value;
        }
    }

    /// <summary>A string that holds the word SELECT, or a denied function's name followed by "(".</summary>
    private static bool LooksLikeSql(string text)
    {
        if (Regex.IsMatch(text, @"\bselect\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)) return true;
        foreach (Match m in Regex.Matches(text, @"([A-Za-z_][A-Za-z0-9_$]*)\s*\(", RegexOptions.CultureInvariant))
        {
            if (IsDenied(m.Groups[1].Value)) return true;
        }
        return false;
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "…";

    /// <summary>ALTER TABLE [ONLY] &lt;table&gt; CLUSTER ON &lt;index&gt;, or ALTER INDEX &lt;index&gt; ALTER [COLUMN] n SET STATISTICS n.</summary>
    private static bool IsIndexSetting(List<SqlToken> t, (string Schema, string Name) table)
    {
        var i = 0;
        if (!t[i++].Is("alter") || i >= t.Count) return false;
        if (t[i].Is("table"))
        {
            i++;
            if (i < t.Count && t[i].Is("only")) i++;
            var name = SqlStatementScanner.ReadName(t, ref i);
            return name is { Count: 2 } && name[0] == table.Schema && name[1] == table.Name
                && i + 3 == t.Count && t[i].Is("cluster") && t[i + 1].Is("on") && t[i + 2].IsIdentifier;
        }
        if (!t[i++].Is("index")) return false;
        if (SqlStatementScanner.ReadName(t, ref i) is not { Count: 2 } index || index[0] != table.Schema) return false;
        if (i < t.Count && t[i].Is("alter")) i++; else return false;
        if (i < t.Count && t[i].Is("column")) i++;
        return i + 4 == t.Count && t[i].Kind == SqlTokenKind.Number && t[i + 1].Is("set") && t[i + 2].Is("statistics") && t[i + 3].Kind == SqlTokenKind.Number;
    }

    /// <summary>ALTER TABLE [ONLY] &lt;table&gt; ALTER [COLUMN] &lt;c&gt; SET STATISTICS|STORAGE|COMPRESSION|NOT NULL|(…), or … REPLICA IDENTITY ….</summary>
    private static bool IsColumnSetting(List<SqlToken> t, (string Schema, string Name) table)
    {
        var i = 0;
        if (!(t[i++].Is("alter") && i < t.Count && t[i++].Is("table"))) return false;
        if (i < t.Count && t[i].Is("only")) i++;
        var name = SqlStatementScanner.ReadName(t, ref i);
        if (name is not { Count: 2 } || name[0] != table.Schema || name[1] != table.Name || i >= t.Count) return false;
        var rest = t.Skip(i).ToList();
        // Nothing in these can call a function: names, words, numbers, strings and the punctuation of option lists.
        if (!rest.All(x => x.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier or SqlTokenKind.Number or SqlTokenKind.String || x.Value is "(" or ")" or "," or "=" or "." or "-")) return false;
        if (rest[0].Is("replica") && rest.Count >= 3 && rest[1].Is("identity")) return true;
        if (!rest[0].Is("alter")) return false;
        var j = rest.Count > 1 && rest[1].Is("column") ? 2 : 1;
        if (j + 1 >= rest.Count || !rest[j].IsIdentifier) return false;
        var action = rest[j + 1];
        if (!action.Is("set")) return false;
        return j + 2 < rest.Count && (rest[j + 2].Value is "statistics" or "storage" or "compression" or "not" || rest[j + 2].IsSymbol('('));
    }

    private static string Shorten(List<SqlToken> t)
    {
        var s = string.Join(" ", t.Select(x => x.Value));
        return s.Length <= 100 ? s : s[..100] + "…";
    }

    /// <summary>The TABLE DATA entry's COPY statement, parsed strictly; it must load this table.</summary>
    public static SqlCopyHeader CheckCopy(string path, ArchiveTocEntry entry, (string Schema, string Name) table)
    {
        var header = SqlCopyHeader.TryParse(entry.CopyStatement ?? "", out var why) ?? throw Refuse(path, entry, $"its COPY statement is not a plain COPY … FROM stdin: {why}");
        if (header.Schema != table.Schema || header.Table != table.Name)
            throw Refuse(path, entry, $"its COPY statement loads {header.Schema}.{header.Table}, not {table.Schema}.{table.Name}");
        return header;
    }

    private static string? Expected(string kind, List<SqlToken> t, (string Schema, string Name) table, IReadOnlyCollection<(string Schema, string Name)> sequences)
    {
        var i = 0;
        bool Word(string w)
        {
            if (i < t.Count && t[i].Is(w)) { i++; return true; }
            return false;
        }
        bool Names((string Schema, string Name) wanted)
        {
            var name = SqlStatementScanner.ReadName(t, ref i);
            return name is { Count: 2 } && name[0] == wanted.Schema && name[1] == wanted.Name;
        }
        bool NamesSequence()
        {
            var name = SqlStatementScanner.ReadName(t, ref i);
            return name is { Count: 2 } && sequences.Contains((name[0], name[1]));
        }
        bool AlterThisTable() => Word("alter") && Word("table") && (Word("only") || true) && Names(table);
        bool OnThisTable()
        {
            // "… ON [ONLY] <table>": the first ON at the top level after the object's own name.
            var depth = 0;
            for (; i < t.Count; i++)
            {
                if (t[i].IsSymbol('(')) depth++;
                else if (t[i].IsSymbol(')')) depth--;
                else if (depth == 0 && t[i].Is("on")) { i++; Word("only"); return Names(table); }
            }
            return false;
        }
        var shown = $"{table.Schema}.{table.Name}";
        switch (kind)
        {
            case "TABLE":
                if (!(Word("create") && (Word("unlogged") || true) && Word("table") && Names(table))) return $"it is not CREATE TABLE {shown}";
                if (!SqlStatementScanner.SkipParentheses(t, ref i)) return "its column list does not close";
                // After the columns: only storage options, inheritance and partitioning — never AS SELECT/EXECUTE.
                while (i < t.Count)
                {
                    if (t[i].IsSymbol('(')) { if (!SqlStatementScanner.SkipParentheses(t, ref i)) return "a parenthesis does not close"; continue; }
                    if (t[i].Is("using") || t[i].Is("tablespace")) { i += 2; continue; }
                    if (t[i].Kind == SqlTokenKind.Word && t[i].Value is "with" or "inherits" or "partition" or "by" or "range" or "list" or "hash") { i++; continue; }
                    return $"it has '{t[i].Value}' after its column list";
                }
                return null;
            case "SEQUENCE":
                if (t[0].Is("create"))
                {
                    if (!(Word("create") && Word("sequence") && NamesSequence())) return "it is not CREATE SEQUENCE of the table's own sequence";
                    return t.Skip(i).All(x => x.Kind is SqlTokenKind.Word or SqlTokenKind.Number || x.IsSymbol('-')) ? null : "its sequence options are not plain words and numbers";
                }
                if (!(AlterThisTable() && Word("alter") && Word("column") && i < t.Count && t[i++].IsIdentifier && Word("add") && Word("generated")))
                    return $"it is not CREATE SEQUENCE or ALTER TABLE {shown} ALTER COLUMN … ADD GENERATED … AS IDENTITY";
                return t.Skip(i).All(x => x.Kind is SqlTokenKind.Word or SqlTokenKind.Number or SqlTokenKind.QuotedIdentifier || x.Value is "(" or ")" or "." or "-")
                    ? null : "its identity options are not plain words, names and numbers";
            case "SEQUENCE OWNED BY":
                if (!(Word("alter") && Word("sequence") && NamesSequence() && Word("owned") && Word("by"))) return "it is not ALTER SEQUENCE … OWNED BY";
                var column = SqlStatementScanner.ReadName(t, ref i);
                return column is { Count: 3 } && column[0] == table.Schema && column[1] == table.Name && i == t.Count ? null : $"it does not make the sequence owned by a column of {shown}";
            case "SEQUENCE SET":
                return DataOnlySqlScript.IsSequenceSetval(t) ? null : "it is not SELECT pg_catalog.setval('…', n, true|false)";
            case "DEFAULT":
                return AlterThisTable() && Word("alter") && Word("column") && i < t.Count && t[i++].IsIdentifier && Word("set") && Word("default") && i < t.Count
                    ? null : $"it is not ALTER TABLE {shown} ALTER COLUMN … SET DEFAULT";
            case "CONSTRAINT" or "CHECK CONSTRAINT" or "FK CONSTRAINT":
                return AlterThisTable() && Word("add") && Word("constraint") && i < t.Count && t[i++].IsIdentifier && i < t.Count
                    ? null : $"it is not ALTER TABLE {shown} ADD CONSTRAINT";
            case "INDEX":
                return Word("create") && (Word("unique") || true) && Word("index") && i < t.Count && t[i++].IsIdentifier && Word("on") && (Word("only") || true) && Names(table)
                    ? null : $"it is not CREATE INDEX … ON {shown}";
            case "TRIGGER":
                return Word("create") && (Word("constraint") || true) && Word("trigger") && OnThisTable() ? null : $"it is not CREATE TRIGGER … ON {shown}";
            case "POLICY":
                return Word("create") && Word("policy") && i < t.Count && t[i++].IsIdentifier && Word("on") && Names(table) ? null : $"it is not CREATE POLICY … ON {shown}";
            case "RULE":
                // CREATE RULE r AS ON <event> TO <table> …
                return Word("create") && Word("rule") && i < t.Count && t[i++].IsIdentifier && Word("as") && Word("on") && i < t.Count && t[i++].Kind == SqlTokenKind.Word
                    && Word("to") && Names(table) ? null : $"it is not CREATE RULE … ON … TO {shown}";
            case "ROW SECURITY":
                return AlterThisTable() && (Word("enable") || Word("force")) && Word("row") && Word("level") && Word("security") && i == t.Count
                    ? null : $"it is not ALTER TABLE {shown} ENABLE ROW LEVEL SECURITY";
            case "COMMENT":
                if (!(Word("comment") && Word("on"))) return "it is not COMMENT ON";
                // COMMENT ON <object words and names> IS '<text>' | NULL: nothing in it can run.
                if (t.Count < 4 || !t[^2].Is("is") || !(t[^1].Kind == SqlTokenKind.String || t[^1].Is("null"))) return "it does not end IS '<text>'";
                var named = t.Skip(i).Take(t.Count - i - 2).ToList();
                if (!named.All(x => x.IsIdentifier || x.IsSymbol('.'))) return "it names its object with more than names";
                // The comment is on this table, one of its columns, or an object ON it (constraint, trigger, policy, rule).
                for (var k = 0; k + 2 < named.Count; k++)
                {
                    if (named[k].IsIdentifier && named[k].Value == table.Schema && named[k + 1].IsSymbol('.') && named[k + 2].IsIdentifier && named[k + 2].Value == table.Name) return null;
                }
                return $"it is not a comment on {shown} or on something of it";
            default:
                return $"the module does not run {kind} entries";
        }
    }

    private static CenateException Refuse(string path, ArchiveTocEntry entry, string why) => new(ErrorIds.UnsafeBackupContent, CenateErrorKind.InvalidData,
        Messages.Format("UnsafeBackupContent.Toc", Path.GetFileName(path), entry.Description,
            (entry.Schema is null ? "" : entry.Schema + ".") + entry.Tag, entry.DumpId, why),
        Messages.Get("UnsafeBackupContent.Dump.Action"), path);
}
