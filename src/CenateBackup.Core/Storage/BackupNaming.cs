using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CenateBackup.Core.Storage;

/// <summary>
/// File names of a backup set. The stamp is UTC, "yyyyMMdd_HHmmss", so names sort by time and mean the same
/// in every zone and across daylight-saving changes.
/// </summary>
public static partial class BackupNaming
{
    /// <summary>The stamp format.</summary>
    public const string StampFormat = "yyyyMMdd_HHmmss";

    /// <summary>Stamp for a UTC time.</summary>
    public static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture);

    /// <summary>Parses a stamp back to UTC time.</summary>
    public static bool TryParseStamp(string stamp, out DateTimeOffset time)
    {
        if (DateTime.TryParseExact(stamp, StampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var dt))
        {
            time = new DateTimeOffset(dt, TimeSpan.Zero);
            return true;
        }
        time = default;
        return false;
    }

    // Every file of a set starts with "<database>_<stamp>." (its set prefix): two databases backed up into one
    // directory in the same second never want one name, and a file's set is known from its name. The table comes
    // after the stamp, so names with '_' in the database or the table stay unambiguous for a known database.
    // Sets written before this scheme (table exports named "<table>_<stamp>.csv.gz") are still read: nothing parses
    // a table back out of a file name; the manifest lists every file of its set.

    /// <summary>Full custom-format dump of a database: &lt;database&gt;_&lt;stamp&gt;.dump.</summary>
    public static string DumpFile(string database, string stamp) => $"{SetPrefix(database, stamp)}dump";
    /// <summary>Plain SQL dump, gzip-compressed: &lt;database&gt;_&lt;stamp&gt;.sql.gz, or &lt;database&gt;_&lt;stamp&gt;.&lt;table&gt;.sql.gz when one table was dumped.</summary>
    public static string PlainDumpFile(string database, string? table, string stamp) =>
        table is null ? $"{SetPrefix(database, stamp)}sql.gz" : $"{SetPrefix(database, stamp)}{Safe(table)}.sql.gz";
    /// <summary>
    /// Data-only SQL export of a table, gzip-compressed: &lt;database&gt;_&lt;stamp&gt;.&lt;table&gt;.data.sql.gz ("data" keeps it
    /// apart from a plain dump of the same table in the same set).
    /// </summary>
    public static string TableSqlFile(string database, string table, string stamp) => $"{SetPrefix(database, stamp)}{Safe(table)}.data.sql.gz";
    /// <summary>CSV export of a table, gzip-compressed: &lt;database&gt;_&lt;stamp&gt;.&lt;table&gt;.csv.gz.</summary>
    public static string CsvFile(string database, string table, string stamp) => $"{SetPrefix(database, stamp)}{Safe(table)}.csv.gz";
    /// <summary>CSV export of a table, uncompressed: &lt;database&gt;_&lt;stamp&gt;.&lt;table&gt;.csv.</summary>
    public static string PlainCsvFile(string database, string table, string stamp) => $"{SetPrefix(database, stamp)}{Safe(table)}.csv";
    /// <summary>A base backup (pg_basebackup tar, gzip): &lt;database&gt;_&lt;stamp&gt;.base.tar.gz.</summary>
    public static string BaseFile(string database, string stamp) => $"{SetPrefix(database, stamp)}base.tar.gz";

    /// <summary>The set's manifest: &lt;database&gt;_&lt;stamp&gt;.manifest.json.</summary>
    public static string ManifestFile(string database, string stamp) => $"{SetPrefix(database, stamp)}manifest.json";

    /// <summary>What every file name of the set starts with: "&lt;database&gt;_&lt;stamp&gt;.".</summary>
    public static string SetPrefix(string database, string stamp) => $"{Safe(database)}_{stamp}.";

    /// <summary>
    /// True when <paramref name="fileName"/> is named like a file of a set of <paramref name="database"/> (it starts with
    /// "&lt;database&gt;_&lt;stamp&gt;." and the stamp is valid); <paramref name="stamp"/> is that stamp.
    /// </summary>
    public static bool TryMatchSetFile(string fileName, string database, out string stamp)
    {
        stamp = "";
        var head = Safe(database) + "_";
        if (database.Length == 0 || !fileName.StartsWith(head, StringComparison.Ordinal)) return false;
        var rest = fileName.AsSpan(head.Length);
        if (rest.Length < StampFormat.Length + 2 || rest[StampFormat.Length] != '.') return false;
        var candidate = rest[..StampFormat.Length].ToString();
        if (!TryParseStamp(candidate, out _)) return false;
        stamp = candidate;
        return true;
    }

    /// <summary>Matches a manifest file name: database and stamp.</summary>
    public static Match MatchManifest(string fileName) => ManifestRegex().Match(fileName);

    /// <summary>
    /// A name a manifest may list: one file of the set's own directory. Not empty, "." or "..", no '/' or '\', no wildcard
    /// ('*', '?', '['), no control character, no blank at either end: a manifest is data, and its names reach file
    /// system calls, glob patterns and rclone's file lists.
    /// </summary>
    public static bool IsPlainFileName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name == "." || name == ".." || name.Trim() != name) return false;
        foreach (var c in name)
        {
            if (c is '/' or '\\' or '*' or '?' or '[' || char.IsControl(c)) return false;
        }
        return true;
    }

    /// <summary>
    /// The file name at the end of a store path: after the last '/' of a directory path or of "remote:dir/name", after
    /// the ':' of "remote:name" (set file names never hold either).
    /// </summary>
    public static string FileNameOf(string path)
    {
        var cut = Math.Max(path.LastIndexOf('/'), path.LastIndexOf(':'));
        return OperatingSystem.IsWindows() ? System.IO.Path.GetFileName(path) : path[(cut + 1)..];
    }

    /// <summary>Keeps names portable: letters, digits, '-', '.', '_' stay; anything else becomes '_'.</summary>
    public static string Safe(string name) => UnsafeChars().Replace(name, "_");

    [GeneratedRegex(@"[^A-Za-z0-9_.\-]")]
    private static partial Regex UnsafeChars();

    [GeneratedRegex(@"^(?<db>.+)_(?<stamp>\d{8}_\d{6})\.manifest\.json$")]
    private static partial Regex ManifestRegex();
}
