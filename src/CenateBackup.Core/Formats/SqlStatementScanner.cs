using System;
using System.Collections.Generic;
using System.Linq;
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
/// A PostgreSQL lexer for text that came from a backup file, written to split it exactly where the server's own lexer
/// (src/backend/parser/scan.l) does: white space is only space, tab, newline, carriage return and form feed; a --
/// comment ends at a newline or a carriage return; /* */ comments nest; every character above U+007F is an identifier
/// character (so "\u00A0$a$" is one identifier, not a dollar quote), and $ continues an identifier; a dollar quote
/// $tag$ (tag: identifier characters but $, not starting with a digit) starts only where no identifier or number goes
/// on; '…' doubles its quotes and keeps backslashes (the module's sessions run with standard_conforming_strings on);
/// E'…' also takes backslash escapes; B'…' and X'…' have no doubled quotes; U&amp;'…' and U&amp;"…" are plain quotes; a
/// string goes on across white space holding a newline ('a'\n'b' is one string, in its first part's kind).
/// Where the server's versions differ (a vertical tab is white space only since 16; "1a", "1_000", "0x1F" lex
/// differently before 15 and 16) and anything the server itself rejects (control characters, an empty "" name), the
/// text is refused. Text it cannot lex to the end is refused with <see cref="FormatException"/>: an unterminated quote
/// is exactly how a second statement would be smuggled past a scanner that stops early.
/// </summary>
public static class SqlStatementScanner
{
    /// <summary>The tokens of <paramref name="sql"/>, comments and white space left out.</summary>
    /// <exception cref="FormatException">An unterminated string, identifier, dollar quote or comment, or a character the server would not take.</exception>
    public static List<SqlToken> Tokenize(string sql) => Lex(sql, pgDumpText: false, semicolons: null);

    /// <summary>
    /// Like <see cref="Tokenize"/>, and stricter, for object definitions pg_dump wrote: pg_dump writes no comments in
    /// them, quotes every name that is not plain lower-case ASCII, and never writes U&amp; quotes; so a comment, a
    /// carriage return, form feed, NUL or any character above U+007F outside quotes, a U&amp; quote or a string continued
    /// on another line is refused —
    /// each is how a changed file would make this lexer and the server disagree.
    /// </summary>
    /// <exception cref="FormatException">The text does not lex, or holds one of those.</exception>
    public static List<SqlToken> TokenizePgDumpText(string sql) => Lex(sql, pgDumpText: true, semicolons: null);

    /// <summary>
    /// The text of each statement of <paramref name="sql"/>, cut at the semicolons the server would cut it at (the
    /// semicolon left out); pieces with no token (";;", comments) are left out.
    /// </summary>
    /// <exception cref="FormatException">The text does not lex (see <see cref="Tokenize"/>).</exception>
    public static List<string> StatementTexts(string sql)
    {
        var cuts = new List<int>();
        Lex(sql, pgDumpText: false, semicolons: cuts);
        var texts = new List<string>();
        var from = 0;
        cuts.Add(sql.Length);
        foreach (var cut in cuts)
        {
            var piece = sql[from..cut];
            from = Math.Min(cut + 1, sql.Length);
            if (Lex(piece, pgDumpText: false, semicolons: null).Count > 0) texts.Add(piece);
        }
        return texts;
    }

