using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Verification;

namespace CenateBackup.Core.Retention;

/// <summary>
/// Retention of the WAL archive: a segment is needed from the start of the oldest base backup still kept on; the older
/// ones roll no kept base backup forward and go. Timeline history files are always kept (they are tiny and recovery
/// reads them). Nothing goes when no complete base backup is kept or any kept one records no usable WAL start, or when
/// the archive's marker names another cluster than the base backups.
/// </summary>
public static partial class WalPruning
{
    /// <summary>What would go: the segments (full paths) older than <paramref name="firstNeeded"/>, and that segment's name.</summary>
    public static IReadOnlyList<string> Older(string walDirectory, ulong firstNeeded, long segmentSize) =>
        Directory.EnumerateFiles(walDirectory)
            .Where(f => BaseBackupFacts.SegmentFile().Match(Path.GetFileName(f)) is { Success: true } m
                && BaseBackupFacts.SegmentNumber(m.Groups[1].Value, segmentSize) < firstNeeded)
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToList();

    /// <summary>Removes (after one confirmation) the segments no kept base backup needs.</summary>
    public static void Run(string walDirectory, IReadOnlyList<CatalogEntry> keptBaseSets, IRetentionJobHost host, IOperationReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(reporter);
        if (!Directory.Exists(walDirectory))
        {
            throw new CenateException(ErrorIds.PathNotFound, CenateErrorKind.ObjectNotFound, Messages.Format("Pitr.NoWalPath", walDirectory),
                Messages.Get("Pitr.NoArchive.Action"), walDirectory);
        }
        if (keptBaseSets.Count == 0)
        {
            reporter.Warning(Messages.Format("Warning.WalPruning.NoBase", walDirectory));
            return;
        }
        var facts = keptBaseSets.Select(e => e.Manifest.Base).ToList();
        if (facts.Any(b => b is null || !BaseBackupFacts.IsSegmentSize(b.WalSegmentSize) || b.StartWalFile.Length != 24
            || !b.StartWalFile.All(Uri.IsHexDigit)))
        {
            reporter.Warning(Messages.Format("Warning.WalPruning.NoStart", walDirectory));
            return;
        }
        var systems = facts.Select(b => b!.SystemIdentifier).Where(s => s.Length > 0).Distinct().ToList();
        var archiveSystem = MarkerSystem(walDirectory);
        if (archiveSystem is null)
        {
            // Only an archive Start-CenateWalArchive made (its marker names the cluster) is pruned.
            reporter.Warning(Messages.Format("Warning.WalPruning.NoMarker", walDirectory, WalContinuity.MarkerFile));
            return;
        }
        if (archiveSystem is not null && systems.Any(s => s != archiveSystem))
        {
            throw new CenateException(ErrorIds.WalArchiveForeign, CenateErrorKind.InvalidOperation,
                Messages.Format("WalPruning.Foreign", walDirectory, archiveSystem, string.Join(", ", systems)),
                Messages.Get("WalPruning.Foreign.Action"), walDirectory);
        }
        var size = facts[0]!.WalSegmentSize;
        var oldest = facts.OrderBy(b => BaseBackupFacts.SegmentNumber(b!.StartWalFile, size)).First()!;
        var first = BaseBackupFacts.SegmentNumber(oldest.StartWalFile, size);
        // The manifests say where the oldest kept base backup starts; the archive must agree (that segment is there), or
        // an edited manifest could aim the removal at the whole archive.
        if (!Directory.EnumerateFiles(walDirectory).Any(f => BaseBackupFacts.SegmentFile().Match(Path.GetFileName(f)) is { Success: true } m
                && BaseBackupFacts.SegmentNumber(m.Groups[1].Value, size) == first))
        {
            reporter.Warning(Messages.Format("Warning.WalPruning.StartMissing", walDirectory, oldest.StartWalFile));
            return;
        }
        var older = Older(walDirectory, first, size);
        if (older.Count == 0)
        {
            reporter.Verbose($"WAL archive {walDirectory}: nothing older than {oldest.StartWalFile}, where the oldest kept base backup starts.");
            return;
        }
        var bytes = older.Sum(f => new FileInfo(f).Length);
        var action = Messages.Format("Retention.RemoveWal", older.Count, (bytes / 1048576.0).ToString("0.0", CultureInfo.CurrentCulture),
            oldest.StartWalFile);
        if (!host.Confirm(walDirectory, action)) return;
        var removed = 0;
        foreach (var file in older)
        {
            try
            {
                File.Delete(file);
                removed++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                host.AbandonedFileNotRemoved(file, ex);
            }
        }
        reporter.Verbose($"WAL archive {walDirectory}: removed {removed} segment(s) older than {oldest.StartWalFile} ({bytes / 1048576} MB); every kept base backup's WAL is still there.");
    }

    /// <summary>The system identifier the archive's marker records (null: no marker or none recorded).</summary>
    private static string? MarkerSystem(string walDirectory)
    {
        var marker = Path.Combine(walDirectory, WalContinuity.MarkerFile);
        if (!File.Exists(marker)) return null;
        try
        {
            return WalContinuity.SystemIdentifierOf(File.ReadAllText(marker));
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new CenateException(ErrorIds.WalArchiveForeign, CenateErrorKind.InvalidData,
                Messages.Format("WalPruning.Marker", marker, ex.Message), Messages.Get("WalPruning.Foreign.Action"), marker, ex);
        }
    }

}
