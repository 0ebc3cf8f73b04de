using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.RegularExpressions;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Jobs;
using CenateBackup.PowerShell.Output;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Runs one step of a job (a script block), passes its output through and records how it
/// ended in the run logs.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "CenateJobStep")]
[OutputType(typeof(object))]
public sealed class InvokeCenateJobStepCommand : CenateCmdletBase
{
    // $ErrorActionPreference Stop in a scope of its own: the first error ends the step. 2>&1 turns errors a command
    // was told to only report (-ErrorAction Continue) into outputs, which the step reads as failures.
    private const string Runner =
        "param($__cenateStep, $__cenateOut) $ErrorActionPreference = 'Stop'; "
        + "& $__cenateStep 2>&1 | ForEach-Object { [void]$__cenateOut.Add($_) }";

    /// <inheritdoc />
    protected override int ProgressActivityId => 63;

#pragma warning disable CS1591 // described in docs/en-US/Invoke-CenateJobStep.md
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public CenateJob Job { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1)]
    [ValidatePattern("^[A-Za-z][A-Za-z0-9_-]{0,63}$")]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, Position = 2)]
    [ValidateNotNull]
    public ScriptBlock ScriptBlock { get; set; } = null!;

    [Parameter]
    public SwitchParameter OnlyIfSucceeded { get; set; }
