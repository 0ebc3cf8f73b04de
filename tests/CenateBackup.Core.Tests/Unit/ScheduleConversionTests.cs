using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Schedule;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// Cron parsing and cron → OnCalendar. Two independent oracles: Cronos' own occurrences against a brute-force matcher
/// of the parsed field sets (so the sets the converters use mean what cron means), and systemd-analyze calendar's
/// next elapses against Cronos' (so the OnCalendar text means the same as the cron text).
/// </summary>
public class ScheduleConversionTests
{
    public static readonly TheoryData<string> Expressions = new()
    {
        "0 2,14 * * *", "0 3 * * 0", "0 3 * * 7", "0 4 1 * *", "0 10 * * *", "0 6 2 * *", "30 4 * * 0",
        "*/15 * * * *", "5-10 * * * *", "0 */6 * * *", "0 8-18/2 * * 1-5", "0 0 1,15 * *", "0 12 * 1,4,7,10 *",
        "0 0 */2 * *", "15 1 * * 5-7", "0 0 * * sun", "0 22 * * mon-fri", "0 1 1 jan,jul *", "45 23 31 * *",
        "0 0 29 2 *", "0 5 * 6-8 6,0", "7,37 */3 * * *", "0 9 10-20/5 * *", "0 0 * * 0,7",
    };

    [Theory]
    [MemberData(nameof(Expressions))]
    public void FieldSets_MatchCronosOccurrences(string text)
    {
        var schedule = CronSchedule.Parse(text, "daily");
        var from = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var until = from.AddDays(800); // 29 February 2028 included
        var cronos = schedule.Between(from, until, TimeZoneInfo.Utc).ToHashSet();
        var brute = new HashSet<DateTimeOffset>();
        for (var t = from.AddMinutes(1); t <= until; t = t.AddMinutes(1))
            if (Matches(schedule, t)) brute.Add(t);
        Assert.Equal(brute.OrderBy(x => x), cronos.OrderBy(x => x));
        Assert.NotEmpty(brute);
    }

    private static bool Matches(CronSchedule s, DateTimeOffset t)
    {
        bool dom = s.DaysOfMonth.Values.Contains(t.Day), dow = s.DaysOfWeek.Values.Contains((int)t.DayOfWeek);
        // cron: both day fields restricted → either one; otherwise both (a full field always matches).
        var day = s.BothDayFieldsRestricted ? dom || dow : dom && dow;
        return s.Minutes.Values.Contains(t.Minute) && s.Hours.Values.Contains(t.Hour)
               && s.Months.Values.Contains(t.Month) && day;
    }

    [Theory]
    [InlineData("0 2,14 * * *", null, "*-*-* 02,14:00:00")]
    [InlineData("0 3 * * 0", "America/Lima", "Sun *-*-* 03:00:00 America/Lima")]
    [InlineData("0 3 * * 7", "America/Lima", "Sun *-*-* 03:00:00 America/Lima")]
    [InlineData("0 4 1 * *", "Europe/Madrid", "*-*-01 04:00:00 Europe/Madrid")]
    [InlineData("*/15 * * * *", null, "*-*-* *:00/15:00")]
    [InlineData("0 8-18/2 * * 1-5", null, "Mon..Fri *-*-* 08,10,12,14,16,18:00:00")]
    [InlineData("15 1 * * 5-7", null, "Fri..Sun *-*-* 01:15:00")]
    [InlineData("0 0 */2 * *", null, "*-*-01/2 00:00:00")]
    [InlineData("5-10 * * * *", null, "*-*-* *:05..10:00")]
    [InlineData("0 12 * 1,4,7,10 *", null, "*-01/3-* 12:00:00")]
    [InlineData("0 5 * 6-8 6,0", null, "Sat,Sun *-06..08-* 05:00:00")]
    public void OnCalendar_Text(string cron, string? zone, string expected)
    {
        Assert.Equal(expected, SystemdCalendar.From(CronSchedule.Parse(cron, "daily"), "daily", zone));
    }

    [Theory]
    [InlineData("0 0 1 * 1")]
    [InlineData("0 0 1-7 * 0")]
    [InlineData("0 0 */2 * 5")]
    public void BothDayFields_AreUnsupportedForSystemd(string cron)
    {
        var ex = Assert.Throws<CenateException>(() =>
            SystemdCalendar.From(CronSchedule.Parse(cron, "drill"), "drill", null));
        Assert.Equal(ErrorIds.ScheduleUnsupported, ex.ErrorId);
        Assert.Contains("drill", ex.Message);
    }

    [Theory]
    [InlineData("0 2 * *")]
    [InlineData("0 2 * * * *")]
    [InlineData("60 2 * * *")]
    [InlineData("0 24 * * *")]
    [InlineData("0 2 32 * *")]
    [InlineData("0 2 * 13 *")]
    [InlineData("0 2 * * 8")]
    [InlineData("x 2 * * *")]
    [InlineData("")]
    [InlineData("0 2 * * *\n* * * * * rm -rf /")]
    public void Invalid_IsScheduleInvalidNamingTheJob(string cron)
    {
        var ex = Assert.Throws<CenateException>(() => CronSchedule.Parse(cron, "weekly"));
        Assert.Equal(ErrorIds.ScheduleInvalid, ex.ErrorId);
        Assert.Contains("weekly", ex.Message);
    }

