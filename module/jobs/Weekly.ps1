<#
.SYNOPSIS
    The plan's weekly copy (Sunday 03:00) to the USB disk or NAS: the newest verified set is copied to the settings'
    Weekly.Destination, its bytes are checked there, and the copies older than Weekly.Keep days are removed there.
    With a BaseBackup key it also takes the weekly base backup for point-in-time recovery (New-CenateBaseBackup),
    checks it with pg_verifybackup and expires old base sets.
.DESCRIPTION
    The destination is a directory prepared once with Initialize-CenateOffsiteTarget. With Weekly.RequireMountPoint
    the copy refuses to write unless the disk is mounted exactly there (no silent copy onto the root file system).
    It may also be an rclone remote (name:path, a crypt remote encrypts it) of Weekly.RcloneConfig, as for the
    monthly copy: Weekly and Monthly take the same keys.
    Exit codes: 0 success, 1 failure (alerted), 75 another weekly run holds the lock (nothing touched).
.EXAMPLE
    pwsh -NoProfile -NonInteractive -File /path/to/CenateBackup/jobs/Weekly.ps1 -Settings /etc/cenate/cenate.psd1
#>
param([string]$Settings = '/etc/cenate/cenate.psd1', [switch]$Preflight)
$ErrorActionPreference = 'Stop'
$ErrorView = 'NormalView'               # an error on stderr names its error id (cron mails it to the admin)
Import-Module CenateBackup

$job = Start-CenateJob -Name weekly -Settings $Settings -Preflight:$Preflight
if ($job.Locked) { exit 75 }            # another run of this job holds the lock: nothing was touched
if ($Preflight) { exit 0 }
$s = $job.Settings
$w = $s.Weekly
$target = @{}                           # where the copies go, and what must be true of it
if ($w.RequireMountPoint) { $target.RequireMountPoint = $w.RequireMountPoint }
$rclone = @{}                           # an rclone remote's config file (default: rclone's own)
if ($w.RcloneConfig) { $rclone.RcloneConfig = $w.RcloneConfig }

# The copy runs when Weekly is configured (without it, and without a BaseBackup key, the run fails and says so).
if ($w.Destination -or -not $s.BaseBackup) {
    # 1. Copy the newest complete, verified full set (already there: nothing is copied again).
    $copies = Invoke-CenateJobStep $job sync {
        if (-not $w.Destination) {
            Write-Error -ErrorId SettingsInvalid -Category InvalidData -TargetObject $s.SettingsPath `
                -Message "The settings file $($s.SettingsPath) has no Weekly.Destination: nowhere to copy to."
        }
        Sync-CenateOffsite -Path $s.BackupPath -Destination $w.Destination -Database $s.Database -Newest 1 @target @rclone `
            -Confirm:$false
    }

    # 2. Read every file of the copy back from the disk and compare its SHA-256 with the manifest.
    Invoke-CenateJobStep $job verify -OnlyIfSucceeded {
        $copies | Where-Object Path | Test-CenateBackup -Level Checksum @rclone
    }

    # 3. Expire there: copies older than Weekly.Keep days go (the newest good ones always stay).
    Invoke-CenateJobStep $job expire -OnlyIfSucceeded {
        Remove-CenateOldBackup -Path $w.Destination -Database $s.Database -KeepDaily $w.Keep -KeepWeekly $w.Keep `
            -KeepMonthly $w.Keep -Settings $s.SettingsPath -MaxRowDrop $s.MaxRowDrop @rclone -Confirm:$false |
            Where-Object Action -eq 'Removed'
    }
}

# 4. The weekly base backup for point-in-time recovery (the BaseBackup key): the whole cluster, read back and checked
#    by pg_verifybackup, then retention of the base sets with the Retention key's days. Runs whatever the copy did.
if ($s.BaseBackup) {
    $db = @{ Port = $s.Port; Database = $s.Database }
    if ($s.HostName) { $db.HostName = $s.HostName } else { $db.Container = $s.Container }
    if ($s.DockerHost -and -not $s.HostName) { $db.DockerHost = $s.DockerHost }
    if ($s.UserName) { $db.UserName = $s.UserName }
    $base = Invoke-CenateJobStep $job base {
        New-CenateBaseBackup @db -Path $s.BaseBackup.Path -CompressionLevel $s.BaseBackup.CompressionLevel -Confirm:$false
    }
    if ($base) {
        $checked = Invoke-CenateJobStep $job base-verify { $base | Test-CenateBackup -Level Read }
        # Only after a verified base backup; nothing goes when the newest base set is older than MaxAge.
        if ($checked -and $checked.Passed) {
            # With the WalArchive key: the WAL no kept base backup needs goes too (older than the oldest kept one's start).
            $walRetention = @{}
            if ($s.WalArchive -and $s.WalArchive.Path) { $walRetention.WalPath = $s.WalArchive.Path }
            Invoke-CenateJobStep $job base-retention {
                Remove-CenateOldBackup -Path $s.BaseBackup.Path -Database $s.Database -KeepDaily $s.Retention.Daily `
                    -KeepWeekly $s.Retention.Weekly -KeepMonthly $s.Retention.Monthly -MaxNewestAge $s.BaseBackup.MaxAge `
                    @walRetention -Confirm:$false | Where-Object Action -eq 'Removed'
            }
        }
    }
}

exit (Complete-CenateJob $job).ExitCode
