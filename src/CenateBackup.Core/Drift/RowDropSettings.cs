using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Drift;

/// <summary>
/// Per-table thresholds from a settings file's <c>RowDrop</c> key (every other key belongs to someone else and is
/// ignored): <c>RowDrop = @{ 'public.asegurados' = '2%'; 'public.citas' = @{ MaxRowDrop = '5%'; MaxRowDropCount = 1000
/// } }</c>.
/// </summary>
public static class RowDropSettings
{
    /// <summary>The settings file's key.</summary>
    public const string Key = "RowDrop";

    /// <summary>
    /// The thresholds by table name; null when the data has no RowDrop key. Bad values are SettingsInvalid.
    /// </summary>
    public static IReadOnlyDictionary<string, RowDropThreshold>? FromData(IDictionary data, string source)
    {
        ArgumentNullException.ThrowIfNull(data);
        object? value = null;
        var found = false;
        foreach (DictionaryEntry entry in data)
        {
            var name = Convert.ToString(entry.Key, CultureInfo.InvariantCulture);
            if (!string.Equals(name, Key, StringComparison.OrdinalIgnoreCase))
                continue;
            found = true;
            value = entry.Value;
        }
        if (!found) return null;
        if (value is not IDictionary tables)
            throw Invalid(source, $"'{Key}' must be a hashtable of tables: @{{ 'public.asegurados' = '2%' }}");
        var result = new Dictionary<string, RowDropThreshold>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in tables)
        {
            var table = entry.Key as string;
            if (string.IsNullOrWhiteSpace(table) || table.Trim() != table)
                throw Invalid(source, $"'{Key}' holds a table name that is not a plain 'schema.table' or 'table' text");
            result[table] = Threshold(entry.Value, $"{Key}.{table}", source);
        }
        if (result.Count == 0) throw Invalid(source, $"'{Key}' names no table");
        return result;
    }

    private static RowDropThreshold Threshold(object? value, string key, string source)
    {
        switch (value)
        {
            case string text:
                return new RowDropThreshold(Percent(text, key, source), null);
            case IDictionary both:
                double? percent = null;
                long? count = null;
                foreach (DictionaryEntry e in both)
                {
                    var name = Convert.ToString(e.Key, CultureInfo.InvariantCulture);
                    if (string.Equals(name, "MaxRowDrop", StringComparison.OrdinalIgnoreCase))
                        percent = Percent(e.Value as string, $"{key}.MaxRowDrop", source);
                    else if (string.Equals(name, "MaxRowDropCount", StringComparison.OrdinalIgnoreCase))
                        count = Count(e.Value, $"{key}.MaxRowDropCount", source);
                    else
                        throw Invalid(source, $"'{key}' has the unknown key '{name}' (MaxRowDrop, MaxRowDropCount)");
                }
                if (percent is null && count is null)
                    throw Invalid(source, $"'{key}' gives neither MaxRowDrop nor MaxRowDropCount");
                return new RowDropThreshold(percent, count);
            default:
                throw Invalid(source,
                    $"'{key}' must be a share such as '2%' or @{{ MaxRowDrop = '2%'; MaxRowDropCount = 1000 }}");
        }
    }

    private static double Percent(string? text, string key, string source) =>
        RowDropThreshold.TryParsePercent(text, out var p) ? p
            : throw Invalid(source, RowDropThreshold.PercentRule($"'{key}' ({text ?? "not text"})"));

    private static long Count(object? value, string key, string source) => value switch
    {
        int i when i >= 0 => i,
        long l when l >= 0 => l,
        _ => throw Invalid(source, $"'{key}' must be a whole number of rows, 0 or more"),
    };

    private static CenateException Invalid(string source, string message) =>
        new(ErrorIds.SettingsInvalid, CenateErrorKind.InvalidArgument,
            Messages.Format("SettingsInvalid.RowDrop", source, message.TrimEnd('.')),
            Messages.Get("SettingsInvalid.RowDrop.Action"), source);
}
