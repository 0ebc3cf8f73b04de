using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Storage;

/// <summary>
/// The manifest of a backup set ("&lt;database&gt;_&lt;stamp&gt;.manifest.json"): everything retention, verification,
/// offsite and listing need, so none of them ever judge by file mtimes. Never holds a secret.
/// The format is documented in README.md; <see cref="CurrentFormatVersion"/> changes only with a migration.
/// </summary>
public sealed class BackupManifest
{
    /// <summary>Version of the manifest format this code writes.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>Manifest format version.</summary>
    public int FormatVersion { get; set; } = CurrentFormatVersion;
    /// <summary>Tool and version that wrote the set.</summary>
    public string Tool { get; set; } = "";
    /// <summary>Database name.</summary>
    public string Database { get; set; } = "";
    /// <summary>UTC stamp, yyyyMMdd_HHmmss.</summary>
    public string Stamp { get; set; } = "";
    /// <summary>When the run started (UTC).</summary>
    public DateTimeOffset StartedAt { get; set; }
    /// <summary>When the last file was committed (UTC); null while incomplete.</summary>
    public DateTimeOffset? CompletedAt { get; set; }
    /// <summary>True when every file of the set was written and committed.</summary>
    public bool Complete { get; set; }
    /// <summary>
    /// What the set covers (Full, Tables, DataOnly, Exports); null in sets written before it was recorded, whose kind
    /// is read from their files. Use <see cref="BackupSetKinds.Effective"/> to judge a set.
    /// </summary>
    public BackupSetKind? Kind { get; set; }
    /// <summary>Where the data came from.</summary>
    public ManifestSource Source { get; set; } = new();
    /// <summary>Exported snapshot the files were read at (one moment for the whole set).</summary>
    public string? SnapshotId { get; set; }
    /// <summary>Exact row counts (schema.table → rows) counted in that snapshot.</summary>
    public SortedDictionary<string, long> RowCounts { get; set; } = new(StringComparer.Ordinal);
    /// <summary>The files of the set.</summary>
    public List<ManifestFile> Files { get; set; } = new();
    /// <summary>
    /// Keys, indexes, constraints and triggers of the dumped tables as the source catalog had them at the snapshot
    /// (null for data-only dumps and for sets written before this was recorded). The restore drill checks them.
    /// </summary>
    public List<ManifestCatalogObject>? Catalog { get; set; }
    /// <summary>Last verification, or null if never verified.</summary>
    public ManifestVerification? Verification { get; set; }
    /// <summary>
    /// For a copy of the set made by Sync-CenateOffsite (on a USB/NAS disk, a remote, or brought back home): where it
    /// came from and how it was verified where it is. Null for the set as its backup run wrote it.
    /// </summary>
    public ManifestCopy? Copy { get; set; }
    /// <summary>
    /// Drops of critical tables' rows into this set that an admin acknowledged with Confirm-CenateRowDrop (null in
    /// older manifests and while none was acknowledged). Counts and reasons only, never rows.
    /// </summary>
    public List<ManifestRowDropAcknowledgement>? RowDropAcknowledgements { get; set; }
    /// <summary>
    /// For a base backup set (New-CenateBaseBackup): where its WAL starts and ends, as pg_basebackup's backup_label and
    /// backup_manifest inside the archive say. Null for dump sets.
    /// </summary>
    public ManifestBaseBackup? Base { get; set; }

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false) },
        // Manifests are read by people too: keep '+' and accented letters readable (no secrets or HTML here).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Serialises to JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, s_json);

    /// <summary>Parses JSON; throws ManifestInvalid with the file name on anything malformed or of an unknown format.</summary>
    public static BackupManifest Parse(string json, string sourceName)
    {
        BackupManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<BackupManifest>(json, s_json);
        }
        catch (JsonException ex)
        {
            throw Invalid(sourceName, $"it is not valid JSON ({ex.Message})", ex);
        }
        if (m is null) throw Invalid(sourceName, "it is empty", null);
        if (m.Files is null || m.Source is null || m.RowCounts is null || m.Tool is null)
            throw Invalid(sourceName, "it lacks files, source, rowCounts or tool", null);
        if (m.FormatVersion < 1 || m.FormatVersion > CurrentFormatVersion)
            throw Invalid(sourceName, $"format version {m.FormatVersion} is not supported by this module (it reads up to {CurrentFormatVersion})", null);
        if (string.IsNullOrEmpty(m.Database) || !BackupNaming.TryParseStamp(m.Stamp, out _))
            throw Invalid(sourceName, "it has no database or no valid stamp", null);
        foreach (var f in m.Files)
        {
            if (f is null || f.Tables is null || f.Sha256 is null)
                throw Invalid(sourceName, "a file entry is empty or lacks its tables or sha256", null);
            if (!BackupNaming.IsPlainFileName(f.Name))
                throw Invalid(sourceName, $"file entry '{f.Name}' is not a plain file name", null);
        }
        return m;
    }

    /// <summary>Reads a manifest file.</summary>
    public static BackupManifest Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path), path);
        }
        catch (FileNotFoundException ex)
        {
            throw new CenateException(ErrorIds.PathNotFound, CenateErrorKind.ObjectNotFound, Messages.Format("PathNotFound.2", path), Messages.Get("PathNotFound.Action.2"), path, ex);
        }
    }

    /// <summary>
    /// Writes the manifest atomically, 0600: a partial file of its own ("&lt;manifest&gt;.&lt;random&gt;.partial", O_EXCL),
    /// fsync, rename over the old manifest (the one file that is legitimately replaced), fsync the directory.
    /// Two savers never share a partial, so the manifest is always one whole JSON document, the last saver's.
    /// </summary>
    public void Save(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        try
        {
            AtomicFileReplace.Write(path, System.Text.Encoding.UTF8.GetBytes(ToJson()));
        }
        catch (UnauthorizedAccessException ex)
        {
            throw BackupDirectory.NotWritable(directory, ex);
        }
        catch (IOException ex)
        {
            throw AtomicBackupFile.IsDiskFull(ex)
                ? new CenateException(ErrorIds.DiskFull, CenateErrorKind.WriteError, Messages.Format("DiskFull.3", path), Messages.Get("DiskFull.Action.3"), path, ex)
                : new CenateException(ErrorIds.WriteFailed, CenateErrorKind.WriteError, Messages.Format("WriteFailed.2", path, ex.Message), Messages.Get("WriteFailed.Action.2"), path, ex);
        }
    }

    private static CenateException Invalid(string name, string why, Exception? inner) => new(ErrorIds.ManifestInvalid, CenateErrorKind.InvalidData,
        Messages.Format("ManifestInvalid.Manifest", name, why), Messages.Get("ManifestInvalid.Manifest.Action"), name,
            inner);
}

