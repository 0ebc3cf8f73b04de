using System;
using System.Management.Automation;
using System.Reflection;
using CenateBackup.Core.Jobs;
using CenateBackup.Core.Plan;
using CenateBackup.PowerShell.Output;

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
                WriteWarning($"Another run of the {Name} job ({run.Holder ?? "holder unknown"}) holds "
                    + $"{run.LockPath}; nothing was touched.");
            }
            else WriteVerbose(job.Preflight ? $"Preflight of the {Name} job passed; the lock is released."
                : $"The {Name} job started: {run.LogPath}");
            WriteObject(job);
        });
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
