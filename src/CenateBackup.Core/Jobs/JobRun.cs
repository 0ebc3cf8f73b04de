using System;
using System.Collections.Generic;
using System.IO;
using System.Text.RegularExpressions;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Plan;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Jobs;

/// <summary>How a job run stands.</summary>
public enum JobRunState
{
    /// <summary>Started: steps may run.</summary>
    Running,
    /// <summary>Another run holds the job's lock: nothing was touched (exit 75).</summary>
    Locked,
    /// <summary>-Preflight: everything checked, lock released, no log written.</summary>
    Preflight,
    /// <summary>Completed: end record written, lock released.</summary>
    Completed,
}

/// <summary>
/// One run of a job of the plan: the settings it read, the job lock, the two run logs and the steps so far.
/// <see cref="Start"/> does the checks in the order the job scripts rely on; <see cref="Complete"/> writes the end
/// record, expires the job's old logs and releases the lock.
/// </summary>
public sealed partial class JobRun : IDisposable
{
    /// <summary>The exit code of a run that found its job locked.</summary>
    public const int LockedExitCode = 75;
    private readonly List<JobStepRecord> _steps = new();
    private JobLock? _lock;
    private RunLog? _log;

    private JobRun(string name, PlanSettings settings, DateTimeOffset startedAt)
    {
        Name = name;
        Settings = settings;
        StartedAt = startedAt;
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex NameRegex();

    /// <summary>The job's name (daily, weekly …).</summary>
    public string Name { get; }
    /// <summary>The settings the run read.</summary>
    public PlanSettings Settings { get; }
    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; }
    /// <summary>Identifies the run in its records.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString();
    /// <summary>Where the run stands.</summary>
    public JobRunState State { get; private set; }
    /// <summary>True once a step failed (or the alert could not be delivered).</summary>
    public bool Failed { get; private set; }
    /// <summary>True once a step of this run failed: what -OnlyIfSucceeded looks at. The previous-run record of a
    /// killed earlier run fails the run (exit 1, alert) but not this run's own steps: its set is still verified and
    /// retention still runs.</summary>
    public bool StepFailed { get; private set; }
    /// <summary>Who holds the lock when <see cref="State"/> is Locked ("pid 1234, started …"); null
    /// otherwise.</summary>
    public string? Holder { get; private set; }
    /// <summary>The lock file.</summary>
    public string LockPath => JobLock.PathOf(Settings.LockDirectory, Name);
    /// <summary>The human log; null when none was written.</summary>
    public string? LogPath => _log?.Path ?? _logPath;
    /// <summary>The JSON-lines log; null when none was written.</summary>
    public string? JsonLogPath => _log?.JsonPath ?? _jsonLogPath;
    /// <summary>The steps so far.</summary>
    public IReadOnlyList<JobStepRecord> Steps => _steps;
    /// <summary>The previous run of this job that ended without its end record (killed, crashed, power cut),
    /// recorded as the Failed step previous-run (JobInterrupted); null when it ended properly.</summary>
    public InterruptedRun? Interrupted { get; private set; }
    /// <summary>When the run completed; null before.</summary>
    public DateTimeOffset? EndedAt { get; private set; }

    private string? _logPath;
    private string? _jsonLogPath;

    /// <summary>True for a job name the runtime accepts (it names the lock and log files).</summary>
    public static bool IsValidName(string? name) => name is not null && NameRegex().IsMatch(name);

    /// <summary>JobNameInvalid unless <paramref name="name"/> is a valid job name.</summary>
    public static void RequireValidName(string? name)
    {
        if (IsValidName(name)) return;
        throw new CenateException(ErrorIds.JobNameInvalid, CenateErrorKind.InvalidArgument,
            Messages.Format("JobNameInvalid", name),
            Messages.Get("JobNameInvalid.Action"), name);
    }

