using System;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Offsite;
using CenateBackup.Core.Offsite.Rclone;
using CenateBackup.Core.Storage;

namespace CenateBackup.PowerShell.Commands;

/// <summary>How the cmdlets read a location that may be an rclone remote, and open the store behind it.</summary>
internal static class OffsiteCommandSupport
{
    /// <summary>
    /// A directory (resolved as PowerShell paths are) or a remote "name:path"; a name that is a drive of this session
    /// (Temp:, a Windows drive) stays a path.
    /// </summary>
    public static OffsiteLocation Parse(PSCmdlet cmdlet, string text) =>
        OffsiteLocation.Parse(text, cmdlet.GetUnresolvedProviderPathFromPSPath,
            name => cmdlet.SessionState.Drive.GetAll().Any(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase)));

    /// <summary>True when <paramref name="text"/> names a remote (not a drive of this session).</summary>
    public static bool IsRemote(PSCmdlet cmdlet, string text)
    {
        try
        {
            return Parse(cmdlet, text).IsRemote;
        }
        catch (Core.Errors.CenateException)
        {
            return true;
        }
    }

    /// <summary>The rclone options from -RclonePath and -RcloneConfig (paths resolved as PowerShell paths).</summary>
    public static RcloneOptions Rclone(PSCmdlet cmdlet, string? rclonePath, string? config) => new(
        rclonePath is null ? null : rclonePath.Contains('/') || rclonePath.Contains('\\') ? cmdlet.GetUnresolvedProviderPathFromPSPath(rclonePath) : rclonePath,
        config is null ? null : cmdlet.GetUnresolvedProviderPathFromPSPath(config));

    /// <summary>The store behind a location.</summary>
    public static IBackupStore Open(OffsiteLocation location, RcloneOptions rclone) => location.Remote is { } remote
        ? new RcloneBackupStore(new RcloneClient(rclone), remote)
        : new LocalBackupStore(location.Directory!);
}
