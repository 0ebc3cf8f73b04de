using System;
using System.Collections;
using System.IO;
using System.Management.Automation;
using System.Net;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// Reads a -Settings .psd1 as data only: parsed, never run. One hashtable of constants (strings, numbers, $true,
/// $false, $null, arrays); an expression such as (Get-Date) or $env:X is SettingsInvalid. On Unix the file must be
/// trusted (<see cref="AlertFileTrust"/>) because it decides where a credential goes.
/// </summary>
internal static class AlertSettingsReader
{
    /// <summary>Reads and checks the settings file at <paramref name="path"/> (a full path).</summary>
    public static AlertSettings Read(string path) =>
        AlertSettings.FromData(SettingsFileReader.ReadData(path, "alert settings"), path);

    /// <summary>Reads an Export-Clixml'd PSCredential (trusted file only).</summary>
    public static NetworkCredential ReadCredential(string path)
    {
        if (!File.Exists(path))
        {
            throw new CenateException(ErrorIds.CredentialFileInvalid, CenateErrorKind.ObjectNotFound,
                Messages.Format("CredentialFileInvalid", path),
                Messages.Get("CredentialFileInvalid.Action"), path);
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
        if (credential is null) throw InvalidCredential(path, Messages.Get("CredentialFileInvalid.NoCredential"));
        return credential.GetNetworkCredential();
    }

    private static CenateException InvalidCredential(string path, string why) =>
        new(ErrorIds.CredentialFileInvalid, CenateErrorKind.InvalidData,
            Messages.Format("CredentialFileInvalid.Unreadable", path, why),
            Messages.Get("CredentialFileInvalid.Action.2"), path);
}
