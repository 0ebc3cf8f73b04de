using System;

namespace CenateBackup.Core.Offsite.Rclone;

/// <summary>How to run rclone.</summary>
/// <param name="RclonePath">The rclone executable; null means "rclone" found on PATH.</param>
/// <param name="ConfigPath">The admin's rclone config file (passed as --config); null means rclone's own
/// default.</param>
public sealed record RcloneOptions(string? RclonePath = null, string? ConfigPath = null)
{
    /// <summary>Connect and idle I/O timeout (--contimeout/--timeout); null keeps rclone's defaults.</summary>
    public TimeSpan? Timeout { get; init; }
}
