using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Schedule;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>The cron.d file (escaping, refusal of control characters, merge by job), the units and the task
/// XML.</summary>
public class ScheduleFileTests
{
    private static readonly KeyValuePair<string, string>[] s_env =
    {
        new("PATH", "/root/.dotnet/tools:/usr/bin:/bin"), new("DOTNET_ROOT", "/usr/share/dotnet"),
    };

    private static ScheduleCommand Command(string job, string script = "/opt/cenate/jobs/Daily.ps1",
        string settings = "/etc/cenate/cenate.psd1") =>
        new(job, "/root/.dotnet/tools/pwsh", script, settings, s_env);

    private static (ScheduleCommand, CronSchedule) Job(string job, string cron, string? settings = null) =>
        (Command(job, $"/opt/cenate/jobs/{job}.ps1", settings ?? "/etc/cenate/cenate.psd1"),
            CronSchedule.Parse(cron, job));

    [Fact]
    public void CronFile_ExactText()
    {
        var doc = CronFileDocument.Build(new[] { Job("daily", "0 2,14 * * *"), Job("weekly", "0 3 * * 0") },
            "root", "/etc/cenate/cenate.psd1", "time zone: Etc/UTC", null);
        Assert.Equal(
            CronFileDocument.Marker + "\n" +
            "SHELL=/bin/sh\nPATH=/root/.dotnet/tools:/usr/bin:/bin\nDOTNET_ROOT=/usr/share/dotnet\n" +
            "# Settings: /etc/cenate/cenate.psd1; time zone: Etc/UTC\n" +
            "# job daily\n0 2,14 * * * root '/root/.dotnet/tools/pwsh' -NoProfile -NonInteractive -File " +
            "'/opt/cenate/jobs/daily.ps1' -Settings '/etc/cenate/cenate.psd1'\n" +
            "# job weekly\n0 3 * * 0 root '/root/.dotnet/tools/pwsh' -NoProfile -NonInteractive -File " +
            "'/opt/cenate/jobs/weekly.ps1' -Settings '/etc/cenate/cenate.psd1'\n",
            doc.Render());
    }

    [Fact]
    public void CronLine_EscapesPercentAndQuotes()
    {
        var line = CronFileDocument.Line(CronSchedule.Parse("0 2 * * *", "daily"), "backup",
            Command("daily", "/opt/it's 100%/Daily.ps1", "/etc/ce'nate/50% off.psd1"));
        Assert.Equal("0 2 * * * backup '/root/.dotnet/tools/pwsh' -NoProfile -NonInteractive -File " +
                     "'/opt/it'\\''s 100\\%/Daily.ps1' -Settings '/etc/ce'\\''nate/50\\% off.psd1'", line);
        Assert.DoesNotMatch(@"(?<!\\)%", line);
        Assert.Equal("/etc/ce'nate/50% off.psd1", CronFileDocument.SettingsOf(line));
        Assert.Equal("0 2 * * *", CronFileDocument.ScheduleOf(line));
    }

    [Theory]
    [InlineData("/opt/a\nb/Daily.ps1")]
    [InlineData("/opt/a\rb/Daily.ps1")]
    [InlineData("/opt/a\tb/Daily.ps1")]
    [InlineData("/opt/a\u0000b/Daily.ps1")]
    [InlineData("/opt/a\u001bb/Daily.ps1")]
    public void ControlCharacters_AreRefusedEverywhere(string path)
    {
        var schedule = CronSchedule.Parse("0 2 * * *", "daily");
        var e1 = Assert.Throws<CenateException>(() => CronFileDocument.Line(schedule, "root", Command("daily", path)));
        var e2 = Assert.Throws<CenateException>(() => CronFileDocument.Line(schedule, "root",
            Command("daily", "/ok/Daily.ps1", path)));
        var e3 = Assert.Throws<CenateException>(() => SystemdUnits.Service(Command("daily", path),
            new SystemdUnits.Options(null, null, null, null)));
        var e4 = Assert.Throws<CenateException>(() => CronFileDocument.Build(new[] { Job("daily", "0 2 * * *") },
            "root", path, "zone", null));
        Assert.All(new[] { e1, e2, e3, e4 }, e => Assert.Equal(ErrorIds.ScheduleInvalid, e.ErrorId));
        Assert.Throws<CenateException>(() => CronFileDocument.Line(schedule, "ro\not", Command("daily")));
    }