#pragma warning restore CS1591

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var run = Job.Run;
        RunTerminating(Job.Name, () =>
        {
            if (run is null) throw new InvalidOperationException("The job has no run.");
            run.RequireRunning();
        });
        var start = DateTimeOffset.UtcNow;
        if (OnlyIfSucceeded && run!.StepFailed)
        {
            Record(new JobStepRecord
            {
                Name = Name, Start = start, End = start, Result = JobStepResult.Skipped,
                Message = "an earlier step failed",
            });
            return;
        }
        var outputs = new List<object>();
        ErrorRecord? thrown = null;
        try
        {
            SessionState.InvokeCommand.InvokeScript(useLocalScope: true, ScriptBlock.Create(Runner), null,
                ScriptBlock, outputs);
        }
        catch (RuntimeException ex) when (ex is not PipelineStoppedException)
        {
            thrown = ex.ErrorRecord;
        }
        catch (PipelineStoppedException)
        {
            Interrupted(run!, start);
            throw;
        }
        catch (FlowControlException ex)
        {
            // `exit` (or a stray break/continue) inside a step would end the script past Complete-CenateJob: an
            // `exit 0` after a failure would report success. The step fails instead and the script goes on.
            var what = ex is ExitException exit ? $"exit {exit.Argument}" : Messages.Get("JobStepFailed.Break");
            thrown = new ErrorRecord(new InvalidOperationException(Messages.Format("JobStepFailed.Exit", what)),
                ErrorIds.JobStepFailed, ErrorCategory.InvalidOperation, Name);
        }
        var step = Evaluate(outputs, thrown, start);
        Record(step);
        foreach (var output in outputs)
        {
            if (output is not null && PSObject.AsPSObject(output).BaseObject is ErrorRecord) continue;
            WriteObject(output);
        }
    }

    /// <summary>
    /// Ctrl+C during the step: the step and the run end Failed in the logs (end record, exit 1), the lock is released,
    /// and a script process exits 1.
    /// </summary>
    private void Interrupted(JobRun run, DateTimeOffset start)
    {
        try
        {
            var step = new JobStepRecord
            {
                Name = Name, Start = start, End = DateTimeOffset.UtcNow, Result = JobStepResult.Failed,
                ErrorId = ErrorIds.JobInterrupted, Message = "the step was interrupted (Ctrl+C)",
            };
            Job.StepList.Add(JobOutputs.Step(step));
            run.Record(step);
        }
        catch (CenateException)
        {
            // The log could not be written: the run still ends below.
        }
        finally
        {
            try
            {
                run.Complete(DateTimeOffset.UtcNow);
            }
            catch (CenateException)
            {
                // Complete released the lock in its finally; the end record is what was lost.
            }
        }
        // `pwsh -File` exits 0 after Ctrl+C whatever the script does: a job script run by a scheduler or by hand with
        // -NonInteractive/-File ends here with exit 1 (its run is completed above). An interactive shell is kept.
        if (IsScriptProcess(Environment.GetCommandLineArgs())) Environment.Exit(1);
    }

    /// <summary>True when this pwsh runs a script file or was told it is non-interactive.</summary>
    internal static bool IsScriptProcess(string[] args) => args.Skip(1).Any(a =>
        a.Equals("-File", StringComparison.OrdinalIgnoreCase) || a.Equals("-f", StringComparison.OrdinalIgnoreCase)
        || a.Equals("-NonInteractive", StringComparison.OrdinalIgnoreCase)
        || a.Equals("-noni", StringComparison.OrdinalIgnoreCase));

    private JobStepRecord Evaluate(List<object> outputs, ErrorRecord? thrown, DateTimeOffset start)
    {
        string? errorId = null;
        string? message = null;
        long? bytes = null;
        long? rows = null;
        foreach (var output in outputs)
        {
            if (output is null) continue;   // `$null` written by the step: nothing to judge
            var ps = PSObject.AsPSObject(output);
            if (ps.BaseObject is ErrorRecord error)
            {
                Job.Failures.Add(ForAlert(error));
                errorId ??= IdOf(error);
                message ??= error.Exception?.Message ?? error.ToString();
                continue;
            }
            // A verification that did not pass, an offsite copy or an alert whose Status is Failed.
            if (IsFalse(ps, "Passed") || IsFalse(ps, "Succeeded") || IsFalse(ps, "VerificationPassed") || IsFalse(ps, "Healthy")
                || (ps.BaseObject is CenateOffsiteResult or CenateAlertResult
                    && Equals(ps.Properties["Status"]?.Value, "Failed")))
            {
                Job.Failures.Add(output);
                var (id, text) = FirstProblem(ps);
                errorId ??= id ?? ErrorIds.JobStepFailed;
                message ??= text ?? $"the step reported a failure ({ps.BaseObject.GetType().Name})";
            }
            else Job.Reported.Add(output);
            if ((Number(ps, "TotalSize") ?? Number(ps, "Bytes")) is { } b) bytes = (bytes ?? 0) + b;
            if ((Number(ps, "AseguradosRows") ?? Number(ps, "Rows")) is { } r) rows = (rows ?? 0) + r;
        }
        if (thrown is not null)
        {
            Job.Failures.Add(ForAlert(thrown));
            errorId = IdOf(thrown);
            message = thrown.Exception?.Message ?? thrown.ToString();
        }
        var failed = thrown is not null || errorId is not null;
        return new JobStepRecord
        {
            Name = Name, Start = start, End = DateTimeOffset.UtcNow,
            Result = failed ? JobStepResult.Failed : JobStepResult.Succeeded,
            ErrorId = failed ? errorId : null, Message = failed ? AlertRedactor.Redact(message) : null,
            Bytes = bytes, Rows = rows,
        };
    }

    private void Record(JobStepRecord step)
    {
        RunTerminating(Job.Name, () => Job.Run!.Record(step));
        Job.StepList.Add(JobOutputs.Step(step));
        if (step.Result == JobStepResult.Failed)
            WriteVerbose($"Step {step.Name} failed: {step.ErrorId}: {step.Message}");
    }

    /// <summary>
    /// The error id of a record: the first segment of its FullyQualifiedErrorId when that is an id; `throw "text"`
    /// makes the text (which can hold anything, a password included) the id: then the exception's type name.
    /// </summary>
    internal static string IdOf(ErrorRecord error)
    {
        var id = error.FullyQualifiedErrorId ?? "";
        var comma = id.IndexOf(',', StringComparison.Ordinal);
        if (comma > 0) id = id[..comma];
        return s_id.IsMatch(id) ? id : error.Exception?.GetType().Name ?? "UnexpectedError";
    }

    private static readonly Regex s_id = new("^[A-Za-z][A-Za-z0-9_.-]{0,99}$", RegexOptions.CultureInvariant);

    /// <summary>The record as the alert gets it: its id made an id (see <see cref="IdOf"/>).</summary>
    private static ErrorRecord ForAlert(ErrorRecord error)
    {
        var id = IdOf(error);
        if (error.FullyQualifiedErrorId?.StartsWith(id, StringComparison.Ordinal) == true) return error;
        var copy = new ErrorRecord(error.Exception, id, error.CategoryInfo.Category, error.TargetObject);
        if (error.ErrorDetails is not null) copy.ErrorDetails = error.ErrorDetails;
        return copy;
    }

    private static bool IsFalse(PSObject ps, string name) => ps.Properties[name]?.Value is false;

    private static long? Number(PSObject ps, string name)
    {
        try
        {
            return ps.Properties[name]?.Value switch
            {
                null => null, long l => l, int i => i, double d => (long)d, decimal m => (long)m,
                string s when long.TryParse(s, out var n) => n,
                _ => null,
            };
        }
        catch (GetValueException)
        {
            return null;
        }
    }

    /// <summary>The error id and message of the first of an output's Problems (or its ErrorId/Reason).</summary>
    private static (string? Id, string? Text) FirstProblem(PSObject ps)
    {
        if (ps.Properties["Problems"]?.Value is IEnumerable problems)
        {
            var first = problems.Cast<object?>().FirstOrDefault(p => p is not null);
            if (first is not null)
            {
                var p = PSObject.AsPSObject(first);
                var kind = p.Properties["ErrorId"]?.Value as string ?? p.Properties["Kind"]?.Value as string
                    ?? ps.Properties["ErrorId"]?.Value as string;
                return (kind, p.Properties["Message"]?.Value as string ?? first.ToString());
            }
        }
        return (ps.Properties["ErrorId"]?.Value as string,
            ps.Properties["Reason"]?.Value as string ?? ps.Properties["Message"]?.Value as string);
    }
}