/// <summary>Where a set's data came from (no secrets).</summary>
public sealed class ManifestSource
{
    /// <summary>Container or Host.</summary>
    public string Mode { get; set; } = "";
    /// <summary>Container name (container mode).</summary>
    public string? Container { get; set; }
    /// <summary>Host name (host mode).</summary>
    public string? Host { get; set; }
    /// <summary>Server port.</summary>
    public int Port { get; set; }
    /// <summary>Role used.</summary>
    public string User { get; set; } = "";
    /// <summary>Server version (server_version).</summary>
    public string ServerVersion { get; set; } = "";
    /// <summary>server_version_num.</summary>
    public int ServerVersionNum { get; set; }
    /// <summary>Version of pg_dump that wrote the files.</summary>
    public string PgDumpVersion { get; set; } = "";
    /// <summary>Encoding of the source database (null for sets written before this was recorded).</summary>
    public string? Encoding { get; set; }
    /// <summary>TimeZone of the snapshot session: timestamptz text in the set follows it (null in older
    /// sets).</summary>
    public string? TimeZone { get; set; }
}

/// <summary>One key, index, constraint or trigger of a dumped table, as pg_get_*def printed it.</summary>
public sealed class ManifestCatalogObject
{
    /// <summary>schema.table it belongs to.</summary>
    public string Table { get; set; } = "";
    /// <summary>PrimaryKey, Unique, ForeignKey, Check, Exclusion, NotNull, ConstraintTrigger, Index or Trigger.</summary>
    public string Kind { get; set; } = "";
    /// <summary>Its name.</summary>
    public string Name { get; set; } = "";
    /// <summary>Its definition (pg_get_constraintdef, pg_get_indexdef or pg_get_triggerdef with an empty search_path).</summary>
    public string Definition { get; set; } = "";
    /// <summary>
    /// True when PostgreSQL made it from another object — a partition's clone of its parent's constraint, index or
    /// trigger, or a foreign key's clone for each partition of the table it references. A restore makes these again
    /// and may name them otherwise, so a restore drill finds them by what they are, not by name.
    /// </summary>
    public bool Derived { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {Name} on {Table}";
}

/// <summary>One file of a set.</summary>
public sealed class ManifestFile
{
    /// <summary>File name, relative to the manifest's directory.</summary>
    public string Name { get; set; } = "";
    /// <summary>Dump (custom format), Sql (plain SQL, gzip) or Csv (gzip).</summary>
    public BackupFileKind Kind { get; set; }
    /// <summary>Size in bytes.</summary>
    public long Size { get; set; }
    /// <summary>Lowercase hex SHA-256 of the file.</summary>
    public string Sha256 { get; set; } = "";
    /// <summary>"gzip" (custom dumps compress internally with zlib; SQL/CSV files are gzip) or "none".</summary>
    public string Compression { get; set; } = "gzip";
    /// <summary>Compression level 0–9.</summary>
    public int CompressionLevel { get; set; }
    /// <summary>True for data-only dumps.</summary>
    public bool DataOnly { get; set; }
    /// <summary>Tables the file was limited to (schema.table), empty for the whole database.</summary>
    public List<string> Tables { get; set; } = new();
    /// <summary>Data rows in the file (CSV and SQL exports), counted as it was written; null for dumps.</summary>
    public long? Rows { get; set; }
    /// <summary>When the file was committed.</summary>
    public DateTimeOffset CompletedAt { get; set; }
}

/// <summary>Kinds of backup files.</summary>
public enum BackupFileKind
{
    /// <summary>pg_dump custom format archive.</summary>
    Dump,
    /// <summary>Plain SQL, gzip-compressed.</summary>
    Sql,
    /// <summary>CSV with header, gzip-compressed (or plain .csv).</summary>
    Csv,
    /// <summary>A pg_basebackup of the whole cluster: one tar (with its backup_manifest and the WAL it needs), gzip-compressed.</summary>
    Base,
}

/// <summary>What a base backup set needs to be rolled forward: its WAL range and the server it came from.</summary>
public sealed class ManifestBaseBackup
{
    /// <summary>START WAL LOCATION of backup_label (the redo point replay starts at).</summary>
    public string StartLsn { get; set; } = "";
    /// <summary>End-LSN of the backup_manifest's WAL range: replay must reach it before the copy is consistent.</summary>
    public string EndLsn { get; set; } = "";
    /// <summary>START TIMELINE.</summary>
    public int Timeline { get; set; }
    /// <summary>The first WAL segment replay needs (the file named in backup_label).</summary>
    public string StartWalFile { get; set; } = "";
    /// <summary>The segment that holds <see cref="EndLsn"/>: the archive must reach it.</summary>
    public string EndWalFile { get; set; } = "";
    /// <summary>wal_segment_size of the server, in bytes.</summary>
    public long WalSegmentSize { get; set; }
    /// <summary>The cluster's system identifier (global/pg_control): WAL of another cluster cannot be replayed on it.</summary>
    public string SystemIdentifier { get; set; } = "";
    /// <summary>PG_VERSION of the data directory (the major version a restore needs).</summary>
    public string PgVersion { get; set; } = "";
    /// <summary>START TIME of backup_label.</summary>
    public string StartTime { get; set; } = "";
    /// <summary>Files the backup_manifest lists.</summary>
    public int ManifestFiles { get; set; }
}

/// <summary>The outcome of the last verification of a set.</summary>
public sealed class ManifestVerification
{
    /// <summary>Checksum, Read or Restore.</summary>
    public string Level { get; set; } = "";
    /// <summary>When it ran.</summary>
    public DateTimeOffset At { get; set; }
    /// <summary>True when every check passed.</summary>
    public bool Passed { get; set; }
    /// <summary>Problems found (empty when passed).</summary>
    public List<string> Problems { get; set; } = new();
    /// <summary>Restore level: the scratch database the drill used (dropped afterwards unless kept).</summary>
    public string? DrillDatabase { get; set; }
    /// <summary>Restore level: the server the drill ran on (container or host:port).</summary>
    public string? DrillServer { get; set; }
    /// <summary>Wall time of the verification, in seconds.</summary>
    public double Seconds { get; set; }
    /// <summary>
    /// Where the checked files were: the directory, or "remote:path" (null in records written before it was kept). A
    /// manifest copied elsewhere by another tool carries the record of where it came from, which proves nothing there.
    /// </summary>
    public string? Location { get; set; }

