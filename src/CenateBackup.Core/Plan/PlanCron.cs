using System;
using CenateBackup.Core.Errors;
using Cronos;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Plan;

/// <summary>The 5-field cron expressions of the plan's schedule, checked with Cronos (the format cron.d
/// uses).</summary>
public static class PlanCron
{
    /// <summary>Returns <paramref name="cron"/> trimmed, or ScheduleInvalid naming <paramref name="job"/>.</summary>
    public static string Check(string job, string cron, string settingsPath)
    {
        var text = cron.Trim();
        // cron.d splits fields on blanks; a line break or a '%' would end or change the command line.
        if (text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length != 5 || text.IndexOfAny(new[] { '\r', '\n',
            '\t', '%' }) >= 0)
        {
            throw Invalid(job, cron, settingsPath, "it must have 5 fields: minute hour day-of-month month day-of-week",
                null);
        }
        try
        {
            CronExpression.Parse(text, CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            throw Invalid(job, cron, settingsPath, ex.Message, ex);
        }
        return string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    private static CenateException Invalid(string job, string cron, string path, string why, Exception? inner) =>
        new(ErrorIds.ScheduleInvalid, CenateErrorKind.InvalidArgument,
            Messages.Format("ScheduleInvalid.PlanCron", path, job, cron, why.TrimEnd('.')),
            Messages.Get("ScheduleInvalid.PlanCron.Action"),
            path, inner);
}
