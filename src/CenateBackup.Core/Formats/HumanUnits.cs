using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CenateBackup.Core.Formats;

/// <summary>
/// Durations and sizes as admins write them in scripts and settings files: "26h", "2d", "90m", "1d12h", "45s";
/// "500MB", "1.5GB", "800k", "1073741824". Sizes are binary (1 KB = 1024 bytes), as PowerShell's 1KB/1MB/1GB are.
/// </summary>
public static partial class HumanUnits
{
    [GeneratedRegex(@"^\s*(?:(?<n>\d+(?:\.\d+)?)\s*(?<u>w|d|h|m|min|s)\s*)+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DurationRegex();

    [GeneratedRegex(@"(?<n>\d+(?:\.\d+)?)\s*(?<u>w|d|h|min|m|s)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DurationPart();

    [GeneratedRegex(@"^\s*(?<n>\d+(?:\.\d+)?)\s*(?<u>b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SizeRegex();

    /// <summary>Parses "26h", "2d", "1d12h", "90m", "30s", "1w", or a TimeSpan string ("1.02:00:00"). Positive only.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        if (DurationRegex().IsMatch(text))
        {
            var total = TimeSpan.Zero;
            foreach (Match m in DurationPart().Matches(text))
            {
                var n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
                total += m.Groups["u"].Value.ToLowerInvariant() switch
                {
                    "w" => TimeSpan.FromDays(7 * n),
                    "d" => TimeSpan.FromDays(n),
                    "h" => TimeSpan.FromHours(n),
                    "m" or "min" => TimeSpan.FromMinutes(n),
                    _ => TimeSpan.FromSeconds(n),
                };
            }
            value = total;
            return total > TimeSpan.Zero;
        }
        if (text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value)) return value > TimeSpan.Zero;
        return false;
    }

    /// <summary>Parses "500MB", "1.5GB", "800k", "12 GiB" or a plain number of bytes. Binary units.</summary>
    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var m = SizeRegex().Match(text);
        if (!m.Success) return false;
        var n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        var unit = m.Groups["u"].Success ? m.Groups["u"].Value.ToLowerInvariant()[0] : 'b';
        var factor = unit switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, 't' => 1L << 40, _ => 1L };
        var value = n * factor;
        if (value > long.MaxValue) return false;
        bytes = (long)Math.Round(value);
        return true;
    }
}
