using System;
using System.Collections.Generic;

namespace CenateBackup.Core.Formats;

/// <summary>
/// The statements a data-only SQL export (the module's, or pg_dump --data-only -t) may hold around its COPY block,
/// recognised so they can be skipped — none of them is ever run: session settings before the COPY
/// (<c>SET name = value;</c>, <c>SELECT pg_catalog.set_config('search_path', '', false);</c>) and the sequence
/// positions after it (<c>SELECT pg_catalog.setval('…', n, true);</c>). Anything else makes the file refused.
/// </summary>
public static class DataOnlySqlScript
{
    private static readonly HashSet<string> s_settings = new(StringComparer.Ordinal)
    {
        "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout", "transaction_timeout", "client_encoding",
        "standard_conforming_strings", "check_function_bodies", "xmloption", "client_min_messages", "row_security",
        "default_tablespace", "default_table_access_method", "default_with_oids", "escape_string_warning",
    };

    /// <summary>True for one of the session settings pg_dump writes at the top of a script.</summary>
    public static bool IsSessionSetting(IReadOnlyList<SqlToken> t)
    {
        if (t.Count == 4 && t[0].Is("set") && t[1].Kind == SqlTokenKind.Word && s_settings.Contains(t[1].Value)
            && (t[2].IsSymbol('=') || t[2].Is("to")) && t[3].Kind is SqlTokenKind.Word or SqlTokenKind.String or SqlTokenKind.Number)
        {
            // The rows are sent as UTF-8: a file in another encoding would be loaded wrongly.
            return t[1].Value != "client_encoding" || t[3].Value.Equals("UTF8", StringComparison.OrdinalIgnoreCase) || t[3].Value.Equals("UTF-8", StringComparison.OrdinalIgnoreCase);
        }
        // SELECT pg_catalog.set_config('search_path', '', false)
        return IsSetConfig(t);
    }

    private static bool IsSetConfig(IReadOnlyList<SqlToken> t) =>
        t.Count == 11 && t[0].Is("select") && t[1].Is("pg_catalog") && t[2].IsSymbol('.') && t[3].Is("set_config") && t[4].IsSymbol('(')
        && t[5].Kind == SqlTokenKind.String && t[5].Value == "search_path" && t[6].IsSymbol(',') && t[7].Kind == SqlTokenKind.String
        && t[8].IsSymbol(',') && (t[9].Is("false") || t[9].Is("true")) && t[10].IsSymbol(')');

    /// <summary>True for <c>SELECT pg_catalog.setval('&lt;sequence&gt;', &lt;number&gt;, true|false)</c>.</summary>
    public static bool IsSequenceSetval(IReadOnlyList<SqlToken> t) =>
        t.Count == 11 && t[0].Is("select") && t[1].Is("pg_catalog") && t[2].IsSymbol('.') && t[3].Is("setval") && t[4].IsSymbol('(')
        && t[5].Kind == SqlTokenKind.String && t[6].IsSymbol(',') && t[7].Kind == SqlTokenKind.Number && t[8].IsSymbol(',')
        && (t[9].Is("true") || t[9].Is("false")) && t[10].IsSymbol(')');
}
