using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Tools;

namespace CenateBackup.Core.Targets;

/// <summary>
/// Container mode: the tools reach the server through the container's own unix socket, where the official image (and
/// most set-ups) trust local connections. A password in the exec's environment (PGPASSWORD) would be readable in
/// /proc/&lt;pid&gt;/environ by anyone who can exec into the container, and it shows in dockerd's debug log. So the first
/// tool run that would carry a password first asks, once per target, whether the server lets the role in over the
/// socket without one (psql --no-password); only when it does not is PGPASSWORD passed on, then to every run.
/// </summary>
public sealed class PasswordOnDemandRunner : IPgToolRunner
{
    private const string PasswordVariable = "PGPASSWORD";
    private readonly IPgToolRunner _inner;
    private readonly DatabaseTarget _target;
    private readonly SemaphoreSlim _probeGate = new(1, 1);
    private bool? _passwordNeeded;

    /// <summary>Wraps the runner of a container target.</summary>
    public PasswordOnDemandRunner(IPgToolRunner inner, DatabaseTarget target)
    {
        _inner = inner;
        _target = target;
    }

    /// <inheritdoc />
    public string Where => _inner.Where;

    /// <summary>After the first run with a password: whether the server needed it over the socket (null: not asked yet).</summary>
    public bool? PasswordNeeded => _passwordNeeded;

    /// <inheritdoc />
    public async Task<PgToolResult> RunAsync(PgToolInvocation invocation, Stream? standardInput, Stream? standardOutput, CancellationToken cancellationToken)
    {
        if (invocation.Environment.ContainsKey(PasswordVariable))
        {
            var without = invocation.Environment.Where(kv => kv.Key != PasswordVariable).ToDictionary(kv => kv.Key, kv => kv.Value);
            if (!await NeedsPasswordAsync(without, cancellationToken).ConfigureAwait(false)) invocation = invocation with { Environment = without };
        }
        return await _inner.RunAsync(invocation, standardInput, standardOutput, cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> NeedsPasswordAsync(Dictionary<string, string> environment, CancellationToken cancellationToken)
    {
        if (_passwordNeeded is { } known) return known;
        await _probeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_passwordNeeded is { } again) return again;
            // The tool's own environment without the password; the database in PGDATABASE, which libpq never reads as a connection string.
            var env = new Dictionary<string, string>(environment) { ["PGDATABASE"] = _target.Database };
            var probe = new PgToolInvocation("psql", new[]
            {
                "-X", "-q", "-A", "-t", "--no-password", "-p", _target.Port.ToString(CultureInfo.InvariantCulture), "-U", _target.User, "-c", "SELECT 1",
            }, env);
            var result = await _inner.RunAsync(probe, null, null, cancellationToken).ConfigureAwait(false);
            _passwordNeeded = NeedsPassword(result);
            return _passwordNeeded.Value;
        }
        finally
        {
            _probeGate.Release();
        }
    }

    /// <summary>
    /// What the probe means. It logged in: no password needed. It failed after the login (the database does not exist —
    /// PostgreSQL authenticates before it looks the database up): none needed either. Any other failure (a password
    /// was asked for, no psql, the server not up): the password goes along, as it always did, and the tool's own
    /// error tells what is wrong.
    /// </summary>
    public static bool NeedsPassword(PgToolResult probe)
    {
        if (probe.Succeeded) return false;
        var err = probe.StandardError;
        if (err.Contains("password", StringComparison.OrdinalIgnoreCase) || err.Contains("authentication", StringComparison.OrdinalIgnoreCase)) return true;
        return !(err.Contains("database \"", StringComparison.Ordinal) && err.Contains("does not exist", StringComparison.Ordinal));
    }
}