    /// <summary>
    /// Starts a run: creates the log and lock directories (0700), takes the lock without waiting (Locked when another
    /// run holds it: no file written), then for a preflight releases it at once, else opens the run logs and writes the
    /// start record. The environment file is the caller's (it runs before, see <see cref="EnvironmentFile"/>).
    /// </summary>
    public static JobRun Start(string name, PlanSettings settings, bool preflight, string host, string moduleVersion,
        DateTimeOffset now)
    {
        RequireValidName(name);
        var run = new JobRun(name, settings, now);
        PrivateDirectory(settings.LogPath, Messages.Get("LogDirectoryNotWritable.JobRun.Logs"));
        PrivateDirectory(settings.LockDirectory, Messages.Get("LogDirectoryNotWritable.JobRun.Locks"));
        run._lock = JobLock.TryAcquire(settings.LockDirectory, name, now, out var holder);
        if (run._lock is null)
        {
            run.State = JobRunState.Locked;
            run.Holder = holder;
            return run;
        }
        if (preflight)
        {
            run.ReleaseLock();
            run.State = JobRunState.Preflight;
            return run;
        }
        // Looked for before this run's own log exists: the newest earlier log, found while the lock is held.
        var interrupted = FindInterrupted(settings.LogPath, name);
        try
        {
            run._log = RunLog.Create(settings.LogPath, name, run.RunId, now);
            run._log.Start(now, host, settings.SettingsPath, moduleVersion);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            run.Dispose();
            throw NotWritable(settings.LogPath, ex.Message, ex);
        }
        if (interrupted is not null)
        {
            run.Interrupted = interrupted;
            run.Record(interrupted.ToStep(now));
        }
        return run;
    }

    /// <summary>The earlier run that died without its end record, or null. A log that cannot be read does not stop
    /// this run's backup (the directory is the job's own, 0700).</summary>
    private static InterruptedRun? FindInterrupted(string logPath, string name)
    {
        try
        {
            return InterruptedRun.Find(logPath, name);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Records a finished step (and marks the run failed when it failed).</summary>
    public void Record(JobStepRecord step)
    {
        RequireRunning();
        _steps.Add(step);
        if (step.Result == JobStepResult.Failed)
        {
            Failed = true;
            if (step.Name != InterruptedRun.StepName) StepFailed = true;
        }
        try
        {
            _log!.Step(step);
        }
        catch (IOException ex)
        {
            // Disk full half-way: the run cannot say what it did, so it has failed (exit 1, never 0).
            Failed = true;
            throw NotWritable(Settings.LogPath, ex.Message, ex);
        }
    }

    /// <summary>Marks the run failed without a step (the alert's delivery failed).</summary>
    public void MarkFailed() => Failed = true;

    /// <summary>Writes the end record, removes this job's logs older than LogRetention, releases the lock; the exit
    /// code (0 or 1).</summary>
    public int Complete(DateTimeOffset now)
    {
        RequireRunning();
        var exitCode = Failed ? 1 : 0;
        EndedAt = now;
        try
        {
            _log!.End(StartedAt, now, !Failed, exitCode);
            RunLogRetention.Apply(Settings.LogPath, Name, now, Settings.LogRetention,
                RunLog.BaseName(Name, StartedAt));
        }
        catch (IOException ex)
        {
            Failed = true;
            throw NotWritable(Settings.LogPath, ex.Message, ex);
        }
        finally
        {
            _logPath = _log!.Path;
            _jsonLogPath = _log.JsonPath;
            _log.Dispose();
            _log = null;
            ReleaseLock();
            State = JobRunState.Completed;
        }
        return exitCode;
    }

    /// <summary>JobNotActive unless the run is started and not completed.</summary>
    public void RequireRunning()
    {
        if (State == JobRunState.Running && _log is not null) return;
        var why = State switch
        {
            JobRunState.Locked => "another run holds its lock, so it did not start",
            JobRunState.Preflight => "it was started with -Preflight (checks only)",
            _ => "it has completed",
        };
        throw new CenateException(ErrorIds.JobNotActive, CenateErrorKind.InvalidOperation,
            Messages.Format("JobNotActive", Name, RunId, why),
            Messages.Get("JobNotActive.Action"), Name);
    }

    private void ReleaseLock()
    {
        _lock?.Dispose();
        _lock = null;
    }

    /// <summary>Creates <paramref name="path"/> (and its parents) 0700 when missing; LogDirectoryNotWritable when it
    /// cannot be created or written. An existing directory is used as it is.</summary>
    private static void PrivateDirectory(string path, string what)
    {
        try
        {
            Storage.PrivateDirectory.Create(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw NotWritable(path, ex.Message, ex);
        }
        if (!Storage.PrivateDirectory.IsWritable(path))
            throw NotWritable(path, Messages.Format("LogDirectoryNotWritable.JobRun.Why", what), null);
    }

    private static CenateException NotWritable(string path, string why, Exception? inner) =>
        new(ErrorIds.LogDirectoryNotWritable, CenateErrorKind.PermissionDenied,
            Messages.Format("LogDirectoryNotWritable.JobRun", path, why.TrimEnd('.')),
            Messages.Get("LogDirectoryNotWritable.JobRun.Action"), path, inner);


    /// <inheritdoc />
    public void Dispose()
    {
        _log?.Dispose();
        _log = null;
        ReleaseLock();
    }
}
