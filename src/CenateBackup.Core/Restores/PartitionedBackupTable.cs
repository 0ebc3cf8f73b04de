using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Restores;

/// <summary>
/// A partitioned table in a dump: its TABLE entry holds the parent's definition (with PARTITION BY) and no rows; the
/// rows are in the TABLE DATA entries of its leaf partitions, which "TABLE ATTACH" entries name
/// (<c>ALTER TABLE ONLY parent ATTACH PARTITION child FOR VALUES …</c>). A partition may itself be partitioned: the
/// walk recurses. A detached partition is a plain table with no ATTACH entry and is not part of the parent.
/// The ATTACH text is only read for its two names here, never run.
/// </summary>
internal static class PartitionedBackupTable
{
    /// <summary>True when the table's definition (its first statement) has a top-level PARTITION BY clause.</summary>
    public static bool IsPartitioned(ArchiveTocEntry table)
    {
        if (table.Definition is not { } text) return false;
        try
        {
            var statements = SqlStatementScanner.PgDumpStatements(text);
            return statements.Count > 0 && PartitionClause(statements[0]) is not null;
        }
        catch (FormatException)
        {
            return false; // The guard refuses it with its own message when it is run.
        }
    }

    /// <summary>
    /// The leaf partitions under <paramref name="parent"/> (in the dump's order, recursing through partitioned
    /// partitions), each with its TABLE DATA entry; TableNotInBackup when a leaf has none.
    /// </summary>
    public static List<(ArchiveTocEntry Leaf, ArchiveTocEntry Data)> Leaves(IReadOnlyList<ArchiveTocEntry> entries,
        ArchiveTocEntry parent, string path)
    {
        var tables = entries.Where(e => e.Description is "TABLE" or "FOREIGN TABLE").ToList();
        var children = new Dictionary<(string, string), List<ArchiveTocEntry>>();
        foreach (var attach in entries.Where(e => e.Description == "TABLE ATTACH"))
        {
            var (from, child) = AttachNames(attach, path);
            var childTable = tables.FirstOrDefault(t => t.Schema == child.Schema && t.Tag == child.Name)
                ?? throw Unsafe(path, attach, $"it attaches {child.Schema}.{child.Name}, which the dump does not hold");
            if (!children.TryGetValue(from, out var list)) children[from] = list = new List<ArchiveTocEntry>();
            list.Add(childTable);
        }
        var leaves = new List<(ArchiveTocEntry, ArchiveTocEntry)>();
        var seen = new HashSet<int>();
        void Walk(ArchiveTocEntry table)
        {
            if (!seen.Add(table.DumpId)) return; // a cycle only a changed file can hold: each table is read once
            if (children.TryGetValue((table.Schema ?? "", table.Tag), out var kids))
            {
                foreach (var kid in kids) Walk(kid);
                return;
            }
            if (table == parent) return; // a partitioned table without partitions: no rows
            if (table.Description == "FOREIGN TABLE") return; // its rows live on another server; pg_dump has none
            var data = ArchiveTableEntries.Data(entries, table);
            if (data?.CopyStatement is null)
            {
                throw new CenateException(ErrorIds.TableNotInBackup, CenateErrorKind.ObjectNotFound,
                    Messages.Format("TableNotInBackup.4", table.Schema, table.Tag, parent.Schema, parent.Tag),
                    Messages.Get("TableNotInBackup.Action.3"),
                    $"{parent.Schema}.{parent.Tag}");
            }
            leaves.Add((table, data));
        }
        Walk(parent);
        return leaves;
    }

    /// <summary>
    /// The table's definition without its PARTITION BY clause (a plain table of the same columns), checked again by
    /// <see cref="TocDefinitionGuard"/>; and its statements must be, token for token, the checked original's without
    /// the clause's tokens, or the dump is refused (UnsafeBackupContent). Returns the text and its statement count.
    /// </summary>
    public static (string Sql, int Count) WithoutPartitionBy(string path, ArchiveTocEntry table,
        (string Schema, string Name) own, IReadOnlyCollection<(string Schema, string Name)> sequences)
    {
        var text = table.Definition ?? "";
        TocDefinitionGuard.Check(path, table, own, sequences);
        var original = SqlStatementScanner.PgDumpStatements(text);
        var clause = PartitionClause(original[0])
            ?? throw Unsafe(path, table, "it has no PARTITION BY clause to take out");
        var expected = original.Select(s => s.ToList()).ToList();
        expected[0].RemoveRange(clause.Start, clause.Count);
        var cut = TextClause(text)
            ?? throw Unsafe(path, table, "its PARTITION BY clause could not be found in its text");
        var stripped = text[..cut.Start].TrimEnd() + text[cut.End..];
        List<List<SqlToken>> actual;
        try
        {
            actual = SqlStatementScanner.PgDumpStatements(stripped);
        }
        catch (FormatException ex)
        {
            throw Unsafe(path, table, $"without its PARTITION BY clause it does not lex ({ex.Message})");
        }
        if (actual.Count != expected.Count || actual.Zip(expected).Any(p => !p.First.SequenceEqual(p.Second)))
            throw Unsafe(path, table, "taking out its PARTITION BY clause changed more than the clause");
        var count = TocDefinitionGuard.Check(path, table with { Definition = stripped }, own, sequences);
        return (stripped, count);
    }

