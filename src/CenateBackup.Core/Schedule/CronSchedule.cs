using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Errors;
using Cronos;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Schedule;

/// <summary>
/// A job's 5-field cron expression (minute hour day-of-month month day-of-week), checked by Cronos (which computes the
/// run times, in a time zone, DST included) and read into plain value sets (<see cref="CronField"/>) for the
/// converters to cron.d, systemd OnCalendar and Task Scheduler triggers.
/// </summary>
public sealed class CronSchedule
{
    private static readonly string[] s_kinds = { "minute", "hour", "day-of-month", "month", "day-of-week" };
    private readonly CronExpression _expression;

    private CronSchedule(string text, CronExpression expression, CronField[] fields)
    {
        Text = text;
        _expression = expression;
        Minutes = fields[0];
        Hours = fields[1];
        DaysOfMonth = fields[2];
        Months = fields[3];
        DaysOfWeek = fields[4];
    }

    /// <summary>The expression, fields separated by one space.</summary>
    public string Text { get; }
    /// <summary>Minute field (0-59).</summary>
    public CronField Minutes { get; }
    /// <summary>Hour field (0-23).</summary>
    public CronField Hours { get; }
    /// <summary>Day-of-month field (1-31).</summary>
    public CronField DaysOfMonth { get; }
    /// <summary>Month field (1-12).</summary>
    public CronField Months { get; }
    /// <summary>Day-of-week field (0-6, Sunday 0).</summary>
    public CronField DaysOfWeek { get; }

    /// <summary>Both day fields restrict: cron runs on either (OR), systemd and Task Scheduler on both (AND).</summary>
    public bool BothDayFieldsRestricted => !DaysOfMonth.IsFull && !DaysOfWeek.IsFull;

    /// <summary>Parses <paramref name="text"/> for job <paramref name="job"/>; ScheduleInvalid names the job.</summary>
    public static CronSchedule Parse(string? text, string job)
    {
        var trimmed = (text ?? "").Trim();
        if (trimmed.Any(c => c != '\t' && char.IsControl(c)))
            throw Invalid(job, text, "it contains a control character");
        var parts = trimmed.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 5)
            throw Invalid(job, text, $"it has {parts.Length} fields; a schedule has 5 (minute hour day month weekday)");
        CronExpression expression;
        try
        {
            expression = CronExpression.Parse(string.Join(' ', parts), CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            throw Invalid(job, text, ex.Message);
        }
        var fields = new CronField[5];
        for (var i = 0; i < 5; i++)
        {
            fields[i] = CronField.Parse(parts[i], s_kinds[i], out var error)
                ?? throw new CenateException(ErrorIds.ScheduleUnsupported, CenateErrorKind.InvalidArgument,
                    Messages.Format("ScheduleUnsupported", job, text, s_kinds[i], error),
                    Messages.Get("ScheduleUnsupported.Action"), job);
        }
        return new CronSchedule(string.Join(' ', parts), expression, fields);
    }

    /// <summary>
    /// The next <paramref name="count"/> run times after <paramref name="from"/> in <paramref name="zone"/>. A time
    /// that does not exist on a spring-forward day runs at the end of the gap in cron (and Cronos); a systemd timer
    /// skips it: <paramref name="wallClockOnly"/> keeps only times whose local clock matches the fields.
    /// </summary>
    public IReadOnlyList<DateTimeOffset> Next(DateTimeOffset from, TimeZoneInfo zone, int count,
        bool wallClockOnly = false)
    {
        var result = new List<DateTimeOffset>(count);
        var at = from;
        while (result.Count < count && _expression.GetNextOccurrence(at, zone) is { } next)
        {
            if (!wallClockOnly || OnTheClock(next, zone)) result.Add(next);
            at = next;
        }
        return result;
    }

    /// <summary>Run times in (<paramref name="after"/>, <paramref name="until"/>] in <paramref name="zone"/>.</summary>
    public IEnumerable<DateTimeOffset> Between(DateTimeOffset after, DateTimeOffset until, TimeZoneInfo zone,
        bool wallClockOnly = false) =>
        after >= until
            ? Enumerable.Empty<DateTimeOffset>()
            : _expression.GetOccurrences(after, until, zone, fromInclusive: false, toInclusive: true)
                .Where(o => !wallClockOnly || OnTheClock(o, zone));

    private bool OnTheClock(DateTimeOffset at, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(at, zone);
        return Hours.Values.Contains(local.Hour) && Minutes.Values.Contains(local.Minute);
    }

    /// <summary>The time zone of IANA id <paramref name="id"/> (null or empty: the machine's).</summary>
    public static TimeZoneInfo ResolveZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return TimeZoneInfo.Local;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new CenateException(ErrorIds.ScheduleInvalid, CenateErrorKind.InvalidArgument,
                Messages.Format("ScheduleInvalid.3", id),
                Messages.Get("ScheduleInvalid.Action.3"), id);
        }
    }

    /// <summary>The IANA id the schedule files name for <paramref name="zone"/>.</summary>
    public static string ZoneId(TimeZoneInfo zone) =>
        zone.HasIanaId ? zone.Id
        : TimeZoneInfo.TryConvertWindowsIdToIanaId(zone.Id, out var iana) ? iana : zone.Id;

    private static CenateException Invalid(string job, string? text, string why) =>
        new(ErrorIds.ScheduleInvalid, CenateErrorKind.InvalidArgument,
            Messages.Format("ScheduleInvalid.Cron", job, text, why.TrimEnd('.')),
                Messages.Get("ScheduleInvalid.Cron.Action"), job);
}
