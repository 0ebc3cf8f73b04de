using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Resources;

namespace CenateBackup.Core.Resources;

/// <summary>
/// The texts a person reads (error messages, recommended actions, warnings, progress) come from the
/// <c>Resources/*.restext</c> files compiled into this assembly: English in <c>&lt;Area&gt;.restext</c>, Spanish in
/// <c>&lt;Area&gt;.es.restext</c> (a satellite assembly, <c>es/CenateBackup.Core.resources.dll</c>). The language
/// follows <see cref="CultureInfo.CurrentUICulture"/> (PowerShell's <c>$PSUICulture</c>); anything else falls back to
/// English. Keys are unique across areas (a unit test checks it), so a caller names the key only. Error ids are not
/// texts and never change with the language.
/// </summary>
public static class Messages
{
    private const string Prefix = "CenateBackup.Core.Resources.";
    private static readonly Lazy<IReadOnlyDictionary<string, ResourceManager>> ByKey = new(Load);

    /// <summary>The text of <paramref name="key"/> in the current UI culture.</summary>
    /// <exception cref="KeyNotFoundException">No area defines the key (a programming error, caught by the unit tests).</exception>
    public static string Get(string key)
    {
        if (!ByKey.Value.TryGetValue(key, out var manager))
            throw new KeyNotFoundException($"No message resource '{key}'.");
        return manager.GetString(key, CultureInfo.CurrentUICulture) ?? manager.GetString(key, CultureInfo.InvariantCulture)!;
    }

    /// <summary>The text of <paramref name="key"/> with its <c>{0}</c>… placeholders filled (current culture).</summary>
    public static string Format(string key, params object?[] args) =>
        string.Format(CultureInfo.CurrentCulture, Get(key), args);

    /// <summary>Every key and its English text (for tests and tooling).</summary>
    public static IReadOnlyDictionary<string, string> All(CultureInfo culture)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, manager) in ByKey.Value)
        {
            var set = manager.GetResourceSet(culture, createIfNotExists: true, tryParents: false);
            var text = set?.GetString(key);
            if (text is not null) result[key] = text;
        }
        return result;
    }

    /// <summary>The base names of the areas (one per neutral .restext file).</summary>
    public static IEnumerable<string> Areas() =>
        typeof(Messages).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".resources", StringComparison.Ordinal))
            .Select(n => n[..^".resources".Length])
            .OrderBy(n => n, StringComparer.Ordinal);

    private static IReadOnlyDictionary<string, ResourceManager> Load()
    {
        var assembly = typeof(Messages).Assembly;
        var map = new Dictionary<string, ResourceManager>(StringComparer.Ordinal);
        foreach (var area in Areas())
        {
            var manager = new ResourceManager(area, assembly);
            var neutral = manager.GetResourceSet(CultureInfo.InvariantCulture, createIfNotExists: true, tryParents: false);
            if (neutral is null) continue;
            foreach (System.Collections.DictionaryEntry entry in neutral)
                map.TryAdd((string)entry.Key, manager);
        }
        return map;
    }
}
