using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Archive;

/// <summary>Reads what a base backup needs to be rolled forward from the files pg_basebackup put in its tar.</summary>
public static partial class BaseBackupFacts
{
    /// <summary>
    /// A file of a WAL archive that holds a segment: its 24-hex-digit name (group 1), with ".partial" (group 2) while
    /// pg_receivewal still writes it. The one pattern the archive's readers share (continuity, retention, restore).
    /// </summary>
    [System.Text.RegularExpressions.GeneratedRegex("^([0-9A-F]{24})(\\.partial)?$")]
    public static partial System.Text.RegularExpressions.Regex SegmentFile();

    /// <summary>
    /// Where the recorded facts of a base set differ from the ones read again from its archive (null when they agree):
    /// the manifest is data, and a later restore must not be led to the wrong WAL by an edited one.
    /// </summary>
    public static string? Differences(ManifestBaseBackup recorded, ManifestBaseBackup read)
    {
        var diffs = new List<string>();
        void Check(string name, string a, string b)
        {
            if (!string.Equals(a, b, StringComparison.Ordinal)) diffs.Add($"{name} is '{a}' in the manifest, '{b}' in the archive");
        }
        Check("startLsn", recorded.StartLsn, read.StartLsn);
        Check("endLsn", recorded.EndLsn, read.EndLsn);
        Check("timeline", recorded.Timeline.ToString(CultureInfo.InvariantCulture), read.Timeline.ToString(CultureInfo.InvariantCulture));
        Check("startWalFile", recorded.StartWalFile, read.StartWalFile);
        Check("endWalFile", recorded.EndWalFile, read.EndWalFile);
        Check("systemIdentifier", recorded.SystemIdentifier, read.SystemIdentifier);
        Check("pgVersion", recorded.PgVersion, read.PgVersion);
        return diffs.Count == 0 ? null : string.Join("; ", diffs);
    }

    /// <summary>
    /// The WAL range (backup_label's START WAL LOCATION and timeline, the backup_manifest's End-LSN), the data
    /// directory's version and the cluster's system identifier.
    /// </summary>
    public static ManifestBaseBackup From(IReadOnlyDictionary<string, byte[]> files, long walSegmentSize)
    {
        var label = Encoding.UTF8.GetString(files["backup_label"]);
        var facts = new ManifestBaseBackup { WalSegmentSize = walSegmentSize };
        foreach (var raw in label.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon < 0) continue;
            var key = line[..colon];
            var value = line[(colon + 2)..];
            switch (key)
            {
                case "START WAL LOCATION":
                    // "0/2000028 (file 000000010000000000000002)"
                    var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    facts.StartLsn = parts[0];
                    if (parts.Length >= 3) facts.StartWalFile = parts[2].TrimEnd(')');
                    break;
                case "START TIMELINE":
                    facts.Timeline = int.Parse(value.Trim(), CultureInfo.InvariantCulture);
                    break;
                case "START TIME":
                    facts.StartTime = value.Trim();
                    break;
            }
        }
        var endTimeline = 0;
        using (var doc = JsonDocument.Parse(files["backup_manifest"]))
        {
            var root = doc.RootElement;
            if (root.TryGetProperty("Files", out var list)) facts.ManifestFiles = list.GetArrayLength();
            if (root.TryGetProperty("WAL-Ranges", out var ranges))
            {
                // One range per timeline the backup's WAL crossed, newest timeline first: the first one ends where
                // replay becomes consistent.
                foreach (var range in ranges.EnumerateArray())
                {
                    facts.EndLsn = range.GetProperty("End-LSN").GetString() ?? "";
                    endTimeline = range.GetProperty("Timeline").GetInt32();
                    if (facts.Timeline == 0) facts.Timeline = endTimeline;
                    break;
                }
            }
        }
        if (files.TryGetValue("PG_VERSION", out var version)) facts.PgVersion = Encoding.ASCII.GetString(version).Trim();
        if (files.TryGetValue("global/pg_control", out var control) && control.Length >= 8)
        {
            facts.SystemIdentifier = BinaryPrimitives.ReadUInt64LittleEndian(control).ToString(CultureInfo.InvariantCulture);
        }
        // The segment that holds the last byte before End-LSN (PostgreSQL's XLByteToPrevSeg): an End-LSN on a segment
        // boundary needs the segment before it, not the next one.
        if (facts.EndLsn.Length > 0 && IsSegmentSize(walSegmentSize))
        {
            facts.EndWalFile = SegmentOf(endTimeline > 0 ? endTimeline : facts.Timeline, Math.Max(1, ParseLsn(facts.EndLsn)) - 1, walSegmentSize);
        }
        if (facts.StartWalFile.Length == 0 && facts.StartLsn.Length > 0 && IsSegmentSize(walSegmentSize))
        {
            facts.StartWalFile = SegmentOf(facts.Timeline, facts.StartLsn, walSegmentSize);
        }
        return facts;
    }

    /// <summary>Parses "X/Y" into a 64-bit LSN.</summary>
    public static ulong ParseLsn(string lsn)
    {
        var slash = lsn.IndexOf('/');
        if (slash <= 0) throw new FormatException($"'{lsn}' is not an LSN");
        return (ulong.Parse(lsn[..slash], NumberStyles.HexNumber, CultureInfo.InvariantCulture) << 32)
            | ulong.Parse(lsn[(slash + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    /// <summary>True for a WAL segment size PostgreSQL allows: a power of two from 1 MB to 1 GB.</summary>
    public static bool IsSegmentSize(long size) => size is >= 1L << 20 and <= 1L << 30 && (size & (size - 1)) == 0;

    /// <summary>The WAL file name that holds <paramref name="lsn"/> on <paramref name="timeline"/>.</summary>
    public static string SegmentOf(int timeline, string lsn, long segmentSize) => SegmentOf(timeline, ParseLsn(lsn), segmentSize);

    /// <summary>The WAL file name that holds the byte at <paramref name="lsn"/> on <paramref name="timeline"/>.</summary>
    public static string SegmentOf(int timeline, ulong lsn, long segmentSize) =>
        SegmentName(timeline.ToString("X8", CultureInfo.InvariantCulture), lsn / (ulong)segmentSize, segmentSize);

    /// <summary>
    /// The file name of segment <paramref name="number"/> (counted across logs) on a timeline given as its 8 hex
    /// digits: the one place the module turns segment numbers into WAL file names.
    /// </summary>
    public static string SegmentName(string timeline, ulong number, long segmentSize)
    {
        var perLog = 0x1_0000_0000UL / (ulong)segmentSize;
        return timeline + (number / perLog).ToString("X8", CultureInfo.InvariantCulture) + (number % perLog).ToString("X8", CultureInfo.InvariantCulture);
    }

    /// <summary>The segment number (counted across logs, timeline left out) of a 24-hex-digit WAL file name.</summary>
    public static ulong SegmentNumber(string name, long segmentSize) =>
        ulong.Parse(name.AsSpan(8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture) * (0x1_0000_0000UL / (ulong)segmentSize)
        + ulong.Parse(name.AsSpan(16, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