    [Fact]
    public void Merge_KeepsOtherJobsLines_ReplacesTheGivenOnes_InJobOrder()
    {
        var first = CronFileDocument.Build(new[] { Job("daily", "0 2,14 * * *"), Job("monitor", "0 10 * * *") },
            "root", "/etc/cenate/a.psd1", "z", null);
        var parsed = CronFileDocument.Parse(first.Render());
        Assert.Equal(new[] { "daily", "monitor" }, parsed.Jobs.Select(j => j.Key));
        var second = CronFileDocument.Build(new[] { Job("weekly", "0 3 * * 0"), Job("daily", "0 1 * * *") },
            "root", "/etc/cenate/a.psd1", "z", parsed);
        var again = CronFileDocument.Parse(second.Render());
        Assert.Equal(new[] { "daily", "weekly", "monitor" }, again.Jobs.Select(j => j.Key));
        Assert.StartsWith("0 1 * * * ", again.Jobs[0].Value);
        Assert.Equal(parsed.Jobs[1].Value, again.Jobs[2].Value); // monitor's line kept byte for byte
        var removed = again.Without(new[] { "daily", "monitor" });
        Assert.Equal(new[] { "weekly" }, CronFileDocument.Parse(removed.Render()).Jobs.Select(j => j.Key));
        Assert.True(CronFileDocument.HasMarker(removed.Render()));
        Assert.False(CronFileDocument.HasMarker("# my own cron file\n" + CronFileDocument.Marker + "\n"));
    }