    private static List<SqlToken> Lex(string sql, bool pgDumpText, List<int>? semicolons)
    {
        ArgumentNullException.ThrowIfNull(sql);
        if (pgDumpText && sql.Contains('\0', StringComparison.Ordinal)) throw new FormatException("a NUL character");
        var tokens = new List<SqlToken>();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (IsSpace(c))
            {
                if (pgDumpText && c is '\r' or '\f') throw new FormatException($"a {Describe(c)} outside quotes");
                i++;
                continue;
            }
            if (c < ' ' || c == '\u007F') throw new FormatException($"a {Describe(c)} outside quotes");
            if (pgDumpText && c > '\u007F') throw new FormatException($"the character {Describe(c)} outside quotes");
            if (c == '-' && At(sql, i + 1, '-'))
            {
                if (pgDumpText) throw new FormatException("a -- comment");
                i = SkipLineComment(sql, i);
                continue;
            }
            if (c == '/' && At(sql, i + 1, '*'))
            {
                if (pgDumpText) throw new FormatException("a /* comment");
                i = SkipBlockComment(sql, i);
                continue;
            }
            if (c == '\'')
            {
                tokens.Add(new SqlToken(SqlTokenKind.String, ReadString(sql, ref i, StringKind.Standard, pgDumpText)));
                continue;
            }
            if (c == '"')
            {
                tokens.Add(new SqlToken(SqlTokenKind.QuotedIdentifier, ReadQuotedIdentifier(sql, ref i)));
                continue;
            }
            if (c == '$' && TryReadDollarTag(sql, i, out var tag))
            {
                if (pgDumpText && tag.Any(ch => ch > '\u007F')) throw new FormatException($"the character {Describe(tag.First(ch => ch > '\u007F'))} in a dollar quote's tag");
                var end = sql.IndexOf(tag, i + tag.Length, StringComparison.Ordinal);
                if (end < 0) throw new FormatException($"An unterminated dollar quote {tag}.");
                tokens.Add(new SqlToken(SqlTokenKind.String, sql.Substring(i + tag.Length, end - i - tag.Length)));
                i = end + tag.Length;
                continue;
            }
            if (IsIdentStart(c))
            {
                var start = i;
                while (i < sql.Length && IsIdentCont(sql[i])) i++;
                var word = sql[start..i];
                if (pgDumpText && word.Any(ch => ch > '\u007F')) throw new FormatException($"the character {Describe(word.First(ch => ch > '\u007F'))} outside quotes");
                if (word.Length == 1 && At(sql, i, '\''))
                {
                    // The one-letter prefixes; in a longer word ("xe'…'") the quote starts a plain string, as on the server.
                    var kind = word[0] switch
                    {
                        'e' or 'E' => StringKind.Escape,
                        'b' or 'B' or 'x' or 'X' => StringKind.Bits,
                        'n' or 'N' => StringKind.Standard,
                        _ => (StringKind?)null,
                    };
                    if (kind is { } k)
                    {
                        tokens.Add(new SqlToken(SqlTokenKind.String, ReadString(sql, ref i, k, pgDumpText)));
                        continue;
                    }
                }
                if (word is "u" or "U" && At(sql, i, '&') && (At(sql, i + 1, '\'') || At(sql, i + 1, '"')))
                {
                    // U&'…' and U&"…" quote like '…' and "…"; the escapes inside name other characters, so the name is not
                    // what it reads as: such a name matches nothing (it keeps its U& prefix).
                    if (pgDumpText) throw new FormatException("a U& quote");
                    i++;
                    tokens.Add(sql[i] == '\''
                        ? new SqlToken(SqlTokenKind.String, ReadString(sql, ref i, StringKind.Standard, pgDumpText))
                        : new SqlToken(SqlTokenKind.QuotedIdentifier, "U&" + ReadQuotedIdentifier(sql, ref i)));
                    continue;
                }
                tokens.Add(new SqlToken(SqlTokenKind.Word, FoldAscii(word)));
                continue;
            }
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < sql.Length && char.IsAsciiDigit(sql[i + 1])))
            {
                tokens.Add(new SqlToken(SqlTokenKind.Number, ReadNumber(sql, ref i)));
                continue;
            }
            if (c == ';') semicolons?.Add(i);
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
    public static List<List<SqlToken>> Statements(string sql) => Split(Tokenize(sql));

    /// <summary>The statements of an object definition pg_dump wrote, lexed with <see cref="TokenizePgDumpText"/>.</summary>
    /// <exception cref="FormatException">The text does not lex, or holds what pg_dump never writes outside quotes.</exception>
    public static List<List<SqlToken>> PgDumpStatements(string sql) => Split(TokenizePgDumpText(sql));

    private static List<List<SqlToken>> Split(List<SqlToken> tokens)
    {
        var statements = new List<List<SqlToken>>();
        var current = new List<SqlToken>();
        foreach (var t in tokens)
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

    private enum StringKind { Standard, Escape, Bits }

    private static bool At(string s, int i, char c) => i < s.Length && s[i] == c;

    /// <summary>scan.l's space: [ \t\n\r\f]. Not \v (white space only since PostgreSQL 16: refused), not U+00A0 or U+2000.</summary>
    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f';

    private static bool IsNewline(char c) => c is '\n' or '\r';

    /// <summary>scan.l's ident_start: [A-Za-z\200-\377_] — every byte of a multi-byte UTF-8 character is above \177.</summary>
    private static bool IsIdentStart(char c) => char.IsAsciiLetter(c) || c == '_' || c > '\u007F';

    /// <summary>scan.l's ident_cont: ident_start, digits and $.</summary>
    private static bool IsIdentCont(char c) => IsIdentStart(c) || char.IsAsciiDigit(c) || c == '$';

    /// <summary>The server folds unquoted names to lower case in ASCII only (a multi-byte character is kept as written).</summary>
    private static string FoldAscii(string word) => string.Create(word.Length, word, static (span, w) =>
    {
        for (var k = 0; k < w.Length; k++) span[k] = char.IsAsciiLetterUpper(w[k]) ? (char)(w[k] + 32) : w[k];
    });

    private static string Describe(char c) => c switch
    {
        '\0' => "NUL",
        '\r' => "carriage return",
        '\f' => "form feed",
        '\v' => "vertical tab",
        _ => $"U+{(int)c:X4}",
    };

    /// <summary>-- to the end of the line: a newline or a carriage return, which is not part of the comment.</summary>
    private static int SkipLineComment(string s, int i)
    {
        while (i < s.Length && !IsNewline(s[i])) i++;
        return i;
    }

    /// <summary>/* … */, nested as the server nests them.</summary>
    private static int SkipBlockComment(string s, int i)
    {
        var depth = 1;
        i += 2;
        while (depth > 0)
        {
            if (i >= s.Length) throw new FormatException("An unterminated /* comment.");
            if (s[i] == '/' && At(s, i + 1, '*')) { depth++; i += 2; }
            else if (s[i] == '*' && At(s, i + 1, '/')) { depth--; i += 2; }
            else i++;
        }
        return i;
    }

    /// <summary>
    /// A number as the server reads it (digits, a fraction, an exponent). A number run on into identifier characters
    /// ("1a", "1e'…'", "1_000", "0x1F", "$1a") is read differently by different server versions: refused.
    /// </summary>
    private static string ReadNumber(string s, ref int i)
    {
        var start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (At(s, i, '.') && !At(s, i + 1, '.'))
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        }
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            var j = i + 1;
            if (j < s.Length && s[j] is '+' or '-') j++;
            if (j < s.Length && char.IsAsciiDigit(s[j]))
            {
                i = j;
                while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            }
        }
        if (i < s.Length && IsIdentCont(s[i])) throw new FormatException($"the number {s[start..i]} runs on into '{s[i]}'");
        return s[start..i];
    }

    /// <summary>$$ or $tag$ (tag: identifier characters but $, not starting with a digit); "$1" is a parameter, not a quote.</summary>
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

    /// <summary>"…" with "" for a quote; an empty name is an error on the server, and refused here.</summary>
    private static string ReadQuotedIdentifier(string s, ref int i)
    {
        var b = new StringBuilder();
        i++;
        while (true)
        {
            if (i >= s.Length) throw new FormatException("An unterminated quoted identifier.");
            if (s[i] == '"')
            {
                if (At(s, i + 1, '"')) { b.Append('"'); i += 2; continue; }
                i++;
                if (b.Length == 0) throw new FormatException("An empty quoted identifier.");
                return b.ToString();
            }
            b.Append(s[i++]);
        }
    }

    /// <summary>
    /// A string constant from its opening quote at <paramref name="i"/>: '' is a quote in standard and escape strings
    /// (not in B'…'/X'…'), a backslash takes the next character in escape strings; after the closing quote, white
    /// space with a newline in it (and -- comments) followed by a quote continues the same string in the same kind.
    /// </summary>
    private static string ReadString(string s, ref int i, StringKind kind, bool pgDumpText)
    {
        var b = new StringBuilder();
        i++;
        while (true)
        {
            if (i >= s.Length) throw new FormatException("An unterminated string constant.");
            var c = s[i];
            if (kind == StringKind.Escape && c == '\\')
            {
                if (i + 1 >= s.Length) throw new FormatException("An unterminated string constant.");
                b.Append(s[i + 1]);
                i += 2;
                continue;
            }
            if (c == '\'')
            {
                if (kind != StringKind.Bits && At(s, i + 1, '\'')) { b.Append('\''); i += 2; continue; }
                i++;
                var next = ContinuationQuote(s, i);
                if (next < 0) return b.ToString();
                // pg_dump writes one literal per constant; a continued one is where lexers are easiest to set apart.
                if (pgDumpText) throw new FormatException("a string continued on another line");
                i = next + 1;
                continue;
            }
            b.Append(c);
            i++;
        }
    }

    /// <summary>scan.l's quotecontinue: horizontal white space or -- comments, a newline, any white space or comments ending in a newline, then a quote; its index, or -1.</summary>
    private static int ContinuationQuote(string s, int i)
    {
        var newline = false;
        while (i < s.Length)
        {
            var c = s[i];
            if (IsNewline(c)) { newline = true; i++; }
            else if (c is ' ' or '\t' or '\f') i++;
            else if (c == '-' && At(s, i + 1, '-'))
            {
                i = SkipLineComment(s, i);
                if (i >= s.Length) return -1; // a comment must end in a newline to be part of the continuation
            }
            else return c == '\'' && newline ? i : -1;
        }
        return -1;
    }
}
