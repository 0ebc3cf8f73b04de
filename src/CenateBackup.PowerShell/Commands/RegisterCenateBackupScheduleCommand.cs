using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Schedule;
using CenateBackup.PowerShell.Output;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Schedules the plan's jobs: systemd timers, one /etc/cron.d file, or Task Scheduler
/// tasks.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "CenateBackupSchedule", SupportsShouldProcess = true,
    ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CenateScheduleEntry))]
public sealed class RegisterCenateBackupScheduleCommand : ScheduleCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 70;

    /// <summary>The plan's settings file (its Schedule, TimeZone, LogPath…).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Settings { get; set; } = "";

    /// <summary>Only these jobs (default: every job the settings schedule).</summary>
    [Parameter]
    [ValidateSet("daily", "weekly", "monthly", "monitor", "drill", "auditretention")]
    public string[]? Job { get; set; }

    /// <summary>The account the jobs run as (default: this one; Task Scheduler: SYSTEM).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? User { get; set; }

    /// <summary>The pwsh to run (default: the first on PATH).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PwshPath { get; set; }

    /// <summary>Where the job scripts are (default: the module's jobs folder).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? JobDirectory { get; set; }

    /// <summary>A unit systemd starts when a job fails (OnFailure=).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OnFailure { get; set; }

    /// <summary>Write without test-running the commands first.</summary>
    [Parameter]
    public SwitchParameter SkipPreflight { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var settingsPath = GetUnresolvedProviderPathFromPSPath(Settings);
        RunTerminating(settingsPath, () =>
        {
            var settings = ScheduleSettingsReader.Read(settingsPath);
            var pwsh = ScheduleEnvironment.FindPwsh(
                PwshPath is null ? null : GetUnresolvedProviderPathFromPSPath(PwshPath));
            var jobs = JobDirectory is null ? ModuleJobDirectory() : GetUnresolvedProviderPathFromPSPath(JobDirectory);
            var request = new ScheduleRequest(settings, Job, ScheduleModes.Parse(Mode), User, pwsh, jobs,
                GetUnresolvedProviderPathFromPSPath(CronFile), GetUnresolvedProviderPathFromPSPath(UnitDirectory),
                OnFailure, DateTimeOffset.Now, ModuleSearchDirectory());
            var plan = ScheduleRegistrar.Plan(request);
            foreach (var warning in plan.Warnings) WriteWarning(warning);
            if (plan.NothingToDo)
            {
                WriteEntries(plan.Entries);
                return;
            }
            if (!ShouldProcess(plan.Describe(), $"Write the {plan.Mode} schedule of " +
                                                string.Join(", ", plan.Entries.Select(e => e.Job)),
                    "Register-CenateBackupSchedule"))
            {
                if (IsWhatIf) WriteEntries(plan.WouldWrite());
                return;
            }
            if (plan.Mode == ScheduleMode.TaskScheduler) RegisterTasks(plan);
            else RunCore((_, token) => ScheduleRegistrar.ApplyAsync(plan, SkipPreflight, Home(plan.RunAs), token));
            WriteEntries(plan.Entries);
        });
    }

    private bool IsWhatIf => MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w)
        ? ((SwitchParameter)w).IsPresent
        : GetVariableValue("WhatIfPreference") is SwitchParameter { IsPresent: true } or true;

    private void WriteEntries(System.Collections.Generic.IEnumerable<ScheduleEntry> entries)
    {
        foreach (var e in entries) WriteObject(ScheduleOutput.Entry(e));
    }

    private void RegisterTasks(SchedulePlan plan)
    {
        if (!OperatingSystem.IsWindows())
        {
            throw new CenateException(ErrorIds.ScheduleUnsupported, CenateErrorKind.InvalidOperation,
                Messages.Get("ScheduleUnsupported.5"), Messages.Get("ScheduleUnsupported.Action.4"),
                "TaskScheduler");
        }
        // No env -i on Windows: the task runs as SYSTEM with the machine's environment, so no preflight here.
        foreach (var change in plan.Changes)
        {
            var job = change.Path.Split('\\').Last();
            InvokeCommand.InvokeScript(
                "param($n, $x) Register-ScheduledTask -TaskName $n -TaskPath '\\CenateBackup\\' -Xml $x -Force " +
                "| Out-Null",
                job, change.Content);
        }
    }

    // The folder PSModulePath must name for the job scripts' Import-Module CenateBackup to load this module
    // (.../Modules/CenateBackup/1.2.3 → .../Modules; out/CenateBackup → out).
    private string? ModuleSearchDirectory()
    {
        var module = MyInvocation.MyCommand.Module?.ModuleBase;
        if (module is null) return null;
        var dir = new DirectoryInfo(module);
        if (Version.TryParse(dir.Name, out _) && dir.Parent is not null) dir = dir.Parent;
        return dir.Parent?.FullName;
    }

    private string ModuleJobDirectory()
    {
        var module = MyInvocation.MyCommand.Module?.ModuleBase
                     ?? Path.GetDirectoryName(typeof(RegisterCenateBackupScheduleCommand).Assembly.Location)!;
        return Path.Combine(module, "jobs");
    }

    internal static string Home(string? user)
    {
        if (user is not null && File.Exists("/etc/passwd"))
        {
            var entry = File.ReadLines("/etc/passwd").Select(l => l.Split(':'))
                .FirstOrDefault(f => f.Length >= 6 && f[0] == user);
            if (entry is not null) return entry[5];
        }
        return Environment.GetEnvironmentVariable("HOME")
               ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
    }
}
