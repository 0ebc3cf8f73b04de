using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CenateBackup.Core.Errors;

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

/// <summary>A file that belongs to no manifest. Listed, never touched (except stale partial files, by retention).</summary>
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
            if (owned.Contains(info.Name) || info.Name == BackupDirectoryLock.FileName) continue;
            orphans.Add(new OrphanFile(info.FullName, info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero),
                info.Name.EndsWith(".partial", StringComparison.Ordinal)));
        }
        return new CatalogScan(sets, orphans, damaged);
    }

    /// <summary>Throws PathNotFound when the backup directory does not exist.</summary>
    public static void RequireDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new CenateException(ErrorIds.PathNotFound, CenateErrorKind.ObjectNotFound, $"Backup directory '{directory}' does not exist.",
                "Check -Path.", directory);
        }
    }

    /// <summary>
    /// Removes a whole set: its files first, the manifest last, so an interrupted removal leaves a set that is
    /// listed as incomplete and is finished by the next run. Returns the bytes freed.
    /// </summary>
    public static long RemoveSet(CatalogEntry entry)
    {
        var directory = Path.GetDirectoryName(entry.ManifestPath)!;
        long freed = 0;
        try
        {
            foreach (var f in entry.Manifest.Files)
            {
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
                $"Removing set '{Path.GetFileName(entry.ManifestPath)}' stopped half-way: {ex.Message}. The set stays listed as incomplete.",
                "Fix the cause (permissions, read-only mount) and run Remove-CenateOldBackup again: it finishes the removal.", entry.ManifestPath, ex);
        }
        return freed;
    }
}
