@{
    RootModule           = 'CenateBackup.psm1'
    ModuleVersion        = '0.0.0-dev'
    GUID                 = '5d0c7c1e-3f47-4c55-9a57-3f6e4c8b2a11'
    Author               = 'CenateBackup contributors'
    CompanyName          = 'CenateBackup'
    Copyright            = '(c) CenateBackup contributors. MIT licence.'
    Description          = 'Backups that a DBA can trust for a PostgreSQL database in Docker: snapshot-consistent dumps, verification, retention, offsite copies, audit triggers and alerts.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('CenateBackup.Format.ps1xml', 'CenateBackup.Operations.Format.ps1xml')
    CmdletsToExport      = @(
        'Compare-CenateBackup'
        'Complete-CenateJob'
        'Confirm-CenateRowDrop'
        'Export-CenateAseguradosCsv'
        'Get-CenateAuditLog'
        'Get-CenateBackup'
        'Get-CenateBackupSchedule'
        'Get-CenatePointInTime'
        'Get-CenateReplicationStatus'
        'Get-CenateRestoreStaging'
        'Get-CenateSettings'
        'Get-CenateWalArchive'
        'Initialize-CenateOffsiteTarget'
        'Install-CenateAuditTrigger'
        'Invoke-CenateJobStep'
        'New-CenateBaseBackup'
        'New-CenateDump'
        'New-CenateReadOnlyRole'
        'New-CenateSettings'
        'New-CenateStandby'
        'Protect-CenateTable'
        'Register-CenateBackupSchedule'
        'Remove-CenateAuditLog'
        'Remove-CenateOldBackup'
        'Remove-CenatePointInTime'
        'Remove-CenateRestoreStaging'
        'Remove-CenateStandby'
        'Restore-CenateDeletedRow'
        'Restore-CenatePointInTime'
        'Restore-CenateTable'
        'Send-CenateAlert'
        'Start-CenateJob'
        'Start-CenateWalArchive'
        'Stop-CenateWalArchive'
        'Sync-CenateOffsite'
        'Test-CenateBackup'
        'Uninstall-CenateAuditTrigger'
        'Unregister-CenateBackupSchedule'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('PostgreSQL', 'Backup', 'pg_dump', 'Docker', 'Linux', 'Windows')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
