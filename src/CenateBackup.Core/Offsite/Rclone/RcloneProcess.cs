using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Offsite.Rclone;

/// <summary>What one rclone run left: its exit code, stdout (bounded) and stderr (its last part, stats lines
/// dropped).</summary>
internal sealed record RcloneRun(int ExitCode, string StandardOutput, string StandardError);

/// <summary>
/// Runs rclone once: arguments through ArgumentList (no shell), an environment reduced to what rclone needs
/// (so no stray RCLONE_* variable of the caller changes what a backup does), stdin closed (rclone never waits at a
/// prompt), stdout and stderr read concurrently, and the process tree killed on cancellation.
/// </summary>
internal static class RcloneProcess
{
    /// <summary>Variables passed through from the caller's environment (RCLONE_CONFIG_PASS opens an encrypted
    /// config).</summary>
    public static readonly IReadOnlyList<string> PassedVariables = new[]
    {
        "PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "LANG", "LC_ALL", "TZ", "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
        "SSH_AUTH_SOCK", "RCLONE_CONFIG", "RCLONE_CONFIG_PASS", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
        "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR",
    };

    private const int StderrTail = 64 * 1024;

    /// <summary>Runs rclone and returns what it left; throws RcloneNotFound when the executable cannot be
    /// started.</summary>
    /// <param name="executable">rclone's path or name.</param>
    /// <param name="arguments">The arguments (never a secret).</param>
    /// <param name="stdoutLimit">Most bytes of stdout kept; more is an error (rclone is killed).</param>
    /// <param name="stderrLine">Called with each stderr line as it comes (progress); may be null.</param>
    /// <param name="cancellationToken">Kills rclone and its children.</param>
    public static async Task<RcloneRun> RunAsync(string executable, IReadOnlyList<string> arguments, long stdoutLimit,
        Action<string>? stderrLine, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        foreach (var name in PassedVariables)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value) psi.Environment[name] = value;
        }
        if (!psi.Environment.ContainsKey("PATH")) psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new CenateException(ErrorIds.RcloneNotFound, CenateErrorKind.NotInstalled,
                Messages.Format("RcloneNotFound", executable, ex.Message),
                Messages.Get("RcloneNotFound.Action"), executable, ex);
        }
        try { process.StandardInput.Close(); } catch (IOException) { }

        using var kill = cancellationToken.Register(() => Kill(process));
        var stderr = new Queue<string>();
        var stderrChars = 0;
        var errTask = Task.Run(async () =>
        {
            string? line;
            var reader = process.StandardError;
            while ((line = await reader.ReadLineAsync(CancellationToken.None).ConfigureAwait(false)) is not null)
            {
                stderrLine?.Invoke(line);
                if (line.Contains("\"stats\":{", StringComparison.Ordinal)) continue;
                lock (stderr)
                {
                    stderr.Enqueue(line);
                    stderrChars += line.Length + 1;
                    while (stderrChars > StderrTail && stderr.Count > 1) stderrChars -= stderr.Dequeue().Length + 1;
                }
            }
        }, CancellationToken.None);

        var stdout = new StringBuilder();
        var tooLong = false;
        var buffer = new char[16384];
        int n;
        while ((n = await process.StandardOutput.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false)) > 0)
        {
            if (stdout.Length + n > stdoutLimit)
            {
                tooLong = true;
                Kill(process);
                break;
            }
            stdout.Append(buffer, 0, n);
        }
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        await errTask.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        string errText;
        lock (stderr) errText = string.Join('\n', stderr);
        if (tooLong)
        {
            throw new CenateException(ErrorIds.RcloneFailed, CenateErrorKind.InvalidData,
                Messages.Format("RcloneFailed.2", stdoutLimit),
                Messages.Get("RcloneFailed.Action.4"),
                    executable);
        }
        return new RcloneRun(process.ExitCode, stdout.ToString(), errText);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
