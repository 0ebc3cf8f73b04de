using System;
using System.IO;
using System.Linq;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Formats;

/// <summary>
/// The COPY for a data-only SQL export, built from its header's names re-quoted: the header must name the table the
/// rows go to and only columns the live table has (and that are not generated).
/// </summary>
internal static class SqlExportCopy
{
    /// <summary>
    /// Refuses a header that loads another table than <paramref name="table"/> (TableNotInBackup) or columns
    /// <paramref name="live"/> does not have or generates (BackupCorrupt). <paramref name="quotedTable"/> names the table in
    /// the messages.
    /// </summary>
    public static void Check(string path, SqlCopyHeader header, QualifiedTable table, string quotedTable, LiveTable live)
    {
        if ((header.Schema is not null && header.Schema != table.Schema) || header.Table != table.Name)
        {
            throw new CenateException(ErrorIds.TableNotInBackup, CenateErrorKind.ObjectNotFound,
                Messages.Format("TableNotInBackup.2", Path.GetFileName(path), header.Schema, header.Table, quotedTable),
                Messages.Get("TableNotInBackup.Action"), path);
        }
        var known = live.Columns.Where(c => !c.Generated).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = header.Columns.Where(c => !known.Contains(c)).ToList();
        if (unknown.Count > 0)
        {
            throw new CenateException(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData,
                Messages.Format("BackupCorrupt.3", Path.GetFileName(path), quotedTable, string.Join(", ", unknown.Select(QualifiedTable.Quote))),
                Messages.Get("BackupCorrupt.Action.2"), path);
        }
    }

    /// <summary>COPY <paramref name="stagingTable"/> (the header's columns, each through <paramref name="quote"/>) FROM STDIN.</summary>
    public static string Statement(SqlCopyHeader header, string stagingTable, Func<string, string> quote) =>
        $"COPY {stagingTable} ({string.Join(", ", header.Columns.Select(quote))}) FROM STDIN";
}
