using System;
using System.IO;
using System.Linq;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;

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
                $"'{Path.GetFileName(path)}' holds the rows of another table ({header.Schema}.{header.Table}), not of {quotedTable}.",
                "Check -Table and -Schema, or give the right file.", path);
        }
        var known = live.Columns.Where(c => !c.Generated).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = header.Columns.Where(c => !known.Contains(c)).ToList();
        if (unknown.Count > 0)
        {
            throw new CenateException(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData,
                $"'{Path.GetFileName(path)}' has rows for columns {quotedTable} does not have (or that are generated): " +
                $"{string.Join(", ", unknown.Select(QualifiedTable.Quote))}. Nothing was changed.",
                "If the table changed since the backup, restore from the set's dump (-Mode Staging shows the backup's definition); " +
                "otherwise the file is not this table's export.", path);
        }
    }

    /// <summary>COPY <paramref name="stagingTable"/> (the header's columns, each through <paramref name="quote"/>) FROM STDIN.</summary>
    public static string Statement(SqlCopyHeader header, string stagingTable, Func<string, string> quote) =>
        $"COPY {stagingTable} ({string.Join(", ", header.Columns.Select(quote))}) FROM STDIN";
}
