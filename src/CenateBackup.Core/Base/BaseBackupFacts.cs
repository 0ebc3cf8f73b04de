using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Base;

/// <summary>Reads what a base backup needs to be rolled forward from the files pg_basebackup put in its tar.</summary>
public static class BaseBackupFacts
{
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
        using (var doc = JsonDocument.Parse(files["backup_manifest"]))
        {
            var root = doc.RootElement;
            if (root.TryGetProperty("Files", out var list)) facts.ManifestFiles = list.GetArrayLength();
            if (root.TryGetProperty("WAL-Ranges", out var ranges))
            {
                foreach (var range in ranges.EnumerateArray())
                {
                    // One range for a backup taken on one timeline; the last one ends where replay becomes consistent.
                    facts.EndLsn = range.GetProperty("End-LSN").GetString() ?? "";
                    if (facts.Timeline == 0) facts.Timeline = range.GetProperty("Timeline").GetInt32();
                }
            }
        }
        if (files.TryGetValue("PG_VERSION", out var version)) facts.PgVersion = Encoding.ASCII.GetString(version).Trim();
        if (files.TryGetValue("global/pg_control", out var control) && control.Length >= 8)
        {
            facts.SystemIdentifier = BinaryPrimitives.ReadUInt64LittleEndian(control).ToString(CultureInfo.InvariantCulture);
        }
        if (facts.EndLsn.Length > 0 && walSegmentSize > 0) facts.EndWalFile = SegmentOf(facts.Timeline, facts.EndLsn, walSegmentSize);
        if (facts.StartWalFile.Length == 0 && facts.StartLsn.Length > 0 && walSegmentSize > 0)
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

    /// <summary>The WAL file name that holds <paramref name="lsn"/> on <paramref name="timeline"/>.</summary>
    public static string SegmentOf(int timeline, string lsn, long segmentSize)
    {
        var number = ParseLsn(lsn) / (ulong)segmentSize;
        var perLog = 0x1_0000_0000UL / (ulong)segmentSize;
        return timeline.ToString("X8", CultureInfo.InvariantCulture) + (number / perLog).ToString("X8", CultureInfo.InvariantCulture)
            + (number % perLog).ToString("X8", CultureInfo.InvariantCulture);
    }
}
