using System;
using System.Text;

namespace CenateBackup.Core.Restores;

/// <summary>The names Replace gives the live table and its indexes and sequences when the restored table takes its place.</summary>
internal static class ReplacedNames
{
    /// <summary>PostgreSQL's limit on a name, in bytes (NAMEDATALEN - 1).</summary>
    private const int MaxNameBytes = 63;

    /// <summary>&lt;table&gt;_replaced_&lt;stamp&gt;, the table cut so the name fits in 63 bytes.</summary>
    public static string Table(string table, string stamp) => Fit(table, "_replaced_" + stamp);

    /// <summary>&lt;name&gt;_r&lt;stamp without the underscore&gt;, for the old table's indexes and sequences.</summary>
    public static string Suffixed(string name, string stamp) =>
        Fit(name, "_r" + stamp.Replace("_", "", StringComparison.Ordinal));

    // The name cut by whole characters to the bytes left beside the suffix: the server would otherwise cut the suffix
    // itself (a name such as información_… is longer in bytes than in characters), and the name would no longer be
    // the one the module looks for.
    private static string Fit(string name, string suffix)
    {
        var room = MaxNameBytes - Encoding.UTF8.GetByteCount(suffix);
        if (Encoding.UTF8.GetByteCount(name) <= room) return name + suffix;
        var cut = new StringBuilder();
        var used = 0;
        foreach (var rune in name.EnumerateRunes())
        {
            if (used + rune.Utf8SequenceLength > room) break;
            used += rune.Utf8SequenceLength;
            cut.Append(rune.ToString());
        }
        return (cut.Length == 0 ? name[..1] : cut.ToString()) + suffix;
    }
}