    /// <summary>True when the record was made where the set now is (or does not say where it was made).</summary>
    public bool MadeAt(string location) => Location is null
        || string.Equals(Location.TrimEnd('/'), location.TrimEnd('/'), StringComparison.Ordinal);
}

/// <summary>An acknowledged drop of a critical table's rows into a set (Confirm-CenateRowDrop).</summary>
public sealed class ManifestRowDropAcknowledgement
{
    /// <summary>schema.table.</summary>
    public string Table { get; set; } = "";
    /// <summary>Rows in the earlier full set.</summary>
    public long Before { get; set; }
    /// <summary>Rows in this set.</summary>
    public long After { get; set; }
    /// <summary>Stamp of the earlier full set.</summary>
    public string BeforeStamp { get; set; } = "";
    /// <summary>Why the drop is expected (the admin's words).</summary>
    public string Reason { get; set; } = "";
    /// <summary>Who acknowledged it (the account's user name).</summary>
    public string By { get; set; } = "";
    /// <summary>When (UTC).</summary>
    public DateTimeOffset At { get; set; }
}

/// <summary>How a copy of a set came to be where it is (Sync-CenateOffsite). Never holds a secret.</summary>
public sealed class ManifestCopy
{
    /// <summary>The place it was copied from: a directory or "remote:path" (never a credential).</summary>
    public string From { get; set; } = "";
    /// <summary>When the copy was verified and its manifest written (UTC).</summary>
    public DateTimeOffset At { get; set; }
    /// <summary>How every byte was checked where the copy is.</summary>
    public string Method { get; set; } = "";
    /// <summary>The verification the set had where it came from.</summary>
    public ManifestVerification? SourceVerification { get; set; }
}
