using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Schedule;

/// <summary>
/// Cron → systemd OnCalendar (<c>[Weekdays] *-Months-Days Hours:Minutes:00 Zone</c>). Each field becomes
/// <c>*</c>, a start/step (<c>0/15</c>) when it is one, else a list with ranges <c>a..b</c>. Cron runs on the day of
/// month OR the weekday when both restrict; OnCalendar needs both: that case is ScheduleUnsupported.
/// </summary>
public static class SystemdCalendar
{
    private static readonly string[] s_dayNames = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

    /// <summary>The OnCalendar value of <paramref name="schedule"/> in zone <paramref name="zoneId"/>.</summary>
    public static string From(CronSchedule schedule, string job, string? zoneId)
    {
        if (schedule.BothDayFieldsRestricted)
        {
            throw new CenateException(ErrorIds.ScheduleUnsupported, CenateErrorKind.InvalidArgument,
                Messages.Format("ScheduleUnsupported.2", job, schedule.Text),
                Messages.Get("ScheduleUnsupported.Action.2"), job);
        }
        var weekdays = schedule.DaysOfWeek.IsFull ? "" : Weekdays(schedule.DaysOfWeek.Values) + " ";
        var text = weekdays + "*-" + Field(schedule.Months) + "-" + Field(schedule.DaysOfMonth) + " "
                   + Field(schedule.Hours) + ":" + Field(schedule.Minutes) + ":00";
        return string.IsNullOrEmpty(zoneId) ? text : text + " " + zoneId;
    }

    /// <summary>A numeric field: <c>*</c>, <c>start/step</c> or a list of values and ranges.</summary>
    internal static string Field(CronField field)
    {
        if (field.IsFull) return "*";
        var v = field.Values;
        if (v.Count >= 3)
        {
            var step = v[1] - v[0];
            var progression = step > 1 && Enumerable.Range(1, v.Count - 1).All(i => v[i] - v[i - 1] == step);
            if (progression && v[^1] + step > field.Max) return $"{Two(v[0])}/{step}";
        }
        return string.Join(",", Runs(v).Select(r => r.From == r.To ? Two(r.From)
            : r.To == r.From + 1 ? $"{Two(r.From)},{Two(r.To)}" : $"{Two(r.From)}..{Two(r.To)}"));
    }

    private static string Weekdays(IReadOnlyList<int> days)
    {
        // Monday first, so Fri..Sun is one range (cron's 5-7 / 5,6,0).
        var mondayFirst = days.Select(d => (d + 6) % 7).OrderBy(d => d).ToList();
        return string.Join(",", Runs(mondayFirst).Select(r =>
        {
            string Name(int i) => s_dayNames[(i + 1) % 7];
            return r.From == r.To ? Name(r.From)
                : r.To == r.From + 1 ? $"{Name(r.From)},{Name(r.To)}" : $"{Name(r.From)}..{Name(r.To)}";
        }));
    }

    private static IEnumerable<(int From, int To)> Runs(IReadOnlyList<int> values)
    {
        var i = 0;
        while (i < values.Count)
        {
            var j = i;
            while (j + 1 < values.Count && values[j + 1] == values[j] + 1) j++;
            yield return (values[i], values[j]);
            i = j + 1;
        }
    }

    private static string Two(int value) => value.ToString("00", CultureInfo.InvariantCulture);
}
