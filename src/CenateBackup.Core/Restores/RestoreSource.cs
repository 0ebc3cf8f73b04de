using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Restores;

/// <summary>
/// The file a table restore reads, of which kind, with its set's manifest and entry when one lists it;
/// <see cref="Unverified"/> says why no checksum vouches for it (null: it passed its manifest's).
/// </summary>
internal sealed record RestoreSource(string Path, TableRestoreSource Kind, BackupManifest? Manifest, ManifestFile? Entry,
    string? Unverified = null);
