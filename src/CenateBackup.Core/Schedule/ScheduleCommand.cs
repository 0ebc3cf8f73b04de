using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Schedule;

/// <summary>
/// What a scheduler runs for one job: pwsh (absolute path), the job script, the settings file, and the environment
/// cron/systemd must give it (an empty one otherwise: PATH=/usr/bin:/bin finds no ~/.dotnet/tools/pwsh, and the dotnet
/// tool shim finds no runtime without DOTNET_ROOT).
/// </summary>
public sealed record ScheduleCommand(string Job, string Pwsh, string Script, string Settings,
    IReadOnlyList<KeyValuePair<string, string>> Environment)
{
    /// <summary>pwsh's arguments after the executable (the job script runs the job).</summary>
    public IReadOnlyList<string> Arguments => new[]
    {
        "-NoProfile", "-NonInteractive", "-File", Script, "-Settings", Settings,
    };

    /// <summary>The command as sh reads it: every path single-quoted.</summary>
    public string ShellText => string.Join(' ',
        new[] { ShellQuote(Pwsh) }.Concat(Arguments.Select(a => a.StartsWith('-') ? a : ShellQuote(a))));

    /// <summary>Quotes <paramref name="text"/> for sh: '…' with each ' written as '\''.</summary>
    public static string ShellQuote(string text) => "'" + text.Replace("'", "'\\''") + "'";

    /// <summary>Refuses a value with a control character (a newline would end a cron line or a unit setting).</summary>
    public static string RequirePrintable(string value, string what)
    {
        if (value.Any(char.IsControl))
        {
            throw new CenateException(ErrorIds.ScheduleInvalid, CenateErrorKind.InvalidArgument,
                Messages.Format("ScheduleInvalid.4", what, Escape(value)), Messages.Format("ScheduleInvalid.Action.4", what), value);
        }
        return value;
    }

    private static string Escape(string value) =>
        string.Concat(value.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));
}
