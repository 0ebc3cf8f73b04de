namespace CenateBackup.Core.Errors;

/// <summary>What kind of failure a <see cref="CenateException"/> reports; the cmdlet layer maps it to an ErrorCategory.</summary>
public enum CenateErrorKind
{
    /// <summary>A named thing (container, database, table, file) does not exist.</summary>
    ObjectNotFound,
    /// <summary>A service (Docker engine, server, container) is not available right now.</summary>
    ResourceUnavailable,
    /// <summary>The server rejected the credentials.</summary>
    AuthenticationError,
    /// <summary>The account may not do this (file system or database privilege).</summary>
    PermissionDenied,
    /// <summary>A file or archive is damaged or is not what it claims to be.</summary>
    InvalidData,
    /// <summary>An argument is not acceptable.</summary>
    InvalidArgument,
    /// <summary>A tool or version needed for the job is missing or too old.</summary>
    NotInstalled,
    /// <summary>Writing failed (disk full, I/O error).</summary>
    WriteError,
    /// <summary>The network connection failed or was cut.</summary>
    ConnectionError,
    /// <summary>The operation was stopped (Ctrl+C) or interrupted by an outside event.</summary>
    OperationStopped,
    /// <summary>The operation cannot run in the current state.</summary>
    InvalidOperation,
    /// <summary>An external tool failed in a way not otherwise classified.</summary>
    ToolFailed,
    /// <summary>Something that must be new already exists.</summary>
    ResourceExists,
    /// <summary>Another session holds what the operation needs (a table lock) longer than it may wait.</summary>
    ResourceBusy,
    /// <summary>A security check refused the peer (TLS certificate not trusted, pin mismatch, plain text
    /// refused).</summary>
    SecurityError,
    /// <summary>The peer did not answer within the time allowed.</summary>
    OperationTimeout,
}