    [Theory]
    [InlineData("/etc/cron.d/cenate.backup")]
    [InlineData("/etc/cron.d/cenate-backup.bak")]
    public void CronFileName_WithADot_IsInvalid(string path)
    {
        Assert.Equal(ErrorIds.ScheduleInvalid,
            Assert.Throws<CenateException>(() => ScheduleRegistrar.CronFilePath(path)).ErrorId);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void ForeignAndInsecureFiles_AreRefused()
    {
        using var dir = new TempDirectory();
        var foreign = dir.File("other");
        File.WriteAllText(foreign, "0 1 * * * root /bin/true\n");
        Assert.Equal(ErrorIds.ScheduleFileForeign,
            Assert.Throws<CenateException>(() => ScheduleFiles.ReadOwned(foreign)).ErrorId);
        var writable = dir.File("writable");
        File.WriteAllText(writable, CronFileDocument.Marker + "\n");
        File.SetUnixFileMode(writable, (UnixFileMode)0x1B6); // 0666
        Assert.Equal(ErrorIds.ScheduleFileInsecure,
            Assert.Throws<CenateException>(() => ScheduleFiles.ReadOwned(writable)).ErrorId);
        var link = dir.File("link");
        File.CreateSymbolicLink(link, foreign);
        Assert.Equal(ErrorIds.ScheduleFileInsecure,
            Assert.Throws<CenateException>(() => ScheduleFiles.ReadOwned(link)).ErrorId);
        Assert.Null(ScheduleFiles.ReadOwned(dir.File("missing")));
        ScheduleFiles.Write(dir.File("mine"), CronFileDocument.Marker + "\nx\n");
        Assert.Equal((UnixFileMode)0x1A4, File.GetUnixFileMode(dir.File("mine"))); // 0644
        Assert.Equal(new[] { "link", "mine", "other", "writable" },
            Directory.GetFiles(dir.Path).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
    }

    [Fact]
    public void Units_CarryTheContract()
    {
        var service = SystemdUnits.Service(Command("weekly", "/opt/x y/Weekly.ps1"),
            new SystemdUnits.Options("cenate", "/etc/cenate/cenate.env", "/mnt/backup-externo", "alert@%n.service"));
        Assert.StartsWith(SystemdUnits.Marker + "\n", service);
        foreach (var line in new[]
                 {
                     "Type=oneshot", "SuccessExitStatus=75", "User=cenate", "RequiresMountsFor=/mnt/backup-externo",
                     "LoadCredential=cenate.env:/etc/cenate/cenate.env", "OnFailure=alert@%n.service",
                     "Environment=\"DOTNET_ROOT=/usr/share/dotnet\"",
                     "ExecStart=\"/root/.dotnet/tools/pwsh\" -NoProfile -NonInteractive " +
                     "-File \"/opt/x y/Weekly.ps1\" " +
                     "-Settings \"/etc/cenate/cenate.psd1\"",
                 }) Assert.Contains(line + "\n", service);
        var timer = SystemdUnits.Timer(Command("weekly"), CronSchedule.Parse("0 3 * * 0", "weekly"),
            "Sun *-*-* 03:00:00 America/Lima");
        Assert.Contains("OnCalendar=Sun *-*-* 03:00:00 America/Lima\nPersistent=true\n", timer);
        Assert.Contains("WantedBy=timers.target", timer);
        Assert.Equal("0 3 * * 0", SystemdUnits.Comment(timer, "Cron"));
        Assert.Equal("/etc/cenate/cenate.psd1", SystemdUnits.Comment(timer, "Settings"));
    }

    private static XDocument Task(string cron, string? user = null) =>
        XDocument.Parse(TaskSchedulerXml.Build(
            Command("daily", "C:\\cenate\\jobs\\Daily.ps1", "C:\\cenate\\cenate.psd1"),
            CronSchedule.Parse(cron, "daily"), user, new DateTime(2026, 12, 1), TimeSpan.FromHours(12)).ToString());

    [Fact]
    public void TaskXml_TwiceDaily()
    {
        var ns = TaskSchedulerXml.Ns;
        var doc = Task("0 2,14 * * *");
        Assert.Equal("1.4", doc.Root!.Attribute("version")!.Value);
        Assert.Equal(ns + "Task", doc.Root.Name);
        var triggers = doc.Descendants(ns + "CalendarTrigger").ToList();
        Assert.Equal(new[] { "2026-12-01T02:00:00", "2026-12-01T14:00:00" },
            triggers.Select(t => t.Element(ns + "StartBoundary")!.Value));
        Assert.All(triggers, t =>
            Assert.Equal("1", t.Element(ns + "ScheduleByDay")!.Element(ns + "DaysInterval")!.Value));
        var settings = doc.Root.Element(ns + "Settings")!;
        Assert.Equal("IgnoreNew", settings.Element(ns + "MultipleInstancesPolicy")!.Value);
        Assert.Equal("true", settings.Element(ns + "StartWhenAvailable")!.Value);
        Assert.Equal("PT12H", settings.Element(ns + "ExecutionTimeLimit")!.Value);
        Assert.Equal("S-1-5-18", doc.Descendants(ns + "UserId").Single().Value);
        Assert.Equal("HighestAvailable", doc.Descendants(ns + "RunLevel").Single().Value);
        var exec = doc.Descendants(ns + "Exec").Single();
        Assert.Equal("/root/.dotnet/tools/pwsh", exec.Element(ns + "Command")!.Value);
        Assert.Equal("-NoProfile -NonInteractive -File \"C:\\cenate\\jobs\\Daily.ps1\" " +
                     "-Settings \"C:\\cenate\\cenate.psd1\"",
            exec.Element(ns + "Arguments")!.Value);
    }

    [Fact]
    public void TaskXml_WeeklySunday_AndMonthlyFirst()
    {
        var ns = TaskSchedulerXml.Ns;
        var weekly = Task("0 3 * * 0", "CENATE\\backup").Descendants(ns + "CalendarTrigger").Single();
        Assert.Equal("2026-12-01T03:00:00", weekly.Element(ns + "StartBoundary")!.Value);
        var byWeek = weekly.Element(ns + "ScheduleByWeek")!;
        Assert.Equal("1", byWeek.Element(ns + "WeeksInterval")!.Value);
        Assert.Equal(new[] { "Sunday" }, byWeek.Element(ns + "DaysOfWeek")!.Elements().Select(e => e.Name.LocalName));
        Assert.Equal("CENATE\\backup", Task("0 3 * * 0", "CENATE\\backup").Descendants(ns + "UserId").Single().Value);
        var monthly = Task("0 4 1 * *").Descendants(ns + "CalendarTrigger").Single();
        var byMonth = monthly.Element(ns + "ScheduleByMonth")!;
        Assert.Equal(new[] { "1" }, byMonth.Element(ns + "DaysOfMonth")!.Elements(ns + "Day").Select(e => e.Value));
        Assert.Equal(12, byMonth.Element(ns + "Months")!.Elements().Count());
        Assert.Equal("January", byMonth.Element(ns + "Months")!.Elements().First().Name.LocalName);
    }

    [Theory]
    [InlineData("*/5 * * * *")]
    [InlineData("0-30 2 * * *")]
    [InlineData("0,20,40 * * * *")]
    [InlineData("0 0 1 * 1")]
    public void TaskXml_Unsupported(string cron)
    {
        Assert.Equal(ErrorIds.ScheduleUnsupported, Assert.Throws<CenateException>(() => Task(cron)).ErrorId);
    }
}
