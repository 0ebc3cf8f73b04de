using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Offsite.Directories;
using CenateBackup.Core.Retention;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Verification;

namespace CenateBackup.PowerShell.Output;

/// <summary>Turns Core results into the public output types (Core types never reach the pipeline).</summary>
internal static class OutputFactory
{
    public static CenateBackupSet BackupSet(BackupManifest m, string manifestPath, TimeSpan? duration)
    {
        var directory = System.IO.Path.GetDirectoryName(manifestPath)!;
        var files = m.Files.Select(f => new CenateBackupFile(System.IO.Path.Combine(directory, f.Name), f.Name, f.Kind.ToString(), f.Size, f.Sha256,
            f.CompressionLevel, f.DataOnly, f.Tables.ToArray(), m.Database, m.Stamp, f.CompletedAt, f.Rows)).ToArray();
        long? asegurados = m.RowCounts.Where(kv => kv.Key.EndsWith(".asegurados", StringComparison.Ordinal)).Select(kv => (long?)kv.Value).FirstOrDefault();
        return new CenateBackupSet
        {
            Path = manifestPath,
            Directory = directory,
            Database = m.Database,
            Stamp = m.Stamp,
            Kind = BackupSetKinds.Effective(m).ToString(),
            StartedAt = m.StartedAt,
            CompletedAt = m.CompletedAt,
            Complete = m.Complete,
            Container = m.Source.Container,
            Host = m.Source.Host,
            Port = m.Source.Port,
            ServerVersion = m.Source.ServerVersion,
            PgDumpVersion = m.Source.PgDumpVersion,
            SnapshotId = m.SnapshotId,
            Files = files,
            TotalSize = files.Sum(f => f.Size),
            RowCounts = new Dictionary<string, long>(m.RowCounts),
            AseguradosRows = asegurados,
            Sha256 = files.FirstOrDefault()?.Sha256,
            Duration = duration,
            VerifiedLevel = m.Verification?.Level,
            VerifiedAt = m.Verification?.At,
            VerificationPassed = m.Verification?.Passed,
        };
    }

    /// <summary>A set as found on disk: complete only if every file is there.</summary>
    public static CenateBackupSet BackupSet(CatalogEntry entry)
    {
        var set = BackupSet(entry.Manifest, entry.ManifestPath, null);
        set.Complete = entry.Complete;
        set.MissingFiles = entry.MissingFiles.ToArray();
        set.TotalSize = entry.TotalSize;
        return set;
    }

    public static CenateBackupFile Orphan(OrphanFile orphan) => new(orphan.Path, System.IO.Path.GetFileName(orphan.Path),
        orphan.IsPartial ? "Partial" : "Orphan", orphan.Size, "", 0, false, Array.Empty<string>(), "", "", orphan.LastWrite, null);

    public static CenateRetentionDecision Decision(RetentionDecision d, CatalogEntry entry, string action) => new()
    {
        Path = entry.ManifestPath,
        Database = entry.Manifest.Database,
        Stamp = entry.Manifest.Stamp,
        Kind = entry.Kind.ToString(),
        Time = d.Candidate.Time,
        Action = action,
        Rule = d.Rule.ToString(),
        Reason = d.Reason,
        Complete = entry.Complete,
        Verified = entry.Verified,
        FileCount = entry.Manifest.Files.Count,
        TotalSize = entry.TotalSize,
    };

    public static CenateOffsiteResult Offsite(Core.Offsite.OffsiteSetOutcome o, string destination) => new()
    {
        Path = o.Destination,
        SourcePath = o.Set.ManifestPath,
        Destination = destination,
        Database = o.Set.Manifest.Database,
        Stamp = o.Set.Manifest.Stamp,
        Kind = o.Set.Kind.ToString(),
        Time = o.Set.Time,
        Status = o.Status.ToString(),
        FileCount = o.Set.Manifest.Files.Count,
        TotalSize = o.Set.Manifest.Files.Sum(f => f.Size),
        BytesCopied = o.Bytes,
        Seconds = Math.Round(o.Elapsed.TotalSeconds, 3),
        VerifiedBy = o.Verification,
        Reason = o.Reason,
        ErrorId = o.Error?.ErrorId,
    };

