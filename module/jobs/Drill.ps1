<#
.SYNOPSIS
    The plan's monthly restore drill (day 2, 06:00): the newest complete set is restored into a new scratch database,
    every table is counted and its keys, indexes, constraints and triggers compared with the dump's catalog, the
    scratch database is dropped, and the report is mailed — also when the drill passed.
.DESCRIPTION
    Drill.TargetContainer runs the drill on another server (keep its load off production); without it, on the
    settings' own container or host. Drill.Level (default Restore) may be Read for a quick check. With the BaseBackup
    and WalArchive keys, a point-in-time drill follows (step pitr-drill: Test-CenateBackup -Level PointInTime).
    Exit codes: 0 the drill passed, 1 it failed, 75 another drill holds the lock (nothing touched).
.EXAMPLE
    pwsh -NoProfile -NonInteractive -File /path/to/CenateBackup/jobs/Drill.ps1 -Settings /etc/cenate/cenate.psd1
#>
param([string]$Settings = '/etc/cenate/cenate.psd1', [switch]$Preflight)
$ErrorActionPreference = 'Stop'
$ErrorView = 'NormalView'               # an error on stderr names its error id (cron mails it to the admin)
Import-Module CenateBackup

$job = Start-CenateJob -Name drill -Settings $Settings -Preflight:$Preflight
if ($job.Locked) { exit 75 }            # another run of this job holds the lock: nothing was touched
if ($Preflight) { exit 0 }
$s = $job.Settings
$d = $s.Drill

# The drill server: Drill.TargetContainer, else the settings' host or container.
$server = @{ Port = $s.Port }
if ($s.HostName) { $server.HostName = $s.HostName } else { $server.Container = $s.Container }
if ($d.TargetContainer) { $server.TargetContainer = $d.TargetContainer }
if ($s.DockerHost -and -not $s.HostName) { $server.DockerHost = $s.DockerHost }
if ($s.UserName) { $server.UserName = $s.UserName }
if ($d.ScratchDatabase) { $server.ScratchDatabase = $d.ScratchDatabase }
$level = if ($d.Level) { $d.Level } else { 'Restore' }

# The backup directory's newest complete full set of the database, restored and checked.
Invoke-CenateJobStep $job drill {
    Test-CenateBackup -Path $s.BackupPath -Database $s.Database -Level $level @server
} | Format-List Path, Stamp, Level, Passed, DrillServer, DrillDatabase, RestoreDuration, ObjectsChecked, Problems |
    Out-String | Write-Output

# With base backups and the WAL archive (the BaseBackup and WalArchive keys): the point-in-time drill too — the newest base
# set and the archive recovered to five minutes ago in a scratch container, every table counted, the container removed.
# It runs against the settings' own container (its image makes the copy; its role logs in), never Drill.TargetContainer.
if ($s.BaseBackup -and $s.WalArchive -and -not $s.HostName) {
    $live = @{ Port = $s.Port; Database = $s.Database; WalPath = $s.WalArchive.Path }
    if ($s.HostName) { $live.HostName = $s.HostName } else { $live.Container = $s.Container }
    if ($s.DockerHost -and -not $s.HostName) { $live.DockerHost = $s.DockerHost }
    if ($s.UserName) { $live.UserName = $s.UserName }
    Invoke-CenateJobStep $job pitr-drill {
        Get-CenateBackup $s.BaseBackup.Path -Database $s.Database -Kind Base -Newest 1 |
            Test-CenateBackup -Level PointInTime @live -Confirm:$false
    } | Format-List Path, Stamp, Level, Passed, Checks, Problems | Out-String | Write-Output
}

# -When Always: the report goes out every month, not only when the drill failed.
exit (Complete-CenateJob $job -When Always).ExitCode
