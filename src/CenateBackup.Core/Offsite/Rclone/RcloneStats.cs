using System;
using System.Text.Json;

namespace CenateBackup.Core.Offsite.Rclone;

/// <summary>Reads rclone's progress from its JSON log lines (--use-json-log --stats 1s -v):
/// "stats":{"bytes":…}.</summary>
public static class RcloneStats
{
    /// <summary>The bytes transferred so far, when the line is a stats line.</summary>
    public static bool TryReadBytes(string line, out long bytes)
    {
        bytes = 0;
        if (!line.Contains("\"stats\":{", StringComparison.Ordinal)) return false;
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("stats", out var stats) && stats.TryGetProperty("bytes", out var b)
                && b.TryGetInt64(out bytes))
            {
                return true;
            }
        }
        catch (JsonException)
        {
            // Not a JSON line after all.
        }
        return false;
    }
}
