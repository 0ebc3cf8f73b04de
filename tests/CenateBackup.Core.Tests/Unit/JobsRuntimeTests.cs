using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Text.Json;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Jobs;
using CenateBackup.Core.Plan;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>The job runtime: names, the per-job lock, the JSON-lines records, log retention's choice.</summary>
public class JobsRuntimeTests
{
    private static PlanSettings Settings(TempDirectory dir) => PlanSettings.FromData(new Hashtable
    {
        ["Path"] = "backups", ["LogPath"] = "logs/run", ["StatePath"] = "state",
    }, dir.File("cenate.psd1"));

    private static readonly DateTimeOffset s_t0 = new(2026, 11, 30, 2, 0, 1, 123, TimeSpan.Zero);

    [Theory]
    [InlineData("daily", true)]
    [InlineData("audit-retention2", true)]
    [InlineData("Daily", false)]
    [InlineData("1daily", false)]
    [InlineData("daily.ps1", false)]
    [InlineData("../daily", false)]
    [InlineData("", false)]
    [InlineData("abcdefghijklmnopqrstuvwxyzabcdefg", false)]
    public void JobNames(string name, bool valid)
    {
        Assert.Equal(valid, JobRun.IsValidName(name));
        if (!valid)
        {
            Assert.Equal(ErrorIds.JobNameInvalid, Assert.Throws<CenateException>(() =>
                JobRun.RequireValidName(name)).ErrorId);
        }
    }

