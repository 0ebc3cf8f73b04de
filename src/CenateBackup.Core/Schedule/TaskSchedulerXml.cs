using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Xml.Linq;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Schedule;

/// <summary>
/// Task Scheduler task XML (version 1.4) for a job: one CalendarTrigger per hour:minute of the cron expression
/// (ScheduleByDay, ScheduleByWeek with DaysOfWeek, ScheduleByMonth with DaysOfMonth and Months, or
/// ScheduleByMonthDayOfWeek), SYSTEM or a given account, IgnoreNew (no second instance), StartWhenAvailable (a run
/// missed while the machine was off starts when it is back). A pure function: built and tested on every OS.
/// </summary>
public static class TaskSchedulerXml
{
    /// <summary>The task namespace.</summary>
    public static readonly XNamespace Ns = "http://schemas.microsoft.com/windows/2004/02/mit/task";
    private const int MaxTriggers = 48; // Task Scheduler's limit per task
    private static readonly string[] s_days =
        { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday" };
    private static readonly string[] s_months = CultureInfo.InvariantCulture.DateTimeFormat.MonthGenitiveNames[..12];

    /// <summary>The task XML for <paramref name="command"/> on <paramref name="schedule"/>.</summary>
    /// <param name="command">pwsh, the job script, the settings.</param>
    /// <param name="schedule">The cron expression.</param>
    /// <param name="user">The account (null: SYSTEM).</param>
    /// <param name="startDate">The triggers' start day (their time of day comes from the schedule).</param>
    /// <param name="timeLimit">How long a run may take before Task Scheduler stops it.</param>
    public static XDocument Build(ScheduleCommand command, CronSchedule schedule, string? user, DateTime startDate,
        TimeSpan timeLimit)
    {
        var triggers = Triggers(command.Job, schedule, startDate).ToList();
        var principal = user is null
            ? new XElement(Ns + "Principal", new XAttribute("id", "Author"),
                new XElement(Ns + "UserId", "S-1-5-18"), new XElement(Ns + "RunLevel", "HighestAvailable"))
            : new XElement(Ns + "Principal", new XAttribute("id", "Author"),
                new XElement(Ns + "UserId", ScheduleCommand.RequirePrintable(user, "user")),
                new XElement(Ns + "LogonType", "S4U"), new XElement(Ns + "RunLevel", "HighestAvailable"));
        return new XDocument(new XDeclaration("1.0", "UTF-16", null),
            new XElement(Ns + "Task", new XAttribute("version", "1.4"),
                new XElement(Ns + "RegistrationInfo",
                    new XElement(Ns + "Description", $"CenateBackup {command.Job} job ({schedule.Text})"),
                    new XElement(Ns + "URI", $"\\CenateBackup\\{command.Job}")),
                new XElement(Ns + "Triggers", triggers),
                new XElement(Ns + "Principals", principal),
                new XElement(Ns + "Settings",
                    new XElement(Ns + "MultipleInstancesPolicy", "IgnoreNew"),
                    new XElement(Ns + "DisallowStartIfOnBatteries", "false"),
                    new XElement(Ns + "StopIfGoingOnBatteries", "false"),
                    new XElement(Ns + "StartWhenAvailable", "true"),
                    new XElement(Ns + "ExecutionTimeLimit", System.Xml.XmlConvert.ToString(timeLimit)),
                    new XElement(Ns + "Enabled", "true")),
                new XElement(Ns + "Actions", new XAttribute("Context", "Author"),
                    new XElement(Ns + "Exec",
                        new XElement(Ns + "Command", ScheduleCommand.RequirePrintable(command.Pwsh, "path")),
                        new XElement(Ns + "Arguments", Arguments(command))))));
    }

    /// <summary>A short text of the triggers (the Calendar column): "daily 02:00, 14:00".</summary>
    public static string Describe(CronSchedule schedule)
    {
        var times = string.Join(", ", Times(schedule).Select(t => $"{t.Hour:00}:{t.Minute:00}"));
        if (!schedule.DaysOfMonth.IsFull) return $"monthly on day {schedule.DaysOfMonth.Text} {times}";
        if (!schedule.DaysOfWeek.IsFull)
            return $"weekly on {string.Join(",", schedule.DaysOfWeek.Values.Select(d => s_days[d][..3]))} {times}";
        return $"daily {times}";
    }

    private static string Arguments(ScheduleCommand command) =>
        string.Join(' ', command.Arguments.Select(a => a.StartsWith('-') ? a : WindowsQuote(a)));

    private static string WindowsQuote(string value)
    {
        if (value.Contains('"'))
            throw new CenateException(ErrorIds.ScheduleInvalid, CenateErrorKind.InvalidArgument,
                Messages.Format("ScheduleInvalid.12", value),
                Messages.Get("ScheduleInvalid.Action.12"), value);
        return "\"" + value + "\"";
    }

    private static IEnumerable<(int Hour, int Minute)> Times(CronSchedule s) =>
        s.Hours.Values.SelectMany(h => s.Minutes.Values.Select(m => (h, m)));

    private static IEnumerable<XElement> Triggers(string job, CronSchedule schedule, DateTime startDate)
    {
        var times = Times(schedule).ToList();
        if (schedule.BothDayFieldsRestricted || times.Count > MaxTriggers || schedule.Minutes.Text.Contains('*')
            || schedule.Minutes.Text.IndexOfAny(new[] { '/', '-' }) >= 0)
        {
            throw new CenateException(ErrorIds.ScheduleUnsupported, CenateErrorKind.InvalidArgument,
                Messages.Format("ScheduleUnsupported.3", job, schedule.Text, (schedule.BothDayFieldsRestricted ? "day of month OR weekday"
                    : $"{times.Count} times a day"), MaxTriggers),
                Messages.Get("ScheduleUnsupported.Action.3"), job);
        }
        foreach (var (hour, minute) in times)
        {
            var start = startDate.Date.AddHours(hour).AddMinutes(minute);
            yield return new XElement(Ns + "CalendarTrigger",
                new XElement(Ns + "StartBoundary",
                    start.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)),
                new XElement(Ns + "Enabled", "true"),
                Kind(schedule));
        }
    }

    private static XElement Kind(CronSchedule s)
    {
        XElement Months() => new(Ns + "Months", s.Months.Values.Select(m => new XElement(Ns + s_months[m - 1])));
        XElement Days() => new(Ns + "DaysOfWeek", s.DaysOfWeek.Values.Select(d => new XElement(Ns + s_days[d])));
        if (!s.DaysOfMonth.IsFull || !s.Months.IsFull && s.DaysOfWeek.IsFull)
        {
            return new XElement(Ns + "ScheduleByMonth",
                new XElement(Ns + "DaysOfMonth", s.DaysOfMonth.Values.Select(d => new XElement(Ns + "Day", d))),
                Months());
        }
        if (!s.Months.IsFull)
        {
            return new XElement(Ns + "ScheduleByMonthDayOfWeek",
                new XElement(Ns + "Weeks",
                    new[] { "1", "2", "3", "4", "Last" }.Select(w => new XElement(Ns + "Week", w))),
                Days(), Months());
        }
        if (!s.DaysOfWeek.IsFull)
            return new XElement(Ns + "ScheduleByWeek", new XElement(Ns + "WeeksInterval", 1), Days());
        return new XElement(Ns + "ScheduleByDay", new XElement(Ns + "DaysInterval", 1));
    }
}
