using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Alerts;

/// <summary>Where the dispatcher keeps its files and what it decides by.</summary>
public sealed record AlertDispatchOptions
{
    /// <summary>Directory of the state and spool files.</summary>
    public required string StateDirectory { get; init; }
    /// <summary>Job name (validated by <see cref="AlertSettings"/>).</summary>
    public required string Job { get; init; }
    /// <summary>-When.</summary>
    public AlertWhen When { get; init; } = AlertWhen.Failure;
    /// <summary>Language of the message.</summary>
    public CultureInfo Culture { get; init; } = CultureInfo.InvariantCulture;
    /// <summary>Overall time per channel.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How long to wait for another run of the same job to release the state lock; then the run goes on
    /// without state and spool.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>The run with what the state file adds, and the decision: send mail/webhook or not.</summary>
public sealed record AlertPlan
{
    /// <summary>The run, with LastGoodBackup/LastSuccess/LastFailure merged from the state file.</summary>
    public required AlertRun Run { get; init; }
    /// <summary>How its state compares with the last run's.</summary>
    public required AlertChange Change { get; init; }
    /// <summary>True when -When says mail and webhook send.</summary>
    public required bool Send { get; init; }
    /// <summary>Why not, when <see cref="Send"/> is false.</summary>
    public string? SkipReason { get; init; }
    /// <summary>The message of this run.</summary>
    public required AlertMessage Message { get; init; }
    /// <summary>The run as given to <see cref="AlertDispatcher.Prepare"/> (planned again under the state lock when
    /// another run changed the state meanwhile).</summary>
    public AlertRun? Source { get; init; }
}

/// <summary>
/// Send-CenateAlert's behaviour: reads the state, decides by -When, flushes each channel's spool (oldest first) before
/// the new alert, spools what fails, pings the heartbeat and writes the status file on every run, then writes the
/// state; from reading the state to writing it, the job's lock file is held. A spooled alert the server refuses for
/// good does not stop the others or the new one (it is dropped after <see cref="AlertSpool.MaxAttempts"/>); a channel
/// that is down stops the flush and the new alert is spooled without a second wait.
/// Channels and the clock are passed in, so all of it is tested with fake channels. Nothing here decides a destination:
/// the channels come from the current parameters, the spool only holds runs.
/// </summary>
public sealed partial class AlertDispatcher
{
    private readonly IReadOnlyList<IAlertChannel> _channels;
    private readonly AlertDispatchOptions _options;
    private readonly Func<DateTimeOffset> _clock;

    /// <summary>A dispatcher over <paramref name="channels"/>.</summary>
    public AlertDispatcher(IReadOnlyList<IAlertChannel> channels, AlertDispatchOptions options,
        Func<DateTimeOffset> clock)
    {
        // Mail and webhook (spooling) first, then heartbeat, then the status file: the output's order.
        _channels = channels.OrderBy(c => (int)c.Kind).ToList();
        _options = options;
        _clock = clock;
    }

    /// <summary>The channels, in delivery order.</summary>
    public IReadOnlyList<IAlertChannel> Channels => _channels;

    /// <summary>The state file.</summary>
    public string StatePath => AlertStateStore.PathOf(_options.StateDirectory, _options.Job);

    /// <summary>The spool file.</summary>
    public string SpoolPath => AlertSpool.PathOf(_options.StateDirectory, _options.Job);

    /// <summary>Reads the state and decides; writes nothing.</summary>
    public AlertPlan Prepare(AlertRun run, IOperationReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(reporter);
        _seenState = StateUsable(reporter) ? ReadState(reporter.Warning) : null;
        return Plan(run, _seenState);
    }

    private AlertPlan Plan(AlertRun run, AlertJobState? previous)
    {
        var change = AlertStateStore.ChangeOf(previous, run.State);
        var merged = run with
        {
            LastGoodBackup = NewestGood(run, previous?.LastGoodBackup),
            LastSuccess = run.State == AlertState.Success ? run.EndedAt : previous?.LastSuccess,
            LastFailure = run.State == AlertState.Failure ? run.EndedAt : previous?.LastFailure,
        };
        var (send, reason) = Decide(_options.When, merged.State, change);
        return new AlertPlan
        {
            Run = merged, Change = change, Send = send, SkipReason = reason, Source = run,
            Message = AlertComposer.Compose(merged, change, _options.Culture),
        };
    }

    /// <summary>-When: Failure sends failed runs, Always every run, Change a new state (and a first run that
    /// failed).</summary>
    public static (bool Send, string? Reason) Decide(AlertWhen when, AlertState state, AlertChange change)
        => when switch
    {
        AlertWhen.Always => (true, null),
        AlertWhen.Failure when state == AlertState.Failure => (true, null),
        AlertWhen.Failure => (false, "-When Failure: the run succeeded"),
        _ when change is AlertChange.Failed or AlertChange.Recovered => (true, null),
        _ when change == AlertChange.New && state == AlertState.Failure => (true, null),
        _ when change == AlertChange.New => (false, "-When Change: first run, and it succeeded"),
        _ => (false, $"-When Change: the state is {state}, as in the last run"),
    };

