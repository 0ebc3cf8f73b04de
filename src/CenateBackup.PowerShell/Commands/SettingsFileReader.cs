using System;
using System.Collections;
using System.IO;
using System.Management.Automation.Language;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// Reads a -Settings .psd1 as data only: parsed, never run. One hashtable of constants (strings, numbers, $true,
/// $false, $null, arrays, nested hashtables); an expression such as (Get-Date) or $env:X is SettingsInvalid. On Unix
/// the file must be trusted (<see cref="AlertFileTrust"/>): it decides where a credential goes and which drops alarm.
/// Send-CenateAlert and the drift check (key RowDrop) share one file.
/// </summary>
internal static class SettingsFileReader
{
    /// <summary>Reads the hashtable of the settings file at <paramref name="path"/> (a full path).</summary>
    /// <param name="path">The file.</param>
    /// <param name="what">How messages name it ("alert settings", "settings").</param>
    /// <param name="help">The help that describes it.</param>
    public static IDictionary ReadData(string path, string what = "settings",
        string help = "Get-Help Send-CenateAlert -Parameter Settings")
    {
        if (!File.Exists(path))
        {
            throw new CenateException(ErrorIds.SettingsNotFound, CenateErrorKind.ObjectNotFound,
                Messages.Format("SettingsNotFound", Noun(what), path),
                Messages.Get("SettingsNotFound.Action"), path);
        }
        if (what == "settings")
        {
            AlertFileTrust.RequireSettingsFile(path, "settings file",
                "decides which row drops raise an alarm (and, read by Send-CenateAlert, where a credential is sent)");
        }
        else AlertFileTrust.RequireSettingsFile(path);
        var ast = Parser.ParseFile(path, out _, out var errors);
        if (errors.Length > 0) throw Invalid(path, what, help,
            Messages.Format("SettingsInvalid.Syntax", errors[0].Message, errors[0].Extent.StartLineNumber));
        var statements = ast.EndBlock?.Statements;
        if (ast.ParamBlock is not null || ast.BeginBlock is not null || ast.ProcessBlock is not null
            || statements is null || statements.Count != 1
            || statements[0] is not PipelineAst { PipelineElements.Count: 1 } pipeline
            || pipeline.PipelineElements[0] is not CommandExpressionAst { Expression: HashtableAst hashtable })
        {
            throw Invalid(path, what, help, Messages.Format("SettingsInvalid.OneHashtable"));
        }
        object value;
        try
        {
            value = hashtable.SafeGetValue();
        }
        catch (InvalidOperationException ex)
        {
            throw Invalid(path, what, help, Messages.Format("SettingsInvalid.Constants", ex.Message));
        }
        return value as IDictionary ?? throw Invalid(path, what, help, Messages.Get("SettingsInvalid.Hashtable"));
    }

    private static CenateException Invalid(string path, string what, string help, string message) =>
        new(ErrorIds.SettingsInvalid, CenateErrorKind.InvalidArgument,
            Messages.Format("SettingsFileInvalid", Noun(what), path, message.TrimEnd('.')),
            Messages.Format("SettingsFileInvalid.Action", help), path);

    /// <summary>How messages name the file, in the reader's language ("alert settings", "settings").</summary>
    private static string Noun(string what) =>
        Messages.Get(what == "alert settings" ? "SettingsKind.Alert" : "SettingsKind.Settings");
}
