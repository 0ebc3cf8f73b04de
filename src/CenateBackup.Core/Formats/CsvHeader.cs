using System.Collections.Generic;
using System.Text;

namespace CenateBackup.Core.Formats;

/// <summary>The header line of a CSV export: the column names, in the order of the values.</summary>
internal static class CsvHeader
{
    /// <summary>The column names of a CSV header line (RFC 4180 quoting).</summary>
    public static List<string> ParseColumns(string line)
    {
        var names = new List<string>();
        var b = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { b.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else b.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { names.Add(b.ToString()); b.Clear(); }
            else b.Append(c);
        }
        names.Add(b.ToString());
        return names;
    }
}