    [Fact]
    public void Start_CreatesPrivateDirectories_Locks_AndASecondRunIsLockedWithoutWriting()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        using var first = JobRun.Start("daily", settings, false, "h", "1.0", s_t0);
        Assert.Equal(JobRunState.Running, first.State);
        if (!OperatingSystem.IsWindows())
        {
            foreach (var d in new[] { "logs", "logs/run", "state", "state/locks" })
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                    File.GetUnixFileMode(dir.File(d)));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.LogPath!));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.JsonLogPath!));
        }
        var files = Directory.GetFiles(dir.File("logs/run"));
        using var second = JobRun.Start("daily", settings, false, "h", "1.0", s_t0.AddSeconds(1));
        Assert.Equal(JobRunState.Locked, second.State);
        Assert.Matches($@"^pid {Environment.ProcessId}, started 2026-11-30 02:00:01Z$", second.Holder);
        Assert.Null(second.LogPath);
        Assert.Equal(files, Directory.GetFiles(dir.File("logs/run")));
        Assert.Equal(ErrorIds.JobNotActive, Assert.Throws<CenateException>(() => second.Record(new JobStepRecord
        {
            Name = "x",
        })).ErrorId);
        // Another job is not locked by this one.
        using var other = JobRun.Start("weekly", settings, true, "h", "1.0", s_t0);
        Assert.Equal(JobRunState.Preflight, other.State);
        first.Complete(s_t0.AddSeconds(5));
        using var third = JobRun.Start("daily", settings, true, "h", "1.0", s_t0.AddSeconds(6));
        Assert.Equal(JobRunState.Preflight, third.State);
        Assert.Equal(ErrorIds.JobNotActive, Assert.Throws<CenateException>(() => third.Complete(s_t0)).ErrorId);
    }

    [Fact]
    public void Lock_RefusesALinkPlantedInItsPlace()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        Directory.CreateDirectory(settings.LockDirectory);
        var target = dir.File("elsewhere");
        File.CreateSymbolicLink(Path.Combine(settings.LockDirectory, "daily.lock"), target);
        var ex = Assert.Throws<CenateException>(() => JobRun.Start("daily", settings, false, "h", "1", s_t0));
        Assert.Equal(ErrorIds.UnsafeLockFile, ex.ErrorId);
        Assert.False(File.Exists(target));
        Assert.Empty(Directory.GetFiles(settings.LogPath));
    }

    [Fact]
    public void Records_AreOneJsonObjectPerLine_WithTheContractsFields_AndNoSecret()
    {
        using var dir = new TempDirectory();
        var run = JobRun.Start("daily", Settings(dir), false, "host1", "1.2.3", s_t0);
        run.Record(new JobStepRecord
        {
            Name = "dump", Start = s_t0, End = s_t0.AddMilliseconds(1500), Result = JobStepResult.Succeeded,
            Bytes = 123, Rows = 4000000,
        });
        run.Record(new JobStepRecord
        {
            Name = "verify", Start = s_t0.AddSeconds(2), End = s_t0.AddSeconds(3), Result = JobStepResult.Failed,
            ErrorId = "ContainerNotRunning", Message = "failed: PGPASSWORD=hunter2 \"quoted\"\nsecond line",
        });
        Assert.Equal(1, run.Complete(s_t0.AddSeconds(4)));
        Assert.EndsWith("daily-20261130T020001123Z.jsonl", run.JsonLogPath);
        var lines = File.ReadAllLines(run.JsonLogPath!);
        Assert.Equal(4, lines.Length);
        var docs = lines.Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(new[] { "start", "step", "step", "end" }, docs.Select(d => d.GetProperty("event").GetString()));
        Assert.All(docs, d => Assert.Equal(run.RunId, d.GetProperty("runId").GetString()));
        Assert.All(docs, d => Assert.Equal("daily", d.GetProperty("job").GetString()));
        Assert.Equal("2026-11-30T02:00:01.123Z", docs[0].GetProperty("time").GetString());
        Assert.Equal("host1", docs[0].GetProperty("host").GetString());
        Assert.Equal("1.2.3", docs[0].GetProperty("moduleVersion").GetString());
        Assert.Equal(Environment.ProcessId, docs[0].GetProperty("pid").GetInt32());
        Assert.Equal(dir.File("cenate.psd1"), docs[0].GetProperty("settings").GetString());
        Assert.Equal(1500, docs[1].GetProperty("durationMs").GetInt64());
        Assert.Equal(4000000, docs[1].GetProperty("rows").GetInt64());
        Assert.Equal(123, docs[1].GetProperty("bytes").GetInt64());
        Assert.Equal(JsonValueKind.Null, docs[1].GetProperty("errorId").ValueKind);
        Assert.Equal("Failed", docs[2].GetProperty("result").GetString());
        Assert.Equal("ContainerNotRunning", docs[2].GetProperty("errorId").GetString());
        Assert.Equal(JsonValueKind.Null, docs[2].GetProperty("rows").ValueKind);
        Assert.Equal("Failed", docs[3].GetProperty("result").GetString());
        Assert.Equal(1, docs[3].GetProperty("exitCode").GetInt32());
        Assert.Equal(4000, docs[3].GetProperty("durationMs").GetInt64());
        var all = File.ReadAllText(run.JsonLogPath!) + File.ReadAllText(run.LogPath!);
        Assert.DoesNotContain("hunter2", all);
        Assert.Equal(4, File.ReadAllLines(run.LogPath!).Length);
        Assert.StartsWith("2026-11-30T02:00:01.123Z start daily", File.ReadAllLines(run.LogPath!)[0]);
    }

    [Fact]
    public void Retention_SelectsOnlyThisJobsOldLogs_ByTheStampInTheName()
    {
        var now = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        var names = new[]
        {
            "daily-20260801T020000000Z.log", "daily-20260801T020000000Z.jsonl", // old: removed
            "daily-20261101T120000000Z.log",                                     // 29 days: kept
            "daily-20260901T120000001Z.jsonl",                                   // 90 days less 1 ms: kept
            "daily-20260901T115959999Z.jsonl",                                   // just over 90 days: removed
            "weekly-20260101T000000000Z.log",                                    // another job
            "daily-20260101T000000000Z.log.bak", "daily-20260101T000000000Z.txt", "xdaily-20260101T000000000Z.log",
            "daily-20260101T000000000.log", "daily-2026010T000000000Z.log", "daily-20261399T000000000Z.log",
            "Daily-20260101T000000000Z.log", "daily-20260101T000000000Z.jsonl2",
        };
        Assert.Equal(new[] { "daily-20260801T020000000Z.jsonl", "daily-20260801T020000000Z.log",
            "daily-20260901T115959999Z.jsonl" },
            RunLogRetention.Select(names, "daily", now, TimeSpan.FromDays(90)));
        Assert.DoesNotContain(RunLogRetention.Select(names, "daily", now, TimeSpan.FromDays(90),
            "daily-20260801T020000000Z"), n => n.StartsWith("daily-20260801", StringComparison.Ordinal));
        Assert.Equal(new[] { "weekly-20260101T000000000Z.log" },
            RunLogRetention.Select(names, "weekly", now, TimeSpan.FromDays(1)));
    }

    [Fact]
    public void Retention_RemovesRegularFilesOnly_NeverFollowingLinks()
    {
        if (OperatingSystem.IsWindows()) return;
        using var dir = new TempDirectory();
        var keep = dir.File("precious.txt");
        File.WriteAllText(keep, "x");
        File.CreateSymbolicLink(dir.File("daily-20200101T000000000Z.log"), keep);
        File.WriteAllText(dir.File("daily-20200101T000000000Z.jsonl"), "{}");
        Directory.CreateDirectory(dir.File("daily-20200102T000000000Z.log"));
        var removed = RunLogRetention.Apply(dir.Path, "daily", DateTimeOffset.UtcNow, TimeSpan.FromDays(1), null);
        Assert.Equal(new[] { dir.File("daily-20200101T000000000Z.jsonl") }, removed);
        Assert.True(File.Exists(keep));
        Assert.NotNull(new FileInfo(dir.File("daily-20200101T000000000Z.log")).LinkTarget);
        Assert.True(Directory.Exists(dir.File("daily-20200102T000000000Z.log")));
    }
}
