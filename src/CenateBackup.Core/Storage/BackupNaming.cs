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

    /// <summary>Full custom-format dump of a database.</summary>
    public static string DumpFile(string database, string stamp) => $"{Safe(database)}_{stamp}.dump";
    /// <summary>Plain SQL dump, gzip-compressed (of a table, or of the database when no table was named).</summary>
    public static string SqlFile(string name, string stamp) => $"{Safe(name)}_{stamp}.sql.gz";
    /// <summary>CSV export of a table, gzip-compressed.</summary>
    public static string CsvFile(string table, string stamp) => $"{Safe(table)}_{stamp}.csv.gz";
    /// <summary>CSV export of a table, uncompressed.</summary>
    public static string PlainCsvFile(string table, string stamp) => $"{Safe(table)}_{stamp}.csv";
    /// <summary>The set's manifest.</summary>
    public static string ManifestFile(string database, string stamp) => $"{Safe(database)}_{stamp}.manifest.json";

    /// <summary>Matches a manifest file name: database and stamp.</summary>
    public static Match MatchManifest(string fileName) => ManifestRegex().Match(fileName);

    /// <summary>Keeps names portable: letters, digits, '-', '.', '_' stay; anything else becomes '_'.</summary>
    public static string Safe(string name) => UnsafeChars().Replace(name, "_");

    [GeneratedRegex(@"[^A-Za-z0-9_.\-]")]
    private static partial Regex UnsafeChars();

    [GeneratedRegex(@"^(?<db>.+)_(?<stamp>\d{8}_\d{6})\.manifest\.json$")]
    private static partial Regex ManifestRegex();
}
