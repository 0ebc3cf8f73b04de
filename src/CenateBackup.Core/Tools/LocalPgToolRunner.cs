using System;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Tools;

/// <summary>Runs PostgreSQL client tools as local processes (host mode).</summary>
public sealed class LocalPgToolRunner : IPgToolRunner
{
    private readonly string? _binDirectory;

    /// <summary>Creates a runner; <paramref name="binDirectory"/> overrides PATH lookup (e.g. /usr/lib/postgresql/15/bin).</summary>
    public LocalPgToolRunner(string? binDirectory = null) => _binDirectory = binDirectory;

    /// <inheritdoc />
    // A place a sentence can name ("pg_dump 15 (the local PATH)", "not usable in '/usr/lib/postgresql/15/bin'").
    public string Where => _binDirectory is null ? "the local PATH" : $"'{_binDirectory}'";

    /// <summary>The executable path used for a tool.</summary>
    public string Resolve(string tool) => _binDirectory is null ? tool : Path.Combine(_binDirectory, tool);

    /// <inheritdoc />
    public async Task<PgToolResult> RunAsync(PgToolInvocation invocation, Stream? standardInput, Stream? standardOutput, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(Resolve(invocation.Tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            UseShellExecute = false,
        };
        foreach (var a in invocation.Arguments) psi.ArgumentList.Add(a);
        foreach (var (k, v) in invocation.Environment) psi.Environment[k] = v;

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw NotFound(invocation.Tool, ex);
        }

        var stderr = new BoundedText();
        var errTask = Task.Run(async () =>
        {
            var buf = new char[4096];
            int n;
            while ((n = await process.StandardError.ReadAsync(buf, CancellationToken.None).ConfigureAwait(false)) > 0) stderr.Append(new string(buf, 0, n));
        }, CancellationToken.None);

        using var kill = cancellationToken.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } });
        Task inTask = Task.CompletedTask;
        if (standardInput is not null)
        {
            inTask = Task.Run(async () =>
            {
                try
                {
                    await standardInput.CopyToAsync(process.StandardInput.BaseStream, 1 << 20, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException) { /* the tool closed its stdin early; its exit code tells */ }
                catch (OperationCanceledException) { }
                finally
                {
                    try { process.StandardInput.Close(); } catch (IOException) { }
                }
            }, CancellationToken.None);
        }

        try
        {
            var source = process.StandardOutput.BaseStream;
            if (standardOutput is null)
            {
                await source.CopyToAsync(Stream.Null, 1 << 20, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await StreamPump.CopyAsync(source, standardOutput, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        await Task.WhenAll(errTask, inTask).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return new PgToolResult(process.ExitCode, stderr.ToString());
    }

    // With -PgBinDirectory the person named a path: say what is wrong with THAT path (missing, or no such tool in it),
    // not that the client is missing from the machine.
    private CenateException NotFound(string tool, Win32Exception ex)
    {
        if (_binDirectory is null)
        {
            return new CenateException(ErrorIds.PgToolNotFound, CenateErrorKind.NotInstalled,
                Messages.Format("PgToolNotFound", tool, ex.Message), Messages.Get("PgToolNotFound.Action"), tool, ex);
        }
        var message = Directory.Exists(_binDirectory)
            ? Messages.Format("PgToolNotFound.4", tool, _binDirectory, ex.Message)
            : Messages.Format("PgToolNotFound.3", tool, _binDirectory);
        return new CenateException(ErrorIds.PgToolNotFound, CenateErrorKind.NotInstalled, message,
            Messages.Get("PgToolNotFound.Action.3"), _binDirectory, ex);
    }
}
