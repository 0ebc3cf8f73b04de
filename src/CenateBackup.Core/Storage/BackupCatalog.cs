using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Storage;

/// <summary>A backup set found on disk: its manifest and which of its files are really there.</summary>
/// <param name="ManifestPath">Full path of the manifest.</param>
/// <param name="Manifest">The manifest.</param>
/// <param name="MissingFiles">Files the manifest lists that are not on disk (an interrupted removal or a damaged copy).</param>
public sealed record CatalogEntry(string ManifestPath, BackupManifest Manifest, IReadOnlyList<string> MissingFiles)
{
    /// <summary>Complete: the manifest says so, lists at least one file, and every file is present.</summary>
    public bool Complete => Manifest.Complete && Manifest.Files.Count > 0 && MissingFiles.Count == 0;

    /// <summary>What the set covers; only <see cref="BackupSetKind.Full"/> sets can bring the whole database back.</summary>
    public BackupSetKind Kind => BackupSetKinds.Effective(Manifest);

    /// <summary>The last verification passed.</summary>
    public bool Verified => Manifest.Verification?.Passed == true;

    /// <summary>Bytes of the set's files that are present (what removing it frees).</summary>
    public long TotalSize => Manifest.Files.Where(f => !MissingFiles.Contains(f.Name)).Sum(f => f.Size);

    /// <summary>The time recorded for the set (the stamp, UTC) — never a file's mtime.</summary>
    public DateTimeOffset Time => BackupNaming.TryParseStamp(Manifest.Stamp, out var t) ? t : Manifest.StartedAt;
}

/// <summary>
/// A file that belongs to no manifest. Listed; retention removes only what a run that never completed left
/// (see <see cref="BackupCatalog.AbandonedFiles"/>).
/// </summary>
/// <param name="Path">Full path.</param>
/// <param name="Size">Bytes.</param>
/// <param name="LastWrite">mtime (only used to judge stale partial files).</param>
/// <param name="IsPartial">A ".partial" file left by an interrupted write.</param>
public sealed record OrphanFile(string Path, long Size, DateTimeOffset LastWrite, bool IsPartial);

/// <summary>What a directory holds.</summary>
public sealed record CatalogScan(IReadOnlyList<CatalogEntry> Sets, IReadOnlyList<OrphanFile> Orphans, IReadOnlyList<CenateException> Damaged);

