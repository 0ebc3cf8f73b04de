using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Jobs;
using CenateBackup.PowerShell.Output;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Ends a job run: sends its alert through the settings' channels, writes the end record,
/// removes the job's old run logs and releases the lock; returns the exit code.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Complete, "CenateJob")]
[OutputType(typeof(CenateJobResult))]
public sealed class CompleteCenateJobCommand : CenateCmdletBase
{
    // One alert for the run through Send-CenateAlert's own machinery (channels, state, spool, -When), in this runspace.
    private const string AlertScript =
        "param($Items, $Settings, $Job, $When) "
        + "$Items | CenateBackup\\Send-CenateAlert -Settings $Settings -Job $Job -When $When -Confirm:$false "
        + "-ErrorAction Continue 2>&1";

    /// <inheritdoc />
    protected override int ProgressActivityId => 64;

#pragma warning disable CS1591 // described in docs/en-US/Complete-CenateJob.md
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public CenateJob Job { get; set; } = null!;

    [Parameter]
    [ValidateSet("Failure", "Always", "Change")]
    public string? When { get; set; }

    [Parameter]
    public SwitchParameter NoAlert { get; set; }
#pragma warning restore CS1591

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (Job.Locked)
        {
            WriteObject(new CenateJobResult
            {
                Job = Job.Name, Result = "Locked", ExitCode = JobRun.LockedExitCode, StartedAt = Job.StartedAt,
                EndedAt = Job.StartedAt, ErrorId = ErrorIds.JobLocked,
            });
            return;
        }
        var run = Job.Run;
        RunTerminating(Job.Name, () =>
        {
            if (run is null) throw new InvalidOperationException("The job has no run.");
            run.RequireRunning();
        });
        if (Job.Settings.HasAlerts && !NoAlert) Alert(run!);
        var exitCode = 1;
        RunTerminating(Job.Name, () => exitCode = run!.Complete(DateTimeOffset.UtcNow));
        WriteObject(new CenateJobResult
        {
            Job = Job.Name, Result = exitCode == 0 ? "Succeeded" : "Failed", ExitCode = exitCode,
            StartedAt = Job.StartedAt, EndedAt = run!.EndedAt ?? DateTimeOffset.UtcNow, Steps = Job.Steps,
            LogPath = run.LogPath, JsonLogPath = run.JsonLogPath,
        });
    }

    private void Alert(JobRun run)
    {
        var items = new List<object>(Job.Failures);
        items.AddRange(Job.Reported);
        // A run whose steps reported nothing the alert understands still ran: say so, or the alert would call the
        // silence a failure (NothingReported).
        // Only then: beside a set or a verification it would be one more line "a check returned True" in the mail.
        if (!run.Failed && !items.Any(i => AlertItemFactory.Create(i, DateTimeOffset.UtcNow).Item is not null))
        {
            items.Add(true);
        }
        var start = DateTimeOffset.UtcNow;
        string? errorId = null;
        string? message = null;
        try
        {
            var outputs = InvokeCommand.InvokeScript(false, ScriptBlock.Create(AlertScript), null, items.ToArray(),
                Job.Settings.SettingsPath, Job.Name, When ?? Job.When);
            foreach (var output in outputs)
            {
                var value = output?.BaseObject;
                if (value is ErrorRecord error)
                {
                    var id = InvokeCenateJobStepCommand.IdOf(error);
                    // The alert naming the run's own failure is what was asked for, not a new failure.
                    if (id == ErrorIds.BackupRunFailed) continue;
                    errorId ??= id;
                    message ??= error.Exception?.Message;
                }
                else if (value is CenateAlertResult { Status: "Failed" } failed)
                {
                    errorId ??= failed.ErrorId ?? ErrorIds.AlertDeliveryFailed;
                    message ??= $"{failed.Channel} {failed.Target}: {failed.Reason}";
                }
                else if (value is CenateAlertResult sent) WriteVerbose($"Alert {sent.Channel}: {sent.Status}");
            }
        }
        catch (RuntimeException ex) when (ex is not PipelineStoppedException)
        {
            errorId = InvokeCenateJobStepCommand.IdOf(ex.ErrorRecord);
            message = ex.Message;
        }
        if (errorId is null) return;
        var step = new JobStepRecord
        {
            Name = "alert", Start = start, End = DateTimeOffset.UtcNow, Result = JobStepResult.Failed,
            ErrorId = errorId, Message = AlertRedactor.Redact(message ?? "the alert was not delivered"),
        };
        RunTerminating(Job.Name, () => run.Record(step));
        Job.StepList.Add(JobOutputs.Step(step));
        WriteWarning(Messages.Format("Warning.CompleteCenateJobCommand", Job.Name, step.ErrorId, step.Message));
    }
}
