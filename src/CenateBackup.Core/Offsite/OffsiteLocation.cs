using System;
using System.Text.RegularExpressions;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite.Rclone;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Offsite;

/// <summary>
/// One side of an offsite copy, as the admin wrote it: a directory (the backup directory, a USB/NAS disk) or an rclone
/// remote "name:path" of the admin's own rclone config.
/// </summary>
public sealed partial class OffsiteLocation
{
    private OffsiteLocation(string text, string? directory, RemoteLocation? remote)
    {
        Text = text;
        Directory = directory;
        Remote = remote;
    }

    /// <summary>What was written.</summary>
    public string Text { get; }

    /// <summary>The full directory path; null for a remote.</summary>
    public string? Directory { get; }

    /// <summary>The remote; null for a directory.</summary>
    public RemoteLocation? Remote { get; }

    /// <summary>True for an rclone remote.</summary>
    public bool IsRemote => Remote is not null;

    /// <inheritdoc />
    public override string ToString() => Remote?.ToString() ?? Directory!;

    /// <summary>
    /// Reads <paramref name="text"/>: "name:path" (a name of two or more letters, digits, '_', '-', '.', ' ') is an rclone
    /// remote unless <paramref name="isLocalDrive"/> says the name is a drive of this shell (PowerShell's Temp:, a
    /// Windows C:); anything else is a directory, made full by <paramref name="resolveDirectory"/>. rclone's on-the-fly
    /// remotes (":sftp,host=…:path", "name,user=…:path") are refused with RemoteSpecRefused: their options, passwords
    /// among them, would sit on the command line of the rclone process, which every user of the machine can read.
    /// </summary>
    public static OffsiteLocation Parse(string text, Func<string, string> resolveDirectory, Func<string, bool>? isLocalDrive = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(resolveDirectory);
        if (OnTheFly().IsMatch(text))
        {
            throw new CenateException(ErrorIds.RemoteSpecRefused, CenateErrorKind.InvalidArgument,
                Messages.Format("RemoteSpecRefused", Redact(text)),
                Messages.Get("RemoteSpecRefused.Action"), Redact(text));
        }
        var m = Named().Match(text);
        if (m.Success && !(isLocalDrive?.Invoke(m.Groups["name"].Value) ?? false))
        {
            return new OffsiteLocation(text, null, new RemoteLocation(m.Groups["name"].Value, m.Groups["path"].Value.TrimEnd('/')));
        }
        return new OffsiteLocation(text, resolveDirectory(text), null);
    }

    /// <summary>A location for a directory already made full.</summary>
    public static OffsiteLocation ForDirectory(string fullPath) => new(fullPath, fullPath, null);

    /// <summary>A location for a remote.</summary>
    public static OffsiteLocation ForRemote(RemoteLocation remote) => new(remote.ToString(), null, remote);

    // Only the part before the first ':' or ',' of a refused spec is shown: options follow it.
    private static string Redact(string text)
    {
        var cut = text.IndexOfAny(new[] { ',', ':' }, text.StartsWith(':') ? 1 : 0);
        return cut < 0 ? text : text[..cut] + "…";
    }

    [GeneratedRegex(@"^(?<name>[A-Za-z0-9_][A-Za-z0-9_.\- ]*[A-Za-z0-9_.\-]):(?<path>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex Named();

    // ":backend…" or "name,option=…:" (rclone's connection strings).
    [GeneratedRegex(@"^(:|[^/\\:,]*,[^/\\:]*:)", RegexOptions.CultureInvariant)]
    private static partial Regex OnTheFly();
}
