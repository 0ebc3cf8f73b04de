using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

namespace CenateBackup.Core.Lifetime;

/// <summary>
/// While one piece of work runs, turns SIGTERM (systemctl stop, a cron or timeout(1) time-out) and SIGHUP (a closed
/// terminal or SSH session) into the same cancellation as Ctrl+C, and holds the signal until the work has cleaned up
/// (killed its tool, removed its partial files, dropped its scratch database), for at most the cleanup budget. Then the
/// signal's default action ends the process, so a service manager sees the process die of the signal it sent
/// (exit status 128+n: 143 for SIGTERM, 129 for SIGHUP) and a script never runs on past the stopped command.
/// </summary>
/// <remarks>
/// .NET 10 (PowerShell 7.6) has no SIGTERM handler of its own: without this scope the process dies at once, in the middle
/// of a write. The owner calls <see cref="Complete"/> when the work has ended; when a signal came, the owner reports it and
/// calls <see cref="Release"/>, and must not go on with anything else: the process is about to end.
/// </remarks>
public sealed class TerminationSignalScope : IDisposable
{
    /// <summary>How long a signal waits for the cleanup: as long as a stopped pipeline waits after Ctrl+C, and under systemd's default 90 s before SIGKILL.</summary>
    public static readonly TimeSpan DefaultCleanupBudget = TimeSpan.FromSeconds(60);

    // SIGHUP ignored when the process started (nohup) stays ignored: read before this module registers any handler.
    private static readonly Lazy<bool> s_hangupIgnoredAtStart = new(() => IsIgnoredAtStart(1));
    // Every scope of this process (cmdlets in parallel runspaces): .NET calls their handlers one after another, so the
    // first handler stops all the work at once and the cleanups run side by side, not one after another.
    private static readonly ConcurrentDictionary<TerminationSignalScope, byte> s_active = new();

    private readonly CancellationTokenSource _cancellation;
    private readonly TimeSpan _cleanupBudget;
    private readonly List<PosixSignalRegistration> _registrations = new();
    private readonly ManualResetEventSlim _released = new(false);
    private readonly object _gate = new();
    private bool _completed;
    private PosixSignal? _received;

    /// <summary>Registers for SIGTERM and SIGHUP; a signal cancels <paramref name="cancellation"/>.</summary>
    public TerminationSignalScope(CancellationTokenSource cancellation, TimeSpan? cleanupBudget = null)
    {
        _cancellation = cancellation ?? throw new ArgumentNullException(nameof(cancellation));
        _cleanupBudget = cleanupBudget ?? DefaultCleanupBudget;
        var signals = s_hangupIgnoredAtStart.Value ? new[] { PosixSignal.SIGTERM } : new[] { PosixSignal.SIGTERM, PosixSignal.SIGHUP };
        foreach (var signal in signals)
        {
            try
            {
                _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
            }
            catch (PlatformNotSupportedException)
            {
                // A platform without this signal: nothing to hold.
            }
        }
        s_active.TryAdd(this, 0);
    }

    /// <summary>The signal that stopped the work, or null.</summary>
    public PosixSignal? Received
    {
        get { lock (_gate) return _received; }
    }

    /// <summary>
    /// Marks the work as ended (its cleanup done) and returns the signal that is ending the process, or null. A signal that
    /// arrives after this is not held: nothing of the work is left half-done.
    /// </summary>
    public PosixSignal? Complete()
    {
        lock (_gate)
        {
            _completed = true;
            return _received;
        }
    }

    /// <summary>Lets a held signal take its default action (the process ends).</summary>
    public void Release() => _released.Set();

    /// <summary>The exit status of a process ended by <paramref name="signal"/>: 128 + the signal's number.</summary>
    public static int ExitStatusOf(PosixSignal signal) => 128 + NumberOf(signal);

    /// <summary>The conventional name (SIGTERM, SIGHUP, …).</summary>
    public static string NameOf(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGTERM => "SIGTERM",
        PosixSignal.SIGHUP => "SIGHUP",
        PosixSignal.SIGINT => "SIGINT",
        PosixSignal.SIGQUIT => "SIGQUIT",
        _ => "signal " + ((int)signal).ToString(CultureInfo.InvariantCulture),
    };

    private static int NumberOf(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGHUP => 1,
        PosixSignal.SIGINT => 2,
        PosixSignal.SIGQUIT => 3,
        PosixSignal.SIGTERM => 15,
        _ => (int)signal > 0 ? (int)signal : 15,
    };

    private void OnSignal(PosixSignalContext context) => Hold(context.Signal);

    /// <summary>What a signal does: cancel the work, then wait (bounded) until the owner releases it. True when released in time.</summary>
    internal bool Hold(PosixSignal signal)
    {
        foreach (var other in s_active.Keys.Where(s => !ReferenceEquals(s, this))) other.Stop(signal);
        return Stop(signal) && _released.Wait(_cleanupBudget);
    }

    /// <summary>Cancels the work for <paramref name="signal"/>; false when it has already ended.</summary>
    private bool Stop(PosixSignal signal)
    {
        lock (_gate)
        {
            if (_completed) return false;
            _received ??= signal;
        }
        try
        {
            _cancellation.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            // The owner is already gone: nothing left to stop.
            return false;
        }
    }

    /// <summary>Whether signal <paramref name="number"/> was ignored (SIG_IGN) before any handler of this module; Linux only, false elsewhere.</summary>
    private static bool IsIgnoredAtStart(int number)
    {
        try
        {
            if (!OperatingSystem.IsLinux()) return false;
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("SigIgn:", StringComparison.Ordinal)) continue;
                var mask = ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                return (mask & (1UL << (number - 1))) != 0;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            // Unknown: handle the signal.
        }
        return false;
    }

    /// <summary>Unregisters; a signal still waiting is let go.</summary>
    public void Dispose()
    {
        s_active.TryRemove(this, out _);
        foreach (var registration in _registrations) registration.Dispose();
        _registrations.Clear();
        // Not disposed: a handler may still be waiting on it.
        _released.Set();
    }
}
