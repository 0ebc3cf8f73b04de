using System;
using System.Management.Automation;
using System.Reflection;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Jobs;
using CenateBackup.Core.Plan;
using CenateBackup.PowerShell.Output;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Starts a run of a job of the plan: reads the settings, loads the environment file, takes the
/// job's lock (or reports it held: exit 75) and opens the run logs.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "CenateJob")]
[OutputType(typeof(CenateJob))]
public sealed class StartCenateJobCommand : CenateCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 62;

#pragma warning disable CS1591 // described in docs/en-US/Start-CenateJob.md
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Settings { get; set; } = "";

    [Parameter]
    public SwitchParameter Preflight { get; set; }

    [Parameter]
    [ValidateSet("Failure", "Always", "Change")]
    public string When { get; set; } = "Failure";
#pragma warning restore CS1591

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Settings);
        RunTerminating(Name, () =>
        {
            JobRun.RequireValidName(Name);
            var plan = PlanSettingsReader.Read(path);
            var environmentFile = EnvironmentFile.Locate(plan.EnvironmentFile);
            if (environmentFile is not null)
            {
                var names = EnvironmentFile.Apply(environmentFile);
                WriteVerbose($"Loaded {names.Count} variable(s) from {environmentFile}: {string.Join(", ", names)}.");
            }
            // Every password this run holds is masked in its logs and alert, whatever message carries it.
            EnvironmentFile.RegisterProcessSecrets();
            var run = JobRun.Start(Name, plan, Preflight.IsPresent, Environment.MachineName, ModuleVersion(),
                DateTimeOffset.UtcNow);
            var job = new CenateJob
            {
                Name = Name, Settings = PlanSettingsReader.ToOutput(plan), RunId = run.RunId, StartedAt = run.StartedAt,
                LockPath = run.LockPath, Locked = run.State == JobRunState.Locked,
                Preflight = run.State == JobRunState.Preflight, When = When, Run = run,
            };
            if (job.Locked)
            {
                WriteWarning(Messages.Format("Warning.StartCenateJobCommand", ErrorIds.JobLocked, Name,
                    run.Holder ?? Messages.Get("JobLocked.HolderUnknown"), run.LockPath));
            }
            else if (run.Interrupted is { } interrupted) Interrupted(job, run, interrupted);
            else WriteVerbose(job.Preflight ? $"Preflight of the {Name} job passed; the lock is released."
                : $"The {Name} job started: {run.LogPath}");
            WriteObject(job);
        });
    }

    /// <summary>The earlier run died without its end record: its step (already in the run log) goes into the job's
    /// steps and its error into the items Complete-CenateJob alerts about, so the run exits 1 and the alert names
    /// it.</summary>
    private void Interrupted(CenateJob job, JobRun run, InterruptedRun interrupted)
    {
        var step = run.Steps[^1];
        job.StepList.Add(JobOutputs.Step(step));
        var error = new CenateException(ErrorIds.JobInterrupted, CenateErrorKind.OperationStopped, interrupted.Message,
            Messages.Format("JobInterrupted.Action", interrupted.File), Name);
        job.Failures.Add(ToErrorRecord(error, Name));
        WriteWarning(Messages.Format("Warning.SendCenateAlertCommand", ErrorIds.JobInterrupted, interrupted.Message));
    }

    internal static string ModuleVersion()
    {
        var assembly = typeof(StartCenateJobCommand).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus > 0 ? version[..plus] : version;
    }
}
