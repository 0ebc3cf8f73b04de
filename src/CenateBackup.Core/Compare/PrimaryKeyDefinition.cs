using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Compare;

/// <summary>The primary key a manifest's catalog records for a table ("PRIMARY KEY (a, \"B c\")").</summary>
internal static class PrimaryKeyDefinition
{
    /// <summary>The key columns of <paramref name="table"/> (schema.table); empty when the catalog has none.</summary>
    public static IReadOnlyList<string> FromCatalog(BackupManifest manifest, string table)
    {
        var pk = manifest.Catalog?.FirstOrDefault(o => o.Kind == "PrimaryKey" && o.Table == table && !o.Derived)
            ?? manifest.Catalog?.FirstOrDefault(o => o.Kind == "PrimaryKey" && o.Table == table);
        return pk is null ? Array.Empty<string>() : Parse(pk.Definition);
    }

    /// <summary>The column names inside the first parentheses, unquoted; empty when it does not read as a
    /// key.</summary>
    public static IReadOnlyList<string> Parse(string definition)
    {
        var open = definition.IndexOf('(');
        if (open < 0) return Array.Empty<string>();
        var names = new List<string>();
        var name = new StringBuilder();
        var quoted = false;
        for (var i = open + 1; i < definition.Length; i++)
        {
            var c = definition[i];
            if (quoted)
            {
                if (c != '"') { name.Append(c); continue; }
                if (i + 1 < definition.Length && definition[i + 1] == '"') { name.Append('"'); i++; continue; }
                quoted = false;
                continue;
            }
            switch (c)
            {
                case '"': quoted = true; break;
                case ',': names.Add(name.ToString()); name.Clear(); break;
                case ')': names.Add(name.ToString()); return names.Any(n => n.Length == 0) ? Array.Empty<string>()
                    : names;
                case ' ': break;
                default: name.Append(c); break;
            }
        }
        return Array.Empty<string>();
    }
}
