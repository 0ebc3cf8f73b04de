using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace CenateBackup.Core.Schedule;

/// <summary>
/// One field of a 5-field cron expression as the set of values it matches: <c>*</c>, numbers, names (jan, sun),
/// ranges <c>a-b</c>, steps <c>*/n</c>, <c>a-b/n</c>, <c>a/n</c> and comma lists. Day of week 7 is Sunday (0). What
/// Debian cron and systemd cannot express (L, W, #, ?) is not a field here: the converters need plain sets.
/// </summary>
public sealed class CronField
{
    private static readonly string[] s_months =
        { "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec" };
    private static readonly string[] s_days = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

    private CronField(string text, int min, int max, SortedSet<int> values)
    {
        Text = text;
        Min = min;
        Max = max;
        Values = values.ToArray();
    }

    /// <summary>The field as written.</summary>
    public string Text { get; }
    /// <summary>Smallest value the field allows (0 minutes/hours/weekdays, 1 days/months).</summary>
    public int Min { get; }
    /// <summary>Largest value (59, 23, 31, 12, 6: Sunday 7 is folded into 0).</summary>
    public int Max { get; }
    /// <summary>The matched values, ascending.</summary>
    public IReadOnlyList<int> Values { get; }
    /// <summary>Every value of the range matches (the field does not restrict).</summary>
    public bool IsFull => Values.Count == Max - Min + 1;

    /// <summary>Parses the field <paramref name="kind"/> (minute, hour, day-of-month, month, day-of-week).</summary>
    /// <returns>The field, or null with <paramref name="error"/> set.</returns>
    public static CronField? Parse(string text, string kind, out string? error)
    {
        var (min, max, names) = kind switch
        {
            "minute" => (0, 59, null),
            "hour" => (0, 23, null),
            "day-of-month" => (1, 31, null),
            "month" => (1, 12, s_months),
            "day-of-week" => (0, 7, s_days),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var values = new SortedSet<int>();
        foreach (var part in text.Split(','))
        {
            error = AddPart(part, min, max, names, values);
            if (error is not null) return null;
        }
        error = null;
        if (kind == "day-of-week" && values.Remove(7)) values.Add(0);
        return new CronField(text, min, kind == "day-of-week" ? 6 : max, values);
    }

    private static string? AddPart(string part, int min, int max, string[]? names, SortedSet<int> values)
    {
        var step = 1;
        var body = part;
        var slash = part.IndexOf('/');
        if (slash >= 0)
        {
            if (!int.TryParse(part[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out step)
                || step < 1 || step > max)
                return $"'{part}' has no valid step";
            body = part[..slash];
        }
        int from, to;
        if (body == "*")
        {
            (from, to) = (min, max);
        }
        else
        {
            var dash = body.IndexOf('-');
            var first = Value(dash < 0 ? body : body[..dash], min, max, names);
            if (first is null) return $"'{part}' is not a value or range from {min} to {max}";
            from = first.Value;
            if (dash >= 0)
            {
                var last = Value(body[(dash + 1)..], min, max, names);
                if (last is null || last < from) return $"'{part}' is not a range from {min} to {max}";
                to = last.Value;
            }
            else to = slash >= 0 ? max : from;
        }
        for (var v = from; v <= to; v += step) values.Add(v);
        return null;
    }

    private static int? Value(string text, int min, int max, string[]? names)
    {
        if (text.Length > 0 && text.All(char.IsAsciiDigit))
        {
            var ok = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n);
            return ok && n >= min && n <= max ? n : null;
        }
        if (names is null) return null;
        var index = Array.FindIndex(names, n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
        if (index < 0) return null;
        return names.Length == 12 ? index + 1 : index;
    }
}
