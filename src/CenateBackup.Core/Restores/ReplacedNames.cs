using System;
using System.Text;

namespace CenateBackup.Core.Restores;

/// <summary>The names Replace gives the live table and its indexes and sequences when the restored table takes its place.</summary>
internal static class ReplacedNames
{
    /// <summary>&lt;table&gt;_replaced_&lt;stamp&gt;, the table cut so the name fits in 63 bytes.</summary>
    public static string Table(string table, string stamp)
    {
        var suffix = "_replaced_" + stamp;
        return (Encoding.UTF8.GetByteCount(table) + suffix.Length <= 63 ? table : table[..Math.Max(1, 63 - suffix.Length)]) + suffix;
    }

    /// <summary>&lt;name&gt;_r&lt;stamp without the underscore&gt;, for the old table's indexes and sequences.</summary>
    public static string Suffixed(string name, string stamp)
    {
        var suffix = "_r" + stamp.Replace("_", "", StringComparison.Ordinal);
        return (name.Length + suffix.Length <= 63 ? name : name[..(63 - suffix.Length)]) + suffix;
    }
}
