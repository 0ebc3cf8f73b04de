using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using CenateBackup.Core.Errors;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// Issue 13 §5: every error id lives in <see cref="ErrorIds"/> (none written as a literal where an ErrorRecord or a
/// CenateException is made), every id there is used, and no two ids share a value. Reads the repository's sources.
/// </summary>
public class ErrorIdsTests
{
    private static readonly string[] s_sources = Sources();

    private static string[] Sources()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CenateBackup.PowerShell.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var sep = Path.DirectorySeparatorChar;
        return Directory.GetFiles(Path.Combine(dir!.FullName, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{sep}obj{sep}", StringComparison.Ordinal) && !f.Contains($"{sep}bin{sep}", StringComparison.Ordinal))
            .ToArray();
    }

    private static (string Name, string Value)[] Ids() => typeof(ErrorIds).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral).Select(f => (f.Name, (string)f.GetRawConstantValue()!)).ToArray();

    [Fact]
    public void Sources_AreFound() => Assert.Contains(s_sources, f => f.EndsWith("CenateCmdletBase.cs", StringComparison.Ordinal));

    [Fact]
    public void NoErrorIdIsWrittenAsALiteral()
    {
        // new ErrorRecord(exception, "Id", ErrorCategory.X, target) and new CenateException("Id", …).
        var record = new Regex(@"new\s+ErrorRecord\([^;]*?,\s*""[^""]*""\s*,\s*ErrorCategory\.", RegexOptions.Singleline);
        var core = new Regex(@"new\s+CenateException\(\s*""");
        var found = s_sources.SelectMany(f => record.Matches(File.ReadAllText(f)).Concat(core.Matches(File.ReadAllText(f)))
            .Select(m => Path.GetFileName(f) + ": " + m.Value[..Math.Min(m.Value.Length, 120)])).ToList();
        Assert.Empty(found);
    }

    [Fact]
    public void EveryErrorIdIsUsed()
    {
        var text = string.Join("\n", s_sources.Where(f => !f.EndsWith($"{Path.DirectorySeparatorChar}ErrorIds.cs", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        var unused = Ids().Where(id => !Regex.IsMatch(text, @"\bErrorIds\." + id.Name + @"\b")).Select(id => id.Name).ToList();
        Assert.Empty(unused);
    }

    [Fact]
    public void ErrorIdValuesAreDistinctPascalCase()
    {
        var ids = Ids();
        Assert.Equal(ids.Length, ids.Select(i => i.Value).Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, i => Assert.Matches("^[A-Z][A-Za-z0-9]+$", i.Value));
    }
}
