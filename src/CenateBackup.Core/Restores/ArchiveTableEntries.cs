using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Restores;

/// <summary>
/// The walk of a dump's table of contents for one table: the table's entry, the entries that make it (definition,
/// sequences, defaults, comments, keys, indexes, constraints, triggers, policies), its own sequences and its data.
/// <c>qt</c> is the table's qualified name as pg_dump writes it (quote_ident of each part).
/// </summary>
internal static class ArchiveTableEntries
{
    /// <summary>The TABLE entry of <paramref name="table"/> (in <paramref name="schema"/>, or public when several match); TableNotInBackup otherwise.</summary>
    public static ArchiveTocEntry Find(IReadOnlyList<ArchiveTocEntry> entries, string table, string? schema, string path)
    {
        var tables = entries.Where(e => e.Description == "TABLE").ToList();
        var matches = tables.Where(e => e.Tag == table && (schema is null || e.Schema == schema)).ToList();
        if (matches.Count > 1) matches = matches.Where(e => e.Schema == "public").ToList();
        if (matches.Count == 1) return matches[0];
        var names = tables.Select(e => $"{e.Schema}.{e.Tag}").Take(12).ToList();
        throw new CenateException(ErrorIds.TableNotInBackup, CenateErrorKind.ObjectNotFound,
            Messages.Format("TableNotInBackup.3", (schema is null ? "" : schema + "."), table, System.IO.Path.GetFileName(path), tables.Count, string.Join(", ", names), (tables.Count > names.Count ? ", …" : "")),
            Messages.Get("TableNotInBackup.Action.2"), table);
    }

    /// <summary>The entries that make the table: its definition, sequences, defaults, comments, keys, indexes, constraints, triggers, policies.</summary>
    public static List<ArchiveTocEntry> Related(IReadOnlyList<ArchiveTocEntry> entries, ArchiveTocEntry table, string qt)
    {
        var list = new List<ArchiveTocEntry> { table };
        var sequenceIds = OwnedSequences(entries, table, qt).Select(e => e.DumpId).ToHashSet();
        foreach (var e in entries)
        {
            if (e == table) continue;
            var onTable = e.Dependencies.Contains(table.DumpId);
            var keep = e.Description switch
            {
                "SEQUENCE" => sequenceIds.Contains(e.DumpId),
                // pg_dump makes "SEQUENCE OWNED BY" depend on the sequence only.
                "SEQUENCE OWNED BY" => onTable || e.Dependencies.Any(sequenceIds.Contains),
                "DEFAULT" or "COMMENT" or "CONSTRAINT" or "CHECK CONSTRAINT" or "INDEX" or "TRIGGER" or "ROW SECURITY" or "POLICY" or "RULE" => onTable,
                // A foreign key of this table (not one of another table that references it).
                "FK CONSTRAINT" => onTable && e.Definition is { } d && Regex.IsMatch(d, "^ALTER TABLE (ONLY )?" + Regex.Escape(qt) + @"\s"),
                _ => false,
            };
            if (keep) list.Add(e);
        }
        return list;
    }

    /// <summary>
    /// The table's own sequences: identity sequences (their SEQUENCE entry depends on the table) and serial ones (named by
    /// an "ALTER SEQUENCE … OWNED BY &lt;table&gt;.&lt;column&gt;" entry, which depends on the sequence only).
    /// </summary>
    public static List<ArchiveTocEntry> OwnedSequences(IReadOnlyList<ArchiveTocEntry> entries, ArchiveTocEntry table, string qt)
    {
        var owned = new HashSet<int>();
        var ownedBy = new Regex(@"OWNED BY " + Regex.Escape(qt) + @"\.", RegexOptions.CultureInvariant);
        foreach (var e in entries)
        {
            if (e.Description == "SEQUENCE" && e.Dependencies.Contains(table.DumpId)) owned.Add(e.DumpId); // identity
            if (e.Description == "SEQUENCE OWNED BY" && e.Definition is { } d && ownedBy.IsMatch(d))
                foreach (var dep in e.Dependencies) owned.Add(dep); // serial
        }
        return entries.Where(e => e.Description == "SEQUENCE" && owned.Contains(e.DumpId)).ToList();
    }

    /// <summary>The SEQUENCE SET entries of the table's own sequences (never another table's, whose names may share a prefix).</summary>
    public static IEnumerable<ArchiveTocEntry> OwnedSequenceSets(IReadOnlyList<ArchiveTocEntry> entries, ArchiveTocEntry table, string qt)
    {
        var ids = OwnedSequences(entries, table, qt).Select(e => e.DumpId).ToHashSet();
        return entries.Where(e => e.Description == "SEQUENCE SET" && e.Dependencies.Any(ids.Contains));
    }

    /// <summary>The table's TABLE DATA entry: the one that depends on it, else the one of the same name; null when none.</summary>
    public static ArchiveTocEntry? Data(IReadOnlyList<ArchiveTocEntry> entries, ArchiveTocEntry table) =>
        entries.FirstOrDefault(e => e.Description == "TABLE DATA" && e.Dependencies.Contains(table.DumpId))
        ?? entries.FirstOrDefault(e => e.Description == "TABLE DATA" && e.Schema == table.Schema && e.Tag == table.Tag);
}
