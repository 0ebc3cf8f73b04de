using System.IO;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Verification;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// Issue 19: a base backup can be rolled forward only when the archive holds every segment from the one that holds its
/// end to the newest one, of the same cluster. Judged from file names and the archive's marker.
/// </summary>
public class WalContinuityTests
{
    private static ManifestBaseBackup Facts(string end = "000000010000000000000007", string system = "7443906633431123456") => new()
    {
        EndWalFile = end, Timeline = 1, WalSegmentSize = 16L << 20, SystemIdentifier = system,
    };

    private static void Touch(string dir, params string[] names)
    {
        foreach (var n in names) File.WriteAllBytes(Path.Combine(dir, n), new byte[] { 1 });
    }

    [Fact]
    public void Every_Segment_From_The_End_To_The_Newest_Passes_Also_Across_A_Log_Boundary_And_With_A_Partial()
    {
        using var dir = new TempDirectory();
        Touch(dir.Path, "000000010000000000000006", "000000010000000000000007", "0000000100000000000000FF", "000000010000000100000000",
            "000000010000000100000001.partial");
        for (var i = 8; i < 0xFF; i++) Touch(dir.Path, "0000000100000000000000" + i.ToString("X2"));
        Assert.Null(WalContinuity.Check(dir.Path, Facts(), out var check));
        Assert.Equal($"WAL continuity 000000010000000000000007 – 000000010000000100000001 (251 segments) in {dir.Path}", check);
    }

    [Fact]
    public void A_Missing_Segment_Is_Named()
    {
        using var dir = new TempDirectory();
        Touch(dir.Path, "000000010000000000000007", "000000010000000000000008", "00000001000000000000000A", "00000001000000000000000B.partial");
        var problem = WalContinuity.Check(dir.Path, Facts(), out _);
        Assert.Contains("1 segment(s) missing", problem);
        Assert.Contains("first 000000010000000000000009", problem);
    }

    [Fact]
    public void An_Archive_That_Starts_After_The_Backup_End_Or_Holds_Another_Cluster_Is_A_Gap()
    {
        using var dir = new TempDirectory();
        Touch(dir.Path, "000000010000000000000009", "00000001000000000000000A");
        Assert.Contains("missing", WalContinuity.Check(dir.Path, Facts(), out _));
        using var old = new TempDirectory();
        Touch(old.Path, "000000010000000000000005");
        Assert.Contains("no segment from 000000010000000000000007 on", WalContinuity.Check(old.Path, Facts(), out _));
        using var foreign = new TempDirectory();
        Touch(foreign.Path, "000000010000000000000007");
        File.WriteAllText(Path.Combine(foreign.Path, WalContinuity.MarkerFile), "{\"systemIdentifier\": \"42\"}");
        Assert.Contains("another cluster", WalContinuity.Check(foreign.Path, Facts(), out _));
        Assert.Contains("does not exist", WalContinuity.Check(Path.Combine(foreign.Path, "nope"), Facts(), out _));
        Assert.Contains("no usable WAL range", WalContinuity.Check(foreign.Path, Facts(end: "x"), out _));
    }

    [Fact]
    public void A_Gap_Fails_The_Result_But_Not_The_Sets_Integrity()
    {
        using var dir = new TempDirectory();
        var report = new VerificationReport();
        report.Files.Add("x.base.tar.gz");
        report.Checks.Add("sha256 x.base.tar.gz");
        WalContinuity.Apply(report, Path.Combine(dir.Path, "none"), Facts(), "x.manifest.json");
        Assert.Equal(ProblemKind.WalArchiveGap, Assert.Single(report.Problems).Kind);
        Assert.True(report.IntegrityPassed);
    }
}
