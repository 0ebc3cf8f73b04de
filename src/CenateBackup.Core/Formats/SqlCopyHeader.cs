using System;
using System.Collections.Generic;
using System.Linq;

namespace CenateBackup.Core.Formats;

/// <summary>
/// The one statement a backup may hold in front of its rows: <c>COPY &lt;schema&gt;.&lt;table&gt; (&lt;columns&gt;) FROM stdin;</c>,
/// as pg_dump and the module write it. Parsed strictly — exactly that statement, FROM STDIN only, no options, nothing
/// after it — and only its names are kept: the module builds the COPY it runs from them, re-quoted, and never sends
/// the file's text to the server.
/// </summary>
public sealed class SqlCopyHeader
{
    private SqlCopyHeader(string? schema, string table, IReadOnlyList<string> columns)
    {
        Schema = schema;
        Table = table;
        Columns = columns;
    }

    /// <summary>The schema named (null when the name is not qualified).</summary>
    public string? Schema { get; }

    /// <summary>The table named, unquoted.</summary>
    public string Table { get; }

    /// <summary>The columns, unquoted, in the order of the rows.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>
    /// Parses <paramref name="text"/>; returns null with <paramref name="why"/> when it is anything but the one
    /// statement (a second statement, FROM PROGRAM or a file, options, a column list missing or repeated names).
    /// </summary>
    public static SqlCopyHeader? TryParse(string text, out string why)
    {
        List<List<SqlToken>> statements;
        try
        {
            statements = SqlStatementScanner.Statements(text);
        }
        catch (FormatException ex)
        {
            why = ex.Message;
            return null;
        }
        if (statements.Count != 1)
        {
            why = statements.Count == 0 ? "there is no statement" : $"it holds {statements.Count} statements, not one COPY";
            return null;
        }
        if (!SqlStatementScanner.EndsTerminated(text))
        {
            why = "the statement does not end with a semicolon";
            return null;
        }
        var t = statements[0];
        var i = 0;
        if (!t[i++].Is("copy")) { why = "it is not a COPY statement"; return null; }
        var name = SqlStatementScanner.ReadName(t, ref i);
        if (name is null || name.Count > 2) { why = "the COPY does not name a table as schema.table"; return null; }
        if (i >= t.Count || !t[i].IsSymbol('(')) { why = "the COPY has no column list"; return null; }
        i++;
        var columns = new List<string>();
        while (true)
        {
            if (i >= t.Count || !t[i].IsIdentifier) { why = "the column list is not a list of names"; return null; }
            columns.Add(t[i++].Value);
            if (i < t.Count && t[i].IsSymbol(',')) { i++; continue; }
            if (i < t.Count && t[i].IsSymbol(')')) { i++; break; }
            why = "the column list is not a list of names";
            return null;
        }
        if (!(i + 2 == t.Count && t[i].Is("from") && t[i + 1].Is("stdin")))
        {
            why = "the COPY does not read FROM stdin (or has options after it)";
            return null;
        }
        var duplicate = columns.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) { why = $"the column {duplicate.Key} is named twice"; return null; }
        why = "";
        return new SqlCopyHeader(name.Count == 2 ? name[0] : null, name[^1], columns);
    }
}
