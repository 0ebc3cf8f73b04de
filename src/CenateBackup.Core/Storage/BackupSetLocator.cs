using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;

namespace CenateBackup.Core.Storage;

/// <summary>
/// A path placed in its set: the manifest that lists it (or the manifest itself), its entry and its kind.
/// </summary>
/// <param name="Path">The full path.</param>
/// <param name="ManifestPath">The set's manifest, or null for a file no readable manifest beside it lists.</param>
/// <param name="Manifest">That manifest, read.</param>
/// <param name="Entry">The file's entry in it; null for a lone file and for the manifest itself.</param>
/// <param name="Kind">What the file is: its entry's kind, else what its name says; null for the manifest.</param>
public sealed record BackupSetMember(string Path, string? ManifestPath, BackupManifest? Manifest, ManifestFile? Entry,
    BackupFileKind? Kind)
{
    /// <summary>True when the path is the set's manifest (the whole set), not one of its files.</summary>
    public bool IsManifest => ManifestPath is not null && string.Equals(ManifestPath, Path, StringComparison.Ordinal);
}

/// <summary>What <see cref="BackupSetLocator.RecordVerification"/> did.</summary>
/// <param name="Exists">False when the manifest was removed meanwhile (retention); nothing was written.</param>
/// <param name="Kept">The earlier record the manifest kept instead of the new one, or null.</param>
public sealed record VerificationRecordOutcome(bool Exists, ManifestVerification? Kept)
{
    /// <summary>True when the new record is in the manifest.</summary>
    public bool Recorded => Exists && Kept is null;
}

/// <summary>
/// Finds the set a path belongs to (path → manifest, entry, kind), hashes its files, and records a verification in
/// a manifest under the directory lock. Verification, restore and the cmdlets find sets only through here.
/// </summary>
public static class BackupSetLocator
{
    /// <summary>
    /// Places <paramref name="path"/> in its set: a manifest is read as the whole set (ManifestInvalid if damaged); any
    /// other file is looked up in the manifests beside it (<see cref="FindManifestFor"/>).
    /// </summary>
    public static BackupSetMember Locate(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (full.EndsWith(".manifest.json", StringComparison.OrdinalIgnoreCase))
        {
            return new BackupSetMember(full, full, BackupManifest.Load(full), null, null);
        }
        var name = System.IO.Path.GetFileName(full);
        var manifestPath = FindManifestFor(full);
        var manifest = manifestPath is null ? null : BackupManifest.Load(manifestPath);
        var entry = manifest?.Files.FirstOrDefault(f => f.Name == name);
        return new BackupSetMember(full, manifestPath, manifest, entry, entry?.Kind ?? KindOf(name));
    }

    /// <summary>
    /// Finds the manifest in the same directory whose file list contains the file. Damaged manifests are passed over
    /// (a damaged manifest of another set is not this file's), and so are partial ones.
    /// </summary>
    public static string? FindManifestFor(string filePath)
    {
        var directory = System.IO.Path.GetDirectoryName(filePath)!;
        var name = System.IO.Path.GetFileName(filePath);
        foreach (var candidate in Directory.EnumerateFiles(directory, "*.manifest.json"))
        {
            try
            {
                var m = BackupManifest.Load(candidate);
                if (m.Files.Any(f => f.Name == name)) return candidate;
            }
            catch (CenateException) { /* a damaged manifest of another set is not this file's */ }
        }
        return null;
    }

    /// <summary>The kind a file's name says (unlisted): .csv(.gz) CSV, .sql.gz SQL, else Dump.</summary>
    public static BackupFileKind KindOf(string name) =>
        name.EndsWith(".base.tar.gz", StringComparison.OrdinalIgnoreCase) ? BackupFileKind.Base
        : name.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase) ? BackupFileKind.Csv
        : name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? BackupFileKind.Csv
        : name.EndsWith(".sql.gz", StringComparison.OrdinalIgnoreCase) ? BackupFileKind.Sql
        : BackupFileKind.Dump;

    /// <summary>Lowercase hex SHA-256 of a file.</summary>
    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        var hash = await SHA256.HashDataAsync(fs, cancellationToken).ConfigureAwait(false);
        return Convert.ToHexString(hash).ToLowerInvariant();
    }

    /// <summary>
    /// Writes <paramref name="record"/> into the set's manifest as it is on disk now, under the directory lock
    /// (<see cref="ManifestUpdate"/>), unless <paramref name="keepPrevious"/> says the manifest's earlier record
    /// stays. Throws PathNotWritable, DiskFull, WriteFailed, BackupDirectoryBusy or ManifestInvalid.
    /// </summary>
    public static VerificationRecordOutcome RecordVerification(string manifestPath, ManifestVerification record,
        Func<ManifestVerification, bool> keepPrevious)
    {
        ManifestVerification? kept = null;
        var exists = ManifestUpdate.Apply(manifestPath, current =>
        {
            if (current.Verification is { } previous && keepPrevious(previous))
            {
                kept = previous;
                return false;
            }
            current.Verification = record;
            return true;
        });
        return new VerificationRecordOutcome(exists, kept);
    }
}