    private static AlertGoodBackup? NewestGood(AlertRun run, AlertGoodBackup? remembered)
    {
        var fromRun = run.Items.Where(i => i.IsGoodBackup)
            .Select(i => new AlertGoodBackup(i.Database ?? "", i.Stamp ?? "", i.Path, i.Size, i.Time ?? run.EndedAt))
            .OrderByDescending(g => g.Time).FirstOrDefault();
        if (fromRun is null) return remembered;
        return remembered is not null && remembered.Time > fromRun.Time ? remembered : fromRun;
    }

    /// <summary>
    /// Delivers <paramref name="plan"/> on every channel <paramref name="approved"/> allows (the cmdlet asked
    /// ShouldProcess on its thread); the others report WouldSend. With <paramref name="whatIf"/> the state and spool
    /// files are left as they are.
    /// </summary>
    public async Task<IReadOnlyList<AlertDelivery>> DeliverAsync(AlertPlan plan, Func<IAlertChannel, bool> approved,
        bool whatIf,
        IOperationReporter reporter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(reporter);
        using var held = whatIf ? null : Lock(reporter, cancellationToken);
        var keeping = !whatIf && held is not null;
        if (keeping)
        {
            // Another run may have written the state between Prepare and the lock: plan again with what it wrote.
            var now = ReadState(_ => { });
            if (now != _seenState) plan = Plan(plan.Source ?? plan.Run, now);
        }
        var spool = whatIf ? null : keeping ? LoadSpool(reporter) : AlertSpool.Detached(SpoolPath);
        var results = new List<AlertDelivery>();
        var declined = false;
        foreach (var channel in _channels)
        {
            if (channel.Spools && !plan.Send && (whatIf || !approved(channel)))
            {
                results.Add(Result(channel, plan.Message, AlertDeliveryStatus.Skipped, plan.SkipReason));
                continue;
            }
            if (!approved(channel))
            {
                // An alert the user declined (-Confirm: No) was not told: the state must not move on as if it was,
                // or -When Change would never send this transition.
                declined |= channel.Spools && plan.Send;
                var pending = spool?.For(channel.Kind).Count ?? 0;
                results.Add(Result(channel, plan.Message, AlertDeliveryStatus.WouldSend,
                    "-WhatIf or not confirmed" + (pending > 0 ? $" ({pending} spooled)" : "")));
                continue;
            }
            if (channel.Spools) results.AddRange(await DeliverSpooling(channel, plan, spool!, reporter,
                cancellationToken).ConfigureAwait(false));
            else results.Add(await DeliverOnce(channel, plan.Message, cancellationToken).ConfigureAwait(false));
        }
        if (keeping)
        {
            // The alerts are out (or not) already: a bookkeeping failure is told, never a reason to lose the results
            // or the run's own failure.
            Keep(() => { if (spool!.Changed) spool.Save(); }, spool!.Path,
                Messages.Get("Warning.Alert.Consequence.Spool"),
                reporter);
            if (declined) reporter.Verbose("The state file is left as it was: the alert was not confirmed.");
            else Keep(() => AlertStateStore.Write(StatePath, AlertStateStore.Next(plan.Run)), StatePath,
                Messages.Get("Warning.Alert.Consequence.State"), reporter);
        }
        return results;
    }

    private static void Keep(Action write, string path, string consequence, IOperationReporter reporter)
    {
        try
        {
            write();
        }
        catch (Exception ex) when (ex is System.IO.IOException or UnauthorizedAccessException)
        {
            reporter.Warning(Messages.Format("Warning.Alert.FileNotWritten", path, ex.Message, consequence));
        }
    }

    private async Task<List<AlertDelivery>> DeliverSpooling(IAlertChannel channel, AlertPlan plan, AlertSpool spool,
        IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var results = new List<AlertDelivery>();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(_options.Timeout);
        var spoolPath = spool.IsDetached ? null : spool.Path;
        // Spooled alerts are sent first, oldest first, even when -When skips this run's: a failure that could not be
        // told must not wait for the next failure.
        var (down, downResult) = await FlushSpool(channel, spool, results, reporter, limit.Token,
            cancellationToken).ConfigureAwait(false);
        if (!plan.Send)
        {
            // No alert of this run: the channel's failure is told on the spooled alert that met it.
            if (down is not null) results[downResult] = results[downResult] with { Error = Explain(channel, down,
                spoolPath) };
            results.Add(Result(channel, plan.Message, AlertDeliveryStatus.Skipped, plan.SkipReason));
            return results;
        }
        if (down is not null)
        {
            // The channel is down (it failed a moment ago without answering): the new alert joins the spool without
            // a second wait for the timeout. Its result carries its own error.
            spool.Add(Entry(channel, plan), reporter.Warning);
            var reason = AlertRedactor.Redact(down.Message).TrimEnd('.');
            var own = new CenateException(down.ErrorId, down.Kind,
                Messages.Format("AlertDeliveryFailed.NotTried", channel.Kind, channel.Target, reason)
                + (spoolPath is null ? "" : " " + Messages.Format("AlertDeliveryFailed.Spooled", spoolPath)),
                down.RecommendedAction, channel.Target, down);
            results.Add(Result(channel, plan.Message, AlertDeliveryStatus.Failed, own.Message) with
            {
                Spooled = spoolPath is not null, ErrorId = own.ErrorId, Error = own,
            });
            return results;
        }
        var (current, failure) = await Attempt(channel, plan.Message, limit.Token,
            cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            spool.Add(Entry(channel, plan), reporter.Warning);
            var error = Explain(channel, failure, spoolPath);
            current = current with { Spooled = spoolPath is not null, Error = error, Reason = error.Message };
        }
        results.Add(current);
        return results;
    }

