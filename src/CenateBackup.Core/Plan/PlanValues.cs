using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Plan;

/// <summary>
/// Typed reads of one hashtable of the settings file (the top level, or a nested one such as Weekly): keys in any
/// case, $null as absent, every bad value a SettingsInvalid naming the key ("Weekly.Keep") and the file.
/// </summary>
internal sealed class PlanValues
{
    private readonly Dictionary<string, object?> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _prefix;
    private readonly string _directory;
    private readonly string _home;

    public PlanValues(IDictionary data, string settingsPath, string directory, string home, string prefix = "")
    {
        SettingsPath = settingsPath;
        _directory = directory;
        _home = home;
        _prefix = prefix;
        foreach (DictionaryEntry entry in data)
        {
            var key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "";
            if (!_values.TryAdd(key, entry.Value)) throw Invalid($"the key '{prefix}{key}' is given twice");
        }
    }

    public string SettingsPath { get; }

    public IEnumerable<string> Keys => _values.Keys;

    public bool Has(string key) => _values.ContainsKey(key);

    public object? Raw(string key) => _values.TryGetValue(key, out var value) ? value : null;

    private string Name(string key) => _prefix + key;

    public CenateException Invalid(string message) =>
        new(ErrorIds.SettingsInvalid, CenateErrorKind.InvalidArgument,
            Messages.Format("SettingsInvalid.PlanValues", SettingsPath, message.TrimEnd('.')),
            Messages.Get("SettingsInvalid.PlanValues.Action"),
            SettingsPath);

    public string? Text(string key)
    {
        var value = Raw(key);
        if (value is null) return null;
        if (value is not string s) throw Invalid($"'{Name(key)}' must be a string, not a {value.GetType().Name}");
        if (s.Trim().Length == 0) throw Invalid($"'{Name(key)}' must not be empty");
        if (s.Any(char.IsControl)) throw Invalid($"'{Name(key)}' must not contain control characters");
        return s;
    }

    public string[]? Texts(string key)
    {
        var value = Raw(key);
        if (value is null) return null;
        var items = value is string one ? new object?[] { one } : value is IEnumerable many
            ? many.Cast<object?>().ToArray() : new[] { value };
        if (items.Length == 0) throw Invalid($"'{Name(key)}' must name at least one table");
        return items.Select(i => i is string s && s.Trim().Length > 0 && !s.Any(char.IsControl) ? s
            : throw Invalid($"'{Name(key)}' must be a string or a list of strings")).ToArray();
    }

    public int? Int(string key, int min, int max)
    {
        var value = Raw(key);
        if (value is null) return null;
        long? n = value switch
        {
            int i => i, long l => l, short s => s, byte b => b,
            string t when long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var p) => p,
            _ => null,
        };
        if (n is null || n < min || n > max)
            throw Invalid($"'{Name(key)}' must be a whole number from {min} to {max}, not '{value}'");
        return (int)n.Value;
    }

    public TimeSpan? Duration(string key)
    {
        var value = Raw(key);
        if (value is null) return null;
        if (value is TimeSpan t && t > TimeSpan.Zero) return t;
        if (value is not string d || !HumanUnits.TryParseDuration(d, out var span))
            throw Invalid($"'{Name(key)}' must be a duration with a unit, such as '90d' or '26h' "
                + $"(a bare number is refused), not '{value}'");
        return span;
    }

    public long? Size(string key)
    {
        var value = Raw(key);
        switch (value)
        {
            case null: return null;
            case int i when i >= 0: return i;
            case long l when l >= 0: return l;
            case string s when HumanUnits.TryParseSize(s, out var bytes): return bytes;
            default: throw Invalid($"'{Name(key)}' must be a size such as '500MB' or a number of bytes, not '{value}'");
        }
    }

    public string? OneOf(string key, params string[] allowed)
    {
        var text = Text(key);
        if (text is null) return null;
        return allowed.FirstOrDefault(a => a.Equals(text, StringComparison.OrdinalIgnoreCase))
            ?? throw Invalid($"'{Name(key)}' must be one of {string.Join(", ", allowed)}, not '{text}'");
    }

    /// <summary>A path: ~ is the home directory, a relative path is relative to the settings file.</summary>
    public string? Path(string key)
    {
        var text = Text(key);
        return text is null ? null : Resolve(text);
    }

    private string Resolve(string text)
    {
        if (text == "~" || text.StartsWith("~/", StringComparison.Ordinal)
            || text.StartsWith("~\\", StringComparison.Ordinal))
            text = System.IO.Path.Join(_home, text[1..].TrimStart('/', '\\'));
        return System.IO.Path.GetFullPath(text, _directory);
    }

    /// <summary>An rclone remote (name:path) as written, else a directory resolved as <see cref="Path"/>.</summary>
    public string? Destination(string key)
    {
        var text = Text(key);
        if (text is null) return null;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var remote = colon >= 2 && text[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ' ')
            && !System.IO.Path.IsPathRooted(text);
        return remote ? text : Resolve(text);
    }

    /// <summary>A nested hashtable with only <paramref name="keys"/>; null when absent or $null.</summary>
    public PlanValues? Table(string key, params string[] keys)
    {
        var value = Raw(key);
        if (value is null) return null;
        if (value is not IDictionary nested) throw Invalid($"'{Name(key)}' must be a hashtable @{{ … }}");
        var table = new PlanValues(nested, SettingsPath, _directory, _home, Name(key) + ".");
        foreach (var sub in table.Keys)
        {
            if (!keys.Contains(sub, StringComparer.OrdinalIgnoreCase))
                throw Invalid($"unknown key '{Name(key)}.{sub}'. Valid keys: {string.Join(", ", keys)}");
        }
        return table;
    }
}
