using System.Globalization;
using System;
using System.Buffers;
using System.Text;

namespace CenateBackup.Core.Drift;

/// <summary>
/// Text read back from a manifest (an acknowledgement's reason and user name) is data anyone able to write the backup
/// directory may have chosen: before it is shown, control and format characters (Unicode Cc and Cf: escape sequences,
/// line breaks, bidirectional overrides such as U+202E; also line/paragraph separators and lone surrogates) are written
/// as \u{XXXX}, so it cannot repaint a terminal, add a line to a log or mail, or reverse what follows it.
/// </summary>
public static class UntrustedText
{
    /// <summary>True for a character that is escaped when shown.</summary>
    public static bool IsHidden(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.Control
        or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    /// <summary>True when <paramref name="text"/> holds a character <see cref="Escape"/> would rewrite.</summary>
    public static bool HasHidden(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Escape(text) != text;
    }

    /// <summary><paramref name="text"/> with every hidden character written as \u{XXXX}; null stays null.</summary>
    public static string? Escape(string? text)
    {
        if (text is null) return null;
        var sb = new StringBuilder(text.Length);
        var changed = false;
        var i = 0;
        while (i < text.Length)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var used) != OperationStatus.Done)
            {
                // A lone surrogate: shown by its code, never passed on.
                sb.Append(CultureInfo.InvariantCulture, $"\\u{{{(int)text[i]:X4}}}");
                changed = true;
                i++;
                continue;
            }
            if (IsHidden(rune))
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\u{{{rune.Value:X4}}}");
                changed = true;
            }
            else sb.Append(text, i, used);
            i += used;
        }
        return changed ? sb.ToString() : text;
    }
}
