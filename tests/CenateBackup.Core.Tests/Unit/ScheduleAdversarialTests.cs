using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Schedule;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// What an admin or an attacker puts in front of the schedule: odd characters in paths (cron's own escapes, systemd's
/// specifiers and variables), run-log directories full of old or broken files, files swapped between the check and the
/// write, and run times across DST changes.
/// </summary>
public class ScheduleAdversarialTests
{
    private static ScheduleCommand Command(string script, string settings = "/etc/cenate/cenate.psd1",
        params KeyValuePair<string, string>[] env) =>
        new("daily", "/usr/bin/pwsh", script, settings, env);

    private static readonly CronSchedule s_daily = CronSchedule.Parse("30 2 * * *", "daily");

    [Theory]
    [InlineData(@"/opt/a\%b/Daily.ps1")]
    [InlineData(@"/opt/a\\b/Daily.ps1")]
    [InlineData(@"/opt/a\b/Daily.ps1")]
    public void CronLine_RefusesBackslashes_WhichCronReadsAsItsEscape(string path)
    {
        var e1 = Assert.Throws<CenateException>(() => CronFileDocument.Line(s_daily, "root", Command(path)));
        var e2 = Assert.Throws<CenateException>(() => CronFileDocument.Line(s_daily, "root",
            Command("/opt/Daily.ps1", path)));
        Assert.Equal(ErrorIds.ScheduleInvalid, e1.ErrorId);
        Assert.Equal(ErrorIds.ScheduleInvalid, e2.ErrorId);
    }

    [Fact]
    public void CronLine_ShellMetacharacters_StayInsideSingleQuotes()
    {
        const string settings = "/etc/ce nate/$(touch /tmp/pwned) `id` ;&|<>\"*?~ 100%.psd1";
        var line = CronFileDocument.Line(s_daily, "root", Command("/opt/x/Daily.ps1", settings));
        Assert.EndsWith(" -Settings '/etc/ce nate/$(touch /tmp/pwned) `id` ;&|<>\"*?~ 100\\%.psd1'", line);
        Assert.Equal(settings, CronFileDocument.SettingsOf(line));
        // What sh runs once cron turned \% back into %: the exact words, nothing executed.
        var sh = line[(line.IndexOf("root ", StringComparison.Ordinal) + 5)..].Replace("\\%", "%");
        var words = RunSh("printf '%s\\n' " + sh[sh.IndexOf(' ')..]);
        Assert.Equal(new[] { "-NoProfile", "-NonInteractive", "-File", "/opt/x/Daily.ps1", "-Settings", settings },
            words);
        Assert.False(File.Exists("/tmp/pwned"));
    }

    [Fact]
    public void CronEnvironment_ValueWithOuterSpaceOrQuote_IsRefused()
    {
        var command = Command("/opt/x/Daily.ps1", "/etc/c.psd1", new KeyValuePair<string, string>("PSModulePath",
            "\"/opt/m\""));
        var e = Assert.Throws<CenateException>(() =>
            CronFileDocument.Build(new[] { (command, s_daily) }, "root", "/etc/c.psd1", "zone", null));
        Assert.Equal(ErrorIds.ScheduleInvalid, e.ErrorId);
    }

    [Fact]
    public void Systemd_EscapesSpecifiersAndVariables_PerSetting()
    {
        var env = new KeyValuePair<string, string>("DOCKER_HOST", "unix:///run/d$ocker%h.sock");
        var service = SystemdUnits.Service(Command("/opt/j$HOME/100%/Daily.ps1", "/etc/\"c\" $(x) `y`.psd1", env),
            new SystemdUnits.Options(null, "/etc/cenate/100%.env", "/mnt/usb%i", null));
        // ExecStart: % and $ doubled, " and \ escaped inside "…".
        Assert.Contains("ExecStart=\"/usr/bin/pwsh\" -NoProfile -NonInteractive " +
                        "-File \"/opt/j$$HOME/100%%/Daily.ps1\" " +
                        "-Settings \"/etc/\\\"c\\\" $$(x) `y`.psd1\"\n", service);
        // Environment= expands specifiers but not variables: $ stays single.
        Assert.Contains("Environment=\"DOCKER_HOST=unix:///run/d$ocker%%h.sock\"\n", service);
        Assert.Contains("LoadCredential=cenate.env:/etc/cenate/100%%.env\n", service);
        Assert.Contains("RequiresMountsFor=/mnt/usb%%i\n", service);
    }

    [Theory]
    [InlineData("/etc/cenate/my env")]
    [InlineData("/etc/cenate/a\"b")]
    [InlineData("/etc/cenate/a'b")]
    [InlineData("/etc/cenate/a\\b")]
    [InlineData("/etc/cenate/a;b")]
    public void Systemd_PathSettings_ThatWouldSplitOrUnquote_AreRefused(string path)
    {
        var e1 = Assert.Throws<CenateException>(() => SystemdUnits.Service(Command("/opt/Daily.ps1"),
            new SystemdUnits.Options(null, path, null, null)));
        var e2 = Assert.Throws<CenateException>(() => SystemdUnits.Service(Command("/opt/Daily.ps1"),
            new SystemdUnits.Options(null, null, path, null)));
        Assert.Equal(ErrorIds.ScheduleInvalid, e1.ErrorId);
        Assert.Equal(ErrorIds.ScheduleInvalid, e2.ErrorId);
    }

