using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Compare;
using CenateBackup.Core.Errors;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Compare-CenateBackup under hostile input and a hostile machine: an endless row, a full temp disk,
/// spill directories of killed runs, and -IncludeRows past -KeyLimit.</summary>
public class CompareRobustnessTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 7)]
    [InlineData(true, 4096)]
    [InlineData(false, 1)]
    [InlineData(false, 4096)]
    public void A_row_longer_than_the_cap_is_refused_without_its_content_whether_it_straddles_chunks_or_not(bool csv,
        int chunk)
    {
        var rows = new List<string>();
        var secret = "12345678" + new string('x', 200);
        var text = B("1,ok\n2,\"" + secret + "\"\n");
        if (!csv) text = B("1\tok\n2\t" + secret + "\n");
        var split = new RowSplitter(csv, r => rows.Add(Encoding.UTF8.GetString(r)), rowsBefore: 10, maxRow: 64);
        var ex = Assert.Throws<FormatException>(() =>
        {
            for (var i = 0; i < text.Length; i += chunk) split.Feed(text.AsSpan(i, Math.Min(chunk, text.Length - i)));
            split.Finish();
        });
        Assert.Equal("row 12 is longer than 64 bytes", ex.Message);
        Assert.Equal(new[] { csv ? "1,ok" : "1\tok" }, rows);
    }

    [Fact]
    public void A_last_row_without_a_newline_past_the_cap_is_refused_and_one_at_the_cap_passes()
    {
        var rows = new List<int>();
        var split = new RowSplitter(false, r => rows.Add(r.Length), maxRow: 64);
        split.Feed(B(new string('a', 64) + "\n" + new string('b', 64)));
        split.Finish();
        Assert.Equal(new[] { 64, 64 }, rows);
        var endless = new RowSplitter(false, _ => { }, maxRow: 64);
        Assert.Throws<FormatException>(() => { for (var i = 0; i < 100; i++) endless.Feed(B("aaaa")); });
        Assert.Equal(256 << 20, RowSplitter.MaxRowBytes);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_long_row_straddling_many_chunks_arrives_whole(bool csv)
    {
        // Past the splitter's 1 MB single buffer: the row is kept in pieces and joined once.
        var big = string.Create(3_000_000, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = (char)('a' + i % 26);
        }) + "0123456789";
        var text = B((csv ? "1,\"x\ny\"\n2," : "1\tx\n2\t") + big + "\n3" + (csv ? "," : "\t") + "z\n");
        var rows = new List<string>();
        var split = new RowSplitter(csv, r => rows.Add(Encoding.UTF8.GetString(r)));
        for (var i = 0; i < text.Length; i += 65_537) split.Feed(text.AsSpan(i, Math.Min(65_537, text.Length - i)));
        split.Finish();
        var sep = csv ? "," : "\t";
        Assert.Equal(new[] { csv ? "1,\"x\ny\"" : "1\tx", "2" + sep + big, "3" + sep + "z" }, rows);
    }

    [Fact]
    public void Spilled_runs_are_still_counted_after_finish()
    {
        using var spill = new SpillDirectory(null);
        using var sorter = new ExternalRecordSorter(1, 4096, spill, "t");
        var rec = new CompareRecord(new[] { 0 }, Array.Empty<int>(), null);
        var row = new DecodedRow();
        for (var i = 0; i < 3000; i++) { RowDecoders.CopyText(B(i.ToString()), row); sorter.Add(rec.Encode(row)); }
        using var cursor = sorter.Finish();
        Assert.True(sorter.SpilledRuns > 1, $"{sorter.SpilledRuns} runs");
    }

    private static IRecordCursor Side(int keyCount, params string[] rows)
    {
        var spill = new SpillDirectory(null);
        var sorter = new ExternalRecordSorter(keyCount, 1 << 20, spill, "s");
        var rec = new CompareRecord(Enumerable.Range(0, keyCount).ToArray(), new[] { keyCount }, new[] { 0, 1 });
        var row = new DecodedRow();
        foreach (var r in rows) { RowDecoders.CopyText(B(r), row); sorter.Add(rec.Encode(row)); }
        var cursor = sorter.Finish();
        spill.Dispose();
        return cursor;
    }

    [Fact]
    public void Include_rows_keeps_no_row_past_the_key_limit_but_the_counts_stay_exact()
    {
        var result = new ComparisonResult { Key = new[] { "k" } };
        var cols = new[] { "k", "v" };
        MergeJoin.Run(Side(1, "1\ta", "2\ta", "3\ta", "4\ta", "5\ta"), Side(1, "4\tb", "5\tb", "6\ta", "7\ta"), 1,
            result, 2, true, cols, cols);
        Assert.Equal((3, 2, 2), (result.Missing, result.Added, result.Changed));
        Assert.True(result.KeysTruncated);
        Assert.Equal(new[] { "1", "2" }, result.MissingKeys.Select(k => k[0]));
        Assert.Equal(6, result.Rows.Count);
        Assert.Equal(new[] { "1", "2", "4", "5", "6", "7" }, result.Rows.Select(r => r.Key[0]));
        var none = new ComparisonResult { Key = new[] { "k" } };
        MergeJoin.Run(Side(1, "1\ta", "2\ta"), Side(1), 1, none, 0, true, cols, cols);
        Assert.Equal(2, none.Missing);
        Assert.Empty(none.Rows);
    }

    [Fact]
    public void Stale_spill_directories_of_dead_processes_go_and_live_foreign_or_odd_ones_stay()
    {
        var parent = Directory.CreateTempSubdirectory("cmp-stale-").FullName;
        try
        {
            using (var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
            {
                gone.WaitForExit();
                var dead = gone.Id;
                Assert.False(Directory.Exists($"/proc/{dead}"));
                Make($"cenate-compare-{dead}-abc", withFile: true);
                Make($"cenate-compare-{Environment.ProcessId}-live", withFile: true);
                Make("cenate-compare-1-init", withFile: false);       // pid 1 always runs
                Make("cenate-compare-noPid", withFile: false);
                Make($"other-{dead}-abc", withFile: false);
                var foreign = Make($"cenate-compare-{dead}-foreign", withFile: true);
                Chown(foreign, 65534);
                Directory.CreateSymbolicLink(Path.Combine(parent, $"cenate-compare-{dead}-link"),
                    Make("target", withFile: true));
                using (var spill = new SpillDirectory(parent))
                {
                    Assert.StartsWith($"cenate-compare-{Environment.ProcessId}-", Path.GetFileName(spill.Path));
                    var left = Directory.GetFileSystemEntries(parent).Select(p => Path.GetFileName(p)!).Order()
                        .ToList();
                    Assert.Equal(new[] { "cenate-compare-1-init", $"cenate-compare-{dead}-foreign",
                        $"cenate-compare-{dead}-link", $"cenate-compare-{Environment.ProcessId}-live",
                        Path.GetFileName(spill.Path), "cenate-compare-noPid", $"other-{dead}-abc", "target" }
                        .Order().ToList(), left);
                    Assert.True(File.Exists(Path.Combine(parent, "target", "f")));
                }
            }
        }
        finally
        {
            Directory.Delete(parent, true);
        }

        string Make(string name, bool withFile)
        {
            var d = Directory.CreateDirectory(Path.Combine(parent, name)).FullName;
            if (withFile) File.WriteAllText(Path.Combine(d, "f"), "x");
            return d;
        }
    }

    private static void Chown(string path, int uid)
    {
        Assert.True(OperatingSystem.IsLinux() && CenateBackup.Core.Alerts.AlertFileTrust.CurrentUser() == 0,
            "this test changes a directory's owner: run it as root on Linux (the rig does)");
        using var p = Process.Start(new ProcessStartInfo("chown", $"{uid} {path}") { UseShellExecute = false })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public async Task A_full_temp_directory_is_DiskFull_naming_TempDirectory_and_nothing_is_left()
    {
        Assert.True(OperatingSystem.IsLinux() && CenateBackup.Core.Alerts.AlertFileTrust.CurrentUser() == 0,
            "this test mounts a small tmpfs: run it as root on Linux (the rig does)");
        var root = Directory.CreateTempSubdirectory("cmp-full-").FullName;
        var mount = Directory.CreateDirectory(Path.Combine(root, "tmp")).FullName;
        Run("mount", $"-t tmpfs -o size=64k tmpfs {mount}");
        try
        {
            var csv = Path.Combine(root, "x.t.csv.gz");
            await using (var gz = new GZipStream(File.Create(csv), CompressionLevel.Fastest))
            await using (var w = new StreamWriter(gz))
            {
                await w.WriteAsync("k,v\n");
                for (var i = 0; i < 20000; i++) await w.WriteAsync($"{i},value {i}\n");
            }
            var request = new CompareRequest
            {
                Reference = csv, Difference = csv, Table = "t", Key = new[] { "k" }, AllowUnverifiedBackup = true,
                RunBytes = 4096, TempDirectory = mount,
            };
            var ex = await Assert.ThrowsAsync<CenateException>(() =>
                BackupComparer.CompareAsync(request, new ListReporter(new List<string>()), CancellationToken.None));
            Assert.Equal(ErrorIds.DiskFull, ex.ErrorId);
            Assert.Contains("-TempDirectory", ex.RecommendedAction);
            Assert.Empty(Directory.GetFileSystemEntries(mount));
        }
        finally
        {
            Run("umount", mount);
            Directory.Delete(root, true);
        }
    }

    private static void Run(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { UseShellExecute = false })!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {args} exited {p.ExitCode}");
    }
}
