using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Lifetime;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// Base of every CenateBackup cmdlet: owns the cancellation source (Ctrl+C → StopProcessing → cancel; SIGTERM and
/// SIGHUP → the same cancellation, see <see cref="TerminationSignalScope"/>), runs Core work on a worker while the pipeline thread drains progress/verbose messages, and maps Core's
/// exceptions to ErrorRecords with stable ids and specific categories.
/// </summary>
public abstract class CenateCmdletBase : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();

    /// <summary>Activity id for Write-Progress (one per cmdlet).</summary>
    protected abstract int ProgressActivityId { get; }

    /// <summary>Cancelled when the user presses Ctrl+C, or the process gets SIGTERM or SIGHUP.</summary>
    protected CancellationToken CancellationToken => _cancellation.Token;

    /// <inheritdoc />
    protected override void StopProcessing() => _cancellation.Cancel();

    /// <summary>Runs Core work; progress and verbose messages are written here, on the pipeline thread.</summary>
    protected T RunCore<T>(Func<IOperationReporter, CancellationToken, Task<T>> work)
    {
        using var reporter = new QueuedReporter();
        // Registered before the work starts, so a SIGTERM at any point of it waits for its cleanup.
        using var signals = new TerminationSignalScope(_cancellation);
        var task = Task.Run(() => work(reporter, _cancellation.Token));
        var lastProgress = DateTime.MinValue;
        var lastPhase = "";
        ProgressRecord? last = null;
        try
        {
            while (true)
            {
                if (reporter.Queue.TryTake(out var message, 100))
                {
                    switch (message)
                    {
                        case string verbose:
                            WriteVerbose(verbose);
                            break;
                        case WarningText warning:
                            WriteWarning(warning.Message);
                            break;
                        case OperationProgress p:
                            last = ToRecord(p);
                            // Write-Progress is slow in some hosts: updates of one phase go out twice a second,
                            // a new phase (its first word changes) at once.
                            var phase = FirstWord(p.Status);
                            if (phase != lastPhase || (DateTime.UtcNow - lastProgress).TotalMilliseconds >= 500)
                            {
                                WriteProgress(last);
                                lastProgress = DateTime.UtcNow;
                                lastPhase = phase;
                            }
                            break;
                    }
                }
                else if (task.IsCompleted && reporter.Queue.Count == 0)
                {
                    break;
                }
            }
            if (signals.Complete() is PosixSignal signal) EndBySignal(signal, task, signals);
            return task.GetAwaiter().GetResult();
        }
        catch (PipelineStoppedException)
        {
            // Ctrl+C: let the worker finish its cleanup (kill the tool, remove partial files) before returning.
            _cancellation.Cancel();
            try { task.Wait(TimeSpan.FromSeconds(60)); } catch (AggregateException) { }
            throw;
        }
        finally
        {
            if (last is not null)
            {
                last.RecordType = ProgressRecordType.Completed;
                try { WriteProgress(last); } catch (PipelineStoppedException) { }
            }
        }
    }

    /// <summary>
    /// The work was stopped by SIGTERM/SIGHUP and has cleaned up: say so, then let the signal end the process. This thread
    /// never returns to the script: its next statement would run in a process that is ending.
    /// </summary>
    private void EndBySignal(PosixSignal signal, Task task, TerminationSignalScope signals)
    {
        var name = TerminationSignalScope.NameOf(signal);
        var status = TerminationSignalScope.ExitStatusOf(signal);
        var message = task.IsCompletedSuccessfully
            ? Messages.Format("StoppedBySignal.Finished", name, status)
            : Messages.Format("StoppedBySignal", name, status);
        try
        {
            var cause = task.Exception?.InnerException;
            WriteError(new ErrorRecord(new OperationCanceledException(message, cause), ErrorIds.StoppedBySignal, ErrorCategory.OperationStopped, name));
        }
        catch (Exception ex) when (ex is RuntimeException or InvalidOperationException or System.IO.IOException)
        {
            // -ErrorAction Stop (ActionPreferenceStopException), or nowhere to report (the pipeline or the console is
            // gone): no catch block of the script may run on in a process that is ending; the exit status still tells.
        }
        finally
        {
            signals.Release();
        }
        // The signal's default action ends the process now. A host application that handles the signal itself (and
        // cancels the default action) keeps it alive: then stop the pipeline as Ctrl+C does and leave the rest to the host.
        Thread.Sleep(TimeSpan.FromSeconds(10));
        throw new PipelineStoppedException();
    }

    private static string FirstWord(string status)
    {
        var space = status.IndexOf(' ');
        return space < 0 ? status : status[..space];
    }

    private ProgressRecord ToRecord(OperationProgress p)
    {
        var record = new ProgressRecord(ProgressActivityId, p.Activity, string.IsNullOrEmpty(p.Status) ? Core.Resources.Messages.Get("Progress.Working") : p.Status);
        if (p.Total is long total && total > 0)
        {
            record.PercentComplete = (int)Math.Clamp(p.Current * 100 / total, 0, 100);
        }
        return record;
    }

    /// <summary>
    /// Runs <paramref name="body"/>; an exception from it (Core's, a cancellation, an I/O error) ends the command with
    /// the ErrorRecord <see cref="ToErrorRecord"/> builds, targeted at <paramref name="target"/>. A stopped pipeline
    /// passes.
    /// </summary>
    protected void RunTerminating(object? target, Action body)
    {
        try
        {
            body();
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            ThrowTerminatingError(ToErrorRecord(ex, target));
        }
    }

    /// <summary>
    /// Plan, ask, run: Core computes the plan (nothing changed yet), <paramref name="describe"/> turns it into the
    /// question -WhatIf shows and -Confirm asks, and only a confirmed plan goes to <paramref name="run"/>, which carries
    /// out that plan object. <paramref name="write"/> gets the outcome; <paramref name="writeUnchanged"/> the plan
    /// itself when it has nothing to do. Any failure ends the command as <see cref="RunTerminating"/> does.
    /// </summary>
    protected void RunPlanned<TPlan, TResult>(object? target,
        Func<IOperationReporter, CancellationToken, Task<TPlan>> plan,
        Func<TPlan, PlanQuestion> describe,
        Func<TPlan, IOperationReporter, CancellationToken, Task<TResult>> run,
        Action<TPlan> writeUnchanged,
        Action<TResult> write)
    {
        RunTerminating(target, () =>
        {
            var planned = RunCore(plan);
            var question = describe(planned);
            if (question.NothingToDo)
            {
                writeUnchanged(planned);
                return;
            }
            if (question.Ask && !Confirm(question)) return;
            write(RunCore((reporter, token) => run(planned, reporter, token)));
        });
    }

    /// <summary><see cref="RunPlanned{TPlan, TResult}"/> where the plan and the outcome have one type.</summary>
    protected void RunPlanned<T>(object? target,
        Func<IOperationReporter, CancellationToken, Task<T>> plan,
        Func<T, PlanQuestion> describe,
        Func<T, IOperationReporter, CancellationToken, Task<T>> run,
        Action<T> write) =>
        RunPlanned(target, plan, describe, run, write, write);

    private bool Confirm(PlanQuestion question) => question.Caption is null
        ? ShouldProcess(question.Target, question.Action)
        : ShouldProcess(question.Target, question.Action, question.Caption);

    /// <summary>Builds the ErrorRecord for an exception from Core (or a cancellation).</summary>
    protected static ErrorRecord ToErrorRecord(Exception exception, object? target)
    {
        if (exception is AggregateException { InnerExceptions.Count: 1 } agg) exception = agg.InnerException!;
        if (exception is CenateException ce)
        {
            var record = new ErrorRecord(ce, ce.ErrorId, MapCategory(ce.Kind), ce.Target ?? target);
            if (ce.RecommendedAction is not null)
            {
                record.ErrorDetails = new ErrorDetails(ce.Message) { RecommendedAction = ce.RecommendedAction };
            }
            return record;
        }
        if (exception is OperationCanceledException)
        {
            return new ErrorRecord(new OperationCanceledException(Messages.Get("OperationCancelled"), exception),
                ErrorIds.OperationCancelled, ErrorCategory.OperationStopped, target);
        }
        if (exception is UnauthorizedAccessException)
        {
            return new ErrorRecord(exception, ErrorIds.AccessDenied, ErrorCategory.PermissionDenied, target);
        }
        if (exception is System.IO.IOException)
        {
            return new ErrorRecord(exception, ErrorIds.WriteFailed, ErrorCategory.WriteError, target);
        }
        return new ErrorRecord(exception, ErrorIds.UnexpectedError, ErrorCategory.InvalidOperation, target);
    }

    internal static ErrorCategory MapCategory(CenateErrorKind kind) => kind switch
    {
        CenateErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        CenateErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        CenateErrorKind.AuthenticationError => ErrorCategory.AuthenticationError,
        CenateErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        CenateErrorKind.InvalidData => ErrorCategory.InvalidData,
        CenateErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        CenateErrorKind.NotInstalled => ErrorCategory.NotInstalled,
        CenateErrorKind.WriteError => ErrorCategory.WriteError,
        CenateErrorKind.ConnectionError => ErrorCategory.ConnectionError,
        CenateErrorKind.OperationStopped => ErrorCategory.OperationStopped,
        CenateErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        CenateErrorKind.ToolFailed => ErrorCategory.InvalidResult,
        CenateErrorKind.ResourceExists => ErrorCategory.ResourceExists,
        CenateErrorKind.ResourceBusy => ErrorCategory.ResourceBusy,
        CenateErrorKind.SecurityError => ErrorCategory.SecurityError,
        CenateErrorKind.OperationTimeout => ErrorCategory.OperationTimeout,
        _ => ErrorCategory.InvalidOperation,
    };

    /// <inheritdoc />
    public void Dispose()
    {
        _cancellation.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed record WarningText(string Message);

    private sealed class QueuedReporter : IOperationReporter, IDisposable
    {
        public BlockingCollection<object> Queue { get; } = new();
        public void Verbose(string message) { if (!Queue.IsAddingCompleted) Queue.Add(message); }
        public void Progress(OperationProgress progress) { if (!Queue.IsAddingCompleted) Queue.Add(progress); }
        public void Warning(string message) { if (!Queue.IsAddingCompleted) Queue.Add(new WarningText(message)); }
        public void Dispose() { Queue.CompleteAdding(); Queue.Dispose(); }
    }
}
