using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Text.Json;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Jobs;
using CenateBackup.Core.Plan;
using CronSchedule = CenateBackup.Core.Schedule.CronSchedule;
using ScheduleStatus = CenateBackup.Core.Schedule.ScheduleStatus;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>A run killed without its end record (kill -9, OOM killer, power cut): the next run reports it once, and
/// Get-CenateBackupSchedule shows it Interrupted when nobody holds the job's lock.</summary>
public class InterruptedRunTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 30, 2, 0, 1, 123, TimeSpan.Zero);

    private static PlanSettings Settings(TempDirectory dir) => PlanSettings.FromData(new Hashtable
    {
        ["Path"] = "backups", ["LogPath"] = "logs", ["StatePath"] = "state",
    }, dir.File("cenate.psd1"));

    private static JobStepRecord Step(string name, DateTimeOffset at) => new()
    {
        Name = name, Start = at, End = at.AddSeconds(5), Result = JobStepResult.Succeeded, Bytes = 10,
    };

    /// <summary>A run that dies: the lock goes (as the kernel releases it), the end record is never written.</summary>
    private static string Killed(PlanSettings settings, DateTimeOffset at, params string[] steps)
    {
        var run = JobRun.Start("daily", settings, false, "h", "1.0", at);
        foreach (var s in steps) run.Record(Step(s, at));
        var path = run.JsonLogPath!;
        run.Dispose();
        return path;
    }

    [Fact]
    public void NextRun_RecordsPreviousRunFailed_Once_AndTheRunAfterIsClean()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        Killed(settings, s_t0, "dump", "export");
        using (var second = JobRun.Start("daily", settings, false, "h", "1.0", s_t0.AddHours(12)))
        {
            Assert.True(second.Failed);
            Assert.NotNull(second.Interrupted);
            var step = Assert.Single(second.Steps);
            Assert.Equal("previous-run", step.Name);
            Assert.Equal(JobStepResult.Failed, step.Result);
            Assert.Equal(ErrorIds.JobInterrupted, step.ErrorId);
            Assert.Equal($"The previous daily run (started 2026-11-30T02:00:01Z, pid {Environment.ProcessId}) ended "
                + "without finishing — killed, crashed or the machine stopped; its last recorded step was 'export'.",
                step.Message);
            second.Record(Step("dump", s_t0.AddHours(12)));
            Assert.Equal(1, second.Complete(s_t0.AddHours(12).AddMinutes(1)));
            var records = File.ReadAllLines(second.JsonLogPath!).Select(l => JsonDocument.Parse(l).RootElement)
                .ToList();
            var logged = records.Single(r => r.GetProperty("event").GetString() == "step"
                && r.GetProperty("step").GetString() == "previous-run");
            Assert.Equal("Failed", logged.GetProperty("result").GetString());
            Assert.Equal("JobInterrupted", logged.GetProperty("errorId").GetString());
            // Recorded before any step of the run itself.
            Assert.Equal("previous-run", records.First(r => r.GetProperty("event").GetString() == "step")
                .GetProperty("step").GetString());
        }
        using var third = JobRun.Start("daily", settings, false, "h", "1.0", s_t0.AddDays(1));
        Assert.False(third.Failed);
        Assert.Null(third.Interrupted);
        Assert.Empty(third.Steps);
        Assert.Equal(0, third.Complete(s_t0.AddDays(1).AddMinutes(1)));
    }

    [Fact]
    public void OnlyTheNewestEarlierLog_OnlyThisJob_PreflightAndLockedRecordNothing()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        Killed(settings, s_t0);                                   // older, already followed by a clean run
        using (var clean = JobRun.Start("daily", settings, false, "h", "1.0", s_t0.AddHours(1)))
        {
            Assert.NotNull(clean.Interrupted); // reported here …
            clean.Complete(s_t0.AddHours(1));
        }
        Assert.Null(InterruptedRun.Find(settings.LogPath, "daily")); // … and never again
        Assert.Null(InterruptedRun.Find(settings.LogPath, "weekly"));
        Killed(settings, s_t0.AddHours(2), "dump");
        using (var preflight = JobRun.Start("daily", settings, true, "h", "1.0", s_t0.AddHours(3)))
            Assert.Null(preflight.Interrupted);
        using var holder = JobRun.Start("daily", settings, false, "h", "1.0", s_t0.AddHours(4));
        Assert.NotNull(holder.Interrupted);
        using var locked = JobRun.Start("daily", settings, false, "h", "1.0", s_t0.AddHours(5));
        Assert.Equal(JobRunState.Locked, locked.State);
        Assert.Null(locked.Interrupted);
        Assert.Empty(locked.Steps);
    }

    [Fact]
    public void Reader_CutLines_NoStartRecord_Links_AndHostileStepNames()
    {
        using var dir = new TempDirectory();
        var noStart = dir.File("daily-20261130T020001123Z.jsonl");
        File.WriteAllText(noStart, "{\"time\":\"2026-11-30T02:0");        // no start record: not a run's log
        Assert.Null(InterruptedRun.Find(dir.Path, "daily"));
        File.WriteAllText(noStart, "{\"event\":\"start\",\"time\":\"2026-11-30T02:00:01.123Z\"}\n{\"ev");
        var run = InterruptedRun.Find(dir.Path, "daily")!;                  // cut after its start record
        Assert.Equal(s_t0, run.Start);
        Assert.Null(run.Pid);
        Assert.Null(run.LastStep);
        Assert.EndsWith("it recorded no step.", run.Message, StringComparison.Ordinal);
        var hostile = dir.File("daily-20261130T140001000Z.jsonl");
        File.WriteAllText(hostile,
            "{\"event\":\"start\",\"time\":\"2026-11-30T14:00:01Z\",\"pid\":77}\n"
            + "{\"event\":\"step\",\"step\":\"dump\"}\n"
            + "{\"event\":\"step\",\"step\":\"x' password=hunter2\\n\"}\n"
            + "{\"event\":\"end\",\"result\":\"Fa");                       // a cut end line is no end
        run = InterruptedRun.Find(dir.Path, "daily")!;
        Assert.Equal(77, run.Pid);
        Assert.Equal("dump", run.LastStep);
        Assert.DoesNotContain("hunter2", run.Message, StringComparison.Ordinal);
        File.AppendAllText(hostile, "\n{\"event\":\"end\",\"result\":\"Failed\"}\n");
        Assert.Null(InterruptedRun.Find(dir.Path, "daily"));
        File.Delete(hostile);
        File.CreateSymbolicLink(dir.File("daily-20261201T000000000Z.jsonl"), noStart);
        Assert.Null(InterruptedRun.Find(dir.Path, "daily")); // the newest is a link: not read
    }

    [Fact]
    public void IsHeld_SeesTheLockWithoutTakingIt()
    {
        using var dir = new TempDirectory();
        var settings = Settings(dir);
        Assert.False(JobLock.IsHeld(settings.LockDirectory, "daily")); // no lock file yet
        var run = JobRun.Start("daily", settings, false, "h", "1.0", s_t0);
        Assert.True(JobLock.IsHeld(settings.LockDirectory, "daily"));
        Assert.Equal(JobRunState.Running, run.State);               // looking did not disturb the holder
        Assert.False(JobLock.IsHeld(settings.LockDirectory, "weekly"));
        run.Dispose();
        Assert.False(JobLock.IsHeld(settings.LockDirectory, "daily"));
        Assert.True(JobLock.HoldsInode(new[] { "1: FLOCK  ADVISORY  WRITE 1234 00:2f:98765 0 EOF" }, 98765));
        Assert.True(JobLock.HoldsInode(new[] { "2: -> FLOCK  ADVISORY  WRITE 99 fd:01:98765 0 EOF" }, 98765));
        Assert.False(JobLock.HoldsInode(new[] { "1: POSIX  ADVISORY  WRITE 1234 00:2f:98765 0 EOF" }, 98765));
        Assert.False(JobLock.HoldsInode(new[] { "1: FLOCK  ADVISORY  WRITE 1234 00:2f:987650 0 EOF" }, 98765));
    }

    [Theory]
    [InlineData(false, "Interrupted", "Failed")]
    [InlineData(true, "Running", "Running")]
    [InlineData(null, "Running", "Running")]
    public void Status_RunWithoutEnd_IsInterruptedOnlyWhenTheLockIsFree(bool? held, string result, string status)
    {
        var daily = CronSchedule.Parse("0 2,14 * * *", "daily");
        var start = new DateTimeOffset(2026, 11, 30, 2, 0, 1, TimeSpan.Zero);
        var runs = new[]
        {
            new CenateBackup.Core.Schedule.JobRun(start.AddHours(-12), "Succeeded", TimeSpan.FromMinutes(3), 0, "a"),
            new CenateBackup.Core.Schedule.JobRun(start, "Running", null, null, "b"),
        };
        var s = ScheduleStatus.Analyze(daily, TimeZoneInfo.Utc, start.AddDays(-3), start.AddMinutes(30), runs,
            false, held);
        Assert.Equal(result, s.LastResult);
        Assert.Equal(status, s.Status);
    }
}
