using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CenateBackup.Core.Retention;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// Generates two years (2024-01-01 .. 2025-12-31, which includes the leap day 2024-02-29) of backup sets the
/// way a cron job in a given zone would leave them: one at 02:00 and one at 14:00 local time every day, with
///  - a 10-day outage (2025-06-10 .. 2025-06-19: no sets at all);
///  - months whose weekends have no sets (2024-06, 2024-11, 2025-02, 2025-08; 2024-06-30 and 2025-08-31
///    are Sundays, so those months end on a Friday);
///  - bad sets: the 02:00 set of every 7th is incomplete; the 14:00 set of every 13th was never verified;
///    the 14:00 month-end sets of 2024-05-31 and 2025-09-30 were never verified; the 14:00 sets of Sundays
///    2024-03-10 and 2025-11-09 were never verified; on Sunday 2025-11-23 the 02:00 set was never verified
///    and the 14:00 one is incomplete; the very last set, 2025-12-31 14:00, is incomplete.
///  - optionally (<c>late</c>) extra good sets near midnight: 23:30 on every Sunday and every last day of a
///    month, 00:30 on every Monday and every 1st. These sit on the other side of midnight in UTC (Lima is
///    UTC-5, so 23:30 there is the next day in UTC; Madrid is UTC+1/+2, so 00:30 there is the previous day
///    in UTC) and catch a planner that buckets by UTC instead of by the zone's calendar.
///  - optionally (<c>mixed</c>) partial sets beside the full ones, the shape of the old daily script: 20 seconds
///    after every full set a data-only set of asegurados (same status as its full set, except that the one after
///    every 5th's 02:00 set is incomplete), and a CSV export set at 08:00 local every day (never verified on the 3rd).
///    Partial ids end in "#data" / "#csv".
/// Times are recorded in UTC, as the manifest does. A 02:00 job on the spring-forward day (no 02:00 exists
/// in Madrid) runs at 03:00; on the fall-back day the first 02:00 (summer time) is taken.
/// Ids are "database@yyyy-MM-ddTHH:mm" in the zone's local time, so tests can name sets by wall clock.
/// </summary>
internal static class RetentionCalendar
{
    public static readonly DateTime FirstDay = new(2024, 1, 1);
    public static readonly DateTime LastDay = new(2025, 12, 31);
    public static readonly DateTime OutageFirst = new(2025, 6, 10);
    public static readonly DateTime OutageLast = new(2025, 6, 19);
    public static readonly (int Year, int Month)[] MonthsWithoutWeekends = { (2024, 6), (2024, 11), (2025, 2), (2025, 8) };

    public const string DefaultDatabase = "maestro_cenate";

    public static TimeZoneInfo Lima => TimeZoneInfo.FindSystemTimeZoneById("America/Lima");
    public static TimeZoneInfo Madrid => TimeZoneInfo.FindSystemTimeZoneById("Europe/Madrid");
    public static TimeZoneInfo Zone(string id) => TimeZoneInfo.FindSystemTimeZoneById(id);

    /// <summary>(Complete, Verified) of the 02:00 / 14:00 sets that are not good; everything else is good.</summary>
    private static readonly Dictionary<string, (bool Complete, bool Verified)> BadSets = new(StringComparer.Ordinal)
    {
        ["2024-05-31T14:00"] = (true, false),
        ["2025-09-30T14:00"] = (true, false),
        ["2024-03-10T14:00"] = (true, false),
        ["2025-11-09T14:00"] = (true, false),
        ["2025-11-23T02:00"] = (true, false),
        ["2025-11-23T14:00"] = (false, false),
        ["2025-12-31T14:00"] = (false, false),
    };

    public static bool IsSkippedDay(DateTime day)
    {
        if (day >= OutageFirst && day <= OutageLast) return true;
        var weekend = day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
        return weekend && MonthsWithoutWeekends.Contains((day.Year, day.Month));
    }

    public static List<RetentionCandidate> Generate(TimeZoneInfo zone, string database = DefaultDatabase, bool late = false, bool mixed = false)
    {
        var sets = new List<RetentionCandidate>();
        for (var day = FirstDay; day <= LastDay; day = day.AddDays(1))
        {
            if (IsSkippedDay(day)) continue;
            if (late && (day.Day == 1 || day.DayOfWeek == DayOfWeek.Monday)) sets.Add(Make(zone, database, day.AddMinutes(30), true, true));
            sets.Add(Make(zone, database, day.AddHours(2), Status(day, 2)));
            if (mixed)
            {
                var (c, v) = Status(day, 2);
                sets.Add(Partial(Make(zone, database, day.AddHours(2).AddSeconds(20), c && day.Day % 5 != 0, v), "#data"));
                sets.Add(Partial(Make(zone, database, day.AddHours(8), true, day.Day != 3), "#csv"));
            }
            sets.Add(Make(zone, database, day.AddHours(14), Status(day, 14)));
            if (mixed) sets.Add(Partial(Make(zone, database, day.AddHours(14).AddSeconds(20), Status(day, 14)), "#data"));
            var monthEnd = day.AddDays(1).Day == 1;
            if (late && (monthEnd || day.DayOfWeek == DayOfWeek.Sunday)) sets.Add(Make(zone, database, day.AddHours(23).AddMinutes(30), true, true));
        }
        return sets;
    }

    private static RetentionCandidate Partial(RetentionCandidate c, string suffix) => c with { Id = c.Id + suffix, Full = false };

    private static (bool Complete, bool Verified) Status(DateTime day, int hour)
    {
        var key = day.AddHours(hour).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);
        if (BadSets.TryGetValue(key, out var status)) return status;
        if (hour == 2 && day.Day == 7) return (false, false);
        if (hour == 14 && day.Day == 13) return (true, false);
        return (true, true);
    }

    private static RetentionCandidate Make(TimeZoneInfo zone, string database, DateTime local, (bool Complete, bool Verified) s) =>
        Make(zone, database, local, s.Complete, s.Verified);

    private static RetentionCandidate Make(TimeZoneInfo zone, string database, DateTime local, bool complete, bool verified)
    {
        var time = ToUtc(zone, local);
        return new RetentionCandidate(Id(database, LocalText(zone, time)), database, time, complete, verified);
    }

    /// <summary>The UTC instant of a wall-clock time: a skipped time runs an hour later; an ambiguous one is its first occurrence.</summary>
    public static DateTimeOffset ToUtc(TimeZoneInfo zone, DateTime local)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local)) local = local.AddHours(1);
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    /// <summary>The UTC instant of "yyyy-MM-ddTHH:mm" in the zone.</summary>
    public static DateTimeOffset At(TimeZoneInfo zone, string local) =>
        ToUtc(zone, DateTime.ParseExact(local, "yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));

    public static string LocalText(TimeZoneInfo zone, DateTimeOffset time) =>
        TimeZoneInfo.ConvertTime(time, zone).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);

    public static string Id(string database, string local) => $"{database}@{local}";

    public static string Id(string local) => Id(DefaultDatabase, local);

    /// <summary>The sets that exist at <paramref name="now"/> (a planner only ever sees the past).</summary>
    public static List<RetentionCandidate> Until(this IEnumerable<RetentionCandidate> sets, DateTimeOffset now) =>
        sets.Where(s => s.Time <= now).ToList();
}
