using System;
using System.Collections.Generic;
using System.Text;

namespace CenateBackup.Core.Formats;

/// <summary>What a <see cref="SqlToken"/> is.</summary>
public enum SqlTokenKind
{
    /// <summary>A keyword or an unquoted identifier; <see cref="SqlToken.Value"/> is folded to lower case, as PostgreSQL folds it.</summary>
    Word,
    /// <summary>A "quoted identifier"; <see cref="SqlToken.Value"/> is its name, unquoted.</summary>
    QuotedIdentifier,
    /// <summary>A string constant ('…', E'…', $tag$…$tag$); <see cref="SqlToken.Value"/> is its text as far as it matters here.</summary>
    String,
    /// <summary>A number.</summary>
    Number,
    /// <summary>One punctuation or operator character.</summary>
    Symbol,
    /// <summary>The statement separator.</summary>
    Semicolon,
}

/// <summary>One lexical token of SQL text.</summary>
public readonly record struct SqlToken(SqlTokenKind Kind, string Value)
{
    /// <summary>True for the unquoted word <paramref name="word"/> (case-insensitive).</summary>
    public bool Is(string word) => Kind == SqlTokenKind.Word && string.Equals(Value, word, StringComparison.OrdinalIgnoreCase);

    /// <summary>True for the symbol <paramref name="symbol"/>.</summary>
    public bool IsSymbol(char symbol) => Kind == SqlTokenKind.Symbol && Value.Length == 1 && Value[0] == symbol;

    /// <summary>An identifier: an unquoted word or a quoted name.</summary>
    public bool IsIdentifier => Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier;
}

