using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using CenateBackup.Core.Compare;
using CenateBackup.Core.Errors;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Compare-CenateBackup's pure parts: key order, both decoders, the row splitter, the external sort with
/// spilled runs, the merge-join's exact lists, duplicate keys, and the spill directory's cleanup.</summary>
public class CompareTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static List<string?> Decode(string line, bool csv)
    {
        var row = new DecodedRow();
        if (csv) RowDecoders.Csv(B(line), row);
        else RowDecoders.CopyText(B(line), row);
        return Enumerable.Range(0, row.Count).Select(i => row.Length(i) < 0 ? null
            : Encoding.UTF8.GetString(row.Field(i))).ToList();
    }

    [Theory]
    [InlineData("1", "2", -1)]
    [InlineData("9", "10", -1)]
    [InlineData("-5", "3", -1)]
    [InlineData("-10", "-9", -1)]
    [InlineData("99999999999999999999", "100000000000000000000", -1)]
    [InlineData("10", "007", -1)]   // leading zeros: text, after every integer
    [InlineData("5", "a", -1)]
    [InlineData("007", "07", -1)]   // text: ordinal bytes
    [InlineData("-0", "0", 1)]      // "-0" is text
    [InlineData("+1", "1", 1)]
    [InlineData("b", "ab", 1)]
    [InlineData("x", "x", 0)]
    public void Key_order_puts_integers_by_value_before_text(string a, string b, int expected)
    {
        Assert.Equal(expected, Math.Sign(CompareKeyOrder.CompareField(B(a), false, B(b), false)));
        Assert.Equal(-expected, Math.Sign(CompareKeyOrder.CompareField(B(b), false, B(a), false)));
    }

    [Fact]
    public void Null_sorts_first()
    {
        Assert.True(CompareKeyOrder.CompareField(default, true, B(""), false) < 0);
        Assert.Equal(0, CompareKeyOrder.CompareField(default, true, default, true));
    }

    [Fact]
    public void Copy_text_decodes_null_empty_escapes()
    {
        Assert.Equal(new string?[] { "1", null, "", "a\tb\nc\\d", "\u0001", "A", "q" },
            Decode("1\t\\N\t\ta\\tb\\nc\\\\d\t\\001\t\\x41\t\\q", csv: false));
        Assert.Throws<FormatException>(() => Decode("a\\", csv: false));
    }

    [Fact]
    public void Csv_decodes_null_empty_quotes_and_newlines()
    {
        Assert.Equal(new string?[] { "1", null, "", "a,\"b\"\nc", "\\N", null },
            Decode("1,,\"\",\"a,\"\"b\"\"\nc\",\\N,", csv: true));
        Assert.Equal(new string?[] { null }, Decode("", csv: true));
        Assert.Throws<FormatException>(() => Decode("\"open", csv: true));
        Assert.Throws<FormatException>(() => Decode("\"a\"b", csv: true));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1000)]
    public void Splitter_cuts_csv_records_at_newlines_outside_quotes_across_any_chunks(int chunk)
    {
        var text = B("1,\"x\ny\"\n2,\"\"\"\"\n3,z\n4,\"\n\"");
        var rows = new List<string>();
        var split = new RowSplitter(true, r => rows.Add(Encoding.UTF8.GetString(r)));
        for (var i = 0; i < text.Length; i += chunk) split.Feed(text.AsSpan(i, Math.Min(chunk, text.Length - i)));
        split.Finish();
        Assert.Equal(new[] { "1,\"x\ny\"", "2,\"\"\"\"", "3,z", "4,\"\n\"" }, rows);
    }

    private static List<string?[]> Sorted(IEnumerable<string> keys, long runBytes, out int runs,
        string? tempParent = null)
    {
        using var spill = new SpillDirectory(tempParent);
        using var sorter = new ExternalRecordSorter(1, runBytes, spill, "t");
        var rec = new CompareRecord(new[] { 0 }, new[] { 1 }, null);
        var row = new DecodedRow();
        foreach (var k in keys)
        {
            RowDecoders.CopyText(B(k + "\tv"), row);
            sorter.Add(rec.Encode(row));
        }
        runs = sorter.SpilledRuns;
        using var cursor = sorter.Finish();
        var list = new List<string?[]>();
        while (cursor.MoveNext()) list.Add(CompareRecord.KeyText(cursor.Current, 1));
        return list;
    }

    [Fact]
    public void External_sort_merges_several_spilled_runs_in_key_order()
    {
        var rnd = new Random(7);
        var keys = Enumerable.Range(0, 5000).Select(i => i % 7 == 0 ? "t" + rnd.Next(100000) : rnd.Next(-50000,
            50000).ToString())
            .Distinct().ToList();
        var sorted = Sorted(keys, runBytes: 8192, out var runs);
        Assert.True(runs >= 5, $"only {runs} runs");
        var expected = keys.Where(k => !k.StartsWith('t')).Select(long.Parse).OrderBy(x => x).Select(x => x.ToString())
            .Concat(keys.Where(k => k.StartsWith('t')).OrderBy(k => k, StringComparer.Ordinal)).ToList();
        Assert.Equal(expected, sorted.Select(k => k[0]));
    }

    [Fact]
    public void Spill_directory_is_0700_and_gone_after_success_and_after_an_exception()
    {
        var parent = Directory.CreateTempSubdirectory("cmp-unit-").FullName;
        try
        {
            Sorted(Enumerable.Range(0, 3000).Select(i => i.ToString()), 4096, out var runs, parent);
            Assert.True(runs > 1);
            Assert.Empty(Directory.GetFileSystemEntries(parent));
            string? seen = null;
            Assert.Throws<InvalidOperationException>((Action)(() =>
            {
                using var spill = new SpillDirectory(parent);
                seen = spill.Path;
                if (!OperatingSystem.IsWindows())
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                        File.GetUnixFileMode(spill.Path));
                using var sorter = new ExternalRecordSorter(1, 4096, spill, "t");
                var rec = new CompareRecord(new[] { 0 }, Array.Empty<int>(), null);
                var row = new DecodedRow();
                for (var i = 0; i < 2000; i++) { RowDecoders.CopyText(B(i.ToString()),
                    row); sorter.Add(rec.Encode(row)); }
                var run = Directory.GetFiles(spill.Path).First();
                if (!OperatingSystem.IsWindows())
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(run));
                throw new InvalidOperationException("stop");
            }));
            Assert.False(Directory.Exists(seen));
            Assert.Empty(Directory.GetFileSystemEntries(parent));
        }
        finally
        {
            Directory.Delete(parent, true);
        }
    }

    private static IRecordCursor Side(params string[] rows)
    {
        var spill = new SpillDirectory(null);
        var sorter = new ExternalRecordSorter(2, 1 << 20, spill, "s");
        var rec = new CompareRecord(new[] { 0, 1 }, new[] { 2 }, null);
        var row = new DecodedRow();
        foreach (var r in rows) { RowDecoders.CopyText(B(r), row); sorter.Add(rec.Encode(row)); }
        var cursor = sorter.Finish();
        spill.Dispose();
        return cursor;
    }

    [Fact]
    public void Merge_join_gives_exact_missing_added_changed_with_a_composite_key()
    {
        var result = new ComparisonResult { Key = new[] { "a", "b" } };
        MergeJoin.Run(Side("1\tx\tv", "1\ty\tv", "2\tx\tv", "10\tx\t\\N", "z\t1\tv"),
            Side("1\ty\tv", "2\tx\tw", "10\tx\t", "3\tx\tv", "z\t1\tv"), 2, result, 100, false, null, null);
        Assert.Equal(new[] { "1|x" }, result.MissingKeys.Select(k => string.Join("|", k)));
        Assert.Equal(new[] { "3|x" }, result.AddedKeys.Select(k => string.Join("|", k)));
        Assert.Equal(new[] { "2|x", "10|x" }, result.ChangedKeys.Select(k => string.Join("|",
            k)));   // NULL vs empty differs
        Assert.Equal(2, result.Unchanged);
    }

    [Fact]
    public void Duplicate_key_is_an_error_that_does_not_show_the_value()
    {
        var result = new ComparisonResult { Key = new[] { "a", "b" }, Table = "public.t" };
        var ex = Assert.Throws<CenateException>(() =>
            MergeJoin.Run(Side("12345678\tdni\tv"), Side("12345678\tdni\tv", "12345678\tdni\tw"), 2, result, 100,
                false, null, null));
        Assert.Equal(ErrorIds.DuplicateKey, ex.ErrorId);
        Assert.DoesNotContain("12345678", ex.Message);
    }

    [Theory]
    [InlineData("PRIMARY KEY (id)", "id")]
    [InlineData("PRIMARY KEY (tipo, \"Num Doc\")", "tipo|Num Doc")]
    [InlineData("PRIMARY KEY (\"a\"\"b\", c)", "a\"b|c")]
    public void Primary_key_definition_is_parsed(string definition, string expected) =>
        Assert.Equal(expected, string.Join("|", PrimaryKeyDefinition.Parse(definition)));
}
