using System;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite;
using CenateBackup.Core.Offsite.Rclone;
using CenateBackup.Core.Storage;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// A cmdlet whose -Path may be a backup directory, an offsite target or an rclone remote "name:path"
/// (Get-CenateBackup, Test-CenateBackup, Remove-CenateOldBackup, Sync-CenateOffsite): the rclone parameters and how a
/// location is read and opened.
/// </summary>
public abstract class BackupStoreCmdletBase : CenateCmdletBase
{
    /// <summary>Remotes: the rclone config file with the remotes (default: rclone's own).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RcloneConfig { get; set; }

    /// <summary>Remotes: the rclone executable (default: rclone on PATH).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RclonePath { get; set; }

    /// <summary>
    /// A directory (resolved as PowerShell paths are) or a remote "name:path"; a name that is a drive of this session
    /// (Temp:, a Windows drive) stays a path.
    /// </summary>
    protected OffsiteLocation ParseLocation(string text) =>
        OffsiteLocation.Parse(text, GetUnresolvedProviderPathFromPSPath,
            name => SessionState.Drive.GetAll().Any(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase)));

    /// <summary>True when <paramref name="text"/> names a remote (or a refused rclone connection string).</summary>
    protected bool IsRemote(string text)
    {
        try
        {
            return ParseLocation(text).IsRemote;
        }
        catch (CenateException)
        {
            return true;
        }
    }

    /// <summary>The rclone options from -RclonePath and -RcloneConfig (paths resolved as PowerShell paths).</summary>
    protected RcloneOptions Rclone => new(
        RclonePath is null ? null
            : RclonePath.Contains('/') || RclonePath.Contains('\\') ? GetUnresolvedProviderPathFromPSPath(RclonePath) : RclonePath,
        RcloneConfig is null ? null : GetUnresolvedProviderPathFromPSPath(RcloneConfig));

    /// <summary>The store behind a location.</summary>
    protected IBackupStore OpenStore(OffsiteLocation location) => location.Remote is { } remote
        ? new RcloneBackupStore(new RcloneClient(Rclone), remote)
        : new LocalBackupStore(location.Directory!);
}
