using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Schedule;

/// <summary>The plan's jobs, in the order the schedule files list them, and their scripts.</summary>
public static class ScheduleJobs
{
    /// <summary>Job name → script file name (in the module's jobs directory).</summary>
    public static IReadOnlyList<(string Name, string Script)> All { get; } = new[]
    {
        ("daily", "Daily.ps1"), ("weekly", "Weekly.ps1"), ("monthly", "Monthly.ps1"),
        ("monitor", "Monitor.ps1"), ("drill", "Drill.ps1"), ("auditretention", "AuditRetention.ps1"),
    };

    /// <summary>The canonical (lower-case) name of <paramref name="name"/>, or null when it is not a job.</summary>
    public static string? Canonical(string name) =>
        All.Select(j => j.Name).FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Position of a job in <see cref="All"/> (unknown names last).</summary>
    public static int Order(string name)
    {
        var i = All.Select(j => j.Name).ToList().IndexOf(name);
        return i < 0 ? int.MaxValue : i;
    }

    /// <summary>The full path of <paramref name="job"/>'s script in <paramref name="directory"/>; JobScriptNotFound
    /// when it is not there.</summary>
    public static string ScriptPath(string job, string directory)
    {
        var script = All.First(j => j.Name == job).Script;
        var path = Path.GetFullPath(Path.Combine(directory, script));
        if (!File.Exists(path))
        {
            throw new CenateException(ErrorIds.JobScriptNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("JobScriptNotFound", job, path),
                Messages.Get("JobScriptNotFound.Action"),
                path);
        }
        return path;
    }
}
