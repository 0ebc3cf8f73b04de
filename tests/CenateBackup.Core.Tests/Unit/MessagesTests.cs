using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using CenateBackup.Core.Resources;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>The message catalogue: every English text has a Spanish one with the same placeholders, keys are unique,
/// and every key the code names exists.</summary>
public sealed class MessagesTests
{
    private static readonly CultureInfo Spanish = CultureInfo.GetCultureInfo("es");

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CenateBackup.PowerShell.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    private static Dictionary<string, string> ReadRestext(string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            var eq = line.IndexOf('=');
            Assert.True(eq > 0, $"{Path.GetFileName(path)}: a line without Key=text: {line}");
            Assert.True(result.TryAdd(line[..eq].Trim(), line[(eq + 1)..]), $"{Path.GetFileName(path)}: key {line[..eq]} twice");
        }
        return result;
    }

    private static IEnumerable<string> Placeholders(string text) =>
        Regex.Matches(text, @"(?<!\{)\{(\d+)(?:[,:][^}]*)?\}").Select(m => m.Groups[1].Value).Distinct().OrderBy(x => x, StringComparer.Ordinal);

    [Fact]
    public void EveryAreaHasSpanishWithTheSameKeysAndPlaceholders()
    {
        var dir = Path.Combine(RepoRoot(), "src", "CenateBackup.Core", "Resources");
        var neutral = Directory.GetFiles(dir, "*.restext").Where(f => !f.EndsWith(".es.restext", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(neutral);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in neutral)
        {
            var english = ReadRestext(file);
            var spanishFile = Path.ChangeExtension(file, ".es.restext");
            Assert.True(File.Exists(spanishFile), $"{Path.GetFileName(file)} has no Spanish file");
            var spanish = ReadRestext(spanishFile);
            Assert.Equal(english.Keys.OrderBy(k => k, StringComparer.Ordinal), spanish.Keys.OrderBy(k => k, StringComparer.Ordinal));
            foreach (var (key, text) in english)
            {
                Assert.True(seen.TryAdd(key, Path.GetFileName(file)), $"key {key} in {Path.GetFileName(file)} and {seen.GetValueOrDefault(key)}");
                Assert.Equal(Placeholders(text), Placeholders(spanish[key]));
                // A format string that string.Format cannot parse fails here, not at 3 AM.
                var args = Enumerable.Range(0, 10).Select(i => (object)("x" + i)).ToArray();
                _ = string.Format(CultureInfo.InvariantCulture, text, args);
                _ = string.Format(CultureInfo.InvariantCulture, spanish[key], args);
            }
        }
    }

    [Fact]
    public void TheCompiledTextIsTheFilesText()
    {
        // Escapes (\n, \\) and spaces survive the resource compiler: the text read at run time is the file's text.
        var dir = Path.Combine(RepoRoot(), "src", "CenateBackup.Core", "Resources");
        var compiled = Messages.All(CultureInfo.InvariantCulture);
        var count = 0;
        foreach (var file in Directory.GetFiles(dir, "*.restext").Where(f => !f.EndsWith(".es.restext", StringComparison.Ordinal)))
            foreach (var (key, raw) in ReadRestext(file))
            {
                var text = Regex.Replace(raw, @"\\(.)", m => m.Groups[1].Value switch { "n" => "\n", "t" => "\t", "r" => "\r", var c => c });
                Assert.Equal(text, compiled[key]);
                count++;
            }
        Assert.Equal(count, compiled.Count);
    }

    [Fact]
    public void EveryKeyTheCodeNamesExists()
    {
        var all = Messages.All(CultureInfo.InvariantCulture);
        var missing = new List<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(RepoRoot(), "src"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) continue;
            foreach (Match m in Regex.Matches(File.ReadAllText(file), @"Messages\.(?:Get|Format)\(\s*""([^""]+)"""))
                if (!all.ContainsKey(m.Groups[1].Value)) missing.Add($"{Path.GetFileName(file)}: {m.Groups[1].Value}");
        }
        Assert.Empty(missing);
    }

    [Fact]
    public void TheLanguageFollowsTheUiCulture()
    {
        var saved = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("es-PE");
            Assert.Equal("Trabajando", Messages.Get("Progress.Working"));
            CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("de-DE");
            Assert.Equal("Working", Messages.Get("Progress.Working"));
            CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
            Assert.Equal("Working", Messages.Get("Progress.Working"));
        }
        finally { CultureInfo.CurrentUICulture = saved; }
        Assert.Equal(Messages.All(CultureInfo.InvariantCulture).Keys, Messages.All(Spanish).Keys);
    }

    [Fact]
    public void AnUnknownKeyIsAProgrammingError() =>
        Assert.Throws<KeyNotFoundException>(() => Messages.Get("No.Such.Key"));
}
