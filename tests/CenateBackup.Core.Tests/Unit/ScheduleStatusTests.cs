using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using CenateBackup.Core.Schedule;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Last run and Missed, from JSON-lines logs in the job runtime's format (design §B).</summary>
public class ScheduleStatusTests
{
    private static readonly TimeZoneInfo s_lima = CronSchedule.ResolveZone("America/Lima");
    private static readonly CronSchedule s_daily = CronSchedule.Parse("0 2,14 * * *", "daily");

    private static DateTimeOffset Lima(int day, int hour, int minute = 0) =>
        new(2026, 11, day, hour, minute, 0, TimeSpan.FromHours(-5));

    private static JobRun Run(DateTimeOffset start, string result = "Succeeded") =>
        new(start, result, TimeSpan.FromMinutes(3), result == "Succeeded" ? 0 : 1, "x");

    private static void WriteLog(string dir, string job, DateTimeOffset start, string? result, string? extra = null)
    {
        static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'");
        string t = Iso(start), end = Iso(start.AddMinutes(4));
        var records = new List<object>
        {
            new { time = t, @event = "start", job, runId = Guid.NewGuid(), pid = 1, host = "h",
                  settings = "/etc/cenate/cenate.psd1", moduleVersion = "1.0.0" },
            new { time = end, @event = "step", job, runId = "r", step = "dump", start = t, end, durationMs = 240000,
                  result = "Succeeded", errorId = (string?)null, message = (string?)null, bytes = 123, rows = 4000000 },
        };
        if (result is not null)
            records.Add(new { time = end, @event = "end", job, runId = "r", start = t, end, durationMs = 240000,
                              result, exitCode = result == "Succeeded" ? 0 : 1 });
        var lines = string.Join("", records.Take(2).Select(r => JsonSerializer.Serialize(r) + "\n")) + (extra ?? "")
                    + string.Join("", records.Skip(2).Select(r => JsonSerializer.Serialize(r) + "\n"));
        var stamp = start.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff");
        File.WriteAllText(Path.Combine(dir, $"{job}-{stamp}Z.jsonl"), lines);
        File.WriteAllText(Path.Combine(dir, $"{job}-{stamp}Z.log"), "human log\n");
    }

    [Fact]
    public void Reader_FindsStartAndEnd_SkipsBrokenLinesAndOtherNames()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, "daily", Lima(28, 2), "Succeeded");
        WriteLog(dir.Path, "daily", Lima(29, 14), "Failed", "{\"time\":\"2026-11-29T19:0\n");
        WriteLog(dir.Path, "daily", Lima(30, 2), null); // still running (or killed)
        WriteLog(dir.Path, "weekly", Lima(29, 3), "Succeeded");
        File.WriteAllText(dir.File("daily-notastamp.jsonl"),
            "{\"event\":\"start\",\"time\":\"2026-11-30T23:00:00Z\"}\n");
        File.CreateSymbolicLink(dir.File("daily-20261130T230000000Z.jsonl"), dir.File("daily-notastamp.jsonl"));
        var runs = RunLogReader.Read(dir.Path, "daily");
        Assert.Equal(new[] { "Succeeded", "Failed", "Running" }, runs.Select(r => r.Result));
        Assert.Equal(Lima(28, 2), runs[0].Start);
        Assert.Equal(TimeSpan.FromMinutes(4), runs[0].Duration);
        Assert.Equal(1, runs[1].ExitCode);
        Assert.Null(runs[2].Duration);
        Assert.Empty(RunLogReader.Read(dir.File("absent"), "daily"));
    }

    [Fact]
    public void AllRunsPresent_IsOK()
    {
        var now = Lima(30, 15);
        var runs = new[] { Run(Lima(29, 14, 1)), Run(Lima(30, 2)), Run(Lima(30, 14, 0).AddSeconds(2)) };
        var s = ScheduleStatus.Analyze(s_daily, s_lima, Lima(1, 0), now, runs);
        Assert.Equal(("OK", "Succeeded", (DateTimeOffset?)null), (s.Status, s.LastResult, s.MissedAt));
        Assert.Equal(Lima(30, 14).AddSeconds(2), s.LastRun);
    }

    [Fact]
    public void NewestOccurrenceWithoutARun_IsMissed_EvenAfterAnOlderSuccess()
    {
        var now = Lima(30, 15);
        var s = ScheduleStatus.Analyze(s_daily, s_lima, Lima(1, 0), now, new[] { Run(Lima(30, 2)) });
        Assert.Equal("Missed", s.Status);
        Assert.Equal(Lima(30, 14), s.MissedAt);
        Assert.Equal("Succeeded", s.LastResult);
    }

    [Fact]
    public void Window_OneMinuteBefore_TwoHoursAfter_AndFifteenMinutesGrace()
    {
        var now = Lima(30, 17);
        Assert.Equal("OK", ScheduleStatus.Analyze(s_daily, s_lima, Lima(1, 0), now,
            new[] { Run(Lima(30, 13, 59)) }).Status);
        Assert.Equal("Missed", ScheduleStatus.Analyze(s_daily, s_lima, Lima(1, 0), now,
            new[] { Run(Lima(30, 13, 58)) }).Status);
        Assert.Equal("OK", ScheduleStatus.Analyze(s_daily, s_lima, Lima(1, 0), now,
            new[] { Run(Lima(30, 16)) }).Status);
        Assert.Equal("Missed", ScheduleStatus.Analyze(s_daily, s_lima, Lima(1, 0), now,
            new[] { Run(Lima(30, 16, 1)) }).Status);
        // 14:10: the 14:00 run is not judged yet; the 02:00 one had its run.
        Assert.Equal("OK", ScheduleStatus.Analyze(s_daily, s_lima, Lima(1, 0), Lima(30, 14, 10),
            new[] { Run(Lima(30, 2)) }).Status);
        Assert.Equal("Missed", ScheduleStatus.Analyze(s_daily, s_lima, Lima(1, 0), Lima(30, 14, 15),
            new[] { Run(Lima(30, 2)) }).Status);
    }

    [Fact]
    public void BeforeRegistration_NothingIsMissed()
    {
        var s = ScheduleStatus.Analyze(s_daily, s_lima, Lima(30, 14, 30), Lima(30, 20), Array.Empty<JobRun>());
        Assert.Equal(("NeverRun", "None", (DateTimeOffset?)null), (s.Status, s.LastResult, s.MissedAt));
        var missed = ScheduleStatus.Analyze(s_daily, s_lima, Lima(30, 13, 59), Lima(30, 20), Array.Empty<JobRun>());
        Assert.Equal("Missed", missed.Status);
    }

    [Fact]
    public void LastRunFailedOrRunning()
    {
        var now = Lima(30, 15);
        Assert.Equal("Failed", ScheduleStatus.Analyze(s_daily, s_lima, Lima(1, 0), now,
            new[] { Run(Lima(30, 2)), Run(Lima(30, 14), "Failed") }).Status);
        Assert.Equal("Running", ScheduleStatus.Analyze(s_daily, s_lima, Lima(1, 0), now,
            new[] { Run(Lima(30, 14), "Running") }).Status);
    }
}
