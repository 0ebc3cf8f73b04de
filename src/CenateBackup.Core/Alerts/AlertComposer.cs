using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// Turns a run into the one message every channel sends: subject, plain text, HTML (every value encoded) and a short
/// form for chats and heartbeats. Pure: the same run, change and language always give the same message, which is
/// what lets a spooled run be composed again, marked delayed, when it is finally sent.
/// </summary>
public static class AlertComposer
{
    /// <summary>Longest headline in a subject, in characters.</summary>
    public const int HeadlineLength = 120;

    /// <summary>Most failure lines in <see cref="AlertMessage.Short"/>.</summary>
    public const int ShortLines = 10;

    /// <summary>Composes the message of <paramref name="run"/>.</summary>
    /// <param name="run">The run.</param>
    /// <param name="change">How its state compares with the last run.</param>
    /// <param name="culture">Language: "es*" is Spanish, every other culture English.</param>
    /// <param name="isTest">Send-CenateAlert -Test.</param>
    /// <param name="delayedFrom">When the alert was queued, for an alert sent late from the spool.</param>
    public static AlertMessage Compose(AlertRun run, AlertChange change, CultureInfo? culture, bool isTest = false,
        DateTimeOffset? delayedFrom = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        run = run.Bounded();
        var t = AlertTexts.For(culture);
        var subject = Subject(run, change, t, isTest, delayedFrom);
        return new AlertMessage
        {
            Run = run,
            Change = change,
            IsTest = isTest,
            Delayed = delayedFrom is not null,
            Subject = subject,
            Text = Text(run, change, t, isTest, subject),
            Html = Html(run, change, t, isTest, subject),
            Short = Short(run, t, subject),
            Language = t.Language,
        };
    }

    /// <summary>The state word: TEST, FAILED, RECOVERED or OK (in the message's language).</summary>
    public static string StateWord(AlertRun run, AlertChange change, AlertTexts t, bool isTest) =>
        isTest ? t.Test
        : run.State == AlertState.Failure ? t.Failed
        : change == AlertChange.Recovered ? t.Recovered
        : t.Ok;

    private static string Subject(AlertRun run, AlertChange change, AlertTexts t, bool isTest,
        DateTimeOffset? delayedFrom)
    {
        var headline = isTest ? t.TestHeadline : Headline(run, t);
        var subject = $"[CenateBackup] {StateWord(run, change, t, isTest)} {run.Job} @ {run.Host}: {headline}";
        if (delayedFrom is DateTimeOffset queued) subject = string.Format(CultureInfo.InvariantCulture, t.DelayedFrom,
            Utc(queued)) + " " + subject;
        return OneLine(subject);
    }

    /// <summary>The headline: the first failure, or a summary of a success.</summary>
    public static string Headline(AlertRun run, AlertTexts t)
    {
        if (run.State == AlertState.Failure) return run.FirstFailureText(HeadlineLength, t.More);
        var backups = run.Items.Where(i => i.Kind == "Backup" || i.IsGoodBackup).ToList();
        if (backups.Count > 0)
        {
            var newest = backups.OrderByDescending(i => i.Stamp, StringComparer.Ordinal).First();
            var name = OneLine($"{newest.Database ?? newest.Subject} {newest.Stamp}".Trim());
            return string.Format(CultureInfo.InvariantCulture, t.SetsHeadline, backups.Count, name);
        }
        return run.Items.Count == 0 ? t.NothingHeadline : string.Format(CultureInfo.InvariantCulture, t.ItemsHeadline,
            run.Items.Count);
    }

    private static string Text(AlertRun run, AlertChange change, AlertTexts t, bool isTest, string subject)
    {
        var b = new StringBuilder();
        b.AppendLine(subject).AppendLine();
        foreach (var (label, value) in Facts(run, change, t, isTest)) b.Append(label).Append(": ").AppendLine(value);
        if (isTest) b.AppendLine().AppendLine(t.TestBody);
        var failures = run.Failures.ToList();
        if (failures.Count > 0)
        {
            b.AppendLine().AppendLine(t.WhatFailed + ":");
            foreach (var item in failures) b.Append("- ").AppendLine(ItemLine(item, t));
            if (run.OmittedFailures > 0) b.Append("- ").AppendLine(AlertRun.MoreText(run.OmittedFailures, t.More));
        }
        var others = run.Items.Where(i => i.Status != AlertItemStatus.Failed).ToList();
        if (others.Count > 0)
        {
            b.AppendLine().AppendLine(t.Checked + ":");
            foreach (var item in others) b.Append("- ").AppendLine(ItemLine(item, t));
            if (run.OmittedOthers > 0) b.Append("- ").AppendLine(AlertRun.MoreText(run.OmittedOthers, t.More));
        }
        b.AppendLine().Append(t.LastGood).Append(": ").AppendLine(GoodLine(run.LastGoodBackup, run.EndedAt, t));
        if (!isTest) b.AppendLine().AppendLine(t.WhatNext + ":").AppendLine(Advice(run, t));
        return b.ToString();
    }