/// <summary>Reads a backup directory through its manifests.</summary>
public static class BackupCatalog
{
    /// <summary>Scans a directory (not recursive). Damaged manifests are reported, and their files count as orphans.</summary>
    public static CatalogScan Scan(string directory)
    {
        RequireDirectory(directory);
        var sets = new List<CatalogEntry>();
        var damaged = new List<CenateException>();
        var owned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(directory, "*.manifest.json").OrderBy(p => p, StringComparer.Ordinal))
        {
            BackupManifest manifest;
            try
            {
                manifest = BackupManifest.Load(path);
            }
            catch (CenateException ex)
            {
                damaged.Add(ex);
                continue;
            }
            owned.Add(Path.GetFileName(path));
            var missing = new List<string>();
            foreach (var f in manifest.Files)
            {
                owned.Add(f.Name);
                if (!File.Exists(Path.Combine(directory, f.Name))) missing.Add(f.Name);
            }
            sets.Add(new CatalogEntry(path, manifest, missing));
        }
        var orphans = new List<OrphanFile>();
        foreach (var info in new DirectoryInfo(directory).EnumerateFiles())
        {
            if (owned.Contains(info.Name) || info.Name == BackupDirectoryLock.FileName || info.Name == OffsiteMarkerFileName) continue;
            orphans.Add(new OrphanFile(info.FullName, info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero),
                info.Name.EndsWith(PartialFile.Suffix, StringComparison.Ordinal)));
        }
        return new CatalogScan(sets, orphans, damaged);
    }

    /// <summary>
    /// The marker Initialize-CenateOffsiteTarget writes in a USB/NAS target directory: the module's own file, never an
    /// orphan of the listing and never removed.
    /// </summary>
    public const string OffsiteMarkerFileName = ".cenate-offsite.json";

    /// <summary>Throws PathNotFound when the backup directory does not exist.</summary>
    public static void RequireDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new CenateException(ErrorIds.PathNotFound, CenateErrorKind.ObjectNotFound, Messages.Format("PathNotFound", directory),
                Messages.Get("PathNotFound.Action"), directory);
        }
    }

    /// <summary>How old an abandoned file (and its stamp) must be before anything removes it: longer than any run takes.</summary>
    public static readonly TimeSpan AbandonedAge = TimeSpan.FromDays(1);

    /// <summary>Removes a whole set (see <see cref="RemoveSet(CatalogEntry, CatalogScan, Action{string}?)"/>), scanning its directory first.</summary>
    public static long RemoveSet(CatalogEntry entry) => RemoveSet(entry, Scan(Path.GetDirectoryName(entry.ManifestPath)!), null);

    /// <summary>
    /// Removes a whole set: its files first, the manifest last, so an interrupted removal leaves a set that is
    /// listed as incomplete and is finished by the next run. Returns the bytes freed. A manifest is data, so a
    /// listed file is left alone (and reported to <paramref name="kept"/>) when another manifest of the directory
    /// still lists it (a copied manifest), when its name lacks the set's stamp, and when it is the lock file, a
    /// manifest or a partial file.
    /// </summary>
    public static long RemoveSet(CatalogEntry entry, CatalogScan scan, Action<string>? kept)
    {
        var directory = Path.GetDirectoryName(entry.ManifestPath)!;
        var stampMark = "_" + entry.Manifest.Stamp + ".";
        long freed = 0;
        try
        {
            foreach (var f in entry.Manifest.Files)
            {
                var why = KeepReason(f.Name, stampMark, entry, scan);
                if (why is not null)
                {
                    kept?.Invoke($"{f.Name} is not removed with set {Path.GetFileName(entry.ManifestPath)}: {why}.");
                    continue;
                }
                var path = Path.Combine(directory, f.Name);
                var info = new FileInfo(path);
                if (info.Exists)
                {
                    freed += info.Length;
                    info.Delete();
                }
            }
            DirectorySync.Fsync(directory);
            File.Delete(entry.ManifestPath);
            DirectorySync.Fsync(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CenateException(ErrorIds.RemoveFailed, CenateErrorKind.WriteError,
                Messages.Format("RemoveFailed", Path.GetFileName(entry.ManifestPath), ex.Message),
                Messages.Get("RemoveFailed.Action"), entry.ManifestPath, ex);
        }
        return freed;
    }

    /// <summary>
    /// Why <paramref name="name"/> is never one of a set's files, whatever a manifest lists: the directory's lock file,
    /// an offsite target's marker, a manifest or a partial file; null for any other name. Removal (of a directory's or a
    /// remote's sets) and the offsite sync judge a manifest's names by it.
    /// </summary>
    public static string? ReservedReason(string name) =>
        name == BackupDirectoryLock.FileName ? "it is the directory's lock file"
        : name == OffsiteMarkerFileName ? "it is the offsite target's marker"
        : name.EndsWith(".manifest.json", StringComparison.OrdinalIgnoreCase) ? "it is a manifest"
        : name.EndsWith(PartialFile.Suffix, StringComparison.Ordinal) ? "it is a partial file"
        : null;

    private static string? KeepReason(string name, string stampMark, CatalogEntry entry, CatalogScan scan)
    {
        if (ReservedReason(name) is { } reserved) return reserved;
        // Sets removed earlier in this run are gone from disk; only a manifest still there protects the file.
        var other = scan.Sets.FirstOrDefault(o => !string.Equals(o.ManifestPath, entry.ManifestPath, StringComparison.Ordinal)
            && o.Manifest.Files.Any(f => string.Equals(f.Name, name, StringComparison.Ordinal)) && File.Exists(o.ManifestPath));
        if (other is not null) return $"manifest {Path.GetFileName(other.ManifestPath)} lists it too";
        return name.Contains(stampMark, StringComparison.Ordinal) ? null : $"its name does not carry the set's stamp {entry.Manifest.Stamp}";
    }

    /// <summary>
    /// Orphans a run that never completed left behind, safe to remove under the exclusive directory lock: named
    /// "&lt;database&gt;_&lt;stamp&gt;." for a database that has sets in this directory, with both the stamp and the
    /// file older than <see cref="AbandonedAge"/>; a non-partial file only when no complete (or damaged, unreadable)
    /// manifest has that stamp. Never a manifest, the lock file, or a file named otherwise (those are not the module's).
    /// </summary>
    /// <param name="scan">The directory as scanned under the exclusive lock.</param>
    /// <param name="now">The time to judge ages by.</param>
    /// <param name="database">Only files of this database (Remove-CenateOldBackup -Database); null for every database.</param>
    public static IReadOnlyList<OrphanFile> AbandonedFiles(CatalogScan scan, DateTimeOffset now, string? database = null)
    {
        var databases = scan.Sets.Select(s => s.Manifest.Database)
            .Where(d => d.Length > 0 && (database is null || string.Equals(d, database, StringComparison.Ordinal))).Distinct(StringComparer.Ordinal).ToList();
        var protectedPrefixes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var set in scan.Sets.Where(s => s.Manifest.Complete))
        {
            protectedPrefixes.Add(BackupNaming.SetPrefix(set.Manifest.Database, set.Manifest.Stamp));
            var m = BackupNaming.MatchManifest(Path.GetFileName(set.ManifestPath));
            if (m.Success) protectedPrefixes.Add(m.Groups["db"].Value + "_" + m.Groups["stamp"].Value + ".");
        }
        foreach (var damaged in scan.Damaged)
        {
            var m = BackupNaming.MatchManifest(Path.GetFileName(damaged.Target?.ToString() ?? ""));
            if (m.Success) protectedPrefixes.Add(m.Groups["db"].Value + "_" + m.Groups["stamp"].Value + ".");
        }
        var cutoff = now - AbandonedAge;
        var result = new List<OrphanFile>();
        foreach (var orphan in scan.Orphans)
        {
            var name = Path.GetFileName(orphan.Path);
            if (name == BackupDirectoryLock.FileName || name.EndsWith(".manifest.json", StringComparison.OrdinalIgnoreCase) || orphan.LastWrite >= cutoff) continue;
            foreach (var db in databases)
            {
                if (!BackupNaming.TryMatchSetFile(name, db, out var stamp)) continue;
                if (!BackupNaming.TryParseStamp(stamp, out var time) || time >= cutoff) break;
                if (!orphan.IsPartial && protectedPrefixes.Contains(BackupNaming.SetPrefix(db, stamp))) break;
                result.Add(orphan);
                break;
            }
        }
        return result;
    }

    /// <summary>
    /// Partial files of <paramref name="database"/>'s runs ("&lt;database&gt;_&lt;stamp&gt;.….partial") whose stamp and
    /// mtime are older than <see cref="AbandonedAge"/>: left by a run that was killed. A running writer's partial is
    /// younger (its stamp is its start, and it is written to as it grows). Returns the paths removed; a file that
    /// cannot be removed is skipped (retention reports it later).
    /// </summary>
    public static IReadOnlyList<string> RemoveStalePartials(string directory, string database, DateTimeOffset now)
    {
        var cutoff = now - AbandonedAge;
        var removed = new List<string>();
        foreach (var info in new DirectoryInfo(directory).EnumerateFiles("*" + PartialFile.Suffix))
        {
            if (!BackupNaming.TryMatchSetFile(info.Name, database, out var stamp) || !BackupNaming.TryParseStamp(stamp, out var time)) continue;
            if (time >= cutoff || new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero) >= cutoff) continue;
            try
            {
                info.Delete();
                removed.Add(info.FullName);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not ours to insist on: Remove-CenateOldBackup lists and removes it later.
            }
        }
        return removed;
    }
}
