using System.Collections.Generic;
using System.Linq;

namespace CenateBackup.Core.Storage;

/// <summary>
/// What a backup set covers. Only a <see cref="Full"/> set can bring the whole database back, so only full sets
/// stand for a day, week, month or year in retention, count toward MinimumKeep, prove that backups are running,
/// and are what monitoring and <c>-Newest</c> look at by default.
/// </summary>
public enum BackupSetKind
{
    /// <summary>The whole database with its schema (custom dump, or plain SQL with schema), with or without table exports beside it.</summary>
    Full,
    /// <summary>Chosen tables with their schema (pg_dump -t).</summary>
    Tables,
    /// <summary>Data without schema (pg_dump --data-only, or plain data-only SQL).</summary>
    DataOnly,
    /// <summary>Only table exports (CSV/SQL of tables, e.g. Export-CenateAseguradosCsv): no dump at all.</summary>
    Exports,
    /// <summary>
    /// A physical base backup of the whole cluster (New-CenateBaseBackup), for point-in-time recovery with the WAL
    /// archive. Retention plans base sets apart from dump sets, with the same day/week/month rules.
    /// </summary>
    Base,
}

/// <summary>How a set's kind is read from its manifest.</summary>
public static class BackupSetKinds
{
    /// <summary>
    /// The kind the files show: a dump (custom, or plain SQL) with schema and no table limit is Full; with a table
    /// limit, Tables; a data-only dump is DataOnly; no dump at all (CSV exports only) is Exports. Used for manifests
    /// written before the kind was recorded, and to check a recorded one.
    /// </summary>
    public static BackupSetKind FromFiles(IEnumerable<ManifestFile> files)
    {
        var list = files.ToList();
        // A base entry counts only under a base backup's name: an edited kind cannot move a dump set into the other family.
        if (list.Count > 0 && list.All(f => f.Kind == BackupFileKind.Base && BackupSetLocator.KindOf(f.Name) == BackupFileKind.Base))
            return BackupSetKind.Base;
        var dumps = list.Where(f => f.Kind == BackupFileKind.Dump || (f.Kind == BackupFileKind.Sql && !f.DataOnly)).ToList();
        if (dumps.Any(f => !f.DataOnly && f.Tables.Count == 0)) return BackupSetKind.Full;
        if (dumps.Any(f => !f.DataOnly)) return BackupSetKind.Tables;
        if (list.Any(f => f.Kind == BackupFileKind.Dump)) return BackupSetKind.DataOnly;
        // Only gzip CSV/SQL files: CSV comes only from table exports; a lone data-only SQL is a plain data-only dump.
        return list.Any(f => f.Kind == BackupFileKind.Csv) ? BackupSetKind.Exports : BackupSetKind.DataOnly;
    }

    /// <summary>
    /// The kind a set counts as: the recorded one, except that a set whose files hold no full dump is never Full,
    /// whatever its manifest says (a manifest is data, and a wrong "full" would let retention drop real full sets).
    /// </summary>
    public static BackupSetKind Effective(BackupManifest manifest)
    {
        // A set still being written lists no file yet: its recorded kind is all there is (it is incomplete anyway).
        if (manifest.Files.Count == 0) return manifest.Kind ?? BackupSetKind.Full;
        var fromFiles = FromFiles(manifest.Files);
        // A recorded Full or Base must be what the files are: either one is what retention keeps whole days for.
        return manifest.Kind is { } recorded && !(recorded is BackupSetKind.Full or BackupSetKind.Base && fromFiles != recorded)
            && !(fromFiles == BackupSetKind.Base && recorded != BackupSetKind.Base) ? recorded : fromFiles;
    }
}
