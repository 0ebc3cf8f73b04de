<#
.SYNOPSIS
    The plan's daily monitor (10:00): is there a fresh, big enough, readable backup here — and a recent copy on the
    USB disk and in the cloud? One alert per run, through the channels of one settings file.
.DESCRIPTION
    Each check that cannot even run (a disk not mounted, a remote unreachable) is caught and becomes part of the
    alert, so one broken target never hides the others. With -When Change the admins get one mail when something
    breaks and one when it is fixed ("RECOVERED"), not one every day; the heartbeat and the status file are
    written on every run. The script exits 1 when any check failed (Send-CenateAlert writes BackupRunFailed last,
    and $ErrorActionPreference is Stop), so cron and Task Scheduler see it too.
.NOTES
    The module ships this monitor as a scheduled job too: <module>/jobs/Monitor.ps1 reads the same checks from the
    plan's one settings file (New-CenateSettings) and writes run logs; Register-CenateBackupSchedule installs it.
.EXAMPLE
    # crontab (the backup account):  0 10 * * *  pwsh -NoProfile -NonInteractive -File /opt/cenate/Watch-CenateBackup.ps1 -UsbPath /mnt/backup-externo/cenate -CloudPath gdrive-crypt:cenate
.EXAMPLE
    # Try it by hand, every channel, without touching the state: a test message.
    Send-CenateAlert -Settings /etc/cenate/alert.psd1 -Test
#>
param(
    [string]$Path = '/backups/cenate',
    [string]$Settings = '/etc/cenate/alert.psd1',
    [string]$UsbPath,
    [string]$CloudPath,
    [string]$RcloneConfig = '/etc/cenate/rclone.conf',
    [long]$MinimumSize = 500MB,
    # asegurados losing more than this share of its rows since the previous full set fails the check (RowCountDropped).
    [string]$MaxRowDrop = '2%',
    [ValidateSet('Change', 'Failure', 'Always')][string]$When = 'Change'
)
$ErrorActionPreference = 'Stop'
Import-Module CenateBackup

$checks = @(
    # Today's set here: under 26 h old (the 2 AM and 2 PM runs), at least 500 MB, every file read to the end, and
    # asegurados not fallen by more than -MaxRowDrop since the previous full set (Confirm-CenateRowDrop acknowledges).
    try { Test-CenateBackup -Path $Path -MaxAge 26h -MinimumSize $MinimumSize -Level Read -MaxRowDrop $MaxRowDrop }
    catch { $_ }
    # The weekly USB copy: under 8 days, its bytes right (checksums read from the disk).
    if ($UsbPath) { try { Test-CenateBackup -Path $UsbPath -MaxAge '8d' -Level Checksum } catch { $_ } }
    # The monthly cloud copy: under 32 days; rclone downloads and hashes it (proves the crypt remote still decrypts).
    if ($CloudPath) {
        try { Test-CenateBackup -Path $CloudPath -MaxAge '32d' -Level Checksum -RcloneConfig $RcloneConfig } catch { $_ }
    }
)
$checks | Send-CenateAlert -Settings $Settings -Job monitor -When $When