/// <summary>
/// A PostgreSQL lexer good enough to count statements and read names in text that came from a backup file:
/// it knows '…' and E'…' strings, "…" identifiers, $tag$…$tag$ dollar quotes, -- and nested /* */ comments, so a
/// semicolon inside any of them does not end a statement and a statement hidden after one is seen. Text it cannot
/// lex to the end (an unterminated quote or comment) is refused with <see cref="FormatException"/>: an unterminated
/// quote is exactly how a second statement would be smuggled past a scanner that stops early.
/// </summary>
public static class SqlStatementScanner
{
    /// <summary>The tokens of <paramref name="sql"/>, comments and white space left out.</summary>
    /// <exception cref="FormatException">An unterminated string, identifier, dollar quote or comment.</exception>
    public static List<SqlToken> Tokenize(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var tokens = new List<SqlToken>();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '-' && At(sql, i + 1, '-'))
            {
                while (i < sql.Length && sql[i] != '\n') i++;
                continue;
            }
            if (c == '/' && At(sql, i + 1, '*'))
            {
                var depth = 1;
                i += 2;
                while (depth > 0)
                {
                    if (i >= sql.Length) throw new FormatException("An unterminated /* comment.");
                    if (sql[i] == '/' && At(sql, i + 1, '*')) { depth++; i += 2; }
                    else if (sql[i] == '*' && At(sql, i + 1, '/')) { depth--; i += 2; }
                    else i++;
                }
                continue;
            }
            if (c == '\'')
            {
                tokens.Add(new SqlToken(SqlTokenKind.String, ReadQuoted(sql, ref i, '\'', backslashEscapes: false)));
                continue;
            }
            if (c == '"')
            {
                var name = ReadQuoted(sql, ref i, '"', backslashEscapes: false);
                tokens.Add(new SqlToken(SqlTokenKind.QuotedIdentifier, name));
                continue;
            }
            if (c == '$' && TryReadDollarTag(sql, i, out var tag))
            {
                var end = sql.IndexOf(tag, i + tag.Length, StringComparison.Ordinal);
                if (end < 0) throw new FormatException($"An unterminated dollar quote {tag}.");
                tokens.Add(new SqlToken(SqlTokenKind.String, sql.Substring(i + tag.Length, end - i - tag.Length)));
                i = end + tag.Length;
                continue;
            }
            if (IsIdentStart(c))
            {
                var start = i;
                while (i < sql.Length && IsIdentPart(sql[i])) i++;
                var word = sql[start..i];
                // E'…' (backslash escapes), and the B/X/N/U& prefixes, which change nothing for counting statements.
                if (i < sql.Length && sql[i] == '\'' && word.Length == 1 && "eEbBxXnN".Contains(word[0], StringComparison.Ordinal))
                {
                    tokens.Add(new SqlToken(SqlTokenKind.String, ReadQuoted(sql, ref i, '\'', backslashEscapes: word is "e" or "E")));
                    continue;
                }
                tokens.Add(new SqlToken(SqlTokenKind.Word, word.ToLowerInvariant()));
                continue;
            }
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < sql.Length && char.IsAsciiDigit(sql[i + 1])))
            {
                var start = i;
                while (i < sql.Length && (char.IsAsciiLetterOrDigit(sql[i]) || sql[i] == '.' || sql[i] == '_')) i++;
                tokens.Add(new SqlToken(SqlTokenKind.Number, sql[start..i]));
                continue;
            }
            tokens.Add(c == ';' ? new SqlToken(SqlTokenKind.Semicolon, ";") : new SqlToken(SqlTokenKind.Symbol, c.ToString()));
            i++;
        }
        return tokens;
    }

    /// <summary>
    /// The statements of <paramref name="sql"/>, each as its tokens without the semicolon; empty statements (";;") are
    /// left out. A last statement without a semicolon is a statement too.
    /// </summary>
    /// <exception cref="FormatException">The text does not lex (see <see cref="Tokenize"/>).</exception>
    public static List<List<SqlToken>> Statements(string sql)
    {
        var statements = new List<List<SqlToken>>();
        var current = new List<SqlToken>();
        foreach (var t in Tokenize(sql))
        {
            if (t.Kind == SqlTokenKind.Semicolon)
            {
                if (current.Count > 0) statements.Add(current);
                current = new List<SqlToken>();
                continue;
            }
            current.Add(t);
        }
        if (current.Count > 0) statements.Add(current);
        return statements;
    }

    /// <summary>True when <paramref name="sql"/> has no statement left open: nothing but comments and white space after its last semicolon.</summary>
    /// <exception cref="FormatException">The text does not lex (see <see cref="Tokenize"/>).</exception>
    public static bool EndsTerminated(string sql)
    {
        var tokens = Tokenize(sql);
        return tokens.Count == 0 || tokens[^1].Kind == SqlTokenKind.Semicolon;
    }

    /// <summary>
    /// Reads a possibly qualified name at <paramref name="i"/> (ident[.ident[.ident]]); returns its parts unquoted, or
    /// null when no identifier is there.
    /// </summary>
    public static List<string>? ReadName(IReadOnlyList<SqlToken> tokens, ref int i)
    {
        if (i >= tokens.Count || !tokens[i].IsIdentifier) return null;
        var parts = new List<string> { tokens[i++].Value };
        while (i + 1 < tokens.Count && tokens[i].IsSymbol('.') && tokens[i + 1].IsIdentifier)
        {
            parts.Add(tokens[i + 1].Value);
            i += 2;
        }
        return parts;
    }

    /// <summary>Skips a parenthesised group starting at <paramref name="i"/> ("("); returns false when it does not close.</summary>
    public static bool SkipParentheses(IReadOnlyList<SqlToken> tokens, ref int i)
    {
        if (i >= tokens.Count || !tokens[i].IsSymbol('(')) return false;
        var depth = 0;
        for (; i < tokens.Count; i++)
        {
            if (tokens[i].IsSymbol('(')) depth++;
            else if (tokens[i].IsSymbol(')') && --depth == 0) { i++; return true; }
        }
        return false;
    }

    private static bool At(string s, int i, char c) => i < s.Length && s[i] == c;

    private static bool IsIdentStart(char c) => char.IsAsciiLetter(c) || c == '_' || c > 127;

    private static bool IsIdentPart(char c) => IsIdentStart(c) || char.IsAsciiDigit(c) || c == '$';

    /// <summary>$$ or $tag$ (tag: an identifier that does not start with a digit); "$1" is a parameter, not a quote.</summary>
    private static bool TryReadDollarTag(string s, int i, out string tag)
    {
        tag = "";
        var j = i + 1;
        if (j < s.Length && s[j] != '$' && !IsIdentStart(s[j])) return false;
        while (j < s.Length && s[j] != '$')
        {
            if (!IsIdentStart(s[j]) && !char.IsAsciiDigit(s[j])) return false;
            j++;
        }
        if (j >= s.Length) return false;
        tag = s.Substring(i, j - i + 1);
        return true;
    }

    private static string ReadQuoted(string s, ref int i, char quote, bool backslashEscapes)
    {
        var b = new StringBuilder();
        i++;
        while (true)
        {
            if (i >= s.Length) throw new FormatException(quote == '"' ? "An unterminated quoted identifier." : "An unterminated string constant.");
            var c = s[i];
            if (backslashEscapes && c == '\\' && i + 1 < s.Length)
            {
                b.Append(s[i + 1]);
                i += 2;
                continue;
            }
            if (c == quote)
            {
                if (At(s, i + 1, quote)) { b.Append(quote); i += 2; continue; }
                i++;
                return b.ToString();
            }
            b.Append(c);
            i++;
        }
    }
}
