using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Offsite.Rclone;

/// <summary>
/// Turns rclone's exit code and (already redacted) stderr into a <see cref="CenateException"/> with a stable id.
/// rclone's exit codes: 1 ordinary failure, 3 directory not found, 4 file not found, 5 temporary (retry),
/// 6 no-retry, 7 fatal. Some causes share a code with others and are told apart by the message (an unknown
/// remote exits 1; a refused connection exits 1 too), so the message is read first.
/// </summary>
public static class RcloneErrors
{
    private static readonly string[] s_unreachable =
    {
        "connection refused", "no such host", "i/o timeout", "connection reset",
        "network is unreachable", "no route to host", "context deadline exceeded", "tls handshake timeout",
    };

    private static readonly string[] s_denied =
    {
        "unable to authenticate", "401 unauthorized", "403 forbidden", "accessdenied", "signaturedoesnotmatch",
        "invalidaccesskeyid", "authentication failed",
    };

    /// <summary>The exception for a failed rclone run.</summary>
    /// <param name="exitCode">rclone's exit code.</param>
    /// <param name="stderr">rclone's stderr, redacted.</param>
    /// <param name="operation">What was being done ("listing", "uploading 3 files to").</param>
    /// <param name="target">The remote location (the error's target).</param>
    public static CenateException Map(int exitCode, string stderr, string operation, string target)
    {
        var detail = Summary(stderr);
        var said = Messages.Format("RcloneFailed.Said", operation, target, exitCode, detail);
        var lower = stderr.ToLowerInvariant();
        if (lower.Contains("didn't find section in config file"))
        {
            var noFile = lower.Contains("config file") && lower.Contains("not found - using defaults");
            return new CenateException(ErrorIds.RemoteNotConfigured, CenateErrorKind.ObjectNotFound,
                Messages.Format(noFile ? "RemoteNotConfigured.NoFile" : "RemoteNotConfigured", target),
                Messages.Get("RemoteNotConfigured.Action"),
                target);
        }
        if (lower.Contains("immutable file modified"))
        {
            return new CenateException(ErrorIds.RemoteFileConflict, CenateErrorKind.ResourceExists,
                Messages.Format("RemoteFileConflict", target, detail),
                Messages.Get("RemoteFileConflict.Action"),
                target);
        }
        if (s_denied.Any(lower.Contains))
        {
            // No id of its own: the admin fixes it in the config file like any other rclone failure.
            return new CenateException(ErrorIds.RcloneFailed, CenateErrorKind.AuthenticationError, said,
                Messages.Get("RcloneFailed.Action.2"), target);
        }
        if (exitCode == 5 || s_unreachable.Any(lower.Contains))
        {
            return new CenateException(ErrorIds.RemoteUnreachable, CenateErrorKind.ConnectionError, said,
                Messages.Get("RemoteUnreachable.Action"),
                target);
        }
        return exitCode switch
        {
            3 => new CenateException(ErrorIds.RemotePathNotFound, CenateErrorKind.ObjectNotFound, said,
                Messages.Get("RemotePathNotFound.Action"), target),
            4 => new CenateException(ErrorIds.RemoteFileNotFound, CenateErrorKind.ObjectNotFound, said,
                Messages.Get("RemoteFileNotFound.Action"), target),
            7 => new CenateException(ErrorIds.RcloneFatal, CenateErrorKind.ToolFailed, said,
                Messages.Get("RcloneFatal.Action"),
                target),
            _ => new CenateException(ErrorIds.RcloneFailed, CenateErrorKind.ToolFailed, said,
                Messages.Get("RcloneFailed.Action.3"), target),
        };
    }

    /// <summary>The last few error lines of rclone's stderr, one line, bounded (JSON log lines are unpacked).</summary>
    public static string Summary(string stderr)
    {
        var found = new List<string>();
        foreach (var raw in stderr.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var text = line.StartsWith('{') ? FromJson(line) : FromPlain(line);
            if (text is not null && !found.Contains(text)) found.Add(text);
        }
        var joined = string.Join("; ", found.TakeLast(3));
        if (joined.Length == 0) joined = Messages.Get("RcloneFailed.Silent");
        return joined.Length > 1000 ? joined[..1000] + "…" : joined;
    }

    private static string? FromJson(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var level = root.TryGetProperty("level", out var l) ? l.GetString() : null;
            if (level is not ("error" or "critical" or "fatal" or "warning")) return null;
            var msg = root.TryGetProperty("msg", out var m) ? m.GetString()?.Trim() : null;
            if (string.IsNullOrEmpty(msg) || msg.StartsWith("Can't retry", StringComparison.Ordinal)) return null;
            var obj = root.TryGetProperty("object", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString()
                : null;
            return string.IsNullOrEmpty(obj) ? msg : obj + ": " + msg;
        }
        catch (JsonException)
        {
            return FromPlain(line);
        }
    }

    private static string? FromPlain(string line)
    {
        // "2026/11/30 08:27:49 Failed to …": drop the time stamp.
        if (line.Length > 20 && line[4] == '/' && line[7] == '/' && line[13] == ':') line = line[20..].Trim();
        return line.Length == 0 ? null : line;
    }
}