    [Fact]
    public async Task RunLogs_TenThousandFiles_OnlyTheNewestAreRead()
    {
        using var dir = new TempDirectory();
        var t0 = new DateTimeOffset(2025, 1, 1, 2, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 10_000; i++)
        {
            var stamp = t0.AddHours(i).UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff");
            File.WriteAllText(dir.File($"daily-{stamp}Z.jsonl"),
                $"{{\"time\":\"{t0.AddHours(i):O}\",\"event\":\"start\"}}\n" +
                $"{{\"time\":\"{t0.AddHours(i):O}\",\"event\":\"end\",\"result\":\"Succeeded\",\"exitCode\":0}}\n");
        }
        // Old logs that would hang a reader opening every file: FIFOs with no writer.
        foreach (var day in new[] { 1, 2, 3 })
            Assert.Equal(0, Run("mkfifo", dir.File($"daily-202501{day:00}T013000000Z.jsonl")));
        var newest = t0.AddHours(9_999);
        var watch = Stopwatch.StartNew();
        var read = Task.Run(() => RunLogReader.ReadRecent(dir.Path, "daily", newest.AddHours(-5)));
        var done = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(20)));
        Assert.True(done == read, "ReadRecent opened an old log");
        watch.Stop();
        var runs = await read;
        Assert.Equal(newest, runs[^1].Start);
        Assert.Equal(6, runs.Count); // newest - 5 h … newest: the runs from the bound on, nothing older
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        // No expected occurrence: the newest run only.
        Assert.Single(RunLogReader.ReadRecent(dir.Path, "daily", null));
    }

    [Fact]
    public void RunLogs_BrokenLines_NeverThrow()
    {
        using var dir = new TempDirectory();
        var lines = new[]
        {
            "{\"time\":\"2026-11-30T07:00:00.000Z\",\"event\":\"start\",\"job\":\"daily\"}",
            "", "\u0000\u0001garbage", "[1,2,3]", "{\"event\":5}",
            "{\"event\":\"end\",\"result\":7,\"exitCode\":1e999}",
            new string('[', 5000), "{\"event\":\"end\",\"durationMs\":\"x\",\"start\":\"not a time\"", "{\"time\":",
        };
        File.WriteAllText(dir.File("daily-20261130T070000000Z.jsonl"), string.Join("\n", lines));
        var run = Assert.Single(RunLogReader.ReadRecent(dir.Path, "daily", null));
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 7, 0, 0, TimeSpan.Zero), run.Start);
        Assert.Equal("Failed", run.Result); // an end record whose result is not text counts as a failure
        Assert.Null(run.ExitCode);
    }

    [Fact]
    public void NextRun_Lima_HasNoDst_Madrid_SpringsForwardAndFallsBack()
    {
        var lima = CronSchedule.ResolveZone("America/Lima");
        var madrid = CronSchedule.ResolveZone("Europe/Madrid");
        var from = new DateTimeOffset(2027, 3, 27, 12, 0, 0, TimeSpan.Zero);
        // Lima: 02:30 local is 07:30 UTC every day of the year.
        Assert.All(s_daily.Next(from, lima, 3).Concat(s_daily.Next(from.AddMonths(7), lima, 3)),
            t => Assert.Equal(new TimeSpan(7, 30, 0), t.UtcDateTime.TimeOfDay));
        // Madrid, 28 March 2027: 02:00 jumps to 03:00. Cron (and Cronos) run 02:30 at 03:00; a timer skips the day.
        var cron = s_daily.Next(from, madrid, 2);
        Assert.Equal(new DateTimeOffset(2027, 3, 28, 3, 0, 0, TimeSpan.FromHours(2)), cron[0]);
        Assert.Equal(new DateTimeOffset(2027, 3, 29, 2, 30, 0, TimeSpan.FromHours(2)), cron[1]);
        var timer = s_daily.Next(from, madrid, 1, wallClockOnly: true);
        Assert.Equal(new DateTimeOffset(2027, 3, 29, 2, 30, 0, TimeSpan.FromHours(2)), timer[0]);
        // 31 October 2027: 03:00 falls back to 02:00; 02:30 happens twice and the job runs once.
        var fall = s_daily.Next(new DateTimeOffset(2027, 10, 30, 12, 0, 0, TimeSpan.Zero), madrid, 2);
        Assert.Equal(new DateTimeOffset(2027, 10, 31, 2, 30, 0, TimeSpan.FromHours(2)), fall[0]);
        Assert.Equal(new DateTimeOffset(2027, 11, 1, 2, 30, 0, TimeSpan.FromHours(1)), fall[1]);
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("../../../etc/passwd")]
    [InlineData("America/Lima\n")]
    [InlineData("UTC+5")]
    public void TimeZone_ThatDoesNotExist_IsScheduleInvalid(string id)
    {
        var e = Assert.Throws<CenateException>(() => CronSchedule.ResolveZone(id));
        Assert.Equal(ErrorIds.ScheduleInvalid, e.ErrorId);
    }

    private static int Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        p.WaitForExit();
        return p.ExitCode;
    }

    private static string[] RunSh(string script)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output.TrimEnd('\n').Split('\n');
    }
}