    /// <summary>Where "PARTITION BY method (key)" sits in a statement's tokens (after its columns), or null.</summary>
    private static (int Start, int Count)? PartitionClause(List<SqlToken> t)
    {
        var i = 0;
        while (i < t.Count && !t[i].IsSymbol('(')) i++;
        if (!SqlStatementScanner.SkipParentheses(t, ref i)) return null;
        for (; i + 3 < t.Count; i++)
        {
            if (t[i].IsSymbol('(')) { if (!SqlStatementScanner.SkipParentheses(t, ref i)) return null; i--; continue; }
            if (!(t[i].Is("partition") && t[i + 1].Is("by") && t[i + 2].Kind == SqlTokenKind.Word)) continue;
            var end = i + 3;
            return SqlStatementScanner.SkipParentheses(t, ref end) ? (i, end - i) : null;
        }
        return null;
    }

    /// <summary>
    /// The character span of the first top-level "PARTITION BY method (…)" in <paramref name="text"/> (outside quotes
    /// and parentheses), the key's parentheses matched outside quotes. The token comparison above proves the cut.
    /// </summary>
    private static (int Start, int End)? TextClause(string text)
    {
        var depth = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\'' or '"') { i = SkipQuoted(text, i); continue; }
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (depth == 0 && IsWordAt(text, i, "partition"))
            {
                var j = SkipSpace(text, i + 9);
                if (!IsWordAt(text, j, "by")) continue;
                j = SkipSpace(text, j + 2);
                while (j < text.Length && (char.IsAsciiLetterOrDigit(text[j]) || text[j] == '_')) j++;
                j = SkipSpace(text, j);
                if (j >= text.Length || text[j] != '(') return null;
                var inner = 0;
                for (; j < text.Length; j++)
                {
                    if (text[j] is '\'' or '"') { j = SkipQuoted(text, j); continue; }
                    if (text[j] == '(') inner++;
                    else if (text[j] == ')' && --inner == 0) return (i, j + 1);
                }
                return null;
            }
        }
        return null;
    }

    private static int SkipQuoted(string text, int i)
    {
        var q = text[i];
        for (i++; i < text.Length; i++)
        {
            if (text[i] != q) continue;
            if (i + 1 < text.Length && text[i + 1] == q) { i++; continue; }
            return i;
        }
        return i;
    }

    private static int SkipSpace(string text, int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
        return i;
    }

    private static bool IsWordAt(string text, int i, string word)
    {
        var end = i + word.Length;
        return end <= text.Length
            && string.Compare(text, i, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) == 0
            && (i == 0 || !(char.IsAsciiLetterOrDigit(text[i - 1]) || text[i - 1] is '_' or '$' or '"'))
            && (end == text.Length || !(char.IsAsciiLetterOrDigit(text[end]) || text[end] is '_' or '$'));
    }

    /// <summary>ALTER TABLE ONLY &lt;parent&gt; ATTACH PARTITION &lt;child&gt; …: the two names.</summary>
    private static ((string Schema, string Name) Parent, (string Schema, string Name) Child) AttachNames(
        ArchiveTocEntry e, string path)
    {
        List<List<SqlToken>> statements;
        try
        {
            statements = SqlStatementScanner.PgDumpStatements(e.Definition ?? "");
        }
        catch (FormatException ex)
        {
            throw Unsafe(path, e, $"it does not lex ({ex.Message})");
        }
        if (statements.Count != 1) throw Unsafe(path, e, $"it holds {statements.Count} statements, not one");
        var t = statements[0];
        var i = 0;
        bool Word(string w) { if (i < t.Count && t[i].Is(w)) { i++; return true; } return false; }
        if (!(Word("alter") && Word("table") && (Word("only") || true))
            || SqlStatementScanner.ReadName(t, ref i) is not { Count: 2 } parent
            || !(Word("attach") && Word("partition"))
            || SqlStatementScanner.ReadName(t, ref i) is not { Count: 2 } child)
            throw Unsafe(path, e, "it is not ALTER TABLE ONLY <parent> ATTACH PARTITION <partition>");
        if (child[0] != e.Schema || child[1] != e.Tag)
            throw Unsafe(path, e, $"it attaches {child[0]}.{child[1]}, not {e.Schema}.{e.Tag}");
        return ((parent[0], parent[1]), (child[0], child[1]));
    }

    private static CenateException Unsafe(string path, ArchiveTocEntry e, string why) => new(
        ErrorIds.UnsafeBackupContent, CenateErrorKind.InvalidData,
        $"'{Path.GetFileName(path)}' was refused: its {e.Description} entry for {e.Schema}.{e.Tag} " +
        $"(dump id {e.DumpId}) {why}. Nothing from the dump was run. Nothing was changed; the live table is unchanged.",
        "Do not restore from this file: someone or something changed it. Restore from another set, and check who " +
        "can write to the backup directory.", path);
}
