<#
.SYNOPSIS
    The plan's daily monitor (10:00): is there a fresh, big enough, readable set here — and a recent, intact copy on
    the weekly target and the monthly remote, a streaming WAL archive and a streaming standby (each when the settings
    configure it)? One alert per run.
.DESCRIPTION
    Each check is its own step, so one broken target never hides the others. The alert is sent as Monitor.When says
    (default Change: one mail when something breaks and one when it is fixed, not one every day).
    Exit codes: 0 every check passed, 1 a check failed, 75 another monitor run holds the lock (nothing touched).
.EXAMPLE
    pwsh -NoProfile -NonInteractive -File /path/to/CenateBackup/jobs/Monitor.ps1 -Settings /etc/cenate/cenate.psd1
#>
param([string]$Settings = '/etc/cenate/cenate.psd1', [switch]$Preflight)
$ErrorActionPreference = 'Stop'
$ErrorView = 'NormalView'               # an error on stderr names its error id (cron mails it to the admin)
Import-Module CenateBackup

$job = Start-CenateJob -Name monitor -Settings $Settings -Preflight:$Preflight
if ($job.Locked) { exit 75 }            # another run of this job holds the lock: nothing was touched
if ($Preflight) { exit 0 }
$s = $job.Settings
$m = $s.Monitor

# 1. Here: the newest full set younger than MaxAge, at least MinimumSize, every file read to its end, and no
#    critical table fallen by more than allowed (an open drop keeps failing until Confirm-CenateRowDrop).
Invoke-CenateJobStep $job local {
    Test-CenateBackup -Path $s.BackupPath -Database $s.Database -MaxAge $m.MaxAge -MinimumSize $m.MinimumSize `
        -Level Read -Settings $s.SettingsPath -MaxRowDrop $s.MaxRowDrop
}

# 2. The weekly USB/NAS copy (or remote): younger than WeeklyMaxAge, its bytes right (read back).
if ($s.Weekly.Destination) {
    $weeklyRclone = @{}
    if ($s.Weekly.RcloneConfig) { $weeklyRclone.RcloneConfig = $s.Weekly.RcloneConfig }
    Invoke-CenateJobStep $job weekly {
        Test-CenateBackup -Path $s.Weekly.Destination -Database $s.Database -MaxAge $m.WeeklyMaxAge -Level Checksum `
            @weeklyRclone
    }
}

# 3. The monthly cloud copy: younger than MonthlyMaxAge; rclone downloads and hashes it (the crypt still decrypts).
if ($s.Monthly.Destination) {
    $rclone = @{}
    if ($s.Monthly.RcloneConfig) { $rclone.RcloneConfig = $s.Monthly.RcloneConfig }
    Invoke-CenateJobStep $job monthly {
        Test-CenateBackup -Path $s.Monthly.Destination -Database $s.Database -MaxAge $m.MonthlyMaxAge `
            -Level Checksum @rclone
    }
}

# The database container, for the WAL archive's and the standby's checks.
$server = @{ Port = $s.Port; Database = $s.Database; Container = $s.Container }
if ($s.DockerHost) { $server.DockerHost = $s.DockerHost }
if ($s.UserName) { $server.UserName = $s.UserName }

# 4. The continuous WAL archive: its archiver streams, its slot lost nothing and is not near max_slot_wal_keep_size,
#    it is at most MaxLag behind and the slot holds at most MaxRetainedWal on the server.
if ($s.WalArchive) {
    $db = $server.Clone()
    if ($s.WalArchive.Name) { $db.Name = $s.WalArchive.Name }
    Invoke-CenateJobStep $job wal {
        Get-CenateWalArchive @db -MaxLag $s.WalArchive.MaxLag -MaxRetainedWal $s.WalArchive.MaxRetainedWal
    }
}

# 5. The base backups (the BaseBackup key): the newest base set younger than MaxAge, its bytes right, and with a
#    WalArchive key every WAL segment from the oldest kept base backup's end on in the archive (no gap).
if ($s.BaseBackup) {
    $wal = @{}
    if ($s.WalArchive) { $wal.WalPath = $s.WalArchive.Path }
    Invoke-CenateJobStep $job base {
        Test-CenateBackup -Path $s.BaseBackup.Path -Database $s.Database -Kind Base -MaxAge $s.BaseBackup.MaxAge -Level Checksum @wal
    }
}

# 6. The streaming standby (the Standby key): it streams, its slot lost nothing and is not near
#    max_slot_wal_keep_size, it is at most MaxLag behind (an unknown lag with WAL behind fails too) and its slot holds at
#    most MaxRetainedWal on the primary.
if ($s.Standby) {
    $db = $server.Clone()
    if ($s.Standby.Name) { $db.StandbyName = $s.Standby.Name }
    Invoke-CenateJobStep $job standby {
        Get-CenateReplicationStatus @db -MaxLag $s.Standby.MaxLag -MaxRetainedWal $s.Standby.MaxRetainedWal
    }
}

$when = if ($m.When) { $m.When } else { 'Change' }
exit (Complete-CenateJob $job -When $when).ExitCode
