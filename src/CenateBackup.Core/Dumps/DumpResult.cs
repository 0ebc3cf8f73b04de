using System;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Dumps;

/// <summary>What a dump produced.</summary>
/// <param name="Manifest">The set's manifest as written.</param>
/// <param name="ManifestPath">Full path of the manifest.</param>
/// <param name="Duration">Wall time of the run.</param>
/// <param name="Endpoint">How the server was reached (for verbose output).</param>
public sealed record DumpResult(BackupManifest Manifest, string ManifestPath, TimeSpan Duration, string Endpoint);
