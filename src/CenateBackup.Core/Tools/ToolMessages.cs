using System;
using System.Linq;

namespace CenateBackup.Core.Tools;

/// <summary>Short forms of what a tool wrote to stderr, for error messages and problems.</summary>
internal static class ToolMessages
{
    /// <summary>The first <paramref name="count"/> non-empty lines joined by spaces, or "(no message)".</summary>
    public static string FirstLines(string text, int count)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no message)" : string.Join(" ", lines.Take(count));
    }
}
