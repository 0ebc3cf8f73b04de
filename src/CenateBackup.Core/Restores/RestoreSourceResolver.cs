using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Restores;

/// <summary>
/// Step 0 of a table restore: from the path given (a set's manifest, its dump, or its CSV/SQL export) to the file to
/// read, its kind and its manifest, checked against the manifest's size and sha256 before anything is touched. A file
/// nothing vouches for is refused (UnverifiedBackup) unless -AllowUnverifiedBackup; a file that differs from its
/// manifest is BackupCorrupt. What the manifest records about the source is only ever a warning.
/// </summary>
internal static class RestoreSourceResolver
{
    /// <summary>Finds the file to read and checks it against its manifest.</summary>
    public static async Task<RestoreSource> ResolveAsync(TableRestoreRequest request, CancellationToken ct)
    {
        var full = BackupSetPath.RequireFile(request.BackupPath,
            d => $"Get-CenateBackup '{d}' -Newest 1 | Restore-CenateTable -Table {request.Table} …",
            "PathNotFound.Action.9");
        RefuseBaseBackup(full);
        if (full.EndsWith(".manifest.json", StringComparison.OrdinalIgnoreCase)) return await FromManifestAsync(request, full, ct).ConfigureAwait(false);
        var file = full;
        var kind = request.From ?? (full.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase) || full.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
            ? TableRestoreSource.Csv
            : full.EndsWith(".sql.gz", StringComparison.OrdinalIgnoreCase) ? TableRestoreSource.Sql : TableRestoreSource.Dump);
        var manifestPath = FindSetManifest(file);
        var manifest = manifestPath is null ? null : BackupManifest.Load(manifestPath);
        var own = manifest?.Files.FirstOrDefault(f => f.Name == Path.GetFileName(file));
        if (own is null || string.IsNullOrEmpty(own.Sha256))
        {
            var why = own is null
                ? Messages.Get("UnverifiedBackup.NoManifest")
                : Messages.Format("UnverifiedBackup.NoSha256", Path.GetFileName(manifestPath));
            Unverified(request, file, why);
            return new RestoreSource(file, kind, manifest, own, why);
        }
        await CheckAgainstManifestAsync(file, own, ct).ConfigureAwait(false);
        return new RestoreSource(file, kind, manifest, own);
    }

    /// <summary>
    /// A warning when the restore's server or database (from the parameters) is not the one the manifest says the set was
    /// dumped from; null when they agree. Only a message: the manifest can be edited by anyone who can write the backup
    /// directory, so it never chooses where the restore logs in or which database it changes.
    /// </summary>
    public static string? TargetDiffers(BackupManifest manifest, DatabaseTarget target)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(target);
        var sameServer = RecordedSource.IsSameServer(manifest.Source, target);
        var sameDatabase = string.Equals(manifest.Database, target.Database, StringComparison.Ordinal);
        if (sameServer && sameDatabase) return null;
        var what = sameServer ? "Warning.TargetDiffers.Database" : sameDatabase ? "Warning.TargetDiffers.Server"
            : "Warning.TargetDiffers.Both";
        return Messages.Format("Warning.TargetDiffers", RecordedSource.Sanitize(manifest.Database),
            RecordedSource.DescribeSource(manifest.Source), target.Database, RecordedSource.DescribeServer(target),
                Messages.Get(what));
    }

    /// <summary>The warning for a file restored with -AllowUnverifiedBackup; null when its checksum was checked.</summary>
    public static string? UnverifiedWarning(RestoreSource source) => source.Unverified is null ? null
        : Messages.Format("Warning.UnverifiedRestored", Path.GetFileName(source.Path), source.Unverified);

    /// <summary>A dump's table of contents; BackupCorrupt when the archive reader refuses it.</summary>
    public static async Task<IReadOnlyList<ArchiveTocEntry>> ReadTableOfContentsAsync(string path, IOperationReporter reporter, CancellationToken ct)
    {
        reporter.Progress(new OperationProgress(TableRestoreService.Activity, Messages.Get("Progress.RestoreSourceResolver.Status"), 0, null));
        try
        {
            await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
            return (await CustomArchiveInspector.ReadAsync(fs, countRows: false, ct).ConfigureAwait(false)).Entries;
        }
        catch (CenateException ex) when (ex.ErrorId == ErrorIds.ArchiveInvalid)
        {
            throw CopyImport.Corrupt(path, ex);
        }
    }

    /// <summary>The manifest of the set <paramref name="file"/> belongs to (null: none readable lists it) — the one place restore asks.</summary>
    // FindManifestFor passes over damaged manifests: a file whose manifest is damaged has none here.
    private static string? FindSetManifest(string file) => BackupSetLocator.FindManifestFor(file);

    /// <summary>
    /// A base backup (the whole cluster, physical) holds no dump or export a table can be read from: said plainly, not
    /// as a corrupt dump or a missing file.
    /// </summary>
    private static void RefuseBaseBackup(string full)
    {
        var isBase = BackupSetLocator.KindOf(Path.GetFileName(full)) == BackupFileKind.Base && !full.EndsWith(".manifest.json", StringComparison.OrdinalIgnoreCase)
            || full.EndsWith(".manifest.json", StringComparison.OrdinalIgnoreCase) && BackupSetKinds.Effective(BackupManifest.Load(full)) == BackupSetKind.Base;
        if (!isBase) return;
        throw new CenateException(ErrorIds.BaseBackupNotATableSource, CenateErrorKind.InvalidOperation,
            Messages.Format("Base.NotATableSource", Path.GetFileName(full)), Messages.Get("Base.NotATableSource.Action"), full);
    }

    private static async Task<RestoreSource> FromManifestAsync(TableRestoreRequest request, string full, CancellationToken ct)
    {
        var manifest = BackupManifest.Load(full);
        var kind = request.From ?? TableRestoreSource.Dump;
        var wanted = kind switch { TableRestoreSource.Csv => BackupFileKind.Csv, TableRestoreSource.Sql => BackupFileKind.Sql, _ => BackupFileKind.Dump };
        var entry = ChooseFile(manifest, wanted, request.Table);
        if (entry is null)
        {
            throw new CenateException(ErrorIds.BackupFileMissing, CenateErrorKind.ObjectNotFound,
                wanted == BackupFileKind.Dump ? Messages.Format("BackupFileMissing.NoDump", manifest.Stamp)
                    : Messages.Format("BackupFileMissing.NoExport", manifest.Stamp,
                        wanted.ToString().ToUpperInvariant(), request.Table),
                Messages.Get(wanted == BackupFileKind.Dump ? "BackupFileMissing.NoDump.Action"
                    : "BackupFileMissing.NoExport.Action"), full);
        }
        var file = Path.Combine(Path.GetDirectoryName(full)!, entry.Name);
        if (!File.Exists(file))
        {
            throw new CenateException(ErrorIds.BackupFileMissing, CenateErrorKind.ObjectNotFound, Messages.Format("BackupFileMissing.4", file),
                Messages.Get(kind == TableRestoreSource.Dump ? "BackupFileMissing.Dump.Action"
                    : "BackupFileMissing.Export.Action"), file);
        }
        if (string.IsNullOrEmpty(entry.Sha256))
        {
            var why = Messages.Format("UnverifiedBackup.NoSha256", Path.GetFileName(full));
            Unverified(request, file, why);
            return new RestoreSource(file, kind, manifest, entry, why);
        }
        await CheckAgainstManifestAsync(file, entry, ct).ConfigureAwait(false);
        return new RestoreSource(file, kind, manifest, entry);
    }

    /// <summary>
    /// The file of the set to restore <paramref name="table"/> from: its full dump, or its <paramref name="wanted"/>
    /// export. The table's own export comes first: a file naming no table (a -Format Plain dump of the whole database
    /// is a Sql file too) is taken only when the set has nothing better. Null: the set has none.
    /// </summary>
    internal static ManifestFile? ChooseFile(BackupManifest manifest, BackupFileKind wanted, string table)
    {
        var candidates = manifest.Files.Where(f => f.Kind == wanted && !(wanted == BackupFileKind.Dump && f.DataOnly));
        if (wanted != BackupFileKind.Dump)
        {
            candidates = candidates
                .Where(f => f.Tables.Count == 0 || f.Tables.Any(t => t.EndsWith("." + table, StringComparison.Ordinal)))
                .OrderBy(f => f.Tables.Count == 0 ? 1 : 0);
        }
        return candidates.FirstOrDefault();
    }

    /// <summary>UnverifiedBackup unless -AllowUnverifiedBackup: nothing vouches that the file is the one the backup wrote.</summary>
    private static void Unverified(TableRestoreRequest request, string file, string why)
    {
        if (request.AllowUnverifiedBackup) return;
        throw new CenateException(ErrorIds.UnverifiedBackup, CenateErrorKind.InvalidOperation,
            Messages.Format("UnverifiedBackup", Path.GetFileName(file), why),
            Messages.Get("UnverifiedBackup.Action"), file);
    }

    private static async Task CheckAgainstManifestAsync(string file, ManifestFile entry, CancellationToken ct)
    {
        var length = new FileInfo(file).Length;
        string? why = null;
        if (length != entry.Size) why = $"its size is {length} bytes, the manifest says {entry.Size}";
        else
        {
            // Ctrl+C stops the hashing of a large dump too.
            var sha = await BackupSetLocator.Sha256Async(file, ct).ConfigureAwait(false);
            if (!string.Equals(sha, entry.Sha256, StringComparison.OrdinalIgnoreCase)) why = $"its sha256 is {sha}, the manifest says {entry.Sha256}";
        }
        if (why is not null)
        {
            throw new CenateException(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData,
                Messages.Format("BackupCorrupt.7", Path.GetFileName(file), why),
                Messages.Get("BackupCorrupt.Action.4"), file);
        }
    }
}