    public static CenateOffsiteResult OffsiteWal(Core.Offsite.OffsiteWalOutcome o, string walPath, string destination) => new()
    {
        Path = o.Destination,
        SourcePath = walPath,
        Destination = destination,
        Kind = "Wal",
        Time = DateTimeOffset.UtcNow,
        Status = o.Status.ToString(),
        FileCount = o.FileCount,
        TotalSize = o.TotalSize,
        BytesCopied = o.Bytes,
        Seconds = Math.Round(o.Elapsed.TotalSeconds, 3),
        VerifiedBy = o.Verification,
        Reason = o.Reason,
        ErrorId = o.Error?.ErrorId,
    };

    public static CenateVerificationResult Verification(VerificationReport r, string path) => new()
    {
        Path = r.ManifestPath ?? path,
        Database = r.Database,
        Stamp = r.Stamp,
        Level = r.Level.ToString(),
        Passed = r.Passed,
        Checks = r.Checks.ToArray(),
        Problems = r.Problems.Select(p => new CenateBackupProblem(p.Kind.ToString(), p.File, p.Message)).ToArray(),
        Files = r.Files.ToArray(),
        VerifiedAt = r.At,
        Duration = r.Duration,
        Source = r.Source,
        Directory = r.Directory,
        Age = r.Age,
        Size = r.Size,
        DrillDatabase = r.Drill?.ScratchDatabase,
        DrillServer = r.Drill?.Server,
        DrillDatabaseKept = r.Drill?.Kept ?? false,
        RestoreDuration = r.Drill?.RestoreDuration,
        Tables = r.Drill?.Tables.Select(t => new CenateDrillTable(t.Table, t.Expected, t.ExpectedFrom, t.Restored)).ToArray() ?? Array.Empty<CenateDrillTable>(),
        ObjectsChecked = r.Drill?.ObjectsChecked ?? 0,
        RowDrift = r.RowDrift.Select(RowDrift).ToArray(),
    };

    public static CenateRowDrift RowDrift(Core.Drift.RowDrift d) => new()
    {
        Table = d.Table, Before = d.Before, After = d.After, Difference = d.Difference, DropPercent = d.DropPercent,
        BeforeStamp = d.BeforeStamp, AfterStamp = d.AfterStamp, Threshold = d.Threshold, Exceeded = d.Exceeded,
        Acknowledged = d.Acknowledged, AcknowledgedReason = d.AcknowledgedReason, AcknowledgedBy = d.AcknowledgedBy,
        AcknowledgedAt = d.AcknowledgedAt, Message = d.Describe(),
    };

    public static CenateRowDropAcknowledgement Acknowledgement(Core.Drift.RowDropAcknowledged a) => new()
    {
        Path = a.ManifestPath, Database = a.Database, Stamp = a.Stamp, Table = a.Record.Table, Before = a.Record.Before,
        After = a.Record.After, BeforeStamp = a.Record.BeforeStamp, Reason = a.Record.Reason, By = a.Record.By,
        At = a.Record.At,
    };

    /// <summary>Restore-CenateTable's result.</summary>
    public static CenateRestoreResult Restore(Core.Restores.TableRestoreResult r) => new()
    {
        Table = r.Table,
        Mode = r.Mode.ToString(),
        From = r.From.ToString(),
        BackupFile = r.BackupFile,
        BackupStamp = r.BackupStamp,
        Database = r.Database,
        StagingSchema = r.StagingSchema,
        ReplacedTable = r.ReplacedTable,
        LiveTableExisted = r.LiveTableExisted,
        BackupRows = r.BackupRows,
        LiveRowsBefore = r.LiveRowsBefore,
        LiveRowsAfter = r.LiveRowsAfter,
        MissingRows = r.MissingRows,
        DifferentRows = r.DifferentRows,
        InsertedRows = r.InsertedRows,
        KeptRows = r.KeptRows,
        UnroutedRows = r.UnroutedRows,
        UnroutedTable = r.UnroutedTable,
        RequestedKeys = r.RequestedKeys,
        KeysNotInBackup = r.KeysNotInBackup,
        PrimaryKey = r.PrimaryKey.ToArray(),
        ForeignKeysRecreated = r.ForeignKeysRecreated.ToArray(),
        Steps = r.Steps.ToArray(),
        Warnings = r.Warnings.ToArray(),
        Duration = r.Duration,
        CleanUp = CleanUpOf(r),
    };

