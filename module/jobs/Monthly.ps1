<#
.SYNOPSIS
    The plan's monthly cloud copy (day 1, 04:00): the newest verified set goes to the rclone remote of the settings'
    Monthly.Destination (for example a crypt remote over Google Drive), is checked there, and the copies older than
    Monthly.Keep days are removed there.
.DESCRIPTION
    The remote is defined in Monthly.RcloneConfig (a 0600 file; its passwords never reach a command line or a log).
    The check downloads and hashes every file, which also proves that the crypt password still decrypts them.
    Monthly.Destination may also be a directory (with Monthly.RequireMountPoint, as for the weekly copy: Weekly and
    Monthly take the same keys).
    Exit codes: 0 success, 1 failure (alerted), 75 another monthly run holds the lock (nothing touched).
.EXAMPLE
    pwsh -NoProfile -NonInteractive -File /path/to/CenateBackup/jobs/Monthly.ps1 -Settings /etc/cenate/cenate.psd1
#>
param([string]$Settings = '/etc/cenate/cenate.psd1', [switch]$Preflight)
$ErrorActionPreference = 'Stop'
$ErrorView = 'NormalView'               # an error on stderr names its error id (cron mails it to the admin)
Import-Module CenateBackup

$job = Start-CenateJob -Name monthly -Settings $Settings -Preflight:$Preflight
if ($job.Locked) { exit 75 }            # another run of this job holds the lock: nothing was touched
if ($Preflight) { exit 0 }
$s = $job.Settings
$m = $s.Monthly
$rclone = @{}                           # the remote's config file (default: rclone's own)
if ($m.RcloneConfig) { $rclone.RcloneConfig = $m.RcloneConfig }
$target = @{}                           # a directory destination: the mount point it must be on
if ($m.RequireMountPoint) { $target.RequireMountPoint = $m.RequireMountPoint }

# 1. Copy the newest complete, verified full set (already there: nothing is uploaded again).
$copies = Invoke-CenateJobStep $job sync {
    if (-not $m.Destination) {
        Write-Error -ErrorId SettingsInvalid -Category InvalidData -TargetObject $s.SettingsPath `
            -Message "The settings file $($s.SettingsPath) has no Monthly.Destination: nowhere to copy to."
    }
    Sync-CenateOffsite -Path $s.BackupPath -Destination $m.Destination -Database $s.Database -Newest 1 @target @rclone `
        -Confirm:$false
}

# 2. Download and hash every file of the copy.
Invoke-CenateJobStep $job verify -OnlyIfSucceeded {
    $copies | Where-Object Path | Test-CenateBackup -Level Checksum @rclone
}

# 3. Expire there: copies older than Monthly.Keep days go (the newest good ones always stay).
Invoke-CenateJobStep $job expire -OnlyIfSucceeded {
    Remove-CenateOldBackup -Path $m.Destination -Database $s.Database -KeepDaily $m.Keep -KeepWeekly $m.Keep `
        -KeepMonthly $m.Keep -Settings $s.SettingsPath -MaxRowDrop $s.MaxRowDrop @rclone -Confirm:$false |
        Where-Object Action -eq 'Removed'
}

exit (Complete-CenateJob $job).ExitCode