    [Theory]
    [InlineData("0 2 L * *")]
    [InlineData("0 2 * * 5L")]
    [InlineData("0 2 15W * *")]
    [InlineData("0 2 * * 1#2")]
    [InlineData("0 2 ? * 1")]
    public void CronosExtensions_AreUnsupported(string cron)
    {
        var ex = Assert.Throws<CenateException>(() => CronSchedule.Parse(cron, "monthly"));
        Assert.True(ex.ErrorId is ErrorIds.ScheduleUnsupported or ErrorIds.ScheduleInvalid, ex.ErrorId);
    }

    [Fact]
    public void SundayIsZeroAndSeven()
    {
        Assert.Equal(new[] { 0 }, CronSchedule.Parse("0 3 * * 7", "weekly").DaysOfWeek.Values);
        Assert.Equal(new[] { 0 }, CronSchedule.Parse("0 3 * * 0,7", "weekly").DaysOfWeek.Values);
        Assert.True(CronSchedule.Parse("0 3 * * 0-7", "weekly").DaysOfWeek.IsFull);
    }

    [Fact]
    public void Lima_HasNoDst_MadridSkipsOrShiftsTheMissingHour()
    {
        var lima = CronSchedule.ResolveZone("America/Lima");
        var madrid = CronSchedule.ResolveZone("Europe/Madrid");
        var s = CronSchedule.Parse("30 2 * * *", "daily");
        var from = new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(new[] { "2026-03-29T07:30Z", "2026-03-30T07:30Z" }, Utc(s.Next(from, lima, 2)));
        // Spring forward (02:00 → 03:00 on 29 March): cron runs the job at the end of the gap, a timer skips it.
        Assert.Equal(new[] { "2026-03-29T01:00Z", "2026-03-30T00:30Z" }, Utc(s.Next(from, madrid, 2)));
        Assert.Equal(new[] { "2026-03-30T00:30Z", "2026-03-31T00:30Z" }, Utc(s.Next(from, madrid, 2, true)));
        // Fall back (03:00 → 02:00 on 25 October): once, at the first 02:30.
        var autumn = new DateTimeOffset(2026, 10, 24, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(new[] { "2026-10-25T00:30Z", "2026-10-26T01:30Z" }, Utc(s.Next(autumn, madrid, 2, true)));
    }

    private static string[] Utc(IEnumerable<DateTimeOffset> times) =>
        times.Select(t => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture)).ToArray();

    public static readonly TheoryData<string, string, string> SystemdCases = new()
    {
        { "0 2,14 * * *", "America/Lima", "2026-11-30 12:00" },
        { "0 3 * * 0", "America/Lima", "2026-11-30 12:00" },
        { "0 4 1 * *", "Europe/Madrid", "2026-11-30 12:00" },
        { "30 2 * * *", "Europe/Madrid", "2026-03-27 12:00" },
        { "30 2 * * *", "Europe/Madrid", "2026-10-23 12:00" },
        { "0 8-18/2 * * 1-5", "Europe/Madrid", "2026-03-27 12:00" },
        { "*/20 1-3 * * *", "Europe/Madrid", "2026-03-28 23:00" },
        { "15 1 * * 5-7", "UTC", "2026-01-01 00:00" },
        { "0 0 */2 * *", "UTC", "2026-01-30 00:00" },
        { "0 12 * 1,4,7,10 *", "America/Lima", "2026-02-01 00:00" },
        { "45 23 31 * *", "UTC", "2026-01-01 00:00" },
        { "0 0 29 2 *", "UTC", "2026-01-01 00:00" },
    };

    [Theory]
    [MemberData(nameof(SystemdCases))]
    public void SystemdAnalyzeCalendar_AgreesWithCronos(string cron, string zone, string baseTime)
    {
        var schedule = CronSchedule.Parse(cron, "daily");
        var calendar = SystemdCalendar.From(schedule, "daily", zone);
        var from = DateTimeOffset.Parse(baseTime + "Z", CultureInfo.InvariantCulture);
        var expected = Utc(schedule.Next(from, CronSchedule.ResolveZone(zone), 6, wallClockOnly: true));
        Assert.Equal(expected, SystemdNext(calendar, from, 6));
    }

    /// <summary>systemd-analyze calendar's next elapses (UTC), a required tool: missing fails the test.</summary>
    internal static string[] SystemdNext(string calendar, DateTimeOffset from, int count)
    {
        var start = new ProcessStartInfo("systemd-analyze")
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in new[] { "calendar", $"--iterations={count}",
                     "--base-time=" + from.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
                     + " UTC",
                     calendar }) start.ArgumentList.Add(a);
        start.Environment["TZ"] = "UTC";
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"systemd-analyze calendar '{calendar}': {error}");
        return Regex.Matches(output, @"(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d) (\d\d:\d\d):\d\d UTC")
            .Select(m => $"{m.Groups[1].Value}T{m.Groups[2].Value}Z").ToArray();
    }
}