    private static string? CleanUpOf(Core.Restores.TableRestoreResult r)
    {
        // The name as the catalog has it, single-quoted for PowerShell.
        static string Quoted(string name) => "'" + name.Replace("'", "''", StringComparison.Ordinal) + "'";
        if (r.StagingSchema is { } schema)
            return Core.Resources.Messages.Format("Staging.CleanUp", $"-Name {Quoted(schema)} -Kind Staging");
        if (r.ReplacedTable is { } replaced && replaced.LastIndexOf('.') is > 0 and var dot)
        {
            return Core.Resources.Messages.Format("Staging.CleanUp",
                $"-Name {Quoted(replaced[(dot + 1)..])} -Kind Replaced -Schema {Quoted(replaced[..dot])}");
        }
        if (r.UnroutedTable is { } unrouted && unrouted.LastIndexOf('.') is > 0 and var d)
            return Core.Resources.Messages.Format("Staging.CleanUp", $"-Name {Quoted(unrouted[..d])} -Kind Staging");
        return null;
    }

    /// <summary>Get-/Remove-CenateRestoreStaging's item.</summary>
    public static CenateRestoreStaging Staging(Core.Restores.StagingItem i, DateTimeOffset now) => new()
    {
        Kind = i.Kind.ToString(), Name = i.Name, Schema = i.Schema, Table = i.Table, Tables = i.Tables.ToArray(),
        EstimatedRows = i.EstimatedRows, SizeBytes = i.SizeBytes, Created = i.Created,
        // Never negative: a copy stamped a second ahead of this clock is "just made".
        Age = i.Created is { } c ? (now - c < TimeSpan.Zero ? TimeSpan.Zero : now - c) : null,
        BackupFile = i.BackupFile, Ours = i.Ours, Problem = i.Problem, Database = i.Database,
    };

    /// <summary>Install/Uninstall-CenateAuditTrigger's result.</summary>
    public static CenateAuditInstallResult Audit(Core.Audit.AuditResult r) => new()
    {
        Table = r.Table,
        AuditSchema = r.AuditSchema,
        Triggers = r.Triggers.ToArray(),
        Changed = r.Changed,
        Steps = r.Steps.ToArray(),
        LogRows = r.LogRows,
        AuditOwner = r.AuditOwner,
        Warnings = r.Warnings.ToArray(),
    };

    /// <summary>Get-CenateAuditLog's entry.</summary>
    public static CenateAuditEntry AuditEntry(Core.Audit.AuditEntry e, Core.Targets.DatabaseTarget target) => new()
    {
        Id = e.Id, LoggedAt = e.LoggedAt, Table = e.Schema + "." + e.Table, Operation = e.Operation, OldRow = e.OldRow, OldRowImage = e.OldRowImage, NewRow = e.NewRow, RowCount = e.RowCount,
        SessionUser = e.SessionUser, CurrentUser = e.CurrentUser, ApplicationName = e.ApplicationName, ClientAddress = e.ClientAddress, Statement = e.Statement,
        TransactionId = e.TransactionId, Database = target.Database,
    };

    /// <summary>Protect-CenateTable's result.</summary>
    public static CenateProtectResult Protect(Core.Audit.ProtectResult r) => new()
    {
        Table = r.Table,
        Roles = r.Roles.ToArray(),
        Before = r.Before.Select(g => new CenateTableGrant(g.Role, g.Privileges)).ToArray(),
        After = r.After.Select(g => new CenateTableGrant(g.Role, g.Privileges)).ToArray(),
        Steps = r.Steps.ToArray(),
        Inherited = r.Inherited.ToArray(),
    };

    public static CenateOffsiteTarget OffsiteTarget(DirectoryTargetState state) => new()
    {
        Path = state.Directory,
        Label = state.Marker?.Label ?? "",
        Id = state.Marker?.Id ?? Guid.Empty,
        CreatedAt = state.Marker?.CreatedAt ?? default,
        MountPoint = state.MountPoint,
        FileSystemType = state.FileSystemType,
        FreeBytes = state.FreeBytes,
        Warnings = state.Warnings.ToArray(),
    };
}
