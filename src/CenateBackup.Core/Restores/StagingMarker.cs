using System;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CenateBackup.Core.Database;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Restores;

/// <summary>
/// The COMMENT Restore-CenateTable puts on what it leaves behind (a staging schema cenate_restore_&lt;stamp&gt;, a
/// table &lt;table&gt;_replaced_&lt;stamp&gt;), so that Remove-CenateRestoreStaging can tell it from a look-alike a
/// person
/// made: a fixed prefix, then JSON (the live table, the backup file, the time). A marker counts only when it fits the
/// object's name too: the stamp in the name is the marker's time, and a replaced table's name is the one Replace
/// gives its table. A name alone, or a marker copied onto another object, proves nothing.
/// </summary>
public static class StagingMarker
{
    /// <summary>What every marker starts with.</summary>
    public const string Prefix = "CenateBackup ";

    /// <summary>Staging schema names: cenate_restore_&lt;yyyyMMdd_HHmmss&gt;, with _2, _3 … for a second one that
    /// second.</summary>
    public static readonly Regex StagingName = new(@"^cenate_restore_(?<stamp>\d{8}_\d{6})(_\d+)?$",
        RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>Replaced table names: &lt;table (cut to fit 63 bytes)&gt;_replaced_&lt;yyyyMMdd_HHmmss&gt;.</summary>
    public static readonly Regex ReplacedName = new(@"^(?<table>.+)_replaced_(?<stamp>\d{8}_\d{6})$",
        RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));

    /// <summary>The marker text (kind "staging" or "replaced").</summary>
    public static string Text(string kind, string schema, string table, string? backupFile, DateTimeOffset created)
    {
        var json = JsonSerializer.Serialize(new MarkerJson
        {
            Kind = kind,
            Schema = schema,
            Table = table,
            Backup = backupFile is null ? null : System.IO.Path.GetFileName(backupFile),
            Created = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        });
        return Prefix + kind + " " + json;
    }

    /// <summary>COMMENT ON SCHEMA for a staging schema, its name and text quoted here.</summary>
    public static string CommentOnSchema(string schema, string liveSchema, string table, string? backupFile,
        DateTimeOffset created) =>
        $"COMMENT ON SCHEMA {SqlText.Identifier(schema)} IS " +
        SqlText.Literal(Text("staging", liveSchema, table, backupFile, created));

    /// <summary>COMMENT ON TABLE for the table Replace put aside (<paramref name="quotedTable"/> already
    /// quoted).</summary>
    public static string CommentOnReplaced(string quotedTable, string liveSchema, string table, string? backupFile,
        DateTimeOffset created) =>
        $"COMMENT ON TABLE {quotedTable} IS " +
        SqlText.Literal(Text("replaced", liveSchema, table, backupFile, created));

    /// <summary>The time a restore stamp (yyyyMMdd_HHmmss, UTC) stands for.</summary>
    public static DateTimeOffset StampTime(string stamp) =>
        BackupNaming.TryParseStamp(stamp, out var time) ? time
            : throw new ArgumentException("Not a stamp.", nameof(stamp));

    /// <summary>Reads a comment; null when it is not a well-formed marker of <paramref name="kind"/>.</summary>
    public static StagingMarkerInfo? Parse(string? comment, string kind)
    {
        var head = Prefix + kind + " ";
        if (comment is null || !comment.StartsWith(head, StringComparison.Ordinal)) return null;
        try
        {
            var m = JsonSerializer.Deserialize<MarkerJson>(comment[head.Length..]);
            if (m is null || m.Kind != kind || string.IsNullOrEmpty(m.Schema) || string.IsNullOrEmpty(m.Table)
                || !DateTimeOffset.TryParseExact(m.Created, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var created))
                return null;
            return new StagingMarkerInfo(m.Schema, m.Table, m.Backup, created);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The marker of a staging schema when it fits the schema's name (its stamp is the marker's
    /// time).</summary>
    public static StagingMarkerInfo? ForStaging(string schemaName, string? comment)
    {
        var name = StagingName.Match(schemaName);
        var marker = Parse(comment, "staging");
        if (!name.Success || marker is null) return null;
        return name.Groups["stamp"].Value == BackupNaming.Stamp(marker.Created) ? marker : null;
    }

    /// <summary>
    /// The marker of a replaced table when it fits: same schema, and the table's name is the one Replace gives the
    /// marker's table at the marker's time.
    /// </summary>
    public static StagingMarkerInfo? ForReplaced(string schema, string tableName, string? comment)
    {
        var marker = Parse(comment, "replaced");
        if (marker is null || marker.Schema != schema) return null;
        return ReplacedNames.Table(marker.Table, BackupNaming.Stamp(marker.Created)) == tableName ? marker : null;
    }

    private sealed class MarkerJson
    {
        [System.Text.Json.Serialization.JsonPropertyName("kind")]
        public string? Kind { get; set; }
        [System.Text.Json.Serialization.JsonPropertyName("schema")]
        public string? Schema { get; set; }
        [System.Text.Json.Serialization.JsonPropertyName("table")]
        public string? Table { get; set; }
        [System.Text.Json.Serialization.JsonPropertyName("backup")]
        public string? Backup { get; set; }
        [System.Text.Json.Serialization.JsonPropertyName("created")]
        public string? Created { get; set; }
    }
}

/// <summary>What a marker says: the live table (schema, name), the backup file's name and when the restore
/// ran.</summary>
public sealed record StagingMarkerInfo(string Schema, string Table, string? Backup, DateTimeOffset Created);
