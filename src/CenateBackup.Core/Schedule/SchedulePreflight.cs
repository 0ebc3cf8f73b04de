using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Schedule;

/// <summary>
/// Runs a job's scheduled command the way cron/systemd will, before anything is written: <c>env -i</c> with exactly
/// the schedule's environment (+ HOME, LANG), as the schedule's user (<c>runuser -u</c> when it is another), with
/// <c>-Preflight</c> (the job checks its settings, environment file, directories and lock, then stops). Exit 0 or 75
/// passes; anything else is ScheduleCommandFails with the last 2 KB of its output, secrets masked.
/// </summary>
public static class SchedulePreflight
{
    private const int TailBytes = 2048;

    /// <summary>The argv of the preflight (env -i … pwsh … -Preflight).</summary>
    public static IReadOnlyList<string> CommandLine(ScheduleCommand command, string? runAs, string home)
    {
        var argv = new List<string>();
        if (runAs is not null) argv.AddRange(new[] { "runuser", "-u", runAs, "--" });
        argv.AddRange(new[] { "env", "-i" });
        foreach (var (key, value) in command.Environment) argv.Add($"{key}={value}");
        argv.Add($"HOME={home}");
        argv.Add("LANG=C.UTF-8");
        argv.Add(command.Pwsh);
        argv.AddRange(command.Arguments);
        argv.Add("-Preflight");
        return argv;
    }

    /// <summary>Runs the preflight; throws ScheduleCommandFails unless it exits 0 or 75.</summary>
    public static async Task RunAsync(ScheduleCommand command, string? runAs, string home, TimeSpan timeout,
        CancellationToken token)
    {
        var argv = CommandLine(command, runAs, home);
        var start = new ProcessStartInfo(argv[0])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            UseShellExecute = false,
        };
        for (var i = 1; i < argv.Count; i++) start.ArgumentList.Add(argv[i]);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("env did not start.");
        process.StandardInput.Close();
        var output = new StringBuilder();
        void Add(string? line)
        {
            if (line is null) return;
            lock (output)
            {
                output.Append(line).Append('\n');
                if (output.Length > 4 * TailBytes) output.Remove(0, output.Length - TailBytes);
            }
        }
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(token);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            token.ThrowIfCancellationRequested();
            throw Fails(command, $"did not end within {timeout.TotalSeconds:0} s", Tail(output));
        }
        process.WaitForExit(); // drains the output events
        if (process.ExitCode is 0 or 75) return;
        throw Fails(command, $"exited with {process.ExitCode}", Tail(output));
    }

    private static string Tail(StringBuilder output)
    {
        lock (output)
        {
            var text = output.ToString().TrimEnd();
            if (text.Length > TailBytes) text = "…" + text[^TailBytes..];
            return AlertRedactor.Redact(text);
        }
    }

    private static CenateException Fails(ScheduleCommand command, string what, string output) =>
        new(ErrorIds.ScheduleCommandFails, CenateErrorKind.InvalidOperation,
            Messages.Format("ScheduleCommandFails.Preflight", command.Job, what, output),
            Messages.Get("ScheduleCommandFails.Preflight.Action"),
            command.Job);
}
