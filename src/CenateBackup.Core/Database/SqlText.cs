using System;
using System.Globalization;
using System.Text;

namespace CenateBackup.Core.Database;

/// <summary>
/// The module's only ways to put a value into SQL text. Identifiers and literals are quoted so that nothing in them
/// (quotes, backslashes, newlines, semicolons, dollar-quote tags) can end the token they are in, whatever the
/// session's standard_conforming_strings; text that goes into a comment line is kept on that line.
/// </summary>
public static class SqlText
{
    /// <summary>A quoted identifier: "name" with embedded quotes doubled (newlines are legal inside).</summary>
    public static string Identifier(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Contains('\0', StringComparison.Ordinal)) throw new ArgumentException("An identifier cannot contain a NUL character.", nameof(name));
        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>
    /// A string literal that means the same with standard_conforming_strings on or off: an escape string
    /// (E'…') with backslashes and quotes doubled. A plain '…' literal with only quotes doubled would let a
    /// backslash escape the closing quote when a server or role runs with standard_conforming_strings = off.
    /// </summary>
    public static string Literal(string? value)
    {
        if (value is null) return "NULL";
        if (value.Contains('\0', StringComparison.Ordinal)) throw new ArgumentException("A text value cannot contain a NUL character.", nameof(value));
        return "E'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    /// <summary>
    /// Text for a "-- " comment line: control characters (a newline would end the comment and start a statement)
    /// are written as \uXXXX, so the comment stays one line and the text stays readable.
    /// </summary>
    public static string CommentText(string? text)
    {
        if (string.IsNullOrEmpty(text)) return string.Empty;
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085')
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}
