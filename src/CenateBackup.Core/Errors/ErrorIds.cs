namespace CenateBackup.Core.Errors;

/// <summary>The stable error ids; tests and scripts match on them, so never rename one.</summary>
public static class ErrorIds
{
#pragma warning disable CS1591 // the names are the documentation
    public const string DockerUnavailable = "DockerUnavailable";
    public const string ContainerNotFound = "ContainerNotFound";
    public const string ContainerNotRunning = "ContainerNotRunning";
    public const string ContainerStopped = "ContainerStoppedDuringOperation";
    public const string ContainerEndpointNotFound = "ContainerEndpointNotFound";
    public const string ServerUnreachable = "ServerUnreachable";
    public const string ConnectionLost = "ConnectionLost";
    public const string AuthenticationFailed = "AuthenticationFailed";
    public const string DatabaseNotFound = "DatabaseNotFound";
    public const string TableNotFound = "TableNotFound";
    public const string InsufficientPrivilege = "InsufficientPrivilege";
    public const string DatabaseError = "DatabaseError";
    public const string PgToolNotFound = "PgToolNotFound";
    public const string PgDumpTooOld = "PgDumpOlderThanServer";
    public const string PgDumpFailed = "PgDumpFailed";
    public const string PathNotWritable = "PathNotWritable";
    public const string PathNotFound = "PathNotFound";
    public const string DiskFull = "DiskFull";
    public const string WriteFailed = "WriteFailed";
    public const string OperationCancelled = "OperationCancelled";
    public const string StoppedBySignal = "StoppedBySignal";
    public const string ManifestInvalid = "ManifestInvalid";
    public const string BackupSetExists = "BackupSetExists";
    public const string BackupDirectoryBusy = "BackupDirectoryBusy";
    public const string RemoveFailed = "RemoveFailed";
    public const string ArchiveInvalid = "ArchiveInvalid";
    public const string ScratchDatabaseExists = "ScratchDatabaseExists";
    public const string ScratchDatabaseInvalid = "ScratchDatabaseInvalid";
    public const string TableNotInBackup = "TableNotInBackup";
    public const string BackupCorrupt = "BackupCorrupt";
    public const string LiveTableMissing = "LiveTableMissing";
    public const string NoPrimaryKey = "NoPrimaryKey";
    public const string DependentObjects = "DependentObjects";
    public const string ReferencingRowsMissing = "ReferencingRowsMissing";
    public const string BackupFileMissing = "BackupFileMissing";
    public const string TableNotSupported = "TableNotSupported";
    public const string AuditLogNotFound = "AuditLogNotFound";
    public const string AuditEntriesNotFound = "AuditEntriesNotFound";
    public const string AuditEntriesMixed = "AuditEntriesMixed";
    public const string RoleNotFound = "RoleNotFound";
    public const string AuditLogInUse = "AuditLogInUse";
    public const string AuditOwnerUnsafe = "AuditOwnerUnsafe";
    public const string RoleNotReadOnly = "RoleNotReadOnly";
    public const string DurationBelowFloor = "DurationBelowFloor";
    public const string LockTimeout = "LockTimeout";
    public const string AuditRowsIncompatible = "AuditRowsIncompatible";
    public const string UnsafeLockFile = "UnsafeLockFile";
    public const string BackupDirectoryLockFailed = "BackupDirectoryLockFailed";
    public const string CleartextPasswordRefused = "CleartextPasswordRefused";
    public const string UnsafeBackupContent = "UnsafeBackupContent";
    public const string UnverifiedBackup = "UnverifiedBackup";
    // Issue 23 §4/§5: the privilege cmdlets never widen or hijack.
    public const string PrivilegeStillGranted = "PrivilegeStillGranted";
    public const string RoleOwnsTable = "RoleOwnsTable";
    public const string RoleIsSuperuser = "RoleIsSuperuser";
    public const string RoleExists = "RoleExists";
    public const string PasswordRequired = "PasswordRequired";
    public const string PasswordInvalid = "PasswordInvalid";
    public const string ReadOnlyViewUnsafe = "ReadOnlyViewUnsafe";
    // Issue 13 §5: the ids cmdlets used to write as literals (same strings).
    public const string AccessDenied = "AccessDenied";
    public const string UnexpectedError = "UnexpectedError";
    public const string TimeZoneNotFound = "TimeZoneNotFound";
    public const string NothingSelected = "NothingSelected";
    public const string RoleOrAllExcept = "RoleOrAllExcept";
    public const string IncludeInheritedNeedsRole = "IncludeInheritedNeedsRole";
    public const string EmptyPassword = "EmptyPassword";
    // Issue 13 §5: a service carries out the plan the user confirmed, or nothing.
    public const string PlanChanged = "PlanChanged";
    // Issue 14: offsite copies (the sync job).
    public const string RemoteSpecRefused = "RemoteSpecRefused";
    public const string OffsiteSourceNotVerified = "OffsiteSourceNotVerified";
    public const string OffsiteSetNotFound = "OffsiteSetNotFound";
    public const string OffsiteSetConflict = "OffsiteSetConflict";
    public const string OffsiteFileConflict = "OffsiteFileConflict";
    public const string OffsiteRouteNotSupported = "OffsiteRouteNotSupported";
    // Issue 14 (helper D): directory targets of offsite copies (USB disk, NAS mount).
    public const string TargetNotMounted = "TargetNotMounted";
    public const string TargetMarkerMismatch = "TargetMarkerMismatch";
    public const string TargetFull = "TargetFull";
    public const string TargetUnresponsive = "TargetUnresponsive";
    public const string TargetAlreadyInitialized = "TargetAlreadyInitialized";
    public const string TargetChecksumMismatch = "TargetChecksumMismatch";
    // Issue 14 (offsite, rclone remotes): rclone's exit codes and messages, mapped in RcloneErrors.
    public const string RcloneNotFound = "RcloneNotFound";
    public const string RcloneFailed = "RcloneFailed";
    public const string RcloneFatal = "RcloneFatal";
    public const string RemotePathNotFound = "RemotePathNotFound";
    public const string RemoteFileNotFound = "RemoteFileNotFound";
    public const string RemoteUnreachable = "RemoteUnreachable";
    public const string RemoteFileConflict = "RemoteFileConflict";
    public const string RemoteNotConfigured = "RemoteNotConfigured";
    public const string RemoteChecksumMismatch = "RemoteChecksumMismatch";
    // Issue 15: alerts (Send-CenateAlert).
    public const string AlertDeliveryFailed = "AlertDeliveryFailed";
    public const string AlertChannelMissing = "AlertChannelMissing";
    public const string BackupRunFailed = "BackupRunFailed";
    public const string SettingsNotFound = "SettingsNotFound";
    public const string SettingsInvalid = "SettingsInvalid";
    public const string SettingsFileInsecure = "SettingsFileInsecure";
    public const string CredentialFileInsecure = "CredentialFileInsecure";
    public const string CredentialFileInvalid = "CredentialFileInvalid";
    public const string PasswordVariableNotSet = "PasswordVariableNotSet";
    public const string AlertStatusWriteFailed = "AlertStatusWriteFailed";
    // Issue 21: row-count drift and Compare-CenateBackup.
    public const string RowCountDropped = "RowCountDropped";
    public const string RowDropNotFound = "RowDropNotFound";
    public const string BackupSetNotFound = "BackupSetNotFound";
    public const string KeyRequired = "KeyRequired";
    public const string KeyColumnMissing = "KeyColumnMissing";
    public const string DuplicateKey = "DuplicateKey";
    public const string CompareSidesInvalid = "CompareSidesInvalid";
    public const string KeyNeedsMissingRows = "KeyNeedsMissingRows";
    public const string KeyListInvalid = "KeyListInvalid";
    public const string KeyListTruncated = "KeyListTruncated";
    public const string LiveNeedsThreshold = "LiveNeedsThreshold";
    // Issue 16: scheduled operation (jobs, settings, schedule).
    public const string JobLocked = "JobLocked";
    public const string JobInterrupted = "JobInterrupted";
    public const string JobNameInvalid = "JobNameInvalid";
    public const string JobStepFailed = "JobStepFailed";
    public const string JobNotActive = "JobNotActive";
    public const string JobScriptNotFound = "JobScriptNotFound";
    public const string LogDirectoryNotWritable = "LogDirectoryNotWritable";
    public const string EnvironmentFileInvalid = "EnvironmentFileInvalid";
    public const string EnvironmentFileInsecure = "EnvironmentFileInsecure";
    public const string SettingsFileExists = "SettingsFileExists";
    public const string ScheduleInvalid = "ScheduleInvalid";
    public const string ScheduleUnsupported = "ScheduleUnsupported";
    public const string ScheduleCommandFails = "ScheduleCommandFails";
    public const string ScheduleFileForeign = "ScheduleFileForeign";
    public const string ScheduleFileInsecure = "ScheduleFileInsecure";
    public const string ScheduleNotFound = "ScheduleNotFound";
    // Issue 17: staging copies left by Restore-CenateTable -Mode Staging.
    public const string StagingNotFound = "StagingNotFound";
    public const string StagingNotOurs = "StagingNotOurs";
    public const string StagingAmbiguous = "StagingAmbiguous";
    // Issue 17: a directory given where one backup set (its manifest or a file of it) is expected.
    public const string BackupPathIsDirectory = "BackupPathIsDirectory";
    // Issue 19: the continuous WAL archive (pg_receivewal in a sidecar container).
    public const string ContainerExists = "ContainerExists";
    public const string ContainerStartFailed = "ContainerStartFailed";
    public const string ContainerRequired = "ContainerRequired";
    public const string WalArchiveNotFound = "WalArchiveNotFound";
    public const string WalArchiveNotStreaming = "WalArchiveNotStreaming";
    public const string WalArchiveSlotBusy = "WalArchiveSlotBusy";
    public const string WalArchiveSlotLost = "WalArchiveSlotLost";
    public const string WalLevelTooLow = "WalLevelTooLow";
    public const string ServerTooOld = "ServerTooOld";
    public const string ReplicationRoleUnfit = "ReplicationRoleUnfit";
    public const string HbaEditFailed = "HbaEditFailed";
    public const string WalArchiveForeign = "WalArchiveForeign";
    public const string WalArchiveGap = "WalArchiveGap";
    public const string WalArchivePathInUse = "WalArchivePathInUse";
    public const string WalArchiveAmbiguous = "WalArchiveAmbiguous";
    public const string HbaInvalid = "HbaInvalid";
    // Issue 19: what Get-CenateWalArchive reports (the monitor's step and the alert carry them).
    public const string WalArchiveStopped = "WalArchiveStopped";
    public const string WalArchiveDisconnected = "WalArchiveDisconnected";
    public const string WalArchiveSlotMissing = "WalArchiveSlotMissing";
    public const string WalArchiveNearLimit = "WalArchiveNearLimit";
    public const string WalArchiveLagging = "WalArchiveLagging";
    // Issue 19, part 2: base backups (New-CenateBaseBackup) and their verification.
    public const string BaseBackupFailed = "BaseBackupFailed";
    public const string BaseBackupTablespaces = "BaseBackupTablespaces";
    public const string BaseBackupVerifierUnavailable = "BaseBackupVerifierUnavailable";
    public const string PgBasebackupVersionMismatch = "PgBasebackupVersionMismatch";
    public const string BaseBackupDrillUnavailable = "BaseBackupDrillUnavailable";
    public const string BaseBackupNotATableSource = "BaseBackupNotATableSource";
    // Issue 19, part 3: point-in-time recovery (Restore-/Get-/Remove-CenatePointInTime, Restore-CenateTable -FromContainer).
    public const string PointInTimeNoBaseBackup = "PointInTimeNoBaseBackup";
    public const string PointInTimeNotReached = "PointInTimeNotReached";
    public const string PointInTimeRecoveryFailed = "PointInTimeRecoveryFailed";
    public const string PointInTimeTimeout = "PointInTimeTimeout";
    public const string PointInTimePortInUse = "PointInTimePortInUse";
    public const string PointInTimeCopyNotFound = "PointInTimeCopyNotFound";
    public const string PointInTimeNotACopy = "PointInTimeNotACopy";
    public const string RestoreSourceConflict = "RestoreSourceConflict";
    public const string PointInTimeDrillNeedsBase = "PointInTimeDrillNeedsBase";
    // Issue 20: the streaming standby (New-/Remove-CenateStandby, Get-CenateReplicationStatus).
    public const string ImageNotFound = "ImageNotFound";
    public const string VolumeInUse = "VolumeInUse";
    public const string StandbyHostNetworkRequired = "StandbyHostNetworkRequired";
    public const string StandbyPortInUse = "StandbyPortInUse";
    public const string StandbySlotExists = "StandbySlotExists";
    public const string StandbyDataExists = "StandbyDataExists";
    public const string StandbyVersionMismatch = "StandbyVersionMismatch";
    public const string StandbyNotStreaming = "StandbyNotStreaming";
    public const string StandbyNotFound = "StandbyNotFound";
    public const string StandbyNotOurs = "StandbyNotOurs";
    public const string StandbyPromoted = "StandbyPromoted";
    public const string StandbyStopped = "StandbyStopped";
    public const string StandbyUnreachable = "StandbyUnreachable";
    public const string StandbyDisconnected = "StandbyDisconnected";
    public const string StandbySlotMissing = "StandbySlotMissing";
    public const string StandbySlotLost = "StandbySlotLost";
    public const string StandbyNearLimit = "StandbyNearLimit";
    public const string StandbyLagging = "StandbyLagging";
    public const string StandbyRetainingWal = "StandbyRetainingWal";
    public const string StandbyDataNotRemoved = "StandbyDataNotRemoved";
#pragma warning restore CS1591
}