    private static string Html(AlertRun run, AlertChange change, AlertTexts t, bool isTest, string subject)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var b = new StringBuilder();
        b.Append("<!DOCTYPE html><html lang=\"").Append(t.Language).Append("\"><head><meta charset=\"utf-8\"><title>")
            .Append(E(subject)).Append("</title></head><body>");
        b.Append("<h2>").Append(E(subject)).Append("</h2><table>");
        foreach (var (label, value) in Facts(run, change, t, isTest))
        {
            b.Append("<tr><th align=\"left\">").Append(E(label)).Append("</th><td>").Append(E(value))
                .Append("</td></tr>");
        }
        b.Append("</table>");
        if (isTest) b.Append("<p>").Append(E(t.TestBody)).Append("</p>");
        void List(string title, IEnumerable<AlertItem> items, int omitted)
        {
            var list = items.ToList();
            if (list.Count == 0 && omitted == 0) return;
            b.Append("<h3>").Append(E(title)).Append("</h3><ul>");
            foreach (var item in list) b.Append("<li>").Append(E(ItemLine(item, t))).Append("</li>");
            if (omitted > 0) b.Append("<li>").Append(E(AlertRun.MoreText(omitted, t.More))).Append("</li>");
            b.Append("</ul>");
        }
        List(t.WhatFailed, run.Failures, run.OmittedFailures);
        List(t.Checked, run.Items.Where(i => i.Status != AlertItemStatus.Failed), run.OmittedOthers);
        b.Append("<h3>").Append(E(t.LastGood)).Append("</h3><p>").Append(E(GoodLine(run.LastGoodBackup, run.EndedAt,
            t))).Append("</p>");
        if (!isTest) b.Append("<h3>").Append(E(t.WhatNext)).Append("</h3><p>").Append(E(Advice(run, t))).Append("</p>");
        return b.Append("</body></html>").ToString();
    }

    private static string Short(AlertRun run, AlertTexts t, string subject)
    {
        var lines = new List<string> { subject };
        var failures = run.Failures.ToList();
        foreach (var item in failures.Take(ShortLines - 1)) lines.Add("- " + Cut(OneLine(ItemLine(item, t)), 300));
        var total = failures.Count + run.OmittedFailures;
        if (total > ShortLines - 1) lines.Add(AlertRun.MoreText(total - (ShortLines - 1), t.More));
        return string.Join("\n", lines);
    }

    private static IEnumerable<(string, string)> Facts(AlertRun run, AlertChange change, AlertTexts t, bool isTest)
    {
        yield return (t.Host, run.Host);
        yield return (t.Job, run.Job);
        yield return (t.Started, Utc(run.StartedAt));
        yield return (t.Ended, Utc(run.EndedAt));
        if (isTest) yield break;
        yield return (t.State, StateWord(run, change, t, false));
        yield return (t.Change, t.Changes[(int)change]);
        yield return (t.LastSuccess, run.LastSuccess is DateTimeOffset s ? Utc(s) : t.Never);
        yield return (t.LastFailure, run.LastFailure is DateTimeOffset f ? Utc(f) : t.Never);
    }

    /// <summary>One item as a line: "FAILED Backup maestro_cenate 20261130_020000: message (size 512.0 MB, age
    /// 3.0 h; error id X; next step Y)".</summary>
    public static string ItemLine(AlertItem item, AlertTexts t)
    {
        var b = new StringBuilder();
        b.Append(t.Statuses[(int)item.Status]).Append(' ').Append(item.Kind).Append(' ').Append(OneLine(item.Subject));
        if (!string.IsNullOrEmpty(item.Message)) b.Append(": ").Append(OneLine(item.Message));
        var details = new List<string>();
        if (item.Size is long size) details.Add($"{t.Size} {FormatSize(size)}");
        if (item.Age is TimeSpan age) details.Add($"{t.Age} {FormatAge(age)}");
        if (!string.IsNullOrEmpty(item.ErrorId)) details.Add($"{t.ErrorId} {OneLine(item.ErrorId)}");
        if (!string.IsNullOrEmpty(item.NextStep)) details.Add($"{t.NextStep}: {OneLine(item.NextStep)}");
        if (details.Count > 0) b.Append(" (").Append(string.Join("; ", details)).Append(')');
        return b.ToString();
    }

    private static string GoodLine(AlertGoodBackup? good, DateTimeOffset now, AlertTexts t)
    {
        if (good is null) return t.NoneKnown;
        var line = $"{good.Database} {good.Stamp} ({Utc(good.Time)}, {t.Age} {FormatAge(now - good.Time)}";
        if (good.Size is long size) line += $", {t.Size} {FormatSize(size)}";
        line += ")";
        return good.Path is null ? line : $"{line} {good.Path}";
    }

    private static string Advice(AlertRun run, AlertTexts t)
    {
        if (run.State != AlertState.Failure) return t.AdviceSuccess;
        var steps = run.Failures.Select(f => f.NextStep).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s
            => OneLine(s!))
            .Distinct(StringComparer.Ordinal).ToList();
        steps.Add(t.AdviceFailure);
        return string.Join("\n", steps.Select(s => "- " + s));
    }

    /// <summary>Bytes as MB below 1 GB, else GB, one decimal, invariant culture.</summary>
    public static string FormatSize(long bytes) => bytes >= 1L << 30
        ? (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GB"
        : (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    /// <summary>An age in hours below two days, else in days, one decimal (a stamp ahead of the clock is 0.0 h).</summary>
    public static string FormatAge(TimeSpan age)
    {
        if (age < TimeSpan.Zero) age = TimeSpan.Zero;
        return age.TotalHours < 48
            ? age.TotalHours.ToString("0.0", CultureInfo.InvariantCulture) + " h"
            : age.TotalDays.ToString("0.0", CultureInfo.InvariantCulture) + " d";
    }

    private static string Utc(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'",
        CultureInfo.InvariantCulture);

    /// <summary>Control characters (CR, LF, tabs) become spaces, runs of spaces one: a subject is one header
    /// line.</summary>
    public static string OneLine(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var b = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            var blank = char.IsWhiteSpace(c) || char.IsControl(c);
            if (blank) { if (!space && b.Length > 0) b.Append(' '); space = true; }
            else { b.Append(c); space = false; }
        }
        return b.ToString().TrimEnd();
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
