using System;
using System.Collections.Generic;
using System.Linq;

namespace CenateBackup.Core.Alerts;

/// <summary>The overall state of a run.</summary>
public enum AlertState
{
    /// <summary>Nothing failed.</summary>
    Success,
    /// <summary>At least one item failed.</summary>
    Failure,
}

/// <summary>How this run's state compares with the last run's (read from the state file).</summary>
public enum AlertChange
{
    /// <summary>No earlier state is known.</summary>
    New,
    /// <summary>Same state as the last run.</summary>
    Same,
    /// <summary>Success before, failure now.</summary>
    Failed,
    /// <summary>Failure before, success now.</summary>
    Recovered,
}

/// <summary>A backup the alert names as the last good one.</summary>
public sealed record AlertGoodBackup(string Database, string Stamp, string? Path, long? Size, DateTimeOffset Time);

/// <summary>Everything one run reports: collected from the pipeline until its end, sent as one message.</summary>
public sealed record AlertRun
{
    /// <summary>Identifies the run (also the heartbeat's rid).</summary>
    public Guid RunId { get; init; } = Guid.NewGuid();
    /// <summary>Machine name.</summary>
    public required string Host { get; init; }
    /// <summary>Job name (the calling script's name by default); keys the state and spool files.</summary>
    public required string Job { get; init; }
    /// <summary>When the cmdlet started collecting.</summary>
    public required DateTimeOffset StartedAt { get; init; }
    /// <summary>When the pipeline ended.</summary>
    public required DateTimeOffset EndedAt { get; init; }
    /// <summary>The module's version.</summary>
    public string ModuleVersion { get; init; } = "";
    /// <summary>What the run reported, in pipeline order.</summary>
    public IReadOnlyList<AlertItem> Items { get; init; } = Array.Empty<AlertItem>();
    /// <summary>The newest good backup among the items, or remembered from an earlier run.</summary>
    public AlertGoodBackup? LastGoodBackup { get; init; }
    /// <summary>When the job last succeeded (state file), including this run.</summary>
    public DateTimeOffset? LastSuccess { get; init; }
    /// <summary>When the job last failed (state file), including this run.</summary>
    public DateTimeOffset? LastFailure { get; init; }

    /// <summary>Failed items left out of <see cref="Items"/> by <see cref="Bounded"/> (still counted).</summary>
    public int OmittedFailures { get; init; }
    /// <summary>Other items left out of <see cref="Items"/> by <see cref="Bounded"/>.</summary>
    public int OmittedOthers { get; init; }

    /// <summary>Most failed items a message, payload, status file or spool entry lists.</summary>
    public const int MaxFailuresListed = 50;
    /// <summary>Most other items listed.</summary>
    public const int MaxOthersListed = 20;
    /// <summary>Longest subject, message or next step of an item, in characters.</summary>
    public const int MaxItemText = 1000;

    /// <summary>Failure when any item failed, otherwise Success (a run with no items is a success).</summary>
    public AlertState State => OmittedFailures > 0 || Items.Any(i => i.Status == AlertItemStatus.Failed)
        ? AlertState.Failure : AlertState.Success;

    /// <summary>How many items failed, listed or not.</summary>
    public int FailureCount => Items.Count(i => i.Status == AlertItemStatus.Failed) + OmittedFailures;

    /// <summary>
    /// The run as every rendering carries it: at most <see cref="MaxFailuresListed"/> failures and
    /// <see cref="MaxOthersListed"/> other items (in pipeline order; the rest counted in OmittedFailures and
    /// OmittedOthers), each text cut to <see cref="MaxItemText"/> characters. 100,000 piped errors must not make a
    /// 45 MB mail, webhook body or status file. The same run when it is within bounds already.
    /// </summary>
    public AlertRun Bounded()
    {
        var failures = 0;
        var others = 0;
        var kept = new List<AlertItem>();
        var omittedFailures = OmittedFailures;
        var omittedOthers = OmittedOthers;
        var cut = false;
        foreach (var item in Items)
        {
            var failed = item.Status == AlertItemStatus.Failed;
            if (failed ? failures++ >= MaxFailuresListed : others++ >= MaxOthersListed)
            {
                if (failed) omittedFailures++; else omittedOthers++;
                continue;
            }
            var bounded = item with
            {
                Subject = Cut(item.Subject)!, Message = Cut(item.Message)!, NextStep = Cut(item.NextStep),
                ErrorId = Cut(item.ErrorId), Path = Cut(item.Path),
            };
            cut |= bounded != item;
            kept.Add(bounded);
        }
        if (!cut && omittedFailures == OmittedFailures && omittedOthers == OmittedOthers) return this;
        return this with { Items = kept, OmittedFailures = omittedFailures, OmittedOthers = omittedOthers };
    }

    private static string? Cut(string? text) => text is null || text.Length <= MaxItemText ? text
        : text[..(MaxItemText - 1)] + "…";

    /// <summary>"(+N more)" in the given format (English by default).</summary>
    internal static string MoreText(int count, string format = "(+{0} more)") =>
        string.Format(System.Globalization.CultureInfo.InvariantCulture, format, count);

    /// <summary>
    /// The first failure as one line, "subject: message" without a final dot, followed by "(+N more)" when more
    /// failed: "/backups/cenate: NoBackup: no complete set (+1 more)". Empty for a successful run. The one wording
    /// the subject's headline, the status file and the cmdlet's BackupRunFailed share.
    /// </summary>
    public string FirstFailureText() => FirstFailureText(int.MaxValue, "(+{0} more)");

    /// <summary><see cref="FirstFailureText()"/> with the first failure cut to <paramref name="maxLength"/>
    /// characters and the "more" text in <paramref name="moreFormat"/>.</summary>
    internal string FirstFailureText(int maxLength, string moreFormat)
    {
        var first = Items.FirstOrDefault(i => i.Status == AlertItemStatus.Failed);
        if (first is null) return "";
        var text = AlertComposer.OneLine(string.IsNullOrEmpty(first.Message) ? first.Subject
            : $"{first.Subject}: {first.Message}").TrimEnd('.');
        if (text.Length > maxLength) text = text[..(maxLength - 1)] + "…";
        var more = FailureCount - 1;
        return more > 0 ? text + " " + MoreText(more, moreFormat) : text;
    }

    /// <summary>The failed items.</summary>
    public IEnumerable<AlertItem> Failures => Items.Where(i => i.Status == AlertItemStatus.Failed);

    /// <summary>The databases the items name, distinct, in order.</summary>
    public IEnumerable<string> Databases => Items.Select(i => i.Database).OfType<string>().Distinct(StringComparer.Ordinal);
}
