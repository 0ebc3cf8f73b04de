using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Offsite.Rclone;

/// <summary>
/// A directory at an rclone remote as an <see cref="IBackupStore"/>: listed through its manifests exactly like a
/// local backup directory (<see cref="BackupCatalog"/>), so retention and monitoring work the same on it. A remote has
/// no lock: exclusion is the job of the directory-side lock and the schedule.
/// </summary>
public sealed class RcloneBackupStore : IBackupStore
{
    private readonly RcloneClient _client;
    private readonly RemoteLocation _location;
    private readonly CancellationToken _cancellationToken;
    private readonly HashSet<string> _removedManifests = new(StringComparer.Ordinal);

    /// <summary>The store at <paramref name="location"/>; <paramref name="cancellationToken"/> stops its rclone
    /// runs.</summary>
    public RcloneBackupStore(RcloneClient client, RemoteLocation location,
        CancellationToken cancellationToken = default)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _location = location ?? throw new ArgumentNullException(nameof(location));
        _cancellationToken = cancellationToken;
    }

    /// <summary>The remote directory.</summary>
    public RemoteLocation Remote => _location;

    /// <inheritdoc />
    public string Location => _location.ToString();

    /// <inheritdoc />
    public bool IsRemote => true;

    /// <inheritdoc />
    public string PathOf(string name) => _location.Join(name);

    /// <inheritdoc />
    public void RequireExists() => List();

    /// <inheritdoc />
    public CatalogScan Scan()
    {
        var files = List();
        var present = files.ToDictionary(f => f.Name, StringComparer.Ordinal);
        var texts = _client.ReadManifestsAsync(_location, _cancellationToken).GetAwaiter().GetResult();
        var sets = new List<CatalogEntry>();
        var damaged = new List<CenateException>();
        var owned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in present.Keys.Where(IsManifestName).OrderBy(n => n, StringComparer.Ordinal))
        {
            var path = PathOf(name);
            if (!texts.TryGetValue(name, out var json))
            {
                damaged.Add(new CenateException(ErrorIds.ManifestInvalid, CenateErrorKind.InvalidData,
                    Messages.Format("ManifestInvalid.2", path, RcloneClient.ManifestLimit),
                    Messages.Get("ManifestInvalid.Action.2"), path));
                continue;
            }
            BackupManifest manifest;
            try
            {
                manifest = BackupManifest.Parse(json, path);
            }
            catch (CenateException ex)
            {
                damaged.Add(ex);
                continue;
            }
            owned.Add(name);
            var missing = new List<string>();
            foreach (var f in manifest.Files)
            {
                owned.Add(f.Name);
                if (!present.ContainsKey(f.Name)) missing.Add(f.Name);
            }
            sets.Add(new CatalogEntry(path, manifest, missing));
        }
        var orphans = files.Where(f => !owned.Contains(f.Name) && f.Name != BackupDirectoryLock.FileName
            && f.Name != BackupCatalog.OffsiteMarkerFileName)
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => new OrphanFile(PathOf(f.Name), f.Size, f.ModTime,
                f.Name.EndsWith(PartialFile.Suffix, StringComparison.Ordinal)))
            .ToList();
        return new CatalogScan(sets, orphans, damaged);
    }

    /// <inheritdoc />
    public IDisposable AcquireExclusive(TimeSpan timeout) => NoLock.Instance;

    /// <summary>
    /// Removes a whole set: its files first (one rclone run), the manifest last (another), so an interrupted removal
    /// leaves a set listed as incomplete that the next run finishes. The same files are kept as by
    /// <see cref="BackupCatalog.RemoveSet(CatalogEntry, CatalogScan, Action{string}?)"/>: manifests, partial files, the
    /// lock file, names without the set's stamp, and files another manifest still lists. Returns the bytes freed.
    /// </summary>
    public long RemoveSet(CatalogEntry entry, CatalogScan scan, Action<string>? kept)
    {
        var manifestName = NameOf(entry.ManifestPath);
        var stampMark = "_" + entry.Manifest.Stamp + ".";
        var remove = new List<string>();
        long freed = 0;
        foreach (var f in entry.Manifest.Files)
        {
            var why = KeepReason(f.Name, stampMark, entry, scan);
            if (why is not null)
            {
                kept?.Invoke($"{f.Name} is not removed with set {manifestName}: {why}.");
                continue;
            }
            if (remove.Contains(f.Name, StringComparer.Ordinal)) continue;
            remove.Add(f.Name);
            if (!entry.MissingFiles.Contains(f.Name)) freed += f.Size;
        }
        try
        {
            _client.DeleteAsync(_location, remove, _cancellationToken).GetAwaiter().GetResult();
            _client.DeleteAsync(_location, new[] { manifestName }, _cancellationToken).GetAwaiter().GetResult();
        }
        catch (CenateException ex)
        {
            throw new CenateException(ErrorIds.RemoveFailed, CenateErrorKind.WriteError,
                Messages.Format("RemoveFailed.2", manifestName, Location, ex.Message),
                Messages.Get("RemoveFailed.Action.2"),
                entry.ManifestPath, ex);
        }
        _removedManifests.Add(entry.ManifestPath);
        return freed;
    }

    /// <inheritdoc />
    public void RemoveFile(string path) =>
        _client.DeleteAsync(_location, new[] { NameOf(path) }, _cancellationToken).GetAwaiter().GetResult();

    private IReadOnlyList<RemoteFile> List() =>
        _client.ListAsync(_location, _cancellationToken).GetAwaiter().GetResult()
        ?? throw new CenateException(ErrorIds.PathNotFound, CenateErrorKind.ObjectNotFound,
            Messages.Format("PathNotFound", Location),
            Messages.Get("PathNotFound.Action.6"),
                Location);

    private string? KeepReason(string name, string stampMark, CatalogEntry entry, CatalogScan scan)
    {
        if (BackupCatalog.ReservedReason(name) is { } reserved) return reserved;
        // Sets removed earlier in this run are gone; only a manifest still there protects the file.
        var other = scan.Sets.FirstOrDefault(o =>
            !string.Equals(o.ManifestPath, entry.ManifestPath, StringComparison.Ordinal)
            && !_removedManifests.Contains(o.ManifestPath)
            && o.Manifest.Files.Any(f => string.Equals(f.Name, name, StringComparison.Ordinal)));
        if (other is not null) return $"manifest {LastPart(other.ManifestPath)} lists it too";
        return name.Contains(stampMark, StringComparison.Ordinal) ? null
            : $"its name does not carry the set's stamp {entry.Manifest.Stamp}";
    }

    /// <summary>The file name of a path of this store (<see cref="PathOf"/>); anything else is refused.</summary>
    private string NameOf(string path)
    {
        var prefix = _location.Path.Length == 0 ? _location.Remote + ":" : Location + "/";
        if (path.StartsWith(prefix, StringComparison.Ordinal))
        {
            var name = path[prefix.Length..];
            RemoteLocation.RequirePlainName(name);
            return name;
        }
        throw new CenateException(ErrorIds.PathNotFound, CenateErrorKind.InvalidArgument,
            Messages.Format("PathNotFound.6", path, Location), Messages.Get("PathNotFound.Action.7"), path);
    }

    private static string LastPart(string path) => path[(path.LastIndexOfAny(new[] { '/', ':' }) + 1)..];

    private static bool IsManifestName(string name) =>
        name.EndsWith(".manifest.json", StringComparison.OrdinalIgnoreCase);

    private sealed class NoLock : IDisposable
    {
        public static readonly NoLock Instance = new();

        public void Dispose()
        {
        }
    }
}
