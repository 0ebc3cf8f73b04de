using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Alerts;

/// <summary>The dispatcher's bookkeeping: trust and lock of the state directory, the state file and the spool.
/// No problem here ever stops the current alert, the heartbeat, the status file or the results: each is a warning,
/// and the run goes on without state or spool.</summary>
public sealed partial class AlertDispatcher
{
    private bool? _stateUsable;
    private AlertJobState? _seenState;

    /// <summary>The lock file (held from reading the state to writing it).</summary>
    public string LockPath => AlertStateLock.PathOf(_options.StateDirectory, _options.Job);

    /// <summary>False (with one warning) when the state directory exists and another user owns it or group or
    /// others may write to it: its state and spool could be anyone's.</summary>
    private bool StateUsable(IOperationReporter reporter)
    {
        if (_stateUsable is bool known) return known;
        string? why;
        try
        {
            why = AlertFileTrust.NotPrivate(_options.StateDirectory);
        }
        catch (Exception ex) when (ex is System.IO.IOException or UnauthorizedAccessException)
        {
            why = ex.Message;
        }
        if (why is not null)
        {
            reporter.Warning(Messages.Format("Warning.Alert.StateDirectoryShared", _options.StateDirectory, why));
        }
        _stateUsable = why is null;
        return why is null;
    }

    /// <summary>Null when <paramref name="path"/> is missing or may be trusted; else a warning is given.</summary>
    private static bool FileTrusted(string path, string what, Action<string> warn)
    {
        string? why;
        try
        {
            why = AlertFileTrust.NotPrivate(path);
        }
        catch (Exception ex) when (ex is System.IO.IOException or UnauthorizedAccessException)
        {
            why = ex.Message;
        }
        if (why is null) return true;
        warn(Messages.Format("Warning.Alert.FileNotPrivate", what, path, why));
        return false;
    }

    private AlertJobState? ReadState(Action<string> warn) => FileTrusted(StatePath,
        Messages.Get("Alert.What.StateFile"), warn)
        ? AlertStateStore.Read(StatePath, _options.Job, warn) : null;

    private AlertSpool LoadSpool(IOperationReporter reporter) =>
        FileTrusted(SpoolPath, Messages.Get("Alert.What.Spool"), reporter.Warning)
            ? AlertSpool.Load(SpoolPath, _clock, reporter.Warning)
            : AlertSpool.Detached(SpoolPath);

    /// <summary>The state lock, or null (with a warning) when the directory is not usable or another run keeps the
    /// lock past <see cref="AlertDispatchOptions.LockTimeout"/>.</summary>
    private AlertStateLock? Lock(IOperationReporter reporter, CancellationToken cancellationToken)
    {
        if (!StateUsable(reporter)) return null;
        string? why;
        try
        {
            AlertFileWriter.EnsureDirectory(_options.StateDirectory);
            var held = AlertStateLock.TryAcquire(LockPath, _options.LockTimeout, cancellationToken, out why);
            if (held is not null) return held;
        }
        catch (Exception ex) when (ex is System.IO.IOException or UnauthorizedAccessException)
        {
            why = Messages.Format("Warning.Alert.StateNotWritable", _options.StateDirectory, ex.Message);
        }
        reporter.Warning(Messages.Format("Warning.Alert.StateUnused", _options.Job, why));
        return null;
    }

    /// <summary>
    /// True when the server refused this one message for good (SMTP 5xx such as 550/552, HTTP 400/413/422): sending
    /// it again will fail again, other messages may go. Everything else is the channel (no connection, no answer in
    /// time, HTTP 5xx/429, SMTP 4xx, wrong credentials, TLS, a wrong URL): trying another message now would only fail
    /// or wait again, and the alert must not be dropped for it.
    /// </summary>
    internal static bool IsRefusal(CenateException error) =>
        error.Kind == CenateErrorKind.InvalidOperation
        && error.InnerException is not OperationCanceledException
        && !(error.InnerException is MailKit.Net.Smtp.SmtpCommandException command
            && (int)command.StatusCode is >= 400 and < 500);

    /// <summary>
    /// Sends the channel's spooled alerts, oldest first, adding their results. A message the server refuses
    /// (SMTP 550, HTTP 400) does not stop the others: it counts an attempt and is dropped, with a warning, after
    /// <see cref="AlertSpool.MaxAttempts"/>. A channel that is down stops the flush: returns its error and the
    /// index of that result.
    /// </summary>
    private async Task<(CenateException? Down, int Index)> FlushSpool(IAlertChannel channel, AlertSpool spool,
        List<AlertDelivery> results, IOperationReporter reporter, CancellationToken limit, CancellationToken user)
    {
        foreach (var entry in spool.For(channel.Kind))
        {
            var queued = $"{entry.QueuedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC";
            AlertMessage delayed;
            try
            {
                delayed = AlertComposer.Compose(entry.Run, entry.Change, _options.Culture, delayedFrom: entry.QueuedAt);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                spool.Remove(entry);
                reporter.Warning(Messages.Format("Warning.Alert.SpooledUncomposable", channel.Kind, queued,
                    ex.GetType().Name));
                continue;
            }
            var (result, error) = await Attempt(channel, delayed, limit, user).ConfigureAwait(false);
            result = result with { QueuedAt = entry.QueuedAt };
            if (error is null)
            {
                spool.Remove(entry);
                results.Add(result);
                continue;
            }
            var reason = $"{channel.Kind} to {channel.Target} failed: "
                + AlertRedactor.Redact(error.Message).TrimEnd('.');
            if (!IsRefusal(error))
            {
                results.Add(result with { Spooled = !spool.IsDetached, Reason = reason + "." });
                return (error, results.Count - 1);
            }
            var attempts = entry.Attempts + 1;
            if (attempts >= AlertSpool.MaxAttempts)
            {
                spool.Remove(entry);
                reporter.Warning(Messages.Format("Warning.Alert.SpooledDropped", channel.Kind, queued, attempts,
                    reason));
                results.Add(result with { Reason = $"{reason}. Dropped after {attempts} attempts." });
            }
            else
            {
                spool.Replace(entry, entry with { Attempts = attempts });
                reporter.Warning(Messages.Format("Warning.Alert.SpooledRefused", channel.Kind, queued, reason, attempts,
                    AlertSpool.MaxAttempts));
                results.Add(result with { Spooled = true, Reason = reason + "." });
            }
        }
        return (null, -1);
    }
}
