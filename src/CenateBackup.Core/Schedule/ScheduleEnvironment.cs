using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Schedule;

/// <summary>
/// Finds pwsh and the environment a scheduled job needs: PATH (pwsh's directory first, then the system's), DOTNET_ROOT
/// when pwsh is the dotnet tool shim (or DOTNET_ROOT is set here), DOCKER_HOST when set here.
/// </summary>
public static class ScheduleEnvironment
{
    private const string SystemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The absolute pwsh to run: <paramref name="given"/>, else the first pwsh on this PATH.</summary>
    public static string FindPwsh(string? given)
    {
        var name = OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh";
        var candidate = given is not null
            ? Path.GetFullPath(given)
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
                .Where(d => d.Length > 0 && Path.IsPathRooted(d))
                .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
        if (candidate is null || !File.Exists(candidate))
        {
            throw new CenateException(ErrorIds.ScheduleCommandFails, CenateErrorKind.ObjectNotFound,
                Messages.Format("ScheduleCommandFails", (given is null ? " on PATH" : $" at {candidate}")),
                Messages.Get("ScheduleCommandFails.Action"),
                given);
        }
        return candidate;
    }

    /// <summary>The variables written into the schedule for <paramref name="pwsh"/>, in file order.
    /// <paramref name="moduleDirectory"/> (the folder holding the CenateBackup module folder) goes into PSModulePath,
    /// so the job scripts' <c>Import-Module CenateBackup</c> finds the module that registered them.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> For(string pwsh, string? moduleDirectory = null)
    {
        var result = new List<KeyValuePair<string, string>>();
        if (OperatingSystem.IsWindows()) return result;
        var dotnetRoot = DotnetRoot(pwsh);
        var dirs = new List<string> { Path.GetDirectoryName(pwsh)! };
        if (dotnetRoot is not null) dirs.Add(dotnetRoot);
        dirs.AddRange(SystemPath.Split(':'));
        result.Add(new("PATH", string.Join(':', dirs.Distinct())));
        if (dotnetRoot is not null) result.Add(new("DOTNET_ROOT", dotnetRoot));
        var dockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (!string.IsNullOrEmpty(dockerHost)) result.Add(new("DOCKER_HOST", dockerHost));
        if (!string.IsNullOrEmpty(moduleDirectory)) result.Add(new("PSModulePath", moduleDirectory));
        foreach (var pair in result) ScheduleCommand.RequirePrintable(pair.Value, pair.Key);
        return result;
    }

    private static string? DotnetRoot(string pwsh)
    {
        var set = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(set)) return set;
        // A global tool's shim (~/.dotnet/tools/pwsh) starts the shared runtime it finds through DOTNET_ROOT.
        if (!pwsh.Replace('\\', '/').Contains("/.dotnet/tools/", StringComparison.Ordinal)) return null;
        var dotnet = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Where(d => d.Length > 0).Select(d => Path.Combine(d, "dotnet")).FirstOrDefault(File.Exists);
        if (dotnet is null) return Directory.Exists("/usr/share/dotnet") ? "/usr/share/dotnet" : null;
        var target = new FileInfo(dotnet).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? dotnet;
        return Path.GetDirectoryName(target);
    }
}
