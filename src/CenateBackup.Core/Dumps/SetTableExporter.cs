using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;

namespace CenateBackup.Core.Dumps;

/// <summary>
/// Writes the table exports of New-CenateDump -Include into the set being written, at the set's snapshot, and returns
/// their entries in order (TableExportService.ExportIntoSetAsync). A table with a tap is written from pg_dump's data
/// (<see cref="Archive.ArchiveTableTap"/>) when the archive has its block, otherwise by a COPY in the set's snapshot. The caller supplies it, so Dumps never references
/// Exports: both depend on Storage, which owns the set.
/// </summary>
public delegate Task<IReadOnlyList<ManifestFile>> SetTableExporter(BackupSetWriter set, TargetContext context,
    IReadOnlyList<QualifiedTable> tables, TableExports exports, int gzipLevel, IReadOnlyList<Archive.ArchiveTableTap> taps,
    IOperationReporter reporter, CancellationToken cancellationToken);
