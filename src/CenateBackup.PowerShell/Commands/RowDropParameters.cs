using System.Collections.Generic;
using CenateBackup.Core.Drift;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// The drift policy from -MaxRowDrop, -MaxRowDropCount, -Table and -Settings (its RowDrop key), shared by
/// Test-CenateBackup, Confirm-CenateRowDrop and Remove-CenateOldBackup so the three judge a drop alike.
/// </summary>
internal static class RowDropParameters
{
    /// <summary>
    /// The policy, or null when nothing asks for one. <paramref name="fallback"/> is the threshold of the -Table (or
    /// default) tables when no command-line threshold is given: null leaves them unwatched unless -Table names them
    /// (then any drop counts).
    /// </summary>
    public static RowDropPolicy? Build(double? percent, long? count, string[]? tables, string? settingsPath,
        RowDropThreshold? fallback) => Build(percent, count, tables, settingsPath, fallback, out _);

    /// <summary>
    /// As <see cref="Build(double?, long?, string[], string, RowDropThreshold)"/>;
    /// <paramref name="noRowDropKey"/> is true when <paramref name="settingsPath"/> was given but has no RowDrop key
    /// (say, the alert settings passed alone), which the caller must not pass over in silence.
    /// </summary>
    public static RowDropPolicy? Build(double? percent, long? count, string[]? tables, string? settingsPath,
        RowDropThreshold? fallback, out bool noRowDropKey)
    {
        IReadOnlyDictionary<string, RowDropThreshold>? perTable = null;
        if (settingsPath is not null)
        {
            perTable = RowDropSettings.FromData(SettingsFileReader.ReadData(settingsPath, "settings",
                "Get-Help Test-CenateBackup -Parameter Settings"), settingsPath);
        }
        noRowDropKey = settingsPath is not null && perTable is null;
        var threshold = percent is not null || count is not null ? new RowDropThreshold(percent, count)
            : fallback ?? (tables is { Length: > 0 } ? RowDropThreshold.AnyDrop : null);
        return threshold is null && perTable is null ? null : new RowDropPolicy(threshold, tables, perTable);
    }
}