    private AlertSpoolEntry Entry(IAlertChannel channel, AlertPlan plan) => new()
    {
        Channel = channel.Kind, Target = channel.Target, QueuedAt = plan.Run.EndedAt, Run = plan.Run,
            Change = plan.Change,
    };

    private async Task<AlertDelivery> DeliverOnce(IAlertChannel channel, AlertMessage message,
        CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(_options.Timeout);
        var (result, error) = await Attempt(channel, message, limit.Token, cancellationToken).ConfigureAwait(false);
        if (error is null) return result;
        var explained = Explain(channel, error, null);
        return result with { Error = explained, Reason = explained.Message };
    }

    /// <summary>Sends -Test messages on every approved channel; no state, spool or status file changes.</summary>
    public async Task<IReadOnlyList<AlertDelivery>> TestAsync(AlertRun run, Func<IAlertChannel, bool> approved,
        CancellationToken cancellationToken)
    {
        var message = AlertComposer.Compose(run, AlertChange.New, _options.Culture, isTest: true);
        var results = new List<AlertDelivery>();
        foreach (var channel in _channels)
        {
            results.Add(approved(channel)
                ? await DeliverOnce(channel, message, cancellationToken).ConfigureAwait(false)
                : Result(channel, message, AlertDeliveryStatus.WouldSend, "-WhatIf or not confirmed"));
        }
        return results;
    }

    private async Task<(AlertDelivery Result, CenateException? Error)> Attempt(IAlertChannel channel,
        AlertMessage message,
        CancellationToken limit, CancellationToken user)
    {
        var watch = Stopwatch.StartNew();
        CenateException? error;
        try
        {
            var receipt = await channel.SendAsync(message, limit).ConfigureAwait(false);
            var status = channel.Kind switch
            {
                AlertChannelKind.Heartbeat => AlertDeliveryStatus.Pinged,
                AlertChannelKind.StatusFile => AlertDeliveryStatus.Written,
                _ => AlertDeliveryStatus.Sent,
            };
            return (Result(channel, message, status, receipt.Warning, watch.Elapsed) with
            {
                Reply = receipt.Reply, Secure = receipt.Secure, Protocol = receipt.Protocol,
            }, null);
        }
        catch (OperationCanceledException) when (user.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex)
        {
            error = new CenateException(ErrorIds.AlertDeliveryFailed, CenateErrorKind.ResourceUnavailable,
                Messages.Format("AlertDeliveryFailed", _options.Timeout.TotalSeconds),
                    Messages.Get("AlertDeliveryFailed.Action"), inner: ex);
        }
        catch (CenateException ex)
        {
            error = ex;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A channel's unexpected failure must not end the run: the other channels and the state still count.
            error = new CenateException(ErrorIds.AlertDeliveryFailed, CenateErrorKind.InvalidOperation,
                AlertRedactor.Redact($"{ex.GetType().Name}: {ex.Message}"), inner: ex);
        }
        return (Result(channel, message, AlertDeliveryStatus.Failed, error.Message,
            watch.Elapsed) with { ErrorId = error.ErrorId }, error);
    }

    private static CenateException Explain(IAlertChannel channel, CenateException error, string? spoolPath)
    {
        var reason = AlertRedactor.Redact(error.Message).TrimEnd('.');
        var message = Messages.Format("AlertDeliveryFailed.Failed", channel.Kind, channel.Target, reason)
            + (spoolPath is null ? "" : " " + Messages.Format("AlertDeliveryFailed.Spooled", spoolPath));
        return new CenateException(error.ErrorId, error.Kind, message, error.RecommendedAction, channel.Target, error);
    }

    private AlertDelivery Result(IAlertChannel channel, AlertMessage message, AlertDeliveryStatus status,
        string? reason,
        TimeSpan duration = default) => new()
    {
        Channel = channel.Kind,
        Target = channel.Target,
        Status = status,
        State = message.Run.State,
        Change = message.Change,
        Job = message.Run.Job,
        Subject = message.Subject,
        Delayed = message.Delayed,
        Reason = reason,
        Time = _clock(),
        Duration = duration,
    };
}
