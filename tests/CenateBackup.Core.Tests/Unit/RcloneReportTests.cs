using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite.Rclone;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Reading `rclone checksum --combined -` output and rclone's JSON stats lines (real rclone 1.60
/// output).</summary>
public class RcloneReportTests
{
    private static readonly string[] s_names = { "a.txt", "b.txt", "m.txt" };

    [Fact]
    public void Combined_SortsFilesIntoMatchedDifferMissing()
    {
        // rclone checksum sha256 sums loc:/tmp/rcl/d2 --download --one-way --combined -  (a flipped, m absent, c extra)
        var r = RcloneCombinedReport.Parse("= b.txt\n* a.txt\n+ m.txt\n", s_names, 1)!;
        Assert.Equal(new[] { "b.txt" }, r.Matched);
        Assert.Equal(new[] { "a.txt" }, r.Differ);
        Assert.Equal(new[] { "m.txt" }, r.Missing);
        Assert.False(r.Passed);
        var ex = Assert.Throws<CenateException>(() => r.ThrowIfFailed("r:dir"));
        Assert.Equal(ErrorIds.RemoteChecksumMismatch, ex.ErrorId);
        Assert.Contains("a.txt", ex.Message);
        Assert.Contains("m.txt", ex.Message);
    }

    [Fact]
    public void Combined_ErrorReadingAFile_CountsAsDiffer_AndUnnamedFilesAreIgnored()
    {
        var r = RcloneCombinedReport.Parse("= a.txt\n! b.txt\n= m.txt\n- other.txt\n", s_names, 1)!;
        Assert.Equal(new[] { "b.txt" }, r.Differ);
        Assert.Empty(r.Missing);
        Assert.Equal(2, r.Matched.Count);
    }

    [Fact]
    public void Combined_NameWithSpaces_IsKeptWhole()
    {
        var r = RcloneCombinedReport.Parse("= my file.txt\n", new[] { "my file.txt" }, 0)!;
        Assert.True(r.Passed);
    }

    [Fact]
    public void Combined_FailureBeforeJudging_IsNull_SoTheCallerRaisesRclonesError()
    {
        Assert.Null(RcloneCombinedReport.Parse("", s_names, 1));
        Assert.Null(RcloneCombinedReport.Parse("= a.txt\n", s_names, 7));
    }

    [Fact]
    public void Combined_DirectoryNotThere_AllMissing()
    {
        var r = RcloneCombinedReport.Parse("", s_names, 3)!;
        Assert.Equal(s_names, r.Missing);
    }

    [Fact]
    public void Combined_SilentOnAName_WithExitZero_IsMissing_NeverMatched()
    {
        var r = RcloneCombinedReport.Parse("= a.txt\n= b.txt\n", s_names, 0)!;
        Assert.Equal(new[] { "m.txt" }, r.Missing);
        Assert.False(r.Passed);
    }

    [Fact]
    public void Stats_ReadsBytes()
    {
        const string line = "{\"level\":\"info\",\"msg\":\"\\nTransferred:   \\t   10.059 MiB / 28.610 MiB, 35%\\n\","
            + "\"source\":\"accounting/stats.go:482\","
            + "\"stats\":{\"bytes\":10547206,\"checks\":0,\"elapsedTime\":1.078636385,\"errors\":0,\"eta\":null,\"tot"
                + "alBytes\":30000006,"
            + "\"transferring\":[{\"bytes\":10547200,\"name\":\"big.bin\",\"size\":30000000}],\"transfers\":1},\"time"
                + "\":\"2026-11-30T08:28:45.526056+00:00\"}";
        Assert.True(RcloneStats.TryReadBytes(line, out var bytes));
        Assert.Equal(10547206, bytes);
        Assert.False(RcloneStats.TryReadBytes("{\"level\":\"info\",\"msg\":\"a.txt: Copied (new)\"}", out _));
        Assert.False(RcloneStats.TryReadBytes("\"stats\":{ broken", out _));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData(" lead")]
    [InlineData("nl\nname")]
    [InlineData("*star")]
    [InlineData("")]
    public void Names_ThatCouldLeaveTheDirectoryOrBreakLists_AreRefused(string name)
    {
        var ex = Assert.Throws<CenateException>(() => new RemoteLocation("r", "d").Join(name));
        Assert.Equal(CenateErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void Location_JoinsAndPrints()
    {
        Assert.Equal("r:d/e/x.dump", new RemoteLocation("r", "d/e").Join("x.dump"));
        Assert.Equal("r:x.dump", new RemoteLocation("r", "").Join("x.dump"));
        Assert.Equal("r:d", new RemoteLocation("r", "d").ToString());
    }
}
