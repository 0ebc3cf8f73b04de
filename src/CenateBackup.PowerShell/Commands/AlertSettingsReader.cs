using System;
using System.Collections;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Net;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// Reads a -Settings .psd1 as data only: parsed, never run. One hashtable of constants (strings, numbers, $true,
/// $false, $null, arrays); an expression such as (Get-Date) or $env:X is SettingsInvalid. On Unix the file must be
/// trusted (<see cref="AlertFileTrust"/>) because it decides where a credential goes.
/// </summary>
internal static class AlertSettingsReader
{
    /// <summary>Reads and checks the settings file at <paramref name="path"/> (a full path).</summary>
    public static AlertSettings Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new CenateException(ErrorIds.SettingsNotFound, CenateErrorKind.ObjectNotFound,
                $"The alert settings file {path} does not exist.",
                "Give the path of a .psd1 file (see examples/ in the module's repository).", path);
        }
        AlertFileTrust.RequireSettingsFile(path);
        var ast = Parser.ParseFile(path, out _, out var errors);
        if (errors.Length > 0) throw AlertSettingsInvalid(path,
            $"it is not valid PowerShell data: {errors[0].Message} (line {errors[0].Extent.StartLineNumber})");
        var statements = ast.EndBlock?.Statements;
        if (ast.ParamBlock is not null || ast.BeginBlock is not null || ast.ProcessBlock is not null
            || statements is null || statements.Count != 1
            || statements[0] is not PipelineAst { PipelineElements.Count: 1 } pipeline
            || pipeline.PipelineElements[0] is not CommandExpressionAst { Expression: HashtableAst hashtable })
        {
            throw AlertSettingsInvalid(path, "it must hold exactly one hashtable @{ Key = 'value' … }");
        }
        object value;
        try
        {
            value = hashtable.SafeGetValue();
        }
        catch (InvalidOperationException ex)
        {
            throw AlertSettingsInvalid(path,
                $"only constant values are allowed (no commands, variables or expressions): {ex.Message}");
        }
        if (value is not IDictionary data) throw AlertSettingsInvalid(path, "it must hold a hashtable");
        return AlertSettings.FromData(data, path);
    }

    /// <summary>Reads an Export-Clixml'd PSCredential (trusted file only).</summary>
    public static NetworkCredential ReadCredential(string path)
    {
        if (!File.Exists(path))
        {
            throw new CenateException(ErrorIds.CredentialFileInvalid, CenateErrorKind.ObjectNotFound,
                $"The credential file {path} does not exist.",
                "Create it with Get-Credential | Export-Clixml -Path <file> as the account that runs the job.", path);
        }
        AlertFileTrust.RequireCredentialFile(path);
        object? value;
        try
        {
            value = PSSerializer.Deserialize(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is System.Xml.XmlException or PSInvalidOperationException
            or InvalidOperationException
            or System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw InvalidCredential(path, ex.GetType().Name);
        }
        var credential = (value as PSObject)?.BaseObject as PSCredential ?? value as PSCredential;
        if (credential is null) throw InvalidCredential(path, "it holds no PSCredential");
        return credential.GetNetworkCredential();
    }

    private static CenateException InvalidCredential(string path, string why) =>
        new(ErrorIds.CredentialFileInvalid, CenateErrorKind.InvalidData,
            $"The credential file {path} cannot be read as a PSCredential ({why}).",
            "Create it again with Get-Credential | Export-Clixml -Path <file> as the account that runs the job "
            + "(on Windows DPAPI ties it to that account).", path);

    private static CenateException AlertSettingsInvalid(string path, string message) =>
        new(ErrorIds.SettingsInvalid, CenateErrorKind.InvalidArgument, $"The alert settings {path}: {message}.",
            "Fix the settings file (see Get-Help Send-CenateAlert -Parameter Settings).", path);
}
