using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Verification;

/// <summary>
/// Can a base backup be rolled forward with the WAL archive? Its own tar holds the WAL up to the end of the backup; from
/// the segment that holds that end on, every segment must be in the archive directory, without a gap, up to the newest
/// one there (pg_receivewal's <c>.partial</c> is the one being received). The archive's marker must name the same
/// cluster. Only file names and the marker are read: a missing segment is found in milliseconds whatever the archive's
/// size. A gap is the archive's problem, not the base set's: the set stays verified.
/// </summary>
public static partial class WalContinuity
{
    /// <summary>The marker Start-CenateWalArchive writes into the archive directory.</summary>
    public const string MarkerFile = ".cenate-wal-archive.json";

    /// <summary>
    /// The system identifier a marker's JSON records; null when it is not an object or records none as text. Invalid JSON
    /// is a <see cref="JsonException"/> (the caller decides what an unreadable marker means).
    /// </summary>
    public static string? SystemIdentifierOf(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("systemIdentifier", out var id)
            && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
    }

    /// <summary>Checks the archive for the base backup described by <paramref name="from"/>; adds the check and any problem.</summary>
    public static void Apply(VerificationReport report, string walDirectory, ManifestBaseBackup from, string setName)
    {
        var problem = Check(walDirectory, from, out var check);
        report.Checks.Add(check);
        if (problem is not null) report.Problems.Add(new VerificationProblem(ProblemKind.WalArchiveGap, setName, problem));
    }

    /// <summary>What is wrong (null: nothing), and the check's one-line description.</summary>
    public static string? Check(string walDirectory, ManifestBaseBackup from, out string check)
    {
        check = $"WAL continuity from {from.EndWalFile} in {walDirectory}";
        if (!BaseBackupFacts.IsSegmentSize(from.WalSegmentSize) || !IsSegmentName(from.EndWalFile))
        {
            return "the set records no usable WAL range (walSegmentSize, endWalFile): the archive cannot be matched to it";
        }
        if (!Directory.Exists(walDirectory)) return $"the WAL archive directory {walDirectory} does not exist";
        var marker = Path.Combine(walDirectory, MarkerFile);
        if (File.Exists(marker) && from.SystemIdentifier.Length > 0)
        {
            string? system = null;
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(marker));
                if (doc.RootElement.TryGetProperty("systemIdentifier", out var id)) system = id.GetString();
            }
            catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException or InvalidOperationException)
            {
                return $"the archive's marker {marker} cannot be read ({ex.Message})";
            }
            if (system is not null && !string.Equals(system, from.SystemIdentifier, StringComparison.Ordinal))
            {
                return $"the archive holds WAL of another cluster (system identifier {system}; the base backup's is {from.SystemIdentifier}): it cannot roll this base backup forward";
            }
        }
        var size = from.WalSegmentSize;
        var start = Number(from.EndWalFile, size);
        var have = new SortedSet<ulong>();
        foreach (var file in Directory.EnumerateFiles(walDirectory))
        {
            var name = Path.GetFileName(file);
            var m = BaseBackupFacts.SegmentFile().Match(name);
            if (m.Success) have.Add(Number(m.Groups[1].Value, size));
        }
        var newest = have.Count == 0 ? (ulong?)null : have.Max;
        if (newest is null || newest < start)
        {
            return $"the archive has no segment from {from.EndWalFile} on (its newest is {(newest is null ? "none" : Name(from.Timeline, newest.Value, size))}): the base backup cannot be rolled forward past its end";
        }
        var missing = new List<ulong>();
        for (var n = start; n <= newest; n++)
        {
            if (!have.Contains(n)) missing.Add(n);
            if (missing.Count > 1000) break;
        }
        check = $"WAL continuity {from.EndWalFile} – {Name(from.Timeline, newest.Value, size)} ({newest.Value - start + 1} segments) in {walDirectory}";
        if (missing.Count == 0) return null;
        var shown = string.Join(", ", missing.Take(3).Select(n => Name(from.Timeline, n, size)));
        return $"the archive has a gap: {(missing.Count > 1000 ? "more than 1000" : missing.Count.ToString(CultureInfo.InvariantCulture))} segment(s) missing between {from.EndWalFile} and its newest, first {shown}; recovery cannot go past the first missing one — take a new base backup";
    }

    private static bool IsSegmentName(string name) => name.Length == 24 && name.All(Uri.IsHexDigit);

    private static ulong Number(string name, long size) => BaseBackupFacts.SegmentNumber(name, size);

    private static string Name(int timeline, ulong number, long size) =>
        BaseBackupFacts.SegmentName(timeline.ToString("X8", CultureInfo.InvariantCulture), number, size);

}
