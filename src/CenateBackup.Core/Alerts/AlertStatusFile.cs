using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// The status file a Zabbix/Nagios agent reads (-StatusPath): a small JSON document written atomically on every run,
/// whatever -When says (it is state, not an alert). A new file is 0600; an existing one keeps its mode, so an admin can
/// chmod it 0640 for the agent's group once. -Test does not rewrite it: it only proves the directory is writable.
/// </summary>
public sealed class AlertStatusFile : IAlertChannel
{
    private readonly string _path;

    /// <summary>A status file at <paramref name="path"/> (its directory must exist).</summary>
    public AlertStatusFile(string path) => _path = Path.GetFullPath(path);

    /// <inheritdoc />
    public AlertChannelKind Kind => AlertChannelKind.StatusFile;

    /// <inheritdoc />
    public string Target => _path;

    /// <inheritdoc />
    public bool Spools => false;

    /// <inheritdoc />
    public Task<AlertReceipt> SendAsync(AlertMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();
        var directory = Path.GetDirectoryName(_path)!;
        try
        {
            if (!Directory.Exists(directory))
            {
                throw new CenateException(ErrorIds.AlertStatusWriteFailed, CenateErrorKind.ObjectNotFound,
                    Messages.Format("AlertStatusWriteFailed", _path),
                        Messages.Get("AlertStatusWriteFailed.Action"), _path);
            }
            if (message.IsTest)
            {
                var probe = Path.Combine(directory, $".cenate-status-test-{Guid.NewGuid():N}");
                using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1,
                    FileOptions.DeleteOnClose)) { }
                var reply = $"{directory} is writable (the status file was not changed)";
                return Task.FromResult(new AlertReceipt { Reply = reply });
            }
            AlertFileWriter.Write(_path, ToJson(message), keepMode: true);
            return Task.FromResult(new AlertReceipt { Reply = $"written, state {message.Run.State}" });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var kind = ex is UnauthorizedAccessException ? CenateErrorKind.PermissionDenied
                : CenateErrorKind.WriteError;
            throw new CenateException(ErrorIds.AlertStatusWriteFailed, kind,
                Messages.Format("AlertStatusWriteFailed.2", _path, ex.Message),
                Messages.Get("AlertStatusWriteFailed.Action.2"), _path, ex);
        }
    }

    /// <summary>The document: schemaVersion, job, host, state, change, updatedAt, lastSuccess, lastFailure,
    /// problems, lastGoodBackup, moduleVersion.</summary>
    public static string ToJson(AlertMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var run = message.Run;
        var doc = new Dictionary<string, object?>
        {
            ["schemaVersion"] = 1,
            ["job"] = run.Job,
            ["host"] = run.Host,
            ["state"] = run.State.ToString(),
            ["change"] = message.Change.ToString(),
            ["updatedAt"] = run.EndedAt,
            ["lastSuccess"] = run.LastSuccess,
            ["lastFailure"] = run.LastFailure,
            ["problems"] = Problems(run),
            ["lastGoodBackup"] = run.LastGoodBackup is { } g
                ? new Dictionary<string, object?> { ["database"] = g.Database, ["stamp"] = g.Stamp, ["path"] = g.Path,
                    ["size"] = g.Size, ["time"] = g.Time }
                : null,
            ["moduleVersion"] = run.ModuleVersion,
        };
        return JsonSerializer.Serialize(doc, AlertFileWriter.Json);
    }

    /// <summary>One line per failed item (English, the language of monitoring tools), at most
    /// <see cref="AlertRun.MaxFailuresListed"/>, then "(+N more)".</summary>
    public static IReadOnlyList<string> Problems(AlertRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        run = run.Bounded();
        var lines = run.Failures.Select(f => AlertComposer.OneLine(string.IsNullOrEmpty(f.Message)
            ? $"{f.Kind} {f.Subject}" : $"{f.Kind} {f.Subject}: {f.Message}")
            + (string.IsNullOrEmpty(f.ErrorId) ? "" : $" [{f.ErrorId}]")).ToList();
        if (run.OmittedFailures > 0) lines.Add(AlertRun.MoreText(run.OmittedFailures));
        return lines;
    }
}
