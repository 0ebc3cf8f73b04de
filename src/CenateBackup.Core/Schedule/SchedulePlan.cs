using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace CenateBackup.Core.Schedule;

/// <summary>What Register/Unregister-CenateBackupSchedule will do for one job (its output row).</summary>
public sealed record ScheduleEntry(string Job, ScheduleMode Mode, string Schedule, string Calendar, string TimeZone,
    DateTimeOffset? NextRun, string Command, string File, string Action);

/// <summary>One file to write (<see cref="Content"/>) or remove (null), and whether it changes; <see cref="Before"/>
/// is the module's text that was there when planned (null: none), checked again just before the write.</summary>
public sealed record ScheduleFileChange(string Path, string? Content, string Action, string? Before = null);

/// <summary>The plan of a Register or Unregister: rows, files, the commands to test first, warnings.</summary>
public sealed class SchedulePlan
{
    /// <summary>The concrete mode.</summary>
    public ScheduleMode Mode { get; init; }
    /// <summary>One row per job.</summary>
    public List<ScheduleEntry> Entries { get; } = new();
    /// <summary>The files (or tasks) to write or remove.</summary>
    public List<ScheduleFileChange> Changes { get; } = new();
    /// <summary>The jobs' commands (the preflight runs them).</summary>
    public List<ScheduleCommand> Commands { get; } = new();
    /// <summary>What the admin should know (cron has no time zone, systemd is not running…).</summary>
    public List<string> Warnings { get; } = new();
    /// <summary>The account the preflight runs as when it is not this one.</summary>
    public string? RunAs { get; init; }

    /// <summary>Nothing to write or remove.</summary>
    public bool NothingToDo => Changes.All(c => c.Action == "Unchanged");

    /// <summary>The exact files -WhatIf shows.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        foreach (var change in Changes.Where(c => c.Action != "Unchanged"))
        {
            if (change.Content is null)
            {
                text.Append($"Remove {change.Path}\n");
                continue;
            }
            text.Append($"{(change.Action == "Created" ? "Create" : "Replace")} {change.Path}:\n");
            text.Append(change.Content.TrimEnd('\n')).Append("\n\n");
        }
        return text.ToString().TrimEnd('\n');
    }

    /// <summary>The rows with Action WouldWrite (what -WhatIf outputs).</summary>
    public IEnumerable<ScheduleEntry> WouldWrite() =>
        Entries.Select(e => e.Action is "Unchanged" or "Removed" ? e : e with { Action = "WouldWrite" });
}
